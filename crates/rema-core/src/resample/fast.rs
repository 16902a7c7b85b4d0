//! An allocation-free refit of the intercept-only model for the resampling
//! loops (sign-flip permutation tests and the bootstrap).
//!
//! It computes exactly what [`crate::fit::fit`] computes for an
//! intercept-only model — the same operations in the same order, so the same
//! bits — but only the statistics a resampling run keeps (estimate, test
//! statistic, QM, τ², I², H²) and into a caller-owned buffer. Methods: FE,
//! DL, HE, HS, SJ, ML, REML, EB; PM falls back to the general fit. The
//! unit test below checks bit-identity with `fit` on random data.

use crate::fit::{FitOptions, Test};
use crate::tau2::Method;

/// The statistics a resampling replicate keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FastStats {
    pub estimate: f64,
    pub stat: f64,
    pub qm: f64,
    pub tau2: f64,
    pub i2: f64,
    pub h2: f64,
}

/// The outcome of a fast refit.
pub(crate) enum Fast {
    Done(FastStats),
    /// The general fit would fail (e.g. no convergence).
    Failed,
    /// Not covered here: use the general fit.
    Unsupported,
}

/// Weighted mean, residual sum of squares Σw(y − b)², and Σw.
#[inline]
fn wls1(y: &[f64], w: &[f64]) -> (f64, f64, f64) {
    let sw: f64 = w.iter().sum();
    let b = w.iter().zip(y).map(|(w, y)| w * y).sum::<f64>() / sw;
    let rss = y
        .iter()
        .zip(w)
        .map(|(y, w)| {
            let e = y - b;
            w * e * e
        })
        .sum();
    (b, rss, sw)
}

#[inline]
fn sum_sq(w: &[f64]) -> f64 {
    w.iter().map(|w| w * w).sum()
}

/// Refits the intercept-only model to `y`, `v` with `opts`, using `w` (length
/// k) as scratch. k ≥ 2 and valid data are the caller's responsibility.
pub(crate) fn intercept_only(y: &[f64], v: &[f64], opts: &FitOptions, w: &mut [f64]) -> Fast {
    let k = y.len();
    if k < 2 || w.len() != k {
        return Fast::Unsupported;
    }
    let df = (k - 1) as f64;
    let control = &opts.control;
    if control.tau2_init.is_some() {
        return Fast::Unsupported;
    }
    // The common-effect fit: Q and the typical within-study variance.
    for (w, v) in w.iter_mut().zip(v) {
        *w = 1.0 / v;
    }
    let (_, q_fe, sw_fe) = wls1(y, w);
    let tr_p_fe = sw_fe - (1.0 / sw_fe) * sum_sq(w);
    let tau2 = match opts.method {
        Method::Fe => 0.0,
        Method::Dl => ((q_fe - df) / tr_p_fe).max(0.0),
        Method::Hs => ((q_fe - k as f64) / sw_fe).max(0.0),
        Method::He => he_raw(y, v, w).max(0.0),
        Method::Sj => {
            let kf = k as f64;
            let mean = y.iter().sum::<f64>() / kf;
            let tau0 = y.iter().map(|y| (y - mean) * (y - mean)).sum::<f64>() / kf;
            if tau0 <= 0.0 {
                0.0
            } else {
                for (w, v) in w.iter_mut().zip(v) {
                    *w = 1.0 / (v + tau0);
                }
                let (_, rss, _) = wls1(y, w);
                (tau0 * rss / df).max(0.0)
            }
        }
        Method::Ml | Method::Reml | Method::Eb => match fisher(y, v, opts, w) {
            Some(t) => t,
            None => return Fast::Failed,
        },
        Method::Pm => return Fast::Unsupported,
    };
    for (w, v) in w.iter_mut().zip(v) {
        *w = 1.0 / (v + tau2);
    }
    let (b, rss, sw) = wls1(y, w);
    if !(sw > 0.0 && sw.is_finite() && b.is_finite()) {
        return Fast::Failed;
    }
    let s2w = match opts.test {
        Test::Z => 1.0,
        Test::Knha => {
            if rss <= f64::EPSILON {
                0.0
            } else {
                rss / df
            }
        }
    };
    let vb = (1.0 / sw) * s2w;
    let se = vb.sqrt();
    let stat = b / se;
    // QM = b·(vb)⁻¹·b through the 1 × 1 Cholesky inverse, as the general fit.
    let qm = if vb > vb.abs() * 1e-13 && vb.is_finite() {
        let li = 1.0 / vb.sqrt();
        let inv = 0.0 + li * li;
        0.0 + b * inv * b
    } else {
        f64::NAN
    };
    let q = q_fe.max(0.0);
    let vt = df / tr_p_fe;
    let (i2, h2) = if opts.method.is_random() {
        (100.0 * tau2 / (vt + tau2), tau2 / vt + 1.0)
    } else {
        ((100.0 * (q - df) / q).max(0.0), q / df)
    };
    Fast::Done(FastStats {
        estimate: b,
        stat,
        qm,
        tau2,
        i2,
        h2,
    })
}

/// The raw Hedges estimate (OLS residuals), as `tau2::hedges::raw`.
fn he_raw(y: &[f64], v: &[f64], w: &mut [f64]) -> f64 {
    let k = y.len();
    for w in w.iter_mut() {
        *w = 1.0;
    }
    let (_, rss, sw) = wls1(y, w);
    let sv: f64 = v.iter().map(|v| v * 1.0).sum::<f64>();
    let tr_pv = v.iter().sum::<f64>() - (1.0 / sw) * sv;
    (rss - tr_pv) / (k - 1) as f64
}

/// Fisher scoring for ML, REML and EB, as `tau2::fisher_scoring`, with the
/// likelihood check at τ² = 0. `None` when it does not converge.
fn fisher(y: &[f64], v: &[f64], opts: &FitOptions, w: &mut [f64]) -> Option<f64> {
    let control = &opts.control;
    let method = opts.method;
    let k = y.len() as f64;
    let df = k - 1.0;
    let mut tau2 = he_raw(y, v, w).max(0.0);
    let mut change = control.threshold + 1.0;
    let mut iter = 0usize;
    while change > control.threshold {
        iter += 1;
        let old = tau2;
        for (w, v) in w.iter_mut().zip(v) {
            *w = 1.0 / (v + tau2);
        }
        let (b, rss, sw) = wls1(y, w);
        if !(sw > 0.0 && sw.is_finite() && b.is_finite()) {
            return None;
        }
        let ypp_y: f64 = y
            .iter()
            .zip(w.iter())
            .map(|(y, w)| {
                let e = y - b;
                w * w * e * e
            })
            .sum();
        let mut adj = match method {
            Method::Ml => (ypp_y - sw) / sum_sq(w),
            Method::Reml => {
                let a = 1.0 / sw;
                let sw2 = sum_sq(w);
                let sw3: f64 = w.iter().map(|w| w * w * w).sum();
                let tr_p = sw - a * sw2;
                let m = a * sw2;
                let tr_pp = sw2 - 2.0 * (a * sw3) + m * m;
                (ypp_y - tr_p) / tr_pp
            }
            _ => (rss * k / df - k) / sw,
        };
        adj *= control.step_adj;
        if adj.is_nan() {
            adj = 0.0;
        }
        while tau2 + adj < 0.0 {
            adj /= 2.0;
        }
        tau2 += adj;
        change = (old - tau2).abs();
        if iter > control.max_iter {
            return None;
        }
    }
    if control.ll0_check && method != Method::Eb {
        let ll0 = log_likelihood(y, v, method, 0.0, w)?;
        let ll = log_likelihood(y, v, method, tau2, w)?;
        if ll0 - ll > f64::EPSILON.powf(0.25) && tau2 > control.threshold {
            tau2 = 0.0;
        }
    }
    Some(tau2.max(0.0))
}

fn log_likelihood(y: &[f64], v: &[f64], method: Method, tau2: f64, w: &mut [f64]) -> Option<f64> {
    for (w, v) in w.iter_mut().zip(v) {
        *w = 1.0 / (v + tau2);
    }
    let (_, rss, sw) = wls1(y, w);
    let log_v: f64 = v.iter().map(|v| (v + tau2).ln()).sum();
    let two_pi = (2.0 * std::f64::consts::PI).ln();
    let k = y.len() as f64;
    Some(match method {
        Method::Reml => {
            if !(sw > 0.0) || !sw.is_finite() {
                return None;
            }
            let log_det = 0.0 + 2.0 * sw.sqrt().ln();
            -0.5 * (k - 1.0) * two_pi - 0.5 * log_v - 0.5 * log_det - 0.5 * rss
        }
        _ => -0.5 * k * two_pi - 0.5 * log_v - 0.5 * rss,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::fit;
    use crate::resample::rng::Stream;

    /// The fast refit gives the general fit's numbers, bit for bit.
    #[test]
    fn fast_refit_is_bit_identical_to_fit() {
        let mut n_checked = 0;
        for seed in 0..300u64 {
            let mut r = Stream::new(seed, 0);
            let k = 2 + r.below(15) as usize;
            let v: Vec<f64> = (0..k).map(|_| 0.005 + 0.5 * r.next_f64()).collect();
            let spread = if seed % 3 == 0 { 0.0 } else { 0.6 };
            let y: Vec<f64> = v
                .iter()
                .map(|v| -0.4 + spread * r.normal() + v.sqrt() * r.normal())
                .collect();
            let mut w = vec![0.0; k];
            for method in Method::ALL {
                for test in [Test::Z, Test::Knha] {
                    let opts = FitOptions {
                        method,
                        test,
                        ..FitOptions::default()
                    };
                    let general = fit(&y, &v, &opts);
                    match (intercept_only(&y, &v, &opts, &mut w), general) {
                        (Fast::Done(s), Ok(f)) => {
                            let e = f.estimate();
                            let pairs = [
                                (s.estimate, e.estimate),
                                (s.stat, e.stat),
                                (s.qm, f.qm),
                                (s.tau2, f.tau2),
                                (s.i2, f.i2),
                                (s.h2, f.h2),
                            ];
                            for (a, b) in pairs {
                                assert!(
                                    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                                    "{method} {test} k={k} seed={seed}: fast {s:?} vs fit {f:?}"
                                );
                            }
                            n_checked += 1;
                        }
                        (Fast::Failed, Err(_)) | (Fast::Unsupported, _) => {}
                        (Fast::Done(s), Err(e)) => panic!("{method}: fast {s:?}, fit failed: {e}"),
                        (Fast::Failed, Ok(f)) => panic!("{method}: fast failed, fit gave {f:?}"),
                    }
                }
            }
        }
        assert!(n_checked > 4000, "{n_checked}");
    }
}
