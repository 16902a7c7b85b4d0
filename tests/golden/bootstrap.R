# Reference bootstrap distributions (rema analyze --bootstrap), by metafor's
# documented recipe with the boot package ("Bootstrapping with rma()",
# https://www.metafor-project.org/doku.php/tips:bootstrapping_with_ma).
#
# Regenerate: Rscript tests/golden/bootstrap.R   (from the workspace root; a few minutes)
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
suppressPackageStartupMessages({ library(metafor); library(boot); library(jsonlite) })
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
golden <- list(generator = list(script = "tests/golden/bootstrap.R", r = R.version.string,
                                metafor = as.character(packageVersion("metafor")),
                                boot = as.character(packageVersion("boot"))),
               csv = "examples/bcg/bcg.csv", measure = "RR", cases = cases)
writeLines(toJSON(golden, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE), "tests/golden/bootstrap.json")
cat("wrote tests/golden/bootstrap.json\n")
