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

pub mod confint;
pub mod effect;
mod error;
pub mod fit;
pub mod linalg;
pub mod measure;
pub mod resample;
mod roots;
pub mod subgroup;
pub mod tau2;
pub mod transform;
mod wls;

pub use confint::{q_profile, HeterogeneityCi};
pub use effect::{compute as effect_sizes, AddTo, EffectOptions, EffectSizes, StudyData};
pub use error::{Error, Result};
pub use fit::{fit, fit_with_moderators, Coefficient, Fit, FitOptions, Prediction, Test};
pub use linalg::Design;
pub use measure::{BackTransform, DataKind, Measure};
pub use tau2::{Control, Method};
