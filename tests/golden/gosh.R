# GOSH: metafor 3.8-1 gosh() on every subset of dat.bcg's log risk ratios
# (k = 13, FE and DL: 8,191 subsets) and of its first 10 studies (1,023
# subsets) with the iterative and the other moment estimators. Writes
# tests/golden/gosh.json, read by crates/rema-core/tests/gosh.rs:
#   {"generator", "cases": [{"id", "source", "method", "yi", "vi",
#     "members": [bitmask of subset i: bit j is study j + 1],
#     "k", "QE", "I2", "H2", "tau2", "estimate": [row i, null where the fit failed]}]}
# Rows are in gosh()'s order (by size, then by the bitmask), so row i of a
# case is rema's subset i.
# "mods_cases": gosh() of meta-regressions on dat.bcg's first 10 studies
# (subsets of at least p studies), each with "mods" (the formula), "X" (the
# model matrix, row by row), "coef_names" and "beta" (one column per
# coefficient) besides the columns above; a row whose subset design is rank
# deficient (or whose fit fails) is NA in every column but k. Values are written to 10 significant digits; the
# test compares at 1e-6 relative (closed form) or 1e-4 (iterative).
suppressPackageStartupMessages({ library(metafor); library(jsonlite) })
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/golden"

dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
case <- function(id, method, rows, note = NULL) {
  d <- dat[rows, ]
  # PM's root to 1e-12: metafor's default root tolerance leaves I2 off in the
  # fourth digit (rema solves the Q equation to the search's tolerance).
  control <- if (method == "PM") list(tol = 1e-12) else list()
  res <- rma(yi, vi, data = d, method = method, control = control)
  g <- gosh(res, progbar = FALSE)
  members <- as.numeric(g$incl %*% (2^(seq_len(ncol(g$incl)) - 1)))
  col <- function(x) signif(unname(x), 10)
  list(
    id = id,
    source = sprintf("dat.bcg[%s], escalc(\"RR\"); gosh(rma(yi, vi, method = \"%s\"%s))",
                     deparse(rows), method, if (method == "PM") ", control = list(tol = 1e-12)" else ""),
    method = method,
    yi = unname(as.numeric(d$yi)), vi = unname(as.numeric(d$vi)),
    members = members,
    k = g$res$k, QE = col(g$res$QE), I2 = col(g$res$I2), H2 = col(g$res$H2),
    tau2 = col(g$res$tau2), estimate = col(g$res$estimate),
    note = note
  )
}
cases <- list(case("bcg/FE", "FE", 1:13), case("bcg/DL", "DL", 1:13, note = paste(
  "gosh() fits DL by a shortcut that takes H2 = QE/(k - 1) also where tau2 = 0,",
  "where rma(method = \"DL\") (and rema, whose every subset is the general fit)",
  "give H2 = tau2/vt + 1 = 1; the test expects 1 on those rows")))
for (m in c("REML", "ML", "EB", "PM", "HE", "HS", "SJ")) {
  cases[[length(cases) + 1]] <- case(paste0("bcg10/", m), m, 1:10)
}
mods_case <- function(id, method, rows, mods) {
  d <- dat[rows, ]
  res <- rma(yi, vi, mods = mods, data = d, method = method)
  g <- gosh(res, progbar = FALSE)
  members <- as.numeric(g$incl %*% (2^(seq_len(ncol(g$incl)) - 1)))
  col <- function(x) signif(unname(x), 10)
  names <- colnames(res$X)
  list(
    id = id,
    source = sprintf("dat.bcg[%s], escalc(\"RR\"); gosh(rma(yi, vi, mods = %s, method = \"%s\"))",
                     deparse(rows), deparse(mods), method),
    method = method, mods = deparse(mods),
    yi = unname(as.numeric(d$yi)), vi = unname(as.numeric(d$vi)),
    X = unname(lapply(seq_len(nrow(res$X)), function(i) unname(res$X[i, ]))),
    coef_names = names,
    members = members,
    k = g$res$k, QE = col(g$res$QE), I2 = col(g$res$I2), H2 = col(g$res$H2),
    tau2 = col(g$res$tau2),
    beta = unname(lapply(seq_along(names), function(j) col(g$res[[5 + j]])))
  )
}
mods_cases <- list(
  mods_case("bcg10/ablat/FE", "FE", 1:10, ~ ablat),
  mods_case("bcg10/ablat/DL", "DL", 1:10, ~ ablat),
  mods_case("bcg10/ablat/REML", "REML", 1:10, ~ ablat),
  mods_case("bcg10/alloc/REML", "REML", 1:10, ~ factor(alloc)),
  mods_case("bcg10/ablat+year/ML", "ML", 1:10, ~ ablat + I(year - 1960)))
doc <- list(
  generator = list(script = "tests/golden/gosh.R", r = R.version.string,
                   metafor = as.character(packageVersion("metafor")),
                   jsonlite = as.character(packageVersion("jsonlite"))),
  cases = cases, mods_cases = mods_cases)
writeLines(toJSON(doc, auto_unbox = TRUE, digits = NA, na = "null"),
           file.path(out, "gosh.json"))
