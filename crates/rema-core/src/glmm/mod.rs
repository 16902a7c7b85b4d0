//! The binomial-normal model for proportions (a generalised linear mixed
//! model, GLMM), fitted by maximum likelihood with adaptive Gauss–Hermite
//! quadrature, as metafor 3.8 `rma.glmm(measure = "PLO", mods = ~ X)`
//! (which calls `lme4::glmer(cbind(xi, ni - xi) ~ 0 + X + (1 | study),
//! family = binomial, nAGQ = 7)`; X is the intercept alone without
//! moderators).
//!
//! Model (Hamza, van Houwelingen & Stijnen 2008, J Clin Epidemiol 61:41–51;
//! Stijnen, Hamza & Özdemir 2010, Stat Med 29:3046–3067):
//! xᵢ | bᵢ ~ Binomial(nᵢ, expit(xᵢ'β + bᵢ)), bᵢ ~ N(0, τ²).
//!
//! - `quadrature.rs`: the marginal likelihood Lᵢ = ∫ exp(hᵢ(b)) db by
//!   adaptive Gauss–Hermite quadrature (Q = 7 points by default, as
//!   metafor's `nAGQ`; Q = 1 is the Laplace approximation), the quantity
//!   lme4 maximises for a scalar random effect.
//! - `newton.rs`: Newton's method with a backtracking line search on
//!   (β, log τ), from three starting values of τ.
//! - `heterogeneity.rs`: the common-effect logistic regression, the QE tests
//!   against the saturated model and the QM test of the moderators.
//!
//! Estimation: τ̂² = 0 is taken when the score for τ² at τ² = 0,
//! ½Σ[(xᵢ − nᵢpᵢ)² − nᵢpᵢ(1 − pᵢ)] at the common-effect fit pᵢ, is not
//! positive and no interior maximum is better, or when the iteration runs to
//! τ < 10⁻⁶; β̂ is then the logistic regression's. The covariance of β̂ is
//! the β block of the inverse observed information in (β, log τ) (lme4's
//! Hessian-based `vcov`), by Richardson-extrapolated central differences;
//! at τ̂ = 0 it is (X'WX)⁻¹ of the logistic regression.
//!
//! Heterogeneity, as `rma.glmm` (see `heterogeneity.rs`): Wald (QE.Wld) and
//! likelihood-ratio (QE.LRT) tests of the saturated fixed-effects model
//! against the common-effect one on k − p df; I² = 100τ̂²/(ṽ + τ̂²),
//! H² = τ̂²/ṽ + 1 with ṽ = (k − p)/tr(P), P = W − WX(X'WX)⁻¹X'W from the
//! `escalc` variances of the logits (the caller's continuity correction).
//! With moderators, QM is the Wald test of the coefficients after the
//! intercept.

mod heterogeneity;
mod newton;
mod quadrature;

use crate::error::{Error, Result};
use crate::fit::{critical_value, Coefficient};
use crate::linalg::{weighted_crossprod, Design};

pub use quadrature::{gauss_hermite, glmm_loglik};

use heterogeneity::{common_fit, heterogeneity_tests, moderator_test};
use newton::{hessian_precise, newton, objective};
use quadrature::Problem;

/// Settings of the GLMM fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GlmmOptions {
    /// Number of quadrature points (metafor `nAGQ`, default 7; 1 = Laplace).
    pub n_agq: usize,
    /// Confidence level in percent.
    pub level: f64,
    /// Maximum number of Newton iterations.
    pub max_iter: usize,
}

impl Default for GlmmOptions {
    fn default() -> GlmmOptions {
        GlmmOptions {
            n_agq: 7,
            level: 95.0,
            max_iter: 200,
        }
    }
}

/// A fitted binomial-normal model (metafor's `rma.glmm` object).
///
/// Produced by [`glmm_plo`] and [`glmm_plo_mods`] (see their examples).
#[derive(Debug, Clone, PartialEq)]
pub struct GlmmFit {
    /// The number of studies (metafor `k`).
    pub k: usize,
    /// The first coefficient: μ̂ (the pooled logit) without moderators, the
    /// intercept with them, with its Wald z test and confidence interval.
    pub estimate: Coefficient,
    /// Every coefficient, intercept first (metafor `beta`, `se`, `zval`,
    /// `pval`, `ci.lb`, `ci.ub`); one without moderators.
    pub coefficients: Vec<Coefficient>,
    /// τ̂², on the squared logit scale (metafor `tau2`); residual with
    /// moderators.
    pub tau2: f64,
    /// I² in percent (metafor `I2`).
    pub i2: f64,
    /// H² (metafor `H2`).
    pub h2: f64,
    /// The typical within-study variance ṽ of I².
    pub vt: f64,
    /// The maximised log-likelihood (the `n_agq`-point quadrature), with the
    /// binomial constants.
    pub loglik: f64,
    /// Wald and likelihood-ratio tests of heterogeneity on k − p df (`None`
    /// when undefined, with a note): the Wald statistic (metafor `QE.Wld`).
    pub qe_wald: Option<f64>,
    /// Its χ² p-value (metafor `QEp.Wld`).
    pub qe_wald_pval: Option<f64>,
    /// The likelihood-ratio statistic (metafor `QE.LRT`).
    pub qe_lrt: Option<f64>,
    /// Its χ² p-value (metafor `QEp.LRT`).
    pub qe_lrt_pval: Option<f64>,
    /// Their degrees of freedom, k − p (metafor `QE.df`).
    pub qe_df: usize,
    /// With moderators: the Wald test of the coefficients after the
    /// intercept (metafor `QM`), `None` without moderators or when their
    /// covariance is singular.
    pub qm: Option<f64>,
    /// Its degrees of freedom, p − 1 (metafor `QMdf[1]`); 0 without moderators.
    pub qm_df: usize,
    /// Its χ² p-value (metafor `QMp`).
    pub qm_pval: Option<f64>,
    /// Newton iterations of the interior search (0 when τ̂² = 0 by the score test).
    pub iterations: usize,
    /// Caveats (τ̂² = 0 by the score test, undefined tests), in words.
    pub notes: Vec<String>,
}

/// Fits the binomial-normal model to `xi` events out of `ni`, with `vi` the
/// sampling variances of the logits (`escalc(measure = "PLO")`, for I²)
/// (metafor `rma.glmm(measure = "PLO", xi, ni)`).
///
/// ```
/// use rema_core::{glmm_plo, GlmmOptions};
/// # fn main() -> rema_core::Result<()> {
/// let (xi, ni) = ([4.0, 15.0, 10.0, 2.0, 20.0], [40.0, 35.0, 50.0, 30.0, 45.0]);
/// // escalc("PLO", xi = xi, ni = ni)$vi
/// let vi = [0.277777777777778, 0.116666666666667, 0.125, 0.535714285714286, 0.09];
/// let g = glmm_plo(&xi, &ni, &vi, &GlmmOptions::default())?;
/// // metafor 3.8-1 (lme4, nAGQ = 7), to the 1e-4 of iterative estimates:
/// let close = |a: f64, b: f64| ((a - b) / b).abs() < 1e-4;
/// assert!(close(g.estimate.estimate, -1.2787005) && close(g.estimate.se, 0.4357087));
/// assert!(close(g.tau2, 0.7464324) && close(g.i2, 82.22063));
/// assert!(close(g.qe_wald.unwrap(), 21.87146) && close(g.qe_lrt.unwrap(), 26.73194));
/// // The marginal log-likelihood, with the binomial constants: R's integrate() of
/// // dbinom(xi, ni, plogis(mu + b)) * dnorm(b, 0, tau) at these estimates gives
/// // -15.7080001 (metafor's and lme4's logLik() use other conventions).
/// assert!((g.loglik - -15.7080001).abs() < 1e-5);
/// # Ok(())
/// # }
/// ```
pub fn glmm_plo(xi: &[f64], ni: &[f64], vi: &[f64], opts: &GlmmOptions) -> Result<GlmmFit> {
    glmm_plo_mods(xi, ni, vi, &Design::intercept(xi.len()), opts)
}

/// Fits the binomial-normal meta-regression with model matrix `x` (one row
/// per study, the intercept column included, as [`crate::Rma::fit_mods`]):
/// metafor `rma.glmm(measure = "PLO", xi, ni, mods = ~ X)`, with the
/// coefficients, their Wald z tests, the residual τ̂², the QM test of the
/// moderators and the QE tests on k − p df.
///
/// ```
/// use rema_core::{glmm_plo_mods, Design, GlmmOptions};
/// # fn main() -> rema_core::Result<()> {
/// // dat.debruin2009, mods = ~ scq
/// let xi = [11.0, 24.0, 179.0, 82.0, 60.0, 11.0, 99.0, 9.0, 88.0, 17.0, 26.0, 23.0, 40.0];
/// let ni = [29.0, 33.0, 326.0, 240.0, 110.0, 29.0, 244.0, 17.0, 215.0, 26.0, 138.0, 55.0, 54.0];
/// let scq = [21.0, 22.67, 15.07, 3.67, 8.6, 27.8, 4.8, 12.07, 20.0, 7.47, 7.8, 10.47, 22.8];
/// let vi: Vec<f64> = xi.iter().zip(&ni).map(|(x, n)| 1.0 / x + 1.0 / (n - x)).collect();
/// let x = Design::from_row_major(13, 2, scq.iter().flat_map(|s| [1.0, *s]).collect()).unwrap();
/// let g = glmm_plo_mods(&xi, &ni, &vi, &x, &GlmmOptions::default())?;
/// // metafor 3.8-1 (lme4, nAGQ = 7, bobyqa at rhoend = 1e-12), to 1e-4:
/// let close = |a: f64, b: f64| ((a - b) / b).abs() < 1e-4;
/// let (b0, b1) = (&g.coefficients[0], &g.coefficients[1]);
/// assert!(close(b0.estimate, -0.55058059) && close(b1.estimate, 0.03164372));
/// assert!(close(b0.se, 0.35852119) && close(b1.se, 0.02292731));
/// assert!(close(g.tau2, 0.30926157) && close(g.qm.unwrap(), 1.90488510));
/// assert!(close(g.qe_wald.unwrap(), 77.71276679) && close(g.qe_lrt.unwrap(), 85.73962686));
/// assert_eq!((g.qe_df, g.qm_df), (11, 1));
/// # Ok(())
/// # }
/// ```
pub fn glmm_plo_mods(
    xi: &[f64],
    ni: &[f64],
    vi: &[f64],
    x: &Design,
    opts: &GlmmOptions,
) -> Result<GlmmFit> {
    validate(xi, ni, vi, x, opts)?;
    let k = xi.len();
    let pr = Problem::new(xi, ni, x, opts.n_agq);
    let mut notes = Vec::new();
    let common = common_fit(xi, ni, x)?;
    let m = maximise(&pr, &common, opts.max_iter, &mut notes)?;
    let tau2 = m.tau * m.tau;
    let crit = critical_value(opts.level, None);
    let coefficients: Vec<Coefficient> = m
        .beta
        .iter()
        .enumerate()
        .map(|(j, &b)| {
            let se = m.vcov[j].sqrt();
            let stat = b / se;
            Coefficient {
                estimate: b,
                se,
                stat,
                pval: 2.0 * crate::dist::norm_sf(stat.abs()),
                ci_lower: b - crit * se,
                ci_upper: b + crit * se,
            }
        })
        .collect();
    let (vt, i2, h2) = i2_h2(vi, x, tau2)?;
    let het = heterogeneity_tests(xi, ni, x, &common, &mut notes);
    let qm = m.qm;
    if x.cols() > 1 && qm.is_none() {
        notes.push(
            "GLMM: no test of the moderators (QM): the covariance of their coefficients is singular"
                .to_string(),
        );
    }
    Ok(GlmmFit {
        k,
        estimate: coefficients[0],
        coefficients,
        tau2,
        i2,
        h2,
        vt,
        loglik: m.loglik,
        qe_wald: het.wald,
        qe_wald_pval: het.wald_pval,
        qe_lrt: Some(het.lrt),
        qe_lrt_pval: Some(het.lrt_pval),
        qe_df: het.df,
        qm: qm.map(|q| q.0),
        qm_df: x.cols() - 1,
        qm_pval: qm.map(|q| q.2),
        iterations: m.iterations,
        notes,
    })
}

/// The checks of [`glmm_plo_mods`]'s input: matching lengths, more studies
/// than coefficients, a level in (0, 100), 1 to 100 quadrature points,
/// counts within totals, positive variances, finite moderators, and events
/// that are neither all absent nor all present.
fn validate(xi: &[f64], ni: &[f64], vi: &[f64], x: &Design, opts: &GlmmOptions) -> Result<()> {
    let k = xi.len();
    if ni.len() != k || vi.len() != k || x.rows() != k {
        return Err(Error::LengthMismatch {
            what: format!(
                "{k} event counts, {} totals, {} variances, {} rows of the model matrix",
                ni.len(),
                vi.len(),
                x.rows()
            ),
        });
    }
    if k == 0 {
        return Err(Error::NoStudies);
    }
    let p = x.cols();
    if p == 0 {
        return Err(Error::InvalidOption {
            option: "mods",
            message: "the model matrix has no columns; give at least the intercept".to_string(),
        });
    }
    if k < p + 1 {
        // metafor: "Number of parameters to be estimated is larger than the
        // number of observations."
        return Err(Error::TooFewStudies {
            k,
            needed: p + 1,
            what: if p == 1 {
                "the binomial-normal model (GLMM; it estimates mu and tau^2)"
            } else {
                "the binomial-normal meta-regression (GLMM; it estimates the coefficients and tau^2)"
            },
        });
    }
    if !(opts.level > 0.0 && opts.level < 100.0) {
        return Err(Error::InvalidOption {
            option: "level",
            message: format!("{} must lie strictly between 0 and 100", opts.level),
        });
    }
    if opts.n_agq == 0 || opts.n_agq > 100 {
        return Err(Error::InvalidOption {
            option: "n_agq",
            message: format!("{} quadrature points: use 1 (Laplace) to 100", opts.n_agq),
        });
    }
    for i in 0..k {
        if !(ni[i].is_finite() && ni[i] >= 1.0) {
            return Err(Error::InvalidValue {
                study: i,
                column: "ni",
                value: ni[i],
                allowed: "the number of participants must be at least 1",
            });
        }
        if !(xi[i].is_finite() && xi[i] >= 0.0 && xi[i] <= ni[i]) {
            return Err(Error::InvalidValue {
                study: i,
                column: "xi",
                value: xi[i],
                allowed: "the number of events must lie between 0 and the total ni",
            });
        }
        if !(vi[i].is_finite() && vi[i] > 0.0) {
            return Err(Error::InvalidVariance {
                study: i,
                value: vi[i],
            });
        }
    }
    x.check_finite()?;
    let sx: f64 = xi.iter().sum();
    let sn: f64 = ni.iter().sum();
    if sx == 0.0 || sx == sn {
        return Err(Error::NoFiniteEstimate {
            reason: format!(
                "{} studies have {} events: the likelihood keeps increasing as the logit goes to {}; pool these studies with a continuity-corrected proportion (`measure` PR or PLO with another `method`) instead",
                if k == 1 { "the only study has".to_string() } else { format!("all {k}") },
                if sx == 0.0 { "no" } else { "only" },
                if sx == 0.0 { "-infinity" } else { "+infinity" }
            ),
        });
    }
    Ok(())
}

/// The maximum-likelihood estimates.
struct Maximum {
    beta: Vec<f64>,
    tau: f64,
    /// The variances of the coefficients (the diagonal of their covariance).
    vcov: Vec<f64>,
    /// The Wald test of the moderators (QM, df, p).
    qm: Option<(f64, usize, f64)>,
    iterations: usize,
    loglik: f64,
}

/// The maximum-likelihood (β̂, τ̂, covariance of β̂, Newton iterations,
/// log L): Newton's method from three starting values of τ, or the boundary
/// τ = 0 when no interior maximum beats it (with a note).
fn maximise(
    pr: &Problem,
    common: &heterogeneity::CommonFit,
    max_iter: usize,
    notes: &mut Vec<String>,
) -> Result<Maximum> {
    // The boundary solution τ = 0 and the score for τ² there.
    let p = pr.p();
    let ll_fe = pr.loglik(&common.beta, 0.0);
    let score: f64 = 0.5
        * pr.x
            .iter()
            .zip(pr.n)
            .zip(&common.prob)
            .map(|((&x, &n), &q)| (x - n * q).powi(2) - n * q * (1.0 - q))
            .sum::<f64>();

    let mut best: Option<(Vec<f64>, usize, f64)> = None;
    let mut last_err = None;
    for tau0 in [1.0, 0.3, 3.0] {
        let mut start = common.beta.clone();
        start.push(f64::ln(tau0));
        match newton(pr, start, max_iter) {
            Ok(Some((th, it))) => {
                let ll = -objective(pr, &th);
                if best.as_ref().is_none_or(|b| ll > b.2) {
                    best = Some((th, it, ll));
                }
                if score > 0.0 {
                    break;
                }
            }
            Ok(None) => {
                if score <= 0.0 {
                    break;
                }
            }
            Err(e) => last_err = Some(e),
        }
    }
    let interior = best.filter(|b| b.2 > ll_fe + 1e-12 && b.0[p].exp() > 1e-6);
    if interior.is_none() && score > 0.0 {
        if let Some(e) = last_err {
            return Err(e);
        }
    }
    match interior {
        Some((th, it, ll)) => {
            let scale: Vec<f64> = (0..=p)
                .map(|j| if j < p { th[j].abs().max(1.0) } else { 1.0 })
                .collect();
            let inv = hessian_precise(pr, &th, &scale)
                .cholesky_inverse()
                .ok_or_else(|| Error::NotConverged {
                    method: "GLMM",
                    iterations: it,
                    detail: "the information matrix at the estimate is not positive definite"
                        .to_string(),
                })?;
            let mut vb = crate::linalg::SymMatrix::zeros(p);
            for a in 0..p {
                for b in 0..p {
                    vb.set(a, b, inv.get(a, b));
                }
            }
            let beta = th[..p].to_vec();
            Ok(Maximum {
                qm: moderator_test(&beta, &vb),
                vcov: (0..p).map(|j| vb.get(j, j)).collect(),
                beta,
                tau: th[p].exp(),
                iterations: it,
                loglik: ll,
            })
        }
        None => {
            notes.push(
                "GLMM: the maximum likelihood estimate of tau^2 is at the boundary 0".to_string(),
            );
            Ok(Maximum {
                qm: moderator_test(&common.beta, &common.vcov),
                vcov: (0..p).map(|j| common.vcov.get(j, j)).collect(),
                beta: common.beta.clone(),
                tau: 0.0,
                iterations: 0,
                loglik: ll_fe,
            })
        }
    }
}

/// ṽ, I² (percent) and H² at τ² from the `escalc` variances:
/// ṽ = (k − p)/tr(P), tr(P) = Σwᵢ − tr((X'WX)⁻¹X'W²X).
fn i2_h2(vi: &[f64], x: &Design, tau2: f64) -> Result<(f64, f64, f64)> {
    let (k, p) = (vi.len(), x.cols());
    let w: Vec<f64> = vi.iter().map(|v| 1.0 / v).collect();
    let sw: f64 = w.iter().sum();
    let tr_p = if x.is_intercept_only() {
        let sw2: f64 = w.iter().map(|w| w * w).sum();
        sw - sw2 / sw
    } else {
        let w2: Vec<f64> = w.iter().map(|w| w * w).collect();
        let inv = weighted_crossprod(x, &w)
            .cholesky_inverse()
            .ok_or_else(|| Error::InvalidOption {
                option: "mods",
                message: "the moderators are collinear (X'WX is singular); drop a moderator that the others determine".to_string(),
            })?;
        sw - inv.trace_product(&weighted_crossprod(x, &w2))
    };
    let vt = (k - p) as f64 / tr_p;
    let (i2, h2) = crate::tau2::kernel::i2_h2(true, tau2, f64::NAN, f64::NAN, vt);
    Ok((vt, i2, h2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_hermite_integrates_polynomials() {
        let sqrt_pi = std::f64::consts::PI.sqrt();
        for n in [1, 2, 5, 7, 20] {
            let (x, w) = gauss_hermite(n);
            let s0: f64 = w.iter().sum();
            assert!((s0 - sqrt_pi).abs() < 1e-13, "n = {n}: {s0}");
            if n >= 2 {
                let s2: f64 = x.iter().zip(&w).map(|(x, w)| w * x * x).sum();
                assert!((s2 - sqrt_pi / 2.0).abs() < 1e-13, "n = {n}");
            }
            if n >= 3 {
                let s4: f64 = x.iter().zip(&w).map(|(x, w)| w * x.powi(4)).sum();
                assert!((s4 - 3.0 * sqrt_pi / 4.0).abs() < 1e-12, "n = {n}");
            }
        }
    }

    #[test]
    fn one_study_is_too_few() {
        let err = glmm_plo(&[5.0], &[20.0], &[0.27], &GlmmOptions::default()).unwrap_err();
        assert!(matches!(
            err,
            Error::TooFewStudies {
                k: 1,
                needed: 2,
                ..
            }
        ));
    }

    #[test]
    fn no_events_has_no_finite_estimate() {
        let err = glmm_plo(
            &[0.0, 0.0, 0.0],
            &[32.0, 128.0, 22.0],
            &[2.0, 2.0, 2.0],
            &GlmmOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::NoFiniteEstimate { .. }), "{err}");
    }

    #[test]
    fn events_above_total_are_rejected() {
        let err = glmm_plo(
            &[5.0, 1.0],
            &[4.0, 10.0],
            &[1.0, 1.0],
            &GlmmOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidValue {
                study: 0,
                column: "xi",
                ..
            }
        ));
    }

    #[test]
    fn homogeneous_data_give_tau2_zero_and_the_pooled_logit() {
        let xi = [10.0, 20.0, 30.0];
        let ni = [100.0, 200.0, 300.0];
        let vi: Vec<f64> = xi
            .iter()
            .zip(&ni)
            .map(|(x, n)| 1.0 / x + 1.0 / (n - x))
            .collect();
        let f = glmm_plo(&xi, &ni, &vi, &GlmmOptions::default()).unwrap();
        assert_eq!(f.tau2, 0.0);
        assert!((f.estimate.estimate - (0.1f64 / 0.9).ln()).abs() < 1e-12);
    }

    #[test]
    fn meta_regression_needs_more_studies_than_coefficients() {
        let x = Design::from_row_major(2, 2, vec![1.0, 0.0, 1.0, 1.0]).unwrap();
        let err = glmm_plo_mods(
            &[3.0, 5.0],
            &[20.0, 20.0],
            &[0.4, 0.3],
            &x,
            &GlmmOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                Error::TooFewStudies {
                    k: 2,
                    needed: 3,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn collinear_moderators_name_mods() {
        let x = Design::from_row_major(
            4,
            3,
            vec![1.0, 1.0, 2.0, 1.0, 2.0, 4.0, 1.0, 3.0, 6.0, 1.0, 4.0, 8.0],
        )
        .unwrap();
        let (xi, ni) = ([3.0, 5.0, 9.0, 4.0], [20.0, 25.0, 30.0, 15.0]);
        let vi = [0.4, 0.3, 0.2, 0.35];
        let err = glmm_plo_mods(&xi, &ni, &vi, &x, &GlmmOptions::default()).unwrap_err();
        assert!(
            matches!(err, Error::InvalidOption { option: "mods", .. }),
            "{err}"
        );
        let bad = Design::from_row_major(4, 2, vec![1.0, 1.0, 1.0, f64::NAN, 1.0, 3.0, 1.0, 4.0])
            .unwrap();
        let err = glmm_plo_mods(&xi, &ni, &vi, &bad, &GlmmOptions::default()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidValue {
                    study: 1,
                    column: "mods",
                    ..
                }
            ),
            "{err}"
        );
    }
}
