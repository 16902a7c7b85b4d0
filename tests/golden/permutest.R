# Golden values for exact permutation tests (rema analyze --permutations exact),
# by R metafor permutest(exact = TRUE). Exact p-values are ratios of counts, so
# rema must reproduce them exactly (up to floating-point noise in the ratio).
#
# Regenerate: `cargo xtask goldens` (or Rscript tests/golden/permutest.R from the
# workspace root; about 5 minutes). Writes tests/golden/permutest.json in the case
# format of tests/golden/golden.R: one case per fit, `rema analyze
# --permutations exact` of the CSV.
# - dat.hine1989, risk differences (metafor's test_misc_permutest.r): the
#   random-effects model, exact p = 0.0625 with k = 6 (2^6 sign flips), every
#   method x test; and the mixed-effects model with metafor's fake moderator
#   mod = c(3,1,2,2,4,5) (6!/2! = 360 distinct row permutations: two tied rows),
#   every method x test.
# - dat.bcg, log risk ratios: rma(mods = ~ alloc) by REML, 13!/(2!7!4!) = 25740
#   distinct arrangements of the tied rows; and the intercept-only DL model
#   (2^13 = 8192 sign flips).
source("tests/golden/golden.R")
methods <- c("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
tests <- c("z", "knha")

hine <- dat.hine1989
hine_csv <- data.frame(study = paste(hine$study, hine$source), ai = hine$ai, n1i = hine$n1i, ci = hine$ci, n2i = hine$n2i,
                       mod = c(3, 1, 2, 2, 4, 5))
write.csv(hine_csv, file.path(golden_out, "data", "hine1989.csv"), row.names = FALSE)
hine_es <- escalc(measure = "RD", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = hine_csv)
bcg <- read.csv("examples/bcg/bcg.csv")
bcg_es <- escalc(measure = "RR", ai = ai, bi = bi, ci = ci, di = di, data = bcg)

run <- function(es, mods, method, test, iterations) {
  ctrl <- if (method == "PM") list(tol = 1e-12) else list()
  res <- if (is.null(mods)) suppressWarnings(rma(yi, vi, data = es, method = method, test = test, control = ctrl))
         else suppressWarnings(rma(yi, vi, mods = as.formula(paste("~", paste(mods, collapse = "+"))), data = es,
                                   method = method, test = test, control = ctrl))
  sav <- suppressWarnings(permutest(res, exact = TRUE, progbar = FALSE))
  list(method = method, test = test, iterations = iterations, pval = num(sav$pval), qm_pval = num(sav$QMp),
       pval_model = num(res$pval), qm = num(res$QM))
}

cases <- list()
fits <- list(); for (m in methods) for (t in tests) fits[[length(fits) + 1]] <- run(hine_es, NULL, m, t, 64)
cases[[length(cases) + 1]] <- list(id = "hine1989_RD_intercept", csv = "tests/golden/data/hine1989.csv", measure = "RD",
                                   mods = list(), fits = fits)
fits <- list(); for (m in methods) for (t in tests) fits[[length(fits) + 1]] <- run(hine_es, "mod", m, t, 360)
cases[[length(cases) + 1]] <- list(id = "hine1989_RD_mod", csv = "tests/golden/data/hine1989.csv", measure = "RD",
                                   mods = list("mod"), fits = fits)
cases[[length(cases) + 1]] <- list(id = "bcg_RR_alloc", csv = "examples/bcg/bcg.csv", measure = "RR", mods = list("alloc"),
                                   fits = list(run(bcg_es, "alloc", "REML", "z", 25740)))
cases[[length(cases) + 1]] <- list(id = "bcg_RR_intercept", csv = "examples/bcg/bcg.csv", measure = "RR", mods = list(),
                                   fits = list(run(bcg_es, NULL, "DL", "z", 8192)))

golden_cases <- list()
for (c in cases) for (f in c$fits) {
  p <- if (length(c$mods) == 0) list(`/pval_perm` = f$pval) else
    stats::setNames(as.list(f$pval), sprintf("/coefficients/%d/pval_perm", seq_along(f$pval) - 1L))
  expect <- c(list(`/permutation/exact` = TRUE, `/permutation/iterations` = f$iterations), p,
              list(`/permutation/qm_pval` = f$qm_pval))
  mods <- if (length(c$mods)) paste0("mods = ~ ", paste(unlist(c$mods), collapse = " + "), ", ") else ""
  golden_cases[[length(golden_cases) + 1]] <- golden_case(
    paste0(c$id, "/", f$method, "/", f$test),
    sprintf('permutest(rma(yi, vi, %smethod = "%s", test = "%s"), exact = TRUE)', mods, f$method, f$test),
    expect, csv = c$csv,
    spec = list(measure = c$measure, method = f$method, test = f$test, mods = if (length(c$mods)) I(unlist(c$mods)), permutations = "exact", seed = 1),
    tolerance = tolerance_for(c("/permutation/exact", "/permutation/iterations"), "exact"))
}
golden_write("permutest", "analyze", "ratio_of_counts", "tests/golden/permutest.R", golden_cases)
