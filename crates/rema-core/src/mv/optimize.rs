//! Maximising the (restricted) likelihood over the variance components:
//! Fisher scoring on σ² ≥ 0 (Harville 1977; Jennrich & Sampson 1976), with
//! step halving until the likelihood rises and the active-set rule at the
//! boundary (a component at 0 whose score is not positive stays at 0 for
//! the step). Components may be held fixed (the profile likelihood).

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
    let mut s = evaluate(d, method, start, ld_xtx)?;
    for it in 1..=max_iter {
        let (score, info) = score_and_information(d, method, &s);
        // Free components: not fixed, and not at 0 with a score pointing below 0.
        let free: Vec<usize> = (0..t_n)
            .filter(|&t| !fixed[t] && (s.sigma2[t] > 0.0 || score[t] > 0.0))
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
                trial[t] = (s.sigma2[t] + lambda * step[a]).max(0.0);
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
