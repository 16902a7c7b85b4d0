//! The numerical tools of the selection models: a quasi-Newton (BFGS)
//! minimiser with a backtracking line search and central-difference
//! gradients, on the unbounded scale the parameters are mapped to, and the
//! Hessian by Richardson extrapolation as R's `numDeriv::hessian` computes
//! it (its `genD`, with metafor's `r = 6`, `d = 0.1`, `eps = 1e-4`, `v = 2`).

/// A minimum found by [`bfgs`].
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Minimum {
    /// The minimiser.
    pub(super) x: Vec<f64>,
    /// The objective there.
    pub(super) value: f64,
    /// The iterations used.
    pub(super) iterations: usize,
    /// False when the iteration limit was reached first.
    pub(super) converged: bool,
}

fn gradient(f: &mut dyn FnMut(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    let mut a = x.to_vec();
    (0..x.len())
        .map(|j| {
            let h = 1e-6 * x[j].abs().max(1.0);
            a[j] = x[j] + h;
            let up = f(&a);
            a[j] = x[j] - h;
            let down = f(&a);
            a[j] = x[j];
            (up - down) / (2.0 * h)
        })
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

/// Minimises `f` from `start` by BFGS (Nocedal & Wright 2006, algorithm
/// 6.1) with an Armijo backtracking line search; stops when the largest
/// gradient component is below 1e-8 (relative to 1 + |f|), when a step no
/// longer changes `f`, or after `max_iter` iterations.
pub(super) fn bfgs(f: &mut dyn FnMut(&[f64]) -> f64, start: &[f64], max_iter: usize) -> Minimum {
    let n = start.len();
    let mut x = start.to_vec();
    let mut fx = f(&x);
    let mut g = gradient(f, &x);
    // The inverse Hessian approximation, row-major.
    let mut hinv = vec![0.0; n * n];
    for i in 0..n {
        hinv[i * n + i] = 1.0;
    }
    for it in 1..=max_iter {
        let gmax = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if gmax < 1e-8 * (1.0 + fx.abs()) {
            return Minimum {
                x,
                value: fx,
                iterations: it - 1,
                converged: true,
            };
        }
        let mut p: Vec<f64> = (0..n)
            .map(|i| -(0..n).map(|j| hinv[i * n + j] * g[j]).sum::<f64>())
            .collect();
        if dot(&p, &g) >= 0.0 {
            // Not a descent direction: restart from steepest descent.
            hinv.iter_mut().enumerate().for_each(|(i, h)| {
                *h = if i % (n + 1) == 0 { 1.0 } else { 0.0 };
            });
            p = g.iter().map(|v| -v).collect();
        }
        let longest = p.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if longest > 5.0 {
            p.iter_mut().for_each(|v| *v *= 5.0 / longest);
        }
        let slope = dot(&p, &g);
        let mut step = 1.0;
        let mut next = None;
        for _ in 0..60 {
            let cand: Vec<f64> = x.iter().zip(&p).map(|(x, p)| x + step * p).collect();
            let fc = f(&cand);
            if fc.is_finite() && fc <= fx + 1e-4 * step * slope {
                next = Some((cand, fc));
                break;
            }
            step /= 2.0;
        }
        let Some((xn, fnew)) = next else {
            // No decrease along the direction: at the minimum to within the
            // accuracy of the gradient.
            return Minimum {
                x,
                value: fx,
                iterations: it,
                converged: gmax < 1e-5 * (1.0 + fx.abs()),
            };
        };
        let gn = gradient(f, &xn);
        let s: Vec<f64> = xn.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = gn.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        let unchanged = (fx - fnew).abs() <= 1e-15 * (1.0 + fx.abs());
        x = xn;
        fx = fnew;
        g = gn;
        if unchanged && s.iter().all(|v| v.abs() < 1e-10) {
            return Minimum {
                x,
                value: fx,
                iterations: it,
                converged: true,
            };
        }
        if sy > 1e-12 {
            // H ← (I − ρsyᵀ) H (I − ρysᵀ) + ρssᵀ.
            let rho = 1.0 / sy;
            let hy: Vec<f64> = (0..n)
                .map(|i| (0..n).map(|j| hinv[i * n + j] * y[j]).sum())
                .collect();
            let yhy = dot(&y, &hy);
            for i in 0..n {
                for j in 0..n {
                    hinv[i * n + j] += -rho * (hy[i] * s[j] + s[i] * hy[j])
                        + (rho * rho * yhy + rho) * s[i] * s[j];
                }
            }
        }
    }
    Minimum {
        x,
        value: fx,
        iterations: max_iter,
        converged: false,
    }
}

/// Richardson's extrapolation of `r` estimates made with halving steps
/// (the error terms in h², h⁴, ...): the first entry afterwards.
fn richardson(mut a: Vec<f64>) -> f64 {
    let r = a.len();
    for m in 1..r {
        let w = 4f64.powi(m as i32);
        for k in 0..r - m {
            a[k] = (a[k + 1] * w - a[k]) / (w - 1.0);
        }
    }
    a[0]
}

/// The Hessian of `f` at `x`, row-major, as `numDeriv::hessian(f, x,
/// method.args = list(r = 6))`: initial steps h₀ⱼ = 0.1|xⱼ| (plus 1e-4 where
/// |xⱼ| < 1.78e-5), halved six times, each second difference extrapolated.
pub(super) fn hessian(f: &mut dyn FnMut(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    const R: usize = 6;
    let n = x.len();
    let zero_tol = (f64::EPSILON / 7e-7).sqrt();
    let h0: Vec<f64> = x
        .iter()
        .map(|v| (0.1 * v).abs() + if v.abs() < zero_tol { 1e-4 } else { 0.0 })
        .collect();
    let f0 = f(x);
    let mut at = |steps: &[(usize, f64)]| {
        let mut a = x.to_vec();
        for &(j, s) in steps {
            a[j] += s;
        }
        f(&a)
    };
    let mut diag = vec![0.0; n];
    for i in 0..n {
        let mut est = Vec::with_capacity(R);
        let mut h = h0[i];
        for _ in 0..R {
            let up = at(&[(i, h)]);
            let down = at(&[(i, -h)]);
            est.push((up - 2.0 * f0 + down) / (h * h));
            h /= 2.0;
        }
        diag[i] = richardson(est);
    }
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        out[i * n + i] = diag[i];
        for j in 0..i {
            let mut est = Vec::with_capacity(R);
            let (mut hi, mut hj) = (h0[i], h0[j]);
            for _ in 0..R {
                let up = at(&[(i, hi), (j, hj)]);
                let down = at(&[(i, -hi), (j, -hj)]);
                est.push(
                    (up - 2.0 * f0 + down - diag[i] * hi * hi - diag[j] * hj * hj)
                        / (2.0 * hi * hj),
                );
                hi /= 2.0;
                hj /= 2.0;
            }
            let v = richardson(est);
            out[i * n + j] = v;
            out[j * n + i] = v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bfgs_finds_the_minimum_of_a_curved_valley() {
        let mut rosen = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let m = bfgs(&mut rosen, &[-1.2, 1.0], 500);
        assert!(m.converged);
        assert!(
            (m.x[0] - 1.0).abs() < 1e-5 && (m.x[1] - 1.0).abs() < 1e-5,
            "{m:?}"
        );
    }

    #[test]
    fn hessian_of_a_quadratic_is_exact() {
        let mut q = |x: &[f64]| 3.0 * x[0] * x[0] + 2.0 * x[0] * x[1] + 0.5 * x[1] * x[1];
        let h = hessian(&mut q, &[0.3, -2.0]);
        for (got, want) in h.iter().zip([6.0, 2.0, 2.0, 1.0]) {
            assert!((got - want).abs() < 1e-8, "{h:?}");
        }
    }
}
