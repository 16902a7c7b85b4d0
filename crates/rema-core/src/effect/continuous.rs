//! Two independent groups with means and SDs: raw and standardised mean difference.
//!
//! Matches metafor `escalc(measure = "MD" | "SMD")` with `vtype = "LS"`:
//! - MD: yᵢ = m₁ᵢ − m₂ᵢ, vᵢ = sd₁ᵢ²/n₁ᵢ + sd₂ᵢ²/n₂ᵢ (no equal-variance assumption);
//! - SMD: Hedges' g, yᵢ = c(mᵢ)·(m₁ᵢ − m₂ᵢ)/sᵢ with the pooled SD
//!   sᵢ² = ((n₁ᵢ−1)sd₁ᵢ² + (n₂ᵢ−1)sd₂ᵢ²)/mᵢ, mᵢ = n₁ᵢ + n₂ᵢ − 2, and the exact
//!   bias correction c(m) = Γ(m/2) / (√(m/2) Γ((m−1)/2)) (Hedges 1981);
//!   vᵢ = 1/n₁ᵢ + 1/n₂ᵢ + yᵢ²/(2(n₁ᵢ + n₂ᵢ)) (Hedges & Olkin 1985, metafor's default).

use super::{check, ContinuousStudy, EffectSizes};
use crate::error::Result;
use crate::measure::Measure;
use statrs::function::gamma::ln_gamma;

/// Hedges' exact small-sample correction c(m) = Γ(m/2) / (√(m/2) Γ((m−1)/2)),
/// metafor's `.cmicalc`. Defined for m > 1 (NaN otherwise).
///
/// ```
/// use rema_core::effect::hedges_correction;
/// // R: gamma(5) / (sqrt(5) * gamma(4.5))
/// assert!((hedges_correction(10.0) - 0.922745608053).abs() < 1e-12);
/// assert!(hedges_correction(1.0).is_nan());
/// ```
pub fn hedges_correction(m: f64) -> f64 {
    if m <= 1.0 {
        return f64::NAN;
    }
    (ln_gamma(m / 2.0) - (m / 2.0).sqrt().ln() - ln_gamma((m - 1.0) / 2.0)).exp()
}

pub(super) fn compute(measure: Measure, studies: &[ContinuousStudy]) -> Result<EffectSizes> {
    const SD: &str = "an SD must be a finite number > 0";
    const N: &str = "a group size must be a finite number >= 1";
    let mut yi = Vec::with_capacity(studies.len());
    let mut vi = Vec::with_capacity(studies.len());
    for (i, s) in studies.iter().enumerate() {
        check(i, "m1i", s.m1, true, "a mean must be a finite number")?;
        check(i, "m2i", s.m2, true, "a mean must be a finite number")?;
        check(i, "sd1i", s.sd1, s.sd1 > 0.0, SD)?;
        check(i, "sd2i", s.sd2, s.sd2 > 0.0, SD)?;
        check(i, "n1i", s.n1, s.n1 >= 1.0, N)?;
        check(i, "n2i", s.n2, s.n2 >= 1.0, N)?;
        match measure {
            Measure::Md => {
                yi.push(s.m1 - s.m2);
                vi.push(s.sd1 * s.sd1 / s.n1 + s.sd2 * s.sd2 / s.n2);
            }
            Measure::Smd => {
                let m = s.n1 + s.n2 - 2.0;
                check(
                    i,
                    "n1i",
                    s.n1 + s.n2,
                    m > 1.0,
                    "SMD needs n1i + n2i >= 4 for the bias correction",
                )?;
                let sp = (((s.n1 - 1.0) * s.sd1 * s.sd1 + (s.n2 - 1.0) * s.sd2 * s.sd2) / m).sqrt();
                let g = hedges_correction(m) * (s.m1 - s.m2) / sp;
                yi.push(g);
                vi.push(1.0 / s.n1 + 1.0 / s.n2 + g * g / (2.0 * (s.n1 + s.n2)));
            }
            _ => unreachable!("continuous::compute called with {measure}"),
        }
    }
    let ni = studies.iter().map(|s| s.n1 + s.n2).collect();
    Ok(EffectSizes::plain(measure, yi, vi, ni))
}
