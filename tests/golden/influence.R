# Golden values for leave-one-out, influence diagnostics and cumulative
# meta-analysis, computed by R metafor (leave1out, influence, cumul).
#
# Regenerate: Rscript tests/golden/influence.R tests/golden  (or cargo xtask goldens)
# Writes tests/golden/influence.json and the input CSVs in tests/golden/data/.
# Every fit uses metafor's defaults except PM (control tol = 1e-12, see core.R).
suppressPackageStartupMessages({ library(metafor); library(jsonlite) })

args <- commandArgs(trailingOnly = TRUE)
out_dir <- if (length(args) >= 1) args[1] else "tests/golden"
dir.create(file.path(out_dir, "data"), showWarnings = FALSE, recursive = TRUE)

nums <- function(x) { x <- unname(as.numeric(x)); x }

run <- function(id, dat, measure, method, test, order_col, note = NULL) {
  ctrl <- if (method == "PM") list(tol = 1e-12) else list()
  cols <- intersect(c("ai", "bi", "ci", "di", "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", "yi", "vi"), names(dat))
  es <- do.call(escalc, c(list(measure = measure), as.list(dat[cols])))
  res <- rma(yi, vi, data = es, method = method, test = test, control = ctrl, slab = dat$study)
  l1o <- suppressWarnings(leave1out(res))
  inf <- suppressWarnings(influence(res))
  cum <- suppressWarnings(cumul(res, order = dat[[order_col]]))
  cum_order <- order(dat[[order_col]])
  list(
    id = id, csv = file.path("tests/golden/data", paste0(id, ".csv")), measure = measure,
    method = method, test = test, order = order_col, note = note,
    yi = nums(es$yi), vi = nums(es$vi),
    leave1out = list(estimate = nums(l1o$estimate), se = nums(l1o$se), stat = nums(l1o[[3]]),
                     pval = nums(l1o$pval), ci_lower = nums(l1o$ci.lb), ci_upper = nums(l1o$ci.ub),
                     q = nums(l1o$Q), q_pval = nums(l1o$Qp),
                     tau2 = if (is.null(l1o$tau2)) rep(0, res$k) else nums(l1o$tau2),
                     i2 = nums(l1o$I2), h2 = nums(l1o$H2)),
    influence = list(rstudent = nums(inf$inf$rstudent), dffits = nums(inf$inf$dffits),
                     cook_d = nums(inf$inf$cook.d), cov_r = nums(inf$inf$cov.r),
                     tau2_del = nums(inf$inf$tau2.del), qe_del = nums(inf$inf$QE.del),
                     hat = nums(inf$inf$hat), weight = nums(inf$inf$weight),
                     dfbetas = nums(inf$dfbs[[1]]), influential = as.logical(inf$is.infl)),
    cumulative = list(order = cum_order - 1L, estimate = nums(cum$estimate), se = nums(cum$se),
                      pval = nums(cum$pval), ci_lower = nums(cum$ci.lb), ci_upper = nums(cum$ci.ub),
                      q = nums(cum$Q), q_pval = nums(cum$Qp),
                      tau2 = if (is.null(cum$tau2)) rep(0, res$k) else nums(cum$tau2),
                      i2 = nums(cum$I2), h2 = nums(cum$H2)))
}

bcg <- data.frame(study = paste0(dat.bcg$author, " ", dat.bcg$year), year = dat.bcg$year, ablat = dat.bcg$ablat,
                  ai = dat.bcg$tpos, bi = dat.bcg$tneg, ci = dat.bcg$cpos, di = dat.bcg$cneg)
write.csv(bcg, file.path(out_dir, "data", "bcg_year.csv"), row.names = FALSE)
nor <- data.frame(study = paste0("S", 1:nrow(dat.normand1999)), year = c(1996, 1993, 1995, 1991, 1997, 1998, 1994, 1990, 1999),
                  m1i = dat.normand1999$m1i, sd1i = dat.normand1999$sd1i, n1i = dat.normand1999$n1i,
                  m2i = dat.normand1999$m2i, sd2i = dat.normand1999$sd2i, n2i = dat.normand1999$n2i)
write.csv(nor, file.path(out_dir, "data", "normand_year.csv"), row.names = FALSE)
hack <- data.frame(study = make.unique(paste(dat.hackshaw1998$author, dat.hackshaw1998$year)), year = dat.hackshaw1998$year, yi = dat.hackshaw1998$yi, vi = dat.hackshaw1998$vi)
write.csv(hack, file.path(out_dir, "data", "hackshaw_year.csv"), row.names = FALSE)

two <- data.frame(study = c("A", "B"), year = c(2001, 1999), yi = c(0.1, 0.5), vi = c(0.02, 0.05))
write.csv(two, file.path(out_dir, "data", "two_year.csv"), row.names = FALSE)

cases <- list()
add <- function(...) cases[[length(cases) + 1]] <<- run(...)
for (m in c("FE", "DL", "REML", "PM")) add("bcg_year", bcg, "RR", m, "z", "year",
  note = "two trials share the year 1973: cumul() keeps their input order (order() is stable)")
add("bcg_year", bcg, "RR", "DL", "knha", "ablat")
add("bcg_year", bcg, "RR", "REML", "knha", "year")
add("normand_year", nor, "MD", "REML", "z", "year")
add("normand_year", nor, "SMD", "DL", "z", "year")
add("hackshaw_year", hack, "GEN", "ML", "z", "year")
add("hackshaw_year", hack, "GEN", "EB", "knha", "year")
add("two_year", two, "GEN", "DL", "knha", "year",
    note = "k = 2: every refit has one study, where rma() switches to the z test")

golden <- list(
  generator = list(script = "tests/golden/influence.R", r = R.version.string,
                   metafor = as.character(packageVersion("metafor")), jsonlite = as.character(packageVersion("jsonlite"))),
  cases = cases)
writeLines(toJSON(golden, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE),
           file.path(out_dir, "influence.json"))
cat("wrote", length(cases), "cases to", file.path(out_dir, "influence.json"), "\n")
