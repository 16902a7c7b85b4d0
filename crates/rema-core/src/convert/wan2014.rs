//! The SD from a range and/or quartiles: Wan et al. (2014).
//!
//! Wan X, Wang W, Liu J, Tong T. Estimating the sample mean and standard
//! deviation from the sample size, median, range and/or interquartile range.
//! BMC Medical Research Methodology 2014;14:135. With ξ(n) = 2Φ⁻¹((n − 0.375)/(n + 0.25))
//! and η(n) = 2Φ⁻¹((0.75n − 0.125)/(n + 0.25)) (Blom's approximations to the
//! expected range and interquartile range of n standard normals):
//! - scenario S1 (a, m, b), and the range alone: SD ≈ (b − a)/ξ(n) (eq. 7);
//! - scenario S2 (a, q₁, m, q₃, b): SD ≈ (b − a)/(2ξ(n)) + (q₃ − q₁)/(2η(n)) (eq. 13);
//! - scenario S3 (q₁, m, q₃): SD ≈ (q₃ − q₁)/η(n) (eq. 16).
//!
//! metafor ≥ 4.0's `conv.fivenum()` uses S1 and S3 for the SD by default
//! (for S2 its default is Shi et al. 2020; `method = "wan2014"` gives eq. 13);
//! metafor 3.8 has no such function.

use super::{check_n, ordered, qnorm, Result};

/// ξ(n): the approximate expected range of n standard normal values.
///
/// ```
/// use rema_core::convert::wan2014::{eta, xi};
/// // R: 2 * qnorm((40 - 0.375) / (40 + 0.25)), 2 * qnorm((0.75 * 40 - 0.125) / (40 + 0.25))
/// assert!((xi(40.0) - 4.31271141038).abs() < 1e-9);
/// assert!((eta(40.0) - 1.30050866545).abs() < 1e-9);
/// ```
pub fn xi(n: f64) -> f64 {
    2.0 * qnorm((n - 0.375) / (n + 0.25))
}

/// η(n): the approximate expected interquartile range of n standard normals.
pub fn eta(n: f64) -> f64 {
    2.0 * qnorm((0.75 * n - 0.125) / (n + 0.25))
}

/// S1 and range only: minimum `a`, maximum `b` of `n` values.
///
/// ```
/// use rema_core::convert::wan2014::sd_from_range;
/// # fn main() -> rema_core::convert::Result<()> {
/// // R: (50 - 10) / xi(40), with ξ as in [`xi`]
/// assert!((sd_from_range(10.0, 50.0, 40.0)? - 9.27490763785).abs() < 1e-9);
/// # Ok(())
/// # }
/// ```
pub fn sd_from_range(a: f64, b: f64, n: f64) -> Result<f64> {
    ordered(&["min", "max"], &[a, b])?;
    check_n(n, 2.0)?;
    Ok((b - a) / xi(n))
}

/// S3: quartiles `q1`, `q3` of `n` values.
///
/// ```
/// use rema_core::convert::wan2014::sd_from_quartiles;
/// # fn main() -> rema_core::convert::Result<()> {
/// // R: (32 - 20) / eta(40), with η as in [`eta`]
/// assert!((sd_from_quartiles(20.0, 32.0, 40.0)? - 9.22715881775).abs() < 1e-9);
/// assert!(sd_from_quartiles(32.0, 20.0, 40.0).is_err());
/// # Ok(())
/// # }
/// ```
pub fn sd_from_quartiles(q1: f64, q3: f64, n: f64) -> Result<f64> {
    ordered(&["q1", "q3"], &[q1, q3])?;
    check_n(n, 2.0)?;
    Ok((q3 - q1) / eta(n))
}

/// S2: range and quartiles of `n` values.
///
/// ```
/// use rema_core::convert::wan2014::sd_from_five;
/// # fn main() -> rema_core::convert::Result<()> {
/// // R: (50 - 10) / (2 * xi(40)) + (32 - 20) / (2 * eta(40))
/// assert!((sd_from_five(10.0, 20.0, 32.0, 50.0, 40.0)? - 9.2510332278).abs() < 1e-9);
/// # Ok(())
/// # }
/// ```
pub fn sd_from_five(a: f64, q1: f64, q3: f64, b: f64, n: f64) -> Result<f64> {
    ordered(&["min", "q1", "q3", "max"], &[a, q1, q3, b])?;
    check_n(n, 2.0)?;
    Ok((b - a) / (2.0 * xi(n)) + (q3 - q1) / (2.0 * eta(n)))
}
