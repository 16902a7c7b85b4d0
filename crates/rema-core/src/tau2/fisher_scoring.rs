//! Maximum likelihood, restricted maximum likelihood and empirical Bayes,
//! by Fisher scoring as metafor 3.8 `rma.uni(method = "ML" | "REML" | "EB")`.
//!
//! Starting from τ²₀ = max(0, HE estimate), each step adds
//! - ML (Hardy & Thompson 1996): δ = (y'PPy − Σwᵢ) / Σwᵢ²
//! - REML (Viechtbauer 2005): δ = (y'PPy − tr P) / tr(PP)
//! - EB (Morris 1983; Berkey et al. 1995): δ = (y'Py · k/(k−p) − k) / Σwᵢ
//!
//! with wᵢ = 1/(vᵢ + τ²), halving δ while τ² + δ < 0, until |Δτ²| ≤ threshold
//! (1e-5) or more than `max_iter` (100) steps. For ML and
//! REML the log-likelihood at τ² = 0 is then compared with that at the
//! estimate, and τ² = 0 is taken if it is higher (metafor's `ll0check`).
//!
//! Non-convergence is an error in metafor, whose `help(rma)` advises a smaller
//! `stepadj` and a larger `maxiter`. With [`Control::fallback`] (the default)
//! rema does that itself: it retries with `stepadj` halved and `maxiter` × 10,
//! and if that fails too it takes the DerSimonian-Laird estimate
//! (`rma(method = "DL")`). Either step is written into the notes; without the
//! fallback non-convergence is [`Error::NotConverged`].

use super::{hedges, Control, Method, Problem, Tau2Estimate};
use crate::error::{Error, Result};
use crate::linalg::weighted_crossprod;
use crate::wls::{trace_p, trace_pp, wls};

/// [`estimate`], then metafor's remedy, then DL, as [`Control::fallback`] says.
pub(super) fn estimate_with_fallback(
    method: Method,
    pr: &Problem,
    control: &Control,
) -> Result<Tau2Estimate> {
    let first = match estimate(method, pr, control) {
        Err(Error::NotConverged {
            iterations, detail, ..
        }) if control.fallback => {
            format!("{method} did not converge in {iterations} iterations ({detail})")
        }
        other => return other,
    };
    let retry = Control {
        step_adj: control.step_adj / 2.0,
        max_iter: control.max_iter.saturating_mul(10),
        ..*control
    };
    match estimate(method, pr, &retry) {
        Ok(mut est) => {
            est.notes.insert(
                0,
                format!(
                    "{first}; it converged when retried with step-halving (stepadj = {}, maxiter = {}), as metafor's help(rma) advises",
                    retry.step_adj, retry.max_iter
                ),
            );
            Ok(est)
        }
        Err(Error::NotConverged { detail, .. }) => {
            let mut est = super::dersimonian_laird::estimate(pr)?;
            est.notes.insert(
                0,
                format!(
                    "{first}; retried with step-halving (stepadj = {}, maxiter = {}) it did not converge either ({}); the DerSimonian-Laird estimate of tau^2 is used instead (fallback)",
                    retry.step_adj, retry.max_iter, detail
                ),
            );
            Ok(est)
        }
        Err(e) => Err(e),
    }
}

pub(super) fn estimate(method: Method, pr: &Problem, control: &Control) -> Result<Tau2Estimate> {
    let k = pr.k() as f64;
    let mut tau2 = match control.tau2_init {
        Some(t) => t,
        None => hedges::raw(pr)?.max(0.0),
    };
    let mut w = vec![0.0; pr.k()];
    let mut change = control.threshold + 1.0;
    let mut iter = 0usize;
    while change > control.threshold {
        iter += 1;
        let old = tau2;
        for (wi, vi) in w.iter_mut().zip(pr.v) {
            *wi = 1.0 / (vi + tau2);
        }
        let fit = wls(pr.y, pr.x, &w)?;
        let ypp_y: f64 = fit.resid.iter().zip(&w).map(|(e, w)| w * w * e * e).sum();
        let adj = match method {
            Method::Ml => {
                let sw: f64 = w.iter().sum();
                let sw2: f64 = w.iter().map(|w| w * w).sum();
                (ypp_y - sw) / sw2
            }
            Method::Reml => (ypp_y - trace_p(pr.x, &w, &fit.a)) / trace_pp(pr.x, &w, &fit.a),
            Method::Eb => {
                let sw: f64 = w.iter().sum();
                (fit.rss * k / pr.df() - k) / sw
            }
            _ => unreachable!("fisher_scoring::estimate called with {method}"),
        };
        tau2 = take_step(tau2, adj, control.step_adj);
        change = (old - tau2).abs();
        if iter > control.max_iter {
            return Err(Error::NotConverged {
                method: method.name(),
                iterations: iter - 1,
                detail: format!("Fisher scoring; last change in tau^2 was {change:.3e}"),
            });
        }
    }
    let mut notes = Vec::new();
    if control.ll0_check && method != Method::Eb && control.tau2_init.is_none() {
        let ll0 = log_likelihood(method, pr, 0.0)?;
        let ll = log_likelihood(method, pr, tau2)?;
        if ll0 - ll > f64::EPSILON.powf(0.25) && tau2 > control.threshold {
            notes.push(format!(
                "Fisher scoring stopped at tau^2 = {tau2:.6}, but the {method} likelihood is higher at tau^2 = 0; tau^2 set to 0 (metafor ll0check)"
            ));
            tau2 = 0.0;
        }
    }
    Ok(Tau2Estimate {
        tau2: tau2.max(0.0),
        iterations: Some(iter),
        notes,
    })
}

/// The ML or REML log-likelihood at τ² (without REML's constant ½log|X'X|).
pub(crate) fn log_likelihood(method: Method, pr: &Problem, tau2: f64) -> Result<f64> {
    let w: Vec<f64> = pr.v.iter().map(|v| 1.0 / (v + tau2)).collect();
    let fit = wls(pr.y, pr.x, &w)?;
    let log_v: f64 = pr.v.iter().map(|v| (v + tau2).ln()).sum();
    let two_pi = (2.0 * std::f64::consts::PI).ln();
    Ok(match method {
        Method::Reml => {
            let log_det = weighted_crossprod(pr.x, &w)
                .log_det()
                .ok_or(Error::RankDeficient)?;
            -0.5 * pr.df() * two_pi - 0.5 * log_v - 0.5 * log_det - 0.5 * fit.rss
        }
        _ => -0.5 * pr.k() as f64 * two_pi - 0.5 * log_v - 0.5 * fit.rss,
    })
}

/// One Fisher-scoring update of τ², as metafor's `rma.uni`: the step `adj`
/// scaled by `step_adj`, a NaN step taken as 0, and the step halved until τ²
/// stays at or above 0 (a step of −∞, which halving never shortens, is first
/// set to −τ²; found by the `estimators` fuzz target). Shared by the general
/// fit and the resampling refits so that they take the same steps.
#[inline]
pub(crate) fn take_step(tau2: f64, adj: f64, step_adj: f64) -> f64 {
    let mut adj = adj * step_adj;
    if adj.is_nan() {
        adj = 0.0;
    }
    if adj == f64::NEG_INFINITY {
        adj = -tau2;
    }
    while tau2 + adj < 0.0 {
        adj /= 2.0;
    }
    tau2 + adj
}

#[cfg(test)]
mod tests {
    use super::take_step;

    /// The step rules, including the two that once hung or broke a refit:
    /// a step of −∞ ends at τ² = 0, and a NaN step leaves τ² where it was.
    #[test]
    fn a_step_is_scaled_halved_and_never_hangs() {
        assert_eq!(take_step(0.2, 0.1, 1.0), 0.30000000000000004);
        assert_eq!(take_step(0.2, 0.1, 0.5), 0.25);
        // −1 is halved four times to −0.0625.
        assert_eq!(take_step(0.1, -1.0, 1.0), 0.1 - 0.0625);
        assert_eq!(take_step(0.3, f64::NEG_INFINITY, 1.0), 0.0);
        assert_eq!(take_step(0.0, f64::NEG_INFINITY, 1.0), 0.0);
        assert_eq!(take_step(0.3, f64::NAN, 1.0), 0.3);
    }
}
