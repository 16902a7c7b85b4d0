//! The fail-safe N: how many unpublished studies averaging a null result
//! would undo a conclusion, as metafor 3.8-1 `fsn(yi, vi, type, alpha,
//! target, weighted)`.
//!
//! - `Rosenthal` (Rosenthal 1979, Psychological Bulletin 86:638–641; the
//!   Stouffer sum of zᵢ = yᵢ/√vᵢ): with z̄ = |Σzᵢ|/√k and z_α the upper α
//!   quantile of the normal, N = max(0, k(z̄/z_α)² − k); the p-value is
//!   1 − Φ(z̄) (one-sided, as metafor).
//! - `Orwin` (Orwin 1983, Journal of Educational Statistics 8:157–159): with
//!   ȳ the mean effect (unweighted, or inverse-variance weighted with
//!   `weighted`) and a target effect θ* (default ȳ/2, its sign made that of
//!   ȳ), N = max(0, k(ȳ − θ*)/θ*); θ* = 0 gives N = ∞.
//! - `Rosenberg` (Rosenberg 2005, Evolution 59:464–468): with wᵢ = 1/vᵢ and
//!   the common-effect estimate ȳ_w, N = max(0, k[(Σwᵢyᵢ/z_{α/2})² − Σwᵢ]/Σwᵢ);
//!   the p-value is the two-sided one of the common-effect z test.
//!
//! As metafor, N is rounded up unless it is within √ε of an integer, where it
//! is rounded to it. metafor's simulation-based `type = "REM"` and its
//! Fisher variant of Rosenthal's method (`test = "Fisher"`, a root of a
//! step function) are not offered.

use crate::dist::{norm_quantile, norm_sf};
use crate::error::{Error, Result};

choice! {
    /// The method of the fail-safe N (metafor `fsn(type = )`).
    FsnType, "fail-safe N type" {
        /// Rosenthal's file-drawer number (metafor's default).
        Rosenthal => "Rosenthal",
        /// Orwin's number to reach a target effect.
        Orwin => "Orwin",
        /// Rosenberg's weighted number.
        Rosenberg => "Rosenberg",
    }
}

/// The fail-safe N (metafor's `fsn()` object).
///
/// Produced by [`fail_safe_n`] (see its example).
#[derive(Debug, Clone, PartialEq)]
pub struct FailSafeN {
    /// The method (metafor `type`).
    pub kind: FsnType,
    /// The fail-safe N (metafor `fsnum`); infinite for Orwin's with target 0.
    pub fsnum: f64,
    /// The significance level (metafor `alpha`).
    pub alpha: f64,
    /// The p-value of the observed studies (metafor `pval`): Rosenthal's
    /// one-sided Stouffer test, Rosenberg's two-sided common-effect test;
    /// `None` for Orwin's.
    pub pval: Option<f64>,
    /// The mean effect (metafor `meanes`): Orwin's ȳ or Rosenberg's ȳ_w;
    /// `None` for Rosenthal's.
    pub meanes: Option<f64>,
    /// Orwin's target effect (metafor `target`), `None` for the others.
    pub target: Option<f64>,
}

/// The fail-safe N of effects `yi` with sampling variances `vi` by `kind`
/// at significance level `alpha` (metafor's default 0.05); `target` and
/// `weighted` are Orwin's.
///
/// ```
/// use rema_core::bias::{fail_safe_n, FsnType};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// // dat.bcg, log risk ratios; metafor 3.8-1: fsn(yi, vi)
/// let f = fail_safe_n(&yi, &vi, FsnType::Rosenthal, 0.05, None, false)?;
/// assert_eq!(f.fsnum, 598.0);
/// # Ok(())
/// # }
/// ```
pub fn fail_safe_n(
    yi: &[f64],
    vi: &[f64],
    kind: FsnType,
    alpha: f64,
    target: Option<f64>,
    weighted: bool,
) -> Result<FailSafeN> {
    let k = crate::fit::validate_at_least(yi, vi, 1, "the fail-safe N")?;
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(Error::InvalidOption {
            option: "fsn_alpha",
            message: format!("{alpha} is not a level; give a value between 0 and 1, such as 0.05"),
        });
    }
    if target.is_some() && kind != FsnType::Orwin {
        return Err(Error::InvalidOption {
            option: "fsn_target",
            message: format!("a target effect is Orwin's; the {kind} method has none: leave out the target or use type Orwin"),
        });
    }
    if weighted && kind != FsnType::Orwin {
        return Err(Error::InvalidOption {
            option: "fsn_weighted",
            message: format!("weighting is an option of Orwin's method; the {kind} method is weighted by its definition"),
        });
    }
    if let Some(t) = target {
        if !t.is_finite() {
            return Err(Error::InvalidOption {
                option: "fsn_target",
                message: format!("the target effect is {t}; give a finite number"),
            });
        }
    }
    let kf = k as f64;
    let mut out = FailSafeN {
        kind,
        fsnum: 0.0,
        alpha,
        pval: None,
        meanes: None,
        target: None,
    };
    let wmean = || {
        let sw: f64 = vi.iter().map(|v| 1.0 / v).sum();
        let m = yi.iter().zip(vi).map(|(y, v)| y / v).sum::<f64>() / sw;
        (m, sw)
    };
    let raw = match kind {
        FsnType::Rosenthal => {
            let zsum: f64 = yi.iter().zip(vi).map(|(y, v)| y / v.sqrt()).sum();
            let zavg = (zsum / kf.sqrt()).abs();
            out.pval = Some(norm_sf(zavg));
            (kf * (zavg / norm_quantile(1.0 - alpha)).powi(2) - kf).max(0.0)
        }
        FsnType::Orwin => {
            let mean = if weighted {
                wmean().0
            } else {
                yi.iter().sum::<f64>() / kf
            };
            let mut t = target.unwrap_or(mean / 2.0);
            out.meanes = Some(mean);
            let n = if t == 0.0 {
                f64::INFINITY
            } else {
                if sign(t) != sign(mean) {
                    t = -t;
                }
                (kf * (mean - t) / t).max(0.0)
            };
            out.target = Some(t);
            n
        }
        FsnType::Rosenberg => {
            let (mean, sw) = wmean();
            let swy: f64 = yi.iter().zip(vi).map(|(y, v)| y / v).sum();
            let z = mean / (1.0 / sw).sqrt();
            let wp = (swy / norm_quantile(1.0 - alpha / 2.0)).powi(2) - sw;
            out.meanes = Some(mean);
            out.pval = Some(2.0 * norm_sf(z.abs()));
            (kf * wp / sw).max(0.0)
        }
    };
    out.fsnum = if raw.is_finite() && (raw - raw.round()).abs() >= f64::EPSILON.sqrt() {
        raw.ceil()
    } else {
        raw.round()
    };
    Ok(out)
}

/// R's `sign`: −1, 0 or 1.
fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orwin_with_target_zero_is_infinite() {
        let f = fail_safe_n(
            &[0.2, 0.4],
            &[0.1, 0.1],
            FsnType::Orwin,
            0.05,
            Some(0.0),
            false,
        )
        .unwrap();
        assert_eq!(f.fsnum, f64::INFINITY);
    }

    #[test]
    fn orwin_takes_the_sign_of_the_mean() {
        // Mean -0.3, target 0.1 read as -0.1: N = 2 (-0.3 + 0.1) / -0.1 = 4.
        let f = fail_safe_n(
            &[-0.2, -0.4],
            &[0.1, 0.1],
            FsnType::Orwin,
            0.05,
            Some(0.1),
            false,
        )
        .unwrap();
        assert_eq!((f.fsnum, f.target), (4.0, Some(-0.1)));
    }

    #[test]
    fn a_target_needs_orwin() {
        let err = fail_safe_n(
            &[0.2, 0.4],
            &[0.1, 0.1],
            FsnType::Rosenberg,
            0.05,
            Some(0.1),
            false,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidOption {
                option: "fsn_target",
                ..
            }
        ));
    }
}
