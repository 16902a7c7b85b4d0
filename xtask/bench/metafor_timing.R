# Per-iteration time of metafor's permutation test and of a boot() bootstrap
# over rma(), for `cargo xtask bench-compare`. Reads a CSV with yi, vi, x.
# Usage: Rscript metafor_timing.R data.csv METHOD ITER MODERATOR(0|1) [REPEATS]
# Each workload is timed REPEATS times (default 3); the medians and every
# repeat are printed as one JSON object:
# {"method", "k", "moderator", "iter", "repeats", "permutest_ms", "boot_ms",
#  "permutest_ms_all", "boot_ms_all", "metafor", "r"}  (milliseconds per iteration).
suppressPackageStartupMessages({ library(metafor); library(boot); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dat <- read.csv(args[1])
method <- args[2]
iter <- as.integer(args[3])
with_mod <- args[4] == "1"
repeats <- if (length(args) >= 5) as.integer(args[5]) else 3L
fit <- if (with_mod) rma(yi, vi, mods = ~ x, data = dat, method = method) else rma(yi, vi, data = dat, method = method)

stat <- function(d, i) {
  r <- if (with_mod) try(rma(yi, vi, mods = ~ x, data = d[i, ], method = method), silent = TRUE)
       else try(rma(yi, vi, data = d[i, ], method = method), silent = TRUE)
  if (inherits(r, "try-error")) return(rep(NA, if (with_mod) 3 else 2))
  c(coef(r), r$tau2)
}
t_perm <- numeric(repeats); t_boot <- numeric(repeats)
for (r in seq_len(repeats)) {
  set.seed(r)
  t_perm[r] <- system.time(suppressWarnings(permutest(fit, iter = iter, progbar = FALSE)))[["elapsed"]]
  set.seed(r)
  t_boot[r] <- system.time(boot(dat, stat, R = iter))[["elapsed"]]
}

cat(toJSON(list(method = method, k = nrow(dat), moderator = with_mod, iter = iter, repeats = repeats,
                permutest_ms = 1000 * median(t_perm) / iter, boot_ms = 1000 * median(t_boot) / iter,
                permutest_ms_all = 1000 * t_perm / iter, boot_ms_all = 1000 * t_boot / iter,
                metafor = as.character(packageVersion("metafor")), r = R.version.string),
           auto_unbox = TRUE, digits = NA), "\n")
