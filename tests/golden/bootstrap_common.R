# The bootstrap recipe shared by tests/golden/bootstrap.R (the intercept-only
# model) and tests/golden/bootstrap_mods.R (mods = ~ ablat): metafor's
# documented recipe with the boot package ("Bootstrapping with rma()",
# https://www.metafor-project.org/doku.php/tips:bootstrapping_with_ma), on
# examples/bcg/bcg.csv as log risk ratios, R = 10000 replicates.
#
# Nonparametric: the rows are resampled together and refitted; a refit that
# stops (a rank-deficient design) is NA through try(), and a replicate with
# any non-finite statistic is dropped from every statistic.
# Parametric: yi* ~ N(fitted(res), tau2 + vi), design and vi kept.
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
finite_rows <- function(b) apply(b$t, 1, function(r) all(is.finite(r)))
summ <- function(b, idx, type) {
  ok <- finite_rows(b)
  t <- b$t[ok, idx]
  bb <- b; bb$t <- b$t[ok, , drop = FALSE]; bb$R <- sum(ok)
  p <- boot.ci(bb, type = "perc", index = idx)$percent[4:5]
  out <- list(observed = num(b$t0[idx]), mean = mean(t), se = sd(t), replicates = length(t),
              percentile = list(lower = p[1], upper = p[2], mcse_lower = qmcse(t, 0.025), mcse_upper = qmcse(t, 0.975)))
  if (type == "nonparametric") {
    L <- empinf(bb, index = idx, type = "jack")
    ci <- tryCatch(boot.ci(bb, type = "bca", index = idx, L = L)$bca[4:5], error = function(e) NULL)
    if (!is.null(ci)) {
      # The adjusted levels, to attach Monte Carlo SEs to the BCa bounds.
      w <- qnorm(sum(t < b$t0[idx]) / length(t)); a <- sum(L^3) / (6 * sum(L^2)^1.5)
      z <- qnorm(c(0.025, 0.975)); al <- pnorm(w + (w + z) / (1 - a * (w + z)))
      out$bca <- list(lower = ci[1], upper = ci[2], mcse_lower = qmcse(t, al[1]), mcse_upper = qmcse(t, al[2]))
    }
  }
  out
}

# Both bootstraps of rma(yi, vi, mods = mods, method) for DL and REML, the
# nonparametric one under seed seeds[1] and the parametric one under seeds[2].
# Each case holds summ() of every statistic, by the names in `stats`
# (coefficients first, then tau2, i2, h2).
boot_cases <- function(mods, seeds, stats) {
  cases <- list()
  for (method in c("DL", "REML")) {
    # The intercept-only model is fitted without a `mods` argument (rma
    # refuses mods = NULL given through a variable).
    fit <- function(dat) {
      if (is.null(mods)) rma(yi, vi, data = dat, method = method)
      else rma(yi, vi, mods = mods, data = dat, method = method)
    }
    res <- fit(es)
    refit <- function(dat) {
      r <- try(suppressWarnings(fit(dat)), silent = TRUE)
      if (inherits(r, "try-error")) rep(NA_real_, length(stats)) else stat_of(r)
    }
    gen <- function(dat, mle) { dat$yi <- rnorm(nrow(dat), mle$fitted, sqrt(mle$tau2 + dat$vi)); dat }
    for (type in c("nonparametric", "parametric")) {
      if (type == "nonparametric") {
        set.seed(seeds[1])
        b <- boot(es, function(dat, indices) refit(dat[indices, ]), R = R)
      } else {
        set.seed(seeds[2])
        b <- boot(es, refit, R = R, sim = "parametric", ran.gen = gen,
                  mle = list(fitted = num(fitted(res)), tau2 = res$tau2))
      }
      case <- list(method = method, type = type, replicates = R, failed = sum(!finite_rows(b)))
      for (j in seq_along(stats)) case[[stats[j]]] <- summ(b, j, type)
      cases[[length(cases) + 1]] <- case
    }
  }
  cases
}

# The golden cases of `rema analyze --bootstrap 4000 --seed 2026` (against
# boot's 10,000 replicates), compared by distribution: each statistic of
# `cases` at its pointer in `paths` (named as the statistics), with `expect`
# added to every case, the formula `model` in the source, and `spec` the
# analysis options beyond measure, method and bootstrap.
boot_golden <- function(cases, paths, model, spec = list(), expect = list()) {
  golden_cases <- list()
  for (c in cases) {
    e_all <- c(list(`/bootstrap/replicates` = 4000, `/bootstrap/seed` = 2026, `/bootstrap/type` = c$type), expect)
    tol <- list()
    for (stat in names(paths)) {
      e <- boot_expect(paths[[stat]], c[[stat]])
      e_all <- c(e_all, e$expect); tol <- c(tol, e$tolerance)
    }
    golden_cases[[length(golden_cases) + 1]] <- golden_case(
      paste0(c$method, "/", c$type),
      sprintf('boot(escalc("RR", dat.bcg), function(d, i) rma(yi, vi, %sdata = d[i, ], method = "%s"), R = %d, sim = "%s"); boot.ci(type = c("perc", "bca"), L = empinf(type = "jack"))',
              model, c$method, c$replicates, if (c$type == "nonparametric") "ordinary" else "parametric"),
      e_all, csv = "examples/bcg/bcg.csv",
      spec = c(list(measure = "RR", method = c$method), spec,
               list(bootstrap = 4000, bootstrap_type = c$type, seed = 2026)),
      tolerance = tol)
  }
  golden_cases
}
