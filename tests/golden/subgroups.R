# Golden values for subgroup analysis (rema analyze --by, --tau2-common), by R metafor.
#
# Regenerate: `cargo xtask goldens` (or Rscript tests/golden/subgroups.R from
# the workspace root). Writes tests/golden/subgroups.json in the case format of
# tests/golden/golden.R: one case per fit, `rema analyze --by alloc
# [--tau2-common]` of the CSV.
# Data: examples/bcg/bcg.csv, log risk ratios, subgroups by `alloc`
# (levels alternate, random, systematic; k = 2, 7, 4).
# - separate tau^2: rma(yi, vi, subset = alloc == level, method, test) per level;
# - common tau^2: rma(yi, vi, mods = ~ factor(alloc) - 1, method, test);
# - Q_between: rma(estimates, sei = ses, method = "FE")$QE, as RevMan and meta.
source("tests/golden/golden.R")
methods <- c("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
tests <- c("z", "knha")
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

cases <- list()
for (f in fits) for (common in c(FALSE, TRUE)) {
  ex <- if (common) f$common else f$separate
  cols <- c("level", "k", "estimate", "se", "stat", "pval", "ci_lower", "ci_upper", "tau2", "i2", "h2",
            "pi_lower", "pi_upper", "q", "q_pval")
  expect <- list()
  for (j in seq_along(ex$levels)) expect <- c(expect, at(sprintf("/subgroups/%d", j - 1L), ex$levels[[j]][intersect(cols, names(ex$levels[[j]]))]))
  expect <- c(expect, at("", list(q_between = ex$q_between, q_between_pval = ex$q_between_pval)))
  if (common) expect[["/tau2_common"]] <- ex$tau2 else expect[["/q_between_df"]] <- ex$q_between_df
  # Q within a subgroup does not depend on tau^2; the rest follows the method.
  closed <- grepl("/(q|q_pval|k|level|q_between_df)$", names(expect))
  id <- sprintf("alloc/%s/%s/%s", f$method, f$test, if (common) "common" else "separate")
  src <- if (common) sprintf('rma(yi, vi, mods = ~ factor(alloc) - 1, method = "%s", test = "%s"); Q_between: rma(beta, sei = se, method = "FE")$QE', f$method, f$test) else
    sprintf('rma(yi, vi, subset = alloc == level, method = "%s", test = "%s") per level; Q_between: rma(estimates, sei = ses, method = "FE")$QE', f$method, f$test)
  spec <- list(measure = "RR", method = f$method, test = f$test, by = "alloc", tau2_common = common)
  tol <- tolerance_for(if (is_iterative(f$method)) names(expect)[!closed], "iterative")
  cases[[length(cases) + 1]] <- golden_case(id, src, expect, csv = "examples/bcg/bcg.csv", spec = spec, tolerance = tol)
  # Under z, Q_between of the common-tau^2 estimates is the QM test of ~ factor(alloc).
  if (common && f$test == "z") {
    cases[[length(cases) + 1]] <- golden_case(paste0(id, "/qm_factor"),
      sprintf('rma(yi, vi, mods = ~ factor(alloc), method = "%s")$QM', f$method),
      list(`/q_between` = ex$qm_factor), csv = "examples/bcg/bcg.csv", spec = spec,
      tolerance = tolerance_for(if (is_iterative(f$method)) "/q_between", "iterative"))
  }
}
# Methods MH and PETO by `alloc` (RevMan 5): each subgroup pooled by the method, rma.mh() or rma.peto() of
# its tables (with `random`, RevMan's "M-H, Random" of them: tables_fit() in golden.R). metafor has no
# single function for the test for subgroup differences: it is computed here as RevMan defines it, the
# inverse-variance Q between the subgroup estimates, rma(yi = estimates, sei = SEs, method = "FE")$QE
# on m - 1 df, and its I^2 = max(0, (Q - df)/Q) in percent.
for (mm in list(c("MH", "OR", "fixed"), c("MH", "RR", "fixed"), c("MH", "RD", "fixed"), c("MH", "OR", "random"),
                c("MH", "RD", "random"), c("PETO", "OR", "fixed"))) {
  random <- mm[3] == "random"
  lv <- lapply(levels_, function(l) c(list(level = l), tables_fit(bcg[bcg$alloc == l, ], mm[1], mm[2], random)))
  qb <- rma(sapply(lv, `[[`, "estimate"), sei = sapply(lv, `[[`, "se"), method = "FE")
  df <- qb$k - 1
  expect <- list()
  for (j in seq_along(lv)) expect <- c(expect, at(sprintf("/subgroups/%d", j - 1L), lv[[j]]))
  expect <- c(expect, at("", list(q_between = num(qb$QE), q_between_df = df, q_between_pval = num(qb$QEp))),
              list(`/pooling/i2_between` = max(0, (qb$QE - df) / qb$QE) * 100))
  call <- if (mm[1] == "PETO") "rma.peto(ai, bi, ci, di, subset = alloc == level)" else
    sprintf('rma.mh(ai, bi, ci, di, measure = "%s", subset = alloc == level)', mm[2])
  cases[[length(cases) + 1]] <- golden_case(
    sprintf("alloc/%s/%s/%s", mm[1], mm[2], mm[3]),
    sprintf('%s per level%s; Q_between: rma(estimates, sei = ses, method = "FE")$QE', call,
            if (random) ", then RevMan's M-H random effects (golden.R revman_random)" else ""),
    expect, csv = "examples/bcg/bcg.csv",
    spec = list(measure = mm[2], method = mm[1], by = "alloc", random = if (random) TRUE else NULL))
}

golden_write("subgroups", "analyze", "closed_form", "tests/golden/subgroups.R", cases)
