# Golden values for the small-study-effect tests of `rema bias`, computed by R
# metafor: regtest() (Egger's test, model = "rma", predictor = "sei"),
# ranktest() (Begg and Mazumdar's rank correlation) and trimfill() (L0,
# side chosen by metafor).
#
# Regenerate: `cargo xtask goldens` (or Rscript tests/golden/bias.R tests/golden).
# Writes tests/golden/bias.json (the case format of tests/golden/golden.R):
# one case per fit, `rema bias` of the CSV, and one through rema-core's
# trim and fill of metafor's yi and vi for the filled model's statistic (which
# the bias JSON does not report).
# Every fit uses metafor's defaults except PM (control tol = 1e-12, see core.R).
#
# The second part (`more`) checks the options of `rema bias` (spec keys named
# after metafor's arguments, see rema_data::BiasOptions) on dat.bcg,
# dat.hackshaw1998, dat.egger2001, dat.lehmann2018 and dat.bangertdrowns2004:
# regtest(model, predictor), PET-PEESE (regtest(model = "lm") with predictors
# sei and vi), ranktest(exact), trimfill(estimator, side), fsn() of the three
# types, tes() and selmodel(). selmodel() runs with optim's reltol = 1e-12 and
# integrate's rel.tol = 1e-12 (metafor's defaults, 1e-8 and 1.2e-4, leave its
# optimum and log-likelihood about 1e-5 from the maximum: see the note).
source("tests/golden/golden.R")
out_dir <- golden_out

nums <- function(x) unname(as.numeric(x))
num1 <- num

run <- function(id, csv, dat, measure, method, test, note = NULL) {
  ctrl <- if (method == "PM") list(tol = 1e-12) else list()
  cols <- intersect(c("ai", "bi", "ci", "di", "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", "xi", "ni", "yi", "vi"), names(dat))
  es <- do.call(escalc, c(list(measure = measure), as.list(dat[cols])))
  res <- rma(yi, vi, data = es, method = method, test = test, control = ctrl)
  rt <- regtest(res)
  rk <- suppressWarnings(ranktest(res))
  ties <- length(unique(es$vi)) < res$k
  tf <- trimfill(res)
  filled <- tf$fill
  stat <- if (test == "knha") "t" else "z"
  egger <- at("/egger", stats::setNames(list(num1(rt$zval), num1(rt$pval), num1(rt$ddf), num1(rt$est), num1(rt$ci.lb), num1(rt$ci.ub)),
                                        c(stat, "pval", "df", "limit_estimate", "limit_ci_lower", "limit_ci_upper")))
  begg <- at("/begg", list(tau = num1(rk$tau), pval = num1(rk$pval), exact = !ties))
  trim <- c(at("/trimfill", list(k0 = tf$k0, side = tf$side, se_k0 = num1(tf$se.k0),
                                 estimate = num1(tf$beta[1]), se = num1(tf$se[1]), pval = num1(tf$pval[1]),
                                 ci_lower = num1(tf$ci.lb[1]), ci_upper = num1(tf$ci.ub[1]), tau2 = num1(tf$tau2),
                                 q = num1(tf$QE), i2 = num1(tf$I2))),
            rows_at("/trimfill/filled", list(yi = nums(tf$yi[filled]), vi = nums(tf$vi[filled]))))
  expect <- c(egger, begg, trim)
  # Kendall's tau, its p-value, df and the filled variances are closed form.
  closed <- grepl("^/begg/|/df$|/k0$|/side$|/vi$", names(expect))
  iterative <- if (is_iterative(method)) names(expect)[!closed] else NULL
  id <- paste0(id, "/", measure, "/", method, "/", test)
  src <- sprintf('res <- rma(yi, vi, measure = "%s", method = "%s", test = "%s")', measure, method, test)
  list(
    golden_case(id, paste0(src, "; regtest(res); ranktest(res); trimfill(res)"), expect, csv = csv,
                spec = list(measure = measure, method = method, test = test),
                tolerance = tolerance_for(iterative, "iterative"), note = note),
    golden_case(paste0(id, "/trimfill_stat"), paste0(src, "; trimfill(res)$zval"), list(`/stat` = num1(tf$zval[1])),
                entry = "trim_and_fill", input = list(yi = nums(es$yi), vi = nums(es$vi), method = method, test = test),
                tolerance = tolerance_for(if (is_iterative(method)) "/stat", "iterative")))
}

bcg <- data.frame(study = paste0(dat.bcg$author, " ", dat.bcg$year),
                  ai = dat.bcg$tpos, bi = dat.bcg$tneg, ci = dat.bcg$cpos, di = dat.bcg$cneg)
hack <- data.frame(study = make.unique(paste(dat.hackshaw1998$author, dat.hackshaw1998$year)), yi = dat.hackshaw1998$yi, vi = dat.hackshaw1998$vi)
write.csv(hack, file.path(out_dir, "data", "hackshaw_bias.csv"), row.names = FALSE)
# Invented: equal sample sizes give tied variances, so ranktest() falls back
# to the normal approximation with the tie correction.
tied <- data.frame(study = paste0("T", 1:10),
                   yi = c(0.42, 0.61, 0.18, 0.95, 0.33, 0.77, 0.05, 0.51, 1.12, 0.27),
                   vi = c(0.04, 0.04, 0.02, 0.09, 0.02, 0.09, 0.01, 0.04, 0.16, 0.01))
write.csv(tied, file.path(out_dir, "data", "tied_bias.csv"), row.names = FALSE)
nor <- data.frame(study = paste0("S", 1:nrow(dat.normand1999)),
                  m1i = dat.normand1999$m1i, sd1i = dat.normand1999$sd1i, n1i = dat.normand1999$n1i,
                  m2i = dat.normand1999$m2i, sd2i = dat.normand1999$sd2i, n2i = dat.normand1999$n2i)
write.csv(nor, file.path(out_dir, "data", "normand_bias.csv"), row.names = FALSE)

# 60 simulated studies: no ties, so ranktest() uses the exact distribution
# even at k >= 50 (cor.test(exact = TRUE)).
set.seed(7)
sim_v <- round(runif(60, 0.005, 0.3), 6)
sim <- data.frame(study = paste0("R", 1:60), yi = round(0.3 + rnorm(60, 0, sqrt(sim_v + 0.02)) + 0.8 * sqrt(sim_v), 6), vi = sim_v)
write.csv(sim, file.path(out_dir, "data", "sim60_bias.csv"), row.names = FALSE)

cases <- list()
add <- function(...) cases <<- c(cases, run(...))
for (m in c("FE", "DL", "REML", "PM")) add("bcg_RR", "tests/golden/data/bcg_RR.csv", bcg, "RR", m, "z")
add("bcg_RR", "tests/golden/data/bcg_RR.csv", bcg, "RR", "REML", "knha",
    note = "regtest() uses the model's test (t on k - 2 df); trimfill() refits with test = z at level 95")
for (m in c("FE", "DL", "REML")) add("hackshaw_bias", "tests/golden/data/hackshaw_bias.csv", hack, "GEN", m, "z")
add("hackshaw_bias", "tests/golden/data/hackshaw_bias.csv", hack, "GEN", "DL", "knha")
for (m in c("DL", "REML")) add("tied_bias", "tests/golden/data/tied_bias.csv", tied, "GEN", m, "z")
for (m in c("DL", "REML")) add("sim60_bias", "tests/golden/data/sim60_bias.csv", sim, "GEN", m, "z")
for (m in c("REML")) add("normand_bias", "tests/golden/data/normand_bias.csv", nor, "MD", m, "z")
for (m in c("DL")) add("normand_bias", "tests/golden/data/normand_bias.csv", nor, "SMD", m, "z")

sel_ctrl <- list(reltol = 1e-12, intCtrl = list(rel.tol = 1e-12, subdivisions = 1000L), hessianCtrl = list(r = 6, d = 0.03))
sel_note <- paste("selmodel() with control = list(reltol = 1e-12, intCtrl = list(rel.tol = 1e-12, subdivisions = 1000),",
                  "hessianCtrl = list(r = 6, d = 0.03)): at metafor's defaults optim stops about 1e-5 (relative) before the",
                  "maximum, integrate's error moves the log-likelihood by about 5e-5, and numDeriv's first step of 10% of each",
                  "parameter leaves the Hessian up to 0.5% off (dat.egger2001, power); values within half an SE of zero",
                  "(an estimate, a CI bound, z) are compared on the scale of the SE (absolute 1e-4 SE, z 1e-4), and the p-values of",
                  "the z tests absolutely at max(1e-5, 1e-4 p) (a relative 1e-5 in z moves p = 0.002 by 2e-4 relative)")

# metafor's theta.lim (tes(find.lim = TRUE), its default), the root of metafor:::.tes.lim (the p-value at
# theta minus tes.alpha) found as tes() finds it (uniroot from H0 towards theta with extendInt; the two-sided
# limits are the "greater" and "less" ones at tes.alpha / 2) but at tol = 1e-12 instead of uniroot's default
# eps^0.25, which leaves metafor's own value up to ~1e-4 off (checked against it below). NA where none.
tes_theta_lim <- function(te, targs) {
  H0 <- targs$H0
  one <- function(alt, a) {
    f <- function(t) metafor:::.tes.lim(t, yi = targs$x, vi = targs$vi, H0 = H0, alternative = targs$alternative,
                                        alpha = targs$alpha, tau2 = targs$tau2, test = te$test, tes.alternative = alt,
                                        progbar = FALSE, tes.alpha = a, correct = FALSE, rel.tol = targs$rel.tol,
                                        subdivisions = 100L, tau2.lb = 0)
    d0 <- f(H0)
    if ((alt == "greater" && d0 >= 0) || (alt == "less" && d0 <= 0)) return(NA)
    up <- te$theta >= H0
    ext <- if ((alt == "greater") == up) "upX" else "downX"
    r <- try(uniroot(f, interval = if (up) c(H0, te$theta) else c(te$theta, H0), extendInt = ext, tol = 1e-12)$root,
             silent = TRUE)
    if (inherits(r, "try-error")) NA else r
  }
  a <- targs$tes.alpha
  lim <- if (te$tes.alternative == "two.sided") c(one("greater", a / 2), one("less", a / 2)) else one(te$tes.alternative, a)
  stopifnot(identical(is.na(lim), is.na(te$theta.lim)), all(abs(lim - te$theta.lim) < 1e-3, na.rm = TRUE))
  lim
}

more <- function(id, csv, dat, measure, method, opts = list(), sel = NULL, suffix = "") {
  cat(id, measure, method, "\n")
  cols <- intersect(c("ai", "bi", "ci", "di", "n1i", "n2i", "yi", "vi"), names(dat))
  es <- do.call(escalc, c(list(measure = measure), as.list(dat[cols])))
  res <- rma(yi, vi, data = es, method = method)
  opt <- function(name, default) if (is.null(opts[[name]])) default else opts[[name]]
  expect <- list()
  add <- function(x) expect <<- c(expect, x)
  # Egger's test as in the first part.
  eg <- regtest(res)
  add(at("/egger", list(z = num(eg$zval), pval = num(eg$pval), limit_estimate = num(eg$est),
                        limit_ci_lower = num(eg$ci.lb), limit_ci_upper = num(eg$ci.ub))))
  predictor <- opt("predictor", "sei"); model <- opt("model", "rma")
  if (predictor != "sei" || model != "rma") {
    rt <- regtest(res, model = model, predictor = predictor)
    if (model == "lm") {
      cf <- coef(summary(rt$fit)); slope <- cf[2, 1]; slope_se <- cf[2, 2]; tau2 <- NULL
    } else {
      slope <- rt$fit$beta[2]; slope_se <- rt$fit$se[2]; tau2 <- rt$fit$tau2
    }
    stat <- if (model == "lm") "t" else "z"
    add(at("/regtest", c(stats::setNames(list(num(rt$zval)), stat),
                         list(model = model, predictor = predictor, pval = num(rt$pval), df = num(rt$ddf),
                              slope = num(slope), slope_se = num(slope_se), tau2 = num(tau2),
                              limit_estimate = num(rt$est), limit_ci_lower = num(rt$ci.lb), limit_ci_upper = num(rt$ci.ub)))))
  }
  # PET-PEESE: weighted least squares on sei and on vi.
  pet <- regtest(res, model = "lm", predictor = "sei"); peese <- regtest(res, model = "lm", predictor = "vi")
  wls <- function(r) {
    cf <- coef(summary(r$fit))
    list(estimate = cf[1, 1], se = cf[1, 2], t = cf[1, 3], pval = cf[1, 4], df = r$ddf, ci_lower = num(r$ci.lb),
         ci_upper = num(r$ci.ub), slope = cf[2, 1], slope_se = cf[2, 2], slope_pval = cf[2, 4])
  }
  alpha <- opt("petpeese_alpha", 0.05)
  one <- coef(summary(pet$fit))[1, 4] / 2
  chosen <- if (one < alpha) "PEESE" else "PET"
  cond <- if (chosen == "PEESE") peese else pet
  add(c(at("/pet_peese/pet", wls(pet)), at("/pet_peese/peese", wls(peese)),
        at("/pet_peese", list(alpha = alpha, pet_one_sided_pval = one, chosen = chosen, estimate = num(cond$est),
                              ci_lower = num(cond$ci.lb), ci_upper = num(cond$ci.ub)))))
  # The rank correlation with metafor's `exact`.
  exact <- opt("exact", "true") == "true"
  rk <- suppressWarnings(ranktest(res, exact = exact))
  wi <- 1 / es$vi
  ystar <- (es$yi - sum(wi * es$yi) / sum(wi)) / sqrt(es$vi - 1 / sum(wi))
  ties <- anyDuplicated(es$vi) > 0 || anyDuplicated(ystar) > 0
  add(at("/begg", list(tau = num(rk$tau), pval = num(rk$pval), exact = exact && !ties)))
  # Trim and fill.
  tf <- if (is.null(opts$side)) trimfill(res, estimator = opt("estimator", "L0")) else
    trimfill(res, estimator = opt("estimator", "L0"), side = opts$side)
  add(c(at("/trimfill", list(k0 = tf$k0, side = tf$side, estimator = tf$k0.est, se_k0 = num(tf$se.k0), p_k0 = num(tf$p.k0),
                             estimate = num(tf$beta[1]), se = num(tf$se[1]), ci_lower = num(tf$ci.lb[1]),
                             ci_upper = num(tf$ci.ub[1]), tau2 = num(tf$tau2))),
        if (tf$k0 > 0) rows_at("/trimfill/filled", list(yi = nums(tf$yi[tf$fill]), vi = nums(tf$vi[tf$fill]))) else list()))
  # The fail-safe N of the three types.
  fa <- opt("fsn_alpha", 0.05)
  ros <- fsn(yi, vi, data = es, type = "Rosenthal", alpha = fa, test = opt("fsn_test", "Stouffer"))
  orw <- if (is.null(opts$fsn_target)) fsn(yi, vi, data = es, type = "Orwin", weighted = isTRUE(opts$fsn_weighted)) else
    fsn(yi, vi, data = es, type = "Orwin", target = opts$fsn_target, weighted = isTRUE(opts$fsn_weighted))
  rsb <- fsn(yi, vi, data = es, type = "Rosenberg", alpha = fa)
  add(c(at("/fsn", list(alpha = fa, rosenthal_test = opt("fsn_test", "Stouffer"))),
        at("/fsn/rosenthal", list(fsnum = num(ros$fsnum), pval = num(ros$pval))),
        at("/fsn/orwin", list(fsnum = num(orw$fsnum), meanes = num(orw$meanes), target = num(orw$target))),
        at("/fsn/rosenberg", list(fsnum = num(rsb$fsnum), pval = num(rsb$pval), meanes = num(rsb$meanes)))))
  # The test of excess significance (theta: the common-effect estimate).
  targs <- list(x = es$yi, vi = es$vi, H0 = opt("tes_h0", 0), alternative = opt("tes_study_alternative", "two.sided"),
                alpha = opt("tes_alpha", 0.05), tes.alternative = opt("tes_alternative", "greater"),
                progbar = FALSE, find.lim = TRUE)
  if (!is.null(opts$tes_theta)) targs$theta <- opts$tes_theta
  if (!is.null(opts$tes_test)) targs$test <- opts$tes_test
  if (!is.null(opts$tes_tau2)) targs$tau2 <- opts$tes_tau2
  targs$tes.alpha <- opt("tes_limit_alpha", 0.1)
  # The random-effects powers integrated to rel.tol = 1e-12 (metafor's default is eps^0.25).
  targs$rel.tol <- 1e-12
  te <- do.call(tes, targs)
  lim <- tes_theta_lim(te, targs)
  add(c(at("/tes", list(observed = te$O, expected = num(te$E), ratio = num(te$OEratio), test = te$test,
                        x2 = num(te$X2), pval = num(te$pval), theta = num(te$theta))),
        stats::setNames(lapply(lim, function(x) if (is.na(x)) NA else x), paste0("/tes/theta_lim/", seq_along(lim) - 1))))
  src <- sprintf('res <- rma(yi, vi, measure = "%s", method = "%s")', measure, method)
  calls <- "regtest(res, model, predictor); regtest(res, model = \"lm\", predictor = \"sei\"/\"vi\"); ranktest(res, exact); trimfill(res, estimator, side); fsn(yi, vi, type); tes(yi, vi, ...)"
  note <- NULL
  if (!is.null(sel)) {
    ctrl <- sel_ctrl
    if (!is.null(sel$hess_d)) ctrl$hessianCtrl$d <- sel$hess_d
    sargs <- list(res, type = sel$type, alternative = sel$alternative, control = ctrl)
    if (!is.null(sel$steps)) sargs$steps <- sel$steps
    if (!is.null(sel$prec)) sargs$prec <- sel$prec
    if (!is.null(sel$scaleprec)) sargs$scaleprec <- sel$scaleprec
    if (!is.null(sel$delta)) sargs$delta <- sel$delta
    s <- do.call(selmodel, sargs)
    d <- lapply(seq_along(s$delta), function(j) list(estimate = s$delta[j], se = num(s$se.delta[j]), z = num(s$zval.delta[j]),
                                                   pval = num(s$pval.delta[j]), ci_lower = num(s$ci.lb.delta[j]),
                                                   ci_upper = num(s$ci.ub.delta[j]), fixed = s$delta.fix[j] || (sel$type == "stepfun" && j == 1)))
    drows <- unlist(lapply(seq_along(d), function(j) at(paste0("/selmodel/delta/", j - 1), d[[j]])), recursive = FALSE)
    add(c(at("/selmodel", list(type = sel$type, alternative = sel$alternative, estimate = num(s$beta), se = num(s$se),
                               z = num(s$zval), pval = num(s$pval), ci_lower = num(s$ci.lb), ci_upper = num(s$ci.ub),
                               tau2 = num(s$tau2), tau2_se = num(s$se.tau2), tau2_ci_lower = num(s$ci.lb.tau2),
                               tau2_ci_upper = num(s$ci.ub.tau2), loglik = num(s$ll), loglik0 = num(s$ll0), lrt = num(s$LRT),
                               lrt_df = s$LRTdf, lrt_pval = num(s$LRTp), lrt_tau2 = num(s$LRT.tau2), lrt_tau2_pval = num(s$LRTp.tau2),
                               prec = sel$prec, scaleprec = if (is.null(sel$prec)) NULL else !isFALSE(sel$scaleprec))),
          if (is.data.frame(s$ptable)) rows_at("/selmodel/interval_counts", list(s$ptable$k)) else list(),
          drows))
    calls <- paste0(calls, sprintf('; selmodel(res, type = "%s", alternative = "%s"%s%s%s%s, control = sel_ctrl)', sel$type, sel$alternative,
                                   if (is.null(sel$steps)) "" else sprintf(", steps = c(%s)", paste(sel$steps, collapse = ", ")),
                                   if (is.null(sel$prec)) "" else sprintf(', prec = "%s"', sel$prec),
                                   if (is.null(sel$scaleprec)) "" else sprintf(", scaleprec = %s", sel$scaleprec),
                                   if (is.null(sel$delta)) "" else sprintf(", delta = c(%s)", paste(sel$delta, collapse = ", "))),
                    if (is.null(sel$hess_d)) "" else sprintf(" with hessianCtrl d = %s", sel$hess_d))
    note <- sel_note
    opts$selmodel <- sel$type; opts$alternative <- sel$alternative
    if (!is.null(sel$steps)) opts$steps <- I(sel$steps)
    if (!is.null(sel$prec)) opts$selmodel_prec <- sel$prec
    if (!is.null(sel$scaleprec)) opts$selmodel_scaleprec <- sel$scaleprec
    if (!is.null(sel$delta)) opts$selmodel_delta <- I(sel$delta)
  }
  names(expect) <- sub("/interval_counts/([0-9]+)/[^/]*$", "/interval_counts/\\1", names(expect))
  # Iterative: the selection model always; the rma fits of an iterative method.
  fits <- "^/(egger|trimfill)/|^/regtest/(z|pval|slope|slope_se|tau2|limit)"
  # With tes_tau2, metafor integrates the powers over theta +- 5 tau (rema: the closed form over the whole line).
  iterative <- names(expect)[grepl("^/selmodel/", names(expect)) | (is_iterative(method) & grepl(fits, names(expect))) |
                             (!is.null(opts$tes_tau2) & grepl("^/tes/(expected|ratio|x2|pval|theta)", names(expect)))]
  tol <- tolerance_for(iterative, "iterative")
  if (!is.null(sel)) {
    near0 <- function(p, v, se) if (!is.null(v) && abs(v) < se / 2) tol[[p]] <<- list(absolute = 1e-4 * se)
    for (p in c("estimate", "ci_lower", "ci_upper")) near0(paste0("/selmodel/", p), expect[[paste0("/selmodel/", p)]], s$se)
    near0("/selmodel/z", s$zval, 1)
    for (p in grep("^/selmodel/(delta/[0-9]+/)?pval$", names(expect), value = TRUE)) tol[[p]] <- list(absolute = max(1e-5, 1e-4 * expect[[p]]))
  }
  spec <- c(list(measure = measure, method = method, test = "z"), opts)
  golden_case(paste0(id, "/", measure, "/", method, "/options", suffix), paste0(src, "; ", calls), expect, csv = csv, spec = spec,
              tolerance = tol, note = note)
}

egger2001 <- data.frame(study = dat.egger2001$study, ai = dat.egger2001$ai, n1i = dat.egger2001$n1i,
                        ci = dat.egger2001$ci, n2i = dat.egger2001$n2i)
write.csv(egger2001, file.path(out_dir, "data", "egger2001_bias.csv"), row.names = FALSE)
lehmann <- data.frame(study = make.unique(dat.lehmann2018$Short_Title), yi = dat.lehmann2018$yi, vi = dat.lehmann2018$vi)
write.csv(lehmann, file.path(out_dir, "data", "lehmann2018_bias.csv"), row.names = FALSE)
bd <- dat.bangertdrowns2004[!is.na(dat.bangertdrowns2004$yi), ]
bangert <- data.frame(study = make.unique(paste(bd$author, bd$year)), yi = bd$yi, vi = bd$vi)
write.csv(bangert, file.path(out_dir, "data", "bangertdrowns2004_bias.csv"), row.names = FALSE)

mc <- list()
madd <- function(...) mc[[length(mc) + 1]] <<- more(...)
bcg_csv <- "tests/golden/data/bcg_RR.csv"
madd("bcg_RR", bcg_csv, bcg, "RR", "REML", list(predictor = "vi", model = "lm", estimator = "R0"),
     sel = list(type = "stepfun", steps = 0.05, alternative = "less"))
madd("bcg_RR", bcg_csv, bcg, "RR", "FE", list(estimator = "Q0", exact = "false", fsn_alpha = 0.01, petpeese_alpha = 0.1,
                                              fsn_test = "Fisher"),
     sel = list(type = "stepfun", steps = c(0.025, 0.5), alternative = "less"))
madd("bcg_RR", bcg_csv, bcg, "RR", "DL", list(predictor = "sei", model = "lm", side = "left", tes_test = "binom", tes_alternative = "two.sided",
                                              tes_limit_alpha = 0.2),
     sel = list(type = "beta", alternative = "less"))
hack_csv <- "tests/golden/data/hackshaw_bias.csv"
madd("hackshaw_bias", hack_csv, hack, "GEN", "REML", list(model = "lm"),
     sel = list(type = "stepfun", steps = 0.025, alternative = "greater"))
madd("hackshaw_bias", hack_csv, hack, "GEN", "DL", list(estimator = "R0", tes_study_alternative = "greater", tes_test = "chi2",
                                                       fsn_test = "Fisher"),
     sel = list(type = "negexp", alternative = "greater"))
eg_csv <- "tests/golden/data/egger2001_bias.csv"
madd("egger2001_bias", eg_csv, egger2001, "OR", "REML", list(predictor = "ninv", model = "lm", fsn_target = -0.1),
     sel = list(type = "halfnorm", alternative = "less"))
madd("egger2001_bias", eg_csv, egger2001, "OR", "FE", list(predictor = "sqrtninv", estimator = "R0", fsn_weighted = TRUE),
     sel = list(type = "power", alternative = "less"))
madd("egger2001_bias", eg_csv, egger2001, "OR", "DL", list(predictor = "ni", tes_theta = -0.2))
# The random-effects powers of tes(res): the model's tau^2 (here the REML fit's, and DL's with chi2).
bcg_tau2 <- rma(measure = "RR", ai = ai, bi = bi, ci = ci, di = di, data = bcg)$tau2
madd("bcg_RR", bcg_csv, bcg, "RR", "ML", list(tes_tau2 = bcg_tau2, tes_alternative = "two.sided"))
leh_tau2 <- rma(yi, vi, data = lehmann, method = "DL")$tau2
madd("lehmann2018_bias", "tests/golden/data/lehmann2018_bias.csv", lehmann, "GEN", "DL",
     list(tes_tau2 = leh_tau2, tes_test = "chi2", tes_limit_alpha = 0.05))
madd("egger2001_bias", eg_csv, egger2001, "OR", "ML", list(predictor = "sqrtni", model = "lm", tes_alternative = "less"))
leh_csv <- "tests/golden/data/lehmann2018_bias.csv"
madd("lehmann2018_bias", leh_csv, lehmann, "GEN", "REML", list(predictor = "vi"),
     sel = list(type = "logistic", alternative = "greater"))
madd("lehmann2018_bias", leh_csv, lehmann, "GEN", "FE", list(estimator = "R0", fsn_test = "Fisher", fsn_alpha = 0.01),
     sel = list(type = "stepfun", steps = c(0.025, 0.1, 0.5), alternative = "greater"))
bd_csv <- "tests/golden/data/bangertdrowns2004_bias.csv"
madd("bangertdrowns2004_bias", bd_csv, bangert, "GEN", "REML", list(model = "lm", fsn_weighted = TRUE, tes_h0 = 0.1),
     sel = list(type = "power", alternative = "greater"))
madd("bangertdrowns2004_bias", bd_csv, bangert, "GEN", "ML", list(estimator = "Q0", side = "right", fsn_test = "Fisher"),
     sel = list(type = "stepfun", steps = 0.05, alternative = "two.sided"))
# selmodel(prec, scaleprec, delta): the precision measures in the four functions that take one (ninv and
# sqrtninv from escalc's ni = n1i + n2i), unscaled once, and fixed deltas (beta's second at 1, a step's at 0.5).
# The unscaled power model takes numDeriv's d = 0.01: at d = 0.03 metafor's Hessian gives SE(mu) 0.0779, at
# d = 0.1 and d = 0.01 0.089085 (rema: 0.089085), so d = 0.03 is the outlier there.
madd("egger2001_bias", eg_csv, egger2001, "OR", "REML", list(fsn_test = "Fisher"),
     sel = list(type = "negexp", alternative = "less", prec = "sei"),
     suffix = "/prec_sei")
madd("egger2001_bias", eg_csv, egger2001, "OR", "FE", sel = list(type = "halfnorm", alternative = "less", prec = "ninv"),
     suffix = "/prec_ninv")
madd("egger2001_bias", eg_csv, egger2001, "OR", "DL",
     sel = list(type = "logistic", alternative = "less", prec = "sqrtninv", steps = 0.05), suffix = "/prec_sqrtninv")
madd("lehmann2018_bias", leh_csv, lehmann, "GEN", "REML",
     sel = list(type = "power", alternative = "greater", prec = "vi", scaleprec = FALSE, hess_d = 0.01),
     suffix = "/prec_vi_unscaled")
madd("bcg_RR", bcg_csv, bcg, "RR", "REML", sel = list(type = "beta", alternative = "less", delta = c(NA, 1)),
     suffix = "/delta_fixed")
madd("hackshaw_bias", hack_csv, hack, "GEN", "REML",
     sel = list(type = "stepfun", steps = c(0.025, 0.5), alternative = "greater", delta = c(NA, NA, 0.5)),
     suffix = "/delta_fixed")
cases <- c(cases, mc)

vec_at <- function(prefix, v) stats::setNames(as.list(unname(v)), sprintf("%s/%d", prefix, seq_along(v) - 1L))
# R's supsmu() (the smoother of qqnorm.rma.uni(smooth = TRUE)), closed form: its output at each distinct x.
set.seed(11)
sx <- sort(round(runif(40, 0, 3), 1))  # ties
sy <- round(sin(2 * sx) + rnorm(40, 0, 0.3), 4)
smooth_case <- function(id, x, y, bass) {
  s <- supsmu(x, y, bass = bass)
  golden_case(paste0("supsmu/", id), sprintf("supsmu(x, y, bass = %s)$y", bass), vec_at("/smooth", s$y),
              entry = "supsmu", input = list(x = x, y = y, bass = bass), tolerance = list())
}
qx <- qnorm(ppoints(13))
qy <- c(-2.777, -1.972, -1.493, -1.163, -0.868, -0.612, -0.371, -0.118, 0.133, 0.409, 0.743, 1.201, 1.95)
cases <- c(cases, list(smooth_case("ties", sx, sy, 0), smooth_case("ties_bass5", sx, sy, 5),
                       smooth_case("qq13", qx, qy, 0), smooth_case("line7", 1:7, c(1, 3, 2, 5, 4, 6, 8), 0)))

# The Q-Q envelope of qqnorm.rma.uni(envelope = TRUE): its bounds are recorded from the lines() metafor draws,
# averaged over 10 seeds of `reps` replicates each; their Monte Carlo SE is the SD over the seeds / sqrt(10)
# (rema's entry does the same with its own streams), compared by distribution.
qq_case <- function(id, res, reps, smooth = TRUE, bonferroni = FALSE, level = 95) {
  seeds <- 1:10
  runs <- lapply(seeds, function(sd) {
    qq_rec <<- list()
    suppressMessages(trace(graphics:::lines.default, print = FALSE,
                           tracer = quote(qq_rec[[length(qq_rec) + 1]] <<- list(x = x, y = y))))
    pdf(NULL)
    qqnorm(res, reps = reps, seed = sd, smooth = smooth, bonferroni = bonferroni, level = level)
    dev.off()
    suppressMessages(untrace(graphics:::lines.default))
    stopifnot(length(qq_rec) == 2)
    c(qq_rec[[1]]$y, qq_rec[[2]]$y)
  })
  m <- do.call(rbind, runs)
  mean <- colMeans(m); mcse <- apply(m, 2, sd) / sqrt(length(seeds))
  k <- res$k
  expect <- c(vec_at("/lower", mean[1:k]), vec_at("/upper", mean[k + 1:k]))
  tol <- stats::setNames(lapply(seq_along(mean), function(j) {
    side <- if (j <= k) "lower" else "upper"
    list(resampling = list(mcse = mcse[j], mcse_at = sprintf("/%s_mcse/%d", side, (j - 1) %% k)))
  }), names(expect))
  golden_case(paste0("qq_envelope/", id),
              sprintf("qqnorm(res, envelope = TRUE, reps = %d, seed = 1:10, smooth = %s, bonferroni = %s, level = %s)",
                      reps, smooth, bonferroni, level),
              expect, entry = "qq_envelope",
              input = list(weights = 1 / (res$vi + res$tau2), level = level, reps = reps, smooth = smooth,
                           bonferroni = bonferroni, bass = 0, seeds = length(seeds)),
              tolerance = tol)
}
res_bcg <- rma(yi, vi, data = escalc(measure = "RR", ai = ai, bi = bi, ci = ci, di = di, data = bcg))
res_hack <- rma(yi, vi, data = hack, method = "DL")
cases <- c(cases, list(qq_case("bcg_smooth", res_bcg, 4000), qq_case("bcg_raw", res_bcg, 4000, smooth = FALSE),
                       qq_case("bcg_bonferroni_90", res_bcg, 4000, smooth = FALSE, bonferroni = TRUE, level = 90),
                       qq_case("hackshaw_smooth", res_hack, 4000)))

golden_write("bias", "bias", "closed_form", "tests/golden/bias.R", cases)
