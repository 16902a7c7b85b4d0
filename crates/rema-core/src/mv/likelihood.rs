//! The profiled (restricted) log-likelihood of a multilevel model at given
//! variance components, its gradient and its expected information, block by
//! block.
//!
//! With M = V + Σₜ σ²ₜAₜ (Aₜ = ZₜZₜ'), W = M⁻¹, H = (X'WX)⁻¹, β̂ = HX'Wy,
//! r = y − Xβ̂ and P = W − WXHX'W (so Py = Wr):
//! - ML: ℓ = −½(k ln 2π + ln|M| + r'Wr), ∂ℓ/∂σ²ₜ = −½tr(WAₜ) + ½(Wr)'Aₜ(Wr),
//!   𝓘ₜᵤ = ½tr(WAₜWAᵤ);
//! - REML: ℓ = −½((k − p) ln 2π − ln|X'X| + ln|M| + ln|X'WX| + r'Wr),
//!   ∂ℓ/∂σ²ₜ = −½tr(PAₜ) + ½(Py)'Aₜ(Py), 𝓘ₜᵤ = ½tr(PAₜPAᵤ)
//!
//! (Harville 1977; metafor 3.8-1 `rma.mv`'s `.ll.rma.mv` with `REMLf = TRUE`,
//! which keeps the ½ln|X'X| term). Since W is block diagonal, every trace
//! splits into per-block traces and p × p sums:
//! tr(PAₜ) = tr(WAₜ) − tr(H·X'WAₜWX) and
//! tr(PAₜPAᵤ) = tr(WAₜWAᵤ) − 2tr(H·X'WAₜWAᵤWX) + tr(H·X'WAₜWX·H·X'WAᵤWX).

use crate::linalg::{cholesky_inverse_in_place, log_det_in_place, mul, mul_tn};

use super::structure::{Block, MvData};

/// ML or REML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MvMethod {
    /// Restricted maximum likelihood (metafor's default).
    #[default]
    Reml,
    /// Maximum likelihood.
    Ml,
}

impl MvMethod {
    /// metafor's name (`REML`, `ML`).
    ///
    /// ```
    /// use rema_core::mv::MvMethod;
    /// assert_eq!(MvMethod::Ml.name(), "ML");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            MvMethod::Reml => "REML",
            MvMethod::Ml => "ML",
        }
    }
}

display_by_name!(MvMethod);

/// Everything the model gives at one value of the variance components.
#[derive(Debug, Clone)]
pub(crate) struct State {
    pub sigma2: Vec<f64>,
    /// Per block, W = M⁻¹ (n × n).
    pub w: Vec<Vec<f64>>,
    /// H = (X'WX)⁻¹, p × p.
    pub h: Vec<f64>,
    pub beta: Vec<f64>,
    /// Wr (= Py), per effect.
    pub wr: Vec<f64>,
    pub ll: f64,
}

/// Dense helpers on row-major n × n blocks.
fn mat_vec(a: &[f64], n: usize, x: &[f64], out: &mut [f64]) {
    for i in 0..n {
        out[i] = (0..n).map(|j| a[i * n + j] * x[j]).sum();
    }
}

/// The block's rows of the design, n × p.
pub(crate) fn block_x(d: &MvData, b: &Block) -> Vec<f64> {
    let p = d.p();
    let mut x = Vec::with_capacity(b.n() * p);
    for &i in &b.rows {
        x.extend_from_slice(d.x.row(i));
    }
    x
}

/// B'C for B (n × p) and C (n × q): p × q.
pub(crate) fn cross(b: &[f64], c: &[f64], n: usize, p: usize, q: usize) -> Vec<f64> {
    mul_tn(b, c, n, p, q)
}

/// S (n × n) times B (n × p).
pub(crate) fn mat_mul(s: &[f64], b: &[f64], n: usize, p: usize) -> Vec<f64> {
    mul(s, b, n, n, p)
}

fn trace_prod(a: &[f64], b: &[f64], n: usize) -> f64 {
    // tr(AB) for A, B n × n (B need not be symmetric).
    let mut t = 0.0;
    for i in 0..n {
        for j in 0..n {
            t += a[i * n + j] * b[j * n + i];
        }
    }
    t
}

/// The block's M at the parameters: the σ² of the random terms, then the
/// τ² and ρ of the structured term (if any).
pub(crate) fn block_m(b: &Block, sigma2: &[f64]) -> Vec<f64> {
    let mut m = b.v.clone();
    for (s, same) in sigma2.iter().zip(&b.same) {
        if *s != 0.0 {
            m.iter_mut().zip(same).for_each(|(m, a)| *m += s * a);
        }
    }
    if let Some(g) = &b.g {
        let gm = g.shape.g(&sigma2[b.same.len()..]);
        add_structured(&mut m, g, &gm);
    }
    m
}

/// m += same_outer ∘ G[inner, inner].
fn add_structured(m: &mut [f64], g: &super::structure::BlockG, gm: &[f64]) {
    let n = g.inner.len();
    let l = g.shape.levels;
    for (a, &ia) in g.inner.iter().enumerate() {
        for (c, &ic) in g.inner.iter().enumerate() {
            let s = g.same_outer[a * n + c];
            if s != 0.0 {
                m[a * n + c] += s * gm[ia * l + ic];
            }
        }
    }
}

/// ∂M/∂θₖ of the block for every parameter: ZₜZₜ' for the σ², and the
/// structured term's ∂G/∂τ², ∂G/∂ρ spread over its outer levels.
pub(crate) fn block_derivatives<'a>(
    b: &'a Block,
    theta: &[f64],
) -> Vec<std::borrow::Cow<'a, [f64]>> {
    let mut out: Vec<std::borrow::Cow<'a, [f64]>> = b
        .same
        .iter()
        .map(|s| std::borrow::Cow::Borrowed(s.as_slice()))
        .collect();
    if let Some(g) = &b.g {
        let par = &theta[b.same.len()..];
        let n = b.n();
        for k in 0..g.shape.n_params() {
            let dg = g.shape.dg(par, k);
            let mut d = vec![0.0; n * n];
            add_structured(&mut d, g, &dg);
            out.push(std::borrow::Cow::Owned(d));
        }
    }
    out
}

/// ln|X'X| of the design (`None` when rank deficient).
pub(crate) fn log_det_xtx(d: &MvData) -> Option<f64> {
    let p = d.p();
    let mut xtx = vec![0.0; p * p];
    for i in 0..d.k() {
        let r = d.x.row(i);
        for a in 0..p {
            for b in 0..p {
                xtx[a * p + b] += r[a] * r[b];
            }
        }
    }
    let mut l = vec![0.0; p * p];
    log_det_in_place(&xtx, p, &mut l)
}

/// The state at `sigma2`: `None` when M or X'WX is not positive definite.
pub(crate) fn evaluate(d: &MvData, method: MvMethod, sigma2: &[f64], ld_xtx: f64) -> Option<State> {
    let (k, p) = (d.k(), d.p());
    if !d.admissible(sigma2) {
        return None;
    }
    let mut xwx = vec![0.0; p * p];
    let mut xwy = vec![0.0; p];
    let mut ld_m = 0.0;
    let mut ws = Vec::with_capacity(d.blocks.len());
    for b in &d.blocks {
        let n = b.n();
        let m = block_m(b, sigma2);
        let (mut l, mut li, mut w) = (vec![0.0; n * n], vec![0.0; n * n], vec![0.0; n * n]);
        ld_m += log_det_in_place(&m, n, &mut l)?;
        if !cholesky_inverse_in_place(&m, n, &mut l, &mut li, &mut w) {
            return None;
        }
        let xb = block_x(d, b);
        let wx = mat_mul(&w, &xb, n, p);
        let yb: Vec<f64> = b.rows.iter().map(|&i| d.yi[i]).collect();
        let c = cross(&wx, &xb, n, p, p);
        xwx.iter_mut().zip(&c).for_each(|(a, c)| *a += c);
        for r in 0..n {
            for a in 0..p {
                xwy[a] += wx[r * p + a] * yb[r];
            }
        }
        ws.push(w);
    }
    let (mut l, mut li, mut h) = (vec![0.0; p * p], vec![0.0; p * p], vec![0.0; p * p]);
    let ld_xwx = log_det_in_place(&xwx, p, &mut l)?;
    if !cholesky_inverse_in_place(&xwx, p, &mut l, &mut li, &mut h) {
        return None;
    }
    let beta: Vec<f64> = (0..p)
        .map(|a| (0..p).map(|c| h[a * p + c] * xwy[c]).sum())
        .collect();
    let mut wr = vec![0.0; k];
    let mut rwr = 0.0;
    for (b, w) in d.blocks.iter().zip(&ws) {
        let n = b.n();
        let r: Vec<f64> = b
            .rows
            .iter()
            .map(|&i| d.yi[i] - dot(d.x.row(i), &beta))
            .collect();
        let mut out = vec![0.0; n];
        mat_vec(w, n, &r, &mut out);
        for (a, &i) in b.rows.iter().enumerate() {
            wr[i] = out[a];
            rwr += r[a] * out[a];
        }
    }
    let two_pi = (2.0 * std::f64::consts::PI).ln();
    let ll = match method {
        MvMethod::Ml => -0.5 * (k as f64 * two_pi + ld_m + rwr),
        MvMethod::Reml => -0.5 * ((k - p) as f64 * two_pi - ld_xtx + ld_m + ld_xwx + rwr),
    };
    ll.is_finite().then(|| State {
        sigma2: sigma2.to_vec(),
        w: ws,
        h,
        beta,
        wr,
        ll,
    })
}

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

/// The gradient of ℓ in σ² and the expected information, T-vector and
/// T × T row-major.
pub(crate) fn score_and_information(
    d: &MvData,
    method: MvMethod,
    s: &State,
) -> (Vec<f64>, Vec<f64>) {
    let t_n = s.sigma2.len();
    let p = d.p();
    let mut tr_wa = vec![0.0; t_n];
    let mut quad = vec![0.0; t_n];
    let mut tr_wawa = vec![0.0; t_n * t_n];
    // Σ X'WAₜWX (p × p per term) and Σ X'WAₜWAᵤWX (p × p per pair), for REML.
    let reml = method == MvMethod::Reml;
    let mut f = vec![vec![0.0; p * p]; t_n];
    let mut g = vec![vec![0.0; p * p]; t_n * t_n];
    for (b, w) in d.blocks.iter().zip(&s.w) {
        let n = b.n();
        let wr: Vec<f64> = b.rows.iter().map(|&i| s.wr[i]).collect();
        let derivs = block_derivatives(b, &s.sigma2);
        // WAₜ (n × n) per term.
        let wa: Vec<Vec<f64>> = derivs.iter().map(|a| mat_mul(w, a, n, n)).collect();
        let xb = block_x(d, b);
        let wx = mat_mul(w, &xb, n, p);
        let awx: Vec<Vec<f64>> = if reml {
            derivs.iter().map(|a| mat_mul(a, &wx, n, p)).collect()
        } else {
            Vec::new()
        };
        for t in 0..t_n {
            let a = &derivs[t];
            tr_wa[t] += (0..n).map(|i| wa[t][i * n + i]).sum::<f64>();
            let mut aw = vec![0.0; n];
            mat_vec(a, n, &wr, &mut aw);
            quad[t] += dot(&wr, &aw);
            for u in 0..=t {
                let v = trace_prod(&wa[t], &wa[u], n);
                tr_wawa[t * t_n + u] += v;
            }
            if reml {
                let c = cross(&wx, &awx[t], n, p, p);
                f[t].iter_mut().zip(&c).for_each(|(x, c)| *x += c);
                let wawx_t = mat_mul(w, &awx[t], n, p);
                for u in 0..=t {
                    let c = cross(&wawx_t, &awx[u], n, p, p);
                    g[t * t_n + u].iter_mut().zip(&c).for_each(|(x, c)| *x += c);
                }
            }
        }
    }
    let tr_h = |a: &[f64]| -> f64 { trace_prod(&s.h, a, p) };
    let mut score = vec![0.0; t_n];
    let mut info = vec![0.0; t_n * t_n];
    for t in 0..t_n {
        let tr_pa = if reml {
            tr_wa[t] - tr_h(&f[t])
        } else {
            tr_wa[t]
        };
        score[t] = -0.5 * tr_pa + 0.5 * quad[t];
        for u in 0..=t {
            let mut v = tr_wawa[t * t_n + u];
            if reml {
                let hf_t = mat_mul(&s.h, &f[t], p, p);
                let hf_u = mat_mul(&s.h, &f[u], p, p);
                v += -2.0 * tr_h(&g[t * t_n + u]) + trace_prod(&hf_t, &hf_u, p);
            }
            info[t * t_n + u] = 0.5 * v;
            info[u * t_n + t] = 0.5 * v;
        }
    }
    (score, info)
}
