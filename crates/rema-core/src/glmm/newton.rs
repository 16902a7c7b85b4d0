//! Maximising the GLMM likelihood: Newton's method with a backtracking
//! (Armijo) line search on θ = (β, log τ), derivatives by central
//! differences; where the Hessian is not positive definite the step falls
//! back to steepest descent. The Hessian at the optimum (for the standard
//! errors, lme4's Hessian-based `vcov`) is Richardson-extrapolated.

use super::quadrature::Problem;
use crate::error::{Error, Result};
use crate::linalg::SymMatrix;

/// Negative log-likelihood at θ = (β, η = log τ).
pub(super) fn objective(pr: &Problem, th: &[f64]) -> f64 {
    let d = th.len();
    -pr.loglik(&th[..d - 1], th[d - 1].exp())
}

fn gradient(pr: &Problem, th: &[f64]) -> Vec<f64> {
    let mut a = th.to_vec();
    (0..th.len())
        .map(|j| {
            let h = 1e-5 * th[j].abs().max(1.0);
            a[j] = th[j] + h;
            let fa = objective(pr, &a);
            a[j] = th[j] - h;
            let fb = objective(pr, &a);
            a[j] = th[j];
            (fa - fb) / (2.0 * h)
        })
        .collect()
}

/// Central-difference Hessian of the objective at `th` with steps `h`.
fn hessian_at(pr: &Problem, th: &[f64], h: &[f64]) -> SymMatrix {
    let d = th.len();
    let f0 = objective(pr, th);
    let mut hs = SymMatrix::zeros(d);
    let mut t = th.to_vec();
    let at = |t: &mut Vec<f64>, steps: &[(usize, f64)]| {
        for &(j, s) in steps {
            t[j] += s;
        }
        let v = objective(pr, t);
        for &(j, s) in steps {
            t[j] -= s;
        }
        v
    };
    for j in 0..d {
        let fa = at(&mut t, &[(j, h[j])]);
        let fb = at(&mut t, &[(j, -h[j])]);
        hs.set(j, j, (fa - 2.0 * f0 + fb) / (h[j] * h[j]));
        for i in 0..j {
            let pp = at(&mut t, &[(i, h[i]), (j, h[j])]);
            let pm = at(&mut t, &[(i, h[i]), (j, -h[j])]);
            let mp = at(&mut t, &[(i, -h[i]), (j, h[j])]);
            let mm = at(&mut t, &[(i, -h[i]), (j, -h[j])]);
            let v = (pp - pm - mp + mm) / (4.0 * h[i] * h[j]);
            hs.set(i, j, v);
            hs.set(j, i, v);
        }
    }
    hs
}

/// The Hessian at the optimum with Richardson extrapolation,
/// (4·H(h/2) − H(h))/3, steps 1e-2 of `scale`.
pub(super) fn hessian_precise(pr: &Problem, th: &[f64], scale: &[f64]) -> SymMatrix {
    let h: Vec<f64> = scale.iter().map(|s| 1e-2 * s).collect();
    let half: Vec<f64> = h.iter().map(|h| h / 2.0).collect();
    let a = hessian_at(pr, th, &h);
    let b = hessian_at(pr, th, &half);
    let d = th.len();
    let mut out = SymMatrix::zeros(d);
    for i in 0..d {
        for j in 0..d {
            out.set(i, j, (4.0 * b.get(i, j) - a.get(i, j)) / 3.0);
        }
    }
    out
}

/// −H⁻¹g, or `None` when H is not positive definite.
fn newton_step(h: &SymMatrix, g: &[f64]) -> Option<Vec<f64>> {
    let inv = h.cholesky_inverse()?;
    let d = g.len();
    Some(
        (0..d)
            .map(|i| -(0..d).map(|j| inv.get(i, j) * g[j]).sum::<f64>())
            .collect(),
    )
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

/// Newton with line search from `start`; returns the optimum and the
/// iterations, or `None` when the iteration runs to the boundary τ → 0.
pub(super) fn newton(
    pr: &Problem,
    start: Vec<f64>,
    max_iter: usize,
) -> Result<Option<(Vec<f64>, usize)>> {
    let d = start.len();
    let mut th = start;
    let mut f = objective(pr, &th);
    let eta_floor = (1e-6f64).ln();
    for it in 1..=max_iter {
        let g = gradient(pr, &th);
        let steps: Vec<f64> = (0..d)
            .map(|j| {
                if j + 1 < d {
                    1e-4 * th[j].abs().max(1.0)
                } else {
                    1e-4
                }
            })
            .collect();
        let h = hessian_at(pr, &th, &steps);
        let mut step = newton_step(&h, &g).unwrap_or_else(|| g.iter().map(|v| -v).collect());
        // Keep steps moderate on both scales.
        let big = (max_abs(&step[..d - 1]) / 5.0).max(step[d - 1].abs() / 2.0);
        if big > 1.0 {
            step.iter_mut().for_each(|s| *s /= big);
        }
        if dot(&g, &step) >= 0.0 {
            // Not a descent direction: use the gradient.
            step = g.iter().map(|v| -v).collect();
        }
        let slope = dot(&g, &step);
        let mut alpha = 1.0;
        let mut accepted = None;
        for _ in 0..60 {
            let cand: Vec<f64> = th.iter().zip(&step).map(|(t, s)| t + alpha * s).collect();
            let fc = objective(pr, &cand);
            if fc.is_finite() && fc <= f + 1e-4 * alpha * slope {
                accepted = Some((cand, fc));
                break;
            }
            alpha /= 2.0;
        }
        let Some((cand, fc)) = accepted else {
            // No decrease possible along the direction: at the optimum to
            // within the accuracy of the derivatives.
            if max_abs(&g) < 1e-5 {
                return Ok(Some((th, it)));
            }
            return Err(Error::NotConverged {
                method: "GLMM",
                iterations: it,
                detail: "the line search found no decrease of the deviance".to_string(),
            });
        };
        let moved = cand
            .iter()
            .zip(&th)
            .fold(0.0f64, |m, (c, t)| m.max((c - t).abs()));
        let df = f - fc;
        th = cand;
        f = fc;
        if th[d - 1] < eta_floor {
            return Ok(None);
        }
        if moved < 1e-10 || (df.abs() < 1e-14 * (1.0 + f.abs()) && max_abs(&g) < 1e-6) {
            return Ok(Some((th, it)));
        }
    }
    Err(Error::NotConverged {
        method: "GLMM",
        iterations: max_iter,
        detail: "Newton's method on (beta, log tau) did not settle".to_string(),
    })
}
