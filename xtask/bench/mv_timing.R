# Time of metafor's three-level rma.mv for `cargo xtask bench-compare --mv-only`.
# Reads a CSV with cluster, es, yi, vi; fits
# rma.mv(yi, vi, random = ~ 1 | cluster/es, data = d) by REML, dense and
# with sparse = TRUE.
# Usage: Rscript mv_timing.R data.csv DENSE_REPEATS SPARSE_REPEATS
# (0 repeats skips that fit). Prints one JSON object: {"k", "dense_s",
# "sparse_s" (all repeats, seconds), "sigma2" (of the last fit), "beta",
# "metafor", "r"}.
suppressPackageStartupMessages({ library(metafor); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
dense_n <- as.integer(args[2])
sparse_n <- as.integer(args[3])
time_fit <- function(sparse) {
  t <- system.time(r <- rma.mv(yi, vi, random = ~ 1 | cluster/es, data = d, sparse = sparse))[["elapsed"]]
  list(t = t, r = r)
}
dense <- numeric(0); sparse <- numeric(0); last <- NULL
for (i in seq_len(dense_n)) { f <- time_fit(FALSE); dense <- c(dense, f$t); last <- f$r }
for (i in seq_len(sparse_n)) { f <- time_fit(TRUE); sparse <- c(sparse, f$t); last <- f$r }
cat(toJSON(list(k = nrow(d), dense_s = dense, sparse_s = sparse,
                sigma2 = if (is.null(last)) NULL else last$sigma2,
                beta = if (is.null(last)) NULL else as.numeric(last$beta),
                metafor = as.character(packageVersion("metafor")), r = R.version.string),
           auto_unbox = FALSE, digits = NA), "\n")
