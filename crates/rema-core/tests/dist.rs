//! rema-core's normal and χ² tails against R 4.2.2's `pnorm` and `pchisq`
//! (crates/rema-core/tests/golden/dist.json, from
//! crates/rema-core/tests/golden/dist.R).
//!
//! Tolerances: 1e-14 relative for the normal (Cody's approximation, the
//! algorithm R uses) and for the χ² upper tail's finite series (integer
//! df ≤ 100, x < 1400); 1e-9 relative where statrs's incomplete gamma is
//! used (non-integer df, df > 100, x ≥ 1400). A reference below the
//! smallest normal double must be matched by a value below it too.
//!
//! Where R is not exact: for x ≥ 1000 R's `pgamma` takes the tail from the
//! exponential of a log-density near −x/2, so its relative error grows to
//! about (x/2)·ε (7.6e-14 at x = 1399, df = 10, against 40-digit values);
//! there the R comparison allows 2e-13 and the series is checked against
//! mpmath's 40-digit incomplete gamma instead, at 1e-15.

use std::path::PathBuf;

use rema_core::dist::{chisq_sf, norm_cdf, norm_sf, CHISQ_SERIES_MAX_DF, CHISQ_SERIES_MAX_X};
use serde_json::Value;

/// Agreement of Cody's approximation and of the finite χ² series with R.
const SERIES: f64 = 1e-14;
/// R's own error where its `pgamma` works from a log-density near −700.
const R_PGAMMA_FAR_TAIL: f64 = 2e-13;
/// Agreement of statrs's regularized incomplete gamma with R.
const STATRS: f64 = 1e-9;

fn golden() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/dist.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A number written as a string of 17 significant digits, parsed with
/// Rust's correctly rounded `str::parse` (serde_json's default float
/// parser can be one ulp off).
fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

/// The relative error of `got` against `want`, 0 when both are below the
/// smallest normal double.
fn rel(got: f64, want: f64) -> f64 {
    if want.abs() < f64::MIN_POSITIVE {
        if got.abs() < f64::MIN_POSITIVE {
            0.0
        } else {
            f64::INFINITY
        }
    } else {
        ((got - want) / want).abs()
    }
}

#[test]
fn normal_tails_match_r_pnorm_to_1e_14() {
    let g = golden();
    assert!(g["generator"].as_str().unwrap().contains("R 4.2.2"));
    let points = g["norm"].as_array().unwrap();
    assert!(points.len() > 3000);
    let (mut worst, mut worst_at) = (0.0f64, f64::NAN);
    let mut failures = Vec::new();
    for p in points {
        let x = num(p, "x");
        for (what, got, want) in [
            ("pnorm", norm_cdf(x), num(p, "lower")),
            ("upper", norm_sf(x), num(p, "upper")),
        ] {
            let e = rel(got, want);
            if e > worst {
                (worst, worst_at) = (e, x);
            }
            if !(e <= SERIES) {
                failures.push(format!(
                    "{what}({x:e}): rema {got:e}, R {want:e}, rel {e:e}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("normal: largest relative difference from R {worst:e} (x = {worst_at})");
}

#[test]
fn chisq_upper_tail_matches_r_pchisq() {
    let g = golden();
    let points = g["chisq"].as_array().unwrap();
    let (mut worst_series, mut worst_statrs) = (0.0f64, 0.0f64);
    let (mut n_series, mut n_statrs) = (0, 0);
    let mut failures = Vec::new();
    for p in points {
        let (x, df, want) = (num(p, "x"), num(p, "df"), num(p, "upper"));
        let got = chisq_sf(x, df);
        let series = df.fract() == 0.0 && df <= CHISQ_SERIES_MAX_DF && x < CHISQ_SERIES_MAX_X;
        let e = rel(got, want);
        let tol = if series {
            n_series += 1;
            if x < 1000.0 {
                worst_series = worst_series.max(e);
                SERIES
            } else {
                R_PGAMMA_FAR_TAIL
            }
        } else {
            n_statrs += 1;
            worst_statrs = worst_statrs.max(e);
            STATRS
        };
        if !(e <= tol) {
            failures.push(format!(
                "pchisq({x:e}, {df}): rema {got:e}, R {want:e}, rel {e:e}"
            ));
        }
    }
    assert!(n_series > 2000 && n_statrs > 30, "{n_series} {n_statrs}");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "chisq: largest relative difference, series {worst_series:e}, statrs {worst_statrs:e}"
    );
}

/// Far in the tail, against mpmath 1.3.0 at 40 digits
/// (`gammainc(df/2, x/2, inf, regularized=True)` with `mp.dps = 40`), where
/// R's `pchisq` is less exact than the series (module doc).
#[test]
#[allow(clippy::excessive_precision)] // mpmath's 20 printed digits, as printed
fn chisq_far_tail_matches_40_digit_values() {
    let cases = [
        (1399.0, 5.0, 2.2671812963641736969e-300),
        (1399.0, 7.0, 6.3526614253554087646e-298),
        (1399.0, 10.0, 1.6309345982616660452e-294),
        (1000.0, 10.0, 1.8702907209159496958e-208),
        (300.0, 99.0, 4.2266534644196257207e-22),
    ];
    for (x, df, want) in cases {
        let got = chisq_sf(x, df);
        assert!(
            rel(got, want) <= 1e-15,
            "pchisq({x}, {df}): rema {got:e}, mpmath {want:e}"
        );
    }
}
