//! The summary of a fit, shared by the whole analysis and each subgroup, the
//! back-transformed summary and the per-study effects.

use rema_core::transform::back_transform;
use rema_core::{BackTransform, Fit, Measure, PiDist};
use serde::{Deserialize, Serialize};

/// The pooled estimate, its test and interval, and heterogeneity: the fields
/// an analysis shares with the fit within a subgroup (flattened into both).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    /// Number of studies.
    pub k: usize,
    /// The pooled estimate (the intercept of a meta-regression).
    pub estimate: f64,
    /// Its standard error.
    pub se: f64,
    /// z or t statistic of the estimate.
    pub stat: f64,
    /// Degrees of freedom of the t test (Knapp-Hartung); null for z.
    pub df: Option<f64>,
    /// Confidence interval of the estimate.
    pub ci_lower: f64,
    /// Upper bound of the confidence interval.
    pub ci_upper: f64,
    /// p-value of the estimate.
    pub pval: f64,
    /// The between-study variance.
    pub tau2: f64,
    /// Its square root.
    pub tau: f64,
    /// I^2 in percent.
    pub i2: f64,
    /// H^2.
    pub h2: f64,
    /// Cochran's Q (residual Q with moderators).
    pub q: f64,
    /// Degrees of freedom of Q.
    pub q_df: f64,
    /// p-value of Q.
    pub q_pval: f64,
    /// Prediction interval.
    pub pi_lower: f64,
    /// Upper bound of the prediction interval.
    pub pi_upper: f64,
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
    /// Weight in percent; null (NaN) where the model has no study weights
    /// (multilevel, GLMM), read back as NaN.
    #[serde(deserialize_with = "null_as_nan")]
    pub weight: f64,
    /// True when a continuity correction was added to this study.
    #[serde(default)]
    pub corrected: bool,
}

impl Summary {
    /// The summary of an rma.uni fit (the intercept's row with moderators).
    pub fn of_fit(f: &Fit) -> Summary {
        Summary::of_fit_with(f, PiDist::Test)
    }

    /// [`Summary::of_fit`] with the prediction interval's distribution
    /// `pi_dist` (`PiDist::T`: t(k − p) quantiles whatever the test).
    pub fn of_fit_with(f: &Fit, pi_dist: PiDist) -> Summary {
        let e = f.estimate();
        let pred = f.prediction_with(pi_dist);
        Summary {
            k: f.k,
            estimate: e.estimate,
            se: e.se,
            stat: e.stat,
            df: f.df,
            ci_lower: e.ci_lower,
            ci_upper: e.ci_upper,
            pval: e.pval,
            tau2: f.tau2,
            tau: f.tau2.sqrt(),
            i2: f.i2,
            h2: f.h2,
            q: f.q,
            q_df: f.q_df,
            q_pval: f.q_pval,
            pi_lower: pred.pi_lower,
            pi_upper: pred.pi_upper,
        }
    }
}

impl Transformed {
    /// The estimate, CI and PI of `s` on the reporting scale of `measure`
    /// (`ni`: the sample sizes, for the Freeman-Tukey back-transformation);
    /// `None` for measures reported on the analysis scale.
    pub fn new(measure: Measure, ni: Option<&[f64]>, s: &Summary) -> Option<Transformed> {
        let kind = measure.back_transform();
        (kind != BackTransform::Identity || measure.is_proportion()).then(|| {
            let scale = if measure.is_proportion() { 100.0 } else { 1.0 };
            let t = |x: f64| scale * back_transform(kind, x, ni);
            Transformed {
                scale: if measure.is_proportion() {
                    "proportion (%)".to_string()
                } else {
                    measure.name().to_string()
                },
                estimate: t(s.estimate),
                ci_lower: t(s.ci_lower),
                ci_upper: t(s.ci_upper),
                pi_lower: t(s.pi_lower),
                pi_upper: t(s.pi_upper),
            }
        })
    }
}

/// A number written as null (serde_json writes NaN so) read back as NaN,
/// so that a saved result reads back (`rema compare`).
fn null_as_nan<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(<Option<f64> as serde::Deserialize>::deserialize(d)?.unwrap_or(f64::NAN))
}
