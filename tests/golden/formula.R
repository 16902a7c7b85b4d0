# Golden values for moderator formulas (rema analyze --mods "~ ...") and the
# univariate extras (fitstats, se.tau2, confint(type = "PL"), predict with
# newmods, fitted, rstandard, blup), by R metafor.
#
# Regenerate: `cargo xtask goldens formula` (or Rscript tests/golden/formula.R
# from the workspace root). Writes tests/golden/formula.json in the case
# format of tests/golden/golden.R: one case per fit, `rema analyze` of a CSV
# with the formula as `mods`.
# Data: examples/bcg/bcg.csv (dat.bcg, log risk ratios by escalc("RR")),
# dat.raudenbush1985 (yi, vi as given), dat.molloy2014 (ZCOR from ri, ni),
# the last two written to tests/golden/data/. PL intervals at control tol
# 1e-12 (rema finds the bounds to machine precision; metafor's default
# tolerance is 1.2e-4). The fit statistics are the REML column for REML
# fits and the ML column otherwise, as metafor's fitstats() prints them.
source("tests/golden/golden.R")
library(metadat)

bcg <- read.csv("examples/bcg/bcg.csv")
bcg_es <- escalc(measure = "RR", ai = ai, bi = bi, ci = ci, di = di, data = bcg)

raud <- dat.raudenbush1985
raud_csv <- file.path(golden_out, "data", "formula_raudenbush1985.csv")
write.csv(data.frame(study = raud$study, yi = as.numeric(raud$yi), vi = as.numeric(raud$vi),
                     weeks = raud$weeks, setting = raud$setting, tester = raud$tester),
          raud_csv, row.names = FALSE)
raud_es <- read.csv(raud_csv)

mol <- dat.molloy2014
mol_csv <- file.path(golden_out, "data", "formula_molloy2014.csv")
write.csv(data.frame(study = paste(mol$authors, mol$year), ri = mol$ri, ni = mol$ni,
                     meanage = mol$meanage, quality = mol$quality, design = mol$design),
          mol_csv, row.names = FALSE)
mol_es <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = read.csv(mol_csv))

# One case: coefficients, QM, tau^2, fit statistics, se.tau2, the PL
# interval, newmods predictions and the per-study fitted values, rstandard
# and BLUPs.
golden_formula <- function(id, data, csv, measure, formula_text, method, newmods = NULL, newx = NULL) {
  f <- as.formula(formula_text)
  res <- rma(yi, vi, mods = f, data = data, method = method)
  fs <- fitstats(res)[, if (method == "REML") "REML" else "ML"]
  coefs <- list(name = rownames(res$beta), estimate = num(res$beta), se = num(res$se),
                zval = num(res$zval), pval = num(res$pval), ci_lower = num(res$ci.lb), ci_upper = num(res$ci.ub))
  expect <- c(rows_at("/coefficients", coefs),
              at("", list(qm = num(res$QM), qm_pval = num(res$QMp), tau2 = num(res$tau2))),
              at("/model/fit_stats", list(log_lik = fs[[1]], deviance = fs[[2]], aic = fs[[3]], bic = fs[[4]], aicc = fs[[5]],
                                          parameters = res$parms)),
              list("/model/fit_stats/likelihood" = if (method == "REML") "REML" else "ML"),
              at("/model", list(se_tau2 = num(res$se.tau2))))
  if (method != "FE") {
    pl <- confint(res, type = "PL", control = list(tol = 1e-12))$random
    expect <- c(expect, at("/model/tau2_pl", list(tau2_lower = pl["tau^2", "ci.lb"], tau2_upper = pl["tau^2", "ci.ub"],
                                                  i2_lower = pl["I^2(%)", "ci.lb"], i2_upper = pl["I^2(%)", "ci.ub"],
                                                  h2_lower = pl["H^2", "ci.lb"], h2_upper = pl["H^2", "ci.ub"])))
  }
  rs <- rstandard(res)
  bl <- blup(res)
  expect <- c(expect, rows_at("/model/studies", list(fitted = as.numeric(fitted(res)), resid = rs$resid,
                                                   resid_se = rs$se, resid_z = rs$z, blup = bl$pred, blup_se = bl$se,
                                                   blup_pi_lower = bl$pi.lb, blup_pi_upper = bl$pi.ub)))
  if (!is.null(newx)) {
    pr <- predict(res, newmods = newx)
    expect <- c(expect, rows_at("/model/newmods", list(pred = pr$pred, se = pr$se, ci_lower = pr$ci.lb, ci_upper = pr$ci.ub,
                                                     pi_lower = pr$pi.lb, pi_upper = pr$pi.ub)))
  }
  exact <- c("/model/fit_stats/parameters", "/model/fit_stats/likelihood", grep("/name$", names(expect), value = TRUE))
  numeric <- setdiff(names(expect), exact)
  tol <- c(tolerance_for(exact, "exact"), if (is_iterative(method)) tolerance_for(numeric, "iterative") else NULL)
  golden_case(paste0(id, " ", formula_text, "/", method),
              sprintf('rma(yi, vi, mods = %s, data = %s, method = "%s")', formula_text, id, method),
              expect, csv = csv,
              spec = list(measure = measure, method = method, mods = formula_text, newmods = newmods),
              tolerance = tol)
}

cases <- list()
add <- function(...) cases[[length(cases) + 1]] <<- golden_formula(...)
bcg_csv <- "examples/bcg/bcg.csv"
for (m in c("REML", "ML", "DL"))
  add("bcg", bcg_es, bcg_csv, "RR", "~ ablat + factor(alloc)", m,
      newmods = "ablat=10,30,50; alloc=random", newx = cbind(c(10, 30, 50), 1, 0))
for (m in c("REML", "ML"))
  add("bcg", bcg_es, bcg_csv, "RR", "~ ablat*year", m,
      newmods = "ablat=20,40; year=1950,1970", newx = cbind(c(20, 40), c(1950, 1970), c(20 * 1950, 40 * 1970)))
add("bcg", bcg_es, bcg_csv, "RR", "~ 0 + factor(alloc)", "REML")
add("bcg", bcg_es, bcg_csv, "RR", "~ I(ablat^2) + relevel(factor(alloc), ref = \"random\")", "REML")
add("bcg", bcg_es, bcg_csv, "RR", "~ ablat:factor(alloc)", "FE")
csv_rel <- function(path) sub(paste0("^", golden_out, "/"), "tests/golden/", path)
for (m in c("REML", "ML"))
  add("raudenbush1985", raud_es, csv_rel(raud_csv), "GEN", "~ log(weeks + 1) + factor(tester)", m,
      newmods = "weeks=0,5; tester=aware", newx = cbind(log(c(0, 5) + 1), 0))
add("raudenbush1985", raud_es, csv_rel(raud_csv), "GEN", "~ weeks + I(weeks^2)", "REML")
for (m in c("REML", "ML"))
  add("molloy2014", mol_es, csv_rel(mol_csv), "ZCOR", "~ meanage + factor(quality)", m)
golden_write("formula", "analyze", "closed_form", "tests/golden/formula.R", cases)
