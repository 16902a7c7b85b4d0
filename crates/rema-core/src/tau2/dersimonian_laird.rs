//! DerSimonian–Laird estimator (DerSimonian & Laird 1986; meta-regression form
//! of Raudenbush 2009):
//!
//! τ̂² = max(0, (Q − (k − p)) / tr(P)),  with wᵢ = 1/vᵢ, Q = y'Py.
//!
//! Matches metafor `rma.uni(method = "DL")`.

use super::{Method, Problem, Tau2Estimate};
use crate::error::Result;
use crate::wls::{trace_p, wls};

pub(super) fn estimate(pr: &Problem) -> Result<Tau2Estimate> {
    let w: Vec<f64> = pr.v.iter().map(|v| 1.0 / v).collect();
    let fit = wls(pr.y, pr.x, &w)?;
    let tr = trace_p(pr.x, &w, &fit.a);
    Ok(Tau2Estimate::closed_form(
        (fit.rss - pr.df()) / tr,
        Method::Dl,
    ))
}
