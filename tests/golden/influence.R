# Golden values for leave-one-out, influence diagnostics and cumulative
# meta-analysis, computed by R metafor (leave1out, influence, cumul).
#
# Regenerate: `cargo xtask goldens` (or Rscript tests/golden/influence.R tests/golden).
# Writes tests/golden/influence.json (the case format of tests/golden/golden.R)
# and the input CSVs in tests/golden/data/. One case per fit: `rema analyze
# --leave-one-out --influence --cumulative --order <column>` of the CSV.
# Every fit uses metafor's defaults except PM (control tol = 1e-12, see core.R).
# A refit metafor could not make (NA) must be null in rema's JSON too.
source("tests/golden/golden.R")
out_dir <- golden_out

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
  kind <- if (is_iterative(method)) "iterative" else "closed_form"
  l1o_cols <- list(estimate = nums(l1o$estimate), se = nums(l1o$se), stat = nums(l1o[[3]]),
                   pval = nums(l1o$pval), ci_lower = nums(l1o$ci.lb), ci_upper = nums(l1o$ci.ub),
                   q = nums(l1o$Q), q_pval = nums(l1o$Qp),
                   tau2 = if (is.null(l1o$tau2)) rep(0, res$k) else nums(l1o$tau2),
                   i2 = nums(l1o$I2), h2 = nums(l1o$H2))
  inf_cols <- list(rstudent = nums(inf$inf$rstudent), dffits = nums(inf$inf$dffits),
                   cook_d = nums(inf$inf$cook.d), cov_r = nums(inf$inf$cov.r),
                   tau2_del = nums(inf$inf$tau2.del), qe_del = nums(inf$inf$QE.del),
                   hat = nums(inf$inf$hat), weight = nums(inf$inf$weight),
                   dfbetas = nums(inf$dfbs[[1]]), influential = as.logical(inf$is.infl))
  cum_cols <- list(added = as.character(dat$study[cum_order]),
                   estimate = nums(cum$estimate), se = nums(cum$se),
                   pval = nums(cum$pval), ci_lower = nums(cum$ci.lb), ci_upper = nums(cum$ci.ub),
                   q = nums(cum$Q), q_pval = nums(cum$Qp),
                   tau2 = if (is.null(cum$tau2)) rep(0, res$k) else nums(cum$tau2),
                   i2 = nums(cum$I2), h2 = nums(cum$H2))
  expect <- c(rows_at("/leave_one_out", l1o_cols), rows_at("/influence", inf_cols), rows_at("/cumulative", cum_cols))
  # Q and QE do not depend on tau^2; the rest follows the method.
  closed <- grepl("/(q|q_pval|qe_del|added|influential)$", names(expect))
  golden_case(
    id = paste0(id, "/", measure, "/", method, "/", test, "/", order_col),
    source = sprintf('res <- rma(yi, vi, measure = "%s", method = "%s", test = "%s"); leave1out(res); influence(res); cumul(res, order = %s)',
                     measure, method, test, order_col),
    csv = file.path("tests/golden/data", paste0(id, ".csv")),
    spec = list(measure = measure, method = method, test = test, leave_one_out = TRUE, influence = TRUE,
                cumulative = TRUE, order = order_col),
    expect = expect,
    tolerance = tolerance_for(if (kind == "iterative") names(expect)[!closed], "iterative"),
    note = note)
}

# Meta-regression: influence() of rma(mods); leave1out() and cumul() refuse
# models with moderators, so the leave-one-out rows are rma(mods, subset = -i)
# and the cumulative steps rma(mods, subset = order[1:j]). A refit metafor
# cannot make, or makes only by dropping a redundant moderator, is NA: rema
# refuses it (the row's `error`) rather than change the model.
refit <- function(es, mods, subset, method, test, ctrl) {
  f <- tryCatch(suppressWarnings(rma(yi, vi, mods = mods, data = es, subset = subset, method = method,
                                     test = if (length(subset) == 1) "z" else test, control = ctrl)),
                error = function(e) NULL)
  p <- ncol(model.matrix(mods, data = es))
  if (is.null(f) || length(f$beta) < p) NULL else f
}

refit_cols <- function(fits, p) {
  get <- function(f, x) if (is.null(f)) NA else x(f)
  cols <- list(estimate = sapply(fits, get, function(f) f$beta[1]),
               se = sapply(fits, get, function(f) f$se[1]),
               stat = sapply(fits, get, function(f) f$zval[1]),
               pval = sapply(fits, get, function(f) f$pval[1]),
               ci_lower = sapply(fits, get, function(f) f$ci.lb[1]),
               ci_upper = sapply(fits, get, function(f) f$ci.ub[1]),
               tau2 = sapply(fits, get, function(f) f$tau2),
               i2 = sapply(fits, get, function(f) f$I2),
               h2 = sapply(fits, get, function(f) f$H2),
               q = sapply(fits, get, function(f) f$QE),
               q_pval = sapply(fits, get, function(f) f$QEp),
               qm = sapply(fits, get, function(f) f$QM),
               qm_pval = sapply(fits, get, function(f) f$QMp))
  for (j in seq_len(p)) {
    cols[[sprintf("coefficients/%d/estimate", j - 1)]] <- sapply(fits, get, function(f) f$beta[j])
    cols[[sprintf("coefficients/%d/se", j - 1)]] <- sapply(fits, get, function(f) f$se[j])
    cols[[sprintf("coefficients/%d/pval", j - 1)]] <- sapply(fits, get, function(f) f$pval[j])
    cols[[sprintf("coefficients/%d/ci_lower", j - 1)]] <- sapply(fits, get, function(f) f$ci.lb[j])
    cols[[sprintf("coefficients/%d/ci_upper", j - 1)]] <- sapply(fits, get, function(f) f$ci.ub[j])
  }
  lapply(cols, function(v) unname(as.numeric(v)))
}

run_mods <- function(id, dat, measure, method, test, mods, order_col, note = NULL) {
  ctrl <- if (method == "PM") list(tol = 1e-12) else list()
  cols <- intersect(c("ai", "bi", "ci", "di", "yi", "vi"), names(dat))
  es <- do.call(escalc, c(list(measure = measure), as.list(dat[cols])))
  es <- cbind(es, dat[setdiff(names(dat), cols)])
  form <- as.formula(paste("~", paste(mods, collapse = " + ")))
  res <- rma(yi, vi, mods = form, data = es, method = method, test = test, control = ctrl)
  k <- res$k; p <- res$p
  inf <- suppressWarnings(influence(res))
  l1o <- lapply(seq_len(k), function(i) refit(es, form, setdiff(seq_len(k), i), method, test, ctrl))
  cum_order <- order(dat[[order_col]])
  cum <- lapply(seq_len(k), function(j) refit(es, form, cum_order[seq_len(j)], method, test, ctrl))
  inf_cols <- list(rstudent = nums(inf$inf$rstudent), dffits = nums(inf$inf$dffits),
                   cook_d = nums(inf$inf$cook.d), cov_r = nums(inf$inf$cov.r),
                   tau2_del = nums(inf$inf$tau2.del), qe_del = nums(inf$inf$QE.del),
                   hat = nums(inf$inf$hat), weight = nums(inf$inf$weight),
                   dfbetas = nums(inf$dfbs[[1]]), influential = as.logical(inf$is.infl))
  for (j in seq_len(p)) inf_cols[[sprintf("dfbetas_all/%d", j - 1)]] <- nums(inf$dfbs[[j]])
  cum_cols <- c(list(added = as.character(dat$study[cum_order])), refit_cols(cum, p))
  expect <- c(rows_at("/leave_one_out", refit_cols(l1o, p)), rows_at("/influence", inf_cols),
              rows_at("/cumulative", cum_cols), list("/coefficients/1/name" = names(coef(res))[2]))
  kind <- if (is_iterative(method)) "iterative" else "closed_form"
  closed <- grepl("/(added|influential|name)$", names(expect))
  golden_case(
    id = paste0(id, "/", measure, "/", method, "/", test, "/mods=", paste(mods, collapse = "+"), "/", order_col),
    source = sprintf('res <- rma(yi, vi, mods = %s, measure = "%s", method = "%s", test = "%s"); influence(res); rma(mods, subset = -i) for each i; rma(mods, subset = order(%s)[1:j]) for each j',
                     deparse(form), measure, method, test, order_col),
    csv = file.path("tests/golden/data", paste0(id, ".csv")),
    spec = list(measure = measure, method = method, test = test, mods = I(mods), leave_one_out = TRUE,
                influence = TRUE, cumulative = TRUE, order = order_col),
    expect = expect,
    tolerance = tolerance_for(if (kind == "iterative") names(expect)[!closed], "iterative"),
    note = note)
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

bcgm <- data.frame(study = paste0(dat.bcg$author, " ", dat.bcg$year), year = dat.bcg$year, ablat = dat.bcg$ablat,
                   alloc = dat.bcg$alloc, ai = dat.bcg$tpos, bi = dat.bcg$tneg, ci = dat.bcg$cpos, di = dat.bcg$cneg)
write.csv(bcgm, file.path(out_dir, "data", "bcg_mods.csv"), row.names = FALSE)

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

add_mods <- function(...) cases[[length(cases) + 1]] <<- run_mods(...)
add_mods("bcg_mods", bcgm, "RR", "REML", "z", "ablat", "year",
         note = "the first two steps of the cumulative meta-regression have fewer studies than rma() needs: NA in metafor, an error in rema")
add_mods("bcg_mods", bcgm, "RR", "DL", "knha", "ablat", "year")
add_mods("bcg_mods", bcgm, "RR", "FE", "z", c("ablat", "year"), "ablat")
add_mods("bcg_mods", bcgm, "RR", "REML", "z", "alloc", "year",
         note = "until a second allocation appears a dummy column is constant: rma() drops it with a warning, rema refuses the step (NA here)")
add_mods("hackshaw_year", hack, "GEN", "ML", "knha", "year", "year")

# Methods MH and PETO: each leave-one-out refit and cumulative step pools its tables by the method,
# metafor's leave1out() and cumul() of the rma.mh() / rma.peto() fit; with `random`, RevMan's
# "M-H, Random" of each subset (tables_fit() in golden.R: metafor has no function for it).
run_tables <- function(id, dat, method, measure, random, order_col = NULL, note = NULL) {
  k <- nrow(dat)
  ord <- if (is.null(order_col)) seq_len(k) else order(dat[[order_col]])
  rows <- function(subsets) {
    fits <- lapply(subsets, function(idx) tables_fit(dat[idx, ], method, measure, random))
    cols <- c("k", "estimate", "se", "stat", "pval", "ci_lower", "ci_upper", "tau2", "q", "q_pval", "i2", "h2")
    stats::setNames(lapply(cols, function(c) vapply(fits, function(f) as.numeric(f[[c]]), numeric(1))), cols)
  }
  l1o <- rows(lapply(seq_len(k), function(i) setdiff(seq_len(k), i)))
  cum <- rows(lapply(seq_len(k), function(j) ord[1:j]))
  if (!random) {
    # The fixed-effect rows are metafor's own leave1out() and cumul().
    res <- if (method == "PETO") rma.peto(ai = ai, bi = bi, ci = ci, di = di, data = dat) else
      rma.mh(ai = ai, bi = bi, ci = ci, di = di, data = dat, measure = measure)
    l <- leave1out(res); cm <- if (is.null(order_col)) cumul(res) else cumul(res, order = dat[[order_col]])
    stopifnot(isTRUE(all.equal(nums(l$estimate), l1o$estimate)), isTRUE(all.equal(nums(cm$estimate), cum$estimate)))
    for (f in list(list("estimate", "estimate"), list("se", "se"), list("stat", "zval"), list("pval", "pval"),
                   list("ci_lower", "ci.lb"), list("ci_upper", "ci.ub"), list("q", "Q"), list("q_pval", "Qp"),
                   list("i2", "I2"), list("h2", "H2"))) {
      l1o[[f[[1]]]] <- nums(l[[f[[2]]]]); cum[[f[[1]]]] <- nums(cm[[f[[2]]]])
    }
  }
  # A subset whose pooled estimate metafor cannot compute (NA: the first cumulative step of a table with a
  # zero cell, where the MH odds ratio is 0) has no numbers in rema either (the row's error), and so no Q.
  for (c in c("tau2", "q", "q_pval", "i2", "h2")) {
    l1o[[c]][is.na(l1o$estimate)] <- NA; cum[[c]][is.na(cum$estimate)] <- NA
  }
  cum$added <- as.character(dat$study[ord])
  expect <- c(rows_at("/leave_one_out", l1o), rows_at("/cumulative", cum))
  call <- if (method == "PETO") "rma.peto(ai, bi, ci, di)" else sprintf('rma.mh(ai, bi, ci, di, measure = "%s")', measure)
  spec <- list(measure = measure, method = method, random = if (random) TRUE else NULL, leave_one_out = TRUE,
               cumulative = TRUE, order = order_col)
  golden_case(
    id = paste0(id, "/", measure, "/", method, if (random) "/random" else "", "/", if (is.null(order_col)) "input" else order_col),
    source = if (random) sprintf("%s of each subset, then RevMan's M-H random effects (golden.R revman_random)", call) else
      sprintf("res <- %s; leave1out(res); cumul(res%s)", call, if (is.null(order_col)) "" else paste0(", order = ", order_col)),
    csv = file.path("tests/golden/data", paste0(id, ".csv")), spec = spec, expect = expect, note = note)
}
niel <- data.frame(study = paste(dat.nielweise2007$author, dat.nielweise2007$year), ai = dat.nielweise2007$ai, bi = dat.nielweise2007$n1i - dat.nielweise2007$ai,
                   ci = dat.nielweise2007$ci, di = dat.nielweise2007$n2i - dat.nielweise2007$ci)
write.csv(niel, file.path(out_dir, "data", "nielweise_tables.csv"), row.names = FALSE)
add_tables <- function(...) cases[[length(cases) + 1]] <<- run_tables(...)
for (m in c("OR", "RR", "RD")) add_tables("bcg_year", bcg, "MH", m, FALSE, "year")
for (m in c("OR", "RR")) add_tables("bcg_year", bcg, "MH", m, TRUE, "year")
add_tables("bcg_year", bcg, "PETO", "OR", FALSE, "year")
add_tables("nielweise_tables", niel, "MH", "OR", FALSE,
           note = "Yucel 2004 has no events in either group: left out of Q (rma.mh's drop00), in every refit; the first cumulative step (Bach 1996, 0 events in one group) has no MH odds ratio: NA in metafor (which still reports Q = 0), an error in rema")
add_tables("nielweise_tables", niel, "PETO", "OR", FALSE)

golden_write("influence", "analyze", "closed_form", "tests/golden/influence.R", cases)
