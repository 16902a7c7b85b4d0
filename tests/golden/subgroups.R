# Golden values for subgroup analysis (rema analyze --by, --tau2-common), by R metafor.
#
# Regenerate: Rscript tests/golden/subgroups.R   (from the workspace root)
# Data: examples/bcg/bcg.csv, log risk ratios, subgroups by `alloc`
# (levels alternate, random, systematic; k = 2, 7, 4).
# - separate tau^2: rma(yi, vi, subset = alloc == level, method, test) per level;
# - common tau^2: rma(yi, vi, mods = ~ factor(alloc) - 1, method, test);
# - Q_between: rma(estimates, sei = ses, method = "FE")$QE, as RevMan and meta.
suppressPackageStartupMessages({ library(metafor); library(jsonlite) })
methods <- c("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
tests <- c("z", "knha")
num <- function(x) unname(as.numeric(x))
bcg <- read.csv("examples/bcg/bcg.csv")
es <- escalc(measure = "RR", ai = ai, bi = bi, ci = ci, di = di, data = bcg)
levels_ <- levels(factor(es$alloc))

level_fields <- function(res, k) {
  pr <- predict(res)
  list(k = k, estimate = num(res$beta[1]), se = num(res$se[1]), stat = num(res$zval[1]), pval = num(res$pval[1]),
       ci_lower = num(res$ci.lb[1]), ci_upper = num(res$ci.ub[1]), tau2 = num(res$tau2),
       i2 = num(res$I2), h2 = num(res$H2), q = num(res$QE), q_pval = num(res$QEp),
       pi_lower = num(pr$pi.lb), pi_upper = num(pr$pi.ub))
}

fits <- list()
for (m in methods) for (t in tests) {
  ctrl <- if (m == "PM") list(tol = 1e-12) else list()
  # Separate tau^2.
  sep <- lapply(levels_, function(l) {
    res <- suppressWarnings(rma(yi, vi, data = es, subset = alloc == l, method = m, test = t, control = ctrl))
    c(list(level = l), level_fields(res, res$k))
  })
  qb <- rma(sapply(sep, `[[`, "estimate"), sei = sapply(sep, `[[`, "se"), method = "FE")
  # Common tau^2.
  mod <- suppressWarnings(rma(yi, vi, mods = ~ factor(alloc) - 1, data = es, method = m, test = t, control = ctrl))
  com <- lapply(seq_along(levels_), function(j) {
    fe <- rma(yi, vi, data = es, subset = alloc == levels_[j], method = "FE")
    list(level = levels_[j], k = fe$k, estimate = num(mod$beta[j]), se = num(mod$se[j]), stat = num(mod$zval[j]),
         pval = num(mod$pval[j]), ci_lower = num(mod$ci.lb[j]), ci_upper = num(mod$ci.ub[j]),
         tau2 = num(mod$tau2), q = num(fe$QE), q_pval = num(fe$QEp))
  })
  qbc <- rma(num(mod$beta), sei = num(mod$se), method = "FE")
  fits[[length(fits) + 1]] <- list(method = m, test = t,
    separate = list(levels = sep, q_between = num(qb$QE), q_between_df = num(qb$k - 1), q_between_pval = num(qb$QEp)),
    common = list(levels = com, tau2 = num(mod$tau2), q_between = num(qbc$QE), q_between_pval = num(qbc$QEp),
                  qm_factor = num(suppressWarnings(rma(yi, vi, mods = ~ factor(alloc), data = es, method = m, control = ctrl))$QM)))
}
golden <- list(generator = list(script = "tests/golden/subgroups.R", r = R.version.string,
                                metafor = as.character(packageVersion("metafor"))),
               csv = "examples/bcg/bcg.csv", measure = "RR", by = "alloc", fits = fits)
writeLines(toJSON(golden, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE), "tests/golden/subgroups.json")
cat("wrote tests/golden/subgroups.json\n")
