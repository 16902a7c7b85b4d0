//! SD from the standard error of a mean.
//!
//! SD = SE·√n (Cochrane Handbook for Systematic Reviews of Interventions,
//! version 6, section 6.5.2.2; RevMan calculator). metafor has no function
//! for it (one writes `sdi = sei * sqrt(ni)`).

use super::{check, check_n, Result};

/// SD of a sample of size `n` whose mean has standard error `se`.
///
/// ```
/// use rema_core::convert::se::sd_from_se;
/// # fn main() -> rema_core::convert::Result<()> {
/// assert_eq!(sd_from_se(0.5, 16.0)?, 2.0);
/// assert!(sd_from_se(-0.5, 16.0).is_err());
/// # Ok(())
/// # }
/// ```
pub fn sd_from_se(se: f64, n: f64) -> Result<f64> {
    check(
        "se",
        se,
        se > 0.0,
        "a standard error must be a finite number > 0",
    )?;
    check_n(n, 1.0)?;
    Ok(se * n.sqrt())
}
