//! Sidik–Jonkman estimator (Sidik & Jonkman 2005):
//!
//! τ̂₀² = Σ(yᵢ − ȳ)²/k,  wᵢ = 1/(vᵢ + τ̂₀²),  τ̂² = τ̂₀² · y'Py / (k − p).
//!
//! Matches metafor `rma.uni(method = "SJ")`, including its starting value: the
//! variance of the effects about their unweighted mean, whatever the moderators.

use super::kernel::{Estimate, Failure, Kernel, Need};
use super::{Control, Method};

pub(super) fn estimate<K: Kernel>(
    k: &mut K,
    control: &Control,
) -> Result<Estimate<K::Extra>, Failure> {
    let tau0 = control.tau2_init.unwrap_or_else(|| {
        let y = k.y();
        let n = y.len() as f64;
        let mean = y.iter().sum::<f64>() / n;
        y.iter().map(|y| (y - mean) * (y - mean)).sum::<f64>() / n
    });
    if tau0 <= 0.0 {
        return Ok(Estimate::closed_form(Method::Sj, 0.0));
    }
    let fit = k.wls(tau0, Need::NONE).ok_or(Failure::RankDeficient)?;
    Ok(Estimate::closed_form(Method::Sj, tau0 * fit.rss / k.df()))
}
