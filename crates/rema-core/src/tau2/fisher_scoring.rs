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
//! fallback non-convergence is [`Error::NotConverged`](crate::Error::NotConverged).

use super::kernel::{self, Estimate, Failure, Kernel, Need, Note, Wls};
use super::{hedges, Control, Method};

/// Fisher scoring for `method` (ML, REML or EB) through the kernel `k`, then
/// the likelihood check at τ² = 0; `fe` is the common-effect fit if the
/// caller has formed it (with what [`kernel::need_at_zero`] asks).
pub(super) fn estimate<K: Kernel>(
    method: Method,
    k: &mut K,
    control: &Control,
    fe: Option<&Wls<K::Extra>>,
) -> Result<Estimate<K::Extra>, Failure> {
    let n = k.k() as f64;
    let df = k.df();
    let mut tau2 = match control.tau2_init {
        Some(t) => t,
        None => hedges::raw(k)?.max(0.0),
    };
    let need = Need::scoring(method);
    let mut change = control.threshold + 1.0;
    let mut iter = 0usize;
    while change > control.threshold {
        iter += 1;
        let old = tau2;
        let f = k.wls(tau2, need).ok_or(Failure::RankDeficient)?;
        let adj = match method {
            Method::Ml => (f.ypp - f.sw) / f.sw2,
            Method::Reml => (f.ypp - f.tr_p) / f.tr_pp,
            _ => (f.rss * n / df - n) / f.sw,
        };
        tau2 = take_step(tau2, adj, control.step_adj);
        change = (old - tau2).abs();
        if iter > control.max_iter {
            return Err(Failure::NotConverged {
                method,
                iterations: iter - 1,
                change,
            });
        }
    }
    let mut note = None;
    let mut at = None;
    if control.ll0_check && method != Method::Eb && control.tau2_init.is_none() {
        let need = Need::likelihood(method);
        let at0 = kernel::at_zero(k, fe, need)?;
        let a = if tau2 == 0.0 {
            at0
        } else {
            k.wls(tau2, need).ok_or(Failure::RankDeficient)?
        };
        if kernel::likelihood_prefers_zero(method, k, control, &at0, &a) {
            note = Some(Note::Ll0 { method, tau2 });
            tau2 = 0.0;
        }
        at = Some(a);
    }
    Ok(Estimate {
        tau2: tau2.max(0.0),
        iterations: Some(iter),
        note,
        at,
    })
}

/// One Fisher-scoring update of τ², as metafor's `rma.uni`: the step `adj`
/// scaled by `step_adj`, a NaN step taken as 0, and the step halved until τ²
/// stays at or above 0 (a step of −∞, which halving never shortens, is first
/// set to −τ²; found by the `estimators` fuzz target).
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
