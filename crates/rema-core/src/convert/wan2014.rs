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
pub fn xi(n: f64) -> f64 {
    2.0 * qnorm((n - 0.375) / (n + 0.25))
}

/// η(n): the approximate expected interquartile range of n standard normals.
pub fn eta(n: f64) -> f64 {
    2.0 * qnorm((0.75 * n - 0.125) / (n + 0.25))
}

/// S1 and range only: minimum `a`, maximum `b`.
pub fn sd_from_range(a: f64, b: f64, n: f64) -> Result<f64> {
    ordered(&["min", "max"], &[a, b])?;
    check_n(n, 2.0)?;
    Ok((b - a) / xi(n))
}

/// S3: quartiles `q1`, `q3`.
pub fn sd_from_quartiles(q1: f64, q3: f64, n: f64) -> Result<f64> {
    ordered(&["q1", "q3"], &[q1, q3])?;
    check_n(n, 2.0)?;
    Ok((q3 - q1) / eta(n))
}

/// S2: range and quartiles.
pub fn sd_from_five(a: f64, q1: f64, q3: f64, b: f64, n: f64) -> Result<f64> {
    ordered(&["min", "q1", "q3", "max"], &[a, q1, q3, b])?;
    check_n(n, 2.0)?;
    Ok((b - a) / (2.0 * xi(n)) + (q3 - q1) / (2.0 * eta(n)))
}
