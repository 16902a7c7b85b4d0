//! `cargo xtask <task>`: project automation.
//!
//! - `goldens`: regenerate every golden suite (`tests/golden/<suite>.json`,
//!   the 15 of `rema_golden::SUITES`) by running its R script, then check
//!   them. Needs R with metafor, jsonlite, lme4, boot and clubSandwich (Debian:
//!   `apt-get install r-cran-metafor r-cran-jsonlite r-cran-lme4 r-cran-boot r-cran-clubsandwich`);
//!   the bootstrap suites take about 15 minutes each. It also reruns
//!   rema-core's own reference scripts (`crates/rema-core/tests/golden/`:
//!   `core/model`, `core/pooling`, `core/permutest`). `goldens <suite>...`
//!   regenerates only those.
//! - `goldens --check` (alias `check-goldens`): run every suite offline
//!   against the committed JSON, print the number of checks and the largest
//!   error per tolerance class, and fail on any mismatch. No R needed.
//! - `verify`: every result of the seed paper (examples/bkp) reproduced or
//!   audited, against the expected statuses, then `goldens --check`.
//! - `tidy`: rules no compiler checks (no module cycle in any crate, every
//!   file opens with `//!`, no should-panic test); also a `#[test]`.
//! - `bench-compare [--quick] [--keep] [--r-large] [--no-r]`: rema's permutation test and
//!   bootstrap against R metafor per iteration, side by side on the same
//!   generated data (see `bench_compare.rs`, docs/PERFORMANCE.md).
//! - `bench-gwas [--cohorts 20] [--snps 1000000] [--metal BIN | --metal-src DIR] [--keep]`:
//!   `rema gwas` against METAL on a generated GWAS, wall time and peak memory
//!   (see `bench_gwas.rs`); `gwas-data DIR` writes the data only.
//! - `bench-batch [--analyses N] [--skip-pymare] [--skip-1e7]`: `rema batch` and
//!   rema-core's batch API against PyMARE on 10^6 analyses × 10 studies, and
//!   10^7 analyses (see `bench_batch.rs`, docs/PERFORMANCE.md).

use std::path::{Path, PathBuf};
use std::process::Command;

mod bench_batch;
mod bench_compare;
mod bench_gosh;
mod bench_gwas;
mod bench_mv;
mod tidy;

use anyhow::{bail, Context, Result};
use rema_golden::SUITES;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("goldens") if args.iter().any(|a| a == "--check") => check_goldens().map(|_| ()),
        Some("goldens") => goldens(&args[1..]),
        Some("check-goldens") => check_goldens().map(|_| ()),
        Some("verify") => verify(),
        Some("bench-compare") => bench_compare::bench_compare(&root(), &args[1..]),
        Some("bench-batch") => bench_batch::bench_batch(&root(), &args[1..]),
        Some("bench-loop") => bench_compare::bench_loop(&args[1..]),
        Some("bench-gwas") => bench_gwas::bench_gwas(&root(), &args[1..]),
        Some("gwas-data") => bench_gwas::gwas_data(&args[1..]),
        Some("tidy") => {
            let problems = tidy::problems(&root());
            for p in &problems {
                eprintln!("{p}");
            }
            if problems.is_empty() {
                println!("tidy: no module cycle, every file opens with //!, no should-panic test");
                Ok(())
            } else {
                bail!("tidy: {} problem(s)", problems.len())
            }
        }
        _ => {
            eprintln!("usage: cargo xtask <verify | goldens [--check] [suite...] | check-goldens | tidy | bench-compare [--quick] [--keep] [--r-large] [--no-r] [--gosh-only] [--mv-only] | bench-gwas [...] | gwas-data DIR | bench-batch [--analyses N] [--skip-pymare] [--skip-1e7]>");
            std::process::exit(2);
        }
    }
}

/// Runs the R script of each suite named in `only` (every suite when empty),
/// then checks every suite.
/// rema-core's own reference files (`crates/rema-core/tests/golden/<name>.R`
/// writes `<name>.json` there), read by rema-core's tests: the fitted model's
/// follow-ups, Mantel–Haenszel and Peto, and the permutation statistic and
/// `permci`. Named `core/<name>` on the command line.
const CORE_SCRIPTS: [&str; 4] = ["model", "pooling", "permutest", "intervals"];
const CORE_DIR: &str = "crates/rema-core/tests/golden";

fn goldens(only: &[String]) -> Result<()> {
    let core = |name: &str| format!("core/{name}");
    for name in only {
        if !SUITES.contains(&name.as_str()) && !CORE_SCRIPTS.iter().any(|c| core(c) == *name) {
            bail!(
                "no suite `{name}` (suites: {}, {})",
                SUITES.join(", "),
                CORE_SCRIPTS.map(core).join(", ")
            );
        }
    }
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let runs = SUITES
        .iter()
        .filter(|name| wanted(name))
        .map(|name| (format!("tests/golden/{name}.R"), "tests/golden"))
        .chain(
            CORE_SCRIPTS
                .iter()
                .filter(|name| wanted(&core(name)))
                .map(|name| (format!("{CORE_DIR}/{name}.R"), CORE_DIR)),
        );
    for (script, dir) in runs {
        println!("Rscript {script} {dir}");
        let status = Command::new("Rscript")
            .arg(&script)
            .arg(dir)
            .current_dir(root())
            .status()
            .context(
                "running Rscript (install R with `apt-get install r-cran-metafor r-cran-jsonlite r-cran-lme4 r-cran-boot`)",
            )?;
        if !status.success() {
            bail!("{script} failed");
        }
    }
    check_goldens().map(|_| ())
}

/// Runs every suite offline; prints each suite's checks and largest errors,
/// and fails if any check does.
pub fn check_goldens() -> Result<usize> {
    let mut checks = 0;
    let mut failed = Vec::new();
    for name in SUITES {
        let report = rema_golden::run_suite(&root(), name).map_err(anyhow::Error::msg)?;
        println!("{}", report.summary());
        if !report.passed() {
            eprintln!("{}", report.failure_text(40));
            failed.push(name);
        }
        checks += report.checks();
    }
    println!("golden suites: {checks} checks in {} suites", SUITES.len());
    println!(
        "rema-core's reference files ({CORE_DIR}/{{{}}}.json) are checked by `cargo test -p rema-core`",
        CORE_SCRIPTS.join(",")
    );
    if !failed.is_empty() {
        bail!("golden suites with failures: {}", failed.join(", "));
    }
    Ok(checks)
}

fn verify() -> Result<()> {
    let rows = rema_golden::verify::run(&root()).map_err(anyhow::Error::msg)?;
    println!(
        "rema {} against Bouza et al. 2009 (examples/bkp)\n",
        env!("CARGO_PKG_VERSION")
    );
    let w = rows.iter().map(|r| r.id.len()).max().unwrap_or(2);
    println!("{:<w$}  {:<16}  {:<44}  rema", "id", "status", "published");
    let mut wrong = 0;
    for r in &rows {
        let flag = match r.expected {
            Some(e) if e == r.status => "",
            Some(_) => {
                wrong += 1;
                "  <-- expected differently"
            }
            None => {
                wrong += 1;
                "  <-- no expected status"
            }
        };
        println!(
            "{:<w$}  {:<16}  {:<44}  {}{flag}",
            r.id,
            r.status.name(),
            r.published,
            r.rema
        );
        for d in &r.detail {
            println!("{:<w$}    - {d}", "");
        }
    }
    println!();
    let golden = check_goldens();
    if wrong > 0 {
        bail!("{wrong} rows do not have their expected status (examples/bkp/verify_expected.csv)");
    }
    golden?;
    println!(
        "\nverify: every row has its expected status and every golden value agrees with metafor"
    );
    Ok(())
}
