//! The sections of an rma.uni analysis, each built from the [`Prepared`]
//! studies and main fit and returning its part of the result (with the notes
//! it adds), so that the result is assembled once, in `analyze.rs`.
//!
//! - `intervals.rs`: the summary, its back-transformation, the Q-profile CI
//!   of τ² (`tau2_ci`) and the per-study effects;
//! - `sensitivity.rs`: leave-one-out, influence, cumulative;
//! - `heterogeneity.rs`: meta-regression (`mods`) and subgroups (`by`);
//! - `resampling.rs`: permutation tests and the bootstrap;
//! - `model.rs`: fit statistics, SE and profile-likelihood CI of τ², vcov,
//!   `newmods` predictions, fitted values, rstandard and BLUPs.
//! - `robust.rs`: cluster-robust tests of the coefficients (`robust`).
//!
//! [`Prepared`]: crate::prepare::Prepared

pub(crate) mod heterogeneity;
pub(crate) mod intervals;
pub(crate) mod model;
pub(crate) mod resampling;
pub(crate) mod robust;
pub(crate) mod sensitivity;
