//! Profile-likelihood confidence intervals of the variance components
//! (metafor 3.8-1 `confint.rma.mv`): the bounds of σ²ₜ are where
//! 2(ℓ̂ − ℓₚ(σ²ₜ)) = χ²₁(level), ℓₚ maximising over the other components
//! (Hardy & Thompson 1996), found by Brent's method; a lower bound is 0
//! when the profile at 0 stays inside.

use crate::dist;
use crate::error::Result;

use super::MvFit;

/// The profile-likelihood interval of one variance component.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentCi {
    /// The estimate σ̂².
    pub estimate: f64,
    /// The lower bound (`None` when it could not be found, with a note).
    pub lower: Option<f64>,
    /// The upper bound (`None` when it could not be found, with a note).
    pub upper: Option<f64>,
    /// Why a bound is missing, or that it is at 0.
    pub notes: Vec<String>,
}

pub(super) fn interval(fit: &MvFit, t: usize) -> Result<ComponentCi> {
    let est = fit.sigma2(t);
    let ll = fit.loglik();
    let crit = dist::chisq_quantile(fit.options.level / 100.0, 1.0);
    let name = fit.components[t].factor.clone();
    // Positive outside the interval, negative inside.
    let f = |s: f64| match fit.profile_ll(t, s) {
        Some(lp) => 2.0 * (ll - lp) - crit,
        None => f64::NAN,
    };
    let mut notes = Vec::new();
    let lower = if est == 0.0 || f(0.0) <= 0.0 {
        notes.push(format!(
            "the lower bound of the variance component of `{name}` is 0: the profile likelihood at 0 lies inside the interval"
        ));
        Some(0.0)
    } else {
        let b = crate::roots::brent(f, 0.0, est);
        if b.is_none() {
            notes.push(format!(
                "the lower bound of the variance component of `{name}` could not be found"
            ));
        }
        b
    };
    let mut hi = est.max(1e-4) * 2.0;
    let mut found = false;
    for _ in 0..60 {
        let v = f(hi);
        if v.is_nan() {
            break;
        }
        if v > 0.0 {
            found = true;
            break;
        }
        hi *= 2.0;
    }
    let upper = if found {
        crate::roots::brent(f, est, hi)
    } else {
        None
    };
    if upper.is_none() {
        notes.push(format!(
            "the upper bound of the variance component of `{name}` could not be found: the profile likelihood stays inside the interval"
        ));
    }
    Ok(ComponentCi {
        estimate: est,
        lower,
        upper,
        notes,
    })
}
