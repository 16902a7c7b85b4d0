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
# Intervals: boot.ci(type = "perc") and boot.ci(type = "bca") with jackknife
# influence values, L = empinf(type = "jack"), as rema computes them.
source("tests/golden/golden.R")
suppressPackageStartupMessages(library(boot))
num <- function(x) unname(as.numeric(x))
bcg <- read.csv("examples/bcg/bcg.csv")
es <- escalc(measure = "RR", ai = ai, bi = bi, ci = ci, di = di, data = bcg)
R <- 10000

stat_of <- function(res) c(coef(res), res$tau2, res$I2, res$H2)
qmcse <- function(t, q) {
  t <- sort(t[is.finite(t)]); n <- length(t); h <- 1.96 * sqrt(n * q * (1 - q))
  i <- function(x) min(max(round(x), 1), n)
  (t[i(n * q + h)] - t[i(n * q - h)]) / (2 * 1.96)
}
summ <- function(b, idx, type) {
  ok <- apply(b$t, 1, function(r) all(is.finite(r)))
  t <- b$t[ok, idx]
  bb <- b; bb$t <- b$t[ok, , drop = FALSE]; bb$R <- sum(ok)
  p <- boot.ci(bb, type = "perc", index = idx)$percent[4:5]
  out <- list(observed = num(b$t0[idx]), mean = mean(t), se = sd(t), replicates = length(t),
              percentile = list(lower = p[1], upper = p[2], mcse_lower = qmcse(t, 0.025), mcse_upper = qmcse(t, 0.975)))
  if (type == "nonparametric") {
    L <- empinf(bb, index = idx, type = "jack")
    ci <- tryCatch(boot.ci(bb, type = "bca", index = idx, L = L)$bca[4:5], error = function(e) NULL)
    if (!is.null(ci)) {
      w <- qnorm(sum(t < b$t0[idx]) / length(t)); a <- sum(L^3) / (6 * sum(L^2)^1.5)
      z <- qnorm(c(0.025, 0.975)); al <- pnorm(w + (w + z) / (1 - a * (w + z)))
      out$bca <- list(lower = ci[1], upper = ci[2], mcse_lower = qmcse(t, al[1]), mcse_upper = qmcse(t, al[2]))
    }
  }
  out
}
names5 <- c("intrcpt", "ablat", "tau2", "i2", "h2")

cases <- list()
for (method in c("DL", "REML")) {
  res <- rma(yi, vi, mods = ~ ablat, data = es, method = method)
  f_np <- function(dat, indices) {
    r <- try(suppressWarnings(rma(yi, vi, mods = ~ ablat, data = dat[indices, ], method = method)), silent = TRUE)
    if (inherits(r, "try-error")) rep(NA_real_, 5) else stat_of(r)
  }
  set.seed(20261129)
  b <- boot(es, f_np, R = R)
  case <- list(method = method, type = "nonparametric", replicates = R, failed = sum(!apply(b$t, 1, function(r) all(is.finite(r)))))
  for (j in 1:5) case[[names5[j]]] <- summ(b, j, "nonparametric")
  cases[[length(cases) + 1]] <- case
  f_p <- function(dat) {
    r <- try(suppressWarnings(rma(yi, vi, mods = ~ ablat, data = dat, method = method)), silent = TRUE)
    if (inherits(r, "try-error")) rep(NA_real_, 5) else stat_of(r)
  }
  gen <- function(dat, mle) { dat$yi <- rnorm(nrow(dat), mle$fitted, sqrt(mle$tau2 + dat$vi)); dat }
  set.seed(20261130)
  b <- boot(es, f_p, R = R, sim = "parametric", ran.gen = gen,
            mle = list(fitted = num(fitted(res)), tau2 = res$tau2))
  case <- list(method = method, type = "parametric", replicates = R, failed = sum(!apply(b$t, 1, function(r) all(is.finite(r)))))
  for (j in 1:5) case[[names5[j]]] <- summ(b, j, "parametric")
  cases[[length(cases) + 1]] <- case
}
# rema runs 4,000 replicates (seed 2026) against boot's 10,000.
golden_cases <- list()
for (c in cases) {
  expect <- list(`/bootstrap/replicates` = 4000, `/bootstrap/seed` = 2026, `/bootstrap/type` = c$type); tol <- list()
  expect[["/bootstrap/coefficients/0/name"]] <- "intrcpt"; expect[["/bootstrap/coefficients/1/name"]] <- "ablat"
  for (stat in names(c(intrcpt = "/bootstrap/coefficients/0", ablat = "/bootstrap/coefficients/1", tau2 = "/bootstrap/tau2", i2 = "/bootstrap/i2", h2 = "/bootstrap/h2"))) {
    e <- boot_expect(c(intrcpt = "/bootstrap/coefficients/0", ablat = "/bootstrap/coefficients/1", tau2 = "/bootstrap/tau2", i2 = "/bootstrap/i2", h2 = "/bootstrap/h2")[[stat]], c[[stat]])
    expect <- c(expect, e$expect); tol <- c(tol, e$tolerance)
  }
  golden_cases[[length(golden_cases) + 1]] <- golden_case(
    paste0(c$method, "/", c$type),
    sprintf('boot(escalc("RR", dat.bcg), function(d, i) rma(yi, vi, mods = ~ ablat, data = d[i, ], method = "%s"), R = %d, sim = "%s"); boot.ci(type = c("perc", "bca"), L = empinf(type = "jack"))',
            c$method, c$replicates, if (c$type == "nonparametric") "ordinary" else "parametric"),
    expect, csv = "examples/bcg/bcg.csv",
    spec = list(measure = "RR", method = c$method, mods = I("ablat"), bootstrap = 4000, bootstrap_type = c$type, seed = 2026),
    tolerance = tol)
}
golden_write("bootstrap_mods", "analyze", "exact", "tests/golden/bootstrap_mods.R", golden_cases, packages = "boot")
