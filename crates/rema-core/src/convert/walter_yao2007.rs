//! The SD from the range alone: Walter & Yao (2007).
//!
//! Walter SD, Yao X. Effect sizes can be calculated for studies reporting
//! ranges for outcome variables in systematic reviews. Journal of Clinical
//! Epidemiology 2007;60:849–852. SD ≈ (b − a)/d₂(n), where d₂(n) is the
//! expected range of n independent standard normal values (Tippett 1925),
//! which the paper tabulates for n = 2 … 1000. rema computes d₂ exactly:
//! d₂(n) = ∫ [1 − Φ(x)ⁿ − (1 − Φ(x))ⁿ] dx over the real line, by Simpson's
//! rule on [0, 40] (the integrand is even), accurate to about 1e-10.
//! (Known values: d₂(2) = 2/√π = 1.1284, d₂(5) = 2.3259, d₂(10) = 3.0775;
//! Wan et al. 2014, Table 1, prints d₂(n) for n ≤ 50, which the tests check.)
//!
//! metafor ≥ 4.0's `conv.fivenum(method = "walter2007")` uses the same
//! divisor (by `integrate()`); metafor 3.8 has no such function.

use super::{check_n, ordered, pnorm, Result};

/// d₂(n): the expected range of n standard normal values.
///
/// ```
/// use rema_core::convert::walter_yao2007::expected_range;
/// // d₂(2) = 2/√π; R: integrate(function(x) 1 - pnorm(x)^10 - (1 - pnorm(x))^10, -Inf, Inf)
/// assert!((expected_range(2.0) - 2.0 / std::f64::consts::PI.sqrt()).abs() < 1e-10);
/// assert!((expected_range(10.0) - 3.07750546167).abs() < 1e-9);
/// ```
pub fn expected_range(n: f64) -> f64 {
    let f = |x: f64| {
        let p = pnorm(x);
        // 1 - p^n - (1-p)^n, written to keep precision in the upper tail.
        let upper = 1.0 - p;
        -(n * p.ln()).exp_m1() - upper.powf(n)
    };
    let (a, b, m) = (0.0, 40.0, 8000usize);
    let h = (b - a) / m as f64;
    let mut s = f(a) + f(b);
    for i in 1..m {
        let x = a + h * i as f64;
        s += if i % 2 == 1 { 4.0 } else { 2.0 } * f(x);
    }
    2.0 * s * h / 3.0
}

/// The SD from the minimum `a` and maximum `b` of a sample of size `n`.
///
/// ```
/// use rema_core::convert::walter_yao2007::sd_from_range;
/// # fn main() -> rema_core::convert::Result<()> {
/// // R: 40 / integrate(function(x) 1 - pnorm(x)^10 - (1 - pnorm(x))^10, -Inf, Inf)$value
/// assert!((sd_from_range(10.0, 50.0, 10.0)? - 12.9975398901).abs() < 1e-8);
/// # Ok(())
/// # }
/// ```
pub fn sd_from_range(a: f64, b: f64, n: f64) -> Result<f64> {
    ordered(&["min", "max"], &[a, b])?;
    check_n(n, 2.0)?;
    Ok((b - a) / expected_range(n))
}
