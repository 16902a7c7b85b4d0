//! Single proportions: raw, log, logit, arcsine and Freeman–Tukey.
//!
//! Matches metafor `escalc(measure = "PR" | "PLN" | "PLO" | "PAS" | "PFT")`.
//! With pᵢ = xᵢ/nᵢ (after any continuity correction, which adds `add` to the
//! events and to the non-events, so nᵢ grows by 2·add):
//! - PR: yᵢ = pᵢ, vᵢ = pᵢ(1−pᵢ)/nᵢ;
//! - PLN: yᵢ = ln pᵢ, vᵢ = 1/xᵢ − 1/nᵢ;
//! - PLO: yᵢ = ln(pᵢ/(1−pᵢ)), vᵢ = 1/xᵢ + 1/(nᵢ−xᵢ);
//! - PAS: yᵢ = asin √pᵢ, vᵢ = 1/(4nᵢ);
//! - PFT (Freeman & Tukey 1950): yᵢ = ½(asin √(xᵢ/(nᵢ+1)) + asin √((xᵢ+1)/(nᵢ+1))),
//!   vᵢ = 1/(4nᵢ + 2).
//!
//! With metafor's defaults a zero count (xᵢ = 0 or xᵢ = nᵢ) gets add = ½ for
//! PR, PLN and PLO, so a raw proportion 0/n becomes 0.5/(n+1) with variance
//! p(1−p)/(n+1): the rule the seed paper used.

use super::{check, corrected_effects, AddTo, EffectSizes, ProportionStudy};
use crate::error::Result;
use crate::measure::Measure;

pub(super) fn compute(
    measure: Measure,
    studies: &[ProportionStudy],
    add: f64,
    to: AddTo,
) -> Result<EffectSizes> {
    for (i, s) in studies.iter().enumerate() {
        check(
            i,
            "xi",
            s.x,
            s.x >= 0.0,
            "an event count must be a finite number >= 0",
        )?;
        check(
            i,
            "ni",
            s.n,
            s.n > 0.0,
            "a sample size must be a finite number > 0",
        )?;
        check(
            i,
            "xi",
            s.x,
            s.x <= s.n,
            "events cannot exceed the sample size ni",
        )?;
    }
    let has_zero = |s: &ProportionStudy| s.x == 0.0 || s.x == s.n;
    Ok(corrected_effects(
        measure,
        studies,
        (add, to),
        has_zero,
        |s| s.n,
        |s, a| {
            let x = s.x + a;
            let m = s.n - s.x + a;
            let n = x + m;
            let p = x / n;
            match measure {
                Measure::Pr => (p, p * (1.0 - p) / n),
                Measure::Pln => (p.ln(), 1.0 / x - 1.0 / n),
                Measure::Plo => ((p / (1.0 - p)).ln(), 1.0 / x + 1.0 / m),
                Measure::Pas => (p.sqrt().asin(), 1.0 / (4.0 * n)),
                Measure::Pft => (
                    0.5 * ((x / (n + 1.0)).sqrt().asin() + ((x + 1.0) / (n + 1.0)).sqrt().asin()),
                    1.0 / (4.0 * n + 2.0),
                ),
                _ => unreachable!("proportion::compute called with {measure}"),
            }
        },
    ))
}
