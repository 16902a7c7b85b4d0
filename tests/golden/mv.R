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

add <- function(id, source, csv, spec, expect, note = NULL, tolerance = FALSE) {
  tol <- if (tolerance && length(attr(expect, "tol"))) attr(expect, "tol") else NULL
  cases[[length(cases) + 1L]] <<- golden_case(id, source, expect, spec = spec, csv = csv, note = note,
                                              tolerance = tol)
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

# Multivariate models: `random = ~ inner | outer` with `struct` (rema's
# `--random "~ outcome | trial" --struct UN`), alone or with `~ 1 | id`
# terms, and known sampling covariances given entry by entry (rema's
# `vcov`, 1-based data rows). metafor numbers tau2 by the sorted inner
# levels (as rema); the summary's tau2, I2 and prediction interval are those
# of an effect at the first inner level; the I2 of a tau2 is
# 100 tau2 / (sum(sigma2) + tau2 + vt) (metafor's recipe for multivariate
# models, with the sigma2 of the intercept terms added).
vcov_entries <- function(V) {
  out <- list()
  for (i in seq_len(nrow(V))) for (j in seq_len(ncol(V))) {
    if (i < j && V[i, j] != 0) out[[length(out) + 1L]] <- list(row = i, col = j, cov = V[i, j])
  }
  out
}
mvs_expect <- function(r, data, groups, inner, outer, with_ci = FALSE) {
  e <- mv_expect(r, data, groups)
  if (!r$withS) e <- e[!grepl("^/multilevel/components/", names(e))]
  sigma2 <- if (r$withS) r$sigma2 else numeric()
  # The intercept terms' BLUPs come from mv_expect (its ranef rows); the
  # structured term's rows follow them.
  s2 <- sum(sigma2)
  total <- s2 + r$tau2[1]
  vt <- e[["/multilevel/vt"]]
  e[["/tau2"]] <- total
  e[["/i2"]] <- 100 * total / (total + vt)
  for (t in seq_along(sigma2)) {
    e[[sprintf("/multilevel/components/%d/i2", t - 1L)]] <- 100 * sigma2[t] / (total + vt)
  }
  if (r$p == 1) {
    pr <- predict(r, tau2.levels = if (r$tau2s > 1) r$g.levels.f[[1]][1] else NULL)
    e[["/pi_lower"]] <- num(pr$pi.lb[1]); e[["/pi_upper"]] <- num(pr$pi.ub[1])
  }
  p <- "/multilevel/structure"
  e[[paste0(p, "/struct")]] <- r$struct[1]
  e[[paste0(p, "/inner")]] <- inner; e[[paste0(p, "/outer")]] <- outer
  e[[paste0(p, "/n_inner")]] <- r$g.nlevels[1]; e[[paste0(p, "/n_outer")]] <- r$g.nlevels[2]
  for (j in seq_along(r$tau2)) {
    q <- sprintf("%s/tau2/%d", p, j - 1L)
    if (r$tau2s > 1) e[[paste0(q, "/level")]] <- r$g.levels.f[[1]][j]
    e[[paste0(q, "/tau2")]] <- r$tau2[j]
    e[[paste0(q, "/k")]] <- if (r$tau2s > 1) unname(r$g.levels.k[j]) else r$k
    e[[paste0(q, "/i2")]] <- 100 * r$tau2[j] / (s2 + r$tau2[j] + vt)
    if (with_ci) {
      ct <- confint(r, tau2 = j, control = list(tol = 1e-10))$random
      e[[paste0(q, "/ci_lower")]] <- num(ct[1, "ci.lb"]); e[[paste0(q, "/ci_upper")]] <- num(ct[1, "ci.ub"])
    }
  }
  n_rho <- switch(r$struct[1], CS = 1L, HCS = 1L, UN = length(r$rho), 0L)
  pairs <- if (n_rho > 1 || r$struct[1] == "UN") combn(r$g.nlevels[1], 2) else NULL
  for (j in seq_len(n_rho)) {
    q <- sprintf("%s/rho/%d", p, j - 1L)
    e[[paste0(q, "/rho")]] <- r$rho[j]
    if (!is.null(pairs)) {
      e[[paste0(q, "/levels/0")]] <- r$g.levels.f[[1]][pairs[1, j]]
      e[[paste0(q, "/levels/1")]] <- r$g.levels.f[[1]][pairs[2, j]]
    }
    if (with_ci) {
      ct <- confint(r, rho = j, control = list(tol = 1e-10))$random
      e[[paste0(q, "/ci_lower")]] <- num(ct[1, "ci.lb"]); e[[paste0(q, "/ci_upper")]] <- num(ct[1, "ci.ub"])
    }
  }
  if (with_ci) {
    for (t in seq_along(sigma2)) {
      ct <- confint(r, sigma2 = t, control = list(tol = 1e-10))$random
      q <- sprintf("/multilevel/components/%d", t - 1L)
      e[[paste0(q, "/ci_lower")]] <- num(ct[1, "ci.lb"]); e[[paste0(q, "/ci_upper")]] <- num(ct[1, "ci.ub"])
    }
  }
  # The structured term's BLUPs (metafor's rows `inner | outer`), one per
  # combination present, in order of first appearance.
  re <- ranef(r)
  tab <- re[[length(re)]]
  # metafor pads the inner levels of the row names to one width.
  rownames(tab) <- sub("^ +", "", rownames(tab))
  row <- sum(grepl("^/multilevel/ranef/[0-9]+/level$", names(e)))
  lab <- paste(data[[inner]], data[[outer]], sep = " | ")
  for (l in unique(lab)) {
    stopifnot(l %in% rownames(tab))
    q <- sprintf("/multilevel/ranef/%d", row)
    e[[paste0(q, "/factor")]] <- paste(inner, "|", outer); e[[paste0(q, "/level")]] <- l
    e[[paste0(q, "/pred")]] <- tab[l, "intrcpt"]; e[[paste0(q, "/se")]] <- tab[l, "se"]
    e[[paste0(q, "/pi_lower")]] <- tab[l, "pi.lb"]; e[[paste0(q, "/pi_upper")]] <- tab[l, "pi.ub"]
    row <- row + 1L
  }
  # A BLUP within a thousandth of its SE of 0 is a difference of near-equal
  # sums, whose relative error follows the optimiser's last digits (metafor's
  # nlminb and optim differ by 1.5e-4 relative on one of assink2016's):
  # compared to 1e-6 of its SE, absolute.
  tol <- list()
  for (q in sub("/pred$", "", names(e)[grepl("^/multilevel/ranef/[0-9]+/pred$", names(e))])) {
    pr <- e[[paste0(q, "/pred")]]; se <- e[[paste0(q, "/se")]]
    if (abs(pr) < 1e-3 * se) tol[[paste0(q, "/pred")]] <- list(absolute = 1e-6 * se)
  }
  attr(e, "tol") <- tol
  e
}

# dat.berkey1998: two outcomes (PD, AL) in five trials, with the sampling
# covariances v1i/v2i (metafor's vcalc(vi = 1, cluster, rvars = c(v1i, v2i))).
b98 <- dat.berkey1998
b98_csv <- write_data("mv_berkey1998", data.frame(study = paste(b98$author, b98$outcome), trial = b98$trial,
                                                  outcome = b98$outcome, yi = b98$yi, vi = b98$vi))
Vb <- vcalc(vi = 1, cluster = author, rvars = c(v1i, v2i), data = b98)
# The long table of rema --vcov (both triangles and the diagonal: rema
# accepts a pair twice with one value, and a diagonal equal to vi).
vt_long <- which(Vb != 0, arr.ind = TRUE)
write.csv(data.frame(row = vt_long[, 1], col = vt_long[, 2], cov = Vb[vt_long]),
          file.path(golden_out, "data", "mv_berkey1998_vcov.csv"), row.names = FALSE)
for (st in c("UN", "CS", "HCS", "DIAG", "ID")) {
  for (method in c("REML", "ML")) {
    r <- rma.mv(yi, Vb, mods = ~ outcome - 1, random = ~ outcome | trial, struct = st, data = b98,
                method = method, control = tight)
    ci <- method == "REML" && st %in% c("UN", "CS", "DIAG")
    add(sprintf("berkey1998/%s/%s", st, method),
        sprintf('rma.mv(yi, V, mods = ~ outcome - 1, random = ~ outcome | trial, struct = "%s", data = dat.berkey1998, method = "%s")%s',
                st, method, if (ci) "; confint()" else ""),
        b98_csv, list(measure = "GEN", method = method, mods = "~ outcome - 1", random_terms = I("~ outcome | trial"),
                      struct = st, vcov = vcov_entries(Vb), tau2_ci = if (ci) TRUE else NULL),
        mvs_expect(r, b98, character(), "outcome", "trial", with_ci = ci), tolerance = TRUE)
  }
}

# dat.kalaian1996: SAT verbal and math in 47 studies, V by vcalc(rho = 0.66);
# hrs is missing in some rows, which rema and metafor leave out (with their
# rows and columns of V).
k96 <- dat.kalaian1996
k96_csv <- write_data("mv_kalaian1996", data.frame(study = k96$study, sid = k96$study, outcome = k96$outcome,
                                                   hrs = k96$hrs, yi = k96$yi, vi = k96$vi))
Vk <- vcalc(vi, cluster = study, type = outcome, rho = 0.66, data = k96)
k96_ok <- !is.na(k96$hrs)
for (st in c("DIAG", "ID")) {
  r <- rma.mv(yi, Vk, mods = ~ outcome + hrs, random = ~ outcome | sid, struct = st,
              data = transform(k96, sid = study), control = tight)
  e <- mvs_expect(r, transform(k96, sid = study)[k96_ok, ], character(), "outcome", "sid", with_ci = TRUE)
  tol <- attr(e, "tol")
  if (st == "DIAG") {
    # tau2 of verbal is at 0 (metafor 1.2e-11 on its log scale): the BLUPs
    # of that level are 0 in rema, metafor's about sqrt(1.2e-11) = 3.5e-6.
    lv <- names(e)[grepl("/level$", names(e)) & grepl("^verbal \\|", unlist(e))]
    ptr <- unlist(lapply(sub("/level$", "", lv), function(q) paste0(q, c("/pred", "/se", "/pi_lower", "/pi_upper"))))
    ptr <- c(ptr, "/multilevel/structure/tau2/1/i2")
    tol[ptr] <- rep(list(list(absolute = 1e-5)), length(ptr))
  }
  if (!length(tol)) tol <- NULL
  golden_add_tol <- function(...) cases[[length(cases) + 1L]] <<- golden_case(...)
  golden_add_tol(sprintf("kalaian1996/%s/hrs", st),
      sprintf('rma.mv(yi, vcalc(vi, study, type = outcome, rho = 0.66), mods = ~ outcome + hrs, random = ~ outcome | study, struct = "%s", data = dat.kalaian1996); confint()', st),
      e, spec = list(measure = "GEN", mods = "~ outcome + hrs", random_terms = I("~ outcome | sid"), struct = st,
                    vcov = vcov_entries(Vk), tau2_ci = TRUE), csv = k96_csv, tolerance = tol,
      note = if (st == "DIAG") "tau2 of verbal is at 0 (metafor: 1.2e-11): its BLUPs (0 in rema, about 3.5e-6 in metafor) and its I2 (0 and 4.7e-8 percent) are compared to 1e-5 absolute, on the scale of the other BLUPs' SEs (about 0.1)" else NULL)
}

# dat.assink2016: a CS structure over the delinquency types within studies,
# with a random intercept per effect (random = list(~ 1 | id, ~ deltype | sid)).
a16$id <- seq_len(nrow(a16))
a16s_csv <- write_data("mv_assink2016_struct", data.frame(study = a16$study_label, sid = a16$study, id = a16$id,
                                                         deltype = a16$deltype, yi = a16$yi, vi = a16$vi))
for (method in c("REML", "ML")) {
  r <- rma.mv(yi, vi, random = list(~ 1 | id, ~ deltype | sid), struct = "CS", data = a16, method = method,
              control = tight)
  add(sprintf("assink2016/CS/%s", method),
      sprintf('rma.mv(yi, vi, random = list(~ 1 | id, ~ deltype | study), struct = "CS", data = dat.assink2016, method = "%s"); confint()', method),
      a16s_csv, list(measure = "GEN", method = method, random_terms = I(c("~ 1 | id", "~ deltype | sid")),
                     struct = "CS", tau2_ci = if (method == "REML") TRUE else NULL),
      mvs_expect(r, a16, "id", "deltype", "sid", with_ci = method == "REML"), tolerance = TRUE)
}

golden_write("mv", "analyze", "iterative", "tests/golden/mv.R", cases, packages = c("clubSandwich", "metadat"))
