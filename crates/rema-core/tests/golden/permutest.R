# Golden values for rema-core's permutation tests (crates/rema-core/tests/permutest.rs),
# computed by R metafor:
#   permutest(res, exact = TRUE)                                stat = "test" (z or t), the default
#   permutest(res, exact = TRUE, control = list(stat = "coef"))   the coefficient itself
#   permutest(res, exact = TRUE, permci = TRUE, control = ...)    CIs by inverting the test,
#        once with metafor's default uniroot tolerance (tol = .Machine$double.eps^0.25,
#        about 1.2e-4) and once with tol = 1e-10, maxiter = 1000: rema's root search
#        (uniroot's algorithm at that tolerance), which locates the jump of the p-value
#        (a step function of the shift) to 1e-10.
# Exact p-values are counts over the enumeration: each case stores the count with the p
# and the number of arrangements whose refit succeeded (metafor drops the others).
# Cases with "mc_iterations" are also run by rema with that many random permutations
# (fewer than the exact test needs) and compared by distribution (R's random streams
# are not rema's).
#
# Regenerate: Rscript crates/rema-core/tests/golden/permutest.R crates/rema-core/tests/golden
# Writes permutest.json next to this script. Every exact run refits each arrangement in
# R, which takes a while (the permci runs most); to spread the work over processes, run
#   Rscript permutest.R DIR TASK      for each TASK in tasks (writes DIR/permutest-parts/TASK.rds)
#   Rscript permutest.R DIR combine   (writes DIR/permutest.json from the parts)
source("crates/rema-core/tests/golden/core_golden.R")
only <- if (length(args) >= 2) args[2] else NULL
parts_dir <- file.path(out_dir, "permutest-parts")

hine <- escalc(measure = "RD", n1i = n1i, n2i = n2i, ai = ai, ci = ci, data = dat.hine1989)
hine$mod <- c(3, 1, 2, 2, 4, 5)  # metafor's fake moderator

# Follmann & Proschan (1999), Table 1, as in metafor's tests/testthat/test_misc_permutest.r
fp <- read.table(header = TRUE, text = "
ai n1i ci n2i
173 5331 210 5296
157 1906 193 1900
131 4541 121 4516
56 2051 84 2030
52 424 65 422
36 1149 42 1129
62 6582 20 1663
2 88 2 30")
fp <- escalc(measure = "PETO", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = fp)

bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)

specs <- list(
  hine1989_RD_REML = list(data = hine, mods = NULL, method = "REML", test = "z"),
  hine1989_RD_REML_mod = list(data = hine, mods = "mod", method = "REML", test = "z"),
  hine1989_RD_DL_knha = list(data = hine, mods = NULL, method = "DL", test = "knha"),
  follmann_proschan_PETO_DL = list(data = fp, mods = NULL, method = "DL", test = "z", permci = TRUE),
  bcg6_ablat_REML = list(data = bcg[1:6, ], mods = "ablat", method = "REML", test = "z"),
  bcg6_ablat_DL = list(data = bcg[1:6, ], mods = "ablat", method = "DL", test = "z", permci = TRUE),
  bcg7_year_DL = list(data = bcg[1:7, ], mods = "year", method = "DL", test = "z", mc = 1000),
  bcg10_DL = list(data = bcg[1:10, ], mods = NULL, method = "DL", test = "z", mc = 500)
)

fit_of <- function(s) {
  if (is.null(s$mods)) rma(yi, vi, data = s$data, method = s$method, test = s$test)
  else rma(yi, vi, mods = as.formula(paste("~", s$mods)), data = s$data, method = s$method, test = s$test)
}

# The tasks: the exact p-values of a case (TASK = its id), and each permci run
# (TASK = id/stat/default or id/stat/tight).
tasks <- names(specs)
for (id in names(specs)) if (isTRUE(specs[[id]]$permci))
  for (stat in c("test", "coef")) tasks <- c(tasks, paste(id, stat, c("default", "tight"), sep = "/"))

run_task <- function(task) {
  parts <- strsplit(task, "/")[[1]]
  s <- specs[[parts[1]]]
  res <- fit_of(s)
  if (length(parts) == 1) {
    case <- list(id = parts[1], method = s$method, test = s$test, mods = s$mods,
                 yi = nums(res$yi), vi = nums(res$vi), x = rows(model.matrix(res)),
                 mc_iterations = s$mc,
                 fit = list(beta = nums(res$beta), ci_lower = nums(res$ci.lb), ci_upper = nums(res$ci.ub)),
                 permutest = list())
    for (stat in c("test", "coef")) {
      sav <- permutest(res, exact = TRUE, progbar = FALSE, control = list(stat = stat))
      n <- nrow(sav$zval.perm)
      case$iterations <- n
      # metafor leaves a refit that fails out of the denominator (mean(na.rm = TRUE)).
      valid <- sum(!is.na(sav$zval.perm[[1]]))
      case$permutest[[stat]] <- list(pval = nums(sav$pval), count = nums(round(sav$pval * valid)),
                           valid = valid, qm_pval = sav$QMp,
                           qm_count = round(sav$QMp * sum(!is.na(sav$QM.perm))))
    }
    case
  } else {
    con <- list(stat = parts[2])
    if (parts[3] == "tight") con <- c(con, list(tol = 1e-10, maxiter = 1000))
    sav <- suppressWarnings(permutest(res, exact = TRUE, permci = TRUE, progbar = FALSE, control = con))
    list(lower = nums(sav$ci.lb), upper = nums(sav$ci.ub))
  }
}

combine <- function(results) {
  cases <- lapply(names(specs), function(id) {
    case <- results[[id]]
    for (stat in c("test", "coef")) for (kind in c("default", "tight")) {
      r <- results[[paste(id, stat, kind, sep = "/")]]
      if (!is.null(r)) case$permutest[[stat]][[paste0("permci_", kind)]] <- r
    }
    case
  })
  core_write("permutest", cases)
}

if (is.null(only)) {
  results <- setNames(lapply(tasks, run_task), tasks)
  combine(results)
} else if (only == "tasks") {
  cat(tasks, sep = "\n")
} else if (only == "combine") {
  results <- setNames(lapply(tasks, function(t) readRDS(file.path(parts_dir, paste0(gsub("/", "_", t), ".rds")))), tasks)
  combine(results)
} else {
  dir.create(parts_dir, showWarnings = FALSE)
  saveRDS(run_task(only), file.path(parts_dir, paste0(gsub("/", "_", only), ".rds")))
}
