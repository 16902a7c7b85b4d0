//! How a resampling replicate refits the model: which τ² kernel a run uses
//! ([`Route`], chosen once per run) and the statistics each kernel's refit
//! returns. The estimating equations are those of `crate::tau2`, run through
//! [`refit`]; nothing here estimates τ² itself.
//!
//! A refit that fails (rank-deficient resample, Fisher scoring that does not
//! converge) is a [`Failure`], and the replicate is dropped, as metafor's
//! `permutest` drops a permutation whose refit errors.

use crate::error::Result;
use crate::fit::{fit_with_moderators, Fit, FitOptions};
use crate::linalg::Design;
use crate::tau2::kernel::general::{General, Workspace};
use crate::tau2::kernel::intercept::InterceptOnly;
use crate::tau2::kernel::one_moderator::{self, OneModerator};
use crate::tau2::kernel::{self, Failure, Kernel, Need, Wls};
use crate::tau2::Method;

/// A refit of the model through a kernel: τ̂², the fit at τ̂² (for the
/// coefficients), the Knapp–Hartung scale s²_w, and I², H².
#[derive(Debug, Clone, Copy)]
pub(crate) struct Refit<E> {
    pub tau2: f64,
    pub at: Wls<E>,
    pub s2w: f64,
    pub i2: f64,
    pub h2: f64,
    /// Cochran's Q (the RSS of the common-effect fit) when `heterogeneity`, else NaN.
    pub q: f64,
}

/// Refits the model with `opts` through `k`, as `fit_with_moderators` does,
/// without the fallback of a Fisher scoring that does not converge (a
/// resampling replicate that fails is dropped, as metafor's `permutest`
/// drops a permutation whose refit errors). I² and H² (NaN otherwise) when
/// `heterogeneity`.
#[inline]
pub(crate) fn refit<K: Kernel>(
    k: &mut K,
    opts: &FitOptions,
    heterogeneity: bool,
) -> Result<Refit<K::Extra>, Failure> {
    let control = &opts.control;
    let method = opts.method;
    let fe = match kernel::need_at_zero(method, control, heterogeneity) {
        Some(need) => Some(k.wls(0.0, need).ok_or(Failure::RankDeficient)?),
        None => None,
    };
    let est = kernel::estimate(method, k, control, fe.as_ref())?;
    let tau2 = est.tau2;
    let at = match (est.at, &fe) {
        (Some(a), _) if a.tau2.to_bits() == tau2.to_bits() => a,
        (_, Some(f)) if tau2 == 0.0 => *f,
        _ => k.wls(tau2, Need::NONE).ok_or(Failure::RankDeficient)?,
    };
    let df = k.df();
    let s2w = crate::fit::s2w(opts.test, at.rss, df);
    let (i2, h2, q) = match &fe {
        Some(fe) if heterogeneity => {
            let q = fe.rss.max(0.0);
            let (i2, h2) = kernel::i2_h2(method.is_random(), tau2, q, df, df / fe.tr_p);
            (i2, h2, q)
        }
        _ => (f64::NAN, f64::NAN, f64::NAN),
    };
    Ok(Refit {
        tau2,
        at,
        s2w,
        i2,
        h2,
        q,
    })
}

/// The kernel a resampling run refits through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// The intercept-only kernel (k ≥ 2).
    InterceptOnly,
    /// The closed-form one-moderator kernel.
    OneModerator,
    /// The general kernel (k > p).
    General,
    /// The general fit itself, with its fallback: a user-given starting
    /// value of τ² (`Control::tau2_init`).
    Fit,
}

/// The methods that the one-moderator kernel refits; with the others a
/// one-moderator model takes the general kernel.
const ONE_MODERATOR_METHODS: [Method; 6] = [
    Method::Fe,
    Method::Dl,
    Method::Ml,
    Method::Reml,
    Method::Eb,
    Method::Pm,
];

impl Route {
    /// The route of a run with design `x` and options `opts`.
    pub(crate) fn of(x: &Design, opts: &FitOptions) -> Route {
        if opts.control.tau2_init.is_some() {
            Route::Fit
        } else if x.is_intercept_only() {
            Route::InterceptOnly
        } else if ONE_MODERATOR_METHODS.contains(&opts.method)
            && one_moderator::moderator_column(x).is_some()
        {
            Route::OneModerator
        } else {
            Route::General
        }
    }
}

/// The statistics of an intercept-only refit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct InterceptStats {
    pub estimate: f64,
    pub stat: f64,
    pub qm: f64,
    pub tau2: f64,
    pub i2: f64,
    pub h2: f64,
}

/// Refits the intercept-only model to `y`, `v` with `opts` on the
/// intercept-only kernel, `w` (length k) as scratch; k ≥ 2 and valid data
/// are the caller's. The same numbers as `fit`, bit for bit (PM: to the
/// root search's tolerance).
pub(crate) fn intercept_only(
    y: &[f64],
    v: &[f64],
    opts: &FitOptions,
    w: &mut [f64],
) -> std::result::Result<InterceptStats, Failure> {
    let mut k = InterceptOnly { y, v, w };
    let r = refit(&mut k, opts, true)?;
    let (sw, b) = (r.at.sw, r.at.extra);
    let vb = (1.0 / sw) * r.s2w;
    let se = vb.sqrt();
    // QM = b·(vb)⁻¹·b through the 1 × 1 Cholesky inverse, as the general fit.
    let qm = if vb > vb.abs() * 1e-13 && vb.is_finite() {
        let li = 1.0 / vb.sqrt();
        let inv = 0.0 + li * li;
        0.0 + b * inv * b
    } else {
        f64::NAN
    };
    Ok(InterceptStats {
        estimate: b,
        stat: b / se,
        qm,
        tau2: r.tau2,
        i2: r.i2,
        h2: r.h2,
    })
}

/// The statistics of a one-moderator refit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SlopeStats {
    /// Intercept (at x = 0) and slope.
    pub beta: [f64; 2],
    /// z (or t) of the intercept and the slope.
    pub stat: [f64; 2],
    pub qm: f64,
    pub tau2: f64,
    pub i2: f64,
    pub h2: f64,
}

/// Refits `yᵢ = β₀ + β₁xᵢ + uᵢ + eᵢ` with `opts` on the one-moderator
/// kernel; I² and H² (else NaN) when `heterogeneity`.
pub(crate) fn one_moderator(
    s: &OneModerator,
    opts: &FitOptions,
    heterogeneity: bool,
) -> std::result::Result<SlopeStats, Failure> {
    let mut k = *s;
    let r = refit(&mut k, opts, heterogeneity)?;
    let (a, b) = (r.at.extra.a, r.at.extra.b);
    let c = s.c;
    let slope = b[1];
    let intercept = b[0] - slope * c;
    let var1 = a[2] * r.s2w;
    let var0 = (a[0] - 2.0 * c * a[1] + c * c * a[2]) * r.s2w;
    let qm = if var1 > 0.0 && var1.is_finite() {
        slope * slope / var1
    } else {
        f64::NAN
    };
    Ok(SlopeStats {
        beta: [intercept, slope],
        stat: [intercept / var0.sqrt(), slope / var1.sqrt()],
        qm,
        tau2: r.tau2,
        i2: r.i2,
        h2: r.h2,
    })
}

/// The data of a one-moderator run: the centre and the per-study constants
/// of the one-moderator kernel (centred moderator, ln v).
#[derive(Debug, Clone)]
pub(crate) struct CentredModerator {
    pub c: f64,
    pub xc: Vec<f64>,
    pub lnv: Vec<f64>,
}

impl CentredModerator {
    /// The constants of design `x` (`[1, x]`) and variances `v`.
    pub(crate) fn new(x: &Design, v: &[f64]) -> Option<CentredModerator> {
        let col = one_moderator::moderator_column(x)?;
        let c = one_moderator::centre(&col);
        Some(CentredModerator {
            c,
            xc: col.iter().map(|x| x - c).collect(),
            lnv: v.iter().map(|v| v.ln()).collect(),
        })
    }
}

/// τ̂², I² and H² of a general refit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GeneralStats {
    pub tau2: f64,
    pub i2: f64,
    pub h2: f64,
}

/// Refits the mixed-effects model with design `x` (k > p) on the general
/// kernel and writes |z| (or |t|) of every coefficient, then QM, into `out`
/// (length p + 1), as `fit_with_moderators` computes them, bit for bit,
/// and leaves β̂ in `ws` ([`Workspace::beta`]); I² and H² (else NaN) when
/// `heterogeneity`.
pub(crate) fn general(
    y: &[f64],
    v: &[f64],
    x: &Design,
    opts: &FitOptions,
    ws: &mut Workspace,
    heterogeneity: bool,
    out: &mut [f64],
) -> std::result::Result<GeneralStats, Failure> {
    let mut k = General::new(y, v, x, ws);
    let r = refit(&mut k, opts, heterogeneity)?;
    if !k.solve_at(r.tau2) {
        return Err(Failure::RankDeficient);
    }
    k.wald(r.s2w, opts.test.uses_t(), out);
    Ok(GeneralStats {
        tau2: r.tau2,
        i2: r.i2,
        h2: r.h2,
    })
}

/// The general fit of a replicate ([`Route::Fit`], and the designs the
/// kernels do not take).
pub(crate) fn full(y: &[f64], v: &[f64], x: &Design, opts: &FitOptions) -> Result<Fit> {
    fit_with_moderators(y, v, x, opts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::{fit, Test};
    use crate::resample::rng::Stream;
    use crate::tau2::kernel::intercept::sum_log;

    /// Replicates do not fall back (as metafor's permutest drops a
    /// permutation that does not converge).
    fn replicate_options(method: Method, test: Test) -> FitOptions {
        FitOptions {
            method,
            test,
            control: crate::tau2::Control {
                fallback: false,
                ..Default::default()
            },
            ..FitOptions::default()
        }
    }

    /// Σ ln by products of 16 is the term-by-term sum to rounding, also
    /// when a product leaves the normal range (tiny or huge variances).
    #[test]
    fn product_log_sum_matches_the_term_sum() {
        let mut r = Stream::new(9, 0);
        for scale in [1e-30, 1e-8, 1e-2, 1.0, 1e3, 1e25] {
            for k in [1usize, 15, 16, 17, 50, 1000] {
                let v: Vec<f64> = (0..k).map(|_| scale * (0.5 + r.next_f64())).collect();
                for tau2 in [0.0, 1e-3, 0.3] {
                    let (fast, exact) = (sum_log(&v, tau2, false), sum_log(&v, tau2, true));
                    assert!(
                        (fast - exact).abs() <= 1e-12 * (1.0 + exact.abs()),
                        "scale {scale} k {k} tau2 {tau2}: {fast} vs {exact}"
                    );
                }
            }
        }
    }

    /// 300 random data sets, one per seed, from the streams `(seed, stream)`:
    /// each with between `min` and `min + spread - 1` sampling variances
    /// (the number drawn first), uniform on [0.005, 0.505), and its stream
    /// to draw the rest from.
    fn random_variances(
        stream: u64,
        min: usize,
        spread: u64,
    ) -> impl Iterator<Item = (u64, Stream, Vec<f64>)> {
        (0..300u64).map(move |seed| {
            let mut r = Stream::new(seed, stream);
            let k = min + r.below(spread) as usize;
            let v = (0..k).map(|_| 0.005 + 0.5 * r.next_f64()).collect();
            (seed, r, v)
        })
    }

    /// The fast refit gives the general fit's numbers, bit for bit.
    #[test]
    fn fast_refit_is_bit_identical_to_fit() {
        let mut n_checked = 0;
        for (seed, mut r, v) in random_variances(0, 2, 15) {
            let k = v.len();
            let spread = if seed % 3 == 0 { 0.0 } else { 0.6 };
            let y: Vec<f64> = v
                .iter()
                .map(|v| -0.4 + spread * r.normal() + v.sqrt() * r.normal())
                .collect();
            let mut w = vec![0.0; k];
            for method in Method::ALL {
                for test in Test::ALL {
                    let opts = replicate_options(method, test);
                    let general = fit(&y, &v, &opts);
                    match (intercept_only(&y, &v, &opts, &mut w), general) {
                        (Ok(s), Ok(f)) => {
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
                                // PM: the same root, found from another
                                // bracket (see `paule_mandel`).
                                let same = if method == Method::Pm {
                                    (a - b).abs() <= 1e-9 * b.abs() + 1e-12
                                } else {
                                    a.to_bits() == b.to_bits()
                                };
                                assert!(
                                    same || (a.is_nan() && b.is_nan()),
                                    "{method} {test} k={k} seed={seed}: fast {s:?} vs fit {f:?}"
                                );
                            }
                            n_checked += 1;
                        }
                        (Err(_), Err(_)) => {}
                        (Ok(s), Err(e)) => panic!("{method}: fast {s:?}, fit failed: {e}"),
                        (Err(_), Ok(f)) => panic!("{method}: fast failed, fit gave {f:?}"),
                    }
                }
            }
        }
        assert!(n_checked > 4000, "{n_checked}");
    }

    /// The meta-regression refit gives `fit_with_moderators`'s |z|, QM and
    /// τ², bit for bit, with one to three moderators.
    #[test]
    #[allow(clippy::same_item_push)]
    fn fast_moderator_refit_is_bit_identical_to_fit() {
        let mut n_checked = 0;
        for seed in 0..200u64 {
            let mut r = Stream::new(seed, 1);
            let p = 2 + r.below(3) as usize;
            let k = p + 2 + r.below(14) as usize;
            let v: Vec<f64> = (0..k).map(|_| 0.005 + 0.5 * r.next_f64()).collect();
            let mut data = Vec::with_capacity(k * p);
            for _ in 0..k {
                data.push(1.0);
                for j in 1..p {
                    data.push(if j == 1 {
                        10.0 * r.next_f64()
                    } else {
                        r.below(2) as f64
                    });
                }
            }
            let x = Design::from_row_major(k, p, data).unwrap();
            let y: Vec<f64> = (0..k)
                .map(|i| -0.4 + 0.05 * x.row(i)[1] + 0.4 * r.normal() + v[i].sqrt() * r.normal())
                .collect();
            let mut ws = Workspace::new(k, p);
            let mut out = vec![0.0; p + 1];
            for method in Method::ALL {
                for test in Test::ALL {
                    let opts = replicate_options(method, test);
                    let general = fit_with_moderators(&y, &v, &x, &opts);
                    match (
                        super::general(&y, &v, &x, &opts, &mut ws, true, &mut out),
                        general,
                    ) {
                        (Ok(s), Ok(f)) => {
                            let t = s.tau2;
                            assert_eq!(
                                t.to_bits(),
                                f.tau2.to_bits(),
                                "{method} {test} seed {seed}"
                            );
                            for (j, (o, c)) in out.iter().zip(&f.coefficients).enumerate() {
                                let s = c.stat.abs();
                                assert_eq!(
                                    o.to_bits(),
                                    s.to_bits(),
                                    "{method} {test} seed {seed} coef {j}"
                                );
                            }
                            assert!(
                                out[p].to_bits() == f.qm.to_bits()
                                    || (out[p].is_nan() && f.qm.is_nan()),
                                "{method} {test} seed {seed}: QM {} vs {}",
                                out[p],
                                f.qm
                            );
                            for (b, c) in ws.beta().iter().zip(&f.coefficients) {
                                assert_eq!(b.to_bits(), c.estimate.to_bits());
                            }
                            for (a, b) in [(s.i2, f.i2), (s.h2, f.h2)] {
                                assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
                            }
                            n_checked += 1;
                        }
                        (Err(_), Err(_)) => {}
                        (Ok(s), Err(e)) => {
                            panic!("{method} seed {seed}: fast {}, fit failed: {e}", s.tau2)
                        }
                        (Err(_), Ok(f)) => {
                            panic!("{method} seed {seed}: fast failed, fit {}", f.tau2)
                        }
                    }
                }
            }
        }
        assert!(n_checked > 3000, "{n_checked}");
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0) || (a.is_nan() && b.is_nan())
    }

    /// The closed-form refit agrees with `fit_with_moderators` to 1e-9
    /// (relative, or absolute below 1) on random data with and without
    /// heterogeneity, for every method it covers and both tests.
    #[test]
    fn one_moderator_refit_agrees_with_fit() {
        let mut checked = 0;
        for (seed, mut r, v) in random_variances(3, 3, 40) {
            let k = v.len();
            let xs: Vec<f64> = (0..k).map(|_| 20.0 + 40.0 * r.next_f64()).collect();
            let spread = if seed % 3 == 0 { 0.0 } else { 0.5 };
            let y: Vec<f64> = (0..k)
                .map(|i| 0.3 - 0.02 * xs[i] + spread * r.normal() + v[i].sqrt() * r.normal())
                .collect();
            let c = xs.iter().sum::<f64>() / k as f64;
            let xc: Vec<f64> = xs.iter().map(|x| x - c).collect();
            let lnv: Vec<f64> = v.iter().map(|v| v.ln()).collect();
            let s = OneModerator {
                y: &y,
                v: &v,
                x: &xc,
                lnv: &lnv,
                c,
            };
            let design =
                Design::from_row_major(k, 2, xs.iter().flat_map(|&x| [1.0, x]).collect()).unwrap();
            for method in ONE_MODERATOR_METHODS {
                for test in Test::ALL {
                    let opts = FitOptions {
                        method,
                        test,
                        ..FitOptions::default()
                    };
                    assert_eq!(Route::of(&design, &opts), Route::OneModerator);
                    let general = fit_with_moderators(&y, &v, &design, &opts);
                    {
                        match (one_moderator(&s, &opts, true), &general) {
                            (Ok(m), Ok(f)) => {
                                let pairs = [
                                    (m.tau2, f.tau2),
                                    (m.beta[0], f.coefficients[0].estimate),
                                    (m.beta[1], f.coefficients[1].estimate),
                                    (m.stat[0], f.coefficients[0].stat),
                                    (m.stat[1], f.coefficients[1].stat),
                                    (m.qm, f.qm),
                                    (m.i2, f.i2),
                                    (m.h2, f.h2),
                                ];
                                for (j, (a, b)) in pairs.into_iter().enumerate() {
                                    assert!(
                                        close(a, b, 1e-9),
                                        "{method} {test} k={k} seed={seed} #{j}: {a} vs {b}"
                                    );
                                }
                                checked += 1;
                            }
                            (Err(_), Err(_)) => {}
                            (Ok(m), Err(e)) => {
                                panic!("{method} seed {seed}: {m:?}, fit failed: {e}")
                            }
                            // The general fit retries a Fisher scoring that
                            // does not converge (stepadj/2, then DL); a
                            // resampling refit drops it, as metafor's
                            // permutest does with a refit that errors.
                            (Err(_), Ok(f))
                                if f.notes.iter().any(|n| n.contains("did not converge")) => {}
                            (Err(_), Ok(f)) => {
                                panic!(
                                    "{method} seed {seed}: failed, fit {} notes {:?}",
                                    f.tau2, f.notes
                                )
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 2500, "{checked}");
    }

    #[test]
    fn equal_moderator_values_fail_as_a_rank_deficient_design() {
        let y = [0.1, 0.2, 0.3, 0.4];
        let v = [0.1; 4];
        let x = [0.0; 4];
        let lnv = [0.1f64.ln(); 4];
        let s = OneModerator {
            y: &y,
            v: &v,
            x: &x,
            lnv: &lnv,
            c: 5.0,
        };
        let opts = FitOptions::new(Method::Reml);
        assert!(one_moderator(&s, &opts, true).is_err());
    }
}
