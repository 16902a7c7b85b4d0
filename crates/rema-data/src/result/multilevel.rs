//! The parts of a result that only a multilevel model (`random_terms`,
//! metafor `rma.mv`) or the cluster-robust tests (`robust`) have.

use serde::{Deserialize, Serialize};

/// What only a multilevel model reports (metafor `rma.mv`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MultilevelResult {
    /// One variance component per random term, in order.
    pub components: Vec<ComponentResult>,
    /// The (restricted) log-likelihood (metafor `logLik`).
    pub loglik: f64,
    /// The deviance: −2ℓ for REML, −2(ℓ − ℓ_saturated) for ML.
    pub deviance: f64,
    pub aic: f64,
    pub bic: f64,
    pub aicc: f64,
    /// The typical sampling variance of the multilevel I².
    pub vt: f64,
    /// The number of independent blocks of the marginal covariance.
    pub blocks: usize,
    /// Fisher-scoring iterations.
    pub iterations: usize,
    /// How the sampling covariance was built: `diagonal` (the vi), or
    /// `cluster` with `rho`.
    pub sampling_covariance: String,
    /// The BLUPs of each level of each random term (metafor `ranef`).
    pub ranef: Vec<BlupRow>,
    /// Fitted values and standardised residuals (metafor `fitted`,
    /// `rstandard`), one per effect in the order of `studies`.
    pub residuals: Vec<ResidualRow>,
    /// Predictions at `newmods` (metafor `predict.rma.mv(res, newmods =)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newmods: Option<Vec<super::NewmodsPrediction>>,
    /// The `~ inner | outer` term with its variance structure (metafor
    /// `struct`, `tau2`, `rho`), when `random_terms` has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structure: Option<StructureResult>,
}

/// A structured random term `~ inner | outer` (metafor `rma.mv` with
/// `struct`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StructureResult {
    /// `CS`, `HCS`, `UN`, `DIAG` or `ID`.
    #[serde(rename = "struct")]
    pub var_struct: String,
    /// The inner factor (metafor `g.names[1]`).
    pub inner: String,
    /// The outer factor (metafor `g.names[2]`).
    pub outer: String,
    /// The numbers of inner and outer levels (metafor `g.nlevels`).
    pub n_inner: usize,
    pub n_outer: usize,
    /// The τ² values (one for CS and ID, else one per inner level, sorted
    /// as R's factor()).
    pub tau2: Vec<StructTau2Row>,
    /// The ρ values (one for CS and HCS, one per pair of levels for UN).
    pub rho: Vec<StructRhoRow>,
}

/// One τ² of a structured term.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StructTau2Row {
    /// The inner level (absent for CS and ID: one τ² for all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    pub tau2: f64,
    pub tau: f64,
    /// The number of effects at the level (metafor `g.levels.k`).
    pub k: usize,
    /// 100·τ²/(Σσ² + τ² + ṽ), in percent.
    pub i2: f64,
    /// Profile-likelihood CI (with `tau2_ci`; metafor `confint`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_lower: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_upper: Option<f64>,
}

/// One ρ of a structured term.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StructRhoRow {
    /// The two inner levels (UN; absent for CS and HCS: one ρ for all pairs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<Vec<String>>,
    pub rho: f64,
    /// Fixed at 0: the two levels never occur within one outer level.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fixed: bool,
    /// Profile-likelihood CI (with `tau2_ci`; metafor `confint`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_lower: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_upper: Option<f64>,
}

/// One variance component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComponentResult {
    /// The grouping factor (`district`, `district/school`).
    pub factor: String,
    /// The estimate (metafor `sigma2`).
    pub sigma2: f64,
    /// Its square root.
    pub sigma: f64,
    /// The number of levels (metafor `s.nlevels`).
    pub n_levels: usize,
    /// The multilevel I² of this level, in percent.
    pub i2: f64,
    /// Profile-likelihood CI (with `tau2_ci`; metafor `confint`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_lower: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_upper: Option<f64>,
}

/// One BLUP of a random effect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlupRow {
    pub factor: String,
    pub level: String,
    pub pred: f64,
    pub se: f64,
    pub pi_lower: f64,
    pub pi_upper: f64,
}

/// One effect's fitted value and standardised residual.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResidualRow {
    pub study: String,
    pub fitted: f64,
    pub resid: f64,
    pub se: f64,
    pub z: f64,
}

/// Cluster-robust tests of the coefficients (`robust`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RobustResult {
    /// `CR1` or `CR2`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The column of the clusters.
    pub cluster: String,
    /// The number of clusters.
    pub n_clusters: usize,
    /// The coefficients with robust SEs, t tests and CIs.
    pub coefficients: Vec<RobustCoefficientResult>,
    /// The omnibus F test of the moderators (of the intercept without them).
    pub qm: f64,
    pub qm_df1: f64,
    pub qm_df2: f64,
    pub qm_pval: f64,
    /// The cluster wild bootstrap tests (`wild_bootstrap`): the omnibus
    /// test of the moderators first, then each coefficient's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wild_bootstrap: Option<Vec<WildBootstrapResult>>,
}

/// One cluster wild bootstrap test (Joshi, Pustejovsky & Beretvas 2022;
/// wildmeta `Wald_test_cwb`, Rademacher weights, naive F).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WildBootstrapResult {
    /// `moderators` (the omnibus test) or a coefficient's name.
    pub hypothesis: String,
    /// The coefficients set to 0 by the null model.
    pub coefficients: Vec<String>,
    /// The naive F statistic of the data (Q/q with the `type` covariance).
    pub stat: f64,
    /// The share of replicates with a larger F.
    pub pval: f64,
    /// The Monte Carlo SE of `pval`, sqrt(p(1 - p)/R).
    pub mcse_pval: f64,
    pub iterations: usize,
    pub seed: u64,
    /// Replicates whose refit did not converge.
    pub not_converged: usize,
}

/// One coefficient's cluster-robust test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RobustCoefficientResult {
    pub name: String,
    pub estimate: f64,
    pub se: f64,
    pub tval: f64,
    pub df: f64,
    pub pval: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
}

impl RobustResult {
    /// The result part of `r`, the tests by the clusters of `cluster`, the
    /// coefficients named `names`.
    pub fn new(r: &rema_core::robust::RobustFit, cluster: &str, names: &[String]) -> RobustResult {
        RobustResult {
            kind: r.kind.name().to_string(),
            cluster: cluster.to_string(),
            n_clusters: r.n_clusters,
            coefficients: names
                .iter()
                .zip(&r.coefficients)
                .map(|(name, c)| RobustCoefficientResult {
                    name: name.clone(),
                    estimate: c.estimate,
                    se: c.se,
                    tval: c.stat,
                    df: c.df,
                    pval: c.pval,
                    ci_lower: c.ci_lower,
                    ci_upper: c.ci_upper,
                })
                .collect(),
            qm: r.qm,
            qm_df1: r.qm_df.0,
            qm_df2: r.qm_df.1,
            wild_bootstrap: None,
            qm_pval: r.qm_pval,
        }
    }
}
