//! The case format: one JSON file per reference source (`tests/golden/*.json`),
//! written by the R script of the same name.
//!
//! ```json
//! { "suite": "core", "entry": "analyze", "tolerance": "closed_form",
//!   "generator": {"script": "tests/golden/core.R", "r": "R version 4.2.2", "metafor": "3.8.1", "jsonlite": "1.8.4"},
//!   "cases": [
//!     { "id": "bcg_RR/REML/knha",
//!       "source": "escalc(\"RR\", ai, bi, ci, di); rma(yi, vi, method = \"REML\", test = \"knha\")",
//!       "csv": "tests/golden/data/bcg_RR.csv",
//!       "spec": {"measure": "RR", "method": "REML", "test": "knha"},
//!       "expect": {"/tau2": 0.3132, "/coefficients/1/estimate": -0.0292},
//!       "tolerance": {"/tau2": "iterative"},
//!       "note": "where the paper and metafor disagree" } ] }
//! ```
//!
//! A case is its data (a CSV path, inline rows, a plan, or the inputs of a
//! core function), what to compute (`spec`, the JSON
//! [`AnalysisSpec`](rema_data::AnalysisSpec) that the CLI and the server
//! accept), the expected values by JSON pointer into the document the entry
//! produces (for `analyze`, the serialised
//! [`AnalysisResult`](rema_data::AnalysisResult)), and the tolerance of each
//! pointer (the suite's default where it names none). An expected `null`
//! means rema must report no value there (null or absent). A case with
//! `error` is one that metafor refused: rema must refuse it too.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::tolerance::Tolerance;

/// One golden file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// The suite's name (the file's stem).
    pub suite: String,
    /// What produced the expected values: script and versions.
    pub generator: Generator,
    /// The entry point of the cases that name none.
    pub entry: Entry,
    /// The tolerance of the pointers that name none.
    pub tolerance: Tolerance,
    /// About the whole reference source.
    pub note: Option<String>,
    pub cases: Vec<Case>,
}

/// The script and the versions of R and its packages that made a suite.
#[derive(Debug, Clone, Deserialize)]
pub struct Generator {
    /// The R script, relative to the workspace root.
    pub script: String,
    /// `R.version.string`.
    pub r: String,
    /// metafor's version.
    pub metafor: String,
    /// jsonlite's version.
    pub jsonlite: String,
    /// Other packages the script used (lme4, boot), by name.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// The rema entry point a case runs; each produces one JSON document that the
/// case's pointers index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// `rema_data::analyze` on the case's table and spec: the `AnalysisResult`.
    Analyze,
    /// `rema_data::bias` on the case's table and spec: the `BiasResult`.
    Bias,
    /// `rema_data::run_plan` on the case's `plan`: the `results.json` document.
    Plan,
    /// rema-core's fit of the `input` yi, vi (method, test, level): the
    /// omnibus test of an intercept-only model, which `AnalysisResult` omits.
    /// Document: `{"qm", "qm_pval"}`.
    Fit,
    /// rema-core's trim and fill of the `input` yi, vi: the statistic of the
    /// filled model, which `BiasResult` omits. Document: `{"stat"}`.
    TrimAndFill,
    /// rema-core's GLMM marginal log-likelihood at given parameters (`input`:
    /// xi, ni, mu, tau2, points). Document: `{"loglik"}`.
    GlmmLoglik,
    /// A conversion to mean or SD (`input`: function and its arguments).
    /// Document: `{"value"}`.
    Conversion,
    /// `rema_data::compare` of the case's spec against the spec
    /// `input.other`, both analysed on the case's table: the
    /// `ModelComparison` (metafor `anova(full, reduced)`).
    Compare,
    /// rema-core's super smoother of `input` x, y with `bass` (R `supsmu`).
    /// Document: `{"smooth": [...]}`, one value per distinct x, as R.
    Supsmu,
    /// rema-core's Q–Q envelope of an intercept-only model (`input`:
    /// weights, level, reps, smooth, bonferroni, bass, seeds), averaged over
    /// seeds 1..=seeds. Document: `{"lower", "upper", "lower_mcse",
    /// "upper_mcse"}`, the MCSE the SD over the seeds over √seeds.
    QqEnvelope,
}

/// One reference computation and what rema must give for it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Unique within its suite.
    pub id: String,
    /// The R call (or the paper and page) the expected values come from.
    pub source: String,
    /// Overrides the suite's entry.
    pub entry: Option<Entry>,
    /// The data: a CSV file relative to the workspace root.
    pub csv: Option<String>,
    /// The data inline: one object per study, column name to value.
    pub rows: Option<Vec<Map<String, Value>>>,
    /// A plan file relative to the workspace root (entry `plan`).
    pub plan: Option<String>,
    /// The analysis spec, as the CLI's and the server's JSON.
    #[serde(default)]
    pub spec: Value,
    /// The inputs of a core entry ([`Entry::Fit`], [`Entry::Conversion`], ...).
    #[serde(default)]
    pub input: Value,
    /// Expected values by JSON pointer.
    #[serde(default)]
    pub expect: BTreeMap<String, Value>,
    /// Tolerance by JSON pointer, where it is not the suite's.
    #[serde(default)]
    pub tolerance: BTreeMap<String, Tolerance>,
    /// metafor's error: rema must refuse this case too.
    pub error: Option<String>,
    /// Where the reference and a paper (or rema's conventions) disagree.
    pub note: Option<String>,
}

impl Suite {
    /// Parses a suite file's text.
    ///
    /// ```
    /// let s = rema_golden::case::Suite::parse(r#"{"suite": "x", "entry": "analyze",
    ///   "tolerance": "closed_form", "cases": [],
    ///   "generator": {"script": "x.R", "r": "R", "metafor": "3.8.1", "jsonlite": "1.8.4"}}"#).unwrap();
    /// assert_eq!(s.entry, rema_golden::case::Entry::Analyze);
    /// ```
    pub fn parse(text: &str) -> Result<Suite, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The number of expected values over all cases.
    pub fn expected_values(&self) -> usize {
        self.cases.iter().map(|c| c.expect.len()).sum()
    }
}
