//! Hedges (1983) estimator, the unweighted method of moments:
//!
//! τ̂² = max(0, (e'e − tr(PV)) / (k − p)),  with P = I − X(X'X)⁻¹X' and e the
//! ordinary least-squares residuals; tr(PV) = Σvᵢ − tr((X'X)⁻¹X'VX).
//!
//! Matches metafor `rma.uni(method = "HE")`; also the starting value of ML,
//! REML and EB there.

use super::{Method, Problem, Tau2Estimate};
use crate::error::Result;
use crate::linalg::weighted_crossprod;
use crate::wls::wls;

/// The raw (untruncated) HE estimate.
pub(super) fn raw(pr: &Problem) -> Result<f64> {
    let ones = vec![1.0; pr.k()];
    let ols = wls(pr.y, pr.x, &ones)?;
    let tr_pv = pr.v.iter().sum::<f64>() - ols.a.trace_product(&weighted_crossprod(pr.x, pr.v));
    Ok((ols.rss - tr_pv) / pr.df())
}

pub(super) fn estimate(pr: &Problem) -> Result<Tau2Estimate> {
    Ok(Tau2Estimate::closed_form(raw(pr)?, Method::He))
}
