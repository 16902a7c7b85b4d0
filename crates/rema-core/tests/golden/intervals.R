# Golden values for two options of rema-core's fit (crates/rema-core/tests/intervals.rs):
#   - the truncated Knapp-Hartung test, test = "adhoc" (metafor 4's name; metafor 3.8.1, installed
#     here, has no such test), computed from its definition on top of metafor 3.8.1:
#     s2w* = max(1, s2w) with s2w from rma(yi, vi, method, test = "knha"); Var(b) = s2w* (X'WX)^-1
#     (the z fit's vb times s2w*), t(k - p) quantiles for the test, the CI and the PI;
#   - the prediction interval with t(k - p) quantiles under the z test (pi_dist = "t"; the
#     Cochrane Handbook's interval, k - 1 df without moderators), computed from its definition:
#     pred +/- qt(1 - alpha/2, k - p) * sqrt(se^2 + tau^2) with pred and se from predict(rma(...)).
# on dat.bcg (log risk ratios, with and without the moderator ablat), dat.hart1999 (log odds
# ratios; s2w = 0.549 < 1, so the truncation binds), dat.raudenbush1985 (SMDs) and
# dat.molloy2014 (Fisher z correlations).
#
# Regenerate: Rscript crates/rema-core/tests/golden/intervals.R crates/rema-core/tests/golden
# Writes intervals.json next to this script.
source("crates/rema-core/tests/golden/core_golden.R")

bcg <- escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
har <- escalc("OR", ai = x1i, n1i = n1i, ci = x2i, n2i = n2i, data = dat.hart1999)
rau <- dat.raudenbush1985
mol <- escalc("ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
sets <- list(bcg = list(name = "dat.bcg (RR)", d = bcg), hart = list(name = "dat.hart1999 (OR)", d = har),
             raudenbush = list(name = "dat.raudenbush1985 (SMD)", d = rau),
             molloy = list(name = "dat.molloy2014 (ZCOR)", d = mol))

cases <- list()
add_case <- function(id, set, method, level = 95, mods = NULL) {
  d <- sets[[set]]$d
  f <- as.formula(paste("~", if (is.null(mods)) "1" else mods))
  z <- suppressWarnings(rma(yi, vi, mods = f, data = d, method = method, level = level))
  kh <- suppressWarnings(rma(yi, vi, mods = f, data = d, method = method, level = level, test = "knha"))
  k <- z$k; p <- z$p
  alpha <- 1 - level / 100
  crit_t <- qt(1 - alpha / 2, k - p)
  s2w <- max(1, kh$s2w)
  b <- nums(z$beta)
  se <- sqrt(diag(z$vb) * s2w)
  tval <- b / se
  x0 <- if (p > 1) rep(0, p - 1) else NULL
  pz <- if (p > 1) predict(z, newmods = x0) else predict(z)
  pse_adhoc <- sqrt(se[1]^2 + z$tau2)
  cases[[length(cases) + 1]] <<- list(
    id = id, data = sets[[set]]$name, method = method, level = level,
    mods = if (is.null(mods)) I(character(0)) else I(mods),
    x = if (is.null(mods)) I(numeric(0)) else I(nums(d[[mods]])),
    yi = I(nums(d$yi)), vi = I(nums(d$vi)),
    call = sprintf("rma(yi, vi%s, method = \"%s\", level = %s, test = \"knha\"): s2w = %.6f; max(1, s2w) and t(%d)",
                   if (is.null(mods)) "" else paste0(", mods = ~ ", mods), method, level, kh$s2w, k - p),
    expected = list(
      tau2 = z$tau2, s2w_knha = kh$s2w,
      adhoc = list(beta = I(b), se = I(se), tval = I(tval), pval = I(2 * pt(-abs(tval), k - p)),
                   ci_lb = I(b - crit_t * se), ci_ub = I(b + crit_t * se),
                   pi_lb = b[1] - crit_t * pse_adhoc, pi_ub = b[1] + crit_t * pse_adhoc),
      pi_t = list(pred = nums(pz$pred), ci_lb = nums(pz$ci.lb), ci_ub = nums(pz$ci.ub),
                  pi_lb = nums(pz$pred) - crit_t * sqrt(nums(pz$se)^2 + z$tau2),
                  pi_ub = nums(pz$pred) + crit_t * sqrt(nums(pz$se)^2 + z$tau2))))
}

for (s in names(sets)) for (m in c("REML", "DL")) add_case(paste0(s, "_", m), s, m)
add_case("bcg_HE_90", "bcg", "HE", level = 90)
add_case("bcg_REML_ablat", "bcg", "REML", mods = "ablat")
add_case("hart_FE", "hart", "FE")

core_write("intervals", cases)
