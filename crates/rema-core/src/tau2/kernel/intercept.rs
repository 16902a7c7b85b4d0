//! The kernel of the intercept-only model, from scalar sums and no matrix:
//! A = 1/Σw, β̂ = Σwy/Σw, tr P = Σw − Σw²/Σw,
//! tr PP = Σw² − 2Σw³/Σw + (Σw²/Σw)², ln|X'WX| = 2 ln √Σw.
//!
//! It computes what the general kernel computes for a column of ones, the
//! same operations in the same order, so the same bits. The weighted sums of
//! a fit (Σw, Σwy, Σw², Σw³, then Σw(y − b)², Σw²(y − b)²) are accumulated
//! in two fused passes, each sum in study order from the same identity as
//! its own pass would be, so the addition chains overlap instead of running
//! one after another.

use super::{Kernel, Need, Wls};

/// The intercept-only model of effects `y` with variances `v`; `w` (length
/// k) is scratch for the weights.
pub(crate) struct InterceptOnly<'a> {
    pub y: &'a [f64],
    pub v: &'a [f64],
    pub w: &'a mut [f64],
}

/// The weighted sums one fit needs, from the weights wᵢ = 1/(vᵢ + τ²),
/// which are also written to `w`.
///
/// Each sum is accumulated in study order with the expression the separate
/// passes use (`w * y`, `w * w`, `w * w * w`), from the identity of
/// `f64: Sum`, so every sum has the bits of its own pass: fusing them only
/// lets the independent addition chains overlap.
#[derive(Debug, Clone, Copy)]
struct Sums {
    sw: f64,
    swy: f64,
    sw2: f64,
    sw3: f64,
}

#[inline]
fn weighted_sums<const W3: bool>(y: &[f64], v: &[f64], tau2: f64, w: &mut [f64]) -> Sums {
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
        if W3 {
            s.sw3 += wi * wi * wi;
        }
    }
    s
}

/// Σw(y − b)² and (with `YPP`) Σw²(y − b)² in one pass, each with the
/// bits of its own.
#[inline]
fn residual_sums<const YPP: bool>(y: &[f64], w: &[f64], b: f64) -> (f64, f64) {
    let zero: f64 = std::iter::empty::<f64>().sum();
    let (mut rss, mut ypp) = (zero, zero);
    for (y, w) in y.iter().zip(w) {
        let e = y - b;
        rss += w * e * e;
        if YPP {
            ypp += w * w * e * e;
        }
    }
    (rss, if YPP { ypp } else { f64::NAN })
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

impl Kernel for InterceptOnly<'_> {
    /// β̂.
    type Extra = f64;

    fn p(&self) -> usize {
        1
    }

    fn y(&self) -> &[f64] {
        self.y
    }

    #[inline]
    fn wls(&mut self, tau2: f64, need: Need) -> Option<Wls<f64>> {
        let s = if need.tr_pp {
            weighted_sums::<true>(self.y, self.v, tau2, self.w)
        } else {
            weighted_sums::<false>(self.y, self.v, tau2, self.w)
        };
        let sw = s.sw;
        let b = s.swy / sw;
        if !(sw > 0.0 && sw.is_finite() && b.is_finite()) {
            return None;
        }
        let (rss, ypp) = if need.sw2 || need.tr_pp {
            residual_sums::<true>(self.y, self.w, b)
        } else {
            residual_sums::<false>(self.y, self.w, b)
        };
        let a = 1.0 / sw;
        let m = a * s.sw2;
        Some(Wls {
            tau2,
            rss,
            ypp,
            sw,
            sw2: s.sw2,
            tr_p: sw - m,
            tr_pp: if need.tr_pp {
                s.sw2 - 2.0 * (a * s.sw3) + m * m
            } else {
                f64::NAN
            },
            log_det: if need.log_det {
                0.0 + 2.0 * sw.sqrt().ln()
            } else {
                f64::NAN
            },
            extra: b,
        })
    }

    fn hedges(&mut self) -> Option<(f64, f64)> {
        // Unit weights: Σw = k, b the mean, tr(PV) = Σv − Σv/k.
        let sw: f64 = self.y.iter().map(|_| 1.0).sum();
        let b = self.y.iter().map(|y| 1.0 * y).sum::<f64>() / sw;
        let rss: f64 = self
            .y
            .iter()
            .map(|y| {
                let e = y - b;
                1.0 * e * e
            })
            .sum();
        let sv: f64 = self.v.iter().map(|v| v * 1.0).sum::<f64>();
        let tr_pv = self.v.iter().sum::<f64>() - (1.0 / sw) * sv;
        Some((rss, tr_pv))
    }

    fn sum_log(&self, tau2: f64, exact: bool) -> f64 {
        sum_log(self.v, tau2, exact)
    }

    /// 100, where the general fit starts at max(100, 10·mad(y)²): no median
    /// per refit. The root, not the path, is returned, so the two agree to
    /// the search's tolerance (tested at 1e-9), not bit for bit.
    fn pm_bracket(&mut self) -> f64 {
        100.0
    }
}
