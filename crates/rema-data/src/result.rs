//! The result of one analysis: the JSON schema of `rema analyze --format json`
//! and of the server's `result` (documented in docs/SCHEMA.md).

use serde::{Deserialize, Serialize};

use crate::convert::Conversion;
pub use crate::sensitivity::{CumulativeRow, GlmmDetails, InfluenceRow, LeaveOneOutRow};
use crate::spec::AnalysisSpec;

/// One analysis, on the analysis scale (log RR, logit, ...), with the
/// back-transformed summary, per-study effects, notes and provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnalysisResult {
    pub measure: String,
    pub method: String,
    pub test: String,
    pub level: f64,
    pub k: usize,
    pub estimate: f64,
    pub se: f64,
    /// z or t statistic of the estimate.
    pub stat: f64,
    /// Degrees of freedom of the t test (Knapp-Hartung); null for z.
    pub df: Option<f64>,
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub pval: f64,
    pub tau2: f64,
    pub tau: f64,
    /// I^2 in percent.
    pub i2: f64,
    pub h2: f64,
    pub q: f64,
    pub q_df: f64,
    pub q_pval: f64,
    pub pi_lower: f64,
    pub pi_upper: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau2_ci_lower: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau2_ci_upper: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub i2_ci_lower: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub i2_ci_upper: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h2_ci_lower: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h2_ci_upper: Option<f64>,
    /// Fisher-scoring iterations (ML, REML, EB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau2_iterations: Option<usize>,
    /// The summary on the reporting scale, for ratio and proportion measures.
    pub transformed: Option<Transformed>,
    pub studies: Vec<StudyEffect>,
    pub notes: Vec<String>,
    /// Values rema estimated from what studies reported (SD from an SE, a
    /// range, ...; an assumed correlation), one per study and column.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conversions: Vec<Conversion>,
    pub provenance: Provenance,
    /// `--leave-one-out`: the fit without each study.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave_one_out: Option<Vec<LeaveOneOutRow>>,
    /// `--influence`: metafor's influence diagnostics per study.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub influence: Option<Vec<InfluenceRow>>,
    /// `--cumulative`: the fit to the first 1, 2, ..., k studies in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cumulative: Option<Vec<CumulativeRow>>,
    /// `--method GLMM`: what only the binomial-normal model has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glmm: Option<GlmmDetails>,
}

/// The pooled estimate, CI and PI back-transformed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transformed {
    /// What the numbers are, e.g. `RR`, `OR`, `proportion (%)`.
    pub scale: String,
    pub estimate: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub pi_lower: f64,
    pub pi_upper: f64,
}

/// One study's effect on the analysis scale and its weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StudyEffect {
    pub study: String,
    pub line: Option<u64>,
    pub yi: f64,
    pub vi: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    /// Weight in percent.
    pub weight: f64,
    /// True when a continuity correction was added to this study.
    #[serde(default)]
    pub corrected: bool,
}

/// What produced a result, so that it can be reproduced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Provenance {
    pub tool: String,
    pub version: String,
    pub options: AnalysisSpec,
    /// SHA-256 of the input bytes, hex.
    pub input_sha256: String,
    pub input: String,
}
