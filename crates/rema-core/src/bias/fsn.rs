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
//! - `Rosenthal` with `test = Fisher` (metafor `fsn(type = "Rosenthal",
//!   test = "Fisher")`, an undocumented argument of its `...`; Fisher's
//!   method of combining p-values, Rosenthal 1979): with pᵢ = 1 − Φ(|zᵢ|),
//!   the p-value of the studies is P(χ²_{2k} > X²), X² = −2Σ ln pᵢ; N = 0 when
//!   it is ≥ α, else the root in N of P(χ²_{2(k+N)} > X² − 2⌊N⌋ ln ½) − α
//!   (the N added studies each have p = ½; R's `rep(0.5, N)` takes ⌊N⌋ of
//!   them while the degrees of freedom take N as it is), found as metafor
//!   finds it: `uniroot(interval = c(0, 1000), extendInt = "upX")` at R's
//!   default tolerance ε^¼, ported step for step (`roots::r_uniroot`), since
//!   the function jumps at every integer and another root finder could stop
//!   at another crossing.
//!
//! As metafor, N is rounded up unless it is within √ε of an integer, where it
//! is rounded to it. metafor's `type = "REM"` (Viechtbauer's random-effects
//! N: the number of null studies whose simulated random-effects estimate
//! averages the target, each evaluation drawing 10⁵ sets of studies with R's
//! generator) is not offered: it is a simulation whose answer depends on R's
//! random numbers and on a root finder at tolerance 0.001 run over a noisy
//! function.

use crate::dist::{chisq_sf, norm_quantile, norm_sf};
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

choice! {
    /// How Rosenthal's method combines the studies' p-values (metafor
    /// `fsn(test = )`).
    FsnTest, "fail-safe N test" {
        /// Stouffer's sum of z values (metafor's default).
        Stouffer => "Stouffer",
        /// Fisher's sum of −2 ln p.
        Fisher => "Fisher",
    }
}

/// The fail-safe N (metafor's `fsn()` object).
///
/// Produced by [`fail_safe_n`] (see its example).
#[derive(Debug, Clone, PartialEq)]
pub struct FailSafeN {
    /// The method (metafor `type`).
    pub kind: FsnType,
    /// How Rosenthal's method combines p-values (metafor `test`; Stouffer
    /// for the other types).
    pub test: FsnTest,
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
    fail_safe_n_with(yi, vi, kind, FsnTest::Stouffer, alpha, target, weighted)
}

/// [`fail_safe_n`] with the test of Rosenthal's method (metafor
/// `fsn(type = "Rosenthal", test = "Fisher")`).
///
/// ```
/// use rema_core::bias::{fail_safe_n_with, FsnTest, FsnType};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// // dat.bcg, log risk ratios; metafor 3.8-1: fsn(yi, vi, test = "Fisher")
/// let f = fail_safe_n_with(&yi, &vi, FsnType::Rosenthal, FsnTest::Fisher, 0.05, None, false)?;
/// assert_eq!(f.fsnum, 363.0);
/// assert!((f.pval.unwrap() / 2.3039686367238267e-51 - 1.0).abs() < 1e-6);
/// # Ok(())
/// # }
/// ```
pub fn fail_safe_n_with(
    yi: &[f64],
    vi: &[f64],
    kind: FsnType,
    test: FsnTest,
    alpha: f64,
    target: Option<f64>,
    weighted: bool,
) -> Result<FailSafeN> {
    let k = crate::fit::validate_at_least(yi, vi, 1, "the fail-safe N")?;
    if test == FsnTest::Fisher && kind != FsnType::Rosenthal {
        return Err(Error::InvalidOption {
            option: "fsn_test",
            message: format!("the test (Stouffer or Fisher) is Rosenthal's; the {kind} method has none: leave out the test or use type Rosenthal"),
        });
    }
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
        test,
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
        FsnType::Rosenthal if test == FsnTest::Fisher => {
            let lnp: f64 = yi
                .iter()
                .zip(vi)
                .map(|(y, v)| norm_sf((y / v.sqrt()).abs()).ln())
                .sum();
            let p0 = chisq_sf(-2.0 * lnp, 2.0 * kf);
            out.pval = Some(p0);
            if p0 >= alpha {
                0.0
            } else {
                // metafor's .fsn.fisher: X² over the k p-values and ⌊N⌋ halves.
                let f = |n: f64| {
                    let x2 = -2.0 * (lnp + n.trunc() * 0.5f64.ln());
                    chisq_sf(x2, 2.0 * (kf + n)) - alpha
                };
                crate::roots::r_uniroot(f, 0.0, 1000.0, 1.0, f64::EPSILON.powf(0.25), 1000)
                    .ok_or_else(|| Error::NotConverged {
                        method: "the fail-safe N (Fisher)",
                        iterations: 1000,
                        detail: format!("no number of null studies brings Fisher's combined p-value {p0} up to alpha = {alpha}"),
                    })?
            }
        }
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
    fn fisher_is_rosenthals_and_zero_when_not_significant() {
        let err = fail_safe_n_with(
            &[0.2, 0.4],
            &[0.1, 0.1],
            FsnType::Orwin,
            FsnTest::Fisher,
            0.05,
            None,
            false,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidOption {
                option: "fsn_test",
                ..
            }
        ));
        // Two studies with z = 0.5: Fisher's p is above 0.05, so N = 0.
        let f = fail_safe_n_with(
            &[0.05, 0.05],
            &[0.01, 0.01],
            FsnType::Rosenthal,
            FsnTest::Fisher,
            0.05,
            None,
            false,
        )
        .unwrap();
        assert_eq!(f.fsnum, 0.0);
        assert!(f.pval.unwrap() > 0.05);
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
