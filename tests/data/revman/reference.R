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

studies <- unique(rbind(data.frame(id = bcg$study, name = bcg$name, year = bcg$year),
                        data.frame(id = nor$study, name = nor$source, year = 1999)))
xml <- paste0('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n',
  '<COCHRANE_REVIEW REVMAN_SUB_VERSION="5.4.1" REVMAN_VERSION="5" TYPE="INTERVENTION">\n',
  '<COVER_SHEET><TITLE>Reference outcomes computed by metafor 3.8-1</TITLE></COVER_SHEET>\n',
  '<STUDIES_AND_REFERENCES><STUDIES><INCLUDED_STUDIES>\n',
  paste(sprintf('<STUDY ID="%s" NAME="%s" YEAR="%s"/>', studies$id, studies$name, studies$year), collapse = "\n"),
  '\n</INCLUDED_STUDIES></STUDIES></STUDIES_AND_REFERENCES>\n',
  '<ANALYSES_AND_DATA CALCULATED_DATA="YES">\n<COMPARISON ID="CMP-001" NO="1">\n<NAME>Reference outcomes</NAME>\n',
  paste(o1, o2, o3, o4, o5, o6, sep = "\n"),
  '\n</COMPARISON>\n</ANALYSES_AND_DATA>\n</COCHRANE_REVIEW>\n')
writeLines(xml, file.path(out_dir, "reference.rm5"), useBytes = TRUE)
cat("wrote", file.path(out_dir, "reference.rm5"), "\n")
