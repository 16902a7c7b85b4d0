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

/// Confidence intervals for τ², I² and H² (metafor `confint(res)$random`).
///
/// Produced by [`q_profile`] (see its example).
#[derive(Debug, Clone, PartialEq)]
pub struct HeterogeneityCi {
    /// Lower bound for τ², on the squared analysis scale (row `tau^2`, `ci.lb`).
    pub tau2_lower: f64,
    /// Upper bound for τ² (row `tau^2`, `ci.ub`).
    pub tau2_upper: f64,
    /// Lower bound for I², in percent (row `I^2(%)`).
    pub i2_lower: f64,
    /// Upper bound for I², in percent.
    pub i2_upper: f64,
    /// Lower bound for H² (row `H^2`).
    pub h2_lower: f64,
    /// Upper bound for H².
    pub h2_upper: f64,
    /// Bounds set to 0 or not found, in words (metafor's warnings).
    pub notes: Vec<String>,
}

/// The Q-profile interval for the model `fit` of effects `yi`, variances `vi`
/// and design `x`, at the fit's confidence level.
///
/// ```
/// use rema_core::{fit, q_profile, Design, FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// // dat.bcg, log risk ratios; metafor 3.8-1: confint(rma(yi, vi), control = list(tol = 1e-12))
/// // (metafor's default root-finding tolerance, 1.2e-4, moves the lower bound to 0.1196953).
/// let f = fit(&yi, &vi, &FitOptions::new(Method::Reml))?;
/// let ci = q_profile(&yi, &vi, &Design::intercept(13), &f)?;
/// let close = |a: f64, b: f64| ((a - b) / b).abs() < 1e-8;
/// assert!(close(ci.tau2_lower, 0.119718361141) && close(ci.tau2_upper, 1.11147908406));
/// assert!(close(ci.i2_lower, 81.920574558583) && close(ci.i2_upper, 97.67807495789));
/// assert!(close(ci.h2_lower, 5.531149223964) && close(ci.h2_upper, 43.06771243098));
/// # Ok(())
/// # }
/// ```
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
