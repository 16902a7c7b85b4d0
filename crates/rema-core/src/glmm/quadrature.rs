//! The marginal log-likelihood of the binomial-normal model by adaptive
//! Gauss–Hermite quadrature (Liu & Pierce 1994; Pinheiro & Bates 1995), the
//! quantity lme4's `glmer(nAGQ = Q)` maximises for a scalar random effect.
//!
//! Study i with linear predictor ηᵢ = xᵢ'β has
//! hᵢ(b) = log C(nᵢ, xᵢ) + xᵢ(ηᵢ + b) − nᵢ log(1 + e^{ηᵢ+b}) − b²/(2τ²) − ½ log(2πτ²);
//! with the mode b̂ᵢ of hᵢ (safeguarded Newton) and
//! σ̂ᵢ = (nᵢp̂ᵢ(1 − p̂ᵢ) + 1/τ²)^{−1/2},
//! Lᵢ ≈ √2 σ̂ᵢ Σⱼ wⱼ exp(hᵢ(b̂ᵢ + √2 σ̂ᵢ tⱼ) + tⱼ²) over the Q-point rule
//! (tⱼ, wⱼ) for the weight e^{−t²}. At τ = 0 the model is the logistic
//! regression of the counts on X.

use statrs::function::gamma::ln_gamma;

use crate::linalg::Design;

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

/// log(1 + e^η) without overflow.
pub(super) fn softplus(eta: f64) -> f64 {
    eta.max(0.0) + (-eta.abs()).exp().ln_1p()
}

/// The logistic function 1/(1 + e^{−η}).
pub(super) fn expit(eta: f64) -> f64 {
    if eta >= 0.0 {
        1.0 / (1.0 + (-eta).exp())
    } else {
        let e = eta.exp();
        e / (1.0 + e)
    }
}

/// The data, the design and the quadrature rule of one fit.
pub(super) struct Problem<'a> {
    pub(super) x: &'a [f64],
    pub(super) n: &'a [f64],
    pub(super) design: &'a Design,
    lchoose: Vec<f64>,
    nodes: Vec<f64>,
    log_weights: Vec<f64>,
}

impl<'a> Problem<'a> {
    /// The problem of `x` events out of `n`, design `design`, with the
    /// `n_agq`-point rule.
    pub(super) fn new(x: &'a [f64], n: &'a [f64], design: &'a Design, n_agq: usize) -> Self {
        let (nodes, weights) = gauss_hermite(n_agq);
        Problem {
            x,
            n,
            design,
            lchoose: lchoose(x, n),
            nodes,
            log_weights: weights.iter().map(|w| w.ln()).collect(),
        }
    }

    /// The number of coefficients.
    pub(super) fn p(&self) -> usize {
        self.design.cols()
    }

    /// The linear predictor xᵢ'β of study i.
    pub(super) fn eta(&self, i: usize, beta: &[f64]) -> f64 {
        self.design
            .row(i)
            .iter()
            .zip(beta)
            .map(|(x, b)| x * b)
            .sum()
    }

    /// log L at (β, τ); τ = 0 gives the logistic-regression likelihood.
    pub(super) fn loglik(&self, beta: &[f64], tau: f64) -> f64 {
        let mut total = 0.0;
        for i in 0..self.x.len() {
            let (x, n) = (self.x[i], self.n[i]);
            let lc = self.lchoose[i];
            let mu = self.eta(i, beta);
            if tau == 0.0 {
                total += lc + x * mu - n * softplus(mu);
                continue;
            }
            total += self.study_loglik(lc, x, n, mu, tau);
        }
        total
    }

    /// log Lᵢ of one study with linear predictor `mu`, at τ > 0.
    fn study_loglik(&self, lc: f64, x: f64, n: f64, mu: f64, tau: f64) -> f64 {
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
            let done =
                (next - b).abs() <= 1e-15 * (1.0 + b.abs()) || hi - lo <= 1e-15 * (1.0 + b.abs());
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
        s2.ln() + lse
    }
}

/// The log-likelihood of the binomial-normal model at (μ, τ²) by `n_agq`-point
/// adaptive Gauss–Hermite quadrature (with the binomial constants), the
/// function [`super::glmm_plo`] maximises. Counts are not validated here.
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
    let design = Design::intercept(xi.len());
    Problem::new(xi, ni, &design, n_agq.max(1)).loglik(&[mu], tau2.max(0.0).sqrt())
}

fn lchoose(xi: &[f64], ni: &[f64]) -> Vec<f64> {
    xi.iter()
        .zip(ni)
        .map(|(&x, &n)| ln_gamma(n + 1.0) - ln_gamma(x + 1.0) - ln_gamma(n - x + 1.0))
        .collect()
}
