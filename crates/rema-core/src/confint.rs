//! Q-profile confidence interval for τ², and the I² and H² intervals derived
//! from it (Viechtbauer 2007), as metafor 3.8 `confint.rma.uni(type = "QP")`.
//!
//! The bounds solve Q(τ²) = χ²_{k−p; 1−α/2} (lower) and Q(τ²) = χ²_{k−p; α/2}
//! (upper), Q the generalised Q statistic; a bound is 0 when Q(0) is already
//! below its quantile. I² and H² bounds map each τ² bound through
//! I² = 100τ²/(ṽ + τ²), H² = τ²/ṽ + 1.

use crate::error::{Error, Result};
use crate::fit::Fit;
use crate::linalg::Design;
use crate::tau2::paule_mandel_solve;
use crate::tau2::Problem;

/// Confidence intervals for τ², I² and H².
#[derive(Debug, Clone, PartialEq)]
pub struct HeterogeneityCi {
    pub tau2_lower: f64,
    pub tau2_upper: f64,
    pub i2_lower: f64,
    pub i2_upper: f64,
    pub h2_lower: f64,
    pub h2_upper: f64,
    pub notes: Vec<String>,
}

/// The Q-profile interval for the model `fit` of effects `yi`, variances `vi`
/// and design `x`, at the fit's confidence level.
pub fn q_profile(yi: &[f64], vi: &[f64], x: &Design, fit: &Fit) -> Result<HeterogeneityCi> {
    let k = yi.len();
    let p = x.cols();
    if k <= p {
        return Err(Error::TooFewStudies {
            k,
            needed: p + 1,
            what: "a confidence interval for tau^2",
        });
    }
    let df = (k - p) as f64;
    let alpha = 1.0 - fit.options.level / 100.0;
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(Error::InvalidOption {
            option: "level",
            message: format!("{} must lie strictly between 0 and 100", fit.options.level),
        });
    }
    let crit_upper = crate::dist::chisq_quantile(1.0 - alpha / 2.0, df);
    let crit_lower = crate::dist::chisq_quantile(alpha / 2.0, df);
    let pr = Problem { y: yi, v: vi, x };
    let mut notes = Vec::new();
    // metafor searches [0, max(100, 10·τ̂²)] and reports the limit when a
    // root lies beyond it; rema does the same, and names the exact root.
    let limit = (10.0 * fit.tau2).max(100.0);
    let mut bound = |target: f64, which: &str| -> Result<f64> {
        let root = paule_mandel_solve(&pr, target, "Q-profile")?.unwrap_or(0.0);
        if root > limit {
            notes.push(format!(
                "the {which} Q-profile bound of tau^2 lies beyond the search limit {limit} and is reported as {limit}, as metafor does; the exact root is {root:.6}"
            ));
            Ok(limit)
        } else {
            Ok(root)
        }
    };
    let lower = bound(crit_upper, "lower")?;
    let upper = bound(crit_lower, "upper")?;
    if upper == 0.0 {
        notes.push(
            "the Q-profile interval for tau^2 is {0}: Q(0) is below both quantiles".to_string(),
        );
    } else if lower == 0.0 {
        notes.push("the lower Q-profile bound of tau^2 is truncated at 0".to_string());
    }
    let vt = fit.vt;
    let i2 = |t: f64| 100.0 * t / (vt + t);
    let h2 = |t: f64| t / vt + 1.0;
    Ok(HeterogeneityCi {
        tau2_lower: lower,
        tau2_upper: upper,
        i2_lower: i2(lower),
        i2_upper: i2(upper),
        h2_lower: h2(lower),
        h2_upper: h2(upper),
        notes,
    })
}
