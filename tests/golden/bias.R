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

golden_write("bias", "bias", "closed_form", "tests/golden/bias.R", cases)
