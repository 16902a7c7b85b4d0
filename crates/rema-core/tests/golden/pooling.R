# Golden values for the 2x2-table pooling methods of rema-core (crates/rema-core/tests/pooling.rs),
# computed by R metafor:
#   rma.mh(ai, bi, ci, di, measure, level, correct, add, to, drop00)   Mantel-Haenszel (OR, RR, RD)
#   rma.peto(ai, bi, ci, di, level, add, to, drop00)                   Peto's one-step odds ratio
#   weights(res)                                                       the weights in percent
# on dat.bcg (no zero cells), dat.nielweise2007 (zero cells and a double-zero trial),
# dat.yusuf1985 table 6 (three double-zero trials) and small constructed tables (a table with only events, one informative
# table, a table of zeros in one cell only). `add`, `to` and `drop00` are passed as metafor's first
# elements (the escalc step behind Q); the counts are pooled with metafor's defaults for the second
# elements (add 0, to "none", drop00 FALSE).
#
# Regenerate: Rscript crates/rema-core/tests/golden/pooling.R crates/rema-core/tests/golden
# Writes pooling.json next to this script.
source("crates/rema-core/tests/golden/core_golden.R")
# Vectors are wrapped in I() so that one value stays a JSON array.

bcg <- with(dat.bcg, list(name = "dat.bcg", ai = tpos, bi = tneg, ci = cpos, di = cneg))
niel <- with(dat.nielweise2007, list(name = "dat.nielweise2007", ai = ai, bi = n1i - ai, ci = ci, di = n2i - ci))
y6 <- subset(dat.yusuf1985, table == "6" & !is.na(ai))  # Snow 1 has no counts
yusuf <- with(y6, list(name = "dat.yusuf1985 table 6", ai = ai, bi = n1i - ai, ci = ci, di = n2i - ci))
# Constructed: trial 3 has no events in either group, trial 4 only events, trial 5 a zero in one cell.
edge <- list(name = "constructed: double-zero, all-events and one-zero tables",
             ai = c(3, 10, 0, 20, 0), bi = c(17, 40, 30, 0, 25),
             ci = c(6, 15, 0, 22, 4), di = c(14, 35, 28, 0, 21))
# Constructed: one informative table beside a double-zero one.
single <- list(name = "constructed: one informative table", ai = c(4, 0), bi = c(36, 50), ci = c(9, 0), di = c(31, 45))

cases <- list()
add_case <- function(id, data, fn, measure = "OR", level = 95, correct = TRUE, add = 1/2, to = "only0", drop00 = TRUE) {
  ai <- data$ai; bi <- data$bi; ci <- data$ci; di <- data$di
  if (fn == "mh") {
    res <- rma.mh(ai = ai, bi = bi, ci = ci, di = di, measure = measure, level = level,
                  correct = correct, add = add, to = to, drop00 = drop00)
    call <- sprintf("rma.mh(ai, bi, ci, di, measure = \"%s\", level = %s, correct = %s, add = %s, to = \"%s\", drop00 = %s)",
                    measure, level, correct, add, to, drop00)
  } else {
    res <- rma.peto(ai = ai, bi = bi, ci = ci, di = di, level = level, add = add, to = to, drop00 = drop00)
    call <- sprintf("rma.peto(ai, bi, ci, di, level = %s, add = %s, to = \"%s\", drop00 = %s)", level, add, to, drop00)
  }
  expected <- list(beta = nums(res$beta), se = res$se, zval = res$zval, pval = res$pval,
                   ci_lb = res$ci.lb, ci_ub = res$ci.ub,
                   exp_beta = exp(nums(res$beta)), exp_ci_lb = exp(res$ci.lb), exp_ci_ub = exp(res$ci.ub),
                   QE = res$QE, QEp = res$QEp, I2 = res$I2, H2 = res$H2,
                   k = res$k, k_yi = res$k.yi, k_pos = res$k.pos,
                   yi = I(nums(res$yi)), vi = I(nums(res$vi)), weights = I(nums(weights(res))))
  if (fn == "mh") {
    # RevMan 5's "M-H, Random" (no metafor function computes it; R meta's metabin(method = "MH",
    # Q.Cochrane = TRUE) is not installed here), computed from its definition: DerSimonian-Laird
    # with the Q about the MH estimate (metafor's QE), then rma() with that tau^2 fixed.
    w <- 1 / res$vi
    tau2 <- if (res$k.yi > 1) max(0, (res$QE - (res$k.yi - 1)) / (sum(w) - sum(w^2) / sum(w))) else 0
    re <- rma(nums(res$yi), nums(res$vi), tau2 = tau2, level = level)
    re_w <- numeric(length(ai))
    re_w[!is.na(res$yi.f)] <- weights(re)
    expected <- c(expected, list(re_tau2 = tau2, re_beta = nums(re$beta), re_se = re$se, re_zval = re$zval,
                                 re_pval = re$pval, re_ci_lb = re$ci.lb, re_ci_ub = re$ci.ub,
                                 re_weights = I(re_w)))
  }
  if (fn == "mh" && measure == "OR") {
    expected <- c(expected, list(CO = res$CO, COp = res$COp, MH = res$MH, MHp = res$MHp,
                                 BD = res$BD, BDp = res$BDp, TA = res$TA, TAp = res$TAp))
  }
  cases[[length(cases) + 1]] <<- list(
    id = id, data = data$name, fn = fn, call = call, measure = measure, level = level,
    correct = correct, add = add, to = to, drop00 = drop00,
    ai = I(nums(ai)), bi = I(nums(bi)), ci = I(nums(ci)), di = I(nums(di)), expected = expected)
}

for (m in c("OR", "RR", "RD")) {
  add_case(paste0("bcg_mh_", m), bcg, "mh", m)
  add_case(paste0("nielweise_mh_", m), niel, "mh", m)
  add_case(paste0("edge_mh_", m), edge, "mh", m)
}
add_case("bcg_mh_OR_uncorrected_90", bcg, "mh", "OR", level = 90, correct = FALSE)
add_case("nielweise_mh_OR_all_keep00", niel, "mh", "OR", add = 0.25, to = "all", drop00 = FALSE)
add_case("nielweise_mh_RD_if0all", niel, "mh", "RD", to = "if0all")
add_case("yusuf6_mh_OR", yusuf, "mh", "OR")
add_case("single_mh_OR", single, "mh", "OR")
add_case("single_mh_RR", single, "mh", "RR")
add_case("bcg_peto", bcg, "peto")
add_case("bcg_peto_90", bcg, "peto", level = 90)
add_case("nielweise_peto", niel, "peto")
add_case("nielweise_peto_keep00", niel, "peto", drop00 = FALSE)
add_case("edge_peto", edge, "peto")
add_case("yusuf6_peto", yusuf, "peto")
add_case("single_peto", single, "peto")

core_write("pooling", cases)
