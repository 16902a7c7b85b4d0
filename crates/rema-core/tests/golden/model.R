# Golden values for the fitted-model API of rema-core (crates/rema-core/tests/model.rs),
# computed by R metafor on dat.bcg (log risk ratios) with moderators:
#   predict(res, newmods = ...)          new moderator values, with and without transf = exp
#   predict(res)                         the fitted values of the k studies
#   influence(res)                       diagnostics of a meta-regression (refits X[-i, ])
#   rma(yi, vi, mods = X, subset = -i)   leave-one-out refits of a meta-regression (metafor's
#                                        leave1out() refuses models with moderators, so the
#                                        refits are made one by one, as influence() makes them)
#
# Regenerate: Rscript crates/rema-core/tests/golden/model.R crates/rema-core/tests/golden
# Writes model.json next to this script.
source("crates/rema-core/tests/golden/core_golden.R")

es <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)

# For the common-effect model metafor leaves out the prediction interval
# (it equals the confidence interval, tau^2 being 0): pi_lower/pi_upper are then [].
pred_list <- function(p, se = TRUE) {
  out <- list(pred = nums(p$pred), ci_lower = nums(p$ci.lb), ci_upper = nums(p$ci.ub),
              pi_lower = nums(p$pi.lb), pi_upper = nums(p$pi.ub))
  if (se) out$se <- nums(p$se)
  out
}

run <- function(id, mods, method, test, level, newmods) {
  f <- as.formula(paste("~", paste(mods, collapse = " + ")))
  res <- rma(yi, vi, mods = f, data = es, method = method, test = test, level = level)
  X <- model.matrix(res)
  k <- res$k
  p <- res$p
  pn <- predict(res, newmods = newmods)
  pe <- predict(res, newmods = newmods, transf = exp)
  fitted <- predict(res)
  inf <- influence(res)
  l1o <- lapply(seq_len(k), function(i) {
    r <- try(rma(yi, vi, mods = f, data = es, method = method, test = test, level = level, subset = -i), silent = TRUE)
    if (inherits(r, "try-error")) return(NULL)
    r
  })
  pick <- function(fun) lapply(l1o, function(r) if (is.null(r)) NULL else fun(r))
  list(
    id = id, method = method, test = test, level = level, mods = I(mods),
    yi = nums(es$yi), vi = nums(es$vi), x = rows(X),
    fit = list(beta = nums(res$beta), se = nums(res$se), tau2 = res$tau2, qm = res$QM, qe = res$QE),
    newmods = rows(as.matrix(newmods)),
    predict_new = pred_list(pn),
    predict_new_exp = pred_list(pe, se = FALSE),
    fitted = pred_list(fitted),
    influence = list(rstudent = nums(inf$inf$rstudent), dffits = nums(inf$inf$dffits),
                     cook_d = nums(inf$inf$cook.d), cov_r = nums(inf$inf$cov.r),
                     tau2_del = nums(inf$inf$tau2.del), qe_del = nums(inf$inf$QE.del),
                     hat = nums(inf$inf$hat), weight = nums(inf$inf$weight),
                     dfbetas = rows(sapply(seq_len(p), function(j) inf$dfbs[[j]])),
                     influential = as.logical(inf$is.infl)),
    leave1out = list(beta = pick(function(r) nums(r$beta)), se = pick(function(r) nums(r$se)),
                     stat = pick(function(r) nums(r$zval)), pval = pick(function(r) nums(r$pval)),
                     ci_lower = pick(function(r) nums(r$ci.lb)), ci_upper = pick(function(r) nums(r$ci.ub)),
                     tau2 = pick(function(r) r$tau2), q = pick(function(r) r$QE), q_pval = pick(function(r) r$QEp),
                     i2 = pick(function(r) r$I2), h2 = pick(function(r) r$H2),
                     qm = pick(function(r) r$QM), qm_pval = pick(function(r) r$QMp))
  )
}

one <- cbind(c(10, 30, 50))
two <- rbind(c(10, 1950), c(30, 1965), c(50, 1980))
cases <- list()
for (m in c("REML", "DL")) for (t in c("z", "knha")) {
  cases[[length(cases) + 1]] <- run(paste0("bcg_ablat_", m, "_", t), "ablat", m, t, 95, one)
}
cases[[length(cases) + 1]] <- run("bcg_ablat_year_REML_knha_90", c("ablat", "year"), "REML", "knha", 90, two)
cases[[length(cases) + 1]] <- run("bcg_ablat_year_FE_z", c("ablat", "year"), "FE", "z", 95, two)

core_write("model", cases)
