//! The cluster wild bootstrap (CWB) test of the coefficients of a
//! multilevel model (Joshi, Pustejovsky & Beretvas 2022, "Cluster wild
//! bootstrapping to handle dependent effect sizes in meta-analysis with a
//! small number of studies", Research Synthesis Methods 13(4), 457–477; R
//! package wildmeta's `Wald_test_cwb` with Rademacher weights, no
//! adjustment of the residuals and the naive F statistic).
//!
//! To test H₀: β_b = 0 for the coefficients b (the omnibus set, or one):
//! 1. fit the null model, the same model without the columns b
//!    (re-estimating the variance components by the same method), and keep
//!    its fitted values ỹ = X₀β̃ and residuals ẽ = y − ỹ;
//! 2. for r = 1..R draw one Rademacher weight ηⱼ = ±1 per cluster j, form
//!    y* = ỹ + ηⱼẽ (every effect of cluster j multiplied by ηⱼ), refit the
//!    full model to y* (variance components re-estimated, starting from
//!    the observed estimates) and compute the naive F statistic
//!    F* = β̂*_b'(V*_bb)⁻¹β̂*_b / q with the cluster-robust covariance V*
//!    of the chosen type (CR1 or CR2, [`crate::robust`]);
//! 3. the p-value is the share of replicates with F* > F, F the statistic
//!    of the observed data (wildmeta: `mean(boot_F > org_F)`).
//!
//! Replicate r draws from the counter-based stream (seed, r), so results
//! are identical at any thread count. A refit that does not converge keeps
//! its last iterate; their number is in the notes.

use crate::error::{Error, Result};
use crate::linalg::Design;
use crate::resample::rng::Stream;
use crate::resample::{par_blocks, Hooks};
use crate::robust::{robust, MarginalBlock, RobustType};

use super::likelihood::{block_m, log_det_xtx, State};
use super::optimize::maximise;
use super::structure::MvData;
use super::MvFit;

/// The cluster wild bootstrap test of one hypothesis β_b = 0.
#[derive(Debug, Clone, PartialEq)]
pub struct WildBootstrap {
    /// The coefficients tested (0-based).
    pub coefficients: Vec<usize>,
    /// The naive F statistic of the observed data, Q/q.
    pub stat: f64,
    /// The bootstrap p-value, the share of replicates with F* > F.
    pub pval: f64,
    /// Its Monte Carlo standard error √(p(1 − p)/R).
    pub mcse: f64,
    /// The number of replicates R.
    pub iterations: usize,
    /// The seed.
    pub seed: u64,
    /// The covariance of the F statistic.
    pub kind: RobustType,
    /// The number of clusters.
    pub n_clusters: usize,
    /// Replicates whose refit did not converge (kept at their last iterate).
    pub not_converged: usize,
}

/// One replicate: F* and whether its refit converged.
type Replicate = (f64, bool);

impl MvFit {
    /// The cluster wild bootstrap test of β_b = 0 for the coefficients `btt`
    /// (0-based), with clusters `cluster` (one label per effect), `iterations`
    /// replicates from `seed`, the F statistic's covariance `kind`.
    ///
    /// ```
    /// use rema_core::mv::{rma_mv, MvData, MvOptions, RandomTerm};
    /// use rema_core::robust::RobustType;
    /// use rema_core::resample::Hooks;
    /// use rema_core::Design;
    /// # fn main() -> Result<(), rema_core::Error> {
    /// let yi = [0.1, 0.3, 0.2, 0.6, 0.5, 0.7, -0.1, 0.0, 0.4, 0.2, 0.3, 0.1];
    /// let x: Vec<f64> = (0..12).flat_map(|i| [1.0, (i % 3) as f64]).collect();
    /// let labels: Vec<String> = (0..12).map(|i| format!("s{}", i / 2)).collect();
    /// let study = RandomTerm::from_labels("study", &labels);
    /// let x = Design::from_row_major(12, 2, x).unwrap();
    /// let fit = rma_mv(&MvData::new(&yi, &[0.02; 12], x, vec![study])?, &MvOptions::default())?;
    /// let cluster: Vec<usize> = (0..12).map(|i| i / 2).collect();
    /// let w = fit.wild_bootstrap(&cluster, RobustType::Cr2, &[1], 99, 7, &Hooks::default())?;
    /// assert!(w.pval >= 0.0 && w.pval <= 1.0 && w.iterations == 99);
    /// // Seeded: the same seed gives the same p-value.
    /// let again = fit.wild_bootstrap(&cluster, RobustType::Cr2, &[1], 99, 7, &Hooks::default())?;
    /// assert_eq!(w, again);
    /// # Ok(())
    /// # }
    /// ```
    pub fn wild_bootstrap(
        &self,
        cluster: &[usize],
        kind: RobustType,
        btt: &[usize],
        iterations: usize,
        seed: u64,
        hooks: &Hooks,
    ) -> Result<WildBootstrap> {
        let d = &self.data;
        let (k, p) = (d.k(), d.p());
        if cluster.len() != k {
            return Err(Error::LengthMismatch {
                what: format!("{k} effects but {} cluster labels", cluster.len()),
            });
        }
        if iterations == 0 {
            return Err(invalid(
                "the wild bootstrap needs at least 1 replicate (e.g. 1999)".to_string(),
            ));
        }
        if btt.is_empty() || btt.iter().any(|&b| b >= p) || btt.len() >= p {
            return Err(invalid(format!(
                "the wild bootstrap tests some of the {p} coefficients and keeps at least one in the null model; a model without moderators has nothing to test (add mods)"
            )));
        }
        // Clusters numbered 0..m by first appearance.
        let mut ids = std::collections::HashMap::new();
        let cl: Vec<usize> = cluster
            .iter()
            .map(|c| {
                let n = ids.len();
                *ids.entry(*c).or_insert(n)
            })
            .collect();
        let m = ids.len();
        let observed = self.robust(cluster, kind)?;
        let stat = naive_f(&self.state.beta, &observed.vb.data, p, btt);
        // The null model: the same data without the tested columns.
        let keep: Vec<usize> = (0..p).filter(|a| !btt.contains(a)).collect();
        let mut null = d.clone();
        null.x = columns(&d.x, &keep).ok_or(Error::RankDeficient)?;
        let ld0 = log_det_xtx(&null).ok_or(Error::RankDeficient)?;
        let opt0 = maximise(
            &null,
            self.options.method,
            &self.state.sigma2,
            &vec![false; self.state.sigma2.len()],
            ld0,
            self.options.max_iter,
        )
        .ok_or(Error::RankDeficient)?;
        let fitted: Vec<f64> = (0..k)
            .map(|i| {
                null.x
                    .row(i)
                    .iter()
                    .zip(&opt0.state.beta)
                    .map(|(x, b)| x * b)
                    .sum()
            })
            .collect();
        let resid: Vec<f64> = (0..k).map(|i| d.yi[i] - fitted[i]).collect();
        let fixed = vec![false; self.state.sigma2.len()];
        let total = iterations as u64;
        let blocks: Vec<Vec<Replicate>> = par_blocks(
            0..total,
            total,
            hooks,
            || (d.clone(), vec![0.0; m]),
            |(data, eta), range| {
                range
                    .map(|r| {
                        let mut s = Stream::new(seed, r);
                        eta.iter_mut().for_each(|e| *e = s.sign());
                        for i in 0..k {
                            data.yi[i] = fitted[i] + eta[cl[i]] * resid[i];
                        }
                        replicate(self, data, &fixed, cluster, kind, btt)
                    })
                    .collect()
            },
        )?;
        let reps: Vec<Replicate> = blocks.into_iter().flatten().collect();
        let exceed = reps.iter().filter(|(f, _)| *f > stat).count();
        let pval = exceed as f64 / iterations as f64;
        Ok(WildBootstrap {
            coefficients: btt.to_vec(),
            stat,
            pval,
            mcse: (pval * (1.0 - pval) / iterations as f64).sqrt(),
            iterations,
            seed,
            kind,
            n_clusters: m,
            not_converged: reps.iter().filter(|(_, ok)| !ok).count(),
        })
    }
}

fn invalid(message: String) -> Error {
    Error::InvalidOption {
        option: "wild_bootstrap",
        message,
    }
}

/// The full model refitted to `data` (its yi the bootstrap outcome), and
/// its naive F. A refit that fails outright counts as F* = 0 and not
/// converged.
fn replicate(
    fit: &MvFit,
    data: &MvData,
    fixed: &[bool],
    cluster: &[usize],
    kind: RobustType,
    btt: &[usize],
) -> Replicate {
    let Some(opt) = maximise(
        data,
        fit.options.method,
        &fit.state.sigma2,
        fixed,
        fit.ld_xtx,
        fit.options.max_iter,
    ) else {
        return (0.0, false);
    };
    let f = robust_f(data, &opt.state, cluster, kind, btt).unwrap_or(0.0);
    (f, opt.converged)
}

fn robust_f(
    data: &MvData,
    s: &State,
    cluster: &[usize],
    kind: RobustType,
    btt: &[usize],
) -> Option<f64> {
    let marginal: Vec<MarginalBlock> = data
        .blocks
        .iter()
        .map(|b| MarginalBlock {
            rows: b.rows.clone(),
            cov: block_m(b, &s.sigma2),
        })
        .collect();
    let r = robust(&data.yi, &data.x, &marginal, cluster, btt, kind, 95.0).ok()?;
    let beta: Vec<f64> = r.coefficients.iter().map(|c| c.estimate).collect();
    Some(naive_f(&beta, &r.vb.data, data.p(), btt))
}

/// β_b'(V_bb)⁻¹β_b / q (clubSandwich's `Wald_test(test = "Naive-F")`).
fn naive_f(beta: &[f64], vb: &[f64], p: usize, btt: &[usize]) -> f64 {
    crate::robust::wald(beta, vb, p, btt) / btt.len() as f64
}

/// The columns `keep` of `x`.
fn columns(x: &Design, keep: &[usize]) -> Option<Design> {
    let data: Vec<f64> = (0..x.rows())
        .flat_map(|i| keep.iter().map(move |&a| x.row(i)[a]))
        .collect();
    Design::from_row_major(x.rows(), keep.len(), data)
}
