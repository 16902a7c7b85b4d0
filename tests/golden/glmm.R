# Golden values for `--method GLMM --measure PLO`: the binomial-normal
# random-intercept model fitted by metafor's rma.glmm(measure = "PLO")
# (lme4::glmer, adaptive Gauss-Hermite quadrature with nAGQ = 7, ML).
#
# Regenerate: `cargo xtask goldens` (or Rscript tests/golden/glmm.R tests/golden).
# Writes tests/golden/glmm.json (the case format of tests/golden/golden.R):
# one case per dataset, `rema analyze --measure PLO --method GLMM`, and one
# through rema-core's marginal log-likelihood at metafor's estimates.
#
# glmer's default optimiser stops with a relative error near 1e-5 in tau^2;
# rema maximises the same AGQ likelihood to machine precision. The goldens are
# made with bobyqa at rhoend = 1e-12 (control glmerCtrl) so both report the
# same maximum; `default` holds metafor's values at its default settings.
source("tests/golden/golden.R")
out_dir <- golden_out
num1 <- num

# The marginal log-likelihood (with the binomial constants) by adaptive
# Gauss-Hermite quadrature with `points` nodes (lme4::GHrule) around each
# study's conditional mode, as lme4 and rema compute it.
agq_loglik <- function(xi, ni, mu, tau2, points) {
  if (tau2 == 0) return(sum(dbinom(xi, ni, plogis(mu), log = TRUE)))
  gh <- lme4::GHrule(points)
  sum(vapply(seq_along(xi), function(i) {
    h <- function(u) dbinom(xi[i], ni[i], plogis(mu + u), log = TRUE) + dnorm(u, 0, sqrt(tau2), log = TRUE)
    u <- optimize(h, c(-60, 60), maximum = TRUE, tol = 1e-10)$maximum
    for (it in 1:50) {
      p <- plogis(mu + u)
      step <- (xi[i] - ni[i] * p - u / tau2) / (-ni[i] * p * (1 - p) - 1 / tau2)
      u <- u - step
      if (abs(step) < 1e-14) break
    }
    p <- plogis(mu + u)
    s <- 1 / sqrt(ni[i] * p * (1 - p) + 1 / tau2)
    lt <- log(gh[, "w"]) + h(u + s * gh[, "z"]) - dnorm(gh[, "z"], log = TRUE)
    log(s) + max(lt) + log(sum(exp(lt - max(lt))))
  }, numeric(1)))
}
tight <- list(glmerCtrl = list(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))

summ <- function(r) list(estimate = num1(r$beta[1]), se = num1(r$se[1]), stat = num1(r$zval[1]), pval = num1(r$pval[1]),
                         ci_lower = num1(r$ci.lb[1]), ci_upper = num1(r$ci.ub[1]), tau2 = num1(r$tau2),
                         i2 = num1(r$I2), h2 = num1(r$H2),
                         qe_wald = num1(r$QE.Wld), qe_wald_pval = num1(r$QEp.Wld),
                         qe_lrt = num1(r$QE.LRT), qe_lrt_pval = num1(r$QEp.LRT), qe_df = num1(r$QE.df),
                         loglik = num1(r$fit.stats["ll", "ML"]),
                         pi_lower = num1(predict(r)$pi.lb), pi_upper = num1(predict(r)$pi.ub),
                         transformed = list(estimate = 100 * num1(predict(r, transf = transf.ilogit)$pred),
                                            pi_lower = 100 * num1(predict(r, transf = transf.ilogit)$pi.lb),
                                            pi_upper = 100 * num1(predict(r, transf = transf.ilogit)$pi.ub)))

cases <- list()
add <- function(id, dataset, xi, ni, note = NULL, level = 95) {
  csv <- file.path("tests/golden/data", paste0(id, ".csv"))
  write.csv(data.frame(study = paste0("S", seq_along(xi)), xi = xi, ni = ni), file.path(out_dir, "data", paste0(id, ".csv")), row.names = FALSE)
  fit <- function(control) tryCatch(suppressWarnings(rma.glmm(measure = "PLO", xi = xi, ni = ni, level = level, control = control)),
                                    error = function(e) e)
  r <- fit(tight); d <- fit(list())
  case <- list(id = id, dataset = dataset, note = note, csv = csv, level = level, xi = xi, ni = ni)
  if (inherits(r, "error")) {
    case$error <- conditionMessage(r)
  } else {
    case$expected <- summ(r)
    # The marginal log-likelihood at metafor's estimates by adaptive numerical
    # integration (R's integrate), with the binomial constants. metafor's
    # fit.stats "ll" (ll.QE - deviance/2) and lme4's logLik() use other
    # constants, so rema's loglik is checked against this instead.
    tau <- sqrt(r$tau2); mu <- r$beta[1]
    case$expected$loglik_marginal <- sum(sapply(seq_along(xi), function(i)
      if (tau == 0) dbinom(xi[i], ni[i], plogis(mu), log = TRUE) else
      log(integrate(function(z) dbinom(xi[i], ni[i], plogis(mu + tau * z)) * dnorm(z), -Inf, Inf, rel.tol = 1e-12)$value)))
    case$default <- summ(d)
  }
  cases[[length(cases) + 1]] <<- case
}

add("glmm_pritz1997", "dat.pritz1997", dat.pritz1997$xi, dat.pritz1997$ni)
add("glmm_pritz1997_90", "dat.pritz1997, 90% level", dat.pritz1997$xi, dat.pritz1997$ni, level = 90)
add("glmm_pritz_first5", "dat.pritz1997, first five studies", dat.pritz1997$xi[1:5], dat.pritz1997$ni[1:5])
add("glmm_rare", "invented rare events with zero counts", c(1, 0, 2, 0, 3, 1), c(50, 40, 120, 35, 200, 80),
    note = "QE.Wld is omitted: with zero counts the saturated glm() does not converge and metafor's Wald statistic is an artefact")
add("glmm_bkp_zero_leaks", "seed paper, retrospective BKP cement leaks 0/32, 0/128, 0/22", c(0, 0, 0), c(32, 128, 22),
    note = "no events at all: the likelihood increases without bound as the logit goes to -Inf; metafor cannot fit the ML model")
add("glmm_bkp_one_leak", "seed paper, the alternative count: 0/32, 1/128, 0/22", c(0, 1, 0), c(32, 128, 22),
    note = "one leak in ref 28 (see examples/bkp/SOURCES.md)")
add("glmm_bkp_vp_arms", "seed paper, cement leaks in all known arms: BKP 0/32, 0/128, 0/22; vertebroplasty 6/65, 0/26",
    c(0, 0, 0, 6, 0), c(32, 128, 22, 65, 26))

add("glmm_k1", "a single study", 5, 20,
    note = "metafor: number of parameters larger than the number of observations")
add("glmm_k2", "two studies", c(5, 15), c(20, 20))
add("glmm_all_events", "every participant has the event", c(20, 30, 10), c(20, 30, 10),
    note = "only events: no finite estimate")
add("glmm_wide", "very different proportions and sizes, tau^2 about 6", c(1, 2, 50, 400, 3), c(1000, 900, 1200, 1500, 10))
add("glmm_sparse", "ten studies, two with events", c(0, 0, 1, 0, 0, 0, 0, 2, 0, 0), c(100, 200, 150, 80, 90, 300, 120, 110, 100, 90))
set.seed(1)
n60 <- sample(20:500, 60, TRUE); x60 <- rbinom(60, n60, plogis(rnorm(60, -2, 1.2)))
add("glmm_k60", "60 simulated studies (set.seed(1)), logit N(-2, 1.2^2)", x60, n60)


# The comparisons: lme4 finds the conditional modes to its PIRLS tolerance, so
# its deviance carries noise of about 1e-6 and its finite-difference Hessian
# (the SE) about 1e-5 to 1e-4 relative error; rema's likelihood is smooth. The
# p-value turns a relative error e of the SE into about z^2 e, so the test
# statistic z is compared, not the p-value. An estimate that is 0 up to
# optimiser noise (two symmetric studies: metafor -1e-8) is compared on the
# scale of its SE (absolute 1e-4 SE). The interval's bounds are compared on the
# scale of its half-width: a bound near 0 (e.g. -0.149 from -6.81 + 1.96 * 3.40)
# would turn the optimiser's last digits into a large relative error.
# metafor's Wald statistic comes from glm() fits that do not converge when a
# study has 0 or ni events; where the exact value is 0 metafor has ~3e-7, so the
# statistic is compared where it is not ~0 and its p-value always.
golden_cases <- list()
for (c in cases) {
  spec <- list(measure = "PLO", method = "GLMM", level = c$level)
  src <- sprintf('rma.glmm(measure = "PLO", xi, ni, level = %s, control = list(glmerCtrl = bobyqa, rhoend = 1e-12))', c$level)
  if (is.null(c$expected)) {
    golden_cases[[length(golden_cases) + 1]] <- golden_case(c$id, paste(c$dataset, src, sep = ": "), list(), spec = spec,
                                                            csv = c$csv, error = c$error, note = c$note)
    next
  }
  ex <- c$expected
  near_zero <- abs(ex$estimate) < 1e-4 * ex$se
  expect <- c(at("", list(estimate = ex$estimate, stat = if (!near_zero) ex$stat, se = ex$se, tau2 = ex$tau2,
                          i2 = ex$i2, h2 = ex$h2, ci_lower = ex$ci_lower, ci_upper = ex$ci_upper,
                          pi_lower = ex$pi_lower, pi_upper = ex$pi_upper)),
              at("/transformed", ex$transformed[c("estimate", "pi_lower", "pi_upper")]),
              at("/glmm", list(qe_lrt = ex$qe_lrt, qe_lrt_pval = ex$qe_lrt_pval,
                               qe_wald = if (ex$qe_wald > 1e-4) ex$qe_wald, qe_wald_pval = ex$qe_wald_pval,
                               loglik = agq_loglik(c$xi, c$ni, ex$estimate, ex$tau2, 7))))
  tol <- tolerance_for(setdiff(names(expect), c("/glmm/qe_lrt", "/glmm/qe_lrt_pval")), "iterative")
  if (near_zero) tol[["/estimate"]] <- list(absolute = 1e-4 * ex$se)
  tol[["/ci_lower"]] <- list(absolute = 1e-4 * abs(ex$ci_lower - ex$estimate))
  tol[["/ci_upper"]] <- list(absolute = 1e-4 * abs(ex$ci_upper - ex$estimate))
  golden_cases[[length(golden_cases) + 1]] <- golden_case(
    c$id, paste0(c$dataset, ": ", src, "; /glmm/loglik: 7-point AGQ at its estimates"), expect, spec = spec,
    csv = c$csv, tolerance = tol, note = c$note)
  # The quadrature against R's integrate() at metafor's estimates, with 100
  # points: with zero counts and tau^2 = 9 the integrand is far from Gaussian
  # and the rule converges slowly (7 points: 2e-3 off, 40: 1e-5, 100: 7e-8).
  golden_cases[[length(golden_cases) + 1]] <- golden_case(
    paste0(c$id, "/loglik_marginal"), "sum(log(integrate(dbinom(xi, ni, plogis(mu + tau z)) dnorm(z), rel.tol = 1e-12)))",
    list(`/loglik` = ex$loglik_marginal), entry = "glmm_loglik",
    input = list(xi = I(c$xi), ni = I(c$ni), mu = ex$estimate, tau2 = ex$tau2, points = 100L))
}
# Meta-regression: rma.glmm(measure = "PLO", mods = ~ X) on dat.debruin2009
# (proportions with study characteristics), a numeric moderator, a factor and
# both. The summary is the intercept's (all moderators at 0, as rema reports
# a meta-regression), its prediction interval predict(newmods = 0); QE is
# the Wald test (QE.Wld), the tests of heterogeneity have k - p df.
mod_case <- function(id, dataset, dat, mods) {
  f <- as.formula(paste("~", paste(mods, collapse = " + ")))
  csv <- file.path("tests/golden/data", paste0(id, ".csv"))
  write.csv(cbind(data.frame(study = paste0("S", seq_len(nrow(dat))), xi = dat$xi, ni = dat$ni), dat[, mods, drop = FALSE]),
            file.path(out_dir, "data", paste0(id, ".csv")), row.names = FALSE)
  r <- suppressWarnings(rma.glmm(measure = "PLO", xi = xi, ni = ni, mods = f, data = dat, control = tight))
  p <- length(r$beta)
  pr <- predict(r, newmods = matrix(0, 1, p - 1))
  expect <- c(at("", list(estimate = num1(r$beta[1]), se = num1(r$se[1]), tau2 = num1(r$tau2), i2 = num1(r$I2), h2 = num1(r$H2),
                          qm = num1(r$QM), qm_df = num1(r$QMdf[1]), qm_pval = num1(r$QMp),
                          qe = num1(r$QE.Wld), qe_pval = num1(r$QEp.Wld), pi_lower = num1(pr$pi.lb), pi_upper = num1(pr$pi.ub))),
              rows_at("/coefficients", list(estimate = num1(r$beta), se = num1(r$se), zval = num1(r$zval), pval = num1(r$pval),
                                            ci_lower = num1(r$ci.lb), ci_upper = num1(r$ci.ub))),
              at("/glmm", list(qe_wald = num1(r$QE.Wld), qe_wald_pval = num1(r$QEp.Wld), qe_lrt = num1(r$QE.LRT),
                               qe_lrt_pval = num1(r$QEp.LRT), qe_df = num1(r$QE.df))))
  tol <- tolerance_for(names(expect), "iterative")
  # Interval bounds on the scale of their half-width (a bound near 0 would
  # turn the optimiser's last digits into a large relative error).
  for (j in seq_len(p)) for (side in c("ci_lower", "ci_upper")) {
    bound <- if (side == "ci_lower") r$ci.lb[j] else r$ci.ub[j]
    tol[[sprintf("/coefficients/%d/%s", j - 1L, side)]] <- list(absolute = 1e-4 * abs(bound - r$beta[j]))
  }
  src <- sprintf('rma.glmm(measure = "PLO", xi, ni, mods = ~ %s, control = list(glmerCtrl = bobyqa, rhoend = 1e-12))',
                 paste(mods, collapse = " + "))
  golden_cases[[length(golden_cases) + 1]] <<- golden_case(
    id, paste(dataset, src, sep = ": "), expect,
    spec = list(measure = "PLO", method = "GLMM", level = 95, mods = I(mods)), csv = csv, tolerance = tol)
}
mod_case("glmm_debruin2009_scq", "dat.debruin2009", dat.debruin2009, "scq")
mod_case("glmm_debruin2009_patients", "dat.debruin2009", dat.debruin2009, "patients")
mod_case("glmm_debruin2009_scq_patients", "dat.debruin2009", dat.debruin2009, c("scq", "patients"))

golden_write("glmm", "analyze", "closed_form", "tests/golden/glmm.R", golden_cases, packages = "lme4")
