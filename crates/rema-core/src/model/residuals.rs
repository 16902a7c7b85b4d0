//! Per-study values of a fitted rma.uni model: fitted values (metafor
//! `fitted(res)`), standardised residuals (`rstandard(res)`) and best
//! linear unbiased predictions of the true effects (`blup(res)`).
//!
//! With A = (X'WX)⁻¹ (wᵢ = 1/(vᵢ + τ̂²), unscaled) and Var(β̂) the fit's
//! `vb` (scaled by s²_w under Knapp–Hartung):
//! - fitted value ŷᵢ = xᵢ'β̂;
//! - marginal residual eᵢ = yᵢ − xᵢ'β̂ (0 below 100ε, as metafor), its SE
//!   √(vᵢ + τ̂² − xᵢ'Axᵢ) (the diagonal of (I − H)M(I − H)', H the hat
//!   matrix, M = diag(vᵢ + τ̂²)), and zᵢ = eᵢ/SE (metafor 3.8-1
//!   `rstandard.rma.uni`, type "marginal");
//! - BLUP (Raudenbush & Bryk 1985): λᵢ = τ̂²/(τ̂² + vᵢ), θ̂ᵢ = λᵢyᵢ + (1 −
//!   λᵢ)xᵢ'β̂, Var = λᵢvᵢ + (1 − λᵢ)²xᵢ'Var(β̂)xᵢ, interval θ̂ᵢ ± c·SE with c
//!   the normal quantile (t(k − p) under Knapp–Hartung), as `blup.rma.uni`.

use crate::fit::critical_value;
use crate::linalg::weighted_crossprod;

use super::RmaFit;

/// A study's standardised residual (metafor `rstandard(res)`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StandardizedResidual {
    /// The residual yᵢ − xᵢ'β̂ (`resid`).
    pub resid: f64,
    /// Its standard error (`se`).
    pub se: f64,
    /// The standardised residual (`z`).
    pub z: f64,
}

/// A study's best linear unbiased prediction of its true effect (metafor
/// `blup(res)`), on the analysis scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Blup {
    /// The prediction (`pred`).
    pub pred: f64,
    /// Its standard error (`se`).
    pub se: f64,
    /// Lower bound of the prediction interval (`pi.lb`).
    pub pi_lower: f64,
    /// Upper bound (`pi.ub`).
    pub pi_upper: f64,
}

impl RmaFit {
    fn linear_predictor(&self, i: usize) -> f64 {
        self.x
            .row(i)
            .iter()
            .zip(&self.fit.coefficients)
            .map(|(x, c)| x * c.estimate)
            .sum()
    }

    /// xᵢ'·M·xᵢ for row i of the design and a p × p matrix `m` given by `get`.
    fn quadratic(&self, i: usize, get: impl Fn(usize, usize) -> f64) -> f64 {
        let r = self.x.row(i);
        let mut s = 0.0;
        for (a, xa) in r.iter().enumerate() {
            for (b, xb) in r.iter().enumerate() {
                s += xa * get(a, b) * xb;
            }
        }
        s
    }

    /// metafor `fitted(res)`: xᵢ'β̂ for each study.
    ///
    /// ```
    /// use rema_core::{Error, Method, Rma, Studies};
    /// let fit = Rma::new(Method::Dl).fit(&Studies::new(&[0.1, 0.3, 0.35], &[0.01, 0.02, 0.015])?)?;
    /// assert_eq!(fit.fitted(), vec![fit.fit().estimate().estimate; 3]);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn fitted(&self) -> Vec<f64> {
        (0..self.x.rows())
            .map(|i| self.linear_predictor(i))
            .collect()
    }

    /// metafor `rstandard(res)`: each study's marginal residual, its SE and
    /// the standardised residual (see the module's documentation).
    ///
    /// ```
    /// use rema_core::{Error, Method, Rma, Studies};
    /// let fit = Rma::new(Method::Fe).fit(&Studies::new(&[0.0, 1.0], &[1.0, 1.0])?)?;
    /// let r = fit.rstandard();
    /// // e = -0.5 with SE sqrt(1 - 1/2).
    /// assert!((r[0].resid + 0.5).abs() < 1e-15 && (r[0].z + 0.5 / 0.5f64.sqrt()).abs() < 1e-12);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn rstandard(&self) -> Vec<StandardizedResidual> {
        let tau2 = self.fit.tau2;
        let w: Vec<f64> = self.vi().iter().map(|v| 1.0 / (v + tau2)).collect();
        let a = weighted_crossprod(&self.x, &w).cholesky_inverse();
        (0..self.x.rows())
            .map(|i| {
                let mut resid = self.yi()[i] - self.linear_predictor(i);
                if resid.abs() < 100.0 * f64::EPSILON {
                    resid = 0.0;
                }
                let se = match &a {
                    Some(a) => (self.vi()[i] + tau2 - self.quadratic(i, |r, c| a.get(r, c)))
                        .max(0.0)
                        .sqrt(),
                    None => f64::NAN,
                };
                StandardizedResidual {
                    resid,
                    se,
                    z: resid / se,
                }
            })
            .collect()
    }

    /// metafor `blup(res)`: each study's predicted true effect with its SE
    /// and prediction interval (see the module's documentation).
    ///
    /// ```
    /// use rema_core::{Error, Method, Rma, Studies};
    /// let fit = Rma::new(Method::Fe).fit(&Studies::new(&[0.1, 0.3, 0.35], &[0.01, 0.02, 0.015])?)?;
    /// // Without heterogeneity every study is shrunk to the pooled estimate.
    /// let b = fit.blup();
    /// assert!(b.iter().all(|b| (b.pred - fit.fit().estimate().estimate).abs() < 1e-15));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn blup(&self) -> Vec<Blup> {
        let tau2 = self.fit.tau2;
        let crit = critical_value(self.fit.options.level, self.fit.df);
        (0..self.x.rows())
            .map(|i| {
                let v = self.vi()[i];
                let l = tau2 / (tau2 + v);
                let pred = l * self.yi()[i] + (1.0 - l) * self.linear_predictor(i);
                let var =
                    l * v + (1.0 - l).powi(2) * self.quadratic(i, |r, c| self.fit.vb.get(r, c));
                let se = var.sqrt();
                Blup {
                    pred,
                    se,
                    pi_lower: pred - crit * se,
                    pi_upper: pred + crit * se,
                }
            })
            .collect()
    }
}
