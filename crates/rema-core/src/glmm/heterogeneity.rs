//! What `rma.glmm` computes besides the mixed model: the common-effect
//! logistic regression of the counts on X (metafor's `res.FE`, a `glm()`),
//! the tests of heterogeneity that compare it with the saturated model
//! (QE.Wld, QE.LRT on k − p df) and the Wald test of the moderators (QM).
//!
//! - Logistic regression by Newton–Raphson (IRLS):
//!   β ← β + (X'WX)⁻¹X'(x − n·p), W = diag(nᵢpᵢ(1 − pᵢ)).
//! - QE.LRT = −2(ℓ_FE − ℓ_sat) = 2Σ[xᵢ log(p̂ᵢ⁰/p̂ᵢ) + (nᵢ − xᵢ) log((1 − p̂ᵢ⁰)/(1 − p̂ᵢ))],
//!   p̂ᵢ⁰ = xᵢ/nᵢ, p̂ᵢ the fitted probabilities of the logistic regression.
//! - QE.Wld: metafor's Wald test of the study coefficients of the saturated
//!   `glm(~ 0 + X + study)`, γ = 0. A Wald statistic of a linear hypothesis
//!   does not depend on the parametrisation, and the saturated model has
//!   θ̂ᵢ = logit(xᵢ/nᵢ) with variances 1/xᵢ + 1/(nᵢ − xᵢ), so the statistic
//!   is the residual Σwᵢ(θ̂ᵢ − xᵢ'β̂)² of their weighted least-squares fit on
//!   X, the QE of a common-effect `rma.uni` of the logits. A study with 0 or
//!   nᵢ events has an infinite coefficient with infinite variance and adds
//!   nothing (the limit metafor's non-converging `glm()` approaches).
//! - QM = β̂₂'V₂₂⁻¹β̂₂ on p − 1 df, the coefficients after the intercept with
//!   their block of the model's covariance (metafor's default `btt`).

use super::quadrature::expit;
use crate::dist::chisq_sf;
use crate::error::{Error, Result};
use crate::fit::{fit_with_moderators, FitOptions};
use crate::linalg::{weighted_crossprod, Design, SymMatrix};
use crate::tau2::Method;

/// The common-effect logistic regression (τ² = 0).
pub(super) struct CommonFit {
    /// The coefficients.
    pub beta: Vec<f64>,
    /// The fitted probabilities.
    pub prob: Vec<f64>,
    /// (X'WX)⁻¹ at the fit, the covariance of `beta`.
    pub vcov: SymMatrix,
}

/// The logistic regression of `xi` events out of `ni` on `design`, from
/// the pooled logit (the exact fit of the intercept-only model).
pub(super) fn common_fit(xi: &[f64], ni: &[f64], design: &Design) -> Result<CommonFit> {
    let (k, p) = (xi.len(), design.cols());
    let sx: f64 = xi.iter().sum();
    let sn: f64 = ni.iter().sum();
    let p_fe = sx / sn;
    let mut beta = vec![0.0; p];
    beta[0] = (p_fe / (1.0 - p_fe)).ln();
    let eta = |beta: &[f64], i: usize| -> f64 {
        design.row(i).iter().zip(beta).map(|(x, b)| x * b).sum()
    };
    let collinear = || {
        Error::InvalidOption {
        option: "mods",
        message: "the moderators are collinear (X'WX is singular); drop a moderator that the others determine".to_string(),
    }
    };
    for _ in 0..100 {
        let prob: Vec<f64> = (0..k).map(|i| expit(eta(&beta, i))).collect();
        let w: Vec<f64> = (0..k).map(|i| ni[i] * prob[i] * (1.0 - prob[i])).collect();
        let inv = weighted_crossprod(design, &w)
            .cholesky_inverse()
            .ok_or_else(collinear)?;
        let score: Vec<f64> = (0..p)
            .map(|a| {
                (0..k)
                    .map(|i| design.row(i)[a] * (xi[i] - ni[i] * prob[i]))
                    .sum()
            })
            .collect();
        let step: Vec<f64> = (0..p)
            .map(|a| (0..p).map(|b| inv.get(a, b) * score[b]).sum())
            .collect();
        if design.is_intercept_only() {
            // The intercept-only fit is exact at the pooled logit.
            return Ok(CommonFit {
                beta,
                prob,
                vcov: inv,
            });
        }
        beta.iter_mut().zip(&step).for_each(|(b, s)| *b += s);
        let moved = step.iter().fold(0.0f64, |m, s| m.max(s.abs()));
        if moved < 1e-12 * (1.0 + beta.iter().fold(0.0f64, |m, b| m.max(b.abs()))) {
            let prob: Vec<f64> = (0..k).map(|i| expit(eta(&beta, i))).collect();
            let w: Vec<f64> = (0..k).map(|i| ni[i] * prob[i] * (1.0 - prob[i])).collect();
            let vcov = weighted_crossprod(design, &w)
                .cholesky_inverse()
                .ok_or_else(collinear)?;
            return Ok(CommonFit { beta, prob, vcov });
        }
    }
    Err(Error::NotConverged {
        method: "GLMM",
        iterations: 100,
        detail: "the common-effect logistic regression on the moderators did not converge (do the moderators separate the studies with events from those without?)".to_string(),
    })
}

/// The Wald and likelihood-ratio tests of heterogeneity on k − p df; the
/// Wald statistic is `None` (with a note) where the weighted least-squares
/// fit of the logits is not defined.
pub(super) struct HeterogeneityTests {
    pub wald: Option<f64>,
    pub wald_pval: Option<f64>,
    pub lrt: f64,
    pub lrt_pval: f64,
    pub df: usize,
}

pub(super) fn heterogeneity_tests(
    xi: &[f64],
    ni: &[f64],
    design: &Design,
    common: &CommonFit,
    notes: &mut Vec<String>,
) -> HeterogeneityTests {
    let (k, p) = (xi.len(), design.cols());
    let df = k - p;
    let xlogy = |x: f64, y: f64| if x == 0.0 { 0.0 } else { x * (x / y).ln() };
    let lrt: f64 = 2.0
        * (0..k)
            .map(|i| {
                let (x, n, q) = (xi[i], ni[i], common.prob[i]);
                xlogy(x, n * q) + xlogy(n - x, n * (1.0 - q))
            })
            .sum::<f64>();
    let lrt = lrt.max(0.0);
    let inner: Vec<usize> = (0..k).filter(|&i| xi[i] > 0.0 && xi[i] < ni[i]).collect();
    if inner.len() < k {
        notes.push(format!(
            "GLMM: {} studies with 0 events or only events add nothing to the Wald test of heterogeneity (their saturated-model coefficients are infinite), as in metafor; the likelihood-ratio test uses them",
            k - inner.len()
        ));
    }
    let wald = if inner.len() <= p {
        // The saturated model of the finite studies is the model itself.
        Some(0.0)
    } else {
        let theta: Vec<f64> = inner
            .iter()
            .map(|&i| (xi[i] / (ni[i] - xi[i])).ln())
            .collect();
        let v: Vec<f64> = inner
            .iter()
            .map(|&i| 1.0 / xi[i] + 1.0 / (ni[i] - xi[i]))
            .collect();
        let opts = FitOptions::new(Method::Fe);
        match fit_with_moderators(&theta, &v, &design.select_rows(&inner), &opts) {
            Ok(f) => Some(f.q.max(0.0)),
            Err(e) => {
                notes.push(format!(
                    "GLMM: no Wald test of heterogeneity: the least-squares fit of the studies' logits on the moderators failed ({e})"
                ));
                None
            }
        }
    };
    let pval = |q: f64| if df > 0 { chisq_sf(q, df as f64) } else { 1.0 };
    HeterogeneityTests {
        wald,
        wald_pval: wald.map(pval),
        lrt,
        lrt_pval: pval(lrt),
        df,
    }
}

/// The Wald test of the coefficients after the intercept, β̂₂'V₂₂⁻¹β̂₂ on
/// p − 1 df: (QM, df, p-value), `None` without moderators or when V₂₂ is
/// not positive definite.
pub(super) fn moderator_test(beta: &[f64], vcov: &SymMatrix) -> Option<(f64, usize, f64)> {
    let p = beta.len();
    if p < 2 {
        return None;
    }
    let m = p - 1;
    let mut block = SymMatrix::zeros(m);
    for a in 0..m {
        for b in 0..m {
            block.set(a, b, vcov.get(a + 1, b + 1));
        }
    }
    let inv = block.cholesky_inverse()?;
    let qm: f64 = (0..m)
        .map(|a| {
            (0..m)
                .map(|b| beta[a + 1] * inv.get(a, b) * beta[b + 1])
                .sum::<f64>()
        })
        .sum();
    Some((qm, m, chisq_sf(qm, m as f64)))
}
