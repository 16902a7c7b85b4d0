//! Distribution functions, total (no panic on any input).
//!
//! The standard normal's tails ([`norm_sf`], [`norm_cdf`]) are W. J. Cody's
//! rational Chebyshev approximations of the error function (Cody 1969,
//! "Rational Chebyshev approximations for the error function", *Math. Comp.*
//! 23:631–637; the `ANORM` routine of Cody 1993, ACM TOMS 715), the
//! algorithm of R's `pnorm()`: three intervals of |x| (≤ 0.66291, ≤ √32,
//! beyond), and for the outer two e^{−x²/2} computed as
//! e^{−u²/2}·e^{−(x−u)(x+u)/2} with u = ⌊16x⌋/16 so that x² is not rounded.
//! They agree with R's `pnorm` to a few ulp (tests/golden/dist.json).
//!
//! The χ² upper tail ([`chisq_sf`]) for an integer df ≤ [`CHISQ_SERIES_MAX_DF`]
//! and x < [`CHISQ_SERIES_MAX_X`] is the finite series of the Poisson–χ²
//! relation (Abramowitz & Stegun 26.4.4–26.4.5):
//! - even df = 2m: Q(x) = e^{−x/2} Σ_{j<m} (x/2)^j / j!;
//! - odd df = 2m + 1: Q(x) = 2Φ̄(√x) + √(2x/π) e^{−x/2} Σ_{j<m} x^j / (3·5···(2j+1)),
//!
//! with Φ̄(√x) from Cody's approximation taking e^{−x/2} from x itself.
//! Every term is positive, so the relative error grows at most with the
//! number of terms (about 2m rounding errors): at df ≤ 100 it is below
//! about 1e-14. Beyond that df, for non-integer df and for x ≥ 1400
//! (where e^{−x/2} leaves the normal doubles), the regularized incomplete
//! gamma function of statrs is used. R's `pchisq` (its `pgamma`) is the
//! reference.
//!
//! The other functions wrap statrs. statrs panics when a probability function
//! is given NaN (its incomplete beta and gamma functions check their
//! arguments), and its constructors fail for invalid parameters. A statistic
//! computed from extreme data can be NaN or infinite; these functions return
//! NaN for NaN and for invalid parameters, and the exact limits at ±∞, so no
//! input reaches a panic.

use statrs::distribution::{ChiSquared, ContinuousCDF, FisherSnedecor, Normal, StudentsT};

/// Cody's coefficients for |x| ≤ 0.66291 (TOMS 715 `ANORM`, `A` and `B`).
// Cody\'s published digits, kept as printed (rounded to f64 on parsing).
#[allow(clippy::excessive_precision)]
const CODY_A: [f64; 5] = [
    2.2352520354606839287,
    161.02823106855587881,
    1067.6894854603709582,
    18154.981253343561249,
    0.065682337918207449113,
];
// Cody\'s published digits, kept as printed (rounded to f64 on parsing).
#[allow(clippy::excessive_precision)]
const CODY_B: [f64; 4] = [
    47.20258190468824187,
    976.09855173777669322,
    10260.932208618978205,
    45507.789335026729956,
];
/// Cody's coefficients for 0.66291 < |x| ≤ √32 (`C` and `D`).
// Cody\'s published digits, kept as printed (rounded to f64 on parsing).
#[allow(clippy::excessive_precision)]
const CODY_C: [f64; 9] = [
    0.39894151208813466764,
    8.8831497943883759412,
    93.506656132177855979,
    597.27027639480026226,
    2494.5375852903726711,
    6848.1904505362823326,
    11602.651437647350124,
    9842.7148383839780218,
    1.0765576773720192317e-8,
];
// Cody\'s published digits, kept as printed (rounded to f64 on parsing).
#[allow(clippy::excessive_precision)]
const CODY_D: [f64; 8] = [
    22.266688044328115691,
    235.38790178262499861,
    1519.377599407554805,
    6485.558298266760755,
    18615.571640885098091,
    34900.952721145977266,
    38912.003286093271411,
    19685.429676859990727,
];
/// Cody's coefficients for |x| > √32 (`P` and `Q`).
// Cody\'s published digits, kept as printed (rounded to f64 on parsing).
#[allow(clippy::excessive_precision)]
const CODY_P: [f64; 6] = [
    0.21589853405795699,
    0.1274011611602473639,
    0.022235277870649807,
    0.001421619193227893466,
    2.9112874951168792e-5,
    0.02307344176494017303,
];
// Cody\'s published digits, kept as printed (rounded to f64 on parsing).
#[allow(clippy::excessive_precision)]
const CODY_Q: [f64; 5] = [
    1.28426009614491121,
    0.468238212480865118,
    0.0659881378689285515,
    0.00378239633202758244,
    7.29751555083966205e-5,
];
/// The inner interval's bound: Φ(0.66291) = 0.75.
// Cody\'s published digits, kept as printed (rounded to f64 on parsing).
#[allow(clippy::excessive_precision)]
const CODY_INNER: f64 = 0.66291;
/// √32, the middle interval's bound.
// Cody\'s published digits, kept as printed (rounded to f64 on parsing).
#[allow(clippy::excessive_precision)]
const CODY_ROOT32: f64 = 5.656854249492380195206754896838;
/// Beyond this |x| the normal tail is below the smallest normal double and
/// is returned as 0 (R's `pnorm` bound).
// Cody\'s published digits, kept as printed (rounded to f64 on parsing).
#[allow(clippy::excessive_precision)]
const CODY_UNDERFLOW: f64 = 37.5193;
/// 1/√(2π).
// Cody\'s published digits, kept as printed (rounded to f64 on parsing).
#[allow(clippy::excessive_precision)]
const FRAC_1_SQRT_2PI: f64 = 0.398942280401432677939946059934;

/// Cody's approximation of Φ̄(y) for y > 0.66291 without its Gaussian
/// factor: Φ̄(y) = e^{−y²/2} · `cody_outer_ratio(y)`.
#[inline]
fn cody_outer_ratio(y: f64) -> f64 {
    if y <= CODY_ROOT32 {
        let mut num = CODY_C[8] * y;
        let mut den = y;
        for i in 0..7 {
            num = (num + CODY_C[i]) * y;
            den = (den + CODY_D[i]) * y;
        }
        (num + CODY_C[7]) / (den + CODY_D[7])
    } else {
        let xsq = 1.0 / (y * y);
        let mut num = CODY_P[5] * xsq;
        let mut den = xsq;
        for i in 0..4 {
            num = (num + CODY_P[i]) * xsq;
            den = (den + CODY_Q[i]) * xsq;
        }
        let r = xsq * (num + CODY_P[4]) / (den + CODY_Q[4]);
        (FRAC_1_SQRT_2PI - r) / y
    }
}

/// Cody's inner interval: Φ(x) − 1/2 for |x| ≤ 0.66291, given x and x².
#[inline]
fn cody_inner(x: f64, xsq: f64) -> f64 {
    let mut num = CODY_A[4] * xsq;
    let mut den = xsq;
    for i in 0..3 {
        num = (num + CODY_A[i]) * xsq;
        den = (den + CODY_B[i]) * xsq;
    }
    x * (num + CODY_A[3]) / (den + CODY_B[3])
}

/// (P(Z ≤ x), P(Z > x)) for a non-NaN x, as R's `pnorm_both` computes
/// them from Cody's approximation.
#[inline]
fn norm_tails(x: f64) -> (f64, f64) {
    let y = x.abs();
    if y <= CODY_INNER {
        // Below half an ulp of 1 the square does not matter (Cody: x² = 0).
        let xsq = if y > f64::EPSILON * 0.5 { x * x } else { 0.0 };
        let t = cody_inner(x, xsq);
        return (0.5 + t, 0.5 - t);
    }
    let tail = if y < CODY_UNDERFLOW {
        // ⌊16y⌋ by a cast: 16y < 601 here, and f64::trunc is a library
        // call on the baseline x86-64 target.
        let u = f64::from((y * 16.0) as i32) / 16.0;
        let del = (y - u) * (y + u);
        (-u * u * 0.5).exp() * (-del * 0.5).exp() * cody_outer_ratio(y)
    } else {
        0.0
    };
    if x > 0.0 {
        (1.0 - tail, tail)
    } else {
        (tail, 1.0 - tail)
    }
}

/// 2Φ̄(√x) for x > 0 with e^{−x/2} taken from x itself (`exp_half` =
/// e^{−x/2}), so the rounding of √x reaches only Cody's ratio.
#[inline]
fn two_norm_upper_sqrt(x: f64, exp_half: f64) -> f64 {
    let y = x.sqrt();
    if y <= CODY_INNER {
        let xsq = if y > f64::EPSILON * 0.5 { x } else { 0.0 };
        2.0 * (0.5 - cody_inner(y, xsq))
    } else {
        2.0 * (exp_half * cody_outer_ratio(y))
    }
}

fn valid_p(p: f64) -> bool {
    (0.0..=1.0).contains(&p)
}

/// Upper tail of the standard normal, P(Z > x) (R `pnorm(x, lower.tail = FALSE)`).
///
/// Cody's approximation (module doc), R's `pnorm` algorithm.
///
/// ```
/// use rema_core::dist::norm_sf;
/// // R: sprintf("%.17g", pnorm(1.5, lower.tail = FALSE))
/// assert!((norm_sf(1.5) / 0.066807201268858071 - 1.0).abs() < 1e-15);
/// assert!(norm_sf(f64::NAN).is_nan());
/// assert_eq!(norm_sf(f64::INFINITY), 0.0);
/// ```
pub fn norm_sf(x: f64) -> f64 {
    if x.is_nan() {
        f64::NAN
    } else {
        norm_tails(x).1
    }
}

/// P(Z ≤ x) of the standard normal (R `pnorm(x)`).
///
/// Cody's approximation (module doc), R's `pnorm` algorithm.
///
/// ```
/// use rema_core::dist::norm_cdf;
/// // R: sprintf("%.17g", pnorm(-1))
/// assert!((norm_cdf(-1.0) / 0.15865525393145705 - 1.0).abs() < 1e-15);
/// ```
pub fn norm_cdf(x: f64) -> f64 {
    if x.is_nan() {
        f64::NAN
    } else {
        norm_tails(x).0
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
///
/// For an integer df ≤ [`CHISQ_SERIES_MAX_DF`] and x < [`CHISQ_SERIES_MAX_X`]
/// the finite series of the module doc, otherwise statrs's incomplete gamma.
pub fn chisq_sf(x: f64, df: f64) -> f64 {
    // An integer df in [1, 100] (the cast saturates; NaN becomes 0).
    let whole = df as u32;
    if x > 0.0
        && x < CHISQ_SERIES_MAX_X
        && whole >= 1
        && df <= CHISQ_SERIES_MAX_DF
        && f64::from(whole) == df
    {
        chisq_sf_series(x, whole)
    } else {
        chisq_tail(x, df, true)
    }
}

/// The largest df whose χ² upper tail is summed as a finite series (about
/// df/2 positive terms, relative error below about 1e-14); larger df use
/// statrs's incomplete gamma.
pub const CHISQ_SERIES_MAX_DF: f64 = 100.0;

/// The series is used for x below this: e^{−x/2} is then a normal double
/// (e^{−700} ≈ 1e-304) and no partial sum overflows at df ≤ 100.
pub const CHISQ_SERIES_MAX_X: f64 = 1400.0;

/// Q(x; df) by the finite series, for 0 < x < 1400 and 1 ≤ df ≤ 100.
fn chisq_sf_series(x: f64, df: u32) -> f64 {
    let exp_half = (-0.5 * x).exp();
    let m = df / 2;
    if df % 2 == 0 {
        // Σ_{j<m} h^j / j! by Horner: 1 + h(1 + h/2(1 + h/3(…))).
        let h = 0.5 * x;
        let mut s = 1.0;
        for j in (1..m).rev() {
            s = 1.0 + s * (h / j as f64);
        }
        exp_half * s
    } else {
        let tail = two_norm_upper_sqrt(x, exp_half);
        if m == 0 {
            return tail;
        }
        // Σ_{j<m} x^j / (3·5···(2j+1)) by Horner.
        let mut s = 1.0;
        for j in (1..m).rev() {
            s = 1.0 + s * (x / (2 * j + 1) as f64);
        }
        tail + (x * std::f64::consts::FRAC_2_PI).sqrt() * exp_half * s
    }
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
