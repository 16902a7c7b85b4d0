//! Two-group binary outcomes: risk ratio, odds ratio, risk difference and the
//! other measures metafor computes from a 2×2 table.
//!
//! Matches metafor 3.8-1 `escalc(measure = ...)` with the default
//! `add = 1/2, to = "only0"` (`add = 0` for AS and PHI), `vtype = "LS"`;
//! p₁ᵢ = aᵢ/n₁ᵢ, p₂ᵢ = cᵢ/n₂ᵢ, nᵢ = n₁ᵢ + n₂ᵢ:
//! - RR: yᵢ = ln p₁ᵢ − ln p₂ᵢ, vᵢ = 1/aᵢ − 1/n₁ᵢ + 1/cᵢ − 1/n₂ᵢ;
//! - OR: yᵢ = ln(aᵢdᵢ / bᵢcᵢ), vᵢ = 1/aᵢ + 1/bᵢ + 1/cᵢ + 1/dᵢ (Woolf 1955);
//! - RD: yᵢ = p₁ᵢ − p₂ᵢ, vᵢ = p₁ᵢ(1−p₁ᵢ)/n₁ᵢ + p₂ᵢ(1−p₂ᵢ)/n₂ᵢ;
//! - AS: yᵢ = asin √p₁ᵢ − asin √p₂ᵢ, vᵢ = 1/(4n₁ᵢ) + 1/(4n₂ᵢ) (Rücker et al. 2009);
//! - PHI: yᵢ = (aᵢdᵢ − bᵢcᵢ)/√(n₁ᵢn₂ᵢ(aᵢ+cᵢ)(bᵢ+dᵢ)), with Yule's (1912, p. 603)
//!   large-sample variance for cross-sectional sampling (metafor's `vtype = "LS"`);
//! - YUQ: Yule's Q = (OR−1)/(OR+1), vᵢ = ¼(1−Q²)²(1/aᵢ+1/bᵢ+1/cᵢ+1/dᵢ) (Yule 1900);
//! - YUY: Yule's Y = (√OR−1)/(√OR+1), vᵢ = (1/16)(1−Y²)²(1/aᵢ+1/bᵢ+1/cᵢ+1/dᵢ) (Yule 1912);
//! - OR2DL: the log OR as an SMD by the logistic distribution, yᵢ = (√3/π)·ln OR,
//!   vᵢ = (3/π²)·v(ln OR) (Hasselblad & Hedges 1995);
//! - OR2DN: by the normal distribution (Cox & Snell), yᵢ = ln OR / 1.65,
//!   vᵢ = v(ln OR)/1.65² (Sánchez-Meca et al. 2003).
//!
//! The correction is added to all four cells of the affected studies before
//! both yᵢ and vᵢ are computed (metafor's `addyi = addvi = TRUE`).

use super::{check_table, corrected_effects, AddTo, BinaryStudy, EffectSizes};
use crate::error::Result;
use crate::measure::Measure;

pub(super) fn compute(
    measure: Measure,
    studies: &[BinaryStudy],
    add: f64,
    to: AddTo,
) -> Result<EffectSizes> {
    for (i, s) in studies.iter().enumerate() {
        check_table(i, s)?;
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
                Measure::As => (
                    p1.sqrt().asin() - p2.sqrt().asin(),
                    1.0 / (4.0 * n1) + 1.0 / (4.0 * n2),
                ),
                Measure::Phi => phi(ai, bi, ci, di),
                Measure::Yuq | Measure::Yuy => {
                    let odds = (ai / bi) / (ci / di);
                    let (q, scale) = if measure == Measure::Yuq {
                        ((odds - 1.0) / (odds + 1.0), 0.25)
                    } else {
                        ((odds.sqrt() - 1.0) / (odds.sqrt() + 1.0), 1.0 / 16.0)
                    };
                    let v =
                        scale * (1.0 - q * q).powi(2) * (1.0 / ai + 1.0 / bi + 1.0 / ci + 1.0 / di);
                    (q, v)
                }
                Measure::Or2dl | Measure::Or2dn => {
                    let y = (p1 / (1.0 - p1)).ln() - (p2 / (1.0 - p2)).ln();
                    let v = 1.0 / ai + 1.0 / bi + 1.0 / ci + 1.0 / di;
                    let f = if measure == Measure::Or2dl {
                        3f64.sqrt() / std::f64::consts::PI
                    } else {
                        1.0 / 1.65
                    };
                    (f * y, f * f * v)
                }
                _ => unreachable!("binary::compute called with {measure}"),
            }
        },
    ))
}

/// The phi coefficient of a 2×2 table and its large-sample variance for
/// cross-sectional sampling (Yule 1912, p. 603; metafor's `vtype = "LS"`).
fn phi(ai: f64, bi: f64, ci: f64, di: f64) -> (f64, f64) {
    let n = ai + bi + ci + di;
    let (r1, r2, c1, c2) = ((ai + bi) / n, (ci + di) / n, (ai + ci) / n, (bi + di) / n);
    let y = (ai * di - bi * ci) / ((ai + bi) * (ci + di) * (ai + ci) * (bi + di)).sqrt();
    let v = (1.0 - y * y
        + y * (1.0 + 0.5 * y * y) * (r1 - r2) * (c1 - c2) / (r1 * r2 * c1 * c2).sqrt()
        - 0.75 * y * y * ((r1 - r2).powi(2) / (r1 * r2) + (c1 - c2).powi(2) / (c1 * c2)))
        / n;
    (y, v)
}
