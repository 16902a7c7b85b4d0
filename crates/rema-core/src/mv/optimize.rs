//! Maximising the (restricted) likelihood over the variance components:
//! Fisher scoring on σ² ≥ 0, τ² ≥ 0 and ρ ∈ [−1, 1] (Harville 1977;
//! Jennrich & Sampson 1976), with step halving until the likelihood rises
//! and the active-set rule at the bounds (a parameter at a bound whose
//! score points outside stays there for the step; one whose information is
//! nil, a ρ while its τ² are 0, waits too). Parameters may be held fixed
//! (the profile likelihood, a ρ the data cannot identify).

use crate::linalg::cholesky_inverse_in_place;

use super::likelihood::{evaluate, score_and_information, MvMethod, State};
use super::structure::MvData;

/// The outcome of one maximisation.
pub(crate) struct Optimum {
    pub state: State,
    pub iterations: usize,
    pub converged: bool,
}

/// Maximises ℓ from `start`; `fixed[t]` holds component t at its start value.
pub(crate) fn maximise(
    d: &MvData,
    method: MvMethod,
    start: &[f64],
    fixed: &[bool],
    ld_xtx: f64,
    max_iter: usize,
) -> Option<Optimum> {
    let t_n = start.len();
    let bounds = d.bounds();
    let mut s = evaluate(d, method, start, ld_xtx)?;
    for it in 1..=max_iter {
        let (score, info) = score_and_information(d, method, &s);
        let max_info = (0..t_n).map(|t| info[t * t_n + t]).fold(0.0, f64::max);
        // Free parameters: not fixed, not at a bound with the score pointing
        // outside, and with some information.
        let free: Vec<usize> = (0..t_n)
            .filter(|&t| {
                let (lo, hi) = bounds[t];
                let x = s.sigma2[t];
                !fixed[t]
                    && (x > lo || score[t] > 0.0)
                    && (x < hi || score[t] < 0.0)
                    && info[t * t_n + t] > 1e-14 * max_info
            })
            .collect();
        if free.is_empty() {
            return Some(Optimum {
                state: s,
                iterations: it - 1,
                converged: true,
            });
        }
        let m = free.len();
        let mut sub = vec![0.0; m * m];
        for (a, &t) in free.iter().enumerate() {
            for (b, &u) in free.iter().enumerate() {
                sub[a * m + b] = info[t * t_n + u];
            }
        }
        let (mut l, mut li, mut inv) = (vec![0.0; m * m], vec![0.0; m * m], vec![0.0; m * m]);
        let step: Vec<f64> = if cholesky_inverse_in_place(&sub, m, &mut l, &mut li, &mut inv) {
            (0..m)
                .map(|a| (0..m).map(|b| inv[a * m + b] * score[free[b]]).sum())
                .collect()
        } else {
            // A singular information: a small gradient step instead.
            free.iter().map(|&t| 1e-3 * score[t]).collect()
        };
        let mut lambda = 1.0;
        let mut next = None;
        for _ in 0..60 {
            let mut trial = s.sigma2.clone();
            for (a, &t) in free.iter().enumerate() {
                let (lo, hi) = bounds[t];
                trial[t] = (s.sigma2[t] + lambda * step[a]).clamp(lo, hi);
            }
            if let Some(ns) = evaluate(d, method, &trial, ld_xtx) {
                if ns.ll >= s.ll - 1e-12 * s.ll.abs().max(1.0) {
                    next = Some(ns);
                    break;
                }
            }
            lambda *= 0.5;
        }
        let Some(ns) = next else {
            // No step raises the likelihood: at the maximum to rounding.
            return Some(Optimum {
                state: s,
                iterations: it,
                converged: true,
            });
        };
        let change = ns
            .sigma2
            .iter()
            .zip(&s.sigma2)
            .map(|(a, b)| (a - b).abs() / (1e-4 + b.abs()))
            .fold(0.0, f64::max);
        let dll = (ns.ll - s.ll).abs();
        s = ns;
        if change < 1e-10 || (dll < 1e-13 * s.ll.abs().max(1.0) && change < 1e-7) {
            return Some(Optimum {
                state: s,
                iterations: it,
                converged: true,
            });
        }
    }
    Some(Optimum {
        state: s,
        iterations: max_iter,
        converged: false,
    })
}
