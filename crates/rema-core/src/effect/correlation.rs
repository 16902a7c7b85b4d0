//! Correlation coefficients: the raw correlation, its unbiased version, and
//! Fisher's z.
//!
//! Matches metafor 3.8-1 `escalc(measure = "COR" | "UCOR" | "ZCOR", ri, ni)`
//! with `vtype = "LS"`:
//! - COR: yᵢ = rᵢ, vᵢ = (1 − yᵢ²)²/(nᵢ − 1);
//! - UCOR: yᵢ = rᵢ·₂F₁(½, ½; (nᵢ − 2)/2; 1 − rᵢ²) (Olkin & Pratt 1958), the
//!   same vᵢ with the corrected yᵢ; needs nᵢ > 4;
//! - ZCOR: yᵢ = ½ ln((1 + rᵢ)/(1 − rᵢ)), vᵢ = 1/(nᵢ − 3) (Fisher 1921); needs
//!   nᵢ > 3.
//!
//! Partial and semi-partial correlations from a regression's t statistic
//! `ti` of the predictor, the sample size `ni` and the number of predictors
//! `mi` (metafor 3.8-1, `vtype = "LS"`), with dfᵢ = nᵢ − mᵢ − 1 > 0:
//! - PCOR: yᵢ = tᵢ/√(tᵢ² + dfᵢ), vᵢ = (1 − yᵢ²)²/dfᵢ;
//! - ZPCOR: Fisher's z of the PCOR, vᵢ = 1/dfᵢ;
//! - SPCOR (with the model's R² `r2i`): yᵢ = tᵢ√(1 − R²ᵢ)/√dfᵢ,
//!   vᵢ = (R²ᵢ² − 2R²ᵢ + (R²ᵢ − yᵢ²) + 1 − (R²ᵢ − yᵢ²)²)/nᵢ (Aloe & Becker 2012).

use super::{check, CorrelationStudy, EffectSizes, PartialCorrelationStudy};
use crate::error::Result;
use crate::measure::Measure;

pub(super) fn compute(measure: Measure, studies: &[CorrelationStudy]) -> Result<EffectSizes> {
    let (min_n, why) = match measure {
        Measure::Ucor => (5.0, "UCOR needs ni >= 5 for the bias correction"),
        Measure::Zcor => (4.0, "ZCOR needs ni >= 4 for its variance 1/(ni - 3)"),
        _ => (2.0, "COR needs ni >= 2 for its variance"),
    };
    let mut yi = Vec::with_capacity(studies.len());
    let mut vi = Vec::with_capacity(studies.len());
    for (i, s) in studies.iter().enumerate() {
        check(
            i,
            "ri",
            s.ri,
            s.ri.abs() <= 1.0,
            "a correlation must lie in [-1, 1]",
        )?;
        check(i, "ni", s.ni, s.ni >= min_n, why)?;
        let (y, v) = match measure {
            Measure::Cor => (s.ri, (1.0 - s.ri * s.ri).powi(2) / (s.ni - 1.0)),
            Measure::Ucor => {
                let y = s.ri * hyp2f1_half_half(0.5 * (s.ni - 2.0), 1.0 - s.ri * s.ri);
                (y, (1.0 - y * y).powi(2) / (s.ni - 1.0))
            }
            Measure::Zcor => (s.ri.atanh(), 1.0 / (s.ni - 3.0)),
            _ => unreachable!("correlation::compute called with {measure}"),
        };
        yi.push(y);
        vi.push(v);
    }
    let ni = studies.iter().map(|s| s.ni).collect();
    Ok(EffectSizes::plain(measure, yi, vi, ni))
}

pub(super) fn partial(
    measure: Measure,
    studies: &[PartialCorrelationStudy],
) -> Result<EffectSizes> {
    let (mut yi, mut vi) = (Vec::new(), Vec::new());
    for (i, s) in studies.iter().enumerate() {
        check(i, "ti", s.t, true, "a t statistic must be a finite number")?;
        check(
            i,
            "mi",
            s.m,
            s.m >= 0.0,
            "the number of predictors must be >= 0",
        )?;
        let df = s.n - s.m - 1.0;
        check(
            i,
            "ni",
            s.n,
            df > 0.0,
            "ni must exceed mi + 1 (the residual df)",
        )?;
        let (y, v) = match measure {
            Measure::Pcor => {
                let r = s.t / (s.t * s.t + df).sqrt();
                (r, (1.0 - r * r).powi(2) / df)
            }
            Measure::Zpcor => ((s.t / (s.t * s.t + df).sqrt()).atanh(), 1.0 / df),
            Measure::Spcor => {
                let r2 = s.r2.unwrap_or(f64::NAN);
                check(
                    i,
                    "r2i",
                    r2,
                    (0.0..=1.0).contains(&r2),
                    "SPCOR needs the model's R^2 in [0, 1] (column r2i)",
                )?;
                let y = s.t * (1.0 - r2).sqrt() / df.sqrt();
                let d = r2 - y * y;
                (y, (r2 * r2 - 2.0 * r2 + d + 1.0 - d * d) / s.n)
            }
            _ => unreachable!("correlation::partial called with {measure}"),
        };
        yi.push(y);
        vi.push(v);
    }
    let ni = studies.iter().map(|s| s.n).collect();
    Ok(EffectSizes::plain(measure, yi, vi, ni))
}

/// The Gauss hypergeometric function ₂F₁(½, ½; c; x) for c > 1 and
/// 0 ≤ x ≤ 1, by its series Σₙ ((½)ₙ)² / ((c)ₙ n!) xⁿ (what metafor's
/// `.Fcalc` gets from GSL's `hyperg_2F1`). The terms are positive and
/// decrease, so the sum stops when a term no longer changes it; at x = 1 the
/// series converges as n^(−c), and the closed form Γ(c)Γ(c − 1)/Γ(c − ½)² is
/// used there instead.
fn hyp2f1_half_half(c: f64, x: f64) -> f64 {
    use statrs::function::gamma::ln_gamma;
    if x >= 1.0 {
        return (ln_gamma(c) + ln_gamma(c - 1.0) - 2.0 * ln_gamma(c - 0.5)).exp();
    }
    let (mut sum, mut term) = (1.0, 1.0);
    for n in 0..10_000_000u32 {
        let n = f64::from(n);
        term *= (n + 0.5) * (n + 0.5) / ((c + n) * (n + 1.0)) * x;
        let next = sum + term;
        if next == sum {
            break;
        }
        sum = next;
    }
    sum
}
