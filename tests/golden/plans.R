# Golden values for `rema run` on the shipped plans (examples/bcg/bcg.toml,
# examples/bkp/bkp.toml), computed by R metafor.
#
# Regenerate: `cargo xtask goldens` (or Rscript tests/golden/plans.R). Writes
# tests/golden/plans.json in the case format of tests/golden/golden.R: one case
# per plan (entry "plan"), pointers into its results.json; the REML fits are
# iterative, the rest closed form.
#
# examples/bkp leak_retrospective checks the seed paper's continuity rule:
# escalc(measure = "PR") with metafor's default add = 1/2, to = "only0" adds
# 0.5 to the events and to the non-events of a study with a zero count, so a
# raw proportion 0/n becomes 0.5/(n+1) with variance p(1-p)/(n+1), exactly the
# rule the paper describes. Pooled by DL: 0.51%, I2 = 0%, as printed.
source("tests/golden/golden.R")

res <- function(fit, transf = NULL) {
  out <- list(k = fit$k, estimate = as.numeric(fit$b), se = fit$se, ci_lower = fit$ci.lb,
              ci_upper = fit$ci.ub, pval = fit$pval, tau2 = fit$tau2, i2 = fit$I2, q = fit$QE, method = fit$method)
  if (!is.null(transf)) {
    out$transformed <- list(estimate = transf(as.numeric(fit$b)), ci_lower = transf(fit$ci.lb),
                            ci_upper = transf(fit$ci.ub))
  }
  out
}

bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
bcg_or <- escalc(measure = "OR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
a <- list()
a$rr_reml <- res(rma(yi, vi, data = bcg, method = "REML"), exp)
a$rr_dl <- res(rma(yi, vi, data = bcg, method = "DL"), exp)
a$rr_dl_knha <- res(rma(yi, vi, data = bcg, method = "DL", test = "knha"), exp)
a$or_reml <- res(rma(yi, vi, data = bcg_or, method = "REML"), exp)
a$rr_reml_by_alloc <- a$rr_reml
for (lev in c("random", "alternate", "systematic")) {
  a[[paste0("rr_reml_by_alloc:alloc=", lev)]] <-
    res(rma(yi, vi, data = bcg, subset = alloc == lev, method = "REML"), exp)
}
a$rr_reml_random <- a[["rr_reml_by_alloc:alloc=random"]]

leak <- escalc(measure = "PR", xi = c(0, 0, 0), ni = c(32, 128, 22))
stopifnot(isTRUE(all.equal(as.numeric(leak$yi), 0.5 / (c(32, 128, 22) + 1))))
stopifnot(isTRUE(all.equal(as.numeric(leak$vi), as.numeric(leak$yi * (1 - leak$yi)) / (c(32, 128, 22) + 1))))
bkp <- list(leak_retrospective = res(rma(yi, vi, data = leak, method = "DL"), function(x) 100 * x))

# GRADE summary of findings of rr_reml (control_risk = 0.009 in bcg.toml): the
# GRADE handbook's 5.2.1 arithmetic written out here from metafor's fit, and
# the optimal information size of GRADE guidelines 6 (alpha 0.05, power 80%,
# RRR 25%) from R's qnorm.
grade_of <- function(fit, acr, rrr = 0.25) {
  rr <- exp(c(as.numeric(fit$b), fit$ci.lb, fit$ci.ub))
  p1 <- acr * (1 - rrr)
  z <- qnorm(0.975) + qnorm(0.8)
  list(control_per_1000 = 1000 * acr,
       intervention_per_1000 = list(estimate = 1000 * acr * rr[1], ci_lower = 1000 * acr * rr[2], ci_upper = 1000 * acr * rr[3]),
       difference_per_1000 = list(estimate = 1000 * acr * (rr[1] - 1), ci_lower = 1000 * acr * (rr[2] - 1), ci_upper = 1000 * acr * (rr[3] - 1)),
       ois = 2 * z^2 * (acr * (1 - acr) + p1 * (1 - p1)) / (acr - p1)^2)
}
grade_or <- function(fit, acr) {
  or <- exp(c(as.numeric(fit$b), fit$ci.lb, fit$ci.ub))
  risk <- or * acr / (1 - acr + or * acr)
  list(intervention_per_1000 = list(estimate = 1000 * risk[1], ci_lower = 1000 * risk[2], ci_upper = 1000 * risk[3]))
}
bcg_grade <- list(rr_reml = grade_of(rma(yi, vi, data = bcg, method = "REML"), 0.009),
                  or_reml = grade_or(rma(yi, vi, data = bcg_or, method = "REML"), 0.009))

plan_case <- function(plan, analyses, source, grade = list()) {
  expect <- list(); iterative <- character()
  for (id in names(analyses)) {
    x <- analyses[[id]]
    e <- c(at(paste0("/results/", id), x[c("k", "estimate", "se", "ci_lower", "ci_upper", "pval", "tau2", "i2", "q")]),
           if (!is.null(x$transformed)) at(paste0("/results/", id, "/transformed"), x$transformed))
    expect <- c(expect, e)
    if (x$method == "REML") iterative <- c(iterative, setdiff(names(e), paste0("/results/", id, "/k")))
  }
  for (id in names(grade)) {
    e <- list()
    for (k in names(grade[[id]])) {
      v <- grade[[id]][[k]]
      e <- c(e, if (is.list(v)) at(paste0("/grade/", id, "/", k), v) else at(paste0("/grade/", id), v[k > ""] |> setNames(k) |> as.list()))
    }
    expect <- c(expect, e)
    iterative <- c(iterative, setdiff(names(e), paste0("/grade/", id, c("/control_per_1000", "/ois"))))
  }
  golden_case(plan, source, expect, plan = plan, tolerance = tolerance_for(iterative, "iterative"))
}
cases <- list(
  plan_case("examples/bcg/bcg.toml", a, 'escalc(measure = "RR" | "OR", data = dat.bcg); rma(yi, vi, method = ..., test = ..., subset = alloc == level); GRADE absolute effects per 1,000 and OIS at control risk 0.009', bcg_grade),
  plan_case("examples/bkp/bkp.toml", bkp, 'escalc(measure = "PR", xi = c(0, 0, 0), ni = c(32, 128, 22)); rma(yi, vi, method = "DL"); 100 * estimate'))
golden_write("plans", "plan", "closed_form", "tests/golden/plans.R", cases)
