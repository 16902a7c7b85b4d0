//! Hedges (1983) estimator, the unweighted method of moments:
//!
//! τ̂² = max(0, (e'e − tr(PV)) / (k − p)),  with P = I − X(X'X)⁻¹X' and e the
//! ordinary least-squares residuals; tr(PV) = Σvᵢ − tr((X'X)⁻¹X'VX).
//!
//! Matches metafor `rma.uni(method = "HE")`; also the starting value of ML,
//! REML and EB there.

use super::kernel::{Failure, Kernel};

/// The raw (untruncated) HE estimate.
#[inline]
pub(super) fn raw<K: Kernel>(k: &mut K) -> Result<f64, Failure> {
    let (rss, tr_pv) = k.hedges().ok_or(Failure::RankDeficient)?;
    Ok((rss - tr_pv) / k.df())
}
