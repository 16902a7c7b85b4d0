//! SDs from the p-value or t statistic of a test (RevMan calculator).
//!
//! Cochrane Handbook, version 6, sections 6.5.2.3 and 23.2.7.3 (the RevMan
//! calculator does the same):
//! - from a two-sided p-value to t: t = qt(1 − p/2, df);
//! - paired (one-sample) t test of a mean change d̄ in n pairs (df = n − 1):
//!   SE = |d̄|/t, SD of the change = SE·√n;
//! - two-sample t test of a mean difference MD (df = n₁ + n₂ − 2):
//!   SE = |MD|/t, SD = SE/√(1/n₁ + 1/n₂) (the pooled SD, used for both groups);
//! - the pre/post correlation implied by the SDs (Handbook 6.5.2.8):
//!   r = (SD_pre² + SD_post² − SD_change²)/(2·SD_pre·SD_post).
//!
//! metafor 3.8 takes a t or p value only for some measures (`escalc(ti=, pi=)`
//! for SMCC); it has no SD calculator.

use super::{check, check_n, qt, ConvertError, Result};

/// The |t| of a two-sided test with p-value `p` and `df` degrees of freedom.
///
/// ```
/// use rema_core::convert::paired::t_from_p;
/// # fn main() -> rema_core::convert::Result<()> {
/// assert!((t_from_p(0.03, 19.0)? - 2.34564753356).abs() < 1e-9); // R: qt(1 - 0.03 / 2, 19)
/// assert!(t_from_p(0.0, 19.0).is_err());
/// # Ok(())
/// # }
/// ```
pub fn t_from_p(p: f64, df: f64) -> Result<f64> {
    check(
        "p",
        p,
        p > 0.0 && p < 1.0,
        "a p-value must lie strictly between 0 and 1 (an exact value, not `<0.001`)",
    )?;
    check("df", df, df > 0.0, "the degrees of freedom must be > 0")?;
    Ok(qt(1.0 - p / 2.0, df))
}

/// The SD of the change from the t statistic of a paired test of the mean
/// change `mean_change` in `n` pairs.
///
/// ```
/// use rema_core::convert::paired::sd_change_from_t;
/// # fn main() -> rema_core::convert::Result<()> {
/// assert!((sd_change_from_t(2.5, -2.0, 16.0)? - 5.0).abs() < 1e-12); // |2.5 / 2|·√16
/// # Ok(())
/// # }
/// ```
pub fn sd_change_from_t(mean_change: f64, t: f64, n: f64) -> Result<f64> {
    check(
        "mean change",
        mean_change,
        mean_change != 0.0,
        "a zero mean change gives no information on the SD",
    )?;
    check_t(t)?;
    check_n(n, 2.0)?;
    Ok((mean_change / t).abs() * n.sqrt())
}

/// The SD of the change from the two-sided p-value of a paired t test of
/// the mean change `mean_change` in `n` pairs.
///
/// ```
/// use rema_core::convert::paired::sd_change_from_p;
/// # fn main() -> rema_core::convert::Result<()> {
/// // R: 2.5 / qt(1 - 0.03 / 2, 19) * sqrt(20)
/// assert!((sd_change_from_p(2.5, 0.03, 20.0)? - 4.76641939061).abs() < 1e-9);
/// # Ok(())
/// # }
/// ```
pub fn sd_change_from_p(mean_change: f64, p: f64, n: f64) -> Result<f64> {
    check_n(n, 2.0)?;
    let t = t_from_p(p, n - 1.0)?;
    sd_change_from_t(mean_change, t, n)
}

/// The pooled SD of two groups of `n1` and `n2` from the t statistic of a
/// two-sample t test of the mean difference `md`.
///
/// ```
/// use rema_core::convert::paired::sd_from_two_group_t;
/// # fn main() -> rema_core::convert::Result<()> {
/// assert!((sd_from_two_group_t(3.0, 1.5, 8.0, 8.0)? - 4.0).abs() < 1e-12); // (3 / 1.5) / √(1/8 + 1/8)
/// # Ok(())
/// # }
/// ```
pub fn sd_from_two_group_t(md: f64, t: f64, n1: f64, n2: f64) -> Result<f64> {
    check(
        "md",
        md,
        md != 0.0,
        "a zero difference gives no information on the SD",
    )?;
    check_t(t)?;
    check_n(n1, 1.0)?;
    check_n(n2, 1.0)?;
    Ok((md / t).abs() / (1.0 / n1 + 1.0 / n2).sqrt())
}

/// The pooled SD of two groups of `n1` and `n2` from the two-sided p-value
/// of a two-sample t test of the mean difference `md`.
///
/// ```
/// use rema_core::convert::paired::sd_from_two_group_p;
/// # fn main() -> rema_core::convert::Result<()> {
/// // R: 3 / qt(1 - 0.04 / 2, 48) / sqrt(1 / 25 + 1 / 25)
/// assert!((sd_from_two_group_p(3.0, 0.04, 25.0, 25.0)? - 5.02426947706).abs() < 1e-9);
/// # Ok(())
/// # }
/// ```
pub fn sd_from_two_group_p(md: f64, p: f64, n1: f64, n2: f64) -> Result<f64> {
    check_n(n1, 1.0)?;
    check_n(n2, 1.0)?;
    let t = t_from_p(p, n1 + n2 - 2.0)?;
    sd_from_two_group_t(md, t, n1, n2)
}

/// The pre/post correlation implied by the SDs before, after and of the change.
///
/// ```
/// use rema_core::convert::paired::implied_correlation;
/// # fn main() -> rema_core::convert::Result<()> {
/// // (10² + 12² − 8²) / (2·10·12)
/// assert!((implied_correlation(10.0, 12.0, 8.0)? - 0.75).abs() < 1e-12);
/// assert!(implied_correlation(1.0, 1.0, 5.0).is_err()); // r would be −11.5
/// # Ok(())
/// # }
/// ```
pub fn implied_correlation(sd_pre: f64, sd_post: f64, sd_change: f64) -> Result<f64> {
    for (q, v) in [
        ("sd_pre", sd_pre),
        ("sd_post", sd_post),
        ("sd_change", sd_change),
    ] {
        check(q, v, v > 0.0, "an SD must be a finite number > 0")?;
    }
    let r =
        (sd_pre * sd_pre + sd_post * sd_post - sd_change * sd_change) / (2.0 * sd_pre * sd_post);
    if !(-1.0..=1.0).contains(&r) {
        return Err(ConvertError::Inconsistent {
            message: format!(
                "the SD of the change {sd_change} is incompatible with SDs {sd_pre} (pre) and {sd_post} (post): the implied correlation {r:.3} lies outside [-1, 1]"
            ),
        });
    }
    Ok(r)
}

/// A t statistic must be finite and other than 0.
fn check_t(t: f64) -> Result<()> {
    check(
        "t",
        t,
        t != 0.0,
        "a t statistic must be a finite number other than 0",
    )
}
