//! Cluster-robust (sandwich) inference for the coefficients of a fitted
//! model, rma.uni ([`crate::RmaFit::robust`]) or rma.mv
//! (`MvFit::robust` in [`crate::mv`]).
//!
//! With the model's weights W = M⁻¹ (M the fitted marginal covariance,
//! block diagonal), B = (X'WX)⁻¹, β̂ = BX'Wy, e = y − Xβ̂ and clusters
//! j = 1..m:
//! - **CR1** (metafor 3.8-1 `robust(x, cluster, adjust = TRUE)`):
//!   V = m/(m − p)·B[Σⱼ Xⱼ'Wⱼeⱼeⱼ'WⱼXⱼ]B, t tests on m − p df, and
//!   QM = β̂_b'V_bb⁻¹β̂_b/q against F(q, m − p) (Hedges, Tipton & Johnson 2010).
//! - **CR2** (clubSandwich 0.5.8 `vcovCR(type = "CR2")`, `coef_test(test =
//!   "Satterthwaite")` and `Wald_test(test = "HTZ")`, as metafor's
//!   `robust(clubSandwich = TRUE)`): V = B[Σⱼ Xⱼ'WⱼAⱼeⱼeⱼ'AⱼWⱼXⱼ]B with the
//!   bias-reduced adjustments Aⱼ = Cⱼ'Gⱼ^(−½)Cⱼ, Θⱼ = Cⱼ'Cⱼ (Cholesky),
//!   Gⱼ = Cⱼ(I − Hⱼⱼ)ΘⱼCⱼ', Hⱼⱼ = XⱼBXⱼ'Wⱼ (Bell & McCaffrey 2002;
//!   Pustejovsky & Tipton 2018). The Satterthwaite df of a contrast c is
//!   E²/Σⱼₖ τⱼₖ² with τⱼₖ = cov(qⱼ'y, qₖ'y) under the working model
//!   (y ~ N(Xβ, M)), qⱼ = (I − H)ⱼ'gⱼ', gⱼ = c'BXⱼ'WⱼAⱼ, E = Σⱼτⱼⱼ; since
//!   the blocks of M lie within clusters, τⱼₖ = δⱼₖ·gⱼΘⱼgⱼ' − aⱼ'Baₖ with
//!   aⱼ = Xⱼ'gⱼ', so every sum is over clusters, never k × k. The QM test is
//!   the Hotelling T² approximation HTZ (Tipton & Pustejovsky 2015):
//!   F = (η − q + 1)/(ηq)·Q on (q, η − q + 1) df, with η = q(q + 1)/Σₛₜ
//!   Var(dₛₜ) for D = Ω^(−½)CVC'Ω^(−½), Ω = E[CVC'].

use std::str::FromStr;

use crate::dist;
use crate::error::{Error, Result};
use crate::fit::critical_value;
use crate::linalg::{cholesky_in_place, cholesky_inverse_in_place, mul, Design, SymMatrix};

/// The small-sample correction of the cluster-robust covariance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RobustType {
    /// metafor's `robust()`: the sandwich scaled by m/(m − p), t(m − p).
    Cr1,
    /// clubSandwich's bias-reduced linearisation with Satterthwaite df
    /// (the default, as the methodological literature recommends).
    #[default]
    Cr2,
}

impl RobustType {
    /// The name (`CR1`, `CR2`).
    ///
    /// ```
    /// use rema_core::robust::RobustType;
    /// assert_eq!(RobustType::Cr2.name(), "CR2");
    /// assert_eq!("cr1".parse::<RobustType>(), Ok(RobustType::Cr1));
    /// assert!("CR3".parse::<RobustType>().is_err());
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            RobustType::Cr1 => "CR1",
            RobustType::Cr2 => "CR2",
        }
    }

    /// Both types.
    pub const ALL: [RobustType; 2] = [RobustType::Cr1, RobustType::Cr2];
}

display_by_name!(RobustType);

impl FromStr for RobustType {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<RobustType, String> {
        crate::error::parse_choice(
            &RobustType::ALL,
            RobustType::name,
            &s.trim().to_ascii_uppercase(),
            "robust_type",
            s,
        )
    }
}

/// One block of a fitted marginal covariance: its effects and the n × n
/// covariance, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct MarginalBlock {
    /// The effects of the block.
    pub rows: Vec<usize>,
    /// Their covariance under the fitted model.
    pub cov: Vec<f64>,
}

/// One coefficient with its cluster-robust inference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RobustCoefficient {
    /// The estimate β̂ⱼ (the model's).
    pub estimate: f64,
    /// Its cluster-robust standard error.
    pub se: f64,
    /// The t statistic.
    pub stat: f64,
    /// Its degrees of freedom (m − p for CR1, Satterthwaite for CR2).
    pub df: f64,
    /// The two-sided p-value.
    pub pval: f64,
    /// Lower confidence bound.
    pub ci_lower: f64,
    /// Upper confidence bound.
    pub ci_upper: f64,
}

/// Cluster-robust tests of a model's coefficients.
#[derive(Debug, Clone, PartialEq)]
pub struct RobustFit {
    /// CR1 or CR2.
    pub kind: RobustType,
    /// The number of clusters m.
    pub n_clusters: usize,
    /// The coefficients, in the model's order.
    pub coefficients: Vec<RobustCoefficient>,
    /// The cluster-robust covariance of β̂.
    pub vb: SymMatrix,
    /// The omnibus F statistic of the coefficients tested.
    pub qm: f64,
    /// Its numerator and denominator df.
    pub qm_df: (f64, f64),
    /// Its p-value.
    pub qm_pval: f64,
    /// Caveats, in words.
    pub notes: Vec<String>,
}

/// The cluster-robust tests of the GLS fit of `y` on `x` with marginal
/// covariance `marginal` (its blocks cover every effect once), clusters
/// `cluster` (any labels, one per effect), the omnibus test over the
/// coefficients `btt`, at `level` percent.
///
/// ```
/// use rema_core::robust::{robust, MarginalBlock, RobustType};
/// use rema_core::Design;
/// let y = [0.1, 0.3, 0.2, 0.6, 0.5, 0.4];
/// let blocks: Vec<MarginalBlock> =
///     (0..6).map(|i| MarginalBlock { rows: vec![i], cov: vec![0.05] }).collect();
/// let r = robust(&y, &Design::intercept(6), &blocks, &[0, 0, 1, 1, 2, 2], &[0], RobustType::Cr1, 95.0)
///     .unwrap();
/// assert_eq!((r.n_clusters, r.coefficients[0].df), (3, 2.0));
/// ```
pub fn robust(
    y: &[f64],
    x: &Design,
    marginal: &[MarginalBlock],
    cluster: &[usize],
    btt: &[usize],
    kind: RobustType,
    level: f64,
) -> Result<RobustFit> {
    let (k, p) = (y.len(), x.cols());
    if cluster.len() != k || x.rows() != k {
        return Err(Error::LengthMismatch {
            what: format!("{k} effects but {} cluster labels", cluster.len()),
        });
    }
    // Clusters numbered by first appearance.
    let mut ids = std::collections::HashMap::new();
    let cl: Vec<usize> = cluster
        .iter()
        .map(|c| {
            let n = ids.len();
            *ids.entry(*c).or_insert(n)
        })
        .collect();
    let m = ids.len();
    if m <= p {
        return Err(Error::InvalidOption {
            option: "robust",
            message: format!(
                "cluster-robust tests need more clusters than coefficients: {m} clusters for {p} coefficients"
            ),
        });
    }
    let mut xwx = vec![0.0; p * p];
    let mut xwy = vec![0.0; p];
    let mut ws = Vec::with_capacity(marginal.len());
    let mut block_cluster = Vec::with_capacity(marginal.len());
    for b in marginal {
        let n = b.rows.len();
        let c = cl[b.rows[0]];
        if b.rows.iter().any(|&i| cl[i] != c) {
            if kind == RobustType::Cr2 {
                return Err(Error::InvalidOption {
                    option: "robust",
                    message: format!(
                        "CR2 needs every random effect and sampling covariance within one cluster, but effects {} and {} are correlated and in different clusters; cluster by the outermost factor",
                        b.rows[0],
                        b.rows.iter().find(|&&i| cl[i] != c).copied().unwrap_or(0)
                    ),
                });
            }
            block_cluster.push(usize::MAX);
        } else {
            block_cluster.push(c);
        }
        let w = inverse(&b.cov, n).ok_or(Error::RankDeficient)?;
        for (a, &i) in b.rows.iter().enumerate() {
            for (bb, &j) in b.rows.iter().enumerate() {
                let wij = w[a * n + bb];
                let (xi, xj) = (x.row(i), x.row(j));
                for u in 0..p {
                    xwy[u] += xi[u] * wij * y[j];
                    for v in 0..p {
                        xwx[u * p + v] += xi[u] * wij * xj[v];
                    }
                }
            }
        }
        ws.push(w);
    }
    let bread = inverse(&xwx, p).ok_or(Error::RankDeficient)?;
    let beta: Vec<f64> = (0..p)
        .map(|u| dot(&bread[u * p..(u + 1) * p], &xwy))
        .collect();
    let e: Vec<f64> = (0..k).map(|i| y[i] - dot(x.row(i), &beta)).collect();
    let mut notes = Vec::new();
    let q = btt.len();
    let (vb, dfs, qm, qm_df) = match kind {
        RobustType::Cr1 => {
            let mut u = vec![vec![0.0; p]; m];
            for (b, w) in marginal.iter().zip(&ws) {
                let n = b.rows.len();
                for (a, &i) in b.rows.iter().enumerate() {
                    let we: f64 = (0..n).map(|c| w[a * n + c] * e[b.rows[c]]).sum();
                    for (v, xv) in u[cl[i]].iter_mut().zip(x.row(i)) {
                        *v += xv * we;
                    }
                }
            }
            let mut vb = sandwich(&bread, &u, p);
            let scale = m as f64 / (m - p) as f64;
            vb.iter_mut().for_each(|v| *v *= scale);
            let df = (m - p) as f64;
            let qm = wald(&beta, &vb, p, btt) / q as f64;
            (vb, vec![df; p], qm, (q as f64, df))
        }
        RobustType::Cr2 => {
            let parts = cr2_clusters(x, marginal, &ws, &block_cluster, m, &bread, &e)?;
            let u: Vec<Vec<f64>> = parts.iter().map(|c| c.v.clone()).collect();
            let vb = sandwich(&bread, &u, p);
            let dfs: Vec<f64> = (0..p)
                .map(|a| {
                    let mut c = vec![0.0; p];
                    c[a] = 1.0;
                    satterthwaite(&parts, &bread, &c, p)
                })
                .collect();
            let (qm, df) = htz(&parts, &bread, &beta, &vb, btt, p);
            (vb, dfs, qm, (q as f64, df))
        }
    };
    let coefficients = (0..p)
        .map(|a| {
            let se = vb[a * p + a].sqrt();
            let stat = beta[a] / se;
            let df = dfs[a];
            let crit = critical_value(level, Some(df));
            RobustCoefficient {
                estimate: beta[a],
                se,
                stat,
                df,
                pval: 2.0 * dist::t_sf(stat.abs(), df),
                ci_lower: beta[a] - crit * se,
                ci_upper: beta[a] + crit * se,
            }
        })
        .collect();
    for a in 0..p {
        if !(vb[a * p + a] > 1e-10 * bread[a * p + a]) {
            notes.push(format!(
                "the cluster-robust variance of coefficient {} is 0 up to rounding (its information lies within one cluster): its robust test is undefined",
                a + 1
            ));
        }
    }
    if qm_df.1 < 4.0 && kind == RobustType::Cr2 {
        notes.push(format!(
            "the cluster-robust test has few degrees of freedom ({:.2}): its p-values may be inaccurate (Tipton 2015 advises caution below 4)",
            qm_df.1
        ));
    }
    Ok(RobustFit {
        kind,
        n_clusters: m,
        coefficients,
        vb: SymMatrix { n: p, data: vb },
        qm,
        qm_df,
        qm_pval: dist::f_sf(qm, qm_df.0, qm_df.1),
        notes,
    })
}

/// The marginal covariance of an rma.uni fit, diag(vᵢ + τ̂²), as blocks.
///
/// ```
/// let b = rema_core::robust::diagonal(&[0.1, 0.2], 0.05);
/// assert_eq!((b.len(), b[1].rows.clone(), b[1].cov[0]), (2, vec![1], 0.25));
/// ```
pub fn diagonal(vi: &[f64], tau2: f64) -> Vec<MarginalBlock> {
    vi.iter()
        .enumerate()
        .map(|(i, v)| MarginalBlock {
            rows: vec![i],
            cov: vec![v + tau2],
        })
        .collect()
}

/// The coefficients an omnibus test takes (metafor's default `btt`): all
/// but the intercept, or every coefficient when the first column is not
/// an intercept or is the only one.
///
/// ```
/// use rema_core::{robust::omnibus_coefficients, Design};
/// assert_eq!(omnibus_coefficients(&Design::intercept(3)), vec![0]);
/// let x = Design::from_row_major(2, 2, vec![1.0, 0.5, 1.0, 2.0]).unwrap();
/// assert_eq!(omnibus_coefficients(&x), vec![1]);
/// ```
pub fn omnibus_coefficients(x: &Design) -> Vec<usize> {
    let intercept = (0..x.rows()).all(|i| x.row(i)[0] == 1.0);
    if intercept && x.cols() > 1 {
        (1..x.cols()).collect()
    } else {
        (0..x.cols()).collect()
    }
}

/// β_b'(Var β̂)_bb⁻¹β_b over the coefficients `btt` (NaN when singular).
pub(crate) fn wald(beta: &[f64], vb: &[f64], p: usize, btt: &[usize]) -> f64 {
    let m = btt.len();
    let mut sub = vec![0.0; m * m];
    for (a, &i) in btt.iter().enumerate() {
        for (b, &j) in btt.iter().enumerate() {
            sub[a * m + b] = vb[i * p + j];
        }
    }
    let (mut l, mut li, mut inv) = (vec![0.0; m * m], vec![0.0; m * m], vec![0.0; m * m]);
    if !cholesky_inverse_in_place(&sub, m, &mut l, &mut li, &mut inv) {
        return f64::NAN;
    }
    let mut q = 0.0;
    for (a, &i) in btt.iter().enumerate() {
        for (b, &j) in btt.iter().enumerate() {
            q += beta[i] * inv[a * m + b] * beta[j];
        }
    }
    q
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

/// The inverse of an n × n symmetric positive-definite matrix.
fn inverse(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let (mut l, mut li, mut inv) = (vec![0.0; n * n], vec![0.0; n * n], vec![0.0; n * n]);
    cholesky_inverse_in_place(a, n, &mut l, &mut li, &mut inv).then_some(inv)
}

/// B[Σⱼ uⱼuⱼ']B.
fn sandwich(bread: &[f64], u: &[Vec<f64>], p: usize) -> Vec<f64> {
    let mut meat = vec![0.0; p * p];
    for uj in u {
        for a in 0..p {
            for b in 0..p {
                meat[a * p + b] += uj[a] * uj[b];
            }
        }
    }
    let bm = mul(bread, &meat, p, p, p);
    mul(&bm, bread, p, p, p)
}

fn transpose(a: &[f64], r: usize, c: usize) -> Vec<f64> {
    let mut t = vec![0.0; r * c];
    for i in 0..r {
        for j in 0..c {
            t[j * r + i] = a[i * c + j];
        }
    }
    t
}

/// What CR2's tests need of one cluster: vⱼ = Xⱼ'WⱼAⱼeⱼ, Qⱼ = EⱼΘⱼEⱼ' and
/// Fⱼ = EⱼXⱼ with Eⱼ = BXⱼ'WⱼAⱼ (p × nⱼ), all p-dimensional.
struct Cr2Cluster {
    v: Vec<f64>,
    q: Vec<f64>,
    f: Vec<f64>,
}

fn cr2_clusters(
    x: &Design,
    marginal: &[MarginalBlock],
    ws: &[Vec<f64>],
    block_cluster: &[usize],
    m: usize,
    bread: &[f64],
    e: &[f64],
) -> Result<Vec<Cr2Cluster>> {
    let p = x.cols();
    let mut blocks_of = vec![Vec::new(); m];
    for (b, &c) in block_cluster.iter().enumerate() {
        blocks_of[c].push(b);
    }
    blocks_of
        .iter()
        .map(|bs| {
            let rows: Vec<usize> = bs.iter().flat_map(|&b| marginal[b].rows.clone()).collect();
            let n = rows.len();
            let (mut theta, mut w) = (vec![0.0; n * n], vec![0.0; n * n]);
            let mut off = 0;
            for &b in bs {
                let nb = marginal[b].rows.len();
                for a in 0..nb {
                    for c in 0..nb {
                        theta[(off + a) * n + off + c] = marginal[b].cov[a * nb + c];
                        w[(off + a) * n + off + c] = ws[b][a * nb + c];
                    }
                }
                off += nb;
            }
            let xj: Vec<f64> = rows.iter().flat_map(|&i| x.row(i).to_vec()).collect();
            let ej: Vec<f64> = rows.iter().map(|&i| e[i]).collect();
            // C upper triangular with Θ = C'C: the transpose of the lower factor.
            let mut l = vec![0.0; n * n];
            cholesky_in_place::<false>(&theta, n, &mut l, 0.0).ok_or(Error::RankDeficient)?;
            let c = transpose(&l, n, n);
            // I − H = I − X B X' W.
            let xb = mul(&xj, bread, n, p, p);
            let xbx = mul(&xb, &transpose(&xj, n, p), n, p, n);
            let h = mul(&xbx, &w, n, n, n);
            let mut ih = h.iter().map(|v| -v).collect::<Vec<f64>>();
            for a in 0..n {
                ih[a * n + a] += 1.0;
            }
            let g = mul(&mul(&mul(&c, &ih, n, n, n), &theta, n, n, n), &l, n, n, n);
            let g_half = sym_power(&g, n, -0.5);
            let a_adj = mul(&mul(&l, &g_half, n, n, n), &c, n, n, n);
            // Eⱼ = B Xⱼ' Wⱼ Aⱼ (p × n).
            let xtw = mul(&transpose(&xj, n, p), &w, p, n, n);
            let ej_mat = mul(&mul(bread, &xtw, p, p, n), &a_adj, p, n, n);
            let v = mul(&mul(&xtw, &a_adj, p, n, n), &ej, p, n, 1);
            let q = mul(
                &mul(&ej_mat, &theta, p, n, n),
                &transpose(&ej_mat, p, n),
                p,
                n,
                p,
            );
            let f = mul(&ej_mat, &xj, p, n, p);
            Ok(Cr2Cluster { v, q, f })
        })
        .collect()
}

/// τ-matrix pieces of a set of contrasts R (r × p): Sⱼ = RQⱼR' (r × r) and
/// the rows bⱼₛ = L'Fⱼ'rₛ with B = LL', so that τ_(js)(kt) = δⱼₖSⱼ[s,t] − bⱼₛ·bₖₜ.
fn tau_pieces(
    parts: &[Cr2Cluster],
    l: &[f64],
    r: &[f64],
    nr: usize,
    p: usize,
) -> Vec<(Vec<f64>, Vec<f64>)> {
    let lt = transpose(l, p, p);
    parts
        .iter()
        .map(|c| {
            let s = mul(&mul(r, &c.q, nr, p, p), &transpose(r, nr, p), nr, p, nr);
            // b rows: (L' F' r_s)' = r_s' F L  → R F L (nr × p).
            let b = mul(&mul(r, &c.f, nr, p, p), &transpose(&lt, p, p), nr, p, p);
            (s, b)
        })
        .collect()
}

fn lower_factor(bread: &[f64], p: usize) -> Vec<f64> {
    let mut l = vec![0.0; p * p];
    cholesky_in_place::<false>(bread, p, &mut l, 0.0);
    l
}

/// The Satterthwaite df of contrast `c`.
fn satterthwaite(parts: &[Cr2Cluster], bread: &[f64], c: &[f64], p: usize) -> f64 {
    let l = lower_factor(bread, p);
    let pieces = tau_pieces(parts, &l, c, 1, p);
    let mut e = 0.0;
    let mut diag = 0.0;
    let mut a = vec![0.0; p * p];
    for (s, b) in &pieces {
        let bb = dot(b, b);
        e += s[0] - bb;
        diag += s[0] * s[0] - 2.0 * s[0] * bb;
        for u in 0..p {
            for v in 0..p {
                a[u * p + v] += b[u] * b[v];
            }
        }
    }
    let low_rank: f64 = a.iter().map(|v| v * v).sum();
    e * e / (diag + low_rank)
}

/// The HTZ test of β_btt = 0: (F, denominator df).
fn htz(
    parts: &[Cr2Cluster],
    bread: &[f64],
    beta: &[f64],
    vb: &[f64],
    btt: &[usize],
    p: usize,
) -> (f64, f64) {
    let q = btt.len();
    let mut cm = vec![0.0; q * p];
    for (s, &j) in btt.iter().enumerate() {
        cm[s * p + j] = 1.0;
    }
    let l = lower_factor(bread, p);
    // Ω = E[CVC'] = Σⱼ (Sⱼ − BⱼBⱼ').
    let pieces = tau_pieces(parts, &l, &cm, q, p);
    let mut omega = vec![0.0; q * q];
    for (s, b) in &pieces {
        let bbt = mul(b, &transpose(b, q, p), q, p, q);
        for i in 0..q * q {
            omega[i] += s[i] - bbt[i];
        }
    }
    let r = mul(&sym_power(&omega, q, -0.5), &cm, q, q, p);
    let pieces = tau_pieces(parts, &l, &r, q, p);
    // G_st = Σₖ bₖₛbₖₜ' (p × p).
    let mut g = vec![vec![0.0; p * p]; q * q];
    for (_, b) in &pieces {
        for s in 0..q {
            for t in 0..q {
                for u in 0..p {
                    for v in 0..p {
                        g[s * q + t][u * p + v] += b[s * p + u] * b[t * p + v];
                    }
                }
            }
        }
    }
    let tr = |a: &[f64], b: &[f64]| -> f64 {
        let mut t = 0.0;
        for u in 0..p {
            for v in 0..p {
                t += a[u * p + v] * b[v * p + u];
            }
        }
        t
    };
    let mut total = 0.0;
    for s in 0..q {
        for t in 0..q {
            let mut v = tr(&g[s * q + t], &g[t * q + s]) + tr(&g[t * q + s], &g[t * q + s]);
            for (sm, b) in &pieces {
                let bs = &b[s * p..(s + 1) * p];
                let bt = &b[t * p..(t + 1) * p];
                let (sss, stt, sst) = (sm[s * q + s], sm[t * q + t], sm[s * q + t]);
                v += sss * stt - sss * dot(bt, bt) - stt * dot(bs, bs);
                v += sst * sst - 2.0 * sst * dot(bs, bt);
            }
            total += v;
        }
    }
    let eta = (q * (q + 1)) as f64 / total;
    let qstat = wald(beta, vb, p, btt);
    let f = (eta - q as f64 + 1.0) / (eta * q as f64) * qstat;
    (f, eta - q as f64 + 1.0)
}

/// A^power of a symmetric matrix by its eigen-decomposition (Jacobi), with
/// eigenvalues at or below 1e-12 set to 0 (clubSandwich's `matrix_power`).
fn sym_power(a: &[f64], n: usize, power: f64) -> Vec<f64> {
    let (vals, vecs) = jacobi_eigen(a, n);
    let mut out = vec![0.0; n * n];
    for (k, &lam) in vals.iter().enumerate() {
        let f = if lam > 1e-12 { lam.powf(power) } else { 0.0 };
        if f == 0.0 {
            continue;
        }
        for i in 0..n {
            for j in 0..n {
                out[i * n + j] += f * vecs[i * n + k] * vecs[j * n + k];
            }
        }
    }
    out
}

/// Eigenvalues and eigenvectors (columns) of a symmetric n × n matrix, by
/// cyclic Jacobi rotations (Golub & Van Loan 2013, §8.5).
fn jacobi_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut m = a.to_vec();
    for i in 0..n {
        for j in 0..i {
            let s = 0.5 * (m[i * n + j] + m[j * n + i]);
            m[i * n + j] = s;
            m[j * n + i] = s;
        }
    }
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _ in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j] * m[i * n + j])
            .sum();
        let scale: f64 = m.iter().map(|x| x * x).sum();
        if off <= 1e-30 * scale.max(f64::MIN_POSITIVE) {
            break;
        }
        for pp in 0..n {
            for qq in pp + 1..n {
                let apq = m[pp * n + qq];
                if apq == 0.0 {
                    continue;
                }
                let theta = (m[qq * n + qq] - m[pp * n + pp]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (mkp, mkq) = (m[k * n + pp], m[k * n + qq]);
                    m[k * n + pp] = c * mkp - s * mkq;
                    m[k * n + qq] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[pp * n + k], m[qq * n + k]);
                    m[pp * n + k] = c * mpk - s * mqk;
                    m[qq * n + k] = s * mpk + c * mqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + pp], v[k * n + qq]);
                    v[k * n + pp] = c * vkp - s * vkq;
                    v[k * n + qq] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| m[i * n + i]).collect(), v)
}

impl crate::RmaFit {
    /// Cluster-robust tests of the coefficients of this rma.uni fit
    /// (metafor `robust(res, cluster)`; CR2 as `robust(res, cluster,
    /// clubSandwich = TRUE)`), with weights 1/(vᵢ + τ̂²) whatever the test;
    /// `cluster` holds one label per study.
    ///
    /// ```
    /// use rema_core::{robust::RobustType, Method, Rma, Studies};
    /// let s = Studies::new(&[0.1, 0.3, 0.2, 0.6, 0.5, 0.4], &[0.02, 0.03, 0.02, 0.05, 0.04, 0.03]).unwrap();
    /// let fit = Rma::new(Method::Reml).fit(&s).unwrap();
    /// let r = fit.robust(&[1, 1, 2, 2, 3, 3], RobustType::Cr2).unwrap();
    /// assert!(r.coefficients[0].df > 0.0 && r.coefficients[0].df <= 2.0 + 1e-9);
    /// ```
    pub fn robust(&self, cluster: &[usize], kind: RobustType) -> Result<RobustFit> {
        let f = self.fit();
        let x = self.design();
        let btt = omnibus_coefficients(x);
        let blocks = diagonal(self.studies().vi(), f.tau2);
        robust(
            self.studies().yi(),
            x,
            &blocks,
            cluster,
            &btt,
            kind,
            f.options.level,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_recovers_a_known_decomposition() {
        let a = [4.0, 1.0, 0.0, 1.0, 3.0, 1.0, 0.0, 1.0, 2.0];
        let inv_half = sym_power(&a, 3, -0.5);
        // (A^-1/2) A (A^-1/2) = I.
        let prod = mul(&mul(&inv_half, &a, 3, 3, 3), &inv_half, 3, 3, 3);
        for i in 0..3 {
            for j in 0..3 {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((prod[i * 3 + j] - want).abs() < 1e-12, "{prod:?}");
            }
        }
    }

    #[test]
    fn too_few_clusters_is_an_error_naming_robust() {
        let blocks: Vec<MarginalBlock> = (0..4)
            .map(|i| MarginalBlock {
                rows: vec![i],
                cov: vec![1.0],
            })
            .collect();
        let r = robust(
            &[0.0, 1.0, 2.0, 3.0],
            &Design::intercept(4),
            &blocks,
            &[0, 0, 0, 0],
            &[0],
            RobustType::Cr1,
            95.0,
        );
        assert!(matches!(
            r,
            Err(Error::InvalidOption {
                option: "robust",
                ..
            })
        ));
    }
}
