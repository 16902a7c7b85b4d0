//! rema-core: the pure estimation engine of rema.
//!
//! It takes validated numbers and returns plain result structs. It does no
//! I/O, knows nothing of files, serde, clap or axum, and never panics on user
//! data: bad input is an [`Error`] naming the study and what would fix it.
//!
//! ```
//! use rema_core::{fit, FitOptions, Method};
//! // Effects and sampling variances of three studies.
//! let yi = [0.1, 0.3, 0.35];
//! let vi = [0.01, 0.02, 0.015];
//! let res = fit(&yi, &vi, &FitOptions::new(Method::Dl)).unwrap();
//! assert!(res.estimate().ci_lower < res.estimate().estimate);
//! ```

pub mod audit;
pub mod bias;
pub mod confint;
pub mod convert;
pub mod cumulative;
pub mod dist;
pub mod effect;
mod error;
pub mod fit;
pub mod glmm;
pub mod influence;
pub mod leave_one_out;
pub mod linalg;
pub mod measure;
pub mod resample;
mod roots;
pub mod subgroup;
pub mod tau2;
pub mod transform;

pub use bias::{egger, rank_correlation, trim_and_fill, EggerTest, RankTest, Side, TrimFill};
pub use confint::{q_profile, HeterogeneityCi};
pub use cumulative::{cumulative, stable_order, CumulativeStep};
pub use effect::{compute as effect_sizes, AddTo, EffectOptions, EffectSizes, StudyData};
pub use error::{Error, Result};
pub use fit::{fit, fit_with_moderators, Coefficient, Fit, FitOptions, Prediction, Test};
pub use glmm::{glmm_loglik, glmm_plo, GlmmFit, GlmmOptions};
pub use influence::{influence, StudyInfluence};
pub use leave_one_out::{leave_one_out, LeaveOneOut, PooledSummary};
pub use linalg::Design;
pub use measure::{BackTransform, DataKind, Measure};
pub use tau2::{Control, Method};
