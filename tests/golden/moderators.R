# Golden values for meta-regression (rema analyze --mods), by R metafor.
#
# Regenerate: Rscript tests/golden/moderators.R   (from the workspace root)
# Data: examples/bcg/bcg.csv (dat.bcg), log risk ratios by escalc(measure = "RR").
# Models: rma(yi, vi, mods = ~ ablat + year + alloc, method, test) and
# rma(yi, vi, mods = ~ ablat, ...), every method x test. PM at control tol 1e-12
# (rema solves the PM equation to machine precision; see core.R).
suppressPackageStartupMessages({ library(metafor); library(jsonlite) })
methods <- c("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
tests <- c("z", "knha")
num <- function(x) unname(as.numeric(x))

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

cases <- list()
for (spec in list(list(id = "bcg_ablat_year_alloc", mods = c("ablat", "year", "alloc"), f = ~ ablat + year + alloc),
                  list(id = "bcg_ablat", mods = c("ablat"), f = ~ ablat))) {
  fits <- list()
  for (m in methods) for (t in tests) fits[[length(fits) + 1]] <- fit_mods(spec$f, spec$mods, m, t)
  cases[[length(cases) + 1]] <- list(id = spec$id, csv = "examples/bcg/bcg.csv", measure = "RR", mods = as.list(spec$mods), fits = fits)
}

golden <- list(generator = list(script = "tests/golden/moderators.R", r = R.version.string,
                                metafor = as.character(packageVersion("metafor"))), cases = cases)
writeLines(toJSON(golden, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE), "tests/golden/moderators.json")
cat("wrote tests/golden/moderators.json\n")
