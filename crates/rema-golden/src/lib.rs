//! rema-golden: rema's numbers against their references, as data.
//!
//! Every reference source is one JSON file in `tests/golden/`, written by the
//! R script of the same name (`cargo xtask goldens` runs them all) and read
//! here in one format ([`case`]): a case is data, an analysis spec, and the
//! expected values by JSON pointer into the document rema produces, each
//! under a named [`tolerance`]. One [`runner`] runs every suite offline
//! (`cargo test`, `cargo xtask goldens --check`), through the entry points
//! that the CLI and the server use ([`entry`]).
//!
//! The crate also holds the seed paper's checks ([`verify`], `cargo xtask
//! verify`) and the synthetic studies of the benchmarks ([`synthetic`]). It
//! is not published and is no part of rema's API.
//!
//! ```no_run
//! let root = rema_golden::workspace_root();
//! for name in rema_golden::SUITES {
//!     let report = rema_golden::runner::run_suite(&root, name).unwrap();
//!     println!("{}", report.summary());
//! }
//! ```

pub mod case;
pub mod entry;
pub mod runner;
pub mod synthetic;
pub mod tolerance;
pub mod verify;

use std::path::{Path, PathBuf};

pub use case::{Case, Entry, Suite};
pub use runner::{run_suite, Comparison, Report};
pub use tolerance::Tolerance;

/// Every suite, by the stem of its files (`tests/golden/<name>.R` writes
/// `tests/golden/<name>.json`).
pub const SUITES: [&str; 15] = [
    "core",
    "influence",
    "bias",
    "glmm",
    "moderators",
    "formula",
    "subgroups",
    "permutest",
    "bootstrap",
    "bootstrap_mods",
    "conversions",
    "plans",
    "mv",
    "mv_more",
    "wild",
];

/// The workspace root (the suites name their CSV files relative to it).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// Runs the suite `name` and returns its report if every check passes, or
/// the summary and the failures as text.
pub fn check(root: &Path, name: &str) -> Result<Report, String> {
    let report = run_suite(root, name)?;
    if report.passed() {
        Ok(report)
    } else {
        Err(format!("{}\n{}", report.summary(), report.failure_text(60)))
    }
}
