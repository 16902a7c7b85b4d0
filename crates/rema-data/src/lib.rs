//! rema-data: the data model and I/O of rema.
//!
//! It reads CSV (and JSON) input into validated study data, runs analyses
//! through `rema-core`, and defines the request ([`AnalysisSpec`]) and result
//! ([`AnalysisResult`]) types that the CLI and the server share, so that every
//! face of rema gives the same numbers and the same JSON.

pub mod analyze;
pub mod audit;
pub mod bias;
pub mod columns;
pub mod convert;
pub mod error;
mod extended;
pub mod moderators;
pub mod plan;
pub mod result;
pub mod review;
pub mod run;
pub mod sensitivity;
pub mod spec;
pub mod table;

pub use analyze::{analyze, analyze_with, sha256_hex, VERSION};
pub use bias::{bias, BiasResult};
pub use columns::{read_studies, StudyTable};
pub use convert::{Conversion, ConversionOptions};
pub use error::{DataError, Location, Result};
pub use plan::Plan;
pub use result::{
    AnalysisResult, BootCoefficientResult, BootIntervalResult, BootStatResult, BootstrapResult,
    CoefficientResult, HeterogeneityTestResult, PermutationResult, Provenance, StatisticTestResult,
    StudyEffect, SubgroupResult, Transformed,
};
pub use review::Review;
pub use run::{run_plan, RunOutput, RunResults};
pub use spec::AnalysisSpec;
pub use table::Table;
