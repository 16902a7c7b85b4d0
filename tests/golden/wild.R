# Reference values for the cluster wild bootstrap test of a multilevel
# model's moderators (rema analyze --random ... --mods ... --robust COL
# --wild-bootstrap N), written from the algorithm of Joshi, Pustejovsky &
# Beretvas (2022, Research Synthesis Methods 13:457-477) as R package
# wildmeta's Wald_test_cwb computes it (wildmeta is not installed here):
# Rademacher weights per cluster, residuals of the null model unadjusted
# (adjust = "CR0"), the full model refitted to each bootstrap outcome by
# metafor 3.8-1 rma.mv, and clubSandwich 0.5.8's Wald_test(test = "Naive-F")
# with the CR2 (or CR1) covariance; p = mean(F* > F). The observed F of a
# CR1 case is reported on metafor's robust() scale m/(m - p) (rema's CR1).
#
# RNG-dependent: rema's p-values are compared by distribution, within 4
# Monte Carlo SEs of both sides (tolerance class "resampling"), at three
# seeds each. R's replicates: R_BOOT below.
#
# Regenerate: `cargo xtask goldens wild` (or Rscript tests/golden/wild.R from
# the workspace root); takes some minutes (R refits rma.mv R_BOOT times per
# hypothesis).
source("tests/golden/golden.R")
suppressPackageStartupMessages(library(clubSandwich))

R_BOOT <- as.integer(Sys.getenv("R_BOOT", "999"))
REMA_B <- 999L
cases <- list()

# The CWB p-value of H0: beta[btt] = 0 for the model `full` (fitted by
# rma.mv with sampling covariance V, random terms `random` on `data`).
cwb <- function(full, V, random, data, cluster, btt, type, R, seed) {
  set.seed(seed)
  X <- model.matrix(full)
  null <- rma.mv(full$yi, V, mods = X[, -btt, drop = FALSE], intercept = FALSE, random = random,
                 data = data, method = full$method)
  pred <- as.vector(X[, -btt, drop = FALSE] %*% null$beta)
  res <- as.vector(full$yi) - pred
  cl <- as.integer(factor(cluster, levels = unique(cluster)))
  cons <- constrain_zero(btt, coefs = coef(full))
  org <- Wald_test(full, constraints = cons, vcov = type, cluster = cluster, test = "Naive-F")$Fstat
  fb <- vapply(seq_len(R), function(r) {
    eta <- sample(c(-1, 1), max(cl), replace = TRUE)
    ystar <- pred + res * eta[cl]
    fit <- try(rma.mv(ystar, V, mods = X, intercept = FALSE, random = random, data = data,
                      method = full$method), silent = TRUE)
    if (inherits(fit, "try-error")) return(0)
    Wald_test(fit, constraints = constrain_zero(btt, coefs = coef(fit)), vcov = type, cluster = cluster,
              test = "Naive-F")$Fstat
  }, numeric(1))
  p <- mean(fb > org)
  # clubSandwich's CR1 scales the sandwich by m/(m - 1), metafor's robust()
  # (rema's CR1) by m/(m - p): the same p-value, F scaled by (m - p)/(m - 1).
  m <- max(cl); pp <- length(coef(full))
  stat <- if (type == "CR1") org * (m - pp) / (m - 1) else org
  list(stat = stat, pval = p, mcse = sqrt(p * (1 - p) / R))
}

# One case per seed of rema: the hypotheses in rema's order (the moderators
# together, then each coefficient), each p-value by distribution.
wild_cases <- function(id, source, csv, spec, full, V, random, data, cluster, type) {
  p <- length(coef(full))
  hyps <- c(list(list(name = "moderators", btt = 2:p)),
            lapply(seq_len(p), function(j) list(name = rownames(full$beta)[j], btt = j)))
  ref <- lapply(hyps, function(h) cwb(full, V, random, data, cluster, h$btt, type, R_BOOT, 20221))
  for (seed in c(1, 2, 3)) {
    e <- list(); tol <- list()
    for (i in seq_along(hyps)) {
      at <- sprintf("/robust/wild_bootstrap/%d", i - 1L)
      e[[paste0(at, "/hypothesis")]] <- hyps[[i]]$name
      e[[paste0(at, "/stat")]] <- ref[[i]]$stat
      e[[paste0(at, "/pval")]] <- ref[[i]]$pval
      e[[paste0(at, "/iterations")]] <- REMA_B
      e[[paste0(at, "/seed")]] <- seed
      tol[[paste0(at, "/pval")]] <- list(resampling = list(mcse = ref[[i]]$mcse, mcse_at = paste0(at, "/mcse_pval")))
      tol[[paste0(at, "/hypothesis")]] <- "exact"
      tol[[paste0(at, "/iterations")]] <- "exact"
      tol[[paste0(at, "/seed")]] <- "exact"
    }
    cases[[length(cases) + 1L]] <<- golden_case(
      sprintf("%s/seed %d", id, seed), source, e, csv = csv,
      spec = c(spec, list(wild_bootstrap = REMA_B, seed = seed)), tolerance = tol,
      note = sprintf("R: %d replicates at set.seed(20221); rema: %d replicates at seed %d", R_BOOT, REMA_B, seed))
  }
}

# dat.konstantopoulos2011, year (centred) as the moderator, clusters = districts (11).
k11 <- read.csv("tests/golden/data/mv_konstantopoulos2011.csv")
r <- rma.mv(yi, vi, mods = ~ year_c, random = ~ 1 | district/school, data = k11)
wild_cases("konstantopoulos2011/year_c/CR2",
           "CWB (Joshi et al. 2022) of rma.mv(yi, vi, mods = ~ year_c, random = ~ 1 | district/school), cluster = district, Wald_test(vcov = \"CR2\", test = \"Naive-F\")",
           "tests/golden/data/mv_konstantopoulos2011.csv",
           list(measure = "GEN", mods = I("year_c"), random_terms = I("~ 1 | district/school"), robust = "district"),
           r, k11$vi, ~ 1 | district/school, k11, k11$district, "CR2")

# dat.assink2016, the CHE model (rho = 0.6 within studies), deltype (three levels), clusters = studies (17).
a16 <- read.csv("tests/golden/data/mv_assink2016.csv")
V <- vcalc(vi, cluster = sid, obs = esid, rho = 0.6, data = a16)
r <- rma.mv(yi, V, mods = ~ deltype, random = ~ 1 | sid/esid, data = a16)
wild_cases("assink2016/CHE/deltype/CR1",
           "CWB (Joshi et al. 2022) of rma.mv(yi, vcalc(vi, sid, obs = esid, rho = 0.6), mods = ~ deltype, random = ~ 1 | sid/esid), cluster = sid, Wald_test(vcov = \"CR1\", test = \"Naive-F\")",
           "tests/golden/data/mv_assink2016.csv",
           list(measure = "GEN", mods = I("deltype"), random_terms = I("~ 1 | sid/esid"), cluster = "sid", rho = 0.6,
                robust = "sid", robust_type = "CR1"),
           r, V, ~ 1 | sid/esid, a16, a16$sid, "CR1")

golden_write("wild", "analyze", "iterative", "tests/golden/wild.R", cases, packages = c("clubSandwich", "metadat"))
