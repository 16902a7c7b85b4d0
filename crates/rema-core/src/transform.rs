//! Back-transformations from the analysis scale to the reporting scale.
//!
//! - `Exp`: exp(x), for log risk and odds ratios and log proportions;
//! - `InverseLogit`: 1/(1 + e^−x), metafor `transf.ilogit`;
//! - `InverseArcsine`: sin²(x), metafor `transf.iarcsin`;
//! - `InverseFreemanTukey`: metafor `transf.ipft.hm` (Miller 1978), the
//!   inverse of the double arcsine at the harmonic mean n̄ of the sample sizes:
//!   p = ½(1 − sgn(cos 2x)·√(1 − (sin 2x + (sin 2x − 1/sin 2x)/n̄)²)),
//!   clamped to 0 below the transform of 0 and to 1 above that of 1.
//! - `InverseFreemanTukeyRate`: metafor `transf.iirft`, the inverse of the
//!   Freeman–Tukey transform of a rate, x = ½(√ir + √(ir + 1/t)), at the
//!   harmonic mean t̄ of the person-times (as `transf.ipft.hm` takes the
//!   sizes' for proportions; metafor's `transf.iirft` takes the t given to
//!   it): ir = (1/t̄ − 8x² + 16t̄x⁴)/(16x²t̄), 0 below the transform of a zero
//!   rate, ½√(1/t̄), and at or below machine epsilon.

use crate::measure::BackTransform;

/// Maps `x` back to the reporting scale. `ni` are the study sample sizes
/// (person-times for rates), needed only by the Freeman–Tukey inverses (NaN
/// without them).
///
/// ```
/// use rema_core::{transform::back_transform, BackTransform};
/// // R (metafor 3.8-1): transf.ilogit(-2.512305624), transf.iarcsin(0.5),
/// // transf.ipft.hm(0.3, targs = list(ni = c(20, 40, 60)))
/// assert!((back_transform(BackTransform::InverseLogit, -2.512305624, None) - 0.075).abs() < 1e-9);
/// assert!((back_transform(BackTransform::InverseArcsine, 0.5, None) - 0.229848847066).abs() < 1e-12);
/// let ni = [20.0, 40.0, 60.0];
/// let p = back_transform(BackTransform::InverseFreemanTukey, 0.3, Some(&ni));
/// assert!((p - 0.075309620131).abs() < 1e-11);
/// assert!(back_transform(BackTransform::InverseFreemanTukey, 0.3, None).is_nan());
/// assert_eq!(back_transform(BackTransform::Exp, 0.0, None), 1.0);
/// ```
pub fn back_transform(kind: BackTransform, x: f64, ni: Option<&[f64]>) -> f64 {
    match kind {
        BackTransform::Identity => x,
        BackTransform::Exp => x.exp(),
        BackTransform::InverseLogit => 1.0 / (1.0 + (-x).exp()),
        BackTransform::InverseArcsine => {
            let s = x.clamp(0.0, std::f64::consts::FRAC_PI_2).sin();
            s * s
        }
        BackTransform::InverseFreemanTukey | BackTransform::InverseFreemanTukeyRate => {
            let Some(ni) = ni.filter(|n| !n.is_empty()) else {
                return f64::NAN;
            };
            let nhm = ni.len() as f64 / ni.iter().map(|n| 1.0 / n).sum::<f64>();
            if kind == BackTransform::InverseFreemanTukey {
                inverse_freeman_tukey(x, nhm)
            } else {
                inverse_freeman_tukey_rate(x, nhm)
            }
        }
        BackTransform::InverseFisherZ => x.tanh(),
        BackTransform::Square => x.max(0.0).powi(2),
    }
}

/// metafor `transf.iirft`: the incidence rate whose Freeman–Tukey transform
/// at person-time `t` is `x` (0 below the transform of a zero rate).
///
/// ```
/// use rema_core::transform::inverse_freeman_tukey_rate;
/// // R (metafor 3.8-1): transf.iirft(0.2, ti = 100), transf.iirft(0.01, ti = 100)
/// assert!((inverse_freeman_tukey_rate(0.2, 100.0) - 0.03515625).abs() < 1e-12);
/// assert_eq!(inverse_freeman_tukey_rate(0.01, 100.0), 0.0);
/// ```
pub fn inverse_freeman_tukey_rate(x: f64, t: f64) -> f64 {
    if x < 0.5 * (1.0 / t).sqrt() {
        return 0.0;
    }
    let z = (1.0 / t - 8.0 * x * x + 16.0 * t * x.powi(4)) / (16.0 * x * x * t);
    if z <= f64::EPSILON {
        0.0
    } else {
        z
    }
}

/// metafor `transf.pft`: the double arcsine of proportion `p` at sample size `n`.
///
/// ```
/// use rema_core::transform::freeman_tukey;
/// // R: metafor::transf.pft(0.075, 40)
/// assert!((freeman_tukey(0.075, 40.0) - 0.295788236643).abs() < 1e-12);
/// ```
pub fn freeman_tukey(p: f64, n: f64) -> f64 {
    let x = p * n;
    0.5 * ((x / (n + 1.0)).sqrt().asin() + ((x + 1.0) / (n + 1.0)).sqrt().asin())
}

/// metafor `transf.ipft`: the inverse double arcsine at sample size `n`,
/// clamped to [0, 1].
///
/// ```
/// use rema_core::transform::{freeman_tukey, inverse_freeman_tukey};
/// // R: metafor::transf.ipft(0.3, 40)
/// assert!((inverse_freeman_tukey(0.3, 40.0) - 0.077410302126).abs() < 1e-12);
/// assert_eq!(inverse_freeman_tukey(freeman_tukey(1.0, 40.0) + 0.1, 40.0), 1.0);
/// ```
pub fn inverse_freeman_tukey(x: f64, n: f64) -> f64 {
    if x > freeman_tukey(1.0, n) {
        return 1.0;
    }
    if x < freeman_tukey(0.0, n) {
        return 0.0;
    }
    let s = (2.0 * x).sin();
    let c = (2.0 * x).cos();
    let inner = 1.0 - (s + (s - 1.0 / s) / n).powi(2);
    0.5 * (1.0 - c.signum() * inner.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freeman_tukey_round_trips() {
        for &p in &[0.05, 0.2, 0.5, 0.8] {
            let n = 40.0;
            assert!((inverse_freeman_tukey(freeman_tukey(p, n), n) - p).abs() < 1e-12);
        }
    }
}
