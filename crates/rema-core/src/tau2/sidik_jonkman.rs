//! Sidik–Jonkman estimator (Sidik & Jonkman 2005):
//!
//! τ̂₀² = Σ(yᵢ − ȳ)²/k,  wᵢ = 1/(vᵢ + τ̂₀²),  τ̂² = τ̂₀² · y'Py / (k − p).
//!
//! Matches metafor `rma.uni(method = "SJ")`, including its starting value: the
//! variance of the effects about their unweighted mean, whatever the moderators.

use super::{Control, Method, Problem, Tau2Estimate};
use crate::error::Result;
use crate::wls::wls;

pub(super) fn estimate(pr: &Problem, control: &Control) -> Result<Tau2Estimate> {
    let k = pr.k() as f64;
    let tau0 = control.tau2_init.unwrap_or_else(|| {
        let mean = pr.y.iter().sum::<f64>() / k;
        pr.y.iter().map(|y| (y - mean) * (y - mean)).sum::<f64>() / k
    });
    if tau0 <= 0.0 {
        return Ok(Tau2Estimate::closed_form(0.0, Method::Sj));
    }
    let w: Vec<f64> = pr.v.iter().map(|v| 1.0 / (v + tau0)).collect();
    let fit = wls(pr.y, pr.x, &w)?;
    Ok(Tau2Estimate::closed_form(
        tau0 * fit.rss / pr.df(),
        Method::Sj,
    ))
}
