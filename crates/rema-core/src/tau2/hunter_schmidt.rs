//! Hunter–Schmidt estimator (Hunter & Schmidt 2004; Viechtbauer 2005):
//!
//! τ̂² = max(0, (Q − k) / Σwᵢ),  with wᵢ = 1/vᵢ and Q = y'Py.
//!
//! Matches metafor `rma.uni(method = "HS")`.

use super::{Method, Problem, Tau2Estimate};
use crate::error::Result;
use crate::wls::wls;

pub(super) fn estimate(pr: &Problem) -> Result<Tau2Estimate> {
    let w: Vec<f64> = pr.v.iter().map(|v| 1.0 / v).collect();
    let fit = wls(pr.y, pr.x, &w)?;
    let sw: f64 = w.iter().sum();
    Ok(Tau2Estimate::closed_form(
        (fit.rss - pr.k() as f64) / sw,
        Method::Hs,
    ))
}
