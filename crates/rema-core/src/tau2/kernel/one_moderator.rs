//! The kernel of a meta-regression with one moderator (p = 2, `mods = ~ x`)
//! in closed form: a fit in one pass over the studies and no allocation.
//!
//! The 2 × 2 system X'WX is solved by its adjugate,
//! tr(P) = Σw − tr((X'WX)⁻¹X'W²X) and
//! tr(PP) = Σw² − 2tr((X'WX)⁻¹X'W³X) + tr(((X'WX)⁻¹X'W²X)²) from fifteen
//! weighted sums accumulated in one pass (two interleaved partial sums); the
//! residual sums Σwe² and Σw²e² are expanded in the sums. The moderator
//! enters centred at a constant c (x − c, exact algebra: the weighted sums
//! are better conditioned); the intercept at x = 0 and its variance are
//! recovered as a − b·c and A₀₀ − 2cA₀₁ + c²A₁₁. Results agree with the
//! general kernel to rounding (the tests check 1e-9), not bit for bit, since
//! the sums are formed differently.
//!
//! Σ ln(vᵢ + τ²) of the likelihood check is taken from per-study constants
//! ln vᵢ at τ² = 0, else as logs of products of 16 terms.

use super::{Kernel, Need, Wls};
use crate::linalg::Design;

/// A model `yᵢ = β₀ + β₁xᵢ + uᵢ + eᵢ`: effects, variances, the centred
/// moderator xᵢ − c and the per-study constant ln vᵢ.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OneModerator<'a> {
    pub y: &'a [f64],
    pub v: &'a [f64],
    /// xᵢ − c.
    pub x: &'a [f64],
    pub lnv: &'a [f64],
    /// The centre c.
    pub c: f64,
}

/// What a fit keeps for the coefficients: (X'WX)⁻¹ as (A₀₀, A₀₁, A₁₁) and β̂
/// on the centred moderator.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Solve {
    pub a: [f64; 3],
    pub b: [f64; 2],
}

/// The moderator column of a design `[1, x]` (k > 2), `None` for any other design.
pub(crate) fn moderator_column(x: &Design) -> Option<Vec<f64>> {
    (x.cols() == 2 && x.rows() > 2 && (0..x.rows()).all(|i| x.row(i)[0] == 1.0))
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
fn pass(s: &OneModerator, tau2: f64, traces: bool) -> Sums {
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

impl Kernel for OneModerator<'_> {
    type Extra = Solve;

    fn p(&self) -> usize {
        2
    }

    fn y(&self) -> &[f64] {
        self.y
    }

    /// The fit at τ², from one pass. The residual sums are expanded in the
    /// sums (e = y − b₀ − b₁x); with the moderator centred and b₀ near the
    /// mean effect the expansion loses no more than a digit or two, well
    /// inside the 1e-9 agreement the tests check.
    #[inline]
    fn wls(&mut self, tau2: f64, need: Need) -> Option<Wls<Solve>> {
        let m = pass(self, tau2, need.tr_pp);
        let (a, det) = inv2(m.s0, m.s1, m.s2)?;
        let b = [a[0] * m.sy + a[1] * m.sxy, a[1] * m.sy + a[2] * m.sxy];
        if !(b[0].is_finite() && b[1].is_finite()) {
            return None;
        }
        let (b0, b1) = (b[0], b[1]);
        let rss = m.syy - 2.0 * (b0 * m.sy + b1 * m.sxy)
            + (b0 * b0 * m.s0 + 2.0 * b0 * b1 * m.s1 + b1 * b1 * m.s2);
        let ypp = m.tyy - 2.0 * (b0 * m.ty + b1 * m.txy)
            + (b0 * b0 * m.t0 + 2.0 * b0 * b1 * m.t1 + b1 * b1 * m.t2);
        let tr_p = if need.tr_p {
            m.s0 - (a[0] * m.t0 + 2.0 * a[1] * m.t1 + a[2] * m.t2)
        } else {
            f64::NAN
        };
        let tr_pp = if need.tr_pp {
            let ab3 = a[0] * m.u0 + 2.0 * a[1] * m.u1 + a[2] * m.u2;
            let m00 = a[0] * m.t0 + a[1] * m.t1;
            let m01 = a[0] * m.t1 + a[1] * m.t2;
            let m10 = a[1] * m.t0 + a[2] * m.t1;
            let m11 = a[1] * m.t1 + a[2] * m.t2;
            m.t0 - 2.0 * ab3 + (m00 * m00 + 2.0 * m01 * m10 + m11 * m11)
        } else {
            f64::NAN
        };
        Some(Wls {
            tau2,
            rss: rss.max(0.0),
            ypp: ypp.max(0.0),
            sw: m.s0,
            sw2: m.t0,
            tr_p,
            tr_pp,
            log_det: if need.log_det { det.ln() } else { f64::NAN },
            extra: Solve { a, b },
        })
    }

    /// Unit weights, unclipped.
    fn hedges(&mut self) -> Option<(f64, f64)> {
        let (mut s1, mut s2, mut sy, mut sxy) = (0.0, 0.0, 0.0, 0.0);
        let (mut v0, mut v1, mut v2) = (0.0, 0.0, 0.0);
        for ((&x, &y), &v) in self.x.iter().zip(self.y).zip(self.v) {
            s1 += x;
            s2 += x * x;
            sy += y;
            sxy += x * y;
            v0 += v;
            v1 += v * x;
            v2 += v * x * x;
        }
        let k = self.y.len() as f64;
        let (a, _) = inv2(k, s1, s2)?;
        let b = [a[0] * sy + a[1] * sxy, a[1] * sy + a[2] * sxy];
        let rss: f64 = self
            .x
            .iter()
            .zip(self.y)
            .map(|(&x, &y)| {
                let e = y - b[0] - b[1] * x;
                e * e
            })
            .sum();
        let tr_pv = v0 - (a[0] * v0 + 2.0 * a[1] * v1 + a[2] * v2);
        Some((rss, tr_pv))
    }

    fn sum_log(&self, tau2: f64, _exact: bool) -> f64 {
        if tau2 == 0.0 {
            return self.lnv.iter().sum();
        }
        super::intercept::sum_log(self.v, tau2, false)
    }

    /// 100 rather than max(100, 10·mad(y)²) (no median per refit); the same
    /// root to the search's tolerance.
    fn pm_bracket(&mut self) -> f64 {
        100.0
    }
}
