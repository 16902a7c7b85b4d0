//! The binomial-normal random-intercept model for proportions (a generalised
//! linear mixed model, GLMM), fitted by maximum likelihood with adaptive
//! Gauss–Hermite quadrature, as metafor 3.8 `rma.glmm(measure = "PLO")`
//! (which calls `lme4::glmer(cbind(xi, ni - xi) ~ 1 + (1 | study),
//! family = binomial, nAGQ = 7)`).
//!
//! Model (Hamza, van Houwelingen & Stijnen 2008, J Clin Epidemiol 61:41–51;
//! Stijnen, Hamza & Özdemir 2010, Stat Med 29:3046–3067):
//! xᵢ | bᵢ ~ Binomial(nᵢ, expit(μ + bᵢ)), bᵢ ~ N(0, τ²).
//!
//! Marginal likelihood of study i, Lᵢ = ∫ exp(hᵢ(b)) db with
//! hᵢ(b) = log C(nᵢ, xᵢ) + xᵢ(μ + b) − nᵢ log(1 + e^{μ+b}) − b²/(2τ²) − ½ log(2πτ²).
//! Adaptive quadrature (Liu & Pierce 1994, Biometrika 81:624–629; Pinheiro &
//! Bates 1995): with the mode b̂ᵢ of hᵢ (found by safeguarded Newton) and
//! σ̂ᵢ = (−hᵢ''(b̂ᵢ))^{−1/2} = (nᵢp̂ᵢ(1 − p̂ᵢ) + 1/τ²)^{−1/2},
//! Lᵢ ≈ √2 σ̂ᵢ Σⱼ wⱼ exp(hᵢ(b̂ᵢ + √2 σ̂ᵢ tⱼ) + tⱼ²) over the Q-point
//! Gauss–Hermite rule (tⱼ, wⱼ) for the weight e^{−t²} (Q = 7 by default, as
//! metafor's `nAGQ`; Q = 1 is the Laplace approximation). This is the
//! quantity lme4 maximises for a scalar random effect.
//!
//! Estimation: Newton's method with a backtracking (Armijo) line search on
//! (μ, log τ), with derivatives by central differences; when the Hessian is
//! not positive definite the step falls back to steepest descent. τ̂² = 0 is
//! taken when the score for τ² at τ² = 0 (½Σ[(xᵢ − nᵢp)² − nᵢp(1 − p)] at the
//! common-effect p) is not positive and no interior maximum is better, or
//! when the iteration runs to τ < 10⁻⁶; μ̂ is then the pooled logit. The
//! standard error of μ̂ is from the inverse of the observed information in
//! (μ, τ) (lme4's Hessian-based `vcov`), by Richardson-extrapolated central
//! differences; at τ̂ = 0 it is 1/√(Σnᵢp̂(1 − p̂)).
//!
//! Heterogeneity, as `rma.glmm`:
//! - Wald test (QE.Wld) of the saturated fixed-effects logistic model against
//!   the common one: Σwᵢ(θᵢ − θ̄)², θᵢ = logit(xᵢ/nᵢ), wᵢ = 1/(1/xᵢ + 1/(nᵢ − xᵢ)),
//!   k − 1 df, over the studies with 0 < xᵢ < nᵢ: a study with 0 or nᵢ events
//!   has an infinite saturated coefficient with infinite variance and adds
//!   nothing (the limit that metafor's non-converging `glm()` approaches);
//! - likelihood-ratio test (QE.LRT) of the same models:
//!   2Σ[xᵢ log(p̂ᵢ/p̂) + (nᵢ − xᵢ) log((1 − p̂ᵢ)/(1 − p̂))], p̂ᵢ = xᵢ/nᵢ, p̂ = Σx/Σn;
//! - I² = 100τ̂²/(ṽ + τ̂²), H² = τ̂²/ṽ + 1 with ṽ = (k − 1)/tr(P) from the
//!   `escalc` variances of the logits (the caller's continuity correction).

use statrs::function::gamma::ln_gamma;

use crate::error::{Error, Result};
use crate::fit::{critical_value, Coefficient};

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
/// Produced by [`glmm_plo`] (see its example).
#[derive(Debug, Clone, PartialEq)]
pub struct GlmmFit {
    /// The number of studies (metafor `k`).
    pub k: usize,
    /// μ̂ (the pooled logit) with its Wald z test and confidence interval.
    pub estimate: Coefficient,
    /// τ̂², on the squared logit scale (metafor `tau2`).
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
    /// Wald and likelihood-ratio tests of heterogeneity on k − 1 df (`None`
    /// when undefined, with a note): the Wald statistic (metafor `QE.Wld`).
    pub qe_wald: Option<f64>,
    /// Its χ² p-value (metafor `QEp.Wld`).
    pub qe_wald_pval: Option<f64>,
    /// The likelihood-ratio statistic (metafor `QE.LRT`).
    pub qe_lrt: Option<f64>,
    /// Its χ² p-value (metafor `QEp.LRT`).
    pub qe_lrt_pval: Option<f64>,
    /// Their degrees of freedom, k − 1.
    pub qe_df: usize,
    /// Newton iterations of the interior search (0 when τ̂² = 0 by the score test).
    pub iterations: usize,
    /// Caveats (τ̂² = 0 by the score test, undefined tests), in words.
    pub notes: Vec<String>,
}

/// The n-point Gauss–Hermite rule for the weight e^{−t²}: nodes and weights
/// (Golub–Welsch-free Newton iteration on the orthonormal Hermite
/// polynomials, Press et al., *Numerical Recipes*, §4.6).
///
/// ```
/// use rema_core::glmm::gauss_hermite;
/// let (t, w) = gauss_hermite(7);
/// // The weights integrate e^{-t^2} (√π) and t² e^{-t^2} (√π/2) exactly.
/// let pi_sqrt = std::f64::consts::PI.sqrt();
/// assert!((w.iter().sum::<f64>() - pi_sqrt).abs() < 1e-12);
/// let m2: f64 = t.iter().zip(&w).map(|(t, w)| w * t * t).sum();
/// assert!((m2 - pi_sqrt / 2.0).abs() < 1e-12);
/// ```
pub fn gauss_hermite(n: usize) -> (Vec<f64>, Vec<f64>) {
    const PIM4: f64 = 0.751_125_544_464_942_5; // π^(−1/4)
    let mut x = vec![0.0; n];
    let mut w = vec![0.0; n];
    let nf = n as f64;
    let m = n.div_ceil(2);
    let mut z = 0.0f64;
    for i in 0..m {
        z = match i {
            0 => (2.0 * nf + 1.0).sqrt() - 1.855_75 * (2.0 * nf + 1.0).powf(-0.166_67),
            1 => z - 1.14 * nf.powf(0.426) / z,
            2 => 1.86 * z - 0.86 * x[0],
            3 => 1.91 * z - 0.91 * x[1],
            _ => 2.0 * z - x[i - 2],
        };
        let mut pp = 0.0;
        for _ in 0..100 {
            let mut p1 = PIM4;
            let mut p2 = 0.0;
            for j in 0..n {
                let p3 = p2;
                p2 = p1;
                let jf = j as f64;
                p1 = z * (2.0 / (jf + 1.0)).sqrt() * p2 - (jf / (jf + 1.0)).sqrt() * p3;
            }
            pp = (2.0 * nf).sqrt() * p2;
            let z1 = z;
            z = z1 - p1 / pp;
            if (z - z1).abs() <= 1e-15 {
                break;
            }
        }
        x[i] = z;
        x[n - 1 - i] = -z;
        w[i] = 2.0 / (pp * pp);
        w[n - 1 - i] = w[i];
    }
    if n % 2 == 1 {
        x[n / 2] = 0.0;
    }
    (x, w)
}

fn softplus(eta: f64) -> f64 {
    eta.max(0.0) + (-eta.abs()).exp().ln_1p()
}

fn expit(eta: f64) -> f64 {
    if eta >= 0.0 {
        1.0 / (1.0 + (-eta).exp())
    } else {
        let e = eta.exp();
        e / (1.0 + e)
    }
}

/// The data and quadrature rule of one fit.
struct Problem<'a> {
    x: &'a [f64],
    n: &'a [f64],
    lchoose: Vec<f64>,
    nodes: Vec<f64>,
    log_weights: Vec<f64>,
}

impl<'a> Problem<'a> {
    /// The problem of `x` events out of `n` with the `n_agq`-point rule.
    fn new(x: &'a [f64], n: &'a [f64], n_agq: usize) -> Self {
        let (nodes, weights) = gauss_hermite(n_agq);
        Problem {
            x,
            n,
            lchoose: lchoose(x, n),
            nodes,
            log_weights: weights.iter().map(|w| w.ln()).collect(),
        }
    }

    /// log L at (μ, τ); τ = 0 gives the common-effect binomial likelihood.
    fn loglik(&self, mu: f64, tau: f64) -> f64 {
        let mut total = 0.0;
        for i in 0..self.x.len() {
            let (x, n) = (self.x[i], self.n[i]);
            let lc = self.lchoose[i];
            if tau == 0.0 {
                total += lc + x * mu - n * softplus(mu);
                continue;
            }
            let t2 = tau * tau;
            let h = |b: f64| {
                lc + x * (mu + b)
                    - n * softplus(mu + b)
                    - b * b / (2.0 * t2)
                    - 0.5 * (2.0 * std::f64::consts::PI * t2).ln()
            };
            // Mode of h: g(b) = x − n·expit(μ + b) − b/τ² is decreasing, with
            // its root in [τ²(x − n), τ²x].
            let (mut lo, mut hi) = (t2 * (x - n), t2 * x);
            let mut b = 0.0f64.clamp(lo, hi);
            for _ in 0..200 {
                let p = expit(mu + b);
                let g = x - n * p - b / t2;
                if g > 0.0 {
                    lo = b;
                } else {
                    hi = b;
                }
                let d = -(n * p * (1.0 - p) + 1.0 / t2);
                let mut next = b - g / d;
                if !(next > lo && next < hi) {
                    next = 0.5 * (lo + hi);
                }
                let done = (next - b).abs() <= 1e-15 * (1.0 + b.abs())
                    || hi - lo <= 1e-15 * (1.0 + b.abs());
                b = next;
                if done {
                    break;
                }
            }
            let p = expit(mu + b);
            let sigma = 1.0 / (n * p * (1.0 - p) + 1.0 / t2).sqrt();
            let s2 = std::f64::consts::SQRT_2 * sigma;
            let terms: Vec<f64> = self
                .nodes
                .iter()
                .zip(&self.log_weights)
                .map(|(t, lw)| lw + h(b + s2 * t) + t * t)
                .collect();
            let m = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let lse = m + terms.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
            total += s2.ln() + lse;
        }
        total
    }
}

/// The log-likelihood of the binomial-normal model at (μ, τ²) by `n_agq`-point
/// adaptive Gauss–Hermite quadrature (with the binomial constants), the
/// function [`glmm_plo`] maximises. Counts are not validated here.
///
/// ```
/// use rema_core::glmm_loglik;
/// // At τ² = 0 the model is binomial: R sum(dbinom(xi, ni, plogis(-1.5), log = TRUE)).
/// let (xi, ni) = ([4.0, 6.0, 10.0, 2.0, 8.0], [40.0, 35.0, 50.0, 30.0, 45.0]);
/// assert!((glmm_loglik(&xi, &ni, -1.5, 0.0, 7) - -11.2430998532).abs() < 1e-9);
/// // At τ² > 0, against R's integrate() of dbinom(x, n, plogis(mu + b)) * dnorm(b, 0, tau):
/// let (xi, ni) = ([4.0, 15.0, 10.0, 2.0, 20.0], [40.0, 35.0, 50.0, 30.0, 45.0]);
/// let ll = glmm_loglik(&xi, &ni, -1.2787005395, 0.7464324318, 100);
/// assert!((ll - -15.7080001323).abs() < 1e-8);
/// ```
pub fn glmm_loglik(xi: &[f64], ni: &[f64], mu: f64, tau2: f64, n_agq: usize) -> f64 {
    Problem::new(xi, ni, n_agq.max(1)).loglik(mu, tau2.max(0.0).sqrt())
}

fn lchoose(xi: &[f64], ni: &[f64]) -> Vec<f64> {
    xi.iter()
        .zip(ni)
        .map(|(&x, &n)| ln_gamma(n + 1.0) - ln_gamma(x + 1.0) - ln_gamma(n - x + 1.0))
        .collect()
}

/// Negative log-likelihood in (μ, η = log τ).
fn objective(pr: &Problem, th: [f64; 2]) -> f64 {
    -pr.loglik(th[0], th[1].exp())
}

fn gradient(pr: &Problem, th: [f64; 2]) -> [f64; 2] {
    let mut g = [0.0; 2];
    for (j, gj) in g.iter_mut().enumerate() {
        let h = 1e-5 * th[j].abs().max(1.0);
        let mut a = th;
        let mut b = th;
        a[j] += h;
        b[j] -= h;
        *gj = (objective(pr, a) - objective(pr, b)) / (2.0 * h);
    }
    g
}

/// Central-difference Hessian of `f` at `th` with steps `h`.
fn hessian_at(f: &dyn Fn([f64; 2]) -> f64, th: [f64; 2], h: [f64; 2]) -> [[f64; 2]; 2] {
    let f0 = f(th);
    let mut hs = [[0.0; 2]; 2];
    for j in 0..2 {
        let mut a = th;
        let mut b = th;
        a[j] += h[j];
        b[j] -= h[j];
        hs[j][j] = (f(a) - 2.0 * f0 + f(b)) / (h[j] * h[j]);
    }
    let pp = f([th[0] + h[0], th[1] + h[1]]);
    let pm = f([th[0] + h[0], th[1] - h[1]]);
    let mp = f([th[0] - h[0], th[1] + h[1]]);
    let mm = f([th[0] - h[0], th[1] - h[1]]);
    hs[0][1] = (pp - pm - mp + mm) / (4.0 * h[0] * h[1]);
    hs[1][0] = hs[0][1];
    hs
}

/// Hessian with Richardson extrapolation: (4·H(h/2) − H(h))/3.
fn hessian_precise(f: &dyn Fn([f64; 2]) -> f64, th: [f64; 2], scale: [f64; 2]) -> [[f64; 2]; 2] {
    let h = [1e-2 * scale[0], 1e-2 * scale[1]];
    let a = hessian_at(f, th, h);
    let b = hessian_at(f, th, [h[0] / 2.0, h[1] / 2.0]);
    let mut out = [[0.0; 2]; 2];
    for i in 0..2 {
        for j in 0..2 {
            out[i][j] = (4.0 * b[i][j] - a[i][j]) / 3.0;
        }
    }
    out
}

/// Newton with line search from `start`; returns the optimum and iterations,
/// or `None` when the iteration runs to the boundary τ → 0.
fn newton(pr: &Problem, start: [f64; 2], max_iter: usize) -> Result<Option<([f64; 2], usize)>> {
    let mut th = start;
    let mut f = objective(pr, th);
    let eta_floor = (1e-6f64).ln();
    for it in 1..=max_iter {
        let g = gradient(pr, th);
        let obj = |t: [f64; 2]| objective(pr, t);
        let h = hessian_at(&obj, th, [1e-4 * th[0].abs().max(1.0), 1e-4]);
        let det = h[0][0] * h[1][1] - h[0][1] * h[1][0];
        let mut step = if h[0][0] > 0.0 && det > 0.0 {
            [
                -(h[1][1] * g[0] - h[0][1] * g[1]) / det,
                -(-h[1][0] * g[0] + h[0][0] * g[1]) / det,
            ]
        } else {
            [-g[0], -g[1]]
        };
        // Keep steps moderate on both scales.
        let big = (step[0].abs() / 5.0).max(step[1].abs() / 2.0);
        if big > 1.0 {
            step = [step[0] / big, step[1] / big];
        }
        let slope = g[0] * step[0] + g[1] * step[1];
        if slope >= 0.0 {
            // Not a descent direction: use the gradient.
            step = [-g[0], -g[1]];
        }
        let slope = g[0] * step[0] + g[1] * step[1];
        let mut alpha = 1.0;
        let mut accepted = None;
        for _ in 0..60 {
            let cand = [th[0] + alpha * step[0], th[1] + alpha * step[1]];
            let fc = objective(pr, cand);
            if fc.is_finite() && fc <= f + 1e-4 * alpha * slope {
                accepted = Some((cand, fc));
                break;
            }
            alpha /= 2.0;
        }
        let Some((cand, fc)) = accepted else {
            // No decrease possible along the direction: at the optimum to
            // within the accuracy of the derivatives.
            if g[0].abs().max(g[1].abs()) < 1e-5 {
                return Ok(Some((th, it)));
            }
            return Err(Error::NotConverged {
                method: "GLMM",
                iterations: it,
                detail: "the line search found no decrease of the deviance".to_string(),
            });
        };
        let moved = (cand[0] - th[0]).abs().max((cand[1] - th[1]).abs());
        let df = f - fc;
        th = cand;
        f = fc;
        if th[1] < eta_floor {
            return Ok(None);
        }
        if moved < 1e-10
            || (df.abs() < 1e-14 * (1.0 + f.abs()) && g[0].abs().max(g[1].abs()) < 1e-6)
        {
            return Ok(Some((th, it)));
        }
    }
    Err(Error::NotConverged {
        method: "GLMM",
        iterations: max_iter,
        detail: "Newton's method on (mu, log tau) did not settle".to_string(),
    })
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
    validate(xi, ni, vi, opts)?;
    let k = xi.len();
    let pr = Problem::new(xi, ni, opts.n_agq);
    let mut notes = Vec::new();
    let (mu, tau, se, iterations, loglik) = maximise(&pr, opts.max_iter, &mut notes)?;
    let tau2 = tau * tau;
    let crit = critical_value(opts.level, None);
    let stat = mu / se;
    let estimate = Coefficient {
        estimate: mu,
        se,
        stat,
        pval: 2.0 * crate::dist::norm_sf(stat.abs()),
        ci_lower: mu - crit * se,
        ci_upper: mu + crit * se,
    };
    let (vt, i2, h2) = i2_h2(vi, tau2);
    let het = heterogeneity_tests(xi, ni, &mut notes);
    Ok(GlmmFit {
        k,
        estimate,
        tau2,
        i2,
        h2,
        vt,
        loglik,
        qe_wald: Some(het.wald),
        qe_wald_pval: Some(het.wald_pval),
        qe_lrt: Some(het.lrt),
        qe_lrt_pval: Some(het.lrt_pval),
        qe_df: k - 1,
        iterations,
        notes,
    })
}

/// The checks of [`glmm_plo`]'s input: matching lengths, k ≥ 2, a level in
/// (0, 100), 1 to 100 quadrature points, counts within totals, positive
/// variances, and events that are neither all absent nor all present.
fn validate(xi: &[f64], ni: &[f64], vi: &[f64], opts: &GlmmOptions) -> Result<()> {
    let k = xi.len();
    if ni.len() != k || vi.len() != k {
        return Err(Error::LengthMismatch {
            what: format!(
                "{k} event counts, {} totals, {} variances",
                ni.len(),
                vi.len()
            ),
        });
    }
    if k == 0 {
        return Err(Error::NoStudies);
    }
    if k == 1 {
        // metafor: "Number of parameters to be estimated is larger than the
        // number of observations."
        return Err(Error::TooFewStudies {
            k,
            needed: 2,
            what: "the binomial-normal model (GLMM; it estimates mu and tau^2)",
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

/// The maximum-likelihood (μ̂, τ̂, SE of μ̂, Newton iterations, log L):
/// Newton's method from three starting values of τ, or the boundary τ = 0
/// when no interior maximum beats it (with a note).
fn maximise(
    pr: &Problem,
    max_iter: usize,
    notes: &mut Vec<String>,
) -> Result<(f64, f64, f64, usize, f64)> {
    // The boundary solution τ = 0 and the score for τ² there.
    let sx: f64 = pr.x.iter().sum();
    let sn: f64 = pr.n.iter().sum();
    let p_fe = sx / sn;
    let mu_fe = (p_fe / (1.0 - p_fe)).ln();
    let ll_fe = pr.loglik(mu_fe, 0.0);
    let score: f64 = 0.5
        * pr.x
            .iter()
            .zip(pr.n)
            .map(|(&x, &n)| (x - n * p_fe).powi(2) - n * p_fe * (1.0 - p_fe))
            .sum::<f64>();

    let mut best: Option<([f64; 2], usize, f64)> = None;
    let mut last_err = None;
    for tau0 in [1.0, 0.3, 3.0] {
        match newton(pr, [mu_fe, f64::ln(tau0)], max_iter) {
            Ok(Some((th, it))) => {
                let ll = -objective(pr, th);
                if best.is_none_or(|b| ll > b.2) {
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
    let interior = best.filter(|b| b.2 > ll_fe + 1e-12 && b.0[1].exp() > 1e-6);
    if interior.is_none() && score > 0.0 {
        if let Some(e) = last_err {
            return Err(e);
        }
    }
    match interior {
        Some((th, it, ll)) => {
            let obj = |t: [f64; 2]| objective(pr, t);
            let h = hessian_precise(&obj, th, [th[0].abs().max(1.0), 1.0]);
            let det = h[0][0] * h[1][1] - h[0][1] * h[1][0];
            if !(h[0][0] > 0.0 && det > 0.0) {
                return Err(Error::NotConverged {
                    method: "GLMM",
                    iterations: it,
                    detail: "the information matrix at the estimate is not positive definite"
                        .to_string(),
                });
            }
            Ok((th[0], th[1].exp(), (h[1][1] / det).sqrt(), it, ll))
        }
        None => {
            notes.push(
                "GLMM: the maximum likelihood estimate of tau^2 is at the boundary 0".to_string(),
            );
            let info = sn * p_fe * (1.0 - p_fe);
            Ok((mu_fe, 0.0, 1.0 / info.sqrt(), 0, ll_fe))
        }
    }
}

/// ṽ, I² (percent) and H² at τ² from the `escalc` variances (k ≥ 2).
fn i2_h2(vi: &[f64], tau2: f64) -> (f64, f64, f64) {
    let k = vi.len();
    let w: Vec<f64> = vi.iter().map(|v| 1.0 / v).collect();
    let sw: f64 = w.iter().sum();
    let sw2: f64 = w.iter().map(|w| w * w).sum();
    let vt = (k as f64 - 1.0) / (sw - sw2 / sw);
    let (i2, h2) = crate::tau2::kernel::i2_h2(true, tau2, f64::NAN, f64::NAN, vt);
    (vt, i2, h2)
}

/// The Wald and likelihood-ratio tests of heterogeneity of the fixed-effects
/// models, on k − 1 df.
struct HeterogeneityTests {
    wald: f64,
    wald_pval: f64,
    lrt: f64,
    lrt_pval: f64,
}

fn heterogeneity_tests(xi: &[f64], ni: &[f64], notes: &mut Vec<String>) -> HeterogeneityTests {
    let k = xi.len();
    let df = (k - 1) as f64;
    let sx: f64 = xi.iter().sum();
    let sn: f64 = ni.iter().sum();
    let p_fe = sx / sn;
    let xlogy = |x: f64, y: f64| if x == 0.0 { 0.0 } else { x * (x / y).ln() };
    let lrt: f64 = 2.0
        * xi.iter()
            .zip(ni)
            .map(|(&x, &n)| xlogy(x, n * p_fe) + xlogy(n - x, n * (1.0 - p_fe)))
            .sum::<f64>();
    let lrt = lrt.max(0.0);
    // Studies with 0 or nᵢ events have an infinite saturated coefficient
    // with infinite variance: they add nothing to the Wald statistic (the
    // limit metafor's glm() approaches).
    let inner: Vec<(f64, f64)> = xi
        .iter()
        .zip(ni)
        .filter(|(&x, &n)| x > 0.0 && x < n)
        .map(|(&x, &n)| ((x / (n - x)).ln(), 1.0 / (1.0 / x + 1.0 / (n - x))))
        .collect();
    let wald = if inner.is_empty() {
        0.0
    } else {
        let swt: f64 = inner.iter().map(|(_, w)| w).sum();
        let bar = inner.iter().map(|(t, w)| t * w).sum::<f64>() / swt;
        inner
            .iter()
            .map(|(t, w)| w * (t - bar).powi(2))
            .sum::<f64>()
            .max(0.0)
    };
    if inner.len() < k {
        notes.push(format!(
            "GLMM: {} studies with 0 events or only events add nothing to the Wald test of heterogeneity (their saturated-model coefficients are infinite), as in metafor; the likelihood-ratio test uses them",
            k - inner.len()
        ));
    }
    HeterogeneityTests {
        wald,
        wald_pval: crate::dist::chisq_sf(wald, df),
        lrt,
        lrt_pval: crate::dist::chisq_sf(lrt, df),
    }
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
}
