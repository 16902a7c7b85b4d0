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
# Intervals: boot.ci(type = "perc") and boot.ci(type = "bca") with jackknife
# influence values, L = empinf(type = "jack") (boot's default estimates them by
# regression on the replicates; rema uses the jackknife, so the reference does
# too). BCa is not defined for the parametric bootstrap.
# Monte Carlo SE of each bound: the order statistics at R q +- 1.96 sqrt(R q (1 - q))
# (half the distance, over 1.96), the same rule rema reports.
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
summ <- function(b, idx, type, adj = NULL) {
  t <- b$t[, idx]; t <- t[is.finite(t)]
  p <- boot.ci(b, type = "perc", index = idx)$percent[4:5]
  out <- list(observed = num(b$t0[idx]), mean = mean(t), se = sd(t), replicates = length(t),
              percentile = list(lower = p[1], upper = p[2], mcse_lower = qmcse(t, 0.025), mcse_upper = qmcse(t, 0.975)))
  if (type == "nonparametric") {
    L <- empinf(b, index = idx, type = "jack")
    ci <- tryCatch(boot.ci(b, type = "bca", index = idx, L = L)$bca[4:5], error = function(e) NULL)
    if (!is.null(ci)) {
      # The adjusted levels, to attach Monte Carlo SEs to the BCa bounds.
      w <- qnorm(sum(t < b$t0[idx]) / length(t)); a <- sum(L^3) / (6 * sum(L^2)^1.5)
      z <- qnorm(c(0.025, 0.975)); al <- pnorm(w + (w + z) / (1 - a * (w + z)))
      out$bca <- list(lower = ci[1], upper = ci[2], mcse_lower = qmcse(t, al[1]), mcse_upper = qmcse(t, al[2]))
    }
  }
  out
}

cases <- list()
for (method in c("DL", "REML")) {
  res <- rma(yi, vi, data = es, method = method)
  f_np <- function(dat, indices) {
    r <- try(suppressWarnings(rma(yi, vi, data = dat[indices, ], method = method)), silent = TRUE)
    if (inherits(r, "try-error")) rep(NA_real_, 4) else stat_of(r)
  }
  set.seed(20261127)
  b <- boot(es, f_np, R = R)
  cases[[length(cases) + 1]] <- list(method = method, type = "nonparametric", replicates = R,
    estimate = summ(b, 1, "nonparametric"), tau2 = summ(b, 2, "nonparametric"),
    i2 = summ(b, 3, "nonparametric"), h2 = summ(b, 4, "nonparametric"))
  f_p <- function(dat) {
    r <- try(suppressWarnings(rma(yi, vi, data = dat, method = method)), silent = TRUE)
    if (inherits(r, "try-error")) rep(NA_real_, 4) else stat_of(r)
  }
  gen <- function(dat, mle) data.frame(yi = rnorm(nrow(dat), mle$mu, sqrt(mle$tau2 + dat$vi)), vi = dat$vi)
  set.seed(20261128)
  b <- boot(es, f_p, R = R, sim = "parametric", ran.gen = gen, mle = list(mu = coef(res), tau2 = res$tau2))
  cases[[length(cases) + 1]] <- list(method = method, type = "parametric", replicates = R,
    estimate = summ(b, 1, "parametric"), tau2 = summ(b, 2, "parametric"),
    i2 = summ(b, 3, "parametric"), h2 = summ(b, 4, "parametric"))
}
# rema runs 4,000 replicates (seed 2026) against boot's 10,000.
golden_cases <- list()
for (c in cases) {
  expect <- list(`/bootstrap/replicates` = 4000, `/bootstrap/seed` = 2026, `/bootstrap/type` = c$type); tol <- list()
  for (stat in names(c(estimate = "/bootstrap/estimate", tau2 = "/bootstrap/tau2", i2 = "/bootstrap/i2", h2 = "/bootstrap/h2"))) {
    e <- boot_expect(c(estimate = "/bootstrap/estimate", tau2 = "/bootstrap/tau2", i2 = "/bootstrap/i2", h2 = "/bootstrap/h2")[[stat]], c[[stat]])
    expect <- c(expect, e$expect); tol <- c(tol, e$tolerance)
  }
  golden_cases[[length(golden_cases) + 1]] <- golden_case(
    paste0(c$method, "/", c$type),
    sprintf('boot(escalc("RR", dat.bcg), function(d, i) rma(yi, vi, data = d[i, ], method = "%s"), R = %d, sim = "%s"); boot.ci(type = c("perc", "bca"), L = empinf(type = "jack"))',
            c$method, c$replicates, if (c$type == "nonparametric") "ordinary" else "parametric"),
    expect, csv = "examples/bcg/bcg.csv",
    spec = list(measure = "RR", method = c$method, bootstrap = 4000, bootstrap_type = c$type, seed = 2026),
    tolerance = tol)
}
golden_write("bootstrap", "analyze", "exact", "tests/golden/bootstrap.R", golden_cases, packages = "boot")
