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
    /// Meta-regression (`--mods`): the coefficients, intercept first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coefficients: Option<Vec<CoefficientResult>>,
    /// Omnibus test of the moderators (chi^2 for z, F for knha).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qm: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qm_df: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qm_pval: Option<f64>,
    /// Test of residual heterogeneity (equal to `q`, `q_pval`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qe: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qe_pval: Option<f64>,
    /// Pseudo R^2 in percent (metafor's R2); null when undefined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r2: Option<f64>,
    /// Permutation p-value of the pooled estimate (intercept-only model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pval_perm: Option<f64>,
    /// Subgroup analysis (`--by`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subgroups: Option<Vec<SubgroupResult>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q_between: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q_between_df: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q_between_pval: Option<f64>,
    /// The common tau^2 of the subgroups (`--tau2-common`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau2_common: Option<f64>,
    /// Permutation tests (`--permutations`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permutation: Option<PermutationResult>,
    /// Bootstrap (`--bootstrap`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<BootstrapResult>,
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

/// One coefficient of a meta-regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoefficientResult {
    /// metafor's name: `intrcpt`, a numeric column's name, or column + level.
    pub name: String,
    pub estimate: f64,
    pub se: f64,
    /// z statistic (test z).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zval: Option<f64>,
    /// t statistic (test knha).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tval: Option<f64>,
    pub pval: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    /// Permutation p-value (with `--permutations`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pval_perm: Option<f64>,
}

/// The fit within one subgroup level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubgroupResult {
    pub level: String,
    pub k: usize,
    pub estimate: f64,
    pub se: f64,
    pub stat: f64,
    pub df: Option<f64>,
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub pval: f64,
    pub tau2: f64,
    pub tau: f64,
    pub i2: f64,
    pub h2: f64,
    pub q: f64,
    pub q_df: f64,
    pub q_pval: f64,
    pub pi_lower: f64,
    pub pi_upper: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau2_iterations: Option<usize>,
    pub transformed: Option<Transformed>,
    /// The studies of the level, by label.
    pub studies: Vec<String>,
    pub notes: Vec<String>,
}

/// Permutation tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PermutationResult {
    /// Permutation p-value of the omnibus test QM.
    pub qm_pval: f64,
    /// Arrangements evaluated (the observed one counted, as metafor).
    pub iterations: u64,
    pub exact: bool,
    pub seed: u64,
    /// Refits that failed (redrawn in random tests, left out of exact ones).
    pub failed: u64,
    /// Permutation test of the subgroup difference (with `--by`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q_between: Option<StatisticTestResult>,
    /// Resampling test of residual heterogeneity, H0: tau^2 = 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heterogeneity: Option<HeterogeneityTestResult>,
}

/// A permutation test of one statistic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatisticTestResult {
    pub pval: f64,
    pub iterations: u64,
    pub exact: bool,
    pub seed: u64,
    pub failed: u64,
}

/// The test of tau^2 = 0 by parametric resampling under the null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeterogeneityTestResult {
    /// Always `tau2`: the estimator's tau^2 is the statistic.
    pub statistic: String,
    pub observed: f64,
    pub pval: f64,
    pub iterations: u64,
    pub seed: u64,
    pub failed: u64,
}

/// A bootstrap of the pooled estimate and the heterogeneity statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BootstrapResult {
    pub replicates: u64,
    pub seed: u64,
    #[serde(rename = "type")]
    pub kind: String,
    pub level: f64,
    pub failed: u64,
    pub estimate: BootStatResult,
    pub tau2: BootStatResult,
    pub i2: BootStatResult,
    pub h2: BootStatResult,
    /// With `--mods`: the bootstrap of every coefficient, intercept first
    /// (`estimate` is then the intercept's; `tau2`, `i2`, `h2` are residual).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coefficients: Option<Vec<BootCoefficientResult>>,
}

/// The bootstrap distribution of one meta-regression coefficient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BootCoefficientResult {
    /// The coefficient's name, as in `coefficients` (`intrcpt`, a moderator).
    pub name: String,
    #[serde(flatten)]
    pub stat: BootStatResult,
}

/// The bootstrap distribution of one statistic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BootStatResult {
    pub observed: f64,
    pub replicates: u64,
    pub mean: f64,
    pub bias: f64,
    pub se: f64,
    pub mcse_mean: f64,
    pub percentile: BootIntervalResult,
    pub bca: Option<BootIntervalResult>,
}

/// A bootstrap interval and the Monte Carlo SE of its bounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BootIntervalResult {
    pub lower: f64,
    pub upper: f64,
    pub mcse_lower: f64,
    pub mcse_upper: f64,
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
