//! Every tolerance of the golden suites, by name.
//!
//! A case names the tolerance of each quantity it checks (or takes its
//! suite's default); nothing else in the harness compares two numbers. The
//! classes follow the kind of quantity, not the suite:
//!
//! | name | rule | for |
//! |---|---|---|
//! | `closed_form` | relative error ≤ 1e-6 | effect sizes, FE/DL/HE/HS/SJ fits, Q, formulas |
//! | `iterative` | relative error ≤ 1e-4 | ML/REML/EB/PM fits, Q-profile roots, the GLMM |
//! | `exact` | equal | counts, flags, names, degrees of freedom |
//! | `ratio_of_counts` | absolute error ≤ 1e-12 | exact permutation p-values (a count over a count) |
//! | `{"absolute": d}` | absolute error ≤ d | a value printed in a paper (d: half a unit, or the unit, of its last digit, as the case's `source` says), or an estimate that is zero up to optimiser noise, on the scale of its SE (the case's `note` says so) |
//! | `{"resampling": {"mcse": m, "mcse_at": p}}` | ∣rema − ref∣ ≤ 4·√(MCSE_rema² + m²) + 1e-9 | bootstrap means and interval bounds, compared by distribution; MCSE_rema is read at pointer `p` |
//! | `resampling_sd` | relative error ≤ 0.10 | the bootstrap standard deviation |
//!
//! The relative error is |got − expected| / |expected| with an absolute floor
//! of [`ABS_FLOOR`]: differences below it count as zero (metafor reports, for
//! example, 1e-17 where rema has 0).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Differences at or below this count as zero in the relative rules.
pub const ABS_FLOOR: f64 = 1e-10;

/// Relative tolerance of closed-form quantities.
pub const CLOSED_FORM: f64 = 1e-6;
/// Relative tolerance of iterated quantities (a root search or an optimiser).
pub const ITERATIVE: f64 = 1e-4;
/// Absolute tolerance of a ratio of counts.
pub const RATIO_OF_COUNTS: f64 = 1e-12;
/// Monte Carlo standard errors allowed between two resampling estimates.
pub const RESAMPLING_MCSES: f64 = 4.0;
/// Absolute slack added to the resampling rule (for a bound that is 0 on both sides).
pub const RESAMPLING_SLACK: f64 = 1e-9;
/// Relative tolerance of a bootstrap standard deviation.
pub const RESAMPLING_SD: f64 = 0.10;

/// How closely a rema value must match its reference.
///
/// ```
/// use rema_golden::tolerance::Tolerance;
/// let t: Tolerance = serde_json::from_str("\"iterative\"").unwrap();
/// assert_eq!(t, Tolerance::Iterative);
/// assert!(t.error(1.0, 1.00005, None).unwrap() <= 1.0);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tolerance {
    /// Relative error ≤ [`CLOSED_FORM`].
    ClosedForm,
    /// Relative error ≤ [`ITERATIVE`].
    Iterative,
    /// Identical values.
    Exact,
    /// Absolute error ≤ [`RATIO_OF_COUNTS`].
    RatioOfCounts,
    /// Absolute error ≤ the given bound: the precision of a printed value, or
    /// the scale on which a value near zero is compared.
    Absolute(f64),
    /// By distribution: ∣Δ∣ ≤ [`RESAMPLING_MCSES`]·√(MCSE_rema² + mcse²) + [`RESAMPLING_SLACK`].
    Resampling(Mcse),
    /// Relative error ≤ [`RESAMPLING_SD`].
    ResamplingSd,
}

/// The Monte Carlo standard errors of a resampling comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mcse {
    /// The reference's Monte Carlo standard error.
    pub mcse: f64,
    /// JSON pointer to rema's Monte Carlo standard error of the same quantity.
    pub mcse_at: String,
}

impl Tolerance {
    /// The error of `got` against `expected` in units of the tolerance: the
    /// comparison passes when it is at most 1. `mcse_got` is rema's Monte
    /// Carlo standard error, needed (only) by [`Tolerance::Resampling`];
    /// `None` if it is needed and missing.
    pub fn error(&self, expected: f64, got: f64, mcse_got: Option<f64>) -> Option<f64> {
        let d = (got - expected).abs();
        if got == expected {
            return Some(0.0);
        }
        Some(match self {
            Tolerance::ClosedForm => relative(expected, got) / CLOSED_FORM,
            Tolerance::Iterative => relative(expected, got) / ITERATIVE,
            Tolerance::Exact => f64::INFINITY,
            Tolerance::RatioOfCounts => d / RATIO_OF_COUNTS,
            Tolerance::Absolute(bound) => d / bound,
            Tolerance::Resampling(m) => {
                let tol = RESAMPLING_MCSES * (mcse_got?.powi(2) + m.mcse.powi(2)).sqrt()
                    + RESAMPLING_SLACK;
                d / tol
            }
            Tolerance::ResamplingSd => d / expected.abs().max(1e-12) / RESAMPLING_SD,
        })
        .map(|e| if e.is_nan() { f64::INFINITY } else { e })
    }

    /// The rema-side Monte Carlo standard error this rule reads, if any.
    pub fn mcse_pointer(&self) -> Option<&str> {
        match self {
            Tolerance::Resampling(m) => Some(&m.mcse_at),
            _ => None,
        }
    }

    /// Whether two non-numeric JSON values agree (strings, flags): always
    /// by equality, whatever the class.
    pub fn same(expected: &Value, got: &Value) -> bool {
        expected == got
    }
}

impl std::fmt::Display for Tolerance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tolerance::ClosedForm => write!(f, "closed_form (rel {CLOSED_FORM:e})"),
            Tolerance::Iterative => write!(f, "iterative (rel {ITERATIVE:e})"),
            Tolerance::Exact => write!(f, "exact"),
            Tolerance::RatioOfCounts => write!(f, "ratio_of_counts (abs {RATIO_OF_COUNTS:e})"),
            Tolerance::Absolute(d) => write!(f, "absolute ({d:e})"),
            Tolerance::Resampling(m) => write!(
                f,
                "resampling ({RESAMPLING_MCSES}·√(MCSE² + {:.3e}²), MCSE at {})",
                m.mcse, m.mcse_at
            ),
            Tolerance::ResamplingSd => write!(f, "resampling_sd (rel {RESAMPLING_SD})"),
        }
    }
}

/// |got − expected| / |expected|, zero below [`ABS_FLOOR`].
pub fn relative(expected: f64, got: f64) -> f64 {
    let d = (got - expected).abs();
    if d <= ABS_FLOOR {
        0.0
    } else {
        d / expected.abs().max(ABS_FLOOR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts, for each (rule, expected, got, within), whether `got` is
    /// within the rule of `expected`.
    #[track_caller]
    fn within(cases: &[(Tolerance, f64, f64, bool)]) {
        for (t, expected, got, within) in cases {
            let e = t.error(*expected, *got, None).unwrap();
            assert_eq!(e <= 1.0, *within, "{t:?}: {expected} vs {got}: {e}");
        }
    }

    #[test]
    fn relative_rules_have_their_bounds() {
        within(&[
            (Tolerance::ClosedForm, 2.0, 2.0 + 1.9e-6, true),
            (Tolerance::ClosedForm, 2.0, 2.0 + 2.1e-6, false),
            (Tolerance::Iterative, 2.0, 2.00019, true),
            (Tolerance::Iterative, 2.0, 2.00021, false),
            (Tolerance::ClosedForm, 0.0, 1e-9, false),
        ]);
        // Below the floor a difference is no difference.
        assert_eq!(Tolerance::ClosedForm.error(0.0, 1e-11, None), Some(0.0));
    }

    #[test]
    fn exact_and_absolute_rules() {
        assert_eq!(Tolerance::Exact.error(3.0, 3.0, None), Some(0.0));
        within(&[
            (Tolerance::Exact, 3.0, 3.0 + 1e-15, false),
            (Tolerance::RatioOfCounts, 0.5, 0.5 + 5e-13, true),
            (Tolerance::RatioOfCounts, 0.5, 0.5 + 2e-12, false),
            (Tolerance::Absolute(0.0005), 3.258, 3.2584, true),
            (Tolerance::Absolute(0.0005), 3.258, 3.2586, false),
        ]);
        assert_eq!(
            Tolerance::Iterative.error(1.0, f64::NAN, None),
            Some(f64::INFINITY)
        );
    }

    #[test]
    fn resampling_rule_needs_both_mcses() {
        let t = Tolerance::Resampling(Mcse {
            mcse: 0.003,
            mcse_at: "/x".into(),
        });
        // 4·√(0.004² + 0.003²) = 0.02.
        assert!(t.error(1.0, 1.0199, Some(0.004)).unwrap() <= 1.0);
        assert!(t.error(1.0, 1.0201, Some(0.004)).unwrap() > 1.0);
        assert_eq!(t.error(1.0, 1.01, None), None);
        within(&[
            (Tolerance::ResamplingSd, 0.2, 0.219, true),
            (Tolerance::ResamplingSd, 0.2, 0.221, false),
        ]);
    }

    #[test]
    fn names_parse_from_json() {
        let t: Tolerance = serde_json::from_str(r#"{"absolute": 0.005}"#).unwrap();
        assert_eq!(t, Tolerance::Absolute(0.005));
        let t: Tolerance =
            serde_json::from_str(r#"{"resampling": {"mcse": 0.1, "mcse_at": "/a"}}"#).unwrap();
        assert_eq!(t.mcse_pointer(), Some("/a"));
        assert!(serde_json::from_str::<Tolerance>("\"loose\"").is_err());
    }
}
