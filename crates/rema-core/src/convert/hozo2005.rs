//! Mean and SD from the median and range: Hozo et al. (2005).
//!
//! Hozo SP, Djulbegovic B, Hozo I. Estimating the mean and variance from the
//! median, range, and the size of a sample. BMC Medical Research Methodology
//! 2005;5:13. With a = minimum, m = median, b = maximum:
//! - mean ≈ (a + 2m + b)/4 (eq. 4, advised for n ≤ 25); for n > 25 the
//!   median itself is the better estimate, and is used;
//! - SD ≈ √{[(a − 2m + b)²/4 + (b − a)²]/12} (eq. 16, advised for n ≤ 15),
//!   range/4 for 15 < n ≤ 70, and range/6 for n > 70 (the paper's advice).
//!
//! The same rules as metafor ≥ 4.0's `conv.fivenum(method = "hozo2005")`;
//! metafor 3.8 has no such function.

use super::{check_n, ordered, Result};

/// The mean from the median `m`, minimum `a` and maximum `b` of `n` values.
///
/// ```
/// use rema_core::convert::hozo2005::mean;
/// # fn main() -> rema_core::convert::Result<()> {
/// assert_eq!(mean(10.0, 25.0, 50.0, 12.0)?, 27.5); // (a + 2m + b)/4
/// assert_eq!(mean(10.0, 25.0, 50.0, 40.0)?, 25.0); // n > 25: the median
/// assert!(mean(10.0, 60.0, 50.0, 12.0).is_err()); // median above the maximum
/// # Ok(())
/// # }
/// ```
pub fn mean(a: f64, m: f64, b: f64, n: f64) -> Result<f64> {
    ordered(&["min", "median", "max"], &[a, m, b])?;
    check_n(n, 1.0)?;
    Ok(if n <= 25.0 {
        (a + 2.0 * m + b) / 4.0
    } else {
        m
    })
}

/// The SD from the median `m`, minimum `a` and maximum `b` of `n` values.
///
/// ```
/// use rema_core::convert::hozo2005::sd;
/// # fn main() -> rema_core::convert::Result<()> {
/// // eq. 16, R: sqrt(((10 - 2 * 25 + 50)^2 / 4 + (50 - 10)^2) / 12)
/// assert!((sd(10.0, 25.0, 50.0, 12.0)? - 11.6368667031).abs() < 1e-9);
/// assert_eq!(sd(10.0, 25.0, 50.0, 40.0)?, 10.0); // range/4
/// assert_eq!(sd(10.0, 25.0, 50.0, 100.0)?, 40.0 / 6.0); // range/6
/// # Ok(())
/// # }
/// ```
pub fn sd(a: f64, m: f64, b: f64, n: f64) -> Result<f64> {
    ordered(&["min", "median", "max"], &[a, m, b])?;
    check_n(n, 2.0)?;
    let range = b - a;
    Ok(if n <= 15.0 {
        let s = a - 2.0 * m + b;
        ((s * s / 4.0 + range * range) / 12.0).sqrt()
    } else if n <= 70.0 {
        range / 4.0
    } else {
        range / 6.0
    })
}
