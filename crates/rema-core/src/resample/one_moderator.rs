//! The refit of a meta-regression with one moderator (p = 2, `mods = ~ x`)
//! in closed form, for the resampling loops: what `fit_with_moderators`
//! computes, in a few passes over the studies and no allocation.
//!
//! The same estimating equations as `crate::tau2` and `fit_with_moderators`
//! (metafor `rma.uni`): the 2 × 2 system X'WX is solved by its adjugate,
//! tr(P) = Σw − tr((X'WX)⁻¹X'W²X) and
//! tr(PP) = Σw² − 2tr((X'WX)⁻¹X'W³X) + tr(((X'WX)⁻¹X'W²X)²) from eleven
//! weighted sums accumulated in one pass (two interleaved partial sums); the residual sums Σwe² and Σw²e² are expanded in
//! the sums, so an iteration is a single pass over the studies.
//! The moderator enters centred at a constant c (x − c, exact algebra: the
//! weighted sums are better conditioned); the intercept at x = 0 and its
//! variance are recovered as a − b·c and A₀₀ − 2cA₀₁ + c²A₁₁.
//!
//! Fisher scoring (ML, REML, EB) follows metafor's path exactly: the Hedges
//! start and the rule |Δτ²| ≤ `threshold`. (A warm start from the observed
//! τ̂² was tried and rejected: it stops at a different point within the
//! threshold, which moved I² by up to 1e-3 relative near τ² = 0.) Results
//! agree with the general fit to rounding (the unit test checks 1e-9), not
//! bit for bit, since the sums are formed differently.
//! The likelihood check at τ² = 0 (`ll0check`) is kept;
//! Σ ln(vᵢ + τ²) is taken as logs of products of 16 terms (one log per 16
//! studies), falling back to a log per study if a product leaves the
//! normal range.
//!
//! Methods: FE, DL, ML, REML, EB, PM (Brent on the one-pass Q); the others
//! use the general refit.

use crate::fit::FitOptions;
use crate::linalg::Design;
use crate::tau2::Method;

/// The studies of one replicate: effects, variances, the centred moderator
/// and the per-study constant ln vᵢ.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Studies<'a> {
    pub y: &'a [f64],
    pub v: &'a [f64],
    /// xᵢ − c.
    pub x: &'a [f64],
    pub lnv: &'a [f64],
    /// The centre c.
    pub c: f64,
}

/// The statistics of a refit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Mod1 {
    /// Intercept (at x = 0) and slope.
    pub beta: [f64; 2],
    /// z (or t) of the intercept and the slope.
    pub stat: [f64; 2],
    pub qm: f64,
    pub tau2: f64,
    pub i2: f64,
    pub h2: f64,
}

pub(crate) enum Outcome {
    Done(Mod1),
    Failed,
    Unsupported,
}

/// The moderator column of a design `[1, x]` when this refit covers the
/// model and its options, `None` otherwise.
pub(crate) fn moderator_column(x: &Design, opts: &FitOptions) -> Option<Vec<f64>> {
    let covered = matches!(
        opts.method,
        Method::Fe | Method::Dl | Method::Ml | Method::Reml | Method::Eb | Method::Pm
    ) && opts.control.tau2_init.is_none();
    (covered && x.cols() == 2 && x.rows() > 2 && (0..x.rows()).all(|i| x.row(i)[0] == 1.0))
        .then(|| (0..x.rows()).map(|i| x.row(i)[1]).collect())
}

/// The centre of a moderator column: its mean.
pub(crate) fn centre(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Weighted sums of one pass: Σw·(1, x, x², y, xy, y²), Σw²·(1, x, x², y,
/// xy, y²) and Σw³·(1, x, x²).
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    s0: f64,
    s1: f64,
    s2: f64,
    sy: f64,
    sxy: f64,
    syy: f64,
    t0: f64,
    t1: f64,
    t2: f64,
    ty: f64,
    txy: f64,
    tyy: f64,
    u0: f64,
    u1: f64,
    u2: f64,
}

/// The inverse of [[s0, s1], [s1, s2]] and its determinant, or `None` when
/// not positive definite (the Cholesky pivot rule of the general fit).
#[inline]
fn inv2(s0: f64, s1: f64, s2: f64) -> Option<([f64; 3], f64)> {
    let det = s0 * s2 - s1 * s1;
    let scale = s0.abs().max(s2.abs());
    if !(s0 > scale * 1e-13) || !(det / s0 > scale * 1e-13) || !det.is_finite() {
        return None;
    }
    Some(([s2 / det, -s1 / det, s0 / det], det))
}

/// One study's terms added to lane `l` of the partial sums.
#[inline(always)]
fn add(acc: &mut [[f64; 2]; 15], l: usize, w: f64, x: f64, y: f64, traces: bool) {
    let wx = w * x;
    let wy = w * y;
    acc[0][l] += w;
    acc[1][l] += wx;
    acc[2][l] += wx * x;
    acc[3][l] += wy;
    acc[4][l] += wx * y;
    acc[5][l] += wy * y;
    let w2 = w * w;
    let w2x = w2 * x;
    let w2y = w2 * y;
    acc[6][l] += w2;
    acc[7][l] += w2x;
    acc[8][l] += w2x * x;
    acc[9][l] += w2y;
    acc[10][l] += w2x * y;
    acc[11][l] += w2y * y;
    if traces {
        let w3 = w2 * w;
        let w3x = w3 * x;
        acc[12][l] += w3;
        acc[13][l] += w3x;
        acc[14][l] += w3x * x;
    }
}

/// The sums over studies with weights 1/(vᵢ + τ²) (which is 1/vᵢ, bit for
/// bit, at τ² = 0), in one pass, accumulated in two interleaved partial
/// sums so the loop has half the serial dependency and pairs of studies can
/// share SIMD instructions. With `traces`, also the W³ sums of tr(PP).
#[inline]
fn pass(s: &Studies, tau2: f64, traces: bool) -> Sums {
    let mut acc = [[0.0f64; 2]; 15];
    let pairs =
        s.y.chunks_exact(2)
            .zip(s.x.chunks_exact(2))
            .zip(s.v.chunks_exact(2));
    for ((y, x), v) in pairs {
        let w0 = 1.0 / (v[0] + tau2);
        let w1 = 1.0 / (v[1] + tau2);
        add(&mut acc, 0, w0, x[0], y[0], traces);
        add(&mut acc, 1, w1, x[1], y[1], traces);
    }
    if s.y.len() % 2 == 1 {
        let i = s.y.len() - 1;
        add(&mut acc, 0, 1.0 / (s.v[i] + tau2), s.x[i], s.y[i], traces);
    }
    let t = |j: usize| acc[j][0] + acc[j][1];
    Sums {
        s0: t(0),
        s1: t(1),
        s2: t(2),
        sy: t(3),
        sxy: t(4),
        syy: t(5),
        t0: t(6),
        t1: t(7),
        t2: t(8),
        ty: t(9),
        txy: t(10),
        tyy: t(11),
        u0: t(12),
        u1: t(13),
        u2: t(14),
    }
}

/// A weighted fit: the sums, (X'WX)⁻¹ (A₀₀, A₀₁, A₁₁), its determinant, β,
/// and the residual sums Σw e² (the RSS) and Σw² e² (y'PPy).
#[derive(Debug, Clone, Copy)]
struct Wls {
    sums: Sums,
    a: [f64; 3],
    det: f64,
    b: [f64; 2],
    rss: f64,
    ypp_y: f64,
}

/// The fit at τ², from one pass. The residual sums are expanded in the
/// sums (e = y − b₀ − b₁x); with the moderator centred and b₀ near the mean
/// effect the expansion loses no more than a digit or two, well inside the
/// 1e-9 agreement the tests check.
#[inline]
fn wls(s: &Studies, tau2: f64, traces: bool) -> Option<Wls> {
    let m = pass(s, tau2, traces);
    let (a, det) = inv2(m.s0, m.s1, m.s2)?;
    let b = [a[0] * m.sy + a[1] * m.sxy, a[1] * m.sy + a[2] * m.sxy];
    if !(b[0].is_finite() && b[1].is_finite()) {
        return None;
    }
    let (b0, b1) = (b[0], b[1]);
    let rss = m.syy - 2.0 * (b0 * m.sy + b1 * m.sxy)
        + (b0 * b0 * m.s0 + 2.0 * b0 * b1 * m.s1 + b1 * b1 * m.s2);
    let ypp_y = m.tyy - 2.0 * (b0 * m.ty + b1 * m.txy)
        + (b0 * b0 * m.t0 + 2.0 * b0 * b1 * m.t1 + b1 * b1 * m.t2);
    Some(Wls {
        sums: m,
        a,
        det,
        b,
        rss: rss.max(0.0),
        ypp_y: ypp_y.max(0.0),
    })
}

/// tr(P) of a fit with the W² sums.
#[inline]
fn trace_p(f: &Wls) -> f64 {
    let (a, s) = (f.a, f.sums);
    s.s0 - (a[0] * s.t0 + 2.0 * a[1] * s.t1 + a[2] * s.t2)
}

/// tr(PP) of a fit with the W² and W³ sums.
#[inline]
fn trace_pp(f: &Wls) -> f64 {
    let (a, s) = (f.a, f.sums);
    let ab3 = a[0] * s.u0 + 2.0 * a[1] * s.u1 + a[2] * s.u2;
    let m00 = a[0] * s.t0 + a[1] * s.t1;
    let m01 = a[0] * s.t1 + a[1] * s.t2;
    let m10 = a[1] * s.t0 + a[2] * s.t1;
    let m11 = a[1] * s.t1 + a[2] * s.t2;
    s.t0 - 2.0 * ab3 + (m00 * m00 + 2.0 * m01 * m10 + m11 * m11)
}

/// Σ ln(vᵢ + τ²): Σ ln vᵢ from the per-study constants at τ² = 0, else one
/// log per product of 16 terms (`fast::sum_log`).
fn sum_log(s: &Studies, tau2: f64) -> f64 {
    if tau2 == 0.0 {
        return s.lnv.iter().sum();
    }
    super::fast::sum_log(s.v, tau2, false)
}

/// The Hedges estimate (unit weights), unclipped.
fn hedges(s: &Studies) -> Option<f64> {
    let (mut s1, mut s2, mut sy, mut sxy) = (0.0, 0.0, 0.0, 0.0);
    let (mut v0, mut v1, mut v2) = (0.0, 0.0, 0.0);
    for ((&x, &y), &v) in s.x.iter().zip(s.y).zip(s.v) {
        s1 += x;
        s2 += x * x;
        sy += y;
        sxy += x * y;
        v0 += v;
        v1 += v * x;
        v2 += v * x * x;
    }
    let k = s.y.len() as f64;
    let (a, _) = inv2(k, s1, s2)?;
    let b = [a[0] * sy + a[1] * sxy, a[1] * sy + a[2] * sxy];
    let rss: f64 =
        s.x.iter()
            .zip(s.y)
            .map(|(&x, &y)| {
                let e = y - b[0] - b[1] * x;
                e * e
            })
            .sum();
    let tr_pv = v0 - (a[0] * v0 + 2.0 * a[1] * v1 + a[2] * v2);
    Some((rss - tr_pv) / (k - 2.0))
}

/// Paule–Mandel τ²: the root of Q(τ²) = k − 2 (`target`), truncated at 0,
/// by the general fit's Brent search from a bracket starting at 100 rather
/// than max(100, 10·mad(y)²) (no median per refit); the same root to the
/// search's tolerance.
fn paule_mandel(s: &Studies, target: f64) -> Option<f64> {
    let q = |t: f64| wls(s, t, false).map_or(f64::NAN, |f| f.rss) - target;
    crate::tau2::paule_mandel::decreasing_root(q, 100.0)
        .ok()
        .map(|t| t.unwrap_or(0.0))
}

/// Fisher scoring for ML, REML and EB from `tau2`, as
/// `tau2::fisher_scoring`; `None` when it does not converge.
fn scoring(s: &Studies, opts: &FitOptions, mut tau2: f64) -> Option<f64> {
    let control = &opts.control;
    let method = opts.method;
    let kf = s.y.len() as f64;
    let df = kf - 2.0;
    let mut change = control.threshold + 1.0;
    let mut iter = 0usize;
    while change > control.threshold {
        iter += 1;
        let old = tau2;
        let f = wls(s, tau2, method == Method::Reml)?;
        let (rss, ypp_y) = (f.rss, f.ypp_y);
        let adj = match method {
            Method::Ml => (ypp_y - f.sums.s0) / f.sums.t0,
            Method::Reml => (ypp_y - trace_p(&f)) / trace_pp(&f),
            _ => (rss * kf / df - kf) / f.sums.s0,
        };
        tau2 = crate::tau2::fisher_scoring::take_step(tau2, adj, control.step_adj);
        change = (old - tau2).abs();
        if iter > control.max_iter {
            return None;
        }
    }
    Some(tau2)
}

/// Refits `yᵢ = β₀ + β₁xᵢ + uᵢ + eᵢ` with `opts`.
pub(crate) fn refit(s: &Studies, opts: &FitOptions) -> Outcome {
    let k = s.y.len();
    let control = &opts.control;
    if k <= 2 || control.tau2_init.is_some() {
        return Outcome::Unsupported;
    }
    let kf = k as f64;
    let df = kf - 2.0;
    let method = opts.method;
    // The common-effect fit: Q, tr(P) for DL and ṽ of I², the likelihood at 0.
    let Some(fe) = wls(s, 0.0, false) else {
        return Outcome::Failed;
    };
    let q_fe = fe.rss;
    let tr_p_fe = trace_p(&fe);
    let tau2 = match method {
        Method::Fe => 0.0,
        Method::Dl => ((q_fe - df) / tr_p_fe).max(0.0),
        Method::Ml | Method::Reml | Method::Eb => {
            let Some(start) = hedges(s) else {
                return Outcome::Failed;
            };
            match scoring(s, opts, start.max(0.0)) {
                Some(t) => t,
                None => return Outcome::Failed,
            }
        }
        Method::Pm => match paule_mandel(s, df) {
            Some(t) => t,
            None => return Outcome::Failed,
        },
        _ => return Outcome::Unsupported,
    };
    // The fit at tau2 (the common-effect fit when tau2 = 0).
    let (f, rss) = if tau2 > 0.0 {
        let Some(f) = wls(s, tau2, false) else {
            return Outcome::Failed;
        };
        (f, f.rss)
    } else {
        (fe, q_fe)
    };
    let (f, rss, tau2) = if control.ll0_check
        && matches!(method, Method::Ml | Method::Reml)
        && tau2 > control.threshold
    {
        let two_pi = (2.0 * std::f64::consts::PI).ln();
        let ll = |ldet: f64, slog: f64, rss: f64| match method {
            Method::Reml => -0.5 * df * two_pi - 0.5 * slog - 0.5 * ldet - 0.5 * rss,
            _ => -0.5 * kf * two_pi - 0.5 * slog - 0.5 * rss,
        };
        let ll0 = ll(fe.det.ln(), sum_log(s, 0.0), q_fe);
        let ll1 = ll(f.det.ln(), sum_log(s, tau2), rss);
        if ll0 - ll1 > f64::EPSILON.powf(0.25) {
            (fe, q_fe, 0.0)
        } else {
            (f, rss, tau2)
        }
    } else {
        (f, rss, tau2)
    };
    let s2w = crate::fit::s2w(opts.test, rss, df);
    let c = s.c;
    let slope = f.b[1];
    let intercept = f.b[0] - slope * c;
    let var1 = f.a[2] * s2w;
    let var0 = (f.a[0] - 2.0 * c * f.a[1] + c * c * f.a[2]) * s2w;
    let stat = [intercept / var0.sqrt(), slope / var1.sqrt()];
    let qm = if var1 > 0.0 && var1.is_finite() {
        slope * slope / var1
    } else {
        f64::NAN
    };
    let vt = df / tr_p_fe;
    let (i2, h2) = if method.is_random() {
        (100.0 * tau2 / (vt + tau2), tau2 / vt + 1.0)
    } else {
        let q = q_fe.max(0.0);
        ((100.0 * (q - df) / q).max(0.0), q / df)
    };
    Outcome::Done(Mod1 {
        beta: [intercept, slope],
        stat,
        qm,
        tau2,
        i2,
        h2,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::{fit_with_moderators, Test};
    use crate::resample::rng::Stream;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0) || (a.is_nan() && b.is_nan())
    }

    /// The closed-form refit agrees with `fit_with_moderators` to 1e-9
    /// (relative, or absolute below 1) on random data with and without
    /// heterogeneity, for every method it covers and both tests.
    #[test]
    fn one_moderator_refit_agrees_with_fit() {
        let mut checked = 0;
        for seed in 0..300u64 {
            let mut r = Stream::new(seed, 3);
            let k = 3 + r.below(40) as usize;
            let v: Vec<f64> = (0..k).map(|_| 0.005 + 0.5 * r.next_f64()).collect();
            let xs: Vec<f64> = (0..k).map(|_| 20.0 + 40.0 * r.next_f64()).collect();
            let spread = if seed % 3 == 0 { 0.0 } else { 0.5 };
            let y: Vec<f64> = (0..k)
                .map(|i| 0.3 - 0.02 * xs[i] + spread * r.normal() + v[i].sqrt() * r.normal())
                .collect();
            let c = xs.iter().sum::<f64>() / k as f64;
            let xc: Vec<f64> = xs.iter().map(|x| x - c).collect();
            let lnv: Vec<f64> = v.iter().map(|v| v.ln()).collect();
            let s = Studies {
                y: &y,
                v: &v,
                x: &xc,
                lnv: &lnv,
                c,
            };
            let design =
                Design::from_row_major(k, 2, xs.iter().flat_map(|&x| [1.0, x]).collect()).unwrap();
            for method in [
                Method::Fe,
                Method::Dl,
                Method::Ml,
                Method::Reml,
                Method::Eb,
                Method::Pm,
            ] {
                for test in [Test::Z, Test::Knha] {
                    let opts = FitOptions {
                        method,
                        test,
                        ..FitOptions::default()
                    };
                    let general = fit_with_moderators(&y, &v, &design, &opts);
                    {
                        match (refit(&s, &opts), &general) {
                            (Outcome::Done(m), Ok(f)) => {
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
                            (Outcome::Failed, Err(_)) => {}
                            (Outcome::Done(m), Err(e)) => {
                                panic!("{method} seed {seed}: {m:?}, fit failed: {e}")
                            }
                            // The general fit retries a Fisher scoring that
                            // does not converge (stepadj/2, then DL); a
                            // resampling refit drops it, as metafor's
                            // permutest does with a refit that errors.
                            (Outcome::Failed, Ok(f))
                                if f.notes.iter().any(|n| n.contains("did not converge")) => {}
                            (Outcome::Failed, Ok(f)) => {
                                panic!(
                                    "{method} seed {seed}: failed, fit {} notes {:?}",
                                    f.tau2, f.notes
                                )
                            }
                            (Outcome::Unsupported, _) => panic!("{method} unsupported"),
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
        let s = Studies {
            y: &y,
            v: &v,
            x: &x,
            lnv: &lnv,
            c: 5.0,
        };
        let opts = FitOptions::new(Method::Reml);
        assert!(matches!(refit(&s, &opts), Outcome::Failed));
    }
}
