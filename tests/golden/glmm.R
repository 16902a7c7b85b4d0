# Golden values for `--method GLMM --measure PLO`: the binomial-normal
# random-intercept model fitted by metafor's rma.glmm(measure = "PLO")
# (lme4::glmer, adaptive Gauss-Hermite quadrature with nAGQ = 7, ML).
#
# Regenerate: Rscript tests/golden/glmm.R tests/golden  (or cargo xtask goldens)
#
# glmer's default optimiser stops with a relative error near 1e-5 in tau^2;
# rema maximises the same AGQ likelihood to machine precision. The goldens are
# made with bobyqa at rhoend = 1e-12 (control glmerCtrl) so both report the
# same maximum; `default` holds metafor's values at its default settings.
suppressPackageStartupMessages({ library(metafor); library(jsonlite) })

args <- commandArgs(trailingOnly = TRUE)
out_dir <- if (length(args) >= 1) args[1] else "tests/golden"
dir.create(file.path(out_dir, "data"), showWarnings = FALSE, recursive = TRUE)

num1 <- function(x) if (is.null(x) || length(x) == 0 || is.na(x)) NULL else unname(as.numeric(x))
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

golden <- list(
  generator = list(script = "tests/golden/glmm.R", r = R.version.string,
                   metafor = as.character(packageVersion("metafor")), lme4 = as.character(packageVersion("lme4")),
                   jsonlite = as.character(packageVersion("jsonlite"))),
  cases = cases)
writeLines(toJSON(golden, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE),
           file.path(out_dir, "glmm.json"))
cat("wrote", length(cases), "cases to", file.path(out_dir, "glmm.json"), "\n")
