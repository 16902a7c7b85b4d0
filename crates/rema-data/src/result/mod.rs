//! The result of one analysis: the JSON schema of `rema analyze --format json`
//! and of the server's `result` (documented in docs/SCHEMA.md).
//!
//! - `summary.rs`: [`Summary`] (the fields a fit shares with a subgroup's
//!   fit), [`Transformed`], [`StudyEffect`];
//! - `sections.rs`: every optional section and row type;
//! - `multilevel.rs`: the multilevel model's and the robust tests' parts;
//! - `provenance.rs`: [`Provenance`].

mod multilevel;
mod provenance;
mod sections;
mod summary;

use serde::{Deserialize, Serialize};

use crate::convert::Conversion;

pub use multilevel::{
    BlupRow, ComponentResult, MultilevelResult, ResidualRow, RobustCoefficientResult, RobustResult,
    StructRhoRow, StructTau2Row, StructureResult, WildBootstrapResult,
};
pub use provenance::Provenance;
pub use sections::{
    BootCoefficientResult, BootIntervalResult, BootStatResult, BootstrapResult, ChiSquare,
    CoefficientResult, CumulativeRow, FitStatsResult, GlmmDetails, HeterogeneityTestResult,
    InfluenceRow, LeaveOneOutRow, ModelResult, NewmodsPrediction, PermutationCiResult,
    PermutationCiRow, PermutationResult, PoolingResult, ProfileCiResult, StatisticTestResult,
    StudyFitRow, SubgroupResult, SummaryFields,
};
pub use summary::{StudyEffect, Summary, Transformed};

/// One analysis, on the analysis scale (log RR, logit, ...), with the
/// back-transformed summary, per-study effects, notes and provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnalysisResult {
    /// The measure (metafor's name).
    pub measure: String,
    /// The method (`REML`, ..., `GLMM`, `MH`, `PETO`).
    pub method: String,
    /// The test (`z`, `knha`).
    pub test: String,
    /// The confidence level in percent.
    pub level: f64,
    /// The pooled estimate, its test and interval, and heterogeneity.
    #[serde(flatten)]
    pub summary: Summary,
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
    /// The Monte Carlo test of tau^2 = 0 (`--tau2-test`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau2_test: Option<HeterogeneityTestResult>,
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
    /// `--method MH` or `PETO`: the model, RevMan's label and the tests only
    /// a pooling of 2×2 tables has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pooling: Option<PoolingResult>,
    /// rma.uni methods: fit statistics, SE and profile-likelihood CI of
    /// tau^2, vcov, `newmods` predictions, fitted values, rstandard, BLUPs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelResult>,
    /// `random_terms`: what only the multilevel model has (metafor `rma.mv`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multilevel: Option<MultilevelResult>,
    /// `robust`: cluster-robust tests of the coefficients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub robust: Option<RobustResult>,
}

/// The summary's fields read as the result's own (`r.estimate`, `r.tau2`), as
/// they are in the JSON, where [`Summary`] is flattened.
impl std::ops::Deref for AnalysisResult {
    type Target = Summary;
    fn deref(&self) -> &Summary {
        &self.summary
    }
}

impl std::ops::DerefMut for AnalysisResult {
    fn deref_mut(&mut self) -> &mut Summary {
        &mut self.summary
    }
}
