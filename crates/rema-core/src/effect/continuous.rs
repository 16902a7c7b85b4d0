//! Two independent groups with means and SDs: mean differences, standardised
//! mean differences, and ratios of means and of variability.
//!
//! Matches metafor 3.8-1 `escalc(measure = ...)` with `vtype = "LS"`:
//! - MD: yᵢ = m₁ᵢ − m₂ᵢ, vᵢ = sd₁ᵢ²/n₁ᵢ + sd₂ᵢ²/n₂ᵢ (no equal-variance assumption);
//! - SMD: Hedges' g, yᵢ = c(mᵢ)·(m₁ᵢ − m₂ᵢ)/sᵢ with the pooled SD
//!   sᵢ² = ((n₁ᵢ−1)sd₁ᵢ² + (n₂ᵢ−1)sd₂ᵢ²)/mᵢ, mᵢ = n₁ᵢ + n₂ᵢ − 2, and the exact
//!   bias correction c(m) = Γ(m/2) / (√(m/2) Γ((m−1)/2)) (Hedges 1981);
//!   vᵢ = 1/n₁ᵢ + 1/n₂ᵢ + yᵢ²/(2(n₁ᵢ + n₂ᵢ)) (Hedges & Olkin 1985, metafor's default);
//!   with [`SmdCorrection::None`] (metafor 4.x `correct = FALSE`) c(m) = 1:
//!   Cohen's d, yᵢ = dᵢ = (m₁ᵢ − m₂ᵢ)/sᵢ and vᵢ = 1/n₁ᵢ + 1/n₂ᵢ + dᵢ²/(2(n₁ᵢ + n₂ᵢ))
//!   (metafor's `.cmicalc(mi, correct = FALSE)` returns 1 and the `LS`
//!   variance is taken at yᵢ = dᵢ);
//! - SMD1: Glass's Δ, standardised by group 2's SD: yᵢ = c(n₂ᵢ−1)(m₁ᵢ − m₂ᵢ)/sd₂ᵢ,
//!   vᵢ = 1/n₁ᵢ + 1/n₂ᵢ + yᵢ²/(2n₂ᵢ) (Glass 1976);
//! - SMDH: heteroscedastic SMD, standardised by sᵢ = √((sd₁ᵢ² + sd₂ᵢ²)/2):
//!   yᵢ = c(mᵢ)(m₁ᵢ − m₂ᵢ)/sᵢ,
//!   vᵢ = c(mᵢ)²·[yᵢ²(sd₁ᵢ⁴/(n₁ᵢ−1) + sd₂ᵢ⁴/(n₂ᵢ−1))/(8sᵢ⁴) + (sd₁ᵢ²/(n₁ᵢ−1) + sd₂ᵢ²/(n₂ᵢ−1))/sᵢ²]
//!   (Bonett 2008, with metafor 3.8-1's factor c(mᵢ)²);
//! - ROM: log ratio of means, yᵢ = ln(m₁ᵢ/m₂ᵢ), vᵢ = sd₁ᵢ²/(n₁ᵢm₁ᵢ²) + sd₂ᵢ²/(n₂ᵢm₂ᵢ²)
//!   (Hedges et al. 1999);
//! - VR: log variability ratio, yᵢ = ln(sd₁ᵢ/sd₂ᵢ) + 1/(2(n₁ᵢ−1)) − 1/(2(n₂ᵢ−1)),
//!   vᵢ = 1/(2(n₁ᵢ−1)) + 1/(2(n₂ᵢ−1)) (Nakagawa et al. 2015);
//! - CVR: log coefficient-of-variation ratio,
//!   yᵢ = ln(sd₁ᵢ/m₁ᵢ) + 1/(2(n₁ᵢ−1)) − ln(sd₂ᵢ/m₂ᵢ) − 1/(2(n₂ᵢ−1)),
//!   vᵢ = 1/(2(n₁ᵢ−1)) + sd₁ᵢ²/(n₁ᵢm₁ᵢ²) + 1/(2(n₂ᵢ−1)) + sd₂ᵢ²/(n₂ᵢm₂ᵢ²) (Nakagawa et al. 2015).

use super::{check, ContinuousStudy, EffectSizes, SmdCorrection};
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

pub(super) fn compute(
    measure: Measure,
    studies: &[ContinuousStudy],
    correction: SmdCorrection,
) -> Result<EffectSizes> {
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
        let (y, v) = match measure {
            Measure::Md => (s.m1 - s.m2, s.sd1 * s.sd1 / s.n1 + s.sd2 * s.sd2 / s.n2),
            Measure::Smd if correction == SmdCorrection::None => {
                let m = s.n1 + s.n2 - 2.0;
                check(
                    i,
                    "n1i",
                    s.n1 + s.n2,
                    m > 0.0,
                    "SMD needs n1i + n2i >= 3 for the pooled SD",
                )?;
                let (v1, v2) = (s.sd1 * s.sd1, s.sd2 * s.sd2);
                let sp = (((s.n1 - 1.0) * v1 + (s.n2 - 1.0) * v2) / m).sqrt();
                let d = (s.m1 - s.m2) / sp;
                (d, 1.0 / s.n1 + 1.0 / s.n2 + d * d / (2.0 * (s.n1 + s.n2)))
            }
            Measure::Smd | Measure::Smdh => {
                let m = s.n1 + s.n2 - 2.0;
                let allowed = if measure == Measure::Smd {
                    "SMD needs n1i + n2i >= 4 for the bias correction"
                } else {
                    "SMDH needs n1i + n2i >= 4 for the bias correction"
                };
                check(i, "n1i", s.n1 + s.n2, m > 1.0, allowed)?;
                let c = hedges_correction(m);
                let (v1, v2) = (s.sd1 * s.sd1, s.sd2 * s.sd2);
                if measure == Measure::Smd {
                    let sp = (((s.n1 - 1.0) * v1 + (s.n2 - 1.0) * v2) / m).sqrt();
                    let g = c * (s.m1 - s.m2) / sp;
                    (g, 1.0 / s.n1 + 1.0 / s.n2 + g * g / (2.0 * (s.n1 + s.n2)))
                } else {
                    small_sample_terms(i, s)?;
                    let s2 = (v1 + v2) / 2.0;
                    let g = c * (s.m1 - s.m2) / s2.sqrt();
                    let (a1, a2) = (1.0 / (s.n1 - 1.0), 1.0 / (s.n2 - 1.0));
                    let v = g * g * (v1 * v1 * a1 + v2 * v2 * a2) / (8.0 * s2 * s2)
                        + (v1 * a1 + v2 * a2) / s2;
                    (g, c * c * v)
                }
            }
            Measure::Smd1 => {
                check(
                    i,
                    "n2i",
                    s.n2,
                    s.n2 > 2.0,
                    "SMD1 needs n2i >= 3 for the bias correction",
                )?;
                let g = hedges_correction(s.n2 - 1.0) * (s.m1 - s.m2) / s.sd2;
                (g, 1.0 / s.n1 + 1.0 / s.n2 + g * g / (2.0 * s.n2))
            }
            Measure::Rom => {
                check(
                    i,
                    "m1i",
                    s.m1,
                    s.m1 / s.m2 > 0.0,
                    "ROM needs two means of the same sign, neither zero",
                )?;
                let (cv1, cv2) = (s.sd1 / s.m1, s.sd2 / s.m2);
                ((s.m1 / s.m2).ln(), cv1 * cv1 / s.n1 + cv2 * cv2 / s.n2)
            }
            Measure::Cvr => {
                const POSITIVE: &str = "CVR needs means > 0";
                check(i, "m1i", s.m1, s.m1 > 0.0, POSITIVE)?;
                check(i, "m2i", s.m2, s.m2 > 0.0, POSITIVE)?;
                let (b1, b2) = small_sample_terms(i, s)?;
                let (cv1, cv2) = (s.sd1 / s.m1, s.sd2 / s.m2);
                (
                    (cv1 / cv2).ln() + b1 - b2,
                    b1 + cv1 * cv1 / s.n1 + b2 + cv2 * cv2 / s.n2,
                )
            }
            Measure::Vr => {
                let (b1, b2) = small_sample_terms(i, s)?;
                ((s.sd1 / s.sd2).ln() + b1 - b2, b1 + b2)
            }
            _ => unreachable!("continuous::compute called with {measure}"),
        };
        yi.push(y);
        vi.push(v);
    }
    let ni = studies.iter().map(|s| s.n1 + s.n2).collect();
    let mut out = EffectSizes::plain(measure, yi, vi, ni);
    if measure == Measure::Smd && correction == SmdCorrection::None {
        out.notes.push(
            "Hedges' small-sample correction not applied: SMD is Cohen's d (metafor escalc(measure = \"SMD\", correct = FALSE))"
                .to_string(),
        );
    }
    Ok(out)
}

/// The terms 1/(2(n₁ᵢ−1)) and 1/(2(n₂ᵢ−1)) of VR and CVR, which need groups
/// of two or more (as does SMDH's variance).
fn small_sample_terms(i: usize, s: &ContinuousStudy) -> Result<(f64, f64)> {
    const N2: &str = "SMDH, VR and CVR need groups of at least 2";
    check(i, "n1i", s.n1, s.n1 >= 2.0, N2)?;
    check(i, "n2i", s.n2, s.n2 >= 2.0, N2)?;
    Ok((0.5 / (s.n1 - 1.0), 0.5 / (s.n2 - 1.0)))
}

#[cfg(test)]
mod tests {
    use crate::effect::{compute, ContinuousStudy, EffectOptions, SmdCorrection, StudyData};
    use crate::error::Error;
    use crate::measure::Measure;

    const UNCORRECTED: EffectOptions = EffectOptions {
        add: None,
        to: crate::effect::AddTo::OnlyZero,
        smd: SmdCorrection::None,
    };

    fn one(n1: f64, n2: f64) -> StudyData {
        StudyData::Continuous(vec![ContinuousStudy {
            m1: 10.0,
            sd1: 2.0,
            n1,
            m2: 9.0,
            sd2: 2.5,
            n2,
        }])
    }

    #[test]
    fn uncorrected_smd_is_hedges_g_divided_by_the_correction() {
        let g = compute(Measure::Smd, &one(20.0, 25.0), &EffectOptions::default()).unwrap();
        let d = compute(Measure::Smd, &one(20.0, 25.0), &UNCORRECTED).unwrap();
        let c = super::hedges_correction(43.0);
        assert!((d.yi[0] - g.yi[0] / c).abs() < 1e-14);
        assert!(g.notes.is_empty() && d.notes.len() == 1);
    }

    #[test]
    fn uncorrected_smd_needs_three_participants_not_four() {
        assert!(compute(Measure::Smd, &one(2.0, 1.0), &UNCORRECTED).is_ok());
        let err = compute(Measure::Smd, &one(1.0, 1.0), &UNCORRECTED).unwrap_err();
        assert!(
            matches!(err, Error::InvalidValue { column: "n1i", .. }),
            "{err:?}"
        );
        let err = compute(Measure::Smd, &one(2.0, 1.0), &EffectOptions::default()).unwrap_err();
        assert!(
            matches!(err, Error::InvalidValue { column: "n1i", .. }),
            "{err:?}"
        );
    }

    #[test]
    fn other_measures_refuse_the_uncorrected_smd() {
        for m in [Measure::Smdh, Measure::Smd1, Measure::Md] {
            let err = compute(m, &one(20.0, 25.0), &UNCORRECTED).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidOption {
                        option: "smd_correct",
                        ..
                    }
                ),
                "{m}: {err:?}"
            );
        }
    }
}
