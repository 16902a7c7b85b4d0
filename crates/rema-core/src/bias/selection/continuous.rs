//! The selection models with a continuous weight function of the p-value,
//! as metafor 3.8-1 `selmodel(type = "beta" | "halfnorm" | "negexp" |
//! "logistic" | "power")` and its `.selmodel.ll.cont`.
//!
//! A study with p-value p is published with relative probability w(p):
//! - `beta` (Citkowicz & Vevea 2017, Psychological Methods 22:28–41):
//!   w(p) = p^(δ₁−1)(1 − p)^(δ₂−1);
//! - `halfnorm`: w(p) = exp(−δcp²)/exp(−δcs²);
//! - `negexp`: w(p) = exp(−δcp)/exp(−δcs);
//! - `logistic`: w(p) = [2e^(−δcp)/(1 + e^(−δcp))]/[2e^(−δcs)/(1 + e^(−δcs))];
//! - `power`: w(p) = (1 − p)^(δc)/(1 − s)^(δc)
//!
//! (Preston, Ashby & Smyth 2004, Biometrics 60:793–800, for the last four),
//! with w(p) = 1 for p ≤ s, s the optional single step (default 0), and cᵢ
//! study i's (im)precision (metafor `selmodel(prec)`: √vᵢ, vᵢ, 1/nᵢ or
//! 1/√nᵢ, divided by its largest value unless `scaleprec = FALSE`; cᵢ = 1
//! without `prec`). p-values
//! are kept within [p_min, 1 − p_min] (p_min = 1e-5 for `beta` and `power`,
//! else 0), the observed ones and those inside the integral alike.
//! The log-likelihood is ℓ = Σᵢ [ln w(pᵢ) + ln φ(yᵢ; μ, vᵢ + τ²) − ln Aᵢ],
//! Aᵢ = ∫ w(p(y)) φ(y; μ, vᵢ + τ²) dy, p(y) study i's p-value at y. metafor
//! integrates with R's `integrate` over the real line; here the integral is
//! over μ ± 12σᵢ, split at the points where w has a kink (the step and the
//! p-value bounds, and 0 for two-sided p-values), with 20-point
//! Gauss–Legendre rules on panels at most σᵢ wide.

use super::{Alternative, SelType};
use crate::dist::{norm_cdf, norm_quantile, norm_sf};

/// The 20-point Gauss–Legendre rule on [−1, 1]: (nodes, weights), by
/// Newton's iteration on the Legendre polynomial.
pub(super) fn gauss_legendre() -> Vec<(f64, f64)> {
    const N: usize = 20;
    let mut rule = Vec::with_capacity(N);
    for i in 0..N {
        let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (N as f64 + 0.5)).cos();
        let mut dp = 0.0;
        for _ in 0..100 {
            let (mut p0, mut p1) = (1.0, x);
            for n in 2..=N {
                let nf = n as f64;
                let p2 = ((2.0 * nf - 1.0) * x * p1 - (nf - 1.0) * p0) / nf;
                p0 = p1;
                p1 = p2;
            }
            dp = N as f64 * (x * p1 - p0) / (x * x - 1.0);
            let dx = p1 / dp;
            x -= dx;
            if dx.abs() < 1e-16 {
                break;
            }
        }
        rule.push((x, 2.0 / ((1.0 - x * x) * dp * dp)));
    }
    rule
}

/// The p-value of an estimate `y` with variance `vi` (metafor
/// `.selmodel.pval`), kept within [p_min, 1 − p_min].
pub(super) fn pvalue(y: f64, vi: f64, alt: Alternative, pmin: f64) -> f64 {
    let z = y / vi.sqrt();
    let p = match alt {
        Alternative::TwoSided => 2.0 * norm_sf(z.abs()),
        Alternative::Greater => norm_sf(z),
        Alternative::Less => norm_cdf(z),
    };
    p.max(pmin).min(1.0 - pmin)
}

/// The weight w(p) of `kind` with parameters `delta`, step `s` and the
/// study's precision `prec` (1 without `prec`; beta takes none).
pub(super) fn weight(kind: SelType, p: f64, delta: &[f64], s: f64, prec: f64) -> f64 {
    if kind != SelType::Beta && p <= s {
        return 1.0;
    }
    let d = delta[0] * prec;
    match kind {
        SelType::Beta => p.powf(delta[0] - 1.0) * (1.0 - p).powf(delta[1] - 1.0),
        SelType::Halfnorm => (-d * p * p).exp() / (-d * s * s).exp(),
        SelType::Negexp => (-d * p).exp() / (-d * s).exp(),
        SelType::Logistic => {
            (2.0 * (-d * p).exp() / (1.0 + (-d * p).exp()))
                / (2.0 * (-d * s).exp() / (1.0 + (-d * s).exp()))
        }
        SelType::Power => (1.0 - p).powf(d) / (1.0 - s).powf(d),
        SelType::Stepfun => 1.0,
    }
}

/// The estimates y at which study i's p-value equals `p`.
fn at_pvalue(p: f64, vi: f64, alt: Alternative) -> Vec<f64> {
    if !(p > 0.0 && p < 1.0) {
        return Vec::new();
    }
    let se = vi.sqrt();
    match alt {
        Alternative::Greater => vec![se * norm_quantile(1.0 - p)],
        Alternative::Less => vec![se * norm_quantile(p)],
        Alternative::TwoSided => {
            let c = se * norm_quantile(1.0 - p / 2.0);
            vec![-c, c]
        }
    }
}

/// The inputs of one study's selection probability.
pub(super) struct Study {
    /// Sampling variance.
    pub(super) vi: f64,
    /// The study's precision cᵢ in the weight (1 without `prec`).
    pub(super) prec: f64,
    /// Expected effect before selection.
    pub(super) mu: f64,
    /// √(vᵢ + τ²).
    pub(super) sd: f64,
}

/// The model's weight function with its fixed parts.
pub(super) struct Weight<'a> {
    /// The family.
    pub(super) kind: SelType,
    /// Its parameters.
    pub(super) delta: &'a [f64],
    /// The single step (0 when none).
    pub(super) step: f64,
    /// The p-value bound.
    pub(super) pmin: f64,
    /// The p-value's sidedness.
    pub(super) alt: Alternative,
}

/// Aᵢ = ∫ w(p(y)) φ(y; μ, σ²) dy for one study.
pub(super) fn selection_probability(st: &Study, w: &Weight<'_>, rule: &[(f64, f64)]) -> f64 {
    const L: f64 = 12.0;
    let mut cuts = vec![-L, L];
    let levels = [w.step, w.pmin, 1.0 - w.pmin];
    if w.alt == Alternative::TwoSided {
        cuts.push(-st.mu / st.sd);
    }
    for p in levels {
        for y in at_pvalue(p, st.vi, w.alt) {
            cuts.push((y - st.mu) / st.sd);
        }
    }
    cuts.retain(|z| z.is_finite() && z.abs() <= L);
    cuts.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    let mut total = 0.0;
    for pair in cuts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if b - a <= 0.0 {
            continue;
        }
        let panels = ((b - a) / 1.0).ceil().max(1.0) as usize;
        let h = (b - a) / panels as f64;
        for m in 0..panels {
            let lo = a + m as f64 * h;
            for &(x, wt) in rule {
                let z = lo + (x + 1.0) * h / 2.0;
                let y = st.mu + st.sd * z;
                let p = pvalue(y, st.vi, w.alt, w.pmin);
                let dens = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
                total += wt * h / 2.0 * weight(w.kind, p, w.delta, w.step, st.prec) * dens;
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_integrates_polynomials_exactly() {
        let rule = gauss_legendre();
        let int: f64 = rule.iter().map(|(x, w)| w * x.powi(10)).sum();
        assert!((int - 2.0 / 11.0).abs() < 1e-14);
    }

    #[test]
    fn no_selection_integrates_to_one() {
        let rule = gauss_legendre();
        let st = Study {
            vi: 0.04,
            prec: 1.0,
            mu: 0.3,
            sd: 0.25,
        };
        let w = Weight {
            kind: SelType::Negexp,
            delta: &[0.0],
            step: 0.0,
            pmin: 0.0,
            alt: Alternative::Greater,
        };
        assert!((selection_probability(&st, &w, &rule) - 1.0).abs() < 1e-12);
    }
}
