//! The optional sections of a result and their row types: meta-regression,
//! subgroups, resampling, sensitivity (leave-one-out, influence, cumulative)
//! and what only the GLMM has.

use rema_core::{Fit, PooledSummary, StudyInfluence};
use serde::{Deserialize, Serialize};

use super::summary::{Summary, Transformed};

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

impl CoefficientResult {
    /// The coefficient `c` of a fit named `name`, its statistic a t when
    /// `t` (the Knapp–Hartung tests `knha` and `adhoc`) and a z otherwise.
    pub fn new(name: String, c: &rema_core::Coefficient, t: bool) -> CoefficientResult {
        CoefficientResult {
            name,
            estimate: c.estimate,
            se: c.se,
            zval: (!t).then_some(c.stat),
            tval: t.then_some(c.stat),
            pval: c.pval,
            ci_lower: c.ci_lower,
            ci_upper: c.ci_upper,
            pval_perm: None,
        }
    }

    /// The coefficients of `fit`, named by `names` (intercept first), with
    /// the z or t statistic of the fit's test.
    pub fn of_fit(names: &[String], fit: &Fit) -> Vec<CoefficientResult> {
        names
            .iter()
            .zip(&fit.coefficients)
            .map(|(name, c)| CoefficientResult::new(name.clone(), c, fit.options.test.uses_t()))
            .collect()
    }
}

/// The fit within one subgroup level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubgroupResult {
    /// The level of the subgroup column.
    pub level: String,
    /// The fit within the level.
    #[serde(flatten)]
    pub summary: Summary,
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
    /// The statistic compared per coefficient: `test` (z or t, metafor's
    /// default) or `coef` (the coefficient itself).
    #[serde(default = "test_stat")]
    pub stat: String,
    /// Permutation test of the subgroup difference (with `--by`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q_between: Option<StatisticTestResult>,
    /// Confidence intervals by inverting the test (with `permci`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<PermutationCiResult>,
}

fn test_stat() -> String {
    "test".to_string()
}

/// Confidence intervals of the coefficients by inverting the permutation
/// test (metafor `permutest(permci = TRUE)`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PermutationCiResult {
    /// The confidence level in percent (the model's).
    pub level: f64,
    /// Permutation tests run over all the root searches.
    pub evaluations: u64,
    /// One interval per coefficient, intercept first.
    pub coefficients: Vec<PermutationCiRow>,
}

/// The permutation confidence interval of one coefficient; a bound is null
/// where none was found (metafor's `NA`; the notes say why).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PermutationCiRow {
    /// The coefficient's name, as in `coefficients` (`intrcpt`, a moderator).
    pub name: String,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
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

/// The test of tau^2 = 0 by parametric resampling under the null (with
/// `tau2_test`).
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

/// The fit without one study (metafor `leave1out`). Numbers are null where
/// the fit failed, and `error` says why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeaveOneOutRow {
    /// The omitted study.
    pub omitted: String,
    pub line: Option<u64>,
    #[serde(flatten)]
    pub fit: SummaryFields,
}

/// The pooled estimate and heterogeneity of a fit to a subset of the studies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SummaryFields {
    pub k: usize,
    pub estimate: f64,
    pub se: f64,
    /// z or t statistic.
    pub stat: f64,
    pub pval: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub tau2: f64,
    pub i2: f64,
    pub h2: f64,
    pub q: f64,
    pub q_pval: f64,
    /// With moderators: the refit's coefficients, intercept first (the
    /// estimate above is then the intercept's; tau2, i2, h2 and q are
    /// residual). Absent when the refit failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coefficients: Option<Vec<CoefficientResult>>,
    /// With moderators: the refit's omnibus test of the moderators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qm: Option<f64>,
    /// The p-value of `qm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qm_pval: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl SummaryFields {
    /// The fields of a meta-regression refitted to `k` studies (the
    /// coefficients named by `names`, intercept first), or NaN and the error
    /// when the refit failed.
    pub fn of_moderated(
        k: usize,
        r: &std::result::Result<Fit, rema_core::Error>,
        names: &[String],
    ) -> SummaryFields {
        match r {
            Ok(f) => SummaryFields {
                coefficients: Some(CoefficientResult::of_fit(names, f)),
                qm: Some(f.qm),
                qm_pval: Some(f.qm_pval),
                ..SummaryFields::from(k, &Ok(PooledSummary::from_fit(f)))
            },
            Err(e) => SummaryFields::from(k, &Err(e.clone())),
        }
    }

    /// The fields of a fit to `k` studies, or NaN and the error when it failed.
    pub fn from(
        k: usize,
        r: &std::result::Result<PooledSummary, rema_core::Error>,
    ) -> SummaryFields {
        match r {
            Ok(s) => SummaryFields {
                k: s.k,
                estimate: s.estimate,
                se: s.se,
                stat: s.stat,
                pval: s.pval,
                ci_lower: s.ci_lower,
                ci_upper: s.ci_upper,
                tau2: s.tau2,
                i2: s.i2,
                h2: s.h2,
                q: s.q,
                q_pval: s.q_pval,
                coefficients: None,
                qm: None,
                qm_pval: None,
                error: None,
            },
            Err(e) => SummaryFields {
                k,
                estimate: f64::NAN,
                se: f64::NAN,
                stat: f64::NAN,
                pval: f64::NAN,
                ci_lower: f64::NAN,
                ci_upper: f64::NAN,
                tau2: f64::NAN,
                i2: f64::NAN,
                h2: f64::NAN,
                q: f64::NAN,
                q_pval: f64::NAN,
                coefficients: None,
                qm: None,
                qm_pval: None,
                error: Some(e.to_string()),
            },
        }
    }
}

/// One step of a cumulative meta-analysis (metafor `cumul`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CumulativeRow {
    /// The study added at this step.
    pub added: String,
    pub line: Option<u64>,
    /// Its value of the `--order` column, as written in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_value: Option<String>,
    #[serde(flatten)]
    pub fit: SummaryFields,
}

/// metafor `influence()` for one study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InfluenceRow {
    pub study: String,
    pub line: Option<u64>,
    pub rstudent: f64,
    pub dffits: f64,
    pub cook_d: f64,
    pub cov_r: f64,
    pub tau2_del: f64,
    pub qe_del: f64,
    pub hat: f64,
    /// Weight in percent.
    pub weight: f64,
    /// DFBETAS of the intercept.
    pub dfbetas: f64,
    /// With moderators: the DFBETAS of every coefficient, in the order of
    /// the result's `coefficients` (the first is `dfbetas`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dfbetas_all: Option<Vec<f64>>,
    /// metafor's rule: |dffits| > 3√(p/(k−p)), or the χ²(1) cdf of cook_d > 0.5,
    /// or hat > 3p/k, or |dfbetas| > 1.
    pub influential: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What only the GLMM reports (metafor `rma.glmm`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GlmmDetails {
    /// Gauss–Hermite points of the adaptive quadrature (metafor `nAGQ`).
    pub n_agq: usize,
    /// Wald and likelihood-ratio tests of heterogeneity (QE.Wld, QE.LRT).
    pub qe_wald: Option<f64>,
    pub qe_wald_pval: Option<f64>,
    pub qe_lrt: Option<f64>,
    pub qe_lrt_pval: Option<f64>,
    pub qe_df: usize,
    /// The maximised log-likelihood (with the binomial constants).
    pub loglik: f64,
    /// Newton iterations.
    pub iterations: usize,
}

/// What only a pooling of 2×2 tables reports (methods MH and PETO, metafor
/// `rma.mh` and `rma.peto`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PoolingResult {
    /// `fixed`, or `random` (RevMan 5's "M-H, Random").
    pub model: String,
    /// The method as RevMan labels it: "M-H, Fixed, 95% CI", ...
    pub label: String,
    /// The fixed-effect (Mantel–Haenszel) fit on the analysis scale, with
    /// its z test, CI and Q, when the summary is the random-effects one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<SummaryFields>,
    /// The number of tables in Q (double-zero tables left out).
    pub k_q: usize,
    /// The number of tables with events and non-events (metafor
    /// `rma.peto`'s `k.pos`).
    pub k_pos: usize,
    /// The studies with no events, or only events, in both groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub double_zero: Vec<String>,
    /// The Cochran–Mantel–Haenszel test of OR = 1 (metafor `MH`), with the
    /// continuity correction (`correct = TRUE`); MH odds ratios only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmh: Option<ChiSquare>,
    /// Cochran's form of it (metafor `CO`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cochran: Option<ChiSquare>,
    /// The Breslow–Day test of homogeneity of the odds ratios (metafor `BD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breslow_day: Option<ChiSquare>,
    /// Tarone's corrected Breslow–Day test (metafor `TA`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tarone: Option<ChiSquare>,
    /// With `by`: I² of the test for subgroup differences (the result's
    /// `q_between`), RevMan's max(0, (Q − df)/Q) in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub i2_between: Option<f64>,
}

/// A χ² test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChiSquare {
    pub statistic: f64,
    pub df: f64,
    pub pval: f64,
}

impl InfluenceRow {
    /// metafor `influence()` of the study labelled `study` (DFBETAS of the
    /// intercept, and of every coefficient with moderators).
    pub fn new(study: String, line: Option<u64>, r: &StudyInfluence) -> InfluenceRow {
        InfluenceRow {
            study,
            line,
            rstudent: r.rstudent,
            dffits: r.dffits,
            cook_d: r.cook_d,
            cov_r: r.cov_r,
            tau2_del: r.tau2_del,
            qe_del: r.qe_del,
            hat: r.hat,
            weight: r.weight,
            dfbetas: r.dfbetas.first().copied().unwrap_or(f64::NAN),
            dfbetas_all: (r.dfbetas.len() > 1).then(|| r.dfbetas.clone()),
            influential: r.influential,
            error: r.error.as_ref().map(|e| e.to_string()),
        }
    }
}

/// The summary's fields read as the subgroup's own, as in the JSON.
impl std::ops::Deref for SubgroupResult {
    type Target = Summary;
    fn deref(&self) -> &Summary {
        &self.summary
    }
}

/// What the likelihood and the fitted model add to an rma.uni analysis
/// (metafor `fitstats`, `se.tau2`, `confint(type = "PL")`, `vcov`,
/// `predict(newmods)`, `fitted`, `rstandard`, `blup`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelResult {
    /// The fit statistics: REML for REML fits, ML for every other method;
    /// absent when undefined (REML with k <= p).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fit_stats: Option<FitStatsResult>,
    /// For method FE, the REML column of metafor's `fit.stats` as well
    /// (what `rema compare` needs to test an FE model against a REML one,
    /// as metafor's `anova`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fit_stats_reml: Option<FitStatsResult>,
    /// The standard error of tau^2 (metafor `se.tau2`); absent for FE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub se_tau2: Option<f64>,
    /// The profile-likelihood CI of tau^2, I^2 and H^2 (metafor
    /// `confint(res, type = "PL")`); absent for FE and when k <= p.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau2_pl: Option<ProfileCiResult>,
    /// Var(beta), p x p, rows and columns in the order of the coefficients
    /// (metafor `vcov(res)`).
    pub vcov: Vec<Vec<f64>>,
    /// Predictions at `newmods` (metafor `predict(res, newmods = ...)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newmods: Option<Vec<NewmodsPrediction>>,
    /// Per study: fitted value, standardised residual, BLUP.
    pub studies: Vec<StudyFitRow>,
}

/// metafor `fitstats(res)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FitStatsResult {
    /// `ML` or `REML`: which likelihood.
    pub likelihood: String,
    pub log_lik: f64,
    pub deviance: f64,
    pub aic: f64,
    pub bic: f64,
    pub aicc: f64,
    /// Parameters counted: p, plus 1 for tau^2 unless the model is FE.
    pub parameters: usize,
}

/// A profile-likelihood interval of tau^2 and the I^2 and H^2 bounds
/// mapped from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileCiResult {
    pub tau2_lower: f64,
    pub tau2_upper: f64,
    pub i2_lower: f64,
    pub i2_upper: f64,
    pub h2_lower: f64,
    pub h2_upper: f64,
}

/// The prediction at one set of new moderator values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewmodsPrediction {
    /// The values given, by column (`ablat=10`).
    pub at: String,
    /// The row of the model matrix they make, intercept first.
    pub x: Vec<f64>,
    pub pred: f64,
    pub se: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub pi_lower: f64,
    pub pi_upper: f64,
}

/// One study's fitted value, standardised residual (metafor `rstandard`)
/// and BLUP of its true effect (metafor `blup`), on the analysis scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StudyFitRow {
    pub study: String,
    pub line: Option<u64>,
    /// x_i'beta (metafor `fitted`).
    pub fitted: f64,
    /// y_i - x_i'beta.
    pub resid: f64,
    /// Absent when 0 (a study that determines its own fitted value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resid_se: Option<f64>,
    /// The standardised residual; absent with `resid_se`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resid_z: Option<f64>,
    /// The BLUP of the true effect.
    pub blup: f64,
    pub blup_se: f64,
    pub blup_pi_lower: f64,
    pub blup_pi_upper: f64,
}
