# Golden values for rema's pooled fits, computed by R metafor.
#
# Regenerate with `cargo xtask goldens` (needs R and metafor; Debian:
# apt-get install r-cran-metafor r-cran-jsonlite). Writes tests/golden/core.json
# (the case format of tests/golden/golden.R) and the input CSVs in
# tests/golden/data/. `cargo xtask goldens --check` and cargo test compare offline.
#
# One case per fit: `rema analyze` of the CSV with the fit's measure, method,
# test and level, against rma() on escalc()'s values. The first fit of each
# dataset also checks the effect sizes; a second case per fit checks the
# omnibus QM of the intercept-only model through rema-core's fit of
# metafor's yi and vi (the analysis JSON reports QM for meta-regressions only).
#
# Conventions:
# - Every fit uses metafor's defaults, except `control = list(tol = 1e-12)` for
#   PM and for confint(): metafor finds those roots with uniroot() at
#   tol = .Machine$double.eps^0.25 (~1.2e-4), while rema solves them to machine
#   precision. The tight tolerance makes metafor report the exact root.
# - Prediction intervals are predict()'s defaults (metafor 3.8: the same z or t
#   quantile as the confidence interval).
# - rema reports back-transformed proportions in percent: 100 * predict(transf).
source("tests/golden/golden.R")
out_dir <- golden_out

methods <- c("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
tests <- c("z", "knha")

# IRFT: metafor's transf.iirft takes one person-time; the pooled values use the harmonic mean of the studies'
# ti (escalc's attr(yi, "ni") for rates), as transf.ipft.hm does with the sample sizes for PFT.
transf_for <- function(measure, ni) {
  switch(measure, RR = exp, OR = exp, PLN = exp, ROM = exp, CVR = exp, VR = exp, ZCOR = transf.ztor, ZPCOR = transf.ztor, IRR = exp, IRLN = exp, MNLN = exp, CVLN = exp, SDLN = exp, IRS = transf.isqrt,
         IRFT = function(x) transf.iirft(x, ti = 1 / mean(1 / ni)), PLO = transf.ilogit, PAS = transf.iarcsin,
         PFT = function(x) transf.ipft.hm(x, targs = list(ni = ni)), NULL)
}

fit_case <- function(yi, vi, method, test, level = 95, measure = "GEN", ni = NULL) {
  ctrl <- if (method == "PM") list(tol = 1e-12) else list()
  res <- tryCatch(
    withCallingHandlers(rma(yi, vi, method = method, test = test, level = level, control = ctrl),
                        warning = function(w) invokeRestart("muffleWarning")),
    error = function(e) e)
  if (inherits(res, "error")) return(list(method = method, test = test, level = level, error = conditionMessage(res)))
  pr <- predict(res)
  ex <- list(
    k = res$k, estimate = num(res$beta[1]), se = num(res$se[1]), stat = num(res$zval[1]),
    pval = num(res$pval[1]), ci_lower = num(res$ci.lb[1]), ci_upper = num(res$ci.ub[1]),
    tau2 = num(res$tau2), i2 = num(res$I2), h2 = num(res$H2), q = num(res$QE), q_pval = num(res$QEp),
    qm = num(res$QM), qm_pval = num(res$QMp),
    pi_lower = num(pr$pi.lb), pi_upper = num(pr$pi.ub),
    weights = unname(as.numeric(weights(res))))
  tf <- transf_for(measure, ni)
  if (!is.null(tf)) {
    pt <- predict(res, transf = tf)
    ex$transformed <- list(estimate = num(pt$pred), ci_lower = num(pt$ci.lb), ci_upper = num(pt$ci.ub),
                           pi_lower = num(pt$pi.lb), pi_upper = num(pt$pi.ub))
  }
  if (method != "FE" && res$k > 1) {
    ci <- tryCatch(suppressWarnings(confint(res, control = list(tol = 1e-12))), error = function(e) NULL)
    if (!is.null(ci)) {
      r <- ci$random
      ex$tau2_ci_lower <- num(r["tau^2", "ci.lb"]); ex$tau2_ci_upper <- num(r["tau^2", "ci.ub"])
      ex$i2_ci_lower <- num(r["I^2(%)", "ci.lb"]); ex$i2_ci_upper <- num(r["I^2(%)", "ci.ub"])
      ex$h2_ci_lower <- num(r["H^2", "ci.lb"]); ex$h2_ci_upper <- num(r["H^2", "ci.ub"])
    }
  }
  list(method = method, test = test, level = level, expected = ex)
}

cases <- list()
add_case <- function(id, dataset, measure, input, csv = TRUE, methods_ = methods, tests_ = tests, levels = 95,
                     note = NULL, ...) {
  es <- do.call(escalc, c(list(measure = measure), as.list(input), list(...)))
  yi <- as.numeric(es$yi); vi <- as.numeric(es$vi)
  ni <- attr(es$yi, "ni")
  fits <- list()
  for (m in methods_) for (t in tests_) for (l in levels) fits[[length(fits) + 1]] <- fit_case(yi, vi, m, t, l, measure, ni)
  csv_path <- NULL
  if (csv) {
    df <- data.frame(study = paste0("S", seq_along(yi)), input, check.names = FALSE)
    csv_path <- file.path("tests/golden/data", paste0(id, ".csv"))
    write.csv(df, file.path(out_dir, "data", paste0(id, ".csv")), row.names = FALSE, quote = TRUE)
  }
  cases[[length(cases) + 1]] <<- list(id = id, dataset = dataset, measure = measure, note = note, csv = csv_path,
                                      input = as.list(input), yi = yi, vi = vi, ni = if (is.null(ni)) NULL else as.numeric(ni),
                                      fits = fits)
}

# Binary: BCG vaccine trials (Colditz et al. 1994).
bcg <- data.frame(ai = dat.bcg$tpos, bi = dat.bcg$tneg, ci = dat.bcg$cpos, di = dat.bcg$cneg)
for (m in c("RR", "OR", "RD")) add_case(paste0("bcg_", m), "dat.bcg", m, bcg)

# The other 2x2-table measures of escalc (AS and PHI with add = 0, metafor's default for them).
for (m in c("AS", "PHI", "YUQ", "YUY", "OR2DN", "OR2DL"))
  add_case(paste0("bcg_", m), "dat.bcg", m, bcg, methods_ = c("FE", "DL", "REML"), tests_ = "z")
# Zero cells (Nielweise 2007, catheter-related bloodstream infections): 0.5 is added to the tables
# with a zero cell for YUQ, YUY, OR2DN and OR2DL; AS and PHI are finite at zero and get nothing.
niel <- data.frame(ai = dat.nielweise2007$ai, n1i = dat.nielweise2007$n1i,
                   ci = dat.nielweise2007$ci, n2i = dat.nielweise2007$n2i)
# PHI is 0/0 for a table without events in either group (study 15): metafor gives NA and leaves the study
# out of the fit, rema refuses it and suggests a continuity correction, so that case drops it from the input.
for (m in c("AS", "PHI", "YUQ", "YUY", "OR2DN", "OR2DL"))
  add_case(paste0("nielweise2007_", m), "dat.nielweise2007", m, if (m == "PHI") niel[-15, ] else niel,
           methods_ = c("DL", "REML"), tests_ = "z",
           note = if (m == "PHI") "study 15 (0/118 vs 0/105) left out: PHI is 0/0 there" else NULL)

# Correlations: Molloy et al. 2014, conscientiousness and medication adherence (ri, ni).
mol <- data.frame(ri = dat.molloy2014$ri, ni = dat.molloy2014$ni)
for (m in c("COR", "UCOR", "ZCOR")) add_case(paste0("molloy2014_", m), "dat.molloy2014", m, mol, methods_ = c("FE", "DL", "REML"))

# Partial and semi-partial correlations: Aloe 2013, from each regression's t statistic, n, number of
# predictors and R^2.
alo <- data.frame(ti = dat.aloe2013$tval, ni = dat.aloe2013$n, mi = dat.aloe2013$preds, r2i = dat.aloe2013$R2)
for (m in c("PCOR", "ZPCOR", "SPCOR")) add_case(paste0("aloe2013_", m), "dat.aloe2013", m, alo, methods_ = c("FE", "DL", "REML"))

# Incidence rates: Hart et al. 1999, warfarin and stroke (events over patient-years): two groups, and the
# warfarin arm alone for the one-group measures; then constructed rates with no events in one study
# (0.5 added to both groups' events for IRR, IRD, to the events for IR, IRLN; nothing for IRSD, IRS, IRFT).
har <- data.frame(x1i = dat.hart1999$x1i, t1i = dat.hart1999$t1i, x2i = dat.hart1999$x2i, t2i = dat.hart1999$t2i)
for (m in c("IRR", "IRD", "IRSD")) add_case(paste0("hart1999_", m), "dat.hart1999", m, har, methods_ = c("FE", "DL", "REML"))
har1 <- data.frame(xi = dat.hart1999$x1i, ti = dat.hart1999$t1i)
for (m in c("IR", "IRLN", "IRS", "IRFT")) add_case(paste0("hart1999_", m), "dat.hart1999 (warfarin arm)", m, har1, methods_ = c("FE", "DL", "REML"))
zr <- data.frame(x1i = c(0, 4, 6), t1i = c(100, 120, 90), x2i = c(3, 5, 9), t2i = c(110, 100, 95))
for (m in c("IRR", "IRD", "IRSD")) add_case(paste0("edge_zero_rate_", m), "constructed: no events in one group of one study", m, zr, methods_ = "DL", tests_ = "z")
zr1 <- data.frame(xi = c(0, 4, 6), ti = c(100, 120, 90))
for (m in c("IR", "IRLN", "IRS", "IRFT")) add_case(paste0("edge_zero_rate_", m), "constructed: a study without events", m, zr1, methods_ = "DL", tests_ = "z")

# Viechtbauer 2007, Table II: pre-eclampsia trials, log odds ratios.
col <- data.frame(ai = dat.collins1985b$pre.xti, n1i = dat.collins1985b$pre.nti,
                  ci = dat.collins1985b$pre.xci, n2i = dat.collins1985b$pre.nci)
add_case("collins1985b_OR", "dat.collins1985b", "OR", col, levels = c(95, 90))

# Continuous: Normand 1999, length of hospital stay.
nor <- data.frame(m1i = dat.normand1999$m1i, sd1i = dat.normand1999$sd1i, n1i = dat.normand1999$n1i,
                  m2i = dat.normand1999$m2i, sd2i = dat.normand1999$sd2i, n2i = dat.normand1999$n2i)
for (m in c("MD", "SMD")) add_case(paste0("normand1999_", m), "dat.normand1999", m, nor)
# The other two-group measures of means and SDs (metafor 3.8-1's SMDH variance carries the factor c(m)^2).
for (m in c("SMDH", "SMD1", "ROM", "CVR", "VR"))
  add_case(paste0("normand1999_", m), "dat.normand1999", m, nor, methods_ = c("FE", "DL", "REML"))
# SMD without Hedges' small-sample correction (Cohen's d; rema's smd_correct = false). metafor 4.x has
# escalc(measure = "SMD", correct = FALSE), where .cmicalc(mi, correct = FALSE) is 1 and the default "LS"
# variance 1/n1i + 1/n2i + yi^2/(2(n1i + n2i)) is taken at yi = d (R/escalc.r, R/misc.func.hidden.escalc.r
# of metafor 4.x/5.x). metafor 3.8-1 lacks `correct`, so d is escalc's g divided by 3.8-1's own exact
# c(m) = metafor:::.cmicalc(n1i + n2i - 2), checked against d computed from the pooled SD.
smd_uncorrected <- function(id, dataset, input, methods_ = methods, tests_ = tests) {
  g <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = input)
  mi <- input$n1i + input$n2i - 2
  yi <- as.numeric(g$yi) / metafor:::.cmicalc(mi)
  sp <- sqrt(((input$n1i - 1) * input$sd1i^2 + (input$n2i - 1) * input$sd2i^2) / mi)
  stopifnot(isTRUE(all.equal(yi, (input$m1i - input$m2i) / sp, tolerance = 1e-14)))
  vi <- 1 / input$n1i + 1 / input$n2i + yi^2 / (2 * (input$n1i + input$n2i))
  fits <- list()
  for (m in methods_) for (t in tests_) fits[[length(fits) + 1]] <- fit_case(yi, vi, m, t, 95, "SMD")
  write.csv(data.frame(study = paste0("S", seq_along(yi)), input, check.names = FALSE),
            file.path(out_dir, "data", paste0(id, ".csv")), row.names = FALSE, quote = TRUE)
  cases[[length(cases) + 1]] <<- list(id = id, dataset = dataset, measure = "SMD", spec = list(smd_correct = FALSE),
    escalc = 'escalc(measure = "SMD", correct = FALSE) as metafor 4.x: yi = g / .cmicalc(mi)',
    note = "Cohen's d: Hedges' correction not applied", csv = file.path("tests/golden/data", paste0(id, ".csv")),
    input = as.list(input), yi = yi, vi = vi, ni = input$n1i + input$n2i, fits = fits)
}
smd_uncorrected("normand1999_SMD_uncorrected", "dat.normand1999", nor)
# Small groups, where c(m) is far from 1 (c(2) = 0.56; n1i + n2i = 3, where d exists but g and c(m) do not,
# is tested in crates/rema-core/src/effect/continuous.rs).
small <- data.frame(m1i = c(5.1, 4.2, 6.0, 3.3, 5.6), sd1i = c(1.2, 0.8, 1.5, 1.1, 0.9), n1i = c(2, 3, 4, 5, 3),
                    m2i = c(4.0, 4.5, 4.4, 2.1, 4.8), sd2i = c(1.0, 1.1, 1.3, 0.7, 1.4), n2i = c(2, 3, 3, 6, 4))
smd_uncorrected("edge_small_SMD_uncorrected", "constructed: groups of 2 to 6", small, methods_ = c("FE", "DL", "REML"))

# Curtis et al. 1998, plant growth under elevated CO2: the response ratio's own example.
cur <- data.frame(m1i = dat.curtis1998$m1i, sd1i = dat.curtis1998$sd1i, n1i = dat.curtis1998$n1i,
                  m2i = dat.curtis1998$m2i, sd2i = dat.curtis1998$sd2i, n2i = dat.curtis1998$n2i)
for (m in c("ROM", "VR", "CVR")) add_case(paste0("curtis1998_", m), "dat.curtis1998", m, cur, methods_ = c("DL", "REML"), tests_ = "z")

# Single groups: the treatment arm of Normand 1999 (length of stay, m1i, sd1i, n1i used as mi, sdi, ni).
nor1 <- data.frame(mi = dat.normand1999$m1i, sdi = dat.normand1999$sd1i, ni = dat.normand1999$n1i)
for (m in c("MN", "MNLN", "CVLN", "SDLN", "SMN"))
  add_case(paste0("normand1999_", m), "dat.normand1999 (treatment arm)", m, nor1, methods_ = c("FE", "DL", "REML"))
# Constructed single groups with a zero and a negative mean: MN and SMN take any mean; escalc refuses a
# negative mean for MNLN and CVLN (its error below; a zero mean, where escalc gives -Inf and rma() drops the
# study, rema refuses too: crates/rema-core/src/effect/single.rs tests it).
sg <- data.frame(mi = c(3.1, 0, -0.4, 5.2), sdi = c(1.2, 0.9, 0.7, 2.0), ni = c(20, 15, 12, 30))
for (m in c("MN", "SMN")) add_case(paste0("edge_single_sign_", m), "constructed: zero and negative means", m, sg, methods_ = "DL", tests_ = "z")
escalc_errors <- list()
sg_neg <- sg[-2, ]
for (m in c("MNLN", "CVLN")) {
  msg <- tryCatch({ escalc(measure = m, mi = mi, sdi = sdi, ni = ni, data = sg_neg); NULL }, error = conditionMessage)
  stopifnot(!is.null(msg))
  id <- paste0("edge_single_negative_", m)
  write.csv(data.frame(study = paste0("S", seq_len(nrow(sg_neg))), sg_neg), file.path(out_dir, "data", paste0(id, ".csv")),
            row.names = FALSE, quote = TRUE)
  escalc_errors[[length(escalc_errors) + 1]] <- golden_case(
    paste0(id, "/DL/z"), sprintf('constructed: a negative mean: escalc(measure = "%s", mi, sdi, ni)', m), list(),
    spec = list(measure = m, method = "DL", test = "z", level = 95), csv = file.path("tests/golden/data", paste0(id, ".csv")),
    error = msg)
}

# Proportions: Pritz 1997, recovery after stroke.
pri <- data.frame(xi = dat.pritz1997$xi, ni = dat.pritz1997$ni)
for (m in c("PR", "PLN", "PLO", "PAS", "PFT")) add_case(paste0("pritz1997_", m), "dat.pritz1997", m, pri)

# Generic: Hackshaw 1998, passive smoking and lung cancer (log odds ratios).
add_case("hackshaw1998_GEN", "dat.hackshaw1998", "GEN", data.frame(yi = dat.hackshaw1998$yi, vi = dat.hackshaw1998$vi))

# Pre/post: Morris 2008, Table 5 treatment groups (metafor's own columns: m1i = post, m2i = pre, sd1i = pre SD).
morris <- data.frame(m1i = c(30.6, 23.5, 0.5, 53.4, 35.6), m2i = c(38.5, 37.6, 0.7, 70.6, 42.1),
                     sd1i = c(15.0, 16.3, 3.0, 7.0, 15.0), sd2i = c(11.6, 11.5, 4.0, 4.0, 12.0),
                     ni = c(20, 28, 60, 25, 49), ri = c(0.47, 0.64, 0.77, 0.89, 0.44))
for (m in c("MC", "SMCC", "SMCR")) add_case(paste0("morris2008_", m), "Morris 2008 Table 5", m, morris)

# Pre/post in rema's named columns: an invented pain-VAS set like the seed paper's.
vas <- data.frame(m_pre = c(7.9, 8.1, 7.2, 8.4, 7.6, 6.9), sd_pre = c(1.4, 1.1, 1.9, 0.9, 1.6, 2.1),
                  m_post = c(3.1, 4.0, 3.5, 2.6, 4.4, 3.8), sd_post = c(1.9, 2.2, 2.4, 1.5, 2.0, 2.6),
                  ni = c(63, 19, 18, 26, 65, 40), ri = c(0.3, 0.5, 0.4, 0.6, 0.5, 0.2))
for (m in c("MC", "SMCC", "SMCR")) {
  es_in <- data.frame(m1i = vas$m_post, m2i = vas$m_pre, sd1i = vas$sd_pre, sd2i = vas$sd_post, ni = vas$ni, ri = vas$ri)
  es <- escalc(measure = m, m1i = m1i, m2i = m2i, sd1i = sd1i, sd2i = sd2i, ni = ni, ri = ri, data = es_in)
  yi <- as.numeric(es$yi); vi <- as.numeric(es$vi)
  fits <- list(); for (me in methods) for (t in tests) fits[[length(fits) + 1]] <- fit_case(yi, vi, me, t)
  id <- paste0("vas_", m)
  write.csv(data.frame(study = paste0("S", 1:6), vas), file.path(out_dir, "data", paste0(id, ".csv")), row.names = FALSE)
  cases[[length(cases) + 1]] <- list(id = id, dataset = "invented pre/post VAS (rema columns)", measure = m,
    note = "m_post -> m1i, m_pre -> m2i, sd_pre -> sd1i (SMCR standardises by the pre SD), sd_post -> sd2i",
    csv = file.path("tests/golden/data", paste0(id, ".csv")), input = as.list(vas), yi = yi, vi = vi, ni = vas$ni, fits = fits)
}

# Edge cases.
add_case("edge_k1", "first BCG trial alone", "RR", bcg[1, ], tests_ = "z")
add_case("edge_k2", "first two BCG trials", "RR", bcg[1:2, ])
add_case("edge_identical", "three identical studies", "GEN", data.frame(yi = c(0.4, 0.4, 0.4), vi = c(0.01, 0.02, 0.03)),
         note = "tau2 = 0 for every estimator")
add_case("edge_wide_variances", "variances from 1e-8 to 1e4", "GEN",
         data.frame(yi = c(0.1, 0.12, 0.5, -0.3, 2.0, 0.2), vi = c(1e-8, 1e-6, 1e-2, 1, 1e2, 1e4)))
add_case("edge_zero_arm", "BCG with all-zero events in the control arm of two trials", "RR",
         data.frame(ai = c(4, 6, 3, 62, 33), bi = c(119, 300, 228, 13536, 5036), ci = c(0, 29, 0, 248, 47), di = c(139, 274, 209, 12619, 5761)),
         note = "0.5 added to all cells of studies 1 and 3")
add_case("edge_zero_events_pr", "the seed paper's retrospective cement leaks, 0/32, 0/128, 0/22", "PR",
         data.frame(xi = c(0, 0, 0), ni = c(32, 128, 22)), tests_ = "z",
         note = "seed paper: 0.51% with I2 = 0%")

proportion <- c("PR", "PLN", "PLO", "PAS", "PFT")
source_of <- function(c, f) sprintf('%s: %s; rma(yi, vi, method = "%s", test = "%s", level = %s)',
                                    c$dataset, if (is.null(c$escalc)) sprintf('escalc(measure = "%s")', c$measure) else c$escalc,
                                    f$method, f$test, f$level)
fit_id <- function(c, f) paste0(c$id, "/", f$method, "/", f$test, if (f$level != 95) paste0("/level=", f$level) else "")

golden_cases <- list()
for (c in cases) {
  for (j in seq_along(c$fits)) {
    f <- c$fits[[j]]
    spec <- c(list(measure = c$measure, method = f$method, test = f$test, level = f$level), c$spec)
    if (is.null(f$expected)) {
      golden_cases[[length(golden_cases) + 1]] <- golden_case(fit_id(c, f), source_of(c, f), list(), spec = spec,
                                                              csv = c$csv, error = f$error, note = c$note)
      next
    }
    ex <- f$expected
    has_ci <- !is.null(ex$tau2_ci_lower)
    if (has_ci) spec$tau2_ci <- TRUE
    # q and q_pval do not depend on tau^2: closed form under every method.
    fitted <- at("", ex[c("k", "estimate", "se", "stat", "pval", "ci_lower", "ci_upper", "tau2", "i2", "h2",
                          "q", "q_pval", "pi_lower", "pi_upper")])
    weights <- rows_at("/studies", list(weight = ex$weights))
    scale <- if (c$measure %in% proportion) 100 else 1
    tr <- if (is.null(ex$transformed)) list() else
      at("/transformed", lapply(ex$transformed[c("estimate", "ci_lower", "ci_upper", "pi_lower", "pi_upper")],
                                function(x) if (is.null(x)) NULL else scale * x))
    ci <- at("", ex[c("tau2_ci_lower", "tau2_ci_upper", "i2_ci_lower", "i2_ci_upper", "h2_ci_lower", "h2_ci_upper")])
    effects <- if (j == 1) rows_at("/studies", list(yi = c$yi, vi = c$vi)) else list()
    expect <- c(effects, fitted, weights, tr, ci)
    iterative <- if (is_iterative(f$method)) setdiff(c(names(fitted), names(weights), names(tr)), c("/k", "/q", "/q_pval")) else NULL
    tol <- c(tolerance_for(iterative, "iterative"), tolerance_for(names(ci), "iterative"))
    golden_cases[[length(golden_cases) + 1]] <- golden_case(fit_id(c, f), source_of(c, f), expect, spec = spec,
                                                            csv = c$csv, tolerance = tol, note = c$note)
    qm <- at("", ex[c("qm", "qm_pval")])
    if (length(qm) == 0) next
    golden_cases[[length(golden_cases) + 1]] <- golden_case(
      paste0(fit_id(c, f), "/qm"), paste0(source_of(c, f), "$QM, $QMp"), qm, entry = "fit",
      input = list(yi = c$yi, vi = c$vi, method = f$method, test = f$test, level = f$level),
      tolerance = tolerance_for(if (is_iterative(f$method)) names(qm), "iterative"))
  }
}

golden_write("core", "analyze", "closed_form", "tests/golden/core.R", c(golden_cases, escalc_errors))
