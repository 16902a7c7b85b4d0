# Per-iteration time of metafor's permutation test and of a boot() bootstrap
# over rma(), for `cargo xtask bench-compare`. Reads a CSV with yi, vi, x.
# Usage: Rscript metafor_timing.R data.csv METHOD ITER MODERATOR(0|1)
# Prints one JSON object: {"method", "k", "moderator", "permutest_ms", "boot_ms", "metafor"}.
suppressPackageStartupMessages({ library(metafor); library(boot); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
dat <- read.csv(args[1])
method <- args[2]
iter <- as.integer(args[3])
with_mod <- args[4] == "1"
fit <- if (with_mod) rma(yi, vi, mods = ~ x, data = dat, method = method) else rma(yi, vi, data = dat, method = method)

set.seed(1)
t_perm <- system.time(suppressWarnings(permutest(fit, iter = iter, progbar = FALSE)))[["elapsed"]]

stat <- function(d, i) {
  r <- if (with_mod) try(rma(yi, vi, mods = ~ x, data = d[i, ], method = method), silent = TRUE)
       else try(rma(yi, vi, data = d[i, ], method = method), silent = TRUE)
  if (inherits(r, "try-error")) return(rep(NA, if (with_mod) 3 else 2))
  c(coef(r), r$tau2)
}
set.seed(1)
t_boot <- system.time(boot(dat, stat, R = iter))[["elapsed"]]

cat(toJSON(list(method = method, k = nrow(dat), moderator = with_mod,
                permutest_ms = 1000 * t_perm / iter, boot_ms = 1000 * t_boot / iter,
                metafor = as.character(packageVersion("metafor"))), auto_unbox = TRUE, digits = NA), "\n")
