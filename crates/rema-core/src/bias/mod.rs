//! Tests and adjustments for small-study effects (funnel-plot asymmetry),
//! one module per method, each matching its metafor 3.8-1 function:
//! the regression tests (`regtest`: Egger's, Peters', with the limit
//! estimate; `egger` is its default), PET-PEESE (`pet_peese`, weighted least
//! squares as `regtest(model = "lm")`), Begg and Mazumdar's rank correlation
//! (`begg`, `ranktest`), trim-and-fill (`trimfill`, estimators L0, R0, Q0),
//! the fail-safe N (`fsn`), the test of excess significance (`tes`) and the
//! selection models (`selection`, `selmodel`).

/// A choice enum spelled as metafor spells the option's values: `ALL`,
/// `name()`, `Display` and a case-insensitive `FromStr` whose error lists the
/// names.
macro_rules! choice {
    ($(#[$m:meta])* $name:ident, $what:literal { $($(#[$vm:meta])* $var:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $var),+ }

        impl $name {
            /// Every value, in metafor's order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];

            /// metafor's name of the value.
            pub fn name(self) -> &'static str {
                match self { $($name::$var => $s),+ }
            }
        }

        display_by_name!($name);

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> std::result::Result<$name, String> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|c| c.name().eq_ignore_ascii_case(s.trim()))
                    .ok_or_else(|| {
                        let names: Vec<_> = $name::ALL.iter().map(|c| c.name()).collect();
                        format!("unknown {} `{s}`; expected one of {}", $what, names.join(", "))
                    })
            }
        }
    };
}

pub mod begg;
pub mod egger;
pub mod fsn;
pub mod pet_peese;
pub mod regtest;
pub mod selection;
pub mod tes;
pub mod trimfill;

pub use begg::{rank_correlation, RankTest};
pub use egger::{egger, EggerTest};
pub use fsn::{fail_safe_n, fail_safe_n_with, FailSafeN, FsnTest, FsnType};
pub use pet_peese::{pet_peese, PetPeese};
pub use regtest::{regtest, Predictor, RegModel, Regtest};
pub use selection::{selmodel, selmodel_with, Alternative, SelModel, SelOptions, SelPrec, SelType};
pub use tes::{tes, Tes, TesOptions, TesTest};
pub use trimfill::{trim_and_fill, trim_and_fill_with, Estimator, Side, TrimFill};
