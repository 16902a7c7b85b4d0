//! An allocation-free refit of the intercept-only model for the resampling
//! loops (sign-flip permutation tests and the bootstrap).
//!
//! It computes exactly what [`crate::fit::fit`] computes for an
//! intercept-only model — the same operations in the same order, so the same
//! bits — but only the statistics a resampling run keeps (estimate, test
//! statistic, QM, τ², I², H²) and into a caller-owned buffer. Methods: FE,
//! DL, HE, HS, SJ, ML, REML, EB, and PM (intercept-only; agreeing with
//! `fit` to the root search's tolerance rather than bit for bit). The unit
//! test below checks bit-identity with `fit` on random data.
//!
//! Speed without changing a bit: the weighted sums of a fit or a Fisher step
//! (Σw, Σwy, Σw², Σw³, then Σw(y − b)², Σw²(y − b)²) are accumulated in two
//! fused passes, each sum in study order from the same identity as its own
//! pass would be, so the addition chains overlap instead of running one
//! after another; the ll0check's Σ ln(vᵢ + τ²) is taken one log per product
//! of 16 terms, and term by term only when the decision is within 1e-9 of
//! the cut-off, or not at all when τ² is below the convergence threshold
//! (where the check cannot change it).

use crate::fit::{FitOptions, Test};
use crate::linalg::Design;
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

/// The weighted sums one Fisher step (or a weighted fit) needs, from the
/// weights wᵢ = 1/(vᵢ + τ²), which are also written to `w`.
///
/// Each sum is accumulated in study order with the expression the separate
/// passes use (`w * y`, `w * w`, `w * w * w`), from the identity of
/// `f64: Sum`, so every sum has the bits of its own pass (`wls1`, `sum_sq`,
/// …): fusing them only lets the independent addition chains overlap.
#[derive(Debug, Clone, Copy)]
struct Sums {
    sw: f64,
    swy: f64,
    sw2: f64,
    sw3: f64,
}

#[inline]
fn weighted_sums(y: &[f64], v: &[f64], tau2: f64, w: &mut [f64]) -> Sums {
    let zero: f64 = std::iter::empty::<f64>().sum();
    let mut s = Sums {
        sw: zero,
        swy: zero,
        sw2: zero,
        sw3: zero,
    };
    for ((w, v), y) in w.iter_mut().zip(v).zip(y) {
        let wi = 1.0 / (v + tau2);
        *w = wi;
        s.sw += wi;
        s.swy += wi * y;
        s.sw2 += wi * wi;
        s.sw3 += wi * wi * wi;
    }
    s
}

/// Σw(y − b)² and Σw²(y − b)² in one pass, each with the bits of its own.
#[inline]
fn residual_sums(y: &[f64], w: &[f64], b: f64) -> (f64, f64) {
    let zero: f64 = std::iter::empty::<f64>().sum();
    let (mut rss, mut ypp) = (zero, zero);
    for (y, w) in y.iter().zip(w) {
        let e = y - b;
        rss += w * e * e;
        ypp += w * w * e * e;
    }
    (rss, ypp)
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
    // 1/(v + 0) is 1/v to the bit (v > 0).
    let fe = weighted_sums(y, v, 0.0, w);
    let sw_fe = fe.sw;
    let (q_fe, _) = residual_sums(y, w, fe.swy / sw_fe);
    let tr_p_fe = sw_fe - (1.0 / sw_fe) * fe.sw2;
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
        Method::Pm => match paule_mandel(y, v, w) {
            Some(t) => t,
            None => return Fast::Failed,
        },
    };
    let fin = weighted_sums(y, v, tau2, w);
    let sw = fin.sw;
    let b = fin.swy / sw;
    if !(sw > 0.0 && sw.is_finite() && b.is_finite()) {
        return Fast::Failed;
    }
    let (rss, _) = residual_sums(y, w, b);
    let s2w = crate::fit::s2w(opts.test, rss, df);
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

/// Paule–Mandel τ² of the intercept-only model, as `tau2::paule_mandel`:
/// the root of Q(τ²) = k − 1 by the same Brent search (to near machine
/// precision), truncated at 0. The general fit starts its bracket at
/// max(100, 10·mad(y)²); here it starts at 100 (no median, no allocation)
/// and widens the same way. The root, not the path, is what is returned, so
/// the two agree to the search's tolerance (tested at 1e-9), not bit for bit.
fn paule_mandel(y: &[f64], v: &[f64], w: &mut [f64]) -> Option<f64> {
    let target = (y.len() - 1) as f64;
    let q = |t: f64| {
        let s = weighted_sums(y, v, t, w);
        residual_sums(y, w, s.swy / s.sw).0 - target
    };
    crate::tau2::paule_mandel::decreasing_root(q, 100.0)
        .ok()
        .map(|t| t.unwrap_or(0.0))
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
        // Two passes per step: the weights and their sums, then the
        // residual sums (the same bits as wls1, sum_sq and the rest).
        let sums = weighted_sums(y, v, tau2, w);
        let sw = sums.sw;
        let b = sums.swy / sw;
        if !(sw > 0.0 && sw.is_finite() && b.is_finite()) {
            return None;
        }
        let (rss, ypp_y) = residual_sums(y, w, b);
        let adj = match method {
            Method::Ml => (ypp_y - sw) / sums.sw2,
            Method::Reml => {
                let a = 1.0 / sw;
                let sw2 = sums.sw2;
                let sw3 = sums.sw3;
                let tr_p = sw - a * sw2;
                let m = a * sw2;
                let tr_pp = sw2 - 2.0 * (a * sw3) + m * m;
                (ypp_y - tr_p) / tr_pp
            }
            _ => (rss * k / df - k) / sw,
        };
        tau2 = crate::tau2::fisher_scoring::take_step(tau2, adj, control.step_adj);
        change = (old - tau2).abs();
        if iter > control.max_iter {
            return None;
        }
    }
    if control.ll0_check && method != Method::Eb {
        // metafor's ll0check: τ² = 0 when its likelihood is higher by more
        // than ε^¼. The log terms are only needed when the answer matters
        // (τ² above the threshold); Σ ln(vᵢ + τ²) is first taken one log per
        // product of 16 terms, and only when that puts the difference
        // within 1e-9 of the cut-off is it recomputed term by term, as the
        // general fit does, so the decision is always the general fit's.
        let logs = tau2 > control.threshold;
        let cut = f64::EPSILON.powf(0.25);
        let ll0 = log_likelihood(y, v, method, 0.0, w, logs, false)?;
        let ll = log_likelihood(y, v, method, tau2, w, logs, false)?;
        if logs {
            let diff = ll0 - ll;
            let drop = if (diff - cut).abs() > 1e-9 * (1.0 + ll0.abs() + ll.abs()) {
                diff > cut
            } else {
                let ll0 = log_likelihood(y, v, method, 0.0, w, true, true)?;
                let ll = log_likelihood(y, v, method, tau2, w, true, true)?;
                ll0 - ll > cut
            };
            if drop {
                tau2 = 0.0;
            }
        }
    }
    Some(tau2.max(0.0))
}

/// Σ ln(vᵢ + τ²): term by term when `exact`, else one log per product of
/// 16 terms (a term-by-term sum for a product outside the normal range).
pub(crate) fn sum_log(v: &[f64], tau2: f64, exact: bool) -> f64 {
    if exact {
        return v.iter().map(|v| (v + tau2).ln()).sum();
    }
    let mut total = 0.0;
    for chunk in v.chunks(16) {
        let p: f64 = chunk.iter().map(|v| v + tau2).product();
        total += if p.is_normal() {
            p.ln()
        } else {
            chunk.iter().map(|v| (v + tau2).ln()).sum()
        };
    }
    total
}

/// The (restricted) log-likelihood at `tau2`, as the general fit's; without
/// the Σ ln(vᵢ + τ²) term when not `logs` (only the failure checks matter
/// then). `None` where the general fit fails.
fn log_likelihood(
    y: &[f64],
    v: &[f64],
    method: Method,
    tau2: f64,
    w: &mut [f64],
    logs: bool,
    exact: bool,
) -> Option<f64> {
    let sums = weighted_sums(y, v, tau2, w);
    let sw = sums.sw;
    let (rss, _) = residual_sums(y, w, sums.swy / sw);
    let log_v = if logs { sum_log(v, tau2, exact) } else { 0.0 };
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
                    // Replicates do not fall back (as metafor's permutest
                    // drops a permutation that does not converge).
                    let opts = FitOptions {
                        method,
                        test,
                        control: crate::tau2::Control {
                            fallback: false,
                            ..Default::default()
                        },
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

/// Buffers of the allocation-free meta-regression refit (k studies, p columns).
#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    p: usize,
    w: Vec<f64>,
    aux: Vec<f64>,
    resid: Vec<f64>,
    beta: Vec<f64>,
    xtwy: Vec<f64>,
    xtwx: Vec<f64>,
    a: Vec<f64>,
    b2: Vec<f64>,
    b3: Vec<f64>,
    m: Vec<f64>,
    l: Vec<f64>,
    li: Vec<f64>,
    sub: Vec<f64>,
    inv: Vec<f64>,
}

impl Workspace {
    /// The coefficients of the last weighted least-squares solve (after
    /// [`with_moderators`], the model's β̂).
    pub(crate) fn beta(&self) -> &[f64] {
        &self.beta
    }

    pub(crate) fn new(k: usize, p: usize) -> Workspace {
        let pp = p * p;
        Workspace {
            p,
            w: vec![0.0; k],
            aux: vec![0.0; k],
            resid: vec![0.0; k],
            beta: vec![0.0; p],
            xtwy: vec![0.0; p],
            xtwx: vec![0.0; pp],
            a: vec![0.0; pp],
            b2: vec![0.0; pp],
            b3: vec![0.0; pp],
            m: vec![0.0; pp],
            l: vec![0.0; pp],
            li: vec![0.0; pp],
            sub: vec![0.0; pp],
            inv: vec![0.0; pp],
        }
    }
}

/// X'·diag(w)·X into `m`, as `linalg::weighted_crossprod`.
fn crossprod(x: &Design, w: &[f64], m: &mut [f64]) {
    let p = x.cols();
    m.iter_mut().for_each(|v| *v = 0.0);
    for (i, &wi) in w.iter().enumerate() {
        let r = x.row(i);
        for a in 0..p {
            let ra = wi * r[a];
            for (b, rb) in r.iter().enumerate().take(a + 1) {
                m[a * p + b] += ra * rb;
            }
        }
    }
    for a in 0..p {
        for b in 0..a {
            m[b * p + a] = m[a * p + b];
        }
    }
}

/// The inverse of the n × n matrix `s` into `inv`, as
/// `SymMatrix::cholesky_inverse`; false when not positive definite.
fn chol_inv(s: &[f64], n: usize, l: &mut [f64], li: &mut [f64], inv: &mut [f64]) -> bool {
    let get = |i: usize, j: usize| s[i * n + j];
    l[..n * n].iter_mut().for_each(|v| *v = 0.0);
    let scale = (0..n).map(|i| get(i, i).abs()).fold(0.0, f64::max);
    for j in 0..n {
        let mut d = get(j, j);
        for m in 0..j {
            d -= l[j * n + m] * l[j * n + m];
        }
        if !(d > scale * 1e-13) || !d.is_finite() {
            return false;
        }
        let d = d.sqrt();
        l[j * n + j] = d;
        for i in j + 1..n {
            let mut t = get(i, j);
            for m in 0..j {
                t -= l[i * n + m] * l[j * n + m];
            }
            l[i * n + j] = t / d;
        }
    }
    li[..n * n].iter_mut().for_each(|v| *v = 0.0);
    for i in 0..n {
        li[i * n + i] = 1.0 / l[i * n + i];
        for j in 0..i {
            let mut t = 0.0;
            for m in j..i {
                t -= l[i * n + m] * li[m * n + j];
            }
            li[i * n + j] = t / l[i * n + i];
        }
    }
    for i in 0..n {
        for j in 0..=i {
            let mut t = 0.0;
            for m in i..n {
                t += li[m * n + i] * li[m * n + j];
            }
            inv[i * n + j] = t;
            inv[j * n + i] = t;
        }
    }
    true
}

/// log|s| by Cholesky, as `SymMatrix::log_det`.
fn log_det(s: &[f64], n: usize, l: &mut [f64]) -> Option<f64> {
    l[..n * n].iter_mut().for_each(|v| *v = 0.0);
    let mut ld = 0.0;
    for j in 0..n {
        let mut d = s[j * n + j];
        for m in 0..j {
            d -= l[j * n + m] * l[j * n + m];
        }
        if !(d > 0.0) || !d.is_finite() {
            return None;
        }
        let d = d.sqrt();
        ld += 2.0 * d.ln();
        l[j * n + j] = d;
        for i in j + 1..n {
            let mut t = s[i * n + j];
            for m in 0..j {
                t -= l[i * n + m] * l[j * n + m];
            }
            l[i * n + j] = t / d;
        }
    }
    Some(ld)
}

/// Weighted least squares with the weights in `ws.w`, as `wls::wls` for a
/// design that is not intercept-only: fills `ws.a`, `ws.beta`, `ws.resid`
/// and returns the residual sum of squares, `None` when rank deficient.
fn wls_p(y: &[f64], x: &Design, ws: &mut Workspace) -> Option<f64> {
    let p = ws.p;
    crossprod(x, &ws.w, &mut ws.xtwx);
    if !chol_inv(&ws.xtwx, p, &mut ws.l, &mut ws.li, &mut ws.a) {
        return None;
    }
    ws.xtwy.iter_mut().for_each(|v| *v = 0.0);
    for (i, (&wi, &yi)) in ws.w.iter().zip(y).enumerate() {
        for (acc, xij) in ws.xtwy.iter_mut().zip(x.row(i)) {
            *acc += wi * xij * yi;
        }
    }
    for r in 0..p {
        ws.beta[r] = (0..p).map(|c| ws.a[r * p + c] * ws.xtwy[c]).sum();
    }
    for (i, (r, yi)) in ws.resid.iter_mut().zip(y).enumerate() {
        *r = yi
            - x.row(i)
                .iter()
                .zip(&ws.beta)
                .map(|(xij, b)| xij * b)
                .sum::<f64>();
    }
    Some(ws.resid.iter().zip(&ws.w).map(|(e, w)| w * e * e).sum())
}

fn trace_product(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

/// tr(P) with the weights in `ws.w` and A in `ws.a`, as `wls::trace_p`.
fn trace_p_ws(x: &Design, ws: &mut Workspace) -> f64 {
    let sw: f64 = ws.w.iter().sum();
    for (a, w) in ws.aux.iter_mut().zip(&ws.w) {
        *a = w * w;
    }
    crossprod(x, &ws.aux, &mut ws.b2);
    sw - trace_product(&ws.a, &ws.b2)
}

/// tr(PP), as `wls::trace_pp`.
fn trace_pp_ws(x: &Design, ws: &mut Workspace) -> f64 {
    let p = ws.p;
    for (a, w) in ws.aux.iter_mut().zip(&ws.w) {
        *a = w * w;
    }
    let sw2: f64 = ws.aux.iter().sum();
    crossprod(x, &ws.aux, &mut ws.b2);
    for (a, w) in ws.aux.iter_mut().zip(&ws.w) {
        *a = w * w * w;
    }
    crossprod(x, &ws.aux, &mut ws.b3);
    ws.m.iter_mut().for_each(|v| *v = 0.0);
    for i in 0..p {
        for l in 0..p {
            let a = ws.a[i * p + l];
            for j in 0..p {
                ws.m[i * p + j] += a * ws.b2[l * p + j];
            }
        }
    }
    let mut tr_mm = 0.0;
    for i in 0..p {
        for j in 0..p {
            tr_mm += ws.m[i * p + j] * ws.m[j * p + i];
        }
    }
    sw2 - 2.0 * trace_product(&ws.a, &ws.b3) + tr_mm
}

/// Refits the mixed-effects model with design `x` (not intercept-only) and
/// writes |z| (or |t|) of every coefficient, then QM, into `out` (length
/// p + 1), as `fit_with_moderators` computes them. Returns τ̂².
pub(crate) fn with_moderators(
    y: &[f64],
    v: &[f64],
    x: &Design,
    opts: &FitOptions,
    ws: &mut Workspace,
    out: &mut [f64],
) -> Option<Option<f64>> {
    let k = y.len();
    let p = ws.p;
    if x.cols() != p || k <= p || opts.control.tau2_init.is_some() {
        return None;
    }
    let df = (k - p) as f64;
    let kf = k as f64;
    let fixed_w = |ws: &mut Workspace, t: f64| {
        for (w, v) in ws.w.iter_mut().zip(v) {
            *w = 1.0 / (v + t);
        }
    };
    let tau2 = match opts.method {
        Method::Fe => 0.0,
        Method::Dl | Method::Hs => {
            for (w, v) in ws.w.iter_mut().zip(v) {
                *w = 1.0 / v;
            }
            let Some(rss) = wls_p(y, x, ws) else {
                return Some(None);
            };
            if opts.method == Method::Dl {
                ((rss - df) / trace_p_ws(x, ws)).max(0.0)
            } else {
                let sw: f64 = ws.w.iter().sum();
                ((rss - kf) / sw).max(0.0)
            }
        }
        Method::He => match he_raw_p(y, v, x, ws) {
            Some(t) => t.max(0.0),
            None => return Some(None),
        },
        Method::Sj => {
            let mean = y.iter().sum::<f64>() / kf;
            let tau0 = y.iter().map(|y| (y - mean) * (y - mean)).sum::<f64>() / kf;
            if tau0 <= 0.0 {
                0.0
            } else {
                fixed_w(ws, tau0);
                let Some(rss) = wls_p(y, x, ws) else {
                    return Some(None);
                };
                (tau0 * rss / df).max(0.0)
            }
        }
        Method::Ml | Method::Reml | Method::Eb => match fisher_p(y, v, x, opts, ws) {
            Some(t) => t,
            None => return Some(None),
        },
        Method::Pm => return None,
    };
    fixed_w(ws, tau2);
    let Some(rss) = wls_p(y, x, ws) else {
        return Some(None);
    };
    let s2w = crate::fit::s2w(opts.test, rss, df);
    for a in ws.a.iter_mut() {
        *a *= s2w;
    }
    for (j, o) in out.iter_mut().enumerate().take(p) {
        let se = ws.a[j * p + j].sqrt();
        *o = (ws.beta[j] / se).abs();
    }
    // QM over the moderators (all coefficients but the intercept).
    let m = p - 1;
    for a in 0..m {
        for b in 0..m {
            ws.sub[a * m + b] = ws.a[(a + 1) * p + (b + 1)];
        }
    }
    let qm = if chol_inv(&ws.sub[..m * m], m, &mut ws.l, &mut ws.li, &mut ws.inv) {
        let mut s = 0.0;
        for a in 0..m {
            for b in 0..m {
                s += ws.beta[a + 1] * ws.inv[a * m + b] * ws.beta[b + 1];
            }
        }
        match opts.test {
            Test::Z => s,
            Test::Knha => s / m as f64,
        }
    } else {
        f64::NAN
    };
    out[p] = qm;
    Some(Some(tau2))
}

/// Residual I² and H² of a meta-regression with τ̂² = `tau2`, as
/// `fit_with_moderators`: ṽ = (k − p)/tr(P) at the common-effect weights.
/// Overwrites the workspace; `None` when the design is rank deficient.
pub(crate) fn i2_h2_p(
    v: &[f64],
    y: &[f64],
    x: &Design,
    random: bool,
    tau2: f64,
    ws: &mut Workspace,
) -> Option<(f64, f64)> {
    let df = (y.len() - ws.p) as f64;
    for (w, v) in ws.w.iter_mut().zip(v) {
        *w = 1.0 / v;
    }
    let q = wls_p(y, x, ws)?.max(0.0);
    let vt = df / trace_p_ws(x, ws);
    Some(if random {
        (100.0 * tau2 / (vt + tau2), tau2 / vt + 1.0)
    } else {
        ((100.0 * (q - df) / q).max(0.0), q / df)
    })
}

fn he_raw_p(y: &[f64], v: &[f64], x: &Design, ws: &mut Workspace) -> Option<f64> {
    ws.w.iter_mut().for_each(|w| *w = 1.0);
    let rss = wls_p(y, x, ws)?;
    crossprod(x, v, &mut ws.b2);
    let tr_pv = v.iter().sum::<f64>() - trace_product(&ws.a, &ws.b2);
    Some((rss - tr_pv) / (y.len() - ws.p) as f64)
}

fn fisher_p(
    y: &[f64],
    v: &[f64],
    x: &Design,
    opts: &FitOptions,
    ws: &mut Workspace,
) -> Option<f64> {
    let control = &opts.control;
    let method = opts.method;
    let k = y.len() as f64;
    let df = (y.len() - ws.p) as f64;
    let mut tau2 = he_raw_p(y, v, x, ws)?.max(0.0);
    let mut change = control.threshold + 1.0;
    let mut iter = 0usize;
    while change > control.threshold {
        iter += 1;
        let old = tau2;
        for (w, v) in ws.w.iter_mut().zip(v) {
            *w = 1.0 / (v + tau2);
        }
        let rss = wls_p(y, x, ws)?;
        let ypp_y: f64 = ws.resid.iter().zip(&ws.w).map(|(e, w)| w * w * e * e).sum();
        let adj = match method {
            Method::Ml => {
                let sw: f64 = ws.w.iter().sum();
                let sw2: f64 = ws.w.iter().map(|w| w * w).sum();
                (ypp_y - sw) / sw2
            }
            Method::Reml => {
                let tp = trace_p_ws(x, ws);
                (ypp_y - tp) / trace_pp_ws(x, ws)
            }
            _ => {
                let sw: f64 = ws.w.iter().sum();
                (rss * k / df - k) / sw
            }
        };
        tau2 = crate::tau2::fisher_scoring::take_step(tau2, adj, control.step_adj);
        change = (old - tau2).abs();
        if iter > control.max_iter {
            return None;
        }
    }
    if control.ll0_check && method != Method::Eb {
        let ll0 = log_lik_p(y, v, x, method, 0.0, ws)?;
        let ll = log_lik_p(y, v, x, method, tau2, ws)?;
        if ll0 - ll > f64::EPSILON.powf(0.25) && tau2 > control.threshold {
            tau2 = 0.0;
        }
    }
    Some(tau2.max(0.0))
}

fn log_lik_p(
    y: &[f64],
    v: &[f64],
    x: &Design,
    method: Method,
    tau2: f64,
    ws: &mut Workspace,
) -> Option<f64> {
    for (w, v) in ws.w.iter_mut().zip(v) {
        *w = 1.0 / (v + tau2);
    }
    let rss = wls_p(y, x, ws)?;
    let log_v: f64 = v.iter().map(|v| (v + tau2).ln()).sum();
    let two_pi = (2.0 * std::f64::consts::PI).ln();
    let k = y.len() as f64;
    let df = (y.len() - ws.p) as f64;
    Some(match method {
        Method::Reml => {
            crossprod(x, &ws.w, &mut ws.xtwx);
            let ld = log_det(&ws.xtwx, ws.p, &mut ws.l)?;
            -0.5 * df * two_pi - 0.5 * log_v - 0.5 * ld - 0.5 * rss
        }
        _ => -0.5 * k * two_pi - 0.5 * log_v - 0.5 * rss,
    })
}

#[cfg(test)]
mod tests_moderators {
    use super::*;
    use crate::fit::fit_with_moderators;
    use crate::resample::rng::Stream;

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
                for test in [Test::Z, Test::Knha] {
                    // Replicates do not fall back (as metafor's permutest
                    // drops a permutation that does not converge).
                    let opts = FitOptions {
                        method,
                        test,
                        control: crate::tau2::Control {
                            fallback: false,
                            ..Default::default()
                        },
                        ..FitOptions::default()
                    };
                    let general = fit_with_moderators(&y, &v, &x, &opts);
                    match (
                        with_moderators(&y, &v, &x, &opts, &mut ws, &mut out),
                        general,
                    ) {
                        (Some(Some(t)), Ok(f)) => {
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
                            n_checked += 1;
                        }
                        (Some(None), Err(_)) | (None, _) => {}
                        (Some(Some(t)), Err(e)) => {
                            panic!("{method} seed {seed}: fast {t}, fit failed: {e}")
                        }
                        (Some(None), Ok(f)) => {
                            panic!("{method} seed {seed}: fast failed, fit {}", f.tau2)
                        }
                    }
                }
            }
        }
        assert!(n_checked > 3000, "{n_checked}");
    }
}
