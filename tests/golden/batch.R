# rema batch: metafor 3.8-1 rma() and predict() on each of 40 generated
# meta-analyses of a long table, every tau^2 estimator with the z test and
# DL, REML with Knapp-Hartung. Writes the table to
# tests/data/batch/long.csv (columns group, study, yi, vi; 17 significant
# digits, read back before fitting so R fits the numbers rema reads) and
# tests/golden/batch.json, read by crates/rema-arrow/tests/golden_batch.rs:
#   {"generator", "cases": [{"method", "test", "level", "pi_dist",
#     "k", "estimate", "se", "zval", "pval", "ci_lower", "ci_upper", "tau2",
#     "i2", "h2", "q", "q_pval", "pi_lower", "pi_upper": [one per group]}]}
# Where Fisher scoring does not converge the fit is retried as help(rma)
# advises (stepadj = 0.5, maxiter = 1000), which is rema's fallback.
# Values to 12 significant digits; the test compares at 1e-6 relative
# (closed form: FE, DL, HE, HS, SJ) or 1e-4 (iterative: ML, REML, EB, PM).
suppressPackageStartupMessages({ library(metafor); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/golden"
data_dir <- if (length(args) >= 2) args[2] else "tests/data/batch"

set.seed(20261202)
G <- 40
parts <- lapply(seq_len(G), function(g) {
  k <- if (g == 1) 2L else sample(2:15, 1)
  v <- runif(k, 0.01, 0.3)
  tau <- if (g %% 5 == 0) 0 else runif(1, 0, 0.5)
  y <- 0.2 + rnorm(k, 0, tau) + rnorm(k, 0, sqrt(v))
  data.frame(group = sprintf("g%02d", g), study = seq_len(k),
             yi = sprintf("%.17g", y), vi = sprintf("%.17g", v))
})
long <- do.call(rbind, parts)
dir.create(data_dir, showWarnings = FALSE, recursive = TRUE)
path <- file.path(data_dir, "long.csv")
write.csv(long, path, row.names = FALSE, quote = FALSE)
long <- read.csv(path)

case <- function(method, test, level = 95) {
  control <- if (method == "PM") list(tol = 1e-12) else list()
  rows <- lapply(split(long, factor(long$group, levels = unique(long$group))), function(d) {
    fit <- function(control) rma(yi, vi, data = d, method = method, test = test, level = level, control = control)
    # metafor's remedy for Fisher scoring that does not converge, which
    # rema's fallback applies itself (and notes): stepadj halved, maxiter x 10.
    res <- tryCatch(fit(control), error = function(e) fit(list(stepadj = 0.5, maxiter = 1000)))
    p <- predict(res)
    c(k = res$k, estimate = res$b[1], se = res$se, zval = res$zval, pval = res$pval,
      ci_lower = res$ci.lb, ci_upper = res$ci.ub, tau2 = res$tau2, i2 = res$I2,
      h2 = res$H2, q = res$QE, q_pval = res$QEp,
      pi_lower = if (is.null(p$pi.lb)) p$ci.lb else p$pi.lb,
      pi_upper = if (is.null(p$pi.ub)) p$ci.ub else p$pi.ub)
  })
  m <- do.call(rbind, rows)
  col <- function(n) signif(unname(m[, n]), 12)
  c(list(method = method, test = test, level = level, pi_dist = "test"),
    setNames(lapply(colnames(m), col), colnames(m)))
}
cases <- c(lapply(c("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM"), case, test = "z"),
           list(case("DL", "knha"), case("REML", "knha", level = 90)))
doc <- list(
  generator = sprintf("tests/golden/batch.R; R %s, metafor %s; PM with control = list(tol = 1e-12)",
                      getRversion(), packageVersion("metafor")),
  cases = cases)
writeLines(toJSON(doc, auto_unbox = TRUE, digits = NA, pretty = FALSE), file.path(out, "batch.json"))
