//! The mean from a median with a range and/or quartiles: Luo et al. (2018).
//!
//! Luo D, Wan X, Liu J, Tong T. Optimally estimating the sample mean from the
//! sample size, median, mid-range, and/or mid-quartile range. Statistical
//! Methods in Medical Research 2018;27(6):1785–1805. With a = minimum,
//! b = maximum, q₁, q₃ the quartiles, m the median and n the sample size:
//! - scenario S1 (a, m, b): x̄ ≈ w·(a + b)/2 + (1 − w)·m, w = 4/(4 + n^0.75);
//! - scenario S2 (a, q₁, m, q₃, b): x̄ ≈ w₁(a + b)/2 + w₂(q₁ + q₃)/2 + (1 − w₁ − w₂)m,
//!   w₁ = 2.2/(2.2 + n^0.75), w₂ = 0.7 − 0.72/n^0.55;
//! - scenario S3 (q₁, m, q₃): x̄ ≈ (0.7 + 0.39/n)(q₁ + q₃)/2 + (0.3 − 0.39/n)m.
//!
//! metafor ≥ 4.0's `conv.fivenum()` uses these for the mean by default
//! (`method = "rec"`, which it cites as Luo et al. 2016, the online-first
//! version); metafor 3.8 has no such function. Unlike metafor, rema does not
//! skip studies whose summaries fail a skewness test, nor rows with n < 5.

use super::{check_n, ordered, Result};

/// S1: median `m`, minimum `a`, maximum `b` of `n` values.
///
/// ```
/// use rema_core::convert::luo2018::mean_from_range;
/// # fn main() -> rema_core::convert::Result<()> {
/// // R: w <- 4 / (4 + 40^0.75); w * (10 + 50) / 2 + (1 - w) * 25
/// assert!((mean_from_range(10.0, 25.0, 50.0, 40.0)? - 26.0047517435).abs() < 1e-9);
/// # Ok(())
/// # }
/// ```
pub fn mean_from_range(a: f64, m: f64, b: f64, n: f64) -> Result<f64> {
    ordered(&["min", "median", "max"], &[a, m, b])?;
    check_n(n, 1.0)?;
    let w = 4.0 / (4.0 + n.powf(0.75));
    Ok(w * (a + b) / 2.0 + (1.0 - w) * m)
}

/// S3: median `m`, quartiles `q1`, `q3` of `n` values.
///
/// ```
/// use rema_core::convert::luo2018::mean_from_quartiles;
/// # fn main() -> rema_core::convert::Result<()> {
/// // R: w <- 0.7 + 0.39 / 40; w * (20 + 32) / 2 + (1 - w) * 25
/// assert!((mean_from_quartiles(20.0, 25.0, 32.0, 40.0)? - 25.70975).abs() < 1e-12);
/// # Ok(())
/// # }
/// ```
pub fn mean_from_quartiles(q1: f64, m: f64, q3: f64, n: f64) -> Result<f64> {
    ordered(&["q1", "median", "q3"], &[q1, m, q3])?;
    check_n(n, 1.0)?;
    let w = 0.7 + 0.39 / n;
    Ok(w * (q1 + q3) / 2.0 + (1.0 - w) * m)
}

/// S2: all five numbers, of `n` values.
///
/// ```
/// use rema_core::convert::luo2018::mean_from_five;
/// # fn main() -> rema_core::convert::Result<()> {
/// // R: w1 <- 2.2 / (2.2 + 40^0.75); w2 <- 0.7 - 0.72 / 40^0.55
/// //    w1 * (10 + 50) / 2 + w2 * (20 + 32) / 2 + (1 - w1 - w2) * 25
/// assert!((mean_from_five(10.0, 20.0, 25.0, 32.0, 50.0, 40.0)? - 26.2128858652).abs() < 1e-9);
/// # Ok(())
/// # }
/// ```
pub fn mean_from_five(a: f64, q1: f64, m: f64, q3: f64, b: f64, n: f64) -> Result<f64> {
    ordered(&["min", "q1", "median", "q3", "max"], &[a, q1, m, q3, b])?;
    check_n(n, 1.0)?;
    let w1 = 2.2 / (2.2 + n.powf(0.75));
    let w2 = 0.7 - 0.72 / n.powf(0.55);
    Ok(w1 * (a + b) / 2.0 + w2 * (q1 + q3) / 2.0 + (1.0 - w1 - w2) * m)
}
