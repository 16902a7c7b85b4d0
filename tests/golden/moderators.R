# Golden values for meta-regression (rema analyze --mods), by R metafor.
#
# Regenerate: `cargo xtask goldens` (or Rscript tests/golden/moderators.R from
# the workspace root). Writes tests/golden/moderators.json in the case format of
# tests/golden/golden.R: one case per fit, `rema analyze --mods ...` of the CSV.
# Data: examples/bcg/bcg.csv (dat.bcg), log risk ratios by escalc(measure = "RR").
# Models: rma(yi, vi, mods = ~ ablat + year + alloc, method, test) and
# rma(yi, vi, mods = ~ ablat, ...), every method x test. PM at control tol 1e-12
# (rema solves the PM equation to machine precision; see core.R).
source("tests/golden/golden.R")
methods <- c("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
tests <- c("z", "knha")

bcg <- read.csv("examples/bcg/bcg.csv")
es <- escalc(measure = "RR", ai = ai, bi = bi, ci = ci, di = di, data = bcg)

fit_mods <- function(formula, mods, method, test) {
  ctrl <- if (method == "PM") list(tol = 1e-12) else list()
  res <- suppressWarnings(rma(yi, vi, mods = formula, data = es, method = method, test = test, control = ctrl))
  list(method = method, test = test,
       names = rownames(res$beta), estimate = num(res$beta), se = num(res$se), stat = num(res$zval),
       pval = num(res$pval), ci_lower = num(res$ci.lb), ci_upper = num(res$ci.ub),
       qm = num(res$QM), qm_pval = num(res$QMp), qe = num(res$QE), qe_pval = num(res$QEp),
       tau2 = num(res$tau2), i2 = num(res$I2), h2 = num(res$H2),
       r2 = if (is.null(res$R2)) NULL else num(res$R2))
}

# The case of one fit: coefficients by position (names included), the
# statistic under its test's name (zval or tval, the other absent).
golden_fit <- function(id, formula_text, mods, f) {
  stat <- if (f$test == "z") "zval" else "tval"
  other <- if (f$test == "z") "tval" else "zval"
  coefs <- list(name = f$names, estimate = f$estimate, se = f$se, pval = f$pval, ci_lower = f$ci_lower, ci_upper = f$ci_upper)
  coefs[[stat]] <- f$stat
  absent <- stats::setNames(rep(list(NA), length(f$names)), sprintf("/coefficients/%d/%s", seq_along(f$names) - 1L, other))
  fitted <- at("", f[c("qm", "qm_pval", "tau2", "i2", "h2", "r2")])
  expect <- c(rows_at("/coefficients", coefs), absent, fitted, at("", f[c("qe", "qe_pval")]))
  # QE does not depend on tau^2.
  iterative <- if (is_iterative(f$method)) setdiff(names(expect), c("/qe", "/qe_pval")) else NULL
  golden_case(paste0(id, "/", f$method, "/", f$test),
              sprintf('rma(yi, vi, mods = %s, data = escalc("RR", dat.bcg), method = "%s", test = "%s")', formula_text, f$method, f$test),
              expect, csv = "examples/bcg/bcg.csv",
              spec = list(measure = "RR", method = f$method, test = f$test, mods = I(mods)),
              tolerance = tolerance_for(iterative, "iterative"))
}

cases <- list()
for (spec in list(list(id = "bcg_ablat_year_alloc", mods = c("ablat", "year", "alloc"), f = ~ ablat + year + alloc),
                  list(id = "bcg_ablat", mods = c("ablat"), f = ~ ablat))) {
  for (m in methods) for (t in tests)
    cases[[length(cases) + 1]] <- golden_fit(spec$id, deparse(spec$f), spec$mods, fit_mods(spec$f, spec$mods, m, t))
}
golden_write("moderators", "analyze", "closed_form", "tests/golden/moderators.R", cases)
