//! rema-data: the data model and I/O of rema.
//!
//! It reads CSV (and JSON) input into validated study data, runs analyses
//! through `rema-core`, and defines the request ([`AnalysisSpec`]) and result
//! ([`AnalysisResult`]) types that the CLI and the server share, so that every
//! face of rema gives the same numbers and the same JSON.
//!
//! The modules form one pipeline, read top to bottom (no module imports one
//! that calls it): formats (`table`, `columns`, `convert`, `moderators`,
//! `review`, `plan`, `xlsx`), wire types (`spec`, `result`), then the analysis:
//! `prepare` (studies, effect sizes, design and main fit, once), `sections`
//! (each part of the result), `glmm` (the GLMM's own model), `multilevel`
//! (the multilevel model's) and `analyze`
//! (the top). `bias`, `audit`, `run` and `compare` (the likelihood-ratio test of
//! two saved results) are further entry points.

pub mod analyze;
pub mod audit;
pub mod bias;
pub mod columns;
pub mod compare;
pub mod convert;
pub mod describe;
pub mod error;
pub mod formula;
mod glmm;
pub mod gwas;
pub mod moderators;
mod multilevel;
pub mod plan;
mod pooled;
mod prepare;
pub use prepare::{model_inputs, ModelInputs};
pub mod render;
pub mod result;
pub mod review;
pub mod rm5;
pub mod run;
mod sections;
pub mod spec;
pub mod table;
pub mod vcov;
pub mod xlsx;

use sha2::{Digest, Sha256};

/// The version of rema that produced a result.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Hex SHA-256 of the input bytes.
///
/// ```
/// assert_eq!(&rema_data::sha256_hex(b"")[..8], "e3b0c442");
/// ```
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub use analyze::{analyze, analyze_with};
pub use bias::{bias, bias_with, BiasOptions, BiasResult};
pub use columns::{read_studies, select, MissingAction, Selected, StudyTable};
pub use compare::{compare, ModelComparison};
pub use convert::{Conversion, ConversionOptions};
pub use error::{DataError, Location, Result};
pub use plan::Plan;
pub use result::{
    AnalysisResult, BootCoefficientResult, BootIntervalResult, BootStatResult, BootstrapResult,
    CoefficientResult, HeterogeneityTestResult, PermutationResult, Provenance, StatisticTestResult,
    StudyEffect, SubgroupResult, Summary, Transformed,
};
pub use review::Review;
pub use run::{run_plan, RunOutput, RunResults};
pub use spec::{Analysis, AnalysisSpec, Level, Model, Permutations};
pub use table::Table;
