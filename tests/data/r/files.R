# Files as metafor users have them, and what metafor 3.8-1 makes of them.
# Run from the repository root: Rscript tests/data/r/files.R
# Writes, beside this script:
#   bcg_escalc.csv         write.csv(escalc(...)) of dat.bcg: row names, quoted headers
#   bcg_escalc_counts.csv  the same with the counts named ai, bi, ci, di (read with RR)
#   bcg_na_csv2.csv        write.csv2 (";" and decimal ","), NA in vi (study 3) and ablat (study 5)
#   lee2004.csv            write.csv(dat.lee2004): study "Agarwal" twice
#   files.xlsx             openxlsx: sheet "bcg" (the escalc output), sheet "lee2004"
#   files.json             the reference values below
suppressPackageStartupMessages({ library(metafor); library(jsonlite); library(openxlsx) })
out <- "tests/data/r"

es <- escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
write.csv(es, file.path(out, "bcg_escalc.csv"))
counts <- transform(dat.bcg, ai = tpos, bi = tneg, ci = cpos, di = cneg)
counts <- counts[, c("trial", "author", "year", "ai", "bi", "ci", "di", "ablat", "alloc")]
es_counts <- escalc("RR", ai = ai, bi = bi, ci = ci, di = di, data = counts)
write.csv(es_counts, file.path(out, "bcg_escalc_counts.csv"))
es_na <- es
es_na$vi[3] <- NA
es_na$ablat[5] <- NA
write.csv2(es_na, file.path(out, "bcg_na_csv2.csv"))
write.csv(dat.lee2004, file.path(out, "lee2004.csv"))
write.xlsx(list(bcg = as.data.frame(es), lee2004 = dat.lee2004), file.path(out, "files.xlsx"))

fit <- rma(yi, vi, data = es)
fit_na <- suppressWarnings(rma(yi, vi, data = es_na))
fit_na_mods <- suppressWarnings(rma(yi, vi, mods = ~ablat, data = es_na))
lee <- rma(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.lee2004)
lee_l1o <- leave1out(lee)
ref <- list(
  generator = list(script = "tests/data/r/files.R", r = R.version$version.string,
                   metafor = as.character(packageVersion("metafor")),
                   openxlsx = as.character(packageVersion("openxlsx"))),
  bcg = list(call = "rma(yi, vi, data = escalc('RR', ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg))",
             k = fit$k, estimate = as.numeric(fit$b), se = fit$se, tau2 = fit$tau2),
  bcg_na = list(call = "rma(yi, vi, data = es_na)  # vi of study 3 is NA",
                k = fit_na$k, estimate = as.numeric(fit_na$b), se = fit_na$se, tau2 = fit_na$tau2),
  bcg_na_mods = list(call = "rma(yi, vi, mods = ~ablat, data = es_na)  # also ablat of study 5 is NA",
                     k = fit_na_mods$k, b = as.numeric(fit_na_mods$b), se = fit_na_mods$se,
                     tau2 = fit_na_mods$tau2),
  lee2004 = list(call = "rma(measure = 'OR', ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.lee2004); leave1out()",
                 k = lee$k, estimate = as.numeric(lee$b), tau2 = lee$tau2,
                 leave1out_estimate = as.numeric(lee_l1o$estimate))
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(out, "files.json"))
