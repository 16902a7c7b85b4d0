# metafor's permutest on a binary moderator, per iteration, against which
# `rema analyze --permutations` is timed (docs/PERFORMANCE.md, "Permutation
# test on a binary moderator, end to end").
#
#   Rscript xtask/bench/permutest_binary.R OUT.csv [ITER]
#
# Writes k = 50 studies (set.seed(42); x = 0/1 alternating, vi ~ U(0.01, 0.2),
# yi ~ N(0.2 + 0.3 x, vi + 0.05)) to OUT.csv, then times
# permutest(rma(yi, vi, mods = ~ x, method = "REML"), iter = ITER) with
# system.time, three times, and prints the median seconds per iteration.
suppressPackageStartupMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "binary50.csv"
iter <- if (length(args) >= 2) as.integer(args[2]) else 1000L
set.seed(42)
k <- 50
x <- rep(0:1, length.out = k)
vi <- runif(k, 0.01, 0.2)
yi <- rnorm(k, 0.2 + 0.3 * x, sqrt(vi + 0.05))
dat <- data.frame(study = paste0("S", seq_len(k)), yi = yi, vi = vi, x = x)
write.csv(dat, out, row.names = FALSE)
res <- rma(yi, vi, mods = ~ x, data = dat, method = "REML")
times <- sapply(1:3, function(r) {
  set.seed(r)
  system.time(permutest(res, iter = iter, progbar = FALSE))[["elapsed"]]
})
cat(sprintf("metafor %s permutest REML k = %d binary moderator: %d iterations, %s s; median %.3f ms per iteration\n",
            packageVersion("metafor"), k, iter, paste(sprintf("%.2f", times), collapse = " "), 1000 * median(times) / iter))
