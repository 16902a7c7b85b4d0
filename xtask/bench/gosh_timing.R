# Time of metafor's gosh() per subset, for `cargo xtask bench-compare`.
# Reads a CSV with yi, vi; fits every subset (2^k - 1 of them).
# Usage: Rscript gosh_timing.R data.csv METHOD [REPEATS]
# Prints one JSON object: {"method", "k", "subsets", "repeats",
#  "seconds" (median), "seconds_all", "per_subset_ms", "metafor", "r"}.
suppressPackageStartupMessages({ library(metafor); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dat <- read.csv(args[1])
method <- args[2]
repeats <- if (length(args) >= 3) as.integer(args[3]) else 1L
fit <- rma(yi, vi, data = dat, method = method)
n <- 2^nrow(dat) - 1
secs <- numeric(repeats)
for (r in seq_len(repeats)) {
  secs[r] <- system.time(g <- gosh(fit, progbar = FALSE))[["elapsed"]]
  stopifnot(nrow(g$res) == n)
}
cat(toJSON(list(method = method, k = nrow(dat), subsets = n, repeats = repeats,
                seconds = median(secs), seconds_all = secs,
                per_subset_ms = 1000 * median(secs) / n,
                metafor = as.character(packageVersion("metafor")), r = R.version.string),
           auto_unbox = TRUE, digits = NA), "\n")
