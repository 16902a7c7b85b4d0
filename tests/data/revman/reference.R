# Writes tests/data/revman/reference.rm5: a review in RevMan 5's schema whose
# stored results are computed by R metafor 3.8-1, one outcome per data type
# and setting that Fleiss1993.rm5 (RevMan's own results) does not cover:
#   1.01 dichotomous RR, M-H, fixed, 90% CI, with SWAP_EVENTS   rma.mh(measure = "RR") of the non-events
#   1.02 dichotomous OR, Peto                                   rma.peto()
#   1.03 dichotomous RD, IV, random                             rma(measure = "RD", method = "DL")
#   1.04 continuous MD, IV, random, subgroups Orpington / other  rma(measure = "MD", method = "DL") overall and per subgroup
#   1.05 generic inverse variance, log data, IV, fixed          rma(yi, sei, method = "FE")
#   1.06 O - E and variance, Peto                               rma(yi = (O-E)/V, vi = 1/V, method = "FE")
# Weights are weights(res) in percent; Z is |z|; I2 in percent; ratios on the ratio scale.
#
# It also writes tests/data/revman/subgroups.rm5, outcomes with subgroups and their stored totals:
#   1.01 dichotomous OR, M-H, fixed, subgroups by allocation    rma.mh() overall and per subgroup
#   1.02 dichotomous OR, Peto, subgroups by allocation           rma.peto() overall and per subgroup
#   1.03 continuous SMD, IV, random, subgroups by site           RevMan 5's SMD (below), rma(yi, vi, method = "DL")
# RevMan's test for subgroup differences (Q, P_Q, I2_Q) is the inverse-variance Q between the subgroup
# estimates: rma(yi = estimates, sei = SEs, method = "FE")$QE on m - 1 df, I2 = max(0, (Q - df)/Q).
# RevMan 5's SMD (its statistical algorithms; R meta's metacont(method.smd = "Hedges", exact.smd = FALSE),
# not installed here, so written out): g = (m1 - m2)/s_pooled * (1 - 3/(4N - 9)),
# var = N/(n1 n2) + g^2/(2(N - 3.94)), N = n1 + n2.
# Run: Rscript tests/data/revman/reference.R tests/data/revman
suppressPackageStartupMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
out_dir <- if (length(args) >= 1) args[1] else "tests/data/revman"
f <- function(x) if (is.null(x) || length(x) == 0 || is.na(x)) "" else trimws(formatC(x, digits = 17, format = "g"))

bcg <- dat.bcg[1:8, ]
bcg$study <- sprintf("STD-%s", gsub("[^A-Za-z0-9]", "", bcg$author))
bcg$name <- sprintf("%s %d", sub(" .*", "", bcg$author), bcg$year)
nor <- dat.normand1999
nor$study <- sprintf("STD-N%d", nor$study)
nor$name <- nor$source

totals <- function(res, ratio, random = FALSE) {
  tr <- if (ratio) exp else identity
  sprintf('EFFECT_SIZE="%s" CI_START="%s" CI_END="%s" Z="%s" P_Z="%s" CHI2="%s" DF="%s" P_CHI2="%s" I2="%s" TAU2="%s" STUDIES="%d"',
          f(tr(res$beta[1])), f(tr(res$ci.lb)), f(tr(res$ci.ub)), f(abs(res$zval)), f(res$pval),
          f(res$QE), f(res$k - 1), f(res$QEp), f(res$I2), f(if (random) res$tau2 else 0), res$k)
}
dich_rows <- function(d, w, e1, n1, e2, n2) paste(sprintf(
  '<DICH_DATA STUDY_ID="%s" EVENTS_1="%s" TOTAL_1="%s" EVENTS_2="%s" TOTAL_2="%s" WEIGHT="%s"/>',
  d$study, e1, n1, e2, n2, sapply(w, f)), collapse = "\n")

n1 <- bcg$tpos + bcg$tneg; n2 <- bcg$cpos + bcg$cneg
# 1.01: SWAP_EVENTS analyses the non-events (tneg, cneg): rma.mh of those as the events.
mh <- rma.mh(ai = bcg$tneg, bi = bcg$tpos, ci = bcg$cneg, di = bcg$cpos, measure = "RR", level = 90)
o1 <- sprintf('<DICH_OUTCOME ID="CMP-001.01" NO="1" EFFECT_MEASURE="RR" METHOD="MH" RANDOM="NO" CI_TOTAL="90" CI_STUDY="90" SWAP_EVENTS="YES" %s>\n<NAME>No tuberculosis (non-events analysed)</NAME>\n<GROUP_LABEL_1>Vaccine</GROUP_LABEL_1><GROUP_LABEL_2>Control</GROUP_LABEL_2>\n%s\n</DICH_OUTCOME>',
              totals(mh, TRUE), dich_rows(bcg, weights(mh), bcg$tpos, n1, bcg$cpos, n2))
pe <- rma.peto(ai = bcg$tpos, bi = bcg$tneg, ci = bcg$cpos, di = bcg$cneg)
o2 <- sprintf('<DICH_OUTCOME ID="CMP-001.02" NO="2" EFFECT_MEASURE="PETO_OR" METHOD="PETO" RANDOM="NO" CI_TOTAL="95" CI_STUDY="95" %s>\n<NAME>Tuberculosis (Peto)</NAME>\n%s\n</DICH_OUTCOME>',
              totals(pe, TRUE), dich_rows(bcg, weights(pe), bcg$tpos, n1, bcg$cpos, n2))
rd <- rma(measure = "RD", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg, method = "DL")
o3 <- sprintf('<DICH_OUTCOME ID="CMP-001.03" NO="3" EFFECT_MEASURE="RD" METHOD="IV" RANDOM="YES" CI_TOTAL="95" CI_STUDY="95" %s>\n<NAME>Tuberculosis (risk difference)</NAME>\n%s\n</DICH_OUTCOME>',
              totals(rd, FALSE, TRUE), dich_rows(bcg, weights(rd), bcg$tpos, n1, bcg$cpos, n2))

cont_rows <- function(d, w) paste(sprintf(
  '<CONT_DATA STUDY_ID="%s" MEAN_1="%s" SD_1="%s" TOTAL_1="%s" MEAN_2="%s" SD_2="%s" TOTAL_2="%s" WEIGHT="%s"/>',
  d$study, d$m1i, d$sd1i, d$n1i, d$m2i, d$sd2i, d$n2i, sapply(w, f)), collapse = "\n")
md <- rma(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = nor, method = "DL")
subs <- ""
nor$site <- ifelse(grepl("Orpington", nor$source), "Orpington", "Other sites")
for (s in c("Orpington", "Other sites")) {
  d <- nor[nor$site == s, ]
  r <- rma(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = d, method = "DL")
  # Weights within the overall analysis, as RevMan stores them in a subgroup.
  w <- weights(md)[match(d$study, nor$study)]
  subs <- paste0(subs, sprintf('<CONT_SUBGROUP ID="CMP-001.04.%s" %s>\n<NAME>%s</NAME>\n%s\n</CONT_SUBGROUP>\n',
                               s, totals(r, FALSE, TRUE), s, cont_rows(d, w)))
}
o4 <- sprintf('<CONT_OUTCOME ID="CMP-001.04" NO="4" EFFECT_MEASURE="MD" METHOD="IV" RANDOM="YES" CI_TOTAL="95" CI_STUDY="95" SUBGROUPS="YES" %s>\n<NAME>Length of stay (days)</NAME>\n%s</CONT_OUTCOME>',
              totals(md, FALSE, TRUE), subs)

es <- escalc(measure = "OR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)
gi <- rma(yi, sei = sqrt(vi), data = es, method = "FE")
o5 <- sprintf('<IV_OUTCOME ID="CMP-001.05" NO="5" EFFECT_MEASURE="Odds ratio" METHOD="IV" RANDOM="NO" LOG_DATA="YES" CI_TOTAL="95" CI_STUDY="95" %s>\n<NAME>Tuberculosis (generic inverse variance)</NAME>\n%s\n</IV_OUTCOME>',
              totals(gi, TRUE), paste(sprintf('<IV_DATA STUDY_ID="%s" EFFECT_SIZE="%s" SE="%s" WEIGHT="%s"/>',
                                             bcg$study, sapply(es$yi, f), sapply(sqrt(es$vi), f), sapply(weights(gi), f)), collapse = "\n"))

pt <- escalc(measure = "PETO", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)
oe <- pt$yi / pt$vi; v <- 1 / pt$vi
ip <- rma(yi, vi, data = pt, method = "FE")
o6 <- sprintf('<IPD_OUTCOME ID="CMP-001.06" NO="6" EFFECT_MEASURE="PETO_OR" METHOD="PETO" RANDOM="NO" CI_TOTAL="95" CI_STUDY="95" %s>\n<NAME>Tuberculosis (O - E and variance)</NAME>\n%s\n</IPD_OUTCOME>',
              totals(ip, TRUE), paste(sprintf('<IPD_DATA STUDY_ID="%s" O_E="%s" VAR="%s" WEIGHT="%s"/>',
                                              bcg$study, sapply(oe, f), sapply(v, f), sapply(weights(ip), f)), collapse = "\n"))

# A review of `studies` (id, name, year) with one comparison of `outcomes`,
# written to out_dir/file.
write_rm5 <- function(file, title, comparison, studies, outcomes) {
  studies <- unique(studies)
  xml <- paste0('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n',
    '<COCHRANE_REVIEW REVMAN_SUB_VERSION="5.4.1" REVMAN_VERSION="5" TYPE="INTERVENTION">\n',
    '<COVER_SHEET><TITLE>', title, '</TITLE></COVER_SHEET>\n',
    '<STUDIES_AND_REFERENCES><STUDIES><INCLUDED_STUDIES>\n',
    paste(sprintf('<STUDY ID="%s" NAME="%s" YEAR="%s"/>', studies$id, studies$name, studies$year), collapse = "\n"),
    '\n</INCLUDED_STUDIES></STUDIES></STUDIES_AND_REFERENCES>\n',
    '<ANALYSES_AND_DATA CALCULATED_DATA="YES">\n<COMPARISON ID="CMP-001" NO="1">\n<NAME>', comparison, '</NAME>\n',
    paste(outcomes, collapse = "\n"),
    '\n</COMPARISON>\n</ANALYSES_AND_DATA>\n</COCHRANE_REVIEW>\n')
  writeLines(xml, file.path(out_dir, file), useBytes = TRUE)
  cat("wrote", file.path(out_dir, file), "\n")
}
normand_studies <- data.frame(id = nor$study, name = nor$source, year = 1999)
write_rm5("reference.rm5", "Reference outcomes computed by metafor 3.8-1", "Reference outcomes",
          rbind(data.frame(id = bcg$study, name = bcg$name, year = bcg$year), normand_studies),
          c(o1, o2, o3, o4, o5, o6))

# subgroups.rm5
sub_test <- function(fits) {
  qb <- rma(sapply(fits, function(r) r$beta[1]), sei = sapply(fits, function(r) r$se), method = "FE")
  df <- qb$k - 1
  sprintf('Q="%s" P_Q="%s" I2_Q="%s"', f(qb$QE), f(qb$QEp), f(max(0, (qb$QE - df) / qb$QE) * 100))
}
all_bcg <- dat.bcg
all_bcg$study <- sprintf("STD-%s%d", gsub("[^A-Za-z0-9]", "", all_bcg$author), all_bcg$year)
all_bcg$name <- sprintf("%s %d", sub(" .*", "", all_bcg$author), all_bcg$year)
allocs <- sort(unique(all_bcg$alloc))
tables_outcome <- function(no, method) {
  fit <- function(d) if (method == "MH") rma.mh(ai = d$tpos, bi = d$tneg, ci = d$cpos, di = d$cneg, measure = "OR") else
    rma.peto(ai = d$tpos, bi = d$tneg, ci = d$cpos, di = d$cneg)
  all <- fit(all_bcg)
  fits <- lapply(allocs, function(a) fit(all_bcg[all_bcg$alloc == a, ]))
  subs <- paste(vapply(seq_along(allocs), function(j) {
    d <- all_bcg[all_bcg$alloc == allocs[j], ]
    w <- weights(all)[match(d$study, all_bcg$study)]
    sprintf('<DICH_SUBGROUP ID="CMP-001.%02d.%02d" NO="%d" %s>\n<NAME>%s</NAME>\n%s\n</DICH_SUBGROUP>', no, j, j,
            totals(fits[[j]], TRUE), allocs[j], dich_rows(d, w, d$tpos, d$tpos + d$tneg, d$cpos, d$cpos + d$cneg))
  }, ""), collapse = "\n")
  sprintf('<DICH_OUTCOME ID="CMP-001.%02d" NO="%d" EFFECT_MEASURE="%s" METHOD="%s" RANDOM="NO" CI_TOTAL="95" CI_STUDY="95" SUBGROUPS="YES" SUBGROUP_TEST="YES" %s %s>\n<NAME>Tuberculosis by allocation (%s)</NAME>\n%s\n</DICH_OUTCOME>',
          no, no, if (method == "MH") "OR" else "PETO_OR", method, totals(all, TRUE), sub_test(fits), method, subs)
}
revman_smd <- function(d) {
  n <- d$n1i + d$n2i
  s <- sqrt(((d$n1i - 1) * d$sd1i^2 + (d$n2i - 1) * d$sd2i^2) / (n - 2))
  g <- (d$m1i - d$m2i) / s * (1 - 3 / (4 * n - 9))
  data.frame(yi = g, vi = n / (d$n1i * d$n2i) + g^2 / (2 * (n - 3.94)))
}
smd_all <- rma(yi, vi, data = revman_smd(nor), method = "DL")
sites <- c("Orpington", "Other sites")
smd_fits <- lapply(sites, function(s) rma(yi, vi, data = revman_smd(nor[nor$site == s, ]), method = "DL"))
smd_subs <- paste(vapply(seq_along(sites), function(j) {
  d <- nor[nor$site == sites[j], ]
  sprintf('<CONT_SUBGROUP ID="CMP-001.03.%02d" NO="%d" %s>\n<NAME>%s</NAME>\n%s\n</CONT_SUBGROUP>', j, j,
          totals(smd_fits[[j]], FALSE, TRUE), sites[j], cont_rows(d, weights(smd_all)[match(d$study, nor$study)]))
}, ""), collapse = "\n")
s3 <- sprintf('<CONT_OUTCOME ID="CMP-001.03" NO="3" EFFECT_MEASURE="SMD" METHOD="IV" RANDOM="YES" CI_TOTAL="95" CI_STUDY="95" SUBGROUPS="YES" SUBGROUP_TEST="YES" %s %s>\n<NAME>Length of stay (SMD) by site</NAME>\n%s\n</CONT_OUTCOME>',
              totals(smd_all, FALSE, TRUE), sub_test(smd_fits), smd_subs)
write_rm5("subgroups.rm5", "Outcomes with subgroups computed by metafor 3.8-1", "Subgroup outcomes",
          rbind(data.frame(id = all_bcg$study, name = all_bcg$name, year = all_bcg$year), normand_studies),
          c(tables_outcome(1, "MH"), tables_outcome(2, "PETO"), s3))
