//! `cargo xtask <task>`: project automation.
//!
//! - `goldens`: regenerate tests/golden/{core,influence,bias,glmm}.json with R
//!   metafor (needs R, metafor, jsonlite and lme4:
//!   `apt-get install r-cran-metafor r-cran-jsonlite r-cran-lme4`).
//! - `verify`: every result of the seed paper (examples/bkp) reproduced or
//!   audited, against the expected statuses, then the golden suite.
//! - `check-goldens`: compare rema with the committed goldens offline and
//!   print the largest relative error per kind of quantity.
//! - `tidy`: rules no compiler checks (no module cycle in any crate, every
//!   file opens with `//!`, no should-panic test); also a `#[test]`.
//! - `bench-compare [--quick] [--keep] [--r-large] [--no-r]`: rema's permutation test and
//!   bootstrap against R metafor per iteration, side by side on the same
//!   generated data (see `bench_compare.rs`, docs/PERFORMANCE.md).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

mod bench_compare;
mod tidy;

use anyhow::{bail, Context, Result};
use rema::golden::{run_core, Kind};
use rema::golden_sensitivity::{run_bias, run_glmm, run_influence};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("goldens") => goldens(),
        Some("check-goldens") => check_goldens().map(|_| ()),
        Some("verify") => verify(),
        Some("bench-compare") => bench_compare::bench_compare(&root(), &args[1..]),
        Some("bench-loop") => bench_compare::bench_loop(&args[1..]),
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
            eprintln!("usage: cargo xtask <verify | goldens | check-goldens | tidy | bench-compare [--quick] [--keep] [--r-large] [--no-r]>");
            std::process::exit(2);
        }
    }
}

/// The R scripts that make the goldens (glmm.R also needs lme4:
/// `apt-get install r-cran-lme4`).
const SCRIPTS: [&str; 4] = [
    "tests/golden/core.R",
    "tests/golden/influence.R",
    "tests/golden/bias.R",
    "tests/golden/glmm.R",
];

fn goldens() -> Result<()> {
    for script in SCRIPTS {
        let status = Command::new("Rscript")
            .arg(script)
            .arg("tests/golden")
            .current_dir(root())
            .status()
            .context(
                "running Rscript (install R with `apt-get install r-cran-metafor r-cran-jsonlite r-cran-lme4`)",
            )?;
        if !status.success() {
            bail!("{script} failed");
        }
    }
    check_goldens().map(|_| ())
}

/// Prints the largest relative error per kind and fails if any comparison does.
pub fn check_goldens() -> Result<usize> {
    let mut comparisons = run_core(&root()).map_err(anyhow::Error::msg)?;
    for suite in [run_influence, run_bias, run_glmm] {
        comparisons.extend(suite(&root()).map_err(anyhow::Error::msg)?);
    }
    let mut worst: BTreeMap<Kind, (f64, String, usize)> = BTreeMap::new();
    for c in &comparisons {
        let e = worst.entry(c.kind).or_insert((0.0, String::new(), 0));
        e.2 += 1;
        if c.rel_error() >= e.0 {
            e.0 = c.rel_error();
            e.1 = format!("{} {}", c.case, c.quantity);
        }
    }
    println!(
        "golden suite vs R metafor: {} comparisons",
        comparisons.len()
    );
    for (kind, (err, at, n)) in &worst {
        println!(
            "  {kind:?}: {n} values, largest relative error {err:.2e} (tolerance {:.0e}) at {at}",
            kind.tolerance()
        );
    }
    let failed = comparisons.iter().filter(|c| !c.passes()).count();
    if failed > 0 {
        bail!("{failed} comparisons outside tolerance");
    }
    Ok(comparisons.len())
}

fn verify() -> Result<()> {
    let rows = rema::verify::run(&root()).map_err(anyhow::Error::msg)?;
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
