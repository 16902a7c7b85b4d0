//! The kernel of any design: X'WX formed in a reused [`Workspace`] and
//! inverted by the in-place Cholesky of `linalg`, without allocating.
//!
//! With A = (X'WX)⁻¹ and P = W − WXAX'W, nothing k × k is formed:
//! y'Py = Σwᵢeᵢ², y'PPy = Σwᵢ²eᵢ², tr(P) = Σwᵢ − tr(A·X'W²X) and
//! tr(PP) = Σwᵢ² − 2tr(A·X'W³X) + tr(A·X'W²X·A·X'W²X).
//! An intercept-only design is solved without matrices (A = 1/Σw,
//! β̂ = Σwy/Σw). The general fit solves through this kernel too.

use super::{Kernel, Need, Wls};
use crate::linalg::{
    cholesky_inverse_in_place, log_det_in_place, weighted_crossprod_in_place, Design,
};

/// Buffers of the general kernel (k studies, p columns).
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
    /// The τ² (bits) of the last solve, whose A and β̂ the buffers hold.
    solved: Option<u64>,
}

impl Workspace {
    /// β̂ of the last solve.
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
            solved: None,
        }
    }
}

/// The model of effects `y`, variances `v` and design `x` (k × p, the
/// workspace's p), solved in `ws`.
pub(crate) struct General<'a> {
    y: &'a [f64],
    v: &'a [f64],
    x: &'a Design,
    ws: &'a mut Workspace,
    intercept: bool,
}

fn trace_product(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

impl<'a> General<'a> {
    /// The kernel over `y`, `v`, `x`; `ws` must have been made for x's p
    /// columns and at least k rows.
    pub(crate) fn new(
        y: &'a [f64],
        v: &'a [f64],
        x: &'a Design,
        ws: &'a mut Workspace,
    ) -> General<'a> {
        debug_assert_eq!(ws.p, x.cols());
        let k = y.len();
        ws.w.resize(k, 0.0);
        ws.aux.resize(k, 0.0);
        ws.resid.resize(k, 0.0);
        ws.solved = None;
        General {
            y,
            v,
            x,
            ws,
            intercept: x.is_intercept_only(),
        }
    }

    /// Weighted least squares with the weights in `ws.w`: fills `ws.a`,
    /// `ws.beta`, `ws.resid` and returns the residual sum of squares,
    /// `None` when X'WX is not positive definite or β̂ is not finite.
    fn solve(&mut self) -> Option<f64> {
        let (x, y, ws) = (self.x, self.y, &mut *self.ws);
        let p = ws.p;
        if self.intercept {
            let sw: f64 = ws.w.iter().sum();
            let b = ws.w.iter().zip(y).map(|(w, y)| w * y).sum::<f64>() / sw;
            if !(sw > 0.0 && sw.is_finite() && b.is_finite()) {
                return None;
            }
            ws.a[0] = 1.0 / sw;
            ws.beta[0] = b;
        } else {
            weighted_crossprod_in_place(x, &ws.w, &mut ws.xtwx);
            if !cholesky_inverse_in_place(&ws.xtwx, p, &mut ws.l, &mut ws.li, &mut ws.a) {
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

    /// tr(P) with the weights in `ws.w` and A in `ws.a`, as `wls::trace_p`.
    fn trace_p(&mut self) -> f64 {
        let ws = &mut *self.ws;
        let sw: f64 = ws.w.iter().sum();
        for (a, w) in ws.aux.iter_mut().zip(&ws.w) {
            *a = w * w;
        }
        weighted_crossprod_in_place(self.x, &ws.aux, &mut ws.b2);
        sw - trace_product(&ws.a, &ws.b2)
    }

    /// tr(PP), as `wls::trace_pp`.
    fn trace_pp(&mut self) -> f64 {
        let ws = &mut *self.ws;
        let p = ws.p;
        for (a, w) in ws.aux.iter_mut().zip(&ws.w) {
            *a = w * w;
        }
        let sw2: f64 = ws.aux.iter().sum();
        weighted_crossprod_in_place(self.x, &ws.aux, &mut ws.b2);
        for (a, w) in ws.aux.iter_mut().zip(&ws.w) {
            *a = w * w * w;
        }
        weighted_crossprod_in_place(self.x, &ws.aux, &mut ws.b3);
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

    /// Solves at `tau2` unless the buffers already hold that solve; false
    /// when it fails.
    pub(crate) fn solve_at(&mut self, tau2: f64) -> bool {
        if self.ws.solved == Some(tau2.to_bits()) {
            return true;
        }
        self.wls(tau2, Need::NONE).is_some()
    }

    /// β̂ of the last solve.
    pub(crate) fn beta(&self) -> &[f64] {
        &self.ws.beta
    }

    /// A = (X'WX)⁻¹ of the last solve (p × p, row-major).
    pub(crate) fn a(&self) -> &[f64] {
        &self.ws.a
    }

    /// |z| (or |t|) of every coefficient of the last solve with
    /// Var(β̂) = s2w·A, then QM over the moderators (all coefficients but
    /// the intercept; χ² for z, F for Knapp–Hartung), into `out` (p + 1), as
    /// `fit_with_moderators` computes them. Scales A in place.
    pub(crate) fn wald(&mut self, s2w: f64, knha: bool, out: &mut [f64]) {
        let ws = &mut *self.ws;
        let p = ws.p;
        ws.solved = None;
        for a in ws.a.iter_mut() {
            *a *= s2w;
        }
        for (j, o) in out.iter_mut().enumerate().take(p) {
            let se = ws.a[j * p + j].sqrt();
            *o = (ws.beta[j] / se).abs();
        }
        let m = p - 1;
        for a in 0..m {
            for b in 0..m {
                ws.sub[a * m + b] = ws.a[(a + 1) * p + (b + 1)];
            }
        }
        let qm =
            if cholesky_inverse_in_place(&ws.sub[..m * m], m, &mut ws.l, &mut ws.li, &mut ws.inv) {
                let mut s = 0.0;
                for a in 0..m {
                    for b in 0..m {
                        s += ws.beta[a + 1] * ws.inv[a * m + b] * ws.beta[b + 1];
                    }
                }
                if knha {
                    s / m as f64
                } else {
                    s
                }
            } else {
                f64::NAN
            };
        out[p] = qm;
    }
}

impl Kernel for General<'_> {
    /// The coefficients stay in the workspace ([`General::beta`]).
    type Extra = ();

    fn p(&self) -> usize {
        self.ws.p
    }

    fn y(&self) -> &[f64] {
        self.y
    }

    fn wls(&mut self, tau2: f64, need: Need) -> Option<Wls<()>> {
        for (w, v) in self.ws.w.iter_mut().zip(self.v) {
            *w = 1.0 / (v + tau2);
        }
        self.ws.solved = None;
        let rss = self.solve()?;
        self.ws.solved = Some(tau2.to_bits());
        let ypp = if need.sw2 || need.tr_pp {
            let ws = &*self.ws;
            ws.resid.iter().zip(&ws.w).map(|(e, w)| w * w * e * e).sum()
        } else {
            f64::NAN
        };
        let sw = if need.sw {
            self.ws.w.iter().sum()
        } else {
            f64::NAN
        };
        let sw2 = if need.sw2 {
            self.ws.w.iter().map(|w| w * w).sum()
        } else {
            f64::NAN
        };
        let tr_p = if need.tr_p { self.trace_p() } else { f64::NAN };
        let tr_pp = if need.tr_pp {
            self.trace_pp()
        } else {
            f64::NAN
        };
        let log_det = if need.log_det {
            let ws = &mut *self.ws;
            weighted_crossprod_in_place(self.x, &ws.w, &mut ws.xtwx);
            log_det_in_place(&ws.xtwx, ws.p, &mut ws.l)?
        } else {
            f64::NAN
        };
        Some(Wls {
            tau2,
            rss,
            ypp,
            sw,
            sw2,
            tr_p,
            tr_pp,
            log_det,
            extra: (),
        })
    }

    fn hedges(&mut self) -> Option<(f64, f64)> {
        self.ws.w.iter_mut().for_each(|w| *w = 1.0);
        self.ws.solved = None;
        let rss = self.solve()?;
        let ws = &mut *self.ws;
        weighted_crossprod_in_place(self.x, self.v, &mut ws.b2);
        let tr_pv = self.v.iter().sum::<f64>() - trace_product(&ws.a, &ws.b2);
        Some((rss, tr_pv))
    }

    fn sum_log(&self, tau2: f64, _exact: bool) -> f64 {
        self.v.iter().map(|v| (v + tau2).ln()).sum()
    }

    /// max(100, 10·mad(y)²), as metafor.
    fn pm_bracket(&mut self) -> f64 {
        (10.0 * super::super::paule_mandel::mad(self.y).powi(2)).max(100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds P = W − WXAX'W explicitly and checks y'Py, y'PPy, tr P, tr PP,
    /// Σw, Σw² and ln|X'WX| against it.
    #[test]
    fn traces_match_explicit_projection() {
        let k = 5;
        let xs = [0.3, 1.2, -0.7, 2.0, 0.1];
        let data = xs.iter().flat_map(|&x| [1.0, x]).collect();
        let x = Design::from_row_major(k, 2, data).unwrap();
        let v = [0.75, 0.25, 1.75, 0.1, 0.4];
        let y = [0.2, 0.5, -0.1, 0.9, 0.3];
        let tau2 = 0.25;
        let w: Vec<f64> = v.iter().map(|v| 1.0 / (v + tau2)).collect();
        let mut ws = Workspace::new(k, 2);
        let mut kern = General::new(&y, &v, &x, &mut ws);
        let need = Need {
            sw: true,
            sw2: true,
            tr_p: true,
            tr_pp: true,
            log_det: true,
        };
        let f = kern.wls(tau2, need).unwrap();
        let a = kern.a().to_vec();
        let mut p = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                let mut s = 0.0;
                for r in 0..2 {
                    for c in 0..2 {
                        s += x.row(i)[r] * a[r * 2 + c] * x.row(j)[c];
                    }
                }
                p[i * k + j] = if i == j { w[i] } else { 0.0 } - w[i] * s * w[j];
            }
        }
        let tr: f64 = (0..k).map(|i| p[i * k + i]).sum();
        let trpp: f64 = p.iter().map(|v| v * v).sum();
        let py: Vec<f64> = (0..k)
            .map(|i| (0..k).map(|j| p[i * k + j] * y[j]).sum::<f64>())
            .collect();
        let ypy: f64 = y.iter().zip(&py).map(|(y, p)| y * p).sum();
        let ypp: f64 = py.iter().map(|v| v * v).sum();
        // |X'WX| = 1 / |A|.
        let det_a = a[0] * a[3] - a[1] * a[2];
        for (got, want) in [
            (f.tr_p, tr),
            (f.tr_pp, trpp),
            (f.rss, ypy),
            (f.ypp, ypp),
            (f.sw, w.iter().sum()),
            (f.sw2, w.iter().map(|w| w * w).sum()),
            (f.log_det, -det_a.ln()),
        ] {
            assert!(
                (got - want).abs() < 1e-12 * (1.0 + want.abs()),
                "{got} vs {want}"
            );
        }
    }
}
