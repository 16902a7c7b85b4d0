//! Total wrappers of statrs's distribution functions.
//!
//! statrs panics when a probability function is given NaN (its incomplete beta
//! and gamma functions check their arguments), and its constructors fail for
//! invalid parameters. A statistic computed from extreme data can be NaN or
//! infinite; these wrappers return NaN for NaN and for invalid parameters, and
//! the exact limits at ±∞, so no input reaches a panic.

use statrs::distribution::{ChiSquared, ContinuousCDF, FisherSnedecor, Normal, StudentsT};

fn valid_p(p: f64) -> bool {
    (0.0..=1.0).contains(&p)
}

/// Upper tail of the standard normal, P(Z > x) (R `pnorm(x, lower.tail = FALSE)`).
///
/// ```
/// use rema_core::dist::norm_sf;
/// // R: pnorm(1.5, lower.tail = FALSE); statrs agrees to about 1e-11.
/// assert!((norm_sf(1.5) - 0.0668072012688581).abs() < 1e-10);
/// assert!(norm_sf(f64::NAN).is_nan());
/// ```
pub fn norm_sf(x: f64) -> f64 {
    if x.is_nan() {
        f64::NAN
    } else {
        Normal::standard().sf(x)
    }
}

/// P(Z ≤ x) of the standard normal (R `pnorm(x)`).
///
/// ```
/// use rema_core::dist::norm_cdf;
/// // R: pnorm(-1); statrs agrees to about 1e-11.
/// assert!((norm_cdf(-1.0) - 0.158655253931457).abs() < 1e-10);
/// ```
pub fn norm_cdf(x: f64) -> f64 {
    if x.is_nan() {
        f64::NAN
    } else {
        Normal::standard().cdf(x)
    }
}

/// The standard normal quantile (R `qnorm(p)`); NaN outside [0, 1].
///
/// ```
/// use rema_core::dist::norm_quantile;
/// assert!((norm_quantile(0.975) - 1.95996398454005).abs() < 1e-12); // R: qnorm(0.975)
/// assert!(norm_quantile(1.5).is_nan());
/// ```
pub fn norm_quantile(p: f64) -> f64 {
    if valid_p(p) {
        Normal::standard().inverse_cdf(p)
    } else {
        f64::NAN
    }
}

/// Upper tail of Student's t with `df` degrees of freedom (R `pt(x, df, lower.tail = FALSE)`).
///
/// ```
/// use rema_core::dist::t_sf;
/// assert!((t_sf(2.1, 12.0) - 0.0287724693674756).abs() < 1e-12); // R: pt(2.1, 12, lower.tail = FALSE)
/// assert!(t_sf(1.0, 0.0).is_nan());
/// ```
pub fn t_sf(x: f64, df: f64) -> f64 {
    if x.is_nan() || !(df > 0.0) {
        return f64::NAN;
    }
    if x.is_infinite() {
        return if x > 0.0 { 0.0 } else { 1.0 };
    }
    StudentsT::new(0.0, 1.0, df)
        .map(|t| t.sf(x))
        .unwrap_or(f64::NAN)
}

/// The quantile of Student's t with `df` degrees of freedom (R `qt(p, df)`).
///
/// ```
/// use rema_core::dist::t_quantile;
/// assert!((t_quantile(0.975, 12.0) - 2.17881282966723).abs() < 1e-10); // R: qt(0.975, 12)
/// ```
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if !valid_p(p) || !(df > 0.0) {
        return f64::NAN;
    }
    StudentsT::new(0.0, 1.0, df)
        .map(|t| t.inverse_cdf(p))
        .unwrap_or(f64::NAN)
}

/// Upper tail of the χ² distribution with `df` degrees of freedom (R `pchisq(x, df, lower.tail = FALSE)`).
///
/// ```
/// use rema_core::dist::chisq_sf;
/// // dat.bcg's Q = 152.233 on 12 df; R: pchisq(152.2330081, 12, lower.tail = FALSE)
/// assert!((chisq_sf(152.2330081, 12.0) / 1.99676457438799e-26 - 1.0).abs() < 1e-6);
/// assert_eq!(chisq_sf(0.0, 3.0), 1.0);
/// ```
pub fn chisq_sf(x: f64, df: f64) -> f64 {
    chisq_tail(x, df, true)
}

/// P(X ≤ x) of the χ² distribution with `df` degrees of freedom (R `pchisq(x, df)`).
///
/// ```
/// use rema_core::dist::chisq_cdf;
/// assert!((chisq_cdf(3.841458820694124, 1.0) - 0.95).abs() < 1e-12); // R: pchisq(qchisq(0.95, 1), 1)
/// ```
pub fn chisq_cdf(x: f64, df: f64) -> f64 {
    chisq_tail(x, df, false)
}

/// The upper (`upper`) or lower tail of the χ² distribution at `x`.
fn chisq_tail(x: f64, df: f64, upper: bool) -> f64 {
    if x.is_nan() || !(df > 0.0) {
        return f64::NAN;
    }
    if x <= 0.0 || x.is_infinite() {
        // All of the mass lies above 0, and none above +∞.
        return if (x <= 0.0) == upper { 1.0 } else { 0.0 };
    }
    // statrs halves x and panics when that underflows to 0 (a subnormal x,
    // found by the `estimators` fuzz target); the tail is the same there.
    let x = x.max(4.0 * f64::MIN_POSITIVE);
    ChiSquared::new(df)
        .map(|d| if upper { d.sf(x) } else { d.cdf(x) })
        .unwrap_or(f64::NAN)
}

/// The quantile of the χ² distribution with `df` degrees of freedom (R `qchisq(p, df)`).
///
/// ```
/// use rema_core::dist::chisq_quantile;
/// assert!((chisq_quantile(0.95, 12.0) - 21.0260698174831).abs() < 1e-9); // R: qchisq(0.95, 12)
/// ```
pub fn chisq_quantile(p: f64, df: f64) -> f64 {
    if !valid_p(p) || !(df > 0.0) {
        return f64::NAN;
    }
    ChiSquared::new(df)
        .map(|d| d.inverse_cdf(p))
        .unwrap_or(f64::NAN)
}

/// Upper tail of the F distribution with `d1`, `d2` degrees of freedom (R `pf(x, d1, d2, lower.tail = FALSE)`).
///
/// ```
/// use rema_core::dist::f_sf;
/// assert!((f_sf(3.5, 2.0, 10.0) - 0.0704296277723743).abs() < 1e-12); // R: pf(3.5, 2, 10, lower.tail = FALSE)
/// assert_eq!(f_sf(f64::INFINITY, 2.0, 10.0), 0.0);
/// ```
pub fn f_sf(x: f64, d1: f64, d2: f64) -> f64 {
    if x.is_nan() || !(d1 > 0.0) || !(d2 > 0.0) {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    FisherSnedecor::new(d1, d2)
        .map(|d| d.sf(x))
        .unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_and_infinite_arguments_do_not_panic() {
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0, 0.0] {
            let _ = (
                t_sf(x, 3.0),
                chisq_sf(x, 2.0),
                chisq_cdf(x, 2.0),
                f_sf(x, 1.0, 4.0),
                norm_sf(x),
            );
            let _ = (t_quantile(x, 3.0), chisq_quantile(x, 2.0), norm_quantile(x));
        }
        assert!(t_sf(f64::NAN, 3.0).is_nan());
        assert_eq!(t_sf(f64::INFINITY, 3.0), 0.0);
        assert_eq!(chisq_sf(f64::INFINITY, 3.0), 0.0);
        assert!(t_sf(1.0, 0.0).is_nan());
    }

    #[test]
    fn agrees_with_known_values() {
        // Values from R: 2*pnorm(-qnorm(.975)), qchisq(.95, 1), 2*pt(2, 10, lower.tail = FALSE).
        assert!(
            (2.0 * norm_sf(1.959963984540054) - 0.05).abs() < 1e-9,
            "{}",
            2.0 * norm_sf(1.959963984540054)
        );
        assert!((chisq_quantile(0.95, 1.0) - 3.841458820694124).abs() < 1e-9);
        assert!((2.0 * t_sf(2.0, 10.0) - 0.07338803477074039).abs() < 1e-9);
    }
}
