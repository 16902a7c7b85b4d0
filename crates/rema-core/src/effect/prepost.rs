//! A single group measured twice: raw and standardised mean change.
//!
//! Matches metafor `escalc(measure = "MC" | "SMCC" | "SMCR")`, `vtype = "LS"`,
//! with the change m₁ᵢ − m₂ᵢ (post − pre) and mᵢ = nᵢ − 1:
//! - MC: yᵢ = m₁ᵢ − m₂ᵢ, vᵢ = (sd₁ᵢ² + sd₂ᵢ² − 2rᵢsd₁ᵢsd₂ᵢ)/nᵢ;
//! - SMCC (Gibbons et al. 1993): sdᵢ of the change = √(sd₁ᵢ² + sd₂ᵢ² − 2rᵢsd₁ᵢsd₂ᵢ),
//!   yᵢ = c(mᵢ)(m₁ᵢ − m₂ᵢ)/sdᵢ, vᵢ = 1/nᵢ + yᵢ²/(2nᵢ);
//! - SMCR (Becker 1988): yᵢ = c(mᵢ)(m₁ᵢ − m₂ᵢ)/sd₁ᵢ, vᵢ = 2(1 − rᵢ)/nᵢ + yᵢ²/(2nᵢ).

use super::continuous::hedges_correction;
use super::{check, EffectSizes, PrePostStudy};
use crate::error::{Error, Result};
use crate::measure::Measure;

pub(super) fn compute(measure: Measure, studies: &[PrePostStudy]) -> Result<EffectSizes> {
    let mut yi = Vec::with_capacity(studies.len());
    let mut vi = Vec::with_capacity(studies.len());
    for (i, s) in studies.iter().enumerate() {
        check(i, "m1i", s.m1, true, "a mean must be a finite number")?;
        check(i, "m2i", s.m2, true, "a mean must be a finite number")?;
        check(
            i,
            "sd1i",
            s.sd1,
            s.sd1 > 0.0,
            "an SD must be a finite number > 0",
        )?;
        check(i, "ni", s.n, s.n >= 2.0, "a pre/post study needs ni >= 2")?;
        check(
            i,
            "ri",
            s.r,
            (-1.0..=1.0).contains(&s.r),
            "a correlation must lie in [-1, 1]",
        )?;
        let sd2 = match (measure, s.sd2) {
            (Measure::Smcr, _) => f64::NAN,
            (_, Some(sd2)) => {
                check(
                    i,
                    "sd2i",
                    sd2,
                    sd2 > 0.0,
                    "an SD must be a finite number > 0",
                )?;
                sd2
            }
            (_, None) => {
                return Err(Error::InvalidValue {
                    study: i,
                    column: "sd2i",
                    value: f64::NAN,
                    allowed: "MC and SMCC need both SDs",
                })
            }
        };
        let diff = s.m1 - s.m2;
        let c = hedges_correction(s.n - 1.0);
        match measure {
            Measure::Mc => {
                yi.push(diff);
                vi.push((s.sd1 * s.sd1 + sd2 * sd2 - 2.0 * s.r * s.sd1 * sd2) / s.n);
            }
            Measure::Smcc => {
                let sdd2 = s.sd1 * s.sd1 + sd2 * sd2 - 2.0 * s.r * s.sd1 * sd2;
                check(
                    i,
                    "ri",
                    s.r,
                    sdd2 > 0.0,
                    "the SD of the change is zero: identical SDs with r = 1",
                )?;
                let y = c * diff / sdd2.sqrt();
                yi.push(y);
                vi.push(1.0 / s.n + y * y / (2.0 * s.n));
            }
            Measure::Smcr => {
                let y = c * diff / s.sd1;
                yi.push(y);
                vi.push(2.0 * (1.0 - s.r) / s.n + y * y / (2.0 * s.n));
            }
            _ => unreachable!("prepost::compute called with {measure}"),
        }
    }
    let ni = studies.iter().map(|s| s.n).collect();
    Ok(EffectSizes::plain(measure, yi, vi, ni))
}
