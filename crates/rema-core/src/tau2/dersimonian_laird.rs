//! DerSimonian–Laird estimator (DerSimonian & Laird 1986; meta-regression form
//! of Raudenbush 2009):
//!
//! τ̂² = max(0, (Q − (k − p)) / tr(P)),  with wᵢ = 1/vᵢ, Q = y'Py.
//!
//! Matches metafor `rma.uni(method = "DL")`.

use super::kernel::{Kernel, Wls};

/// The raw (untruncated) estimate from the common-effect fit `fe` (with tr P).
#[inline]
pub(super) fn raw<K: Kernel>(k: &K, fe: &Wls<K::Extra>) -> f64 {
    (fe.rss - k.df()) / fe.tr_p
}
