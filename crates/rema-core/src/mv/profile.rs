//! Profile-likelihood confidence intervals of the variance components
//! (metafor 3.8-1 `confint.rma.mv`): the bounds of σ²ₜ are where
//! 2(ℓ̂ − ℓₚ(σ²ₜ)) = χ²₁(level), ℓₚ maximising over the other components
//! (Hardy & Thompson 1996), found by Brent's method; a lower bound is 0
//! when the profile at 0 stays inside. The τ² and ρ of a structured term
//! are profiled the same way within [0, ∞) and [−1, 1]; a bound of ρ is ±1
//! when the profile there stays inside (metafor prints the end of its
//! search range, ±1, then).

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
    let label = format!("variance component of `{}`", fit.components[t].factor);
    interval_of(fit, t, (0.0, f64::INFINITY), &label)
}

/// The interval of parameter `t` (σ², τ² or ρ) within its bounds: a bound
/// of the interval is the parameter's bound when the profile there stays
/// inside (metafor reports the end of its search range then).
pub(super) fn interval_of(
    fit: &MvFit,
    t: usize,
    (lo, hi): (f64, f64),
    label: &str,
) -> Result<ComponentCi> {
    let est = fit.sigma2(t);
    let ll = fit.loglik();
    let crit = dist::chisq_quantile(fit.options.level / 100.0, 1.0);
    // Positive outside the interval, negative inside.
    let f = |s: f64| match fit.profile_ll(t, s) {
        Some(lp) => 2.0 * (ll - lp) - crit,
        None => f64::NAN,
    };
    let mut notes = Vec::new();
    // A bound where the model is not defined (a CS ρ of −1 with three
    // levels makes M indefinite): the interval's search starts at the last
    // admissible value towards it.
    let edge = |bound: f64| -> f64 {
        if !f(bound).is_nan() {
            return bound;
        }
        let (mut bad, mut good) = (bound, est);
        for _ in 0..60 {
            let mid = 0.5 * (bad + good);
            if f(mid).is_nan() {
                bad = mid;
            } else {
                good = mid;
            }
        }
        good
    };
    let lo = if lo < 0.0 { edge(lo) } else { lo };
    let hi = if hi.is_finite() { edge(hi) } else { hi };
    let lower = if est == lo || f(lo) <= 0.0 {
        notes.push(format!(
            "the lower bound of the {label} is {lo}: the profile likelihood at {lo} lies inside the interval"
        ));
        Some(lo)
    } else {
        let b = crate::roots::brent(f, lo, est);
        if b.is_none() {
            notes.push(format!("the lower bound of the {label} could not be found"));
        }
        b
    };
    let upper = if hi.is_finite() {
        if est == hi || f(hi) <= 0.0 {
            notes.push(format!(
                "the upper bound of the {label} is {hi}: the profile likelihood at {hi} lies inside the interval"
            ));
            Some(hi)
        } else {
            let b = crate::roots::brent(f, est, hi);
            if b.is_none() {
                notes.push(format!("the upper bound of the {label} could not be found"));
            }
            b
        }
    } else {
        let mut top = est.max(1e-4) * 2.0;
        let mut found = false;
        for _ in 0..60 {
            let v = f(top);
            if v.is_nan() {
                break;
            }
            if v > 0.0 {
                found = true;
                break;
            }
            top *= 2.0;
        }
        let b = if found {
            crate::roots::brent(f, est, top)
        } else {
            None
        };
        if b.is_none() {
            notes.push(format!(
                "the upper bound of the {label} could not be found: the profile likelihood stays inside the interval"
            ));
        }
        b
    };
    Ok(ComponentCi {
        estimate: est,
        lower,
        upper,
        notes,
    })
}
