# The case format of rema's golden suites, shared by every script here
# (source("tests/golden/golden.R")). Each script writes one suite file:
#
#   {"suite", "entry", "tolerance", "generator": {script, r, metafor, jsonlite, ...},
#    "cases": [{"id", "source", "csv" | "rows" | "plan" | "input", "spec",
#               "expect": {"/json/pointer": value}, "tolerance": {"/pointer": class},
#               "error", "note"}]}
#
# read by crates/rema-golden (one runner; the tolerance classes are in its
# tolerance.rs). A pointer indexes the JSON rema produces for the case: for
# entry "analyze" the AnalysisResult of `rema analyze --format json`.
suppressPackageStartupMessages({ library(metafor); library(jsonlite) })

golden_args <- commandArgs(trailingOnly = TRUE)
golden_out <- if (length(golden_args) >= 1) golden_args[1] else "tests/golden"
dir.create(file.path(golden_out, "data"), showWarnings = FALSE, recursive = TRUE)

# RevMan 5's "M-H, Random" after rma.mh() fit `res` (no metafor function computes it), from its
# definition: DerSimonian-Laird tau^2 from the Q about the MH estimate (metafor's QE on k.yi - 1 df) and
# the per-table effects yi, vi, then rma() with that tau^2 fixed; as crates/rema-core/tests/golden/pooling.R.
revman_random <- function(res, level = 95) {
  yi <- as.numeric(res$yi); vi <- as.numeric(res$vi)
  w <- 1 / vi
  tau2 <- if (res$k.yi > 1) max(0, (res$QE - (res$k.yi - 1)) / (sum(w) - sum(w^2) / sum(w))) else 0
  re <- rma(yi, vi, tau2 = tau2, level = level)
  list(tau2 = tau2, estimate = as.numeric(re$beta), se = re$se, zval = re$zval, pval = re$pval,
       ci.lb = re$ci.lb, ci.ub = re$ci.ub)
}

# One fit of 2x2 tables by method MH (measure OR, RR, RD) or PETO, with RevMan's random effects when
# `random`, as the fields of a result row (estimate, se, stat, pval, ci, tau2, q, q_pval, i2, h2).
tables_fit <- function(d, method, measure, random = FALSE) {
  res <- if (method == "PETO") rma.peto(ai = d$ai, bi = d$bi, ci = d$ci, di = d$di) else
    rma.mh(ai = d$ai, bi = d$bi, ci = d$ci, di = d$di, measure = measure)
  p <- list(tau2 = 0, estimate = as.numeric(res$beta), se = res$se, zval = res$zval, pval = res$pval,
            ci.lb = res$ci.lb, ci.ub = res$ci.ub)
  if (random) p <- revman_random(res)
  list(k = res$k, estimate = p$estimate, se = p$se, stat = p$zval, pval = p$pval, ci_lower = p$ci.lb,
       ci_upper = p$ci.ub, tau2 = p$tau2, q = res$QE, q_pval = res$QEp, i2 = res$I2, h2 = res$H2)
}

# A value or NULL (metafor's NA and absent values are not compared).
num <- function(x) if (is.null(x) || length(x) == 0 || is.na(x[1])) NULL else unname(as.numeric(x))

# A named list of pointer -> value from a named list of scalars under `prefix`;
# NULL entries are dropped.
at <- function(prefix, values) {
  values <- values[!vapply(values, is.null, logical(1))]
  if (length(values) == 0) return(list())
  names(values) <- paste0(prefix, "/", names(values))
  values
}

# Pointers to a table of rows (`prefix/i/column`, i from 0) from a named list
# of equal-length vectors. `na` keeps NA as null (rema must report none there).
rows_at <- function(prefix, columns, na = TRUE) {
  out <- list()
  for (name in names(columns)) {
    v <- columns[[name]]
    for (i in seq_along(v)) {
      if (is.na(v[i]) && !na) next
      out[[sprintf("%s/%d/%s", prefix, i - 1L, name)]] <- if (is.na(v[i])) NA else unname(v[i])
    }
  }
  out
}

# The same tolerance class for every listed pointer.
tolerance_for <- function(pointers, class) {
  if (length(pointers) == 0) return(NULL)
  stats::setNames(rep(list(class), length(pointers)), pointers)
}

golden_case <- function(id, source, expect, spec = NULL, csv = NULL, rows = NULL, plan = NULL, input = NULL,
                        entry = NULL, tolerance = NULL, error = NULL, note = NULL) {
  if (!is.null(spec)) spec <- spec[!vapply(spec, is.null, logical(1))]
  case <- list(id = id, source = source, entry = entry, csv = csv, rows = rows, plan = plan, spec = spec,
               input = input, expect = if (length(expect)) expect else NULL,
               tolerance = if (length(tolerance)) tolerance else NULL, error = error, note = note)
  case[!vapply(case, is.null, logical(1))]
}

golden_write <- function(suite, entry, tolerance, script, cases, note = NULL, packages = character()) {
  generator <- list(script = script, r = R.version.string, metafor = as.character(packageVersion("metafor")),
                    jsonlite = as.character(packageVersion("jsonlite")))
  for (p in packages) generator[[p]] <- as.character(packageVersion(p))
  out <- list(suite = suite, entry = entry, tolerance = tolerance, generator = generator, note = note, cases = cases)
  out <- out[!vapply(out, is.null, logical(1))]
  path <- file.path(golden_out, paste0(suite, ".json"))
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), path)
  n <- sum(vapply(cases, function(c) length(c$expect), integer(1)))
  cat("wrote", length(cases), "cases,", n, "expected values to", path, "\n")
}

# The method of a fit decides its default tolerance: iterative for the
# estimators found by iteration or a root search, closed form otherwise.
is_iterative <- function(method) method %in% c("ML", "REML", "EB", "PM")

# The expected values of one bootstrap statistic (a `summ()` of bootstrap.R)
# at `prefix` in rema's JSON, compared by distribution: the mean and every
# interval bound within 4 Monte Carlo SEs of both sides (rema's MCSE is read
# at `mcse_at`), the SD within 10%, the observed value as an iterative fit.
boot_expect <- function(prefix, s) {
  expect <- list(); tol <- list()
  put <- function(name, value, class) {
    expect[[paste0(prefix, name)]] <<- value
    if (!is.null(class)) tol[[paste0(prefix, name)]] <<- class
  }
  resampling <- function(mcse, at) list(resampling = list(mcse = mcse, mcse_at = paste0(prefix, at)))
  put("/observed", s$observed, "iterative")
  put("/mean", s$mean, resampling(s$se / sqrt(s$replicates), "/mcse_mean"))
  put("/se", s$se, "resampling_sd")
  for (kind in c("percentile", "bca")) {
    b <- s[[kind]]
    if (is.null(b)) { put(paste0("/", kind), NA, NULL); next }
    put(paste0("/", kind, "/lower"), b$lower, resampling(b$mcse_lower, paste0("/", kind, "/mcse_lower")))
    put(paste0("/", kind, "/upper"), b$upper, resampling(b$mcse_upper, paste0("/", kind, "/mcse_upper")))
  }
  list(expect = expect, tolerance = tol)
}
