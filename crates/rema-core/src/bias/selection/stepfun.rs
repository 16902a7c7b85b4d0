//! The step-function selection model (Hedges 1992, Statistical Science
//! 7:246–255; Vevea & Hedges 1995, Psychometrika 60:419–435), as metafor
//! 3.8-1 `selmodel(type = "stepfun", steps)` and its `.selmodel.ll.stepfun`.
//!
//! The cut-points 0 < s₁ < … < s_N = 1 split the one-sided (or two-sided)
//! p-values into intervals; a study whose p-value lies in (s_{j−1}, s_j] is
//! published with relative probability δⱼ, δ₁ = 1. With yᵢ ~ N(μ, vᵢ + τ²)
//! before selection, the log-likelihood is
//! ℓ = Σᵢ [ln δ_{j(i)} + ln φ(yᵢ; μ, vᵢ + τ²) − ln Aᵢ],
//! Aᵢ = Σⱼ δⱼ [Mᵢ(sⱼ) − Mᵢ(s_{j−1})], where Mᵢ(s) is the probability under
//! N(μ, vᵢ + τ²) that study i's p-value is at most s:
//! 1 − Φ((√vᵢ z_{1−s} − μ)/σᵢ) for `greater`, Φ((√vᵢ z_s − μ)/σᵢ) for `less`,
//! and the sum of both tails at ±√vᵢ z_{1−s/2} for `two.sided`
//! (σᵢ² = vᵢ + τ²). Aᵢ is closed form: no integration.

use super::Alternative;
use crate::dist::{norm_cdf, norm_quantile, norm_sf};

/// P(p-value ≤ s) for a study with variance `vi` when yᵢ ~ N(mu, sd²).
fn mass(s: f64, vi: f64, mu: f64, sd: f64, alt: Alternative) -> f64 {
    if s >= 1.0 {
        return 1.0;
    }
    if s <= 0.0 {
        return 0.0;
    }
    let se = vi.sqrt();
    match alt {
        Alternative::Greater => norm_sf((se * norm_quantile(1.0 - s) - mu) / sd),
        Alternative::Less => norm_cdf((se * norm_quantile(s) - mu) / sd),
        Alternative::TwoSided => {
            let c = se * norm_quantile(1.0 - s / 2.0);
            norm_sf((c - mu) / sd) + norm_cdf((-c - mu) / sd)
        }
    }
}

/// The normalising constant Aᵢ of one study: the probability of selection.
pub(super) fn selection_probability(
    steps: &[f64],
    delta: &[f64],
    vi: f64,
    mu: f64,
    sd: f64,
    alt: Alternative,
) -> f64 {
    let mut lower = 0.0;
    let mut total = 0.0;
    for (j, &s) in steps.iter().enumerate() {
        let upper = mass(s, vi, mu, sd, alt);
        total += delta[j] * (upper - lower);
        lower = upper;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_selection_means_probability_one() {
        for alt in [
            Alternative::Greater,
            Alternative::Less,
            Alternative::TwoSided,
        ] {
            let a = selection_probability(&[0.025, 0.5, 1.0], &[1.0; 3], 0.04, 0.3, 0.3, alt);
            assert!((a - 1.0).abs() < 1e-14, "{alt}: {a}");
        }
    }

    #[test]
    fn the_first_interval_is_the_upper_tail() {
        // P(p <= 0.025) = P(y > 1.96 * 0.2) under N(0.392, 0.2²): one half.
        let m = mass(
            0.025,
            0.04,
            0.2 * norm_quantile(0.975),
            0.2,
            Alternative::Greater,
        );
        assert!((m - 0.5).abs() < 1e-12);
    }
}
