# How far metafor's default root searches (uniroot, tol = .Machine$double.eps^0.25)
# are from the exact roots rema reports: PM's tau^2 and the Q-profile bounds of
# tau^2 (confint, REML), default against control = list(tol = 1e-12), relative,
# in seven analyses of six metadat data sets (docs/METHODS.md, PM and Q-profile intervals).
#
#   Rscript xtask/bench/uniroot_tolerance.R
suppressPackageStartupMessages(library(metafor))
sets <- list(
  bcg = escalc("RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg),
  hine = escalc("RD", n1i=n1i, n2i=n2i, ai=ai, ci=ci, data=dat.hine1989),
  normand = escalc("MD", m1i=m1i, sd1i=sd1i, n1i=n1i, m2i=m2i, sd2i=sd2i, n2i=n2i, data=dat.normand1999),
  pritz = escalc("PLO", xi=xi, ni=ni, data=dat.pritz1997),
  debruin = escalc("PLO", xi=xi, ni=ni, data=dat.debruin2009),
  bcg_or = escalc("OR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg),
  raudenbush = dat.raudenbush1985)
rel <- function(a, b) ifelse(b == 0, abs(a - b), abs(a - b) / abs(b))
out <- NULL
for (n in names(sets)) {
  d <- sets[[n]]
  pm0 <- rma(yi, vi, data = d, method = "PM"); pm1 <- rma(yi, vi, data = d, method = "PM", control = list(tol = 1e-12))
  r <- rma(yi, vi, data = d, method = "REML")
  c0 <- confint(r)$random["tau^2", ]; c1 <- confint(r, control = list(tol = 1e-12))$random["tau^2", ]
  out <- rbind(out, data.frame(data = n, pm = rel(pm0$tau2, pm1$tau2), qp_lb = rel(c0[2], c1[2]), qp_ub = rel(c0[3], c1[3])))
}
print(out, digits = 3)
cat("max", max(out$pm), max(out$qp_lb, out$qp_ub), "\n")
