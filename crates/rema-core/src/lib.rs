//! rema-core: the pure estimation engine of rema.
//!
//! It takes validated numbers and returns plain result structs. It does no
//! I/O, knows nothing of files, serde, clap or axum, and never panics on user
//! data: bad input is an [`Error`] naming the study and what would fix it.
//!
//! A model is fitted as metafor's `rma()` fits it: the data and the options
//! are checked once ([`Studies::new`], [`Level::new`]), and every follow-up
//! is a method of the fitted [`RmaFit`] ([`model`] lists them):
//!
//! ```
//! use rema_core::{Error, Level, Method, Rma, Studies, Test};
//! # fn main() -> Result<(), Error> {
//! # let (yi, vi) = ([-0.89, -1.59, -1.35, -1.44, -0.22], [0.33, 0.19, 0.42, 0.02, 0.05]);
//! let studies = Studies::new(&yi, &vi)?;
//! let fit = Rma::new(Method::Reml).test(Test::Knha).level(Level::new(95.0)?).fit(&studies)?;
//! let (average, tau2_ci, diagnostics) = (fit.predict()[0], fit.confint()?, fit.influence()?);
//! # assert!(average.ci_lower < average.pred && tau2_ci.tau2_lower <= fit.fit().tau2);
//! # assert_eq!(diagnostics.len(), 5);
//! # Ok(())
//! # }
//! ```
//!
//! With moderators, [`Rma::fit_mods`] takes the model matrix ([`Design`]),
//! and [`RmaFit::predict_new`] predicts at new moderator values. The free
//! functions the methods call ([`fit()`], [`fit_with_moderators`],
//! [`q_profile`], [`influence()`], [`leave_one_out()`], [`cumulative()`],
//! [`resample`]'s tests, [`bias`]'s tests) remain public.
//!
//! 2×2 tables are pooled from their counts, as metafor's `rma.mh` and
//! `rma.peto`, by [`MantelHaenszel`] and [`Peto`] on checked [`Tables`]
//! ([`pooling`]).

#![warn(missing_docs)]
#![warn(unreachable_pub)]

/// `Display` of choice enums that have a `name()`: the name, spelled as the
/// reference implementation spells the option's value.
macro_rules! display_by_name {
    ($($t:ty),+ $(,)?) => {
        $(impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        })+
    };
}

/// The spellings of a choice enum, written once: `name()` (the name the
/// option's value is written with; its doc comment given first), `Display`
/// by that name, and `FromStr` taking the name or an alias in any case, with
/// white space around it, and otherwise the message "unknown {what} `{s}`;
/// expected a, b or c".
macro_rules! choice_names {
    (
        $t:ident, $what:literal,
        $(#[$doc:meta])*
        { $($v:ident => $name:literal $(| $alias:literal)*),+ $(,)? }
    ) => {
        impl $t {
            $(#[$doc])*
            pub fn name(self) -> &'static str {
                match self {
                    $($t::$v => $name,)+
                }
            }
        }

        display_by_name!($t);

        impl std::str::FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> std::result::Result<$t, String> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($name $(| $alias)* => Ok($t::$v),)+
                    _ => Err(format!(
                        "unknown {} `{s}`; expected {}",
                        $what,
                        crate::error::or_list(&[$($name),+])
                    )),
                }
            }
        }
    };
}

pub mod audit;
pub mod batch;
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
pub mod model;
pub mod mv;
pub mod pooling;
pub mod profile;
pub mod resample;
pub mod robust;
mod roots;
pub mod subgroup;
pub mod supsmu;
pub mod tau2;
#[cfg(test)]
mod testdata;
pub mod transform;

pub use bias::{egger, rank_correlation, trim_and_fill, EggerTest, RankTest, Side, TrimFill};
pub use confint::{q_profile, HeterogeneityCi};
pub use cumulative::{cumulative, stable_order, CumulativeStep};
pub use effect::{
    compute as effect_sizes, AddTo, EffectOptions, EffectSizes, SmdCorrection, StudyData,
};
pub use error::{Error, Result};
pub use fit::{fit, fit_with_moderators, Coefficient, Fit, FitOptions, PiDist, Prediction, Test};
pub use glmm::{glmm_loglik, glmm_plo, glmm_plo_mods, GlmmFit, GlmmOptions};
pub use influence::{influence, StudyInfluence};
pub use leave_one_out::{leave_one_out, LeaveOneOut, LeaveOneOutFit, PooledSummary};
pub use linalg::Design;
pub use measure::{BackTransform, DataKind, Measure};
pub use model::{
    Blup, FitStats, Level, Resampling, ResamplingKind, Rma, RmaFit, StandardizedResidual, Studies,
    TransformedPrediction,
};
pub use pooling::{MantelHaenszel, MhFit, Peto, PetoFit, Tables, TablesFit};
pub use resample::permci::PermutationCi;
pub use resample::permutation::PermutationStat;
pub use tau2::{Control, Method};
