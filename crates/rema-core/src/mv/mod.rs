//! Multilevel meta-analysis: metafor 3.8-1's `rma.mv` with random intercepts
//! (`random = ~ 1 | district/school`, or several terms
//! `list(~ 1 | study, ~ 1 | es_id)`), known sampling variances or a known
//! block-diagonal sampling covariance V, moderators, REML or ML.
//!
//! The model is y = Xβ + Σₜ Zₜuₜ + e with uₜ ~ N(0, σ²ₜI) and e ~ N(0, V),
//! so y ~ N(Xβ, M) with M = V + Σₜ σ²ₜZₜZₜ' (Konstantopoulos 2011; Van den
//! Noortgate et al. 2013). The σ²ₜ maximise the profiled (restricted)
//! likelihood ([`likelihood`](self) gives ℓ, its score and information),
//! by Fisher scoring on σ² ≥ 0; given them, β̂ = (X'WX)⁻¹X'Wy with W = M⁻¹
//! and Var(β̂) = (X'WX)⁻¹ (generalised least squares). M is block diagonal
//! ([`MvData`] finds the blocks), so nothing of size k × k is formed.
//!
//! Reported as metafor's object: the components with their factors and
//! numbers of levels, QE = y'P₀y with P₀ from W₀ = V⁻¹ on k − p df, the
//! Wald QM (χ², or F(m, k − p) with `test = "t"`), the fit statistics
//! (`fitstats`), the multilevel I² of each level,
//! I²ₜ = 100·σ²ₜ/(Σσ² + ṽ) with the typical sampling variance
//! ṽ = (k − p)/tr(P₀) (Nakagawa & Santos 2012, as metafor's documented
//! recipe), the BLUPs of each level ([`MvFit::ranef`], `ranef`), fitted
//! values and standardised residuals ([`MvFit::rstandard`], `rstandard`),
//! and the profile-likelihood CIs of the components ([`MvFit::confint`],
//! `confint.rma.mv`).
//!
//! ```
//! use rema_core::mv::{rma_mv, MvData, MvOptions, RandomTerm};
//! use rema_core::Design;
//! # fn main() -> Result<(), rema_core::Error> {
//! let yi = [0.1, 0.3, 0.2, 0.6, 0.5, 0.7, -0.1, 0.0];
//! let vi = [0.02; 8];
//! let study = RandomTerm::from_labels("study", &["a", "a", "b", "b", "c", "c", "d", "d"]);
//! let es = RandomTerm::from_labels("study/es", &["1", "2", "3", "4", "5", "6", "7", "8"]);
//! let data = MvData::new(&yi, &vi, Design::intercept(8), vec![study, es])?;
//! let fit = rma_mv(&data, &MvOptions::default())?;
//! assert_eq!(fit.components.len(), 2);
//! assert!(fit.components[0].sigma2 > 0.0 && fit.coefficients[0].se > 0.0);
//! assert_eq!(fit.ranef()[0].len(), 4);
//! # Ok(())
//! # }
//! ```

mod likelihood;
mod optimize;
mod predict;
mod profile;
mod structure;
mod varstruct;
mod wild;

pub use likelihood::MvMethod;
pub use predict::MvPrediction;
pub use profile::ComponentCi;
pub use structure::{MvData, RandomTerm};
pub use varstruct::{StructTerm, VarStruct};
pub use wild::WildBootstrap;

use crate::dist;
use crate::error::{Error, Result};
use crate::fit::{critical_value, Coefficient};
use crate::linalg::{cholesky_inverse_in_place, log_det_in_place, SymMatrix};

use likelihood::{block_x, cross, dot, log_det_xtx, mat_mul, State};

/// The test of the coefficients of a multilevel model (metafor `test`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MvTest {
    /// Wald z tests and a χ² QM.
    #[default]
    Z,
    /// t tests and an F QM on k − p denominator df (metafor `test = "t"`).
    T,
}

/// The options of [`rma_mv`]: metafor's `method`, `test`, `level` and the
/// iteration limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MvOptions {
    /// REML (default) or ML.
    pub method: MvMethod,
    /// z (default) or t.
    pub test: MvTest,
    /// Confidence level in percent (default 95).
    pub level: f64,
    /// The iteration limit of the maximisation (default 1000).
    pub max_iter: usize,
}

impl Default for MvOptions {
    fn default() -> MvOptions {
        MvOptions {
            method: MvMethod::Reml,
            test: MvTest::Z,
            level: 95.0,
            max_iter: 1000,
        }
    }
}

/// One variance component (metafor `sigma2`, `s.names`, `s.nlevels`).
#[derive(Debug, Clone, PartialEq)]
pub struct VarianceComponent {
    /// The grouping factor (`district`, `district/school`).
    pub factor: String,
    /// The estimate σ̂², on the squared analysis scale.
    pub sigma2: f64,
    /// The number of levels of the factor.
    pub n_levels: usize,
    /// The multilevel I² of this level, in percent.
    pub i2: f64,
}

/// One τ² of a structured `~ inner | outer` term (metafor `tau2`).
#[derive(Debug, Clone, PartialEq)]
pub struct StructTau2 {
    /// The inner level (`None` for CS and ID, whose one τ² is every level's).
    pub level: Option<String>,
    /// The estimate τ̂².
    pub tau2: f64,
    /// The number of effects at the level (metafor `g.levels.k`; all of
    /// them for CS and ID).
    pub k: usize,
    /// 100·τ²/(Σσ² + τ² + ṽ): the share of an effect's total variance at
    /// this level (metafor's I² recipe for multivariate models).
    pub i2: f64,
}

/// One ρ of a structured term (metafor `rho`).
#[derive(Debug, Clone, PartialEq)]
pub struct StructRho {
    /// The two inner levels (`None` for CS and HCS, whose ρ is every pair's).
    pub levels: Option<(String, String)>,
    /// The estimate ρ̂.
    pub rho: f64,
    /// Fixed at 0 because the two levels never occur in one outer level.
    pub fixed: bool,
}

/// The fitted structured term.
#[derive(Debug, Clone, PartialEq)]
pub struct StructFit {
    /// The structure.
    pub structure: VarStruct,
    /// The inner factor (metafor `g.names[1]`).
    pub inner: String,
    /// The outer factor (metafor `g.names[2]`).
    pub outer: String,
    /// The number of inner levels (metafor `g.nlevels[1]`).
    pub n_inner: usize,
    /// The number of outer levels (metafor `g.nlevels[2]`).
    pub n_outer: usize,
    /// The τ² values, in the order of the sorted inner levels.
    pub tau2: Vec<StructTau2>,
    /// The ρ values, in metafor's order.
    pub rho: Vec<StructRho>,
}

/// The fit statistics (metafor `fitstats`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitStats {
    /// The (restricted) log-likelihood.
    pub loglik: f64,
    /// The deviance: −2ℓ for REML, −2(ℓ − ℓ_saturated) for ML.
    pub deviance: f64,
    /// AIC = −2ℓ + 2q, q = p + the number of components.
    pub aic: f64,
    /// BIC = −2ℓ + q·ln n, n = k (ML) or k − p (REML).
    pub bic: f64,
    /// AICc = −2ℓ + 2q·n/(n − q − 1) (n at least q + 2).
    pub aicc: f64,
}

/// One best linear unbiased prediction of a random effect (metafor `ranef`).
#[derive(Debug, Clone, PartialEq)]
pub struct Blup {
    /// The level of the factor.
    pub level: String,
    /// The predicted random effect.
    pub pred: f64,
    /// Its standard error of prediction.
    pub se: f64,
    /// Lower prediction bound (z quantile).
    pub pi_lower: f64,
    /// Upper prediction bound.
    pub pi_upper: f64,
}

/// A standardised residual (metafor `rstandard`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StandardisedResidual {
    /// The fitted value x'β̂ (metafor `fitted`).
    pub fitted: f64,
    /// The residual y − x'β̂.
    pub resid: f64,
    /// Its standard error, √(Mᵢᵢ − x'(X'WX)⁻¹x).
    pub se: f64,
    /// resid / se.
    pub z: f64,
}

/// A fitted multilevel model: the fields of metafor's `rma.mv` object.
#[derive(Debug, Clone)]
pub struct MvFit {
    /// The number of effects (metafor `k`).
    pub k: usize,
    /// The number of coefficients (metafor `p`).
    pub p: usize,
    /// The options of the fit.
    pub options: MvOptions,
    /// The variance components, one per random term, in order.
    pub components: Vec<VarianceComponent>,
    /// The structured `~ inner | outer` term's τ² and ρ, if the model has one.
    pub structure: Option<StructFit>,
    /// The coefficients (metafor `b`, `se`, `zval`, `pval`, `ci.lb`, `ci.ub`).
    pub coefficients: Vec<Coefficient>,
    /// Var(β̂) = (X'WX)⁻¹ (metafor `vb`).
    pub vb: SymMatrix,
    /// Denominator df of the t tests, `None` under z (metafor `ddf`).
    pub df: Option<f64>,
    /// The test of residual heterogeneity (metafor `QE`) on k − p df.
    pub qe: f64,
    /// The p-value of QE (metafor `QEp`).
    pub qe_pval: f64,
    /// The omnibus test of the moderators, of the intercept without them (metafor `QM`).
    pub qm: f64,
    /// Its df: m, and k − p under the t test (metafor `QMdf`).
    pub qm_df: (f64, Option<f64>),
    /// Its p-value (metafor `QMp`).
    pub qm_pval: f64,
    /// The coefficients QM tests (0-based; metafor `btt`).
    pub qm_coefficients: Vec<usize>,
    /// The fit statistics.
    pub stats: FitStats,
    /// The multilevel I² of all levels together, in percent.
    pub i2_total: f64,
    /// The typical sampling variance ṽ of I².
    pub vt: f64,
    /// Fisher-scoring iterations.
    pub iterations: usize,
    /// Boundary estimates, non-convergence and other caveats, in words.
    pub notes: Vec<String>,
    data: MvData,
    state: State,
    ld_xtx: f64,
}

/// Fits the multilevel model (metafor `rma.mv(yi, V, mods, random, method, test, level)`).
pub fn rma_mv(data: &MvData, opts: &MvOptions) -> Result<MvFit> {
    if !(opts.level > 0.0 && opts.level < 100.0) {
        return Err(Error::InvalidOption {
            option: "level",
            message: format!(
                "{} must lie strictly between 0 and 100 (e.g. 95)",
                opts.level
            ),
        });
    }
    if opts.max_iter == 0 {
        return Err(Error::InvalidOption {
            option: "max_iter",
            message: "the iteration limit must be at least 1".to_string(),
        });
    }
    let ld_xtx = log_det_xtx(data).ok_or(Error::RankDeficient)?;
    let start = initial_values(data);
    let fixed = data.fixed_by_data();
    let opt = optimize::maximise(data, opts.method, &start, &fixed, ld_xtx, opts.max_iter)
        .ok_or(Error::RankDeficient)?;
    let mut notes = Vec::new();
    if !opt.converged {
        notes.push(format!(
            "the {} maximisation did not converge in {} iterations; the estimates are those of the last iteration",
            opts.method, opts.max_iter
        ));
    }
    for (t, s) in data.terms.iter().zip(&opt.state.sigma2) {
        if *s == 0.0 {
            notes.push(format!(
                "the variance component of `{}` is estimated at its boundary, 0",
                t.name()
            ));
        }
    }
    if let Some(g) = &data.g {
        notes.extend(structure_notes(
            data,
            g,
            &opt.state.sigma2[data.terms.len()..],
        ));
    }
    Ok(assemble(
        data,
        opts,
        opt.state,
        opt.iterations,
        ld_xtx,
        notes,
    ))
}

/// The notes of a structured term: ρ fixed by the data, τ² at 0 and ρ at
/// ±1, and how I² and the summary's τ² read with several τ².
fn structure_notes(d: &MvData, g: &StructTerm, par: &[f64]) -> Vec<String> {
    let mut notes = Vec::new();
    let name = g.name();
    let n_tau2 = g.n_tau2();
    for (a, t) in par[..n_tau2].iter().enumerate() {
        if *t == 0.0 {
            let which = if n_tau2 == 1 {
                String::new()
            } else {
                format!(" of level `{}`", g.inner_levels()[a])
            };
            notes.push(format!(
                "tau2{which} of `~ {name}` is estimated at its boundary, 0"
            ));
        }
    }
    let fixed = d.fixed_by_data();
    let base = d.terms.len() + n_tau2;
    for r in 0..g.n_rho() {
        let (a, b) = g.rho_levels(r);
        let (la, lb) = (&g.inner_levels()[a], &g.inner_levels()[b]);
        let pair = if g.structure() == VarStruct::Un {
            format!(" of levels `{la}` and `{lb}`")
        } else {
            String::new()
        };
        if fixed[base + r] {
            notes.push(format!(
                "rho{pair} of `~ {name}` is fixed at 0: the two levels never occur in one level of `{}` (as metafor)",
                g.outer_name()
            ));
        } else if par[n_tau2 + r].abs() == 1.0 {
            notes.push(format!(
                "rho{pair} of `~ {name}` is estimated at its boundary, {}",
                par[n_tau2 + r]
            ));
        }
    }
    if n_tau2 > 1 {
        notes.push(format!(
            "struct {} has one tau2 per level of `{}`: the summary's tau2, I2 and prediction interval are those of an effect at its first level, `{}` (each level's tau2 and I2 are listed with the structure)",
            g.structure(),
            g.inner_name(),
            g.inner_levels()[0]
        ));
    }
    notes
}

/// Starting values: the residual variance of the unweighted regression in
/// excess of the mean sampling variance (at least a tenth of it), shared
/// equally by the components (the structured term's τ² counting as one),
/// and ρ = 0.
fn initial_values(d: &MvData) -> Vec<f64> {
    let (k, p) = (d.k(), d.p());
    let ones = vec![1.0; k];
    let xtx = crate::linalg::weighted_crossprod(&d.x, &ones);
    let xty: Vec<f64> = (0..p)
        .map(|a| (0..k).map(|i| d.x.row(i)[a] * d.yi[i]).sum())
        .collect();
    let inv = xtx.cholesky_inverse();
    let rss = inv.map_or(0.0, |h| {
        let beta: Vec<f64> = (0..p)
            .map(|a| (0..p).map(|c| h.get(a, c) * xty[c]).sum())
            .collect();
        (0..k)
            .map(|i| (d.yi[i] - dot(d.x.row(i), &beta)).powi(2))
            .sum()
    });
    let vbar = d.vi.iter().sum::<f64>() / k as f64;
    let total = (rss / (k - p) as f64 - vbar).max(0.1 * vbar);
    let parts = d.terms.len() + usize::from(d.g.is_some());
    let mut start = vec![total / parts as f64; d.terms.len()];
    if let Some(g) = &d.g {
        start.extend(std::iter::repeat_n(total / parts as f64, g.n_tau2()));
        start.extend(std::iter::repeat_n(0.0, g.n_rho()));
    }
    start
}

/// Σσ² plus the structured term's first τ²: the total variance of an
/// effect at the first inner level.
fn total_variance(d: &MvData, theta: &[f64]) -> f64 {
    let t = d.terms.len();
    theta[..t].iter().sum::<f64>() + d.g.as_ref().map_or(0.0, |_| theta[t])
}

fn assemble(
    d: &MvData,
    opts: &MvOptions,
    s: State,
    iterations: usize,
    ld_xtx: f64,
    notes: Vec<String>,
) -> MvFit {
    let (k, p) = (d.k(), d.p());
    let df = (opts.test == MvTest::T).then_some((k - p) as f64);
    let crit = critical_value(opts.level, df);
    let coefficients: Vec<Coefficient> = (0..p)
        .map(|a| {
            let estimate = s.beta[a];
            let se = s.h[a * p + a].sqrt();
            let stat = estimate / se;
            let pval = match df {
                Some(df) => 2.0 * dist::t_sf(stat.abs(), df),
                None => 2.0 * dist::norm_sf(stat.abs()),
            };
            Coefficient {
                estimate,
                se,
                stat,
                pval,
                ci_lower: estimate - crit * se,
                ci_upper: estimate + crit * se,
            }
        })
        .collect();
    let vb = SymMatrix {
        n: p,
        data: s.h.clone(),
    };
    let btt = crate::robust::omnibus_coefficients(&d.x);
    let qm_wald = crate::robust::wald(&s.beta, &s.h, p, &btt);
    let m = btt.len() as f64;
    let (qm, qm_df, qm_pval) = match df {
        Some(df) => (qm_wald / m, (m, Some(df)), dist::f_sf(qm_wald / m, m, df)),
        None => (qm_wald, (m, None), dist::chisq_sf(qm_wald, m)),
    };
    let (qe, tr_p0, ld_v) = sampling_only(d);
    let vt = (k - p) as f64 / tr_p0;
    let total = total_variance(d, &s.sigma2);
    let sum_sigma2: f64 = s.sigma2[..d.terms.len()].iter().sum();
    let structure = d.g.as_ref().map(|g| {
        let par = &s.sigma2[d.terms.len()..];
        let counts = g.level_counts();
        let one = g.n_tau2() == 1;
        let fixed = d.fixed_by_data();
        StructFit {
            structure: g.structure(),
            inner: g.inner_name().to_string(),
            outer: g.outer_name().to_string(),
            n_inner: g.inner_levels().len(),
            n_outer: g.outer_levels().len(),
            tau2: (0..g.n_tau2())
                .map(|a| StructTau2 {
                    level: (!one).then(|| g.inner_levels()[a].clone()),
                    tau2: par[a],
                    k: if one { k } else { counts[a] },
                    i2: 100.0 * par[a] / (sum_sigma2 + par[a] + vt),
                })
                .collect(),
            rho: (0..g.n_rho())
                .map(|r| {
                    let (a, b) = g.rho_levels(r);
                    StructRho {
                        levels: (g.structure() == VarStruct::Un)
                            .then(|| (g.inner_levels()[a].clone(), g.inner_levels()[b].clone())),
                        rho: par[g.n_tau2() + r],
                        fixed: fixed[d.terms.len() + g.n_tau2() + r],
                    }
                })
                .collect(),
        }
    });
    let components = d
        .terms
        .iter()
        .zip(&s.sigma2)
        .map(|(t, &sigma2)| VarianceComponent {
            factor: t.name().to_string(),
            sigma2,
            n_levels: t.n_levels(),
            i2: 100.0 * sigma2 / (total + vt),
        })
        .collect();
    let stats = fit_stats(d, opts.method, s.ll, ld_v);
    MvFit {
        k,
        p,
        options: *opts,
        components,
        structure,
        coefficients,
        vb,
        df,
        qe,
        qe_pval: dist::chisq_sf(qe, (k - p) as f64),
        qm,
        qm_df,
        qm_pval,
        qm_coefficients: btt,
        stats,
        i2_total: 100.0 * total / (total + vt),
        vt,
        iterations,
        notes,
        data: d.clone(),
        state: s,
        ld_xtx,
    }
}

/// QE = y'P₀y, tr(P₀) and ln|V|, with W₀ = V⁻¹.
fn sampling_only(d: &MvData) -> (f64, f64, f64) {
    let p = d.p();
    let mut xwx = vec![0.0; p * p];
    let mut xwy = vec![0.0; p];
    let (mut ywy, mut tr_w, mut ld_v) = (0.0, 0.0, 0.0);
    let mut xwwx = vec![0.0; p * p];
    for b in &d.blocks {
        let n = b.n();
        let (mut l, mut li, mut w) = (vec![0.0; n * n], vec![0.0; n * n], vec![0.0; n * n]);
        ld_v += log_det_in_place(&b.v, n, &mut l).unwrap_or(f64::NAN);
        cholesky_inverse_in_place(&b.v, n, &mut l, &mut li, &mut w);
        let xb = block_x(d, b);
        let wx = mat_mul(&w, &xb, n, p);
        let yb: Vec<f64> = b.rows.iter().map(|&i| d.yi[i]).collect();
        let c = cross(&wx, &xb, n, p, p);
        xwx.iter_mut().zip(&c).for_each(|(a, c)| *a += c);
        let c = cross(&wx, &wx, n, p, p);
        xwwx.iter_mut().zip(&c).for_each(|(a, c)| *a += c);
        let wy = mat_mul(&w, &yb, n, 1);
        ywy += dot(&yb, &wy);
        for r in 0..n {
            tr_w += w[r * n + r];
            for a in 0..p {
                xwy[a] += wx[r * p + a] * yb[r];
            }
        }
    }
    let (mut l, mut li, mut h) = (vec![0.0; p * p], vec![0.0; p * p], vec![0.0; p * p]);
    cholesky_inverse_in_place(&xwx, p, &mut l, &mut li, &mut h);
    let mut fitted = 0.0;
    let mut tr_hx = 0.0;
    for a in 0..p {
        for c in 0..p {
            fitted += xwy[a] * h[a * p + c] * xwy[c];
            tr_hx += h[a * p + c] * xwwx[c * p + a];
        }
    }
    (ywy - fitted, tr_w - tr_hx, ld_v)
}

fn fit_stats(d: &MvData, method: MvMethod, ll: f64, ld_v: f64) -> FitStats {
    let (k, p) = (d.k() as f64, d.p() as f64);
    let free = d.fixed_by_data().iter().filter(|f| !**f).count();
    let q = p + free as f64;
    let n = match method {
        MvMethod::Ml => k,
        MvMethod::Reml => k - p,
    };
    let deviance = match method {
        MvMethod::Ml => -2.0 * (ll + 0.5 * (k * (2.0 * std::f64::consts::PI).ln() + ld_v)),
        MvMethod::Reml => -2.0 * ll,
    };
    let nn = n.max(q + 2.0);
    FitStats {
        loglik: ll,
        deviance,
        aic: -2.0 * ll + 2.0 * q,
        bic: -2.0 * ll + q * n.ln(),
        aicc: -2.0 * ll + 2.0 * q * nn / (nn - q - 1.0),
    }
}

impl MvFit {
    /// The data the model was fitted to.
    pub fn data(&self) -> &MvData {
        &self.data
    }

    /// The fitted values and standardised residuals of every effect
    /// (metafor `fitted` and `rstandard.rma.mv`).
    pub fn rstandard(&self) -> Vec<StandardisedResidual> {
        let d = &self.data;
        let p = self.p;
        let mut out = vec![
            StandardisedResidual {
                fitted: 0.0,
                resid: 0.0,
                se: 0.0,
                z: 0.0
            };
            d.k()
        ];
        for b in &d.blocks {
            let n = b.n();
            let m = likelihood::block_m(b, &self.state.sigma2);
            for (a, &i) in b.rows.iter().enumerate() {
                let x = d.x.row(i);
                let fitted = dot(x, &self.state.beta);
                let resid = d.yi[i] - fitted;
                let xhx: f64 = (0..p)
                    .map(|u| {
                        (0..p)
                            .map(|v| x[u] * self.state.h[u * p + v] * x[v])
                            .sum::<f64>()
                    })
                    .sum();
                let se = (m[a * n + a] - xhx).max(0.0).sqrt();
                out[i] = StandardisedResidual {
                    fitted,
                    resid,
                    se,
                    z: resid / se,
                };
            }
        }
        out
    }

    /// The BLUPs of every level of every random term, term by term (metafor
    /// `ranef`): σ²ₜ·1_g'Wr with prediction variance σ²ₜ − σ⁴ₜ·1_g'P1_g,
    /// and z prediction bounds.
    pub fn ranef(&self) -> Vec<Vec<Blup>> {
        let d = &self.data;
        let p = self.p;
        let crit = critical_value(self.options.level, None);
        let mut block_of = vec![(0usize, 0usize); d.k()];
        for (c, b) in d.blocks.iter().enumerate() {
            for (a, &i) in b.rows.iter().enumerate() {
                block_of[i] = (c, a);
            }
        }
        let wx: Vec<Vec<f64>> = d
            .blocks
            .iter()
            .zip(&self.state.w)
            .map(|(b, w)| mat_mul(w, &block_x(d, b), b.n(), p))
            .collect();
        d.terms
            .iter()
            .zip(&self.state.sigma2)
            .map(|(t, &s2)| {
                let mut members = vec![Vec::new(); t.n_levels()];
                for i in 0..d.k() {
                    members[t.group(i)].push(i);
                }
                members
                    .iter()
                    .zip(t.levels())
                    .map(|(rows, level)| {
                        let c = block_of[rows[0]].0;
                        let n = d.blocks[c].n();
                        let w = &self.state.w[c];
                        let mut one_w_one = 0.0;
                        let mut xw1 = vec![0.0; p];
                        let mut one_wr = 0.0;
                        for &i in rows {
                            let a = block_of[i].1;
                            one_wr += self.state.wr[i];
                            for &j in rows {
                                one_w_one += w[a * n + block_of[j].1];
                            }
                            for (u, v) in xw1.iter_mut().enumerate() {
                                *v += wx[c][a * p + u];
                            }
                        }
                        let quad: f64 = (0..p)
                            .map(|u| {
                                (0..p)
                                    .map(|v| xw1[u] * self.state.h[u * p + v] * xw1[v])
                                    .sum::<f64>()
                            })
                            .sum();
                        let pred = s2 * one_wr;
                        let var = s2 - s2 * s2 * (one_w_one - quad);
                        let se = var.max(0.0).sqrt();
                        Blup {
                            level: level.clone(),
                            pred,
                            se,
                            pi_lower: pred - crit * se,
                            pi_upper: pred + crit * se,
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// The blocks of the fitted marginal covariance M, each with its effects
    /// (for the cluster-robust tests of [`crate::robust`]).
    pub fn marginal(&self) -> Vec<crate::robust::MarginalBlock> {
        self.data
            .blocks
            .iter()
            .map(|b| crate::robust::MarginalBlock {
                rows: b.rows.clone(),
                cov: likelihood::block_m(b, &self.state.sigma2),
            })
            .collect()
    }

    /// Cluster-robust tests of the coefficients of this fit (metafor
    /// `robust(res, cluster)`; CR2 as `robust(res, cluster, clubSandwich =
    /// TRUE)`), with the model's weights M⁻¹; `cluster` holds one label per
    /// effect.
    pub fn robust(
        &self,
        cluster: &[usize],
        kind: crate::robust::RobustType,
    ) -> Result<crate::robust::RobustFit> {
        crate::robust::robust(
            &self.data.yi,
            &self.data.x,
            &self.marginal(),
            cluster,
            &self.qm_coefficients,
            kind,
            self.options.level,
        )
    }

    /// The profile-likelihood confidence interval of every component
    /// (metafor `confint.rma.mv`), at the fit's level.
    pub fn confint(&self) -> Result<Vec<ComponentCi>> {
        (0..self.components.len())
            .map(|t| profile::interval(self, t))
            .collect()
    }

    /// ℓ maximised with component `t` held at `value` (the profile likelihood).
    pub(crate) fn profile_ll(&self, t: usize, value: f64) -> Option<f64> {
        let mut start = self.state.sigma2.clone();
        start[t] = value;
        let mut fixed = self.data.fixed_by_data();
        fixed[t] = true;
        let opt = optimize::maximise(
            &self.data,
            self.options.method,
            &start,
            &fixed,
            self.ld_xtx,
            self.options.max_iter,
        )?;
        Some(opt.state.ll)
    }

    /// The maximised ℓ.
    pub(crate) fn loglik(&self) -> f64 {
        self.state.ll
    }

    /// The estimate of parameter t (σ², then τ² and ρ).
    pub(crate) fn sigma2(&self, t: usize) -> f64 {
        self.state.sigma2[t]
    }

    /// Σσ² plus the structured term's first τ² (the summary's τ²: the total
    /// heterogeneity of an effect at the first inner level).
    pub fn total_variance(&self) -> f64 {
        total_variance(&self.data, &self.state.sigma2)
    }

    /// The profile-likelihood CIs of the structured term's τ² then ρ
    /// (metafor `confint.rma.mv`'s `tau2`, `rho`), at the fit's level; a ρ
    /// fixed by the data has none (`None` in both bounds).
    pub fn confint_structure(&self) -> Result<Vec<ComponentCi>> {
        let Some(g) = &self.data.g else {
            return Ok(Vec::new());
        };
        let base = self.data.terms.len();
        let fixed = self.data.fixed_by_data();
        (0..g.shape.n_params())
            .map(|k| {
                let t = base + k;
                let label = if k < g.n_tau2() {
                    match g.n_tau2() {
                        1 => format!("tau2 of `~ {}`", g.name()),
                        _ => format!(
                            "tau2 of level `{}` of `~ {}`",
                            g.inner_levels()[k],
                            g.name()
                        ),
                    }
                } else {
                    let (a, b) = g.rho_levels(k - g.n_tau2());
                    match g.structure() {
                        VarStruct::Un => format!(
                            "rho of levels `{}` and `{}` of `~ {}`",
                            g.inner_levels()[a],
                            g.inner_levels()[b],
                            g.name()
                        ),
                        _ => format!("rho of `~ {}`", g.name()),
                    }
                };
                if fixed[t] {
                    return Ok(ComponentCi {
                        estimate: self.state.sigma2[t],
                        lower: None,
                        upper: None,
                        notes: vec![format!("{label} is fixed at 0 and has no interval")],
                    });
                }
                profile::interval_of(self, t, g.shape.bounds(k), &label)
            })
            .collect()
    }

    /// The BLUPs of the structured term (metafor `ranef`'s `~ inner |
    /// outer` table): one per combination of outer and inner level that
    /// occurs, in order of first appearance, labelled `inner | outer` as
    /// metafor; uₒₐ = cₒₐ'Wr with cᵢ = G[a, inner(i)] for the effects i of
    /// outer level o, and prediction variance Gₐₐ − cₒₐ'Pcₒₐ.
    pub fn ranef_structure(&self) -> Vec<Blup> {
        let d = &self.data;
        let Some(g) = &d.g else {
            return Vec::new();
        };
        let p = self.p;
        let crit = critical_value(self.options.level, None);
        let gm = g.shape.g(&self.state.sigma2[d.terms.len()..]);
        let l = g.shape.levels;
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut block_of = vec![0usize; d.k()];
        for (c, b) in d.blocks.iter().enumerate() {
            for &i in &b.rows {
                block_of[i] = c;
            }
        }
        for (i0, &c0) in block_of.iter().enumerate() {
            let (o, a) = (g.outer[i0], g.inner[i0]);
            if !seen.insert((o, a)) {
                continue;
            }
            let b = &d.blocks[c0];
            let w = &self.state.w[c0];
            let n = b.n();
            let cvec: Vec<f64> = b
                .rows
                .iter()
                .map(|&i| {
                    if g.outer[i] == o {
                        gm[a * l + g.inner[i]]
                    } else {
                        0.0
                    }
                })
                .collect();
            let pred: f64 = b
                .rows
                .iter()
                .zip(&cvec)
                .map(|(&i, c)| c * self.state.wr[i])
                .sum();
            let wc = mat_mul(w, &cvec, n, 1);
            let cwc = dot(&cvec, &wc);
            let xb = block_x(d, b);
            let xwc = cross(&xb, &wc, n, p, 1);
            let quad: f64 = (0..p)
                .map(|u| {
                    (0..p)
                        .map(|v| xwc[u] * self.state.h[u * p + v] * xwc[v])
                        .sum::<f64>()
                })
                .sum();
            let se = (gm[a * l + a] - (cwc - quad)).max(0.0).sqrt();
            out.push(Blup {
                level: format!("{} | {}", g.inner_levels()[a], g.outer_levels()[o]),
                pred,
                se,
                pi_lower: pred - crit * se,
                pi_upper: pred + crit * se,
            });
        }
        out
    }
}
