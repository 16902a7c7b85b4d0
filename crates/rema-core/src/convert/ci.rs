//! Mean and SD from a confidence interval of a mean.
//!
//! Cochrane Handbook, version 6, section 6.5.2.2: the mean is the midpoint
//! (lower + upper)/2 and SD = √n·(upper − lower)/(2·q), where q is the
//! two-sided quantile of the interval: the t quantile with n − 1 degrees of
//! freedom for small samples (the Handbook's "say, less than 60"; 4.128 for a
//! 95% interval with n = 25), the normal quantile (3.92 = 2 × 1.96) otherwise.

use super::{check, check_n, qnorm, qt, ConvertError, Result};

/// Below this sample size the t quantile is used (Cochrane Handbook 6.5.2.2).
pub const T_BELOW_N: f64 = 60.0;

/// An SD estimated from a confidence interval, with the divisor used.
#[derive(Debug, Clone, Copy, PartialEq)]
///
/// Produced by [`sd_from_ci`] (see its example).
pub struct CiSd {
    /// The estimated SD.
    pub sd: f64,
    /// The width of the interval in standard errors (2·q).
    pub divisor: f64,
    /// True when q is a t quantile, false when normal.
    pub t_quantile: bool,
}

/// The mean implied by an interval: its midpoint.
///
/// ```
/// use rema_core::convert::ci::mean_from_ci;
/// # fn main() -> rema_core::convert::Result<()> {
/// assert_eq!(mean_from_ci(8.0, 12.0)?, 10.0);
/// assert!(mean_from_ci(12.0, 8.0).is_err());
/// # Ok(())
/// # }
/// ```
pub fn mean_from_ci(lower: f64, upper: f64) -> Result<f64> {
    bounds(lower, upper)?;
    Ok(0.5 * (lower + upper))
}

/// The SD of a sample of size `n` whose mean has the `level`% (e.g. 95)
/// interval `[lower, upper]`.
///
/// ```
/// use rema_core::convert::ci::sd_from_ci;
/// # fn main() -> rema_core::convert::Result<()> {
/// // The Cochrane Handbook's example, n = 25: divisor 2·qt(0.975, 24) = 4.128.
/// // R: sqrt(25) * (12 - 8) / (2 * qt(0.975, 24))
/// let s = sd_from_ci(8.0, 12.0, 25.0, 95.0)?;
/// assert!((s.divisor - 4.12779712326).abs() < 1e-9 && s.t_quantile);
/// assert!((s.sd - 4.84519936489).abs() < 1e-9);
/// // From n = 60 on, the normal quantile: R: sqrt(100) * 4 / (2 * qnorm(0.975))
/// let s = sd_from_ci(8.0, 12.0, 100.0, 95.0)?;
/// assert!(!s.t_quantile && (s.sd - 10.2042691385).abs() < 1e-9);
/// # Ok(())
/// # }
/// ```
pub fn sd_from_ci(lower: f64, upper: f64, n: f64, level: f64) -> Result<CiSd> {
    bounds(lower, upper)?;
    check_n(n, 2.0)?;
    check(
        "level",
        level,
        level > 0.0 && level < 100.0,
        "a confidence level lies strictly between 0 and 100",
    )?;
    let p = 1.0 - (1.0 - level / 100.0) / 2.0;
    let t_quantile = n < T_BELOW_N;
    let q = if t_quantile { qt(p, n - 1.0) } else { qnorm(p) };
    let divisor = 2.0 * q;
    Ok(CiSd {
        sd: n.sqrt() * (upper - lower) / divisor,
        divisor,
        t_quantile,
    })
}

fn bounds(lower: f64, upper: f64) -> Result<()> {
    check(
        "lower",
        lower,
        true,
        "a confidence bound must be a finite number",
    )?;
    check(
        "upper",
        upper,
        true,
        "a confidence bound must be a finite number",
    )?;
    if !(upper > lower) {
        return Err(ConvertError::Inconsistent {
            message: format!(
                "the interval [{lower}, {upper}] is empty; the upper bound must exceed the lower"
            ),
        });
    }
    Ok(())
}
