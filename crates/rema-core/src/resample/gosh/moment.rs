//! The common-effect (FE) and DerSimonian–Laird (DL) fits of GOSH subsets,
//! [`LANES`] subsets at a time, for k ≤ 64 (a subset is one word of bits).
//!
//! The operations are those of the general fit (`tau2::kernel::intercept`
//! through `refit`), in the same order, so every value has the general
//! fit's bits: with wᵢ = 1/(vᵢ + 0) precomputed per study (and wᵢyᵢ, wᵢ²,
//! the products the general fit forms), a subset S is fitted by
//!
//! - Σ_S w, Σ_S wy, Σ_S w² in study order, β̂₀ = Σwy/Σw;
//! - Q = Σ_S w(y − β̂₀)² in study order; tr P = Σw − Σw²/Σw;
//! - DL: τ̂² = max(0, (Q − (m − 1))/tr P) (DerSimonian & Laird 1986), and
//!   where τ̂² > 0 the weights 1/(vᵢ + τ̂²) and β̂ = Σw*y/Σw* in study order;
//! - I² = 100 τ̂²/(ṽ + τ̂²), H² = τ̂²/ṽ + 1 with ṽ = (m − 1)/tr P (DL), or
//!   I² = max(0, 100(Q − df)/Q), H² = Q/df (FE), as `kernel::i2_h2`.
//!
//! Branch-free: each sum runs over all k studies and adds, for a study not
//! in the subset, −0.0, which leaves every floating-point number unchanged
//! (x + (−0) = x, also for x = ±0), so the sum is the one over the members
//! in study order. The [`LANES`] subsets of a group are independent chains
//! laid side by side in fixed-width arrays, which the compiler turns into
//! packed arithmetic and overlapping latencies; no allocation per subset.

use super::SubsetFit;
use crate::tau2::Method;

/// Subsets fitted side by side.
pub(super) const LANES: usize = 8;

/// −0.0, the identity of floating-point addition.
const NEG0: u64 = 0x8000_0000_0000_0000;

/// The precomputed per-study terms of the FE and DL subset fits.
pub(super) struct Moments {
    random: bool,
    y: Vec<f64>,
    v: Vec<f64>,
    w: Vec<f64>,
    wy: Vec<f64>,
    w2: Vec<f64>,
}

/// `x` where `on` is all ones, −0.0 where it is zero.
#[inline(always)]
fn pick(x: f64, on: u64) -> f64 {
    f64::from_bits(((x.to_bits() ^ NEG0) & on) ^ NEG0)
}

/// All ones when bit `j` of `mask` is set, else zero.
#[inline(always)]
fn bit(mask: u64, j: usize) -> u64 {
    ((mask >> j) & 1).wrapping_neg()
}

impl Moments {
    /// The terms for `method` when it is FE or DL and k ≤ 64; `None` for the
    /// other estimators, which GOSH refits through the general kernel.
    pub(super) fn new(yi: &[f64], vi: &[f64], method: Method) -> Option<Moments> {
        if !matches!(method, Method::Fe | Method::Dl) || yi.len() > 64 || vi.len() != yi.len() {
            return None;
        }
        // As `intercept::weighted_sums` forms them at τ² = 0.
        let w: Vec<f64> = vi.iter().map(|v| 1.0 / (v + 0.0)).collect();
        Some(Moments {
            random: method == Method::Dl,
            wy: w.iter().zip(yi).map(|(w, y)| w * y).collect(),
            w2: w.iter().map(|w| w * w).collect(),
            y: yi.to_vec(),
            v: vi.to_vec(),
            w,
        })
    }

    /// The fits of the subsets `masks` (one word each, none empty).
    pub(super) fn fit(&self, masks: &[u64]) -> Vec<SubsetFit> {
        let mut out = Vec::with_capacity(masks.len());
        let mut lane = [0u64; LANES];
        for m in masks.chunks(LANES) {
            lane[..m.len()].copy_from_slice(m);
            // Padding lanes repeat the first subset; their fits are dropped.
            for x in lane[m.len()..].iter_mut() {
                *x = m[0];
            }
            let fits = self.group(&lane);
            out.extend_from_slice(&fits[..m.len()]);
        }
        out
    }

    /// The fits of [`LANES`] subsets, each of at least one study.
    #[inline]
    fn group(&self, mask: &[u64; LANES]) -> [SubsetFit; LANES] {
        let k = self.y.len();
        let zero: f64 = std::iter::empty::<f64>().sum();
        // Study j's membership in each lane, all ones or zero, once for
        // the three passes.
        let mut on = [[0u64; LANES]; 64];
        for (j, o) in on.iter_mut().enumerate().take(k) {
            for l in 0..LANES {
                o[l] = bit(mask[l], j);
            }
        }
        let (mut sw, mut swy, mut sw2) = ([zero; LANES], [zero; LANES], [zero; LANES]);
        for (j, o) in on.iter().enumerate().take(k) {
            let (w, wy, w2) = (self.w[j], self.wy[j], self.w2[j]);
            for l in 0..LANES {
                sw[l] += pick(w, o[l]);
                swy[l] += pick(wy, o[l]);
                sw2[l] += pick(w2, o[l]);
            }
        }
        let mut b0 = [0.0; LANES];
        for l in 0..LANES {
            b0[l] = swy[l] / sw[l];
        }
        let mut rss = [zero; LANES];
        for (j, o) in on.iter().enumerate().take(k) {
            let (y, w) = (self.y[j], self.w[j]);
            for l in 0..LANES {
                let e = y - b0[l];
                rss[l] += pick(w * e * e, o[l]);
            }
        }
        let (mut df, mut tr_p, mut tau2) = ([0.0; LANES], [0.0; LANES], [0.0; LANES]);
        for l in 0..LANES {
            df[l] = (mask[l].count_ones() - 1) as f64;
            let a = 1.0 / sw[l];
            let m = a * sw2[l];
            tr_p[l] = sw[l] - m;
            if self.random {
                tau2[l] = ((rss[l] - df[l]) / tr_p[l]).max(0.0);
            }
        }
        // The random-effects fit where some τ̂² > 0.
        let (mut swr, mut swyr) = (sw, swy);
        if tau2.iter().any(|t| *t != 0.0) {
            swr = [zero; LANES];
            swyr = [zero; LANES];
            for (j, o) in on.iter().enumerate().take(k) {
                let (y, v) = (self.y[j], self.v[j]);
                for l in 0..LANES {
                    let w = 1.0 / (v + tau2[l]);
                    swr[l] += pick(w, o[l]);
                    swyr[l] += pick(w * y, o[l]);
                }
            }
        }
        let nan = SubsetFit {
            k: 0,
            estimate: f64::NAN,
            q: f64::NAN,
            i2: f64::NAN,
            h2: f64::NAN,
            tau2: f64::NAN,
        };
        let mut out = [nan; LANES];
        for l in 0..LANES {
            let m = mask[l].count_ones() as usize;
            let o = &mut out[l];
            o.k = m;
            if m == 1 {
                let j = mask[l].trailing_zeros() as usize;
                (o.estimate, o.q, o.i2, o.h2, o.tau2) = (self.y[j], 0.0, 0.0, 1.0, 0.0);
                continue;
            }
            let fe_ok = sw[l] > 0.0 && sw[l].is_finite() && b0[l].is_finite();
            let t = tau2[l];
            let b = if t == 0.0 { b0[l] } else { swyr[l] / swr[l] };
            let re_ok = t == 0.0 || (swr[l] > 0.0 && swr[l].is_finite() && b.is_finite());
            if !(fe_ok && re_ok) {
                continue;
            }
            let q = rss[l].max(0.0);
            let (i2, h2) = if self.random {
                let vt = df[l] / tr_p[l];
                (100.0 * t / (vt + t), t / vt + 1.0)
            } else {
                ((100.0 * (q - df[l]) / q).max(0.0), q / df[l])
            };
            (o.estimate, o.q, o.i2, o.h2, o.tau2) = (b, q, i2, h2, t);
        }
        out
    }
}
