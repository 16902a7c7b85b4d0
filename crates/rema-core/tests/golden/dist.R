# rema-core's distribution functions against R's: pnorm (both tails) over
# [-40, 40] including the bounds of Cody's intervals (0.66291, sqrt(32)) and
# the underflow region, and pchisq(lower.tail = FALSE) for every integer df
# 1..100 (rema's finite series) and some larger or non-integer df (statrs's
# incomplete gamma) at points from 1e-10 to 1399, the upper tails down to
# about 1e-300. Writes crates/rema-core/tests/golden/dist.json, read by
# crates/rema-core/tests/dist.rs: {"generator", "norm": [{"x", "lower",
# "upper"}], "chisq": [{"x", "df", "upper"}]}, 17 significant digits as strings.
# Run from the repository root: Rscript crates/rema-core/tests/golden/dist.R
suppressPackageStartupMessages(library(jsonlite))
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "crates/rema-core/tests/golden"

xs <- c(seq(-40, 40, by = 0.0625), seq(-9, 9, by = 0.01),
        0, 1e-300, -1e-300, 1e-17, -1e-17, 1e-9, -1e-9, 1.1e-16, 0.3,
        0.66291, -0.66291, 0.66291 + 1e-12, -0.66291 - 1e-12,
        sqrt(32), -sqrt(32), sqrt(32) + 1e-12, -sqrt(32) - 1e-12,
        1.959963984540054, 2.5758293035489, 3.290526731491926,
        8.2924, 8.3, 12.345678, 25.1, 37.5, 37.519, -37.5, -37.519, 38, -38)
xs <- unique(xs)
norm <- data.frame(x = xs, lower = pnorm(xs), upper = pnorm(xs, lower.tail = FALSE))

grid <- function(df) {
  x <- c(1e-10, 1e-3, 0.1, 0.5, 1, 2, 3.5, df / 2, df, 1.5 * df, 2 * df,
         df + 10 * sqrt(df), 30, 50, 75, 100, 150, 200, 300, 500, 800,
         1000, 1200, 1399)
  unique(x)
}
series <- do.call(rbind, lapply(1:100, function(df) {
  x <- grid(df)
  data.frame(x = x, df = df, upper = pchisq(x, df, lower.tail = FALSE))
}))
# statrs's path: above the series' df limit, non-integer df, and x >= 1400
# (moderate tails only: the test's tolerance there is statrs's, 1e-9).
fallback <- do.call(rbind, lapply(c(0.5, 1.5, 9.5, 101, 150, 250, 1000), function(df) {
  x <- c(0.1, 1, df / 2, df, 1.5 * df, df + 5 * sqrt(df))
  data.frame(x = x, df = df, upper = pchisq(x, df, lower.tail = FALSE))
}))
big_x <- data.frame(x = c(1400, 1410), df = c(1000, 1000),
                    upper = pchisq(c(1400, 1410), 1000, lower.tail = FALSE))
chisq <- rbind(series, fallback, big_x)
chisq <- chisq[chisq$upper > 1e-300, ]

# jsonlite prints at most 15 significant digits, so the rows are written
# with sprintf("%.17g"), which round-trips every double, as JSON strings:
# serde_json's default number parser is not correctly rounded (an x off by
# one ulp moves the far tails by x^2 ulp), Rust's str::parse is.
g17 <- function(x) sprintf('"%.17g"', x)
rows <- function(d) {
  fields <- lapply(names(d), function(n) paste0('"', n, '":', g17(d[[n]])))
  paste0("{", do.call(paste, c(fields, sep = ",")), "}", collapse = ",")
}
generator <- sprintf("crates/rema-core/tests/golden/dist.R; R %s (pnorm, pchisq)", getRversion())
writeLines(paste0('{"generator":', toJSON(generator, auto_unbox = TRUE),
                  ',"norm":[', rows(norm), '],"chisq":[', rows(chisq), "]}"),
           file.path(out, "dist.json"))
