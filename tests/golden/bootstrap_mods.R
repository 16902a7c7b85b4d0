# Reference bootstrap distributions of a meta-regression
# (rema analyze --mods ablat --bootstrap), by metafor's documented recipe with
# the boot package, as tests/golden/bootstrap.R does for the intercept-only
# model.
#
# Regenerate: `cargo xtask goldens` (or Rscript tests/golden/bootstrap_mods.R from the
# workspace root; about 15 minutes). Writes tests/golden/bootstrap_mods.json in the case
# format of tests/golden/golden.R: one case per method and type, `rema analyze
# --bootstrap 4000 --seed 2026` of the CSV, compared by distribution.
# Data: examples/bcg/bcg.csv, log risk ratios, mods = ~ ablat. R = 10000 replicates each.
#
# Nonparametric: the rows (yi, vi, ablat) are resampled together,
#   boot(dat, function(d, i) { r <- rma(yi, vi, mods = ~ ablat, data = d[i, ]); c(coef(r), r$tau2, r$I2, r$H2) })
# a resample whose design is rank deficient (all drawn studies at one
# latitude) makes rma stop; try() turns it into NA and boot.ci drops it.
# Parametric: yi* ~ N(fitted(res), tau2 + vi), design and vi kept.
# Statistics per replicate: intercept, slope, tau^2, I^2, H^2.
# The recipe (intervals, their Monte Carlo SEs, the case format) is in
# tests/golden/bootstrap_common.R, shared with tests/golden/bootstrap.R.
source("tests/golden/bootstrap_common.R")

cases <- boot_cases(~ ablat, c(20261129, 20261130), c("intrcpt", "ablat", "tau2", "i2", "h2"))
paths <- c(intrcpt = "/bootstrap/coefficients/0", ablat = "/bootstrap/coefficients/1",
           tau2 = "/bootstrap/tau2", i2 = "/bootstrap/i2", h2 = "/bootstrap/h2")
golden_cases <- boot_golden(cases, paths, "mods = ~ ablat, ", spec = list(mods = I("ablat")),
                            expect = list(`/bootstrap/coefficients/0/name` = "intrcpt",
                                          `/bootstrap/coefficients/1/name` = "ablat"))
golden_write("bootstrap_mods", "analyze", "exact", "tests/golden/bootstrap_mods.R", golden_cases, packages = "boot")
