//! Predictions of a multilevel model at new moderator values (metafor
//! 3.8-1 `predict.rma.mv(res, newmods = x)`).
//!
//! At a row x of the model matrix: the prediction x'β̂ with variance
//! x'Var(β̂)x, its confidence interval x'β̂ ± c·SE, and, for models of
//! random intercepts, the prediction interval of a new effect
//! x'β̂ ± c·√(SE² + Σₜσ²ₜ) (metafor's `pi.lb`, `pi.ub` when the model has
//! no `tau2`/`gamma2` structures), with c the z quantile, or t(k − p)'s
//! under `test = "t"`.

use crate::error::{Error, Result};
use crate::fit::critical_value;

use super::MvFit;

/// One prediction of a multilevel model (metafor `predict.rma.mv`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MvPrediction {
    /// x'β̂ (`pred`).
    pub pred: f64,
    /// √(x'Var(β̂)x) (`se`).
    pub se: f64,
    /// The lower confidence bound (`ci.lb`).
    pub ci_lower: f64,
    /// The upper confidence bound (`ci.ub`).
    pub ci_upper: f64,
    /// The lower bound of the prediction interval of a new effect (`pi.lb`).
    pub pi_lower: f64,
    /// Its upper bound (`pi.ub`).
    pub pi_upper: f64,
}

impl MvFit {
    /// The prediction at the row `x` of the model matrix (intercept first,
    /// p values; metafor `predict(res, newmods = ...)` with the intercept
    /// column added).
    ///
    /// ```
    /// use rema_core::mv::{rma_mv, MvData, MvOptions, RandomTerm};
    /// use rema_core::Design;
    /// # fn main() -> Result<(), rema_core::Error> {
    /// let yi = [0.1, 0.3, 0.2, 0.6, 0.5, 0.7, -0.1, 0.0];
    /// let study = RandomTerm::from_labels("study", &["a", "a", "b", "b", "c", "c", "d", "d"]);
    /// let data = MvData::new(&yi, &[0.02; 8], Design::intercept(8), vec![study])?;
    /// let fit = rma_mv(&data, &MvOptions::default())?;
    /// let p = fit.predict(&[1.0])?;
    /// assert_eq!(p.pred, fit.coefficients[0].estimate);
    /// assert!(p.pi_upper - p.pi_lower > p.ci_upper - p.ci_lower);
    /// # Ok(())
    /// # }
    /// ```
    pub fn predict(&self, x: &[f64]) -> Result<MvPrediction> {
        let p = self.p;
        if x.len() != p || x.iter().any(|v| !v.is_finite()) {
            return Err(Error::InvalidOption {
                option: "newmods",
                message: format!(
                    "a row of the model matrix needs {p} finite values (intercept first), not {}",
                    x.len()
                ),
            });
        }
        let pred: f64 = x
            .iter()
            .zip(&self.coefficients)
            .map(|(x, c)| x * c.estimate)
            .sum();
        let var: f64 = (0..p)
            .map(|a| (0..p).map(|b| x[a] * self.vb.get(a, b) * x[b]).sum::<f64>())
            .sum();
        let se = var.max(0.0).sqrt();
        let crit = critical_value(self.options.level, self.df);
        let total: f64 = self.components.iter().map(|c| c.sigma2).sum();
        let pse = (se * se + total).sqrt();
        Ok(MvPrediction {
            pred,
            se,
            ci_lower: pred - crit * se,
            ci_upper: pred + crit * se,
            pi_lower: pred - crit * pse,
            pi_upper: pred + crit * pse,
        })
    }
}
