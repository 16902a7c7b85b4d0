# Reference bootstrap distributions (rema analyze --bootstrap), by metafor's
# documented recipe with the boot package ("Bootstrapping with rma()",
# https://www.metafor-project.org/doku.php/tips:bootstrapping_with_ma).
#
# Regenerate: `cargo xtask goldens` (or Rscript tests/golden/bootstrap.R from the
# workspace root; about 15 minutes). Writes tests/golden/bootstrap.json in the case
# format of tests/golden/golden.R: one case per method and type, `rema analyze
# --bootstrap 4000 --seed 2026` of the CSV, compared by distribution.
# Data: examples/bcg/bcg.csv, log risk ratios. R = 10000 replicates each.
#
# The nonparametric statistic refits on dat[indices, ]. A statistic written
# as rma(yi, vi, data = dat, subset = indices) is not a bootstrap in metafor
# 3.8: an integer `subset` selects each study at most once (duplicated indices
# are dropped; rma(..., subset = c(1,1,1,2,...))$k counts distinct studies), so
# it resamples distinct studies. Rows are taken explicitly here.
# Statistics per replicate: the pooled estimate, tau^2, I^2, H^2.
# The recipe (intervals, their Monte Carlo SEs, the case format) is in
# tests/golden/bootstrap_common.R, shared with tests/golden/bootstrap_mods.R.
source("tests/golden/bootstrap_common.R")

cases <- boot_cases(NULL, c(20261127, 20261128), c("estimate", "tau2", "i2", "h2"))
paths <- c(estimate = "/bootstrap/estimate", tau2 = "/bootstrap/tau2", i2 = "/bootstrap/i2", h2 = "/bootstrap/h2")
golden_cases <- boot_golden(cases, paths, "")
golden_write("bootstrap", "analyze", "exact", "tests/golden/bootstrap.R", golden_cases, packages = "boot")
