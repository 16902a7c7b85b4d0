# Golden values for the follow-ups of multilevel (and rma.uni) models: the
# likelihood-ratio test between two saved results (rema compare, metafor
# 3.8-1's anova(full, reduced)), the t test of rma.mv (test = "t") and of
# rma.uni (test = "t", no Knapp-Hartung scaling), and predictions of rma.mv
# at new moderator values (predict.rma.mv(newmods =)).
#
# Regenerate: `cargo xtask goldens mv_more` (or Rscript tests/golden/mv_more.R
# from the workspace root). Writes tests/golden/mv_more.json in the case
# format of tests/golden/golden.R; the data are the CSV files of mv.R
# (dat.konstantopoulos2011 with the year centred) and examples/bcg/bcg.csv.
# Iterative quantities at 1e-4 relative; names, df and parameter counts exact.
source("tests/golden/golden.R")

tight <- list()
cases <- list()
add <- function(id, source, csv, spec, expect, entry = NULL, input = NULL, error = NULL, note = NULL,
                tolerance = NULL) {
  cases[[length(cases) + 1L]] <<- golden_case(id, source, expect, spec = spec, csv = csv, entry = entry,
                                             input = input, error = error, note = note, tolerance = tolerance)
}

k11 <- read.csv("tests/golden/data/mv_konstantopoulos2011.csv")
k11_csv <- "tests/golden/data/mv_konstantopoulos2011.csv"
bcg <- escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
bcg_csv <- "examples/bcg/bcg.csv"

# ---- rema compare: anova(full, reduced) -----------------------------------

# The expected comparison of metafor's anova(f, r) (f the full model).
anova_expect <- function(a, f, r) {
  e <- list()
  side <- function(role, m, st) {
    e[[paste0("/", role, "/parameters")]] <<- m$parms
    e[[paste0("/", role, "/loglik")]] <<- unname(st[["ll"]])
    e[[paste0("/", role, "/deviance")]] <<- unname(st[["dev"]])
    e[[paste0("/", role, "/aic")]] <<- unname(st[["AIC"]])
    e[[paste0("/", role, "/bic")]] <<- unname(st[["BIC"]])
    e[[paste0("/", role, "/aicc")]] <<- unname(st[["AICc"]])
    e[[paste0("/", role, "/qe")]] <<- m$QE
    e[[paste0("/", role, "/k")]] <<- m$k
    if (!is.na(a[[paste0("tau2.", substr(role, 1, 1))]]))
      e[[paste0("/", role, "/tau2")]] <<- a[[paste0("tau2.", substr(role, 1, 1))]]
  }
  side("full", f, a$fit.stats.f)
  side("reduced", r, a$fit.stats.r)
  e[["/df"]] <- a$parms.f - a$parms.r
  e[["/lrt"]] <- a$LRT
  e[["/pval"]] <- a$pval
  e[["/likelihood"]] <- if (a$method == "REML") "REML" else "ML"
  if (!is.na(a$R2)) e[["/r2"]] <- a$R2
  e
}

exact_for <- function(e) {
  tolerance_for(grep("/(parameters|k|df|likelihood)$", names(e), value = TRUE), "exact")
}

compare_case <- function(id, source, csv, spec_f, spec_r, f, r, note = NULL) {
  a <- anova(f, r)
  e <- anova_expect(a, f, r)
  add(paste0("compare/", id), source, csv, spec_f, e, entry = "compare", input = list(other = spec_r),
      tolerance = exact_for(e), note = note)
}

mv_spec <- function(method, random, mods = NULL)
  list(measure = "GEN", method = method, mods = mods, random_terms = I(random))

for (method in c("ML", "REML")) {
  f <- rma.mv(yi, vi, random = ~ 1 | district/school, data = k11, method = method, control = tight)
  r <- rma.mv(yi, vi, random = ~ 1 | district, data = k11, method = method, control = tight)
  compare_case(paste0("konstantopoulos2011/", method, "/district-school vs district"),
               sprintf('anova(rma.mv(yi, vi, random = ~ 1 | district/school, method = "%s"), rma.mv(yi, vi, random = ~ 1 | district, method = "%s"))', method, method),
               k11_csv, mv_spec(method, "~ 1 | district/school"), mv_spec(method, "~ 1 | district"), f, r)
}
# The reduced model first: rema takes the one with more parameters as the full one, as metafor.
f <- rma.mv(yi, vi, mods = ~ year_c, random = ~ 1 | district/school, data = k11, method = "ML", control = tight)
r <- rma.mv(yi, vi, random = ~ 1 | district/school, data = k11, method = "ML", control = tight)
a <- anova(r, f)
e <- anova_expect(a, f, r)
add("compare/konstantopoulos2011/ML/year_c (reduced first)",
    'anova(rma.mv(yi, vi, random = ~ 1 | district/school, method = "ML"), rma.mv(yi, vi, mods = ~ year_c, random = ~ 1 | district/school, method = "ML"))',
    k11_csv, mv_spec("ML", "~ 1 | district/school"), e, entry = "compare",
    input = list(other = mv_spec("ML", "~ 1 | district/school", I("year_c"))), tolerance = exact_for(e))

uni_spec <- function(method, mods = NULL) list(measure = "RR", method = method, mods = mods)
# Test of tau^2 = 0 by the LRT: REML against FE (metafor compares the REML deviances).
f <- rma(yi, vi, data = bcg, method = "REML")
r <- rma(yi, vi, data = bcg, method = "FE")
compare_case("bcg/REML vs FE", 'anova(rma(yi, vi, method = "REML"), rma(yi, vi, method = "FE"))',
             bcg_csv, uni_spec("REML"), uni_spec("FE"), f, r)
f <- rma(yi, vi, mods = ~ ablat, data = bcg, method = "ML")
r <- rma(yi, vi, data = bcg, method = "ML")
compare_case("bcg/ML/ablat", 'anova(rma(yi, vi, mods = ~ ablat, method = "ML"), rma(yi, vi, method = "ML"))',
             bcg_csv, uni_spec("ML", I("ablat")), uni_spec("ML"), f, r)
f <- rma(yi, vi, mods = ~ ablat, data = bcg, method = "ML")
r <- rma(yi, vi, data = bcg, method = "FE")
compare_case("bcg/ML ablat vs FE", 'anova(rma(yi, vi, mods = ~ ablat, method = "ML"), rma(yi, vi, method = "FE"))',
             bcg_csv, uni_spec("ML", I("ablat")), uni_spec("FE"), f, r)
f <- rma(yi, vi, mods = ~ ablat + year, data = bcg, method = "FE")
r <- rma(yi, vi, mods = ~ ablat, data = bcg, method = "FE")
compare_case("bcg/FE/ablat+year vs ablat", 'anova(rma(yi, vi, mods = ~ ablat + year, method = "FE"), rma(yi, vi, mods = ~ ablat, method = "FE"))',
             bcg_csv, uni_spec("FE", I(c("ablat", "year"))), uni_spec("FE", I("ablat")), f, r)

# Refusals: metafor stops for ML against REML; for REML fits with different
# fixed effects it only warns, and rema refuses (the restricted likelihoods
# are not comparable).
r <- tryCatch(anova(rma(yi, vi, data = bcg, method = "REML"), rma(yi, vi, mods = ~ ablat, data = bcg, method = "ML")),
              error = function(e) conditionMessage(e))
add("compare/bcg/ML vs REML (refused)", 'anova(rma(yi, vi, method = "REML"), rma(yi, vi, mods = ~ ablat, method = "ML"))',
    bcg_csv, uni_spec("REML"), list(), entry = "compare", input = list(other = uni_spec("ML", I("ablat"))),
    error = r)
w <- tryCatch(anova(rma(yi, vi, mods = ~ ablat, data = bcg), rma(yi, vi, data = bcg)),
              warning = function(w) conditionMessage(w))
add("compare/bcg/REML different fixed effects (refused)", 'anova(rma(yi, vi, mods = ~ ablat), rma(yi, vi))',
    bcg_csv, uni_spec("REML", I("ablat")), list(), entry = "compare", input = list(other = uni_spec("REML")),
    error = w, note = "metafor warns and reports the LRT; rema refuses and says to refit both by ML")
add("compare/rma.uni vs rma.mv (refused)", 'anova(rma(yi, vi), rma.mv(yi, vi, random = ~ 1 | district))',
    k11_csv, list(measure = "GEN", method = "REML"), list(), entry = "compare",
    input = list(other = mv_spec("REML", "~ 1 | district")),
    error = "Class of 'object1' must be the same as class of 'object2'.")

# ---- test = "t" -------------------------------------------------------------

coef_expect <- function(r, stat = "tval") {
  e <- list()
  for (j in seq_len(r$p)) {
    p <- sprintf("/coefficients/%d", j - 1L)
    e[[paste0(p, "/name")]] <- rownames(r$beta)[j]
    e[[paste0(p, "/estimate")]] <- num(r$beta[j]); e[[paste0(p, "/se")]] <- num(r$se[j])
    e[[paste0(p, "/", stat)]] <- num(r$zval[j]); e[[paste0(p, "/pval")]] <- num(r$pval[j])
    e[[paste0(p, "/ci_lower")]] <- num(r$ci.lb[j]); e[[paste0(p, "/ci_upper")]] <- num(r$ci.ub[j])
  }
  e[["/qm"]] <- num(r$QM); e[["/qm_pval"]] <- num(r$QMp); e[["/qm_df"]] <- num(r$QMdf[1])
  e
}

summary_expect <- function(r) {
  pr <- predict(r)
  e <- list("/estimate" = num(r$beta[1]), "/se" = num(r$se[1]), "/stat" = num(r$zval[1]),
            "/pval" = num(r$pval[1]), "/ci_lower" = num(r$ci.lb[1]), "/ci_upper" = num(r$ci.ub[1]),
            "/df" = num(r$ddf[1]), "/test" = r$test)
  if (r$p == 1) { e[["/pi_lower"]] <- num(pr$pi.lb); e[["/pi_upper"]] <- num(pr$pi.ub) }
  e
}

t_tol <- function(e) tolerance_for(grep("/(name|df|qm_df|test)$", names(e), value = TRUE), "exact")

for (method in c("REML", "ML")) {
  r <- rma.mv(yi, vi, random = ~ 1 | district/school, data = k11, method = method, test = "t", control = tight)
  e <- summary_expect(r)
  add(paste0("t/konstantopoulos2011/", method),
      sprintf('rma.mv(yi, vi, random = ~ 1 | district/school, data = dat.konstantopoulos2011, method = "%s", test = "t"); predict()', method),
      k11_csv, c(mv_spec(method, "~ 1 | district/school"), list(test = "t")), e, tolerance = t_tol(e))
}
r <- rma.mv(yi, vi, mods = ~ year_c, random = ~ 1 | district/school, data = k11, test = "t", control = tight)
e <- c(summary_expect(r), coef_expect(r), list("/multilevel/components/0/sigma2" = r$sigma2[1],
                                               "/multilevel/components/1/sigma2" = r$sigma2[2]))
add("t/konstantopoulos2011/REML/year_c",
    'rma.mv(yi, vi, mods = ~ year_c, random = ~ 1 | district/school, data = dat.konstantopoulos2011, test = "t")',
    k11_csv, c(mv_spec("REML", "~ 1 | district/school", I("year_c")), list(test = "t")), e, tolerance = t_tol(e))
for (method in c("REML", "DL")) {
  r <- rma(yi, vi, data = bcg, method = method, test = "t")
  e <- c(summary_expect(r), list("/tau2" = r$tau2))
  add(paste0("t/bcg/", method), sprintf('rma(yi, vi, data = dat.bcg RR, method = "%s", test = "t"); predict()', method),
      bcg_csv, c(uni_spec(method), list(test = "t")), e, tolerance = t_tol(e))
  r <- rma(yi, vi, mods = ~ ablat + year, data = bcg, method = method, test = "t")
  e <- coef_expect(r)
  add(paste0("t/bcg/", method, "/ablat+year"),
      sprintf('rma(yi, vi, mods = ~ ablat + year, data = dat.bcg RR, method = "%s", test = "t")', method),
      bcg_csv, c(uni_spec(method, I(c("ablat", "year"))), list(test = "t")), e, tolerance = t_tol(e))
}

# ---- predict.rma.mv(newmods =) ----------------------------------------------

pred_expect <- function(pr, prefix = "/multilevel/newmods") {
  rows_at(prefix, list(pred = pr$pred, se = pr$se, ci_lower = pr$ci.lb, ci_upper = pr$ci.ub,
                       pi_lower = pr$pi.lb, pi_upper = pr$pi.ub))
}
for (test in c("z", "t")) {
  for (method in c("REML", "ML")) {
    r <- rma.mv(yi, vi, mods = ~ year_c, random = ~ 1 | district/school, data = k11, method = method,
                test = test, control = tight)
    pr <- predict(r, newmods = c(-5, 0, 2.5))
    add(sprintf("newmods/konstantopoulos2011/%s/%s", method, test),
        sprintf('predict(rma.mv(yi, vi, mods = ~ year_c, random = ~ 1 | district/school, method = "%s", test = "%s"), newmods = c(-5, 0, 2.5))', method, test),
        k11_csv, c(mv_spec(method, "~ 1 | district/school", I("year_c")),
                   list(test = test, newmods = "year_c=-5,0,2.5")),
        pred_expect(pr))
  }
}
# A factor and a numeric moderator, with the constructed sampling covariance
# (the CHE model of mv.R: vcalc within studies, rho = 0.6).
a16 <- read.csv("tests/golden/data/mv_assink2016.csv")
a16_csv <- "tests/golden/data/mv_assink2016.csv"
V <- vcalc(vi, cluster = sid, obs = esid, rho = 0.6, data = a16)
r <- rma.mv(yi, V, mods = ~ deltype + year, random = ~ 1 | sid/esid, data = a16, control = tight)
nd <- cbind(c(1, 0, 0), c(0, 1, 0), c(0, 5, 10))
pr <- predict(r, newmods = nd)
add("newmods/assink2016/CHE/deltype+year",
    'V <- vcalc(vi, cluster = study, obs = esid, rho = 0.6); predict(rma.mv(yi, V, mods = ~ deltype + year, random = ~ 1 | study/esid), newmods = cbind(c(1, 0, 0), c(0, 1, 0), c(0, 5, 10)))',
    a16_csv, list(measure = "GEN", method = "REML", mods = I(c("deltype", "year")),
                  random_terms = I("~ 1 | sid/esid"), cluster = "sid", rho = 0.6,
                  newmods = "deltype=general,overt,covert; year=0,5,10"),
    c(pred_expect(pr), rows_at("/coefficients", list(name = rownames(r$beta)))))


# ---- boundary estimates ------------------------------------------------------

# Estimates at the edge of the parameter space, which rema reports in the
# notes (crates/rema-cli/tests/cli_multilevel.rs asserts them, with these
# values): dat.kalaian1996 (V by vcalc, rho = 0.66, as mv.R) with struct CS
# and HCS puts rho at -1 (metafor: -1 + 7e-10); with an intercept per study
# beside the DIAG term, the study's sigma2 is 0 (metafor 3.9e-15) and the
# tau2 of verbal is 0 (metafor 7.9e-12). Values at 0 are compared to 1e-6
# absolute (metafor stops a log-scale parameter short of 0).
k96 <- dat.kalaian1996
k96$sid <- k96$study
k96_csv <- "tests/golden/data/mv_kalaian1996.csv"
Vk <- vcalc(vi, cluster = study, type = outcome, rho = 0.66, data = k96)
vcov_upper <- function(V) {
  out <- list()
  for (i in seq_len(nrow(V))) for (j in seq_len(ncol(V))) {
    if (i < j && V[i, j] != 0) out[[length(out) + 1L]] <- list(row = i, col = j, cov = V[i, j])
  }
  out
}
boundary_expect <- function(r) {
  e <- list("/estimate" = num(r$beta[1]), "/multilevel/loglik" = as.numeric(logLik(r)))
  e <- c(e, rows_at("/coefficients", list(name = rownames(r$beta), estimate = as.numeric(r$beta),
                                          se = as.numeric(r$se))))
  for (j in seq_along(r$tau2)) e[[sprintf("/multilevel/structure/tau2/%d/tau2", j - 1L)]] <- r$tau2[j]
  if (r$struct[1] %in% c("CS", "HCS")) e[["/multilevel/structure/rho/0/rho"]] <- r$rho[1]
  if (r$withS) for (j in seq_along(r$sigma2)) e[[sprintf("/multilevel/components/%d/sigma2", j - 1L)]] <- r$sigma2[j]
  e
}
near_zero <- function(e) {
  z <- names(e)[vapply(e, function(v) is.numeric(v) && abs(v) < 1e-6, logical(1))]
  c(tolerance_for(z, list(absolute = 1e-6)),
    tolerance_for(grep("/name$", names(e), value = TRUE), "exact"))
}
for (st in c("CS", "HCS")) {
  r <- rma.mv(yi, Vk, mods = ~ outcome + hrs, random = ~ outcome | sid, struct = st, data = k96, control = tight)
  stopifnot(r$rho[1] < -1 + 1e-6)
  e <- boundary_expect(r)
  add(sprintf("boundary/kalaian1996/%s/rho -1", st),
      sprintf('rma.mv(yi, vcalc(vi, study, type = outcome, rho = 0.66), mods = ~ outcome + hrs, random = ~ outcome | study, struct = "%s", data = dat.kalaian1996)', st),
      k96_csv, list(measure = "GEN", method = "REML", mods = "~ outcome + hrs", random_terms = I("~ outcome | sid"),
                    struct = st, vcov = vcov_upper(Vk)),
      e, tolerance = near_zero(e), note = "rho at its boundary, -1: rema's notes say so")
}
r <- rma.mv(yi, Vk, mods = ~ outcome + hrs, random = list(~ 1 | sid, ~ outcome | sid), struct = "DIAG",
            data = k96, control = tight)
stopifnot(r$sigma2[1] < 1e-8, r$tau2[2] < 1e-8)
e <- boundary_expect(r)
add("boundary/kalaian1996/study + DIAG/sigma2 0",
    'rma.mv(yi, vcalc(vi, study, type = outcome, rho = 0.66), mods = ~ outcome + hrs, random = list(~ 1 | study, ~ outcome | study), struct = "DIAG", data = dat.kalaian1996)',
    k96_csv, list(measure = "GEN", method = "REML", mods = "~ outcome + hrs",
                  random_terms = I(c("~ 1 | sid", "~ outcome | sid")), struct = "DIAG", vcov = vcov_upper(Vk)),
    e, tolerance = near_zero(e),
    note = "sigma2 of sid and tau2 of verbal at their boundary, 0 (metafor 3.9e-15 and 7.9e-12): rema's notes say so")

golden_write("mv_more", "analyze", "iterative", "tests/golden/mv_more.R", cases, packages = c("metadat"))
