//! Incidence rates: events over person-time, in two groups or one.
//!
//! Matches metafor 3.8-1 `escalc` with the default `add = 1/2, to = "only0"`
//! (`add = 0` for IRSD, IRS and IRFT, which are finite at zero), added to the
//! event counts of a study with a zero count; irᵢ = xᵢ/tᵢ:
//! - IRR: yᵢ = ln ir₁ᵢ − ln ir₂ᵢ, vᵢ = 1/x₁ᵢ + 1/x₂ᵢ;
//! - IRD: yᵢ = ir₁ᵢ − ir₂ᵢ, vᵢ = ir₁ᵢ/t₁ᵢ + ir₂ᵢ/t₂ᵢ;
//! - IRSD: yᵢ = √ir₁ᵢ − √ir₂ᵢ, vᵢ = 1/(4t₁ᵢ) + 1/(4t₂ᵢ);
//! - IR: yᵢ = irᵢ, vᵢ = irᵢ/tᵢ; IRLN: yᵢ = ln irᵢ, vᵢ = 1/xᵢ;
//! - IRS: yᵢ = √irᵢ, vᵢ = 1/(4tᵢ); IRFT: yᵢ = ½(√irᵢ + √(irᵢ + 1/tᵢ)),
//!   vᵢ = 1/(4tᵢ) (Freeman & Tukey 1950).

use super::{check, corrected_effects, AddTo, EffectSizes, RateStudy, TwoRateStudy};
use crate::error::Result;
use crate::measure::Measure;

const COUNT: &str = "an event count must be a finite number >= 0";
const TIME: &str = "a person-time must be a finite number > 0";

pub(super) fn two_groups(
    measure: Measure,
    studies: &[TwoRateStudy],
    add: f64,
    to: AddTo,
) -> Result<EffectSizes> {
    for (i, s) in studies.iter().enumerate() {
        check(i, "x1i", s.x1, s.x1 >= 0.0, COUNT)?;
        check(i, "x2i", s.x2, s.x2 >= 0.0, COUNT)?;
        check(i, "t1i", s.t1, s.t1 > 0.0, TIME)?;
        check(i, "t2i", s.t2, s.t2 > 0.0, TIME)?;
    }
    Ok(corrected_effects(
        measure,
        studies,
        (add, to),
        |s| s.x1 == 0.0 || s.x2 == 0.0,
        |s| s.t1 + s.t2,
        |s, a| {
            let (x1, x2) = (s.x1 + a, s.x2 + a);
            let (r1, r2) = (x1 / s.t1, x2 / s.t2);
            match measure {
                Measure::Irr => (r1.ln() - r2.ln(), 1.0 / x1 + 1.0 / x2),
                Measure::Ird => (r1 - r2, r1 / s.t1 + r2 / s.t2),
                Measure::Irsd => (r1.sqrt() - r2.sqrt(), 0.25 / s.t1 + 0.25 / s.t2),
                _ => unreachable!("rate::two_groups called with {measure}"),
            }
        },
    ))
}

pub(super) fn one_group(
    measure: Measure,
    studies: &[RateStudy],
    add: f64,
    to: AddTo,
) -> Result<EffectSizes> {
    for (i, s) in studies.iter().enumerate() {
        check(i, "xi", s.x, s.x >= 0.0, COUNT)?;
        check(i, "ti", s.t, s.t > 0.0, TIME)?;
    }
    Ok(corrected_effects(
        measure,
        studies,
        (add, to),
        |s| s.x == 0.0,
        |s| s.t,
        |s, a| {
            let x = s.x + a;
            let r = x / s.t;
            match measure {
                Measure::Ir => (r, r / s.t),
                Measure::Irln => (r.ln(), 1.0 / x),
                Measure::Irs => (r.sqrt(), 0.25 / s.t),
                Measure::Irft => (0.5 * (r.sqrt() + (r + 1.0 / s.t).sqrt()), 0.25 / s.t),
                _ => unreachable!("rate::one_group called with {measure}"),
            }
        },
    ))
}
