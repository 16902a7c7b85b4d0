# Golden values for `rema run` on the shipped plans (examples/bcg/bcg.toml,
# examples/bkp/bkp.toml), computed by R metafor.
#
# Run: Rscript tests/golden/plans.R   (writes tests/golden/plans.json)
#
# examples/bkp leak_retrospective checks the seed paper's continuity rule:
# escalc(measure = "PR") with metafor's default add = 1/2, to = "only0" adds
# 0.5 to the events and to the non-events of a study with a zero count, so a
# raw proportion 0/n becomes 0.5/(n+1) with variance p(1-p)/(n+1), exactly the
# rule the paper describes. Pooled by DL: 0.51%, I2 = 0%, as printed.
suppressPackageStartupMessages({ library(metafor); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
out_dir <- if (length(args) >= 1) args[1] else "tests/golden"

res <- function(fit, transf = NULL) {
  out <- list(k = fit$k, estimate = as.numeric(fit$b), se = fit$se, ci_lower = fit$ci.lb,
              ci_upper = fit$ci.ub, pval = fit$pval, tau2 = fit$tau2, i2 = fit$I2, q = fit$QE)
  if (!is.null(transf)) {
    out$transformed <- list(estimate = transf(as.numeric(fit$b)), ci_lower = transf(fit$ci.lb),
                            ci_upper = transf(fit$ci.ub))
  }
  out
}

bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
bcg_or <- escalc(measure = "OR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
a <- list()
a$rr_reml <- res(rma(yi, vi, data = bcg, method = "REML"), exp)
a$rr_dl <- res(rma(yi, vi, data = bcg, method = "DL"), exp)
a$rr_dl_knha <- res(rma(yi, vi, data = bcg, method = "DL", test = "knha"), exp)
a$or_reml <- res(rma(yi, vi, data = bcg_or, method = "REML"), exp)
a$rr_reml_by_alloc <- a$rr_reml
for (lev in c("random", "alternate", "systematic")) {
  a[[paste0("rr_reml_by_alloc:alloc=", lev)]] <-
    res(rma(yi, vi, data = bcg, subset = alloc == lev, method = "REML"), exp)
}
a$rr_reml_random <- a[["rr_reml_by_alloc:alloc=random"]]

leak <- escalc(measure = "PR", xi = c(0, 0, 0), ni = c(32, 128, 22))
stopifnot(isTRUE(all.equal(as.numeric(leak$yi), 0.5 / (c(32, 128, 22) + 1))))
stopifnot(isTRUE(all.equal(as.numeric(leak$vi), as.numeric(leak$yi * (1 - leak$yi)) / (c(32, 128, 22) + 1))))
bkp <- list(leak_retrospective = res(rma(yi, vi, data = leak, method = "DL"), function(x) 100 * x))

out <- list(
  generated_by = "tests/golden/plans.R",
  metafor_version = as.character(packageVersion("metafor")),
  plans = list(`examples/bcg/bcg.toml` = a, `examples/bkp/bkp.toml` = bkp)
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(out_dir, "plans.json"))
