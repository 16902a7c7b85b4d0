//! Two-group binary outcomes: log risk ratio, log odds ratio, risk difference.
//!
//! Matches metafor `escalc(measure = "RR" | "OR" | "RD")` with the default
//! `add = 1/2, to = "only0"`, `vtype = "LS"`:
//! - RR: yᵢ = ln(aᵢ/n₁ᵢ) − ln(cᵢ/n₂ᵢ), vᵢ = 1/aᵢ − 1/n₁ᵢ + 1/cᵢ − 1/n₂ᵢ;
//! - OR: yᵢ = ln(aᵢdᵢ / bᵢcᵢ), vᵢ = 1/aᵢ + 1/bᵢ + 1/cᵢ + 1/dᵢ (Woolf 1955);
//! - RD: yᵢ = p₁ᵢ − p₂ᵢ, vᵢ = p₁ᵢ(1−p₁ᵢ)/n₁ᵢ + p₂ᵢ(1−p₂ᵢ)/n₂ᵢ.
//!
//! The correction is added to all four cells of the affected studies before
//! both yᵢ and vᵢ are computed (metafor's `addyi = addvi = TRUE`).

use super::{check, corrected_effects, AddTo, BinaryStudy, EffectSizes};
use crate::error::Result;
use crate::measure::Measure;

pub(super) fn compute(
    measure: Measure,
    studies: &[BinaryStudy],
    add: f64,
    to: AddTo,
) -> Result<EffectSizes> {
    const COUNT: &str = "a count must be a finite number >= 0";
    for (i, s) in studies.iter().enumerate() {
        check(i, "ai", s.ai, s.ai >= 0.0, COUNT)?;
        check(i, "bi", s.bi, s.bi >= 0.0, COUNT)?;
        check(i, "ci", s.ci, s.ci >= 0.0, COUNT)?;
        check(i, "di", s.di, s.di >= 0.0, COUNT)?;
        for (column, n, allowed) in [
            (
                "n1i",
                s.ai + s.bi,
                "group 1 must have at least one participant",
            ),
            (
                "n2i",
                s.ci + s.di,
                "group 2 must have at least one participant",
            ),
        ] {
            check(i, column, n, n > 0.0, allowed)?;
        }
    }
    let has_zero = |s: &BinaryStudy| s.ai == 0.0 || s.bi == 0.0 || s.ci == 0.0 || s.di == 0.0;
    let n = |s: &BinaryStudy| s.ai + s.bi + s.ci + s.di;
    Ok(corrected_effects(
        measure,
        studies,
        (add, to),
        has_zero,
        n,
        |s, a| {
            let (ai, bi, ci, di) = (s.ai + a, s.bi + a, s.ci + a, s.di + a);
            let (n1, n2) = (ai + bi, ci + di);
            let (p1, p2) = (ai / n1, ci / n2);
            match measure {
                Measure::Rr => (p1.ln() - p2.ln(), 1.0 / ai - 1.0 / n1 + 1.0 / ci - 1.0 / n2),
                Measure::Or => (
                    (p1 / (1.0 - p1)).ln() - (p2 / (1.0 - p2)).ln(),
                    1.0 / ai + 1.0 / bi + 1.0 / ci + 1.0 / di,
                ),
                Measure::Rd => (p1 - p2, p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2),
                _ => unreachable!("binary::compute called with {measure}"),
            }
        },
    ))
}
