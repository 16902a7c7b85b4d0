//! Hunter–Schmidt estimator (Hunter & Schmidt 2004; Viechtbauer 2005):
//!
//! τ̂² = max(0, (Q − k) / Σwᵢ),  with wᵢ = 1/vᵢ and Q = y'Py.
//!
//! Matches metafor `rma.uni(method = "HS")`.

use super::kernel::{Kernel, Wls};

/// The raw (untruncated) estimate from the common-effect fit `fe` (with Σw).
#[inline]
pub(super) fn raw<K: Kernel>(k: &K, fe: &Wls<K::Extra>) -> f64 {
    (fe.rss - k.k() as f64) / fe.sw
}
