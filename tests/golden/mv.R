# Golden values for multilevel models (rema analyze --random "~ 1 | a/b") and
# cluster-robust tests (--robust), by R metafor 3.8-1 rma.mv, confint,
# ranef, rstandard, fitstats, robust(), and clubSandwich 0.5.8 (robust(...,
# clubSandwich = TRUE): vcovCR CR2, coef_test Satterthwaite, Wald_test HTZ).
#
# Regenerate: `cargo xtask goldens mv` (or Rscript tests/golden/mv.R from the
# workspace root). Writes tests/golden/mv.json in the case format of
# tests/golden/golden.R and the CSV files under tests/golden/data/mv_*.csv.
# Data (metadat): dat.konstantopoulos2011 (three levels: districts, schools),
# dat.assink2016 (effects within studies; a three-level moderator, so the HTZ
# test has q = 2), dat.crede2010 (samples within studies, correlations as
# Fisher's z). The constructed sampling covariance is metafor's
# vcalc(vi, cluster, obs, rho) (equal to clubSandwich's
# impute_covariance_matrix(vi, cluster, r)). Every value is iterative (1e-4).
#
# metafor orders the levels of a factor as R's factor() does; rema lists the
# BLUPs in order of first appearance in the file: the expected rows are
# metafor's, reordered to the file's order (the level names are compared).
source("tests/golden/golden.R")
suppressPackageStartupMessages(library(clubSandwich))

tight <- list()

cases <- list()

# The expected values of one rma.mv fit `r` fitted to `data`, whose random
# terms are the columns `groups` (outermost first, nested); `labels` gives
# the file's study labels.
mv_expect <- function(r, data, groups, ci = NULL) {
  e <- list()
  put <- function(p, v) e[[p]] <<- v
  put("/estimate", num(r$beta[1])); put("/se", num(r$se[1])); put("/stat", num(r$zval[1]))
  put("/pval", num(r$pval[1])); put("/ci_lower", num(r$ci.lb[1])); put("/ci_upper", num(r$ci.ub[1]))
  put("/tau2", sum(r$sigma2)); put("/q", num(r$QE)); put("/q_pval", num(r$QEp)); put("/q_df", r$k - r$p)
  pr <- predict(r)
  if (r$p == 1) { put("/pi_lower", num(pr$pi.lb)); put("/pi_upper", num(pr$pi.ub)) }
  put("/k", r$k)
  fs <- fitstats(r)
  put("/multilevel/loglik", num(fs[1])); put("/multilevel/deviance", num(fs[2]))
  put("/multilevel/aic", num(fs[3])); put("/multilevel/bic", num(fs[4])); put("/multilevel/aicc", num(fs[5]))
  X <- model.matrix(r)
  W <- solve(r$V)
  P <- W - W %*% X %*% solve(t(X) %*% W %*% X) %*% t(X) %*% W
  vt <- (r$k - r$p) / sum(diag(P))
  put("/multilevel/vt", vt)
  put("/i2", 100 * sum(r$sigma2) / (sum(r$sigma2) + vt))
  for (t in seq_along(r$sigma2)) {
    p <- sprintf("/multilevel/components/%d", t - 1L)
    put(paste0(p, "/factor"), r$s.names[t]); put(paste0(p, "/sigma2"), r$sigma2[t])
    put(paste0(p, "/n_levels"), r$s.nlevels[t])
    put(paste0(p, "/i2"), 100 * r$sigma2[t] / (sum(r$sigma2) + vt))
    if (!is.null(ci)) {
      ct <- if (length(r$sigma2) == 1) ci$random else ci[[t]]$random
      put(paste0(p, "/ci_lower"), num(ct[1, "ci.lb"])); put(paste0(p, "/ci_upper"), num(ct[1, "ci.ub"]))
    }
  }
  if (r$p > 1) {
    for (j in seq_len(r$p)) {
      p <- sprintf("/coefficients/%d", j - 1L)
      put(paste0(p, "/name"), rownames(r$beta)[j]); put(paste0(p, "/estimate"), num(r$beta[j]))
      put(paste0(p, "/se"), num(r$se[j])); put(paste0(p, "/zval"), num(r$zval[j]))
      put(paste0(p, "/pval"), num(r$pval[j]))
      put(paste0(p, "/ci_lower"), num(r$ci.lb[j])); put(paste0(p, "/ci_upper"), num(r$ci.ub[j]))
    }
    put("/qm", num(r$QM)); put("/qm_pval", num(r$QMp)); put("/qm_df", num(r$QMdf[1]))
    put("/qe", num(r$QE)); put("/qe_pval", num(r$QEp))
  }
  # BLUPs in the file's order of first appearance.
  re <- ranef(r)
  row <- 0L
  for (t in seq_along(groups)) {
    lab <- do.call(paste, c(lapply(groups[1:t], function(g) data[[g]]), sep = "/"))
    lv <- unique(lab)
    tab <- re[[t]]
    for (l in lv) {
      p <- sprintf("/multilevel/ranef/%d", row)
      put(paste0(p, "/factor"), r$s.names[t]); put(paste0(p, "/level"), l)
      put(paste0(p, "/pred"), tab[l, "intrcpt"]); put(paste0(p, "/se"), tab[l, "se"])
      put(paste0(p, "/pi_lower"), tab[l, "pi.lb"]); put(paste0(p, "/pi_upper"), tab[l, "pi.ub"])
      row <- row + 1L
    }
  }
  rs <- rstandard(r)
  fv <- fitted(r)
  for (i in seq_len(r$k)) {
    p <- sprintf("/multilevel/residuals/%d", i - 1L)
    put(paste0(p, "/fitted"), unname(fv[i])); put(paste0(p, "/resid"), unname(rs$resid[i]))
    put(paste0(p, "/se"), unname(rs$se[i])); put(paste0(p, "/z"), unname(rs$z[i]))
  }
  e
}

# The expected values of robust() of `r` (metafor's CR1, or clubSandwich's CR2).
robust_expect <- function(rr, names) {
  e <- list()
  for (j in seq_along(names)) {
    p <- sprintf("/robust/coefficients/%d", j - 1L)
    e[[paste0(p, "/name")]] <- names[j]
    e[[paste0(p, "/estimate")]] <- num(rr$beta[j]); e[[paste0(p, "/se")]] <- num(rr$se[j])
    e[[paste0(p, "/tval")]] <- num(rr$zval[j]); e[[paste0(p, "/df")]] <- num(rr$dfs[j])
    e[[paste0(p, "/pval")]] <- num(rr$pval[j])
    e[[paste0(p, "/ci_lower")]] <- num(rr$ci.lb[j]); e[[paste0(p, "/ci_upper")]] <- num(rr$ci.ub[j])
  }
  e[["/robust/qm"]] <- num(rr$QM); e[["/robust/qm_df1"]] <- num(rr$QMdf[1])
  e[["/robust/qm_df2"]] <- num(rr$QMdf[2]); e[["/robust/qm_pval"]] <- num(rr$QMp)
  e
}

add <- function(id, source, csv, spec, expect, note = NULL) {
  cases[[length(cases) + 1L]] <<- golden_case(id, source, expect, spec = spec, csv = csv, note = note)
}

write_data <- function(name, df) {
  write.csv(df, file.path(golden_out, "data", paste0(name, ".csv")), row.names = FALSE, na = "")
  file.path("tests/golden/data", paste0(name, ".csv"))
}

# dat.konstantopoulos2011: 56 studies in schools within 11 districts.
k11 <- dat.konstantopoulos2011
k11$study <- paste0("S", k11$study)
# Year centred at its mean (the raw year makes X'WX ill-conditioned).
k11$year_c <- k11$year - mean(k11$year)
k11_csv <- write_data("mv_konstantopoulos2011", k11[, c("study", "district", "school", "year_c", "yi", "vi")])
for (method in c("REML", "ML")) {
  r <- rma.mv(yi, vi, random = ~ 1 | district/school, data = k11, method = method, control = tight)
  ci <- confint(r, control = list(tol = 1e-10))
  rr1 <- robust(r, cluster = k11$district)
  rr2 <- robust(r, cluster = k11$district, clubSandwich = TRUE)
  base <- list(measure = "GEN", method = method, random_terms = I("~ 1 | district/school"))
  add(paste0("konstantopoulos2011/", method),
      sprintf('rma.mv(yi, vi, random = ~ 1 | district/school, data = dat.konstantopoulos2011, method = "%s"); confint(); ranef(); rstandard(); fitstats()', method),
      k11_csv, c(base, list(tau2_ci = TRUE)), mv_expect(r, k11, c("district", "school"), ci))
  add(paste0("konstantopoulos2011/", method, "/CR1"),
      sprintf('robust(rma.mv(yi, vi, random = ~ 1 | district/school, method = "%s"), cluster = district)', method),
      k11_csv, c(base, list(robust = "district", robust_type = "CR1")), robust_expect(rr1, "intrcpt"))
  add(paste0("konstantopoulos2011/", method, "/CR2"),
      sprintf('robust(rma.mv(yi, vi, random = ~ 1 | district/school, method = "%s"), cluster = district, clubSandwich = TRUE)', method),
      k11_csv, c(base, list(robust = "district")), robust_expect(rr2, "intrcpt"))
}
r <- rma.mv(yi, vi, mods = ~ year_c, random = ~ 1 | district/school, data = k11, control = tight)
rr2 <- robust(r, cluster = k11$district, clubSandwich = TRUE)
add("konstantopoulos2011/REML/year",
    'rma.mv(yi, vi, mods = ~ I(year - mean(year)), random = ~ 1 | district/school, data = dat.konstantopoulos2011); robust(clubSandwich = TRUE)',
    k11_csv, list(measure = "GEN", mods = I("year_c"), random_terms = I("~ 1 | district/school"), robust = "district"),
    c(mv_expect(r, k11, c("district", "school")), robust_expect(rr2, c("intrcpt", "year_c"))))
# The same model as two terms of random = list(~ 1 | district, ~ 1 | school_id).
k11$school_id <- paste(k11$district, k11$school, sep = "/")
k11b_csv <- write_data("mv_konstantopoulos2011_terms", k11[, c("study", "district", "school_id", "yi", "vi")])
r <- rma.mv(yi, vi, random = list(~ 1 | district, ~ 1 | school_id), data = k11, control = tight)
e <- mv_expect(r, k11, c("district"))
e <- e[!grepl("^/multilevel/ranef", names(e))]
add("konstantopoulos2011/terms",
    'rma.mv(yi, vi, random = list(~ 1 | district, ~ 1 | school_id), data = dat.konstantopoulos2011)',
    k11b_csv, list(measure = "GEN", random_terms = I(c("~ 1 | district", "~ 1 | school_id"))), e)

# dat.assink2016: 100 effects in 17 studies; deltype has three levels.
a16 <- dat.assink2016
a16$study_label <- paste0("study", a16$study)
a16_csv <- write_data("mv_assink2016", data.frame(study = a16$study_label, sid = a16$study, esid = a16$esid,
                                                  deltype = a16$deltype, year = a16$year, yi = a16$yi, vi = a16$vi))
a16$sid <- a16$study
r <- rma.mv(yi, vi, random = ~ 1 | sid/esid, data = a16, control = tight)
add("assink2016/REML",
    'rma.mv(yi, vi, random = ~ 1 | study/esid, data = dat.assink2016); confint(); ranef(); rstandard()',
    a16_csv, list(measure = "GEN", random_terms = I("~ 1 | sid/esid"), tau2_ci = TRUE),
    mv_expect(r, a16, c("sid", "esid"), confint(r, control = list(tol = 1e-10))))
r <- rma.mv(yi, vi, mods = ~ deltype, random = ~ 1 | sid/esid, data = a16, control = tight)
for (type in c("CR1", "CR2")) {
  rr <- if (type == "CR1") robust(r, cluster = a16$sid) else robust(r, cluster = a16$sid, clubSandwich = TRUE)
  add(paste0("assink2016/REML/deltype/", type),
      sprintf('robust(rma.mv(yi, vi, mods = ~ deltype, random = ~ 1 | study/esid, data = dat.assink2016), cluster = study%s)',
              if (type == "CR2") ", clubSandwich = TRUE" else ""),
      a16_csv, list(measure = "GEN", mods = I("deltype"), random_terms = I("~ 1 | sid/esid"), robust = "sid", robust_type = type),
      c(mv_expect(r, a16, c("sid", "esid")), robust_expect(rr, rownames(r$beta))))
}
# Correlated sampling errors within studies (rho = 0.6): the CHE model.
V <- vcalc(vi, cluster = sid, obs = esid, rho = 0.6, data = a16)
r <- rma.mv(yi, V, mods = ~ deltype, random = ~ 1 | sid/esid, data = a16, control = tight)
rr <- robust(r, cluster = a16$sid, clubSandwich = TRUE)
add("assink2016/CHE/deltype",
    'V <- vcalc(vi, cluster = study, obs = esid, rho = 0.6); robust(rma.mv(yi, V, mods = ~ deltype, random = ~ 1 | study/esid), cluster = study, clubSandwich = TRUE)',
    a16_csv, list(measure = "GEN", mods = I("deltype"), random_terms = I("~ 1 | sid/esid"), cluster = "sid", rho = 0.6,
                  robust = "sid"),
    c(mv_expect(r, a16, c("sid", "esid")), robust_expect(rr, rownames(r$beta))))
# rma.uni with cluster-robust tests.
r <- rma(yi, vi, mods = ~ deltype, data = a16)
for (type in c("CR1", "CR2")) {
  rr <- if (type == "CR1") robust(r, cluster = a16$sid) else robust(r, cluster = a16$sid, clubSandwich = TRUE)
  add(paste0("assink2016/rma/deltype/", type),
      sprintf('robust(rma(yi, vi, mods = ~ deltype, data = dat.assink2016), cluster = study%s)',
              if (type == "CR2") ", clubSandwich = TRUE" else ""),
      a16_csv, list(measure = "GEN", mods = I("deltype"), robust = "sid", robust_type = type),
      robust_expect(rr, rownames(r$beta)),
      note = if (type == "CR2") NULL else "deltype covert (the reference level) occurs in one study only, so the CR1 variance of the intercept is 0 up to rounding: metafor reports NaN for its SE, which is not compared (rema says so in a note)")
}

# dat.crede2010: correlations (Fisher's z) of samples within studies.
c10 <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.crede2010)
c10_csv <- write_data("mv_crede2010", data.frame(study = paste0("S", c10$studyid, ".", c10$sampleid),
                                                  studyid = c10$studyid, sampleid = c10$sampleid,
                                                  criterion = c10$criterion, ri = c10$ri, ni = c10$ni))
for (method in c("REML", "ML")) {
  r <- rma.mv(yi, vi, random = ~ 1 | studyid/sampleid, data = c10, method = method, control = tight)
  add(paste0("crede2010/", method),
      sprintf('rma.mv(yi, vi, random = ~ 1 | studyid/sampleid, data = escalc("ZCOR", ri, ni, data = dat.crede2010), method = "%s")', method),
      c10_csv, list(measure = "ZCOR", method = method, random_terms = I("~ 1 | studyid/sampleid")),
      mv_expect(r, c10, c("studyid", "sampleid")))
}
r <- rma.mv(yi, vi, mods = ~ criterion, random = ~ 1 | studyid/sampleid, data = c10, control = tight)
rr <- robust(r, cluster = c10$studyid, clubSandwich = TRUE)
add("crede2010/REML/criterion",
    'robust(rma.mv(yi, vi, mods = ~ criterion, random = ~ 1 | studyid/sampleid, data = escalc("ZCOR", ri, ni, data = dat.crede2010)), cluster = studyid, clubSandwich = TRUE)',
    c10_csv, list(measure = "ZCOR", mods = I("criterion"), random_terms = I("~ 1 | studyid/sampleid"), robust = "studyid"),
    c(mv_expect(r, c10, c("studyid", "sampleid")), robust_expect(rr, rownames(r$beta))))

golden_write("mv", "analyze", "iterative", "tests/golden/mv.R", cases, packages = c("clubSandwich", "metadat"))
