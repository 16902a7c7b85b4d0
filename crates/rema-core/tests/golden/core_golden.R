# Shared by rema-core's reference scripts (model.R, permutest.R, pooling.R,
# intervals.R):
# source("crates/rema-core/tests/golden/core_golden.R") from the workspace
# root. Loads metafor and jsonlite, reads the output folder (the first
# argument, this folder by default), and writes a golden file.
suppressPackageStartupMessages({ library(metafor); library(jsonlite) })

args <- commandArgs(trailingOnly = TRUE)
out_dir <- if (length(args) >= 1) args[1] else "crates/rema-core/tests/golden"
nums <- function(x) unname(as.numeric(x))
rows <- function(m) unname(lapply(seq_len(nrow(m)), function(i) I(nums(m[i, ]))))

# Writes out_dir/<name>.json: the cases, with the script that made them and
# the versions of R, metafor and jsonlite.
core_write <- function(name, cases) {
  out <- list(
    generator = list(script = paste0("crates/rema-core/tests/golden/", name, ".R"), r = R.version.string,
                     metafor = as.character(packageVersion("metafor")),
                     jsonlite = as.character(packageVersion("jsonlite"))),
    cases = cases)
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null", na = "null"),
             file.path(out_dir, paste0(name, ".json")))
}
