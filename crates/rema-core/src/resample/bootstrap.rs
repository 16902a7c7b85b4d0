//! The bootstrap of a random-effects model, as metafor's documented recipes
//! with the `boot` package ("Bootstrapping with rma()", metafor.org):
//!
//! - nonparametric: the studies are resampled with replacement and the
//!   model refitted, `boot(dat, function(d, i) rma(yi, vi, data = d, subset = i))`;
//! - parametric: yᵢ* ~ N(μ̂, τ̂² + vᵢ) with the vᵢ kept, `boot(..., sim =
//!   "parametric", ran.gen = function(d, mle) rnorm(k, mle$mu, sqrt(mle$tau2 + d$vi)))`.
//!
//! Each replicate keeps four statistics: the pooled estimate, τ̂², I² and H².
//! Replicates whose refit fails are dropped per statistic, as `boot.ci` drops
//! non-finite values.
//!
//! Intervals (Davison & Hinkley 1997, ch. 5; `boot.ci`):
//! - percentile: the α/2 and 1 − α/2 quantiles of the replicates by `boot`'s
//!   `norm.inter` (the (R+1)α-th order statistic, interpolated on the normal
//!   quantile scale between neighbours);
//! - BCa (Efron 1987): z₀ = Φ⁻¹(#{θ* < θ̂}/R), acceleration
//!   a = ΣLᵢ³/(6(ΣLᵢ²)^{3/2}) from the jackknife influence values
//!   Lᵢ = (k − 1)(θ̄₍.₎ − θ̂₍ᵢ₎) (boot's default uses regression estimates of
//!   the Lᵢ; the two agree to Monte Carlo error), levels
//!   Φ(z₀ + (z₀ + z_α)/(1 − a(z₀ + z_α))) through `norm.inter`. Not defined
//!   for the parametric bootstrap (boot refuses it too).
//!
//! Monte Carlo standard errors: of the bootstrap mean, sd/√R; of a quantile
//! bound at level q, the half-width of the order statistics at
//! Rq ± 1.96√(Rq(1 − q)) divided by 1.96 (the binomial, distribution-free
//! interval of a quantile).

use std::fmt;
use std::str::FromStr;

use rayon::prelude::*;

use super::refit::{self, Route};
use super::rng::Stream;
use super::Hooks;
use crate::error::{Error, Result};
use crate::fit::{fit, Fit, FitOptions};

/// How replicates are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BootstrapType {
    /// Resample studies with replacement.
    #[default]
    Nonparametric,
    /// Draw effects from the fitted random-effects model.
    Parametric,
}

impl BootstrapType {
    pub fn name(self) -> &'static str {
        match self {
            BootstrapType::Nonparametric => "nonparametric",
            BootstrapType::Parametric => "parametric",
        }
    }
}

impl fmt::Display for BootstrapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BootstrapType {
    type Err = String;
    fn from_str(s: &str) -> Result<BootstrapType, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "nonparametric" | "ordinary" => Ok(BootstrapType::Nonparametric),
            "parametric" => Ok(BootstrapType::Parametric),
            _ => Err(format!(
                "unknown bootstrap type `{s}`; expected nonparametric or parametric"
            )),
        }
    }
}

/// Replicates, seed and type of a bootstrap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BootstrapOptions {
    pub replicates: u64,
    pub seed: u64,
    pub kind: BootstrapType,
}

/// A bootstrap confidence interval with the Monte Carlo SE of its bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BootInterval {
    pub lower: f64,
    pub upper: f64,
    pub mcse_lower: f64,
    pub mcse_upper: f64,
}

/// The bootstrap distribution of one statistic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BootSummary {
    pub observed: f64,
    /// Replicates with a finite value.
    pub replicates: u64,
    pub mean: f64,
    pub bias: f64,
    /// Standard deviation of the replicates (the bootstrap SE).
    pub se: f64,
    /// Monte Carlo SE of the mean.
    pub mcse_mean: f64,
    pub percentile: BootInterval,
    pub bca: Option<BootInterval>,
}

/// A bootstrap of the pooled estimate, τ², I² and H².
#[derive(Debug, Clone, PartialEq)]
pub struct Bootstrap {
    pub replicates: u64,
    pub failed: u64,
    pub seed: u64,
    pub kind: BootstrapType,
    pub level: f64,
    pub estimate: BootSummary,
    pub tau2: BootSummary,
    pub i2: BootSummary,
    pub h2: BootSummary,
    pub notes: Vec<String>,
}

fn stats(f: &Fit) -> [f64; 4] {
    [f.estimate().estimate, f.tau2, f.i2, f.h2]
}

/// Bootstraps the intercept-only model `observed` of `yi`, `vi`.
pub fn bootstrap(
    yi: &[f64],
    vi: &[f64],
    opts: &FitOptions,
    observed: &Fit,
    b: &BootstrapOptions,
    hooks: &Hooks,
) -> Result<Bootstrap> {
    let k = yi.len();
    if b.replicates < 2 {
        return Err(Error::InvalidOption {
            option: "bootstrap",
            message: format!("{} replicates; give at least 2", b.replicates),
        });
    }
    if k < 2 {
        return Err(Error::TooFewStudies {
            k,
            needed: 2,
            what: "a bootstrap",
        });
    }
    let mu = observed.estimate().estimate;
    let sd: Vec<f64> = vi.iter().map(|v| (v + observed.tau2).sqrt()).collect();
    let n = b.replicates;
    // The k leave-one-out refits of the BCa jackknife (nonparametric only)
    // run in the same parallel pass as the replicates, as items n..n + k.
    let extra = if b.kind == BootstrapType::Nonparametric {
        k as u64
    } else {
        0
    };
    let fast = Route::of(&crate::linalg::Design::intercept(k), opts) == Route::InterceptOnly;
    let refit = |y: &[f64], v: &[f64], w: &mut [f64]| {
        if fast && y.len() >= 2 {
            refit::intercept_only(y, v, opts, w)
                .map_or([f64::NAN; 4], |f| [f.estimate, f.tau2, f.i2, f.h2])
        } else {
            fit(y, v, opts).map_or([f64::NAN; 4], |f| stats(&f))
        }
    };
    hooks.report(0, n)?;
    let blocks = super::par_blocks(
        0..n + extra,
        n,
        hooks,
        || (vec![0.0; k], vec![0.0; k], vec![0.0; k]),
        |(y, v, w), range| {
            // Each item is pushed in index order, whatever the threads.
            let mut out: Vec<[f64; 4]> = Vec::with_capacity((range.end - range.start) as usize);
            for idx in range {
                if idx >= n {
                    let i = (idx - n) as usize;
                    for (m, j) in (0..k).filter(|&j| j != i).enumerate() {
                        y[m] = yi[j];
                        v[m] = vi[j];
                    }
                    out.push(refit(&y[..k - 1], &v[..k - 1], &mut w[..k - 1]));
                    continue;
                }
                let mut rng = Stream::new(b.seed, idx);
                match b.kind {
                    BootstrapType::Nonparametric => {
                        for (yo, vo) in y.iter_mut().zip(v.iter_mut()) {
                            let j = rng.below(k as u64) as usize;
                            *yo = yi[j];
                            *vo = vi[j];
                        }
                    }
                    BootstrapType::Parametric => {
                        for ((yo, vo), (s, vs)) in
                            y.iter_mut().zip(v.iter_mut()).zip(sd.iter().zip(vi))
                        {
                            *yo = mu + s * rng.normal();
                            *vo = *vs;
                        }
                    }
                }
                out.push(refit(y, v, w));
            }
            out
        },
    )?;
    let mut reps: Vec<[f64; 4]> = blocks.concat();
    hooks.report(n, n)?;
    // Jackknife values for the BCa acceleration; all or none.
    let jack: Option<Vec<[f64; 4]>> = if extra > 0 {
        let j = reps.split_off(n as usize);
        j.iter().all(|r| !r[0].is_nan()).then_some(j)
    } else {
        None
    };
    let failed = reps.iter().filter(|r| r[0].is_nan()).count() as u64;
    let mut notes = Vec::new();
    if failed > 0 {
        notes.push(format!(
            "bootstrap: {failed} of {n} refits failed and were left out"
        ));
    }

    if b.kind == BootstrapType::Nonparametric && jack.is_none() {
        notes.push(
            "bootstrap: a leave-one-out refit failed, so no BCa intervals (they need the jackknife)"
                .to_string(),
        );
    }
    if b.kind == BootstrapType::Parametric {
        notes.push(
            "bootstrap: BCa intervals are not defined for the parametric bootstrap (as boot.ci)"
                .to_string(),
        );
    }
    let obs = stats(observed);
    let names = ["estimate", "tau2", "i2", "h2"];
    // The statistics are summarised in parallel (each sorts its replicates).
    let summaries: Vec<(BootSummary, Option<String>)> = (0..4)
        .into_par_iter()
        .map(|s| {
            let mut t: Vec<f64> = reps
                .iter()
                .map(|r| r[s])
                .filter(|x| x.is_finite())
                .collect();
            let jack_s: Option<Vec<f64>> = jack.as_ref().map(|j| j.iter().map(|r| r[s]).collect());
            summarise(&mut t, obs[s], observed.options.level, jack_s.as_deref())
        })
        .collect();
    let mut sums = Vec::with_capacity(4);
    for (s, (sum, note)) in summaries.into_iter().enumerate() {
        if let Some(note) = note {
            notes.push(format!("bootstrap {}: {note}", names[s]));
        }
        sums.push(sum);
    }
    Ok(Bootstrap {
        replicates: n,
        failed,
        seed: b.seed,
        kind: b.kind,
        level: observed.options.level,
        estimate: sums[0],
        tau2: sums[1],
        i2: sums[2],
        h2: sums[3],
        notes,
    })
}

/// boot's `norm.inter`: the value at probability `alpha` of sorted `t`.
pub fn norm_inter(t: &[f64], alpha: f64) -> f64 {
    norm_inter_at(t.len(), alpha, &mut |i| t[i])
}

/// [`norm_inter`] of `r` sorted values read through `t(i)` (the i-th
/// smallest), so that the order statistics it reads can be listed first.
fn norm_inter_at(r: usize, alpha: f64, t: &mut impl FnMut(usize) -> f64) -> f64 {
    if r == 0 {
        return f64::NAN;
    }
    let rk = (r as f64 + 1.0) * alpha;
    let k = rk.trunc() as usize;
    if k == 0 {
        return t(0);
    }
    if k >= r {
        return t(r - 1);
    }
    if (k as f64) == rk {
        return t(k - 1);
    }
    let z = crate::dist::norm_quantile(alpha);
    let z1 = crate::dist::norm_quantile(k as f64 / (r as f64 + 1.0));
    let z2 = crate::dist::norm_quantile((k as f64 + 1.0) / (r as f64 + 1.0));
    let (tk, tk1) = (t(k - 1), t(k));
    tk + (z - z1) / (z2 - z1) * (tk1 - tk)
}

/// Monte Carlo SE of the quantile at probability `q` of `r` sorted values
/// read through `t(i)`: the half-width of the order-statistic interval
/// around it (rank r·q ± 1.96·√(r·q·(1−q))) divided by 2 × 1.96.
fn quantile_mcse_at(r: usize, q: f64, t: &mut impl FnMut(usize) -> f64) -> f64 {
    if r < 2 {
        return f64::NAN;
    }
    let rf = r as f64;
    let half = 1.96 * (rf * q * (1.0 - q)).sqrt();
    let idx = |x: f64| (x.round().max(1.0).min(rf) as usize) - 1;
    let lo = idx(rf * q - half);
    let hi = idx(rf * q + half);
    (t(hi) - t(lo)) / (2.0 * 1.96)
}

/// A bootstrap interval at probabilities `lo`, `hi` of `r` sorted values
/// read through `t(i)`.
fn interval_at(r: usize, lo: f64, hi: f64, t: &mut impl FnMut(usize) -> f64) -> BootInterval {
    BootInterval {
        lower: norm_inter_at(r, lo, t),
        upper: norm_inter_at(r, hi, t),
        mcse_lower: quantile_mcse_at(r, lo, t),
        mcse_upper: quantile_mcse_at(r, hi, t),
    }
}

/// Moves the order statistic of each of `ranks` (sorted, 0-based, counted
/// in the whole array of which `t` starts at `offset`) to its place, as a
/// full sort would put it, in O(n log m) for m ranks. Under `total_cmp` only
/// bit-equal values tie, so each placed value is the one a sort gives.
fn select_ranks(t: &mut [f64], offset: usize, ranks: &[usize]) {
    if ranks.is_empty() || t.len() < 2 {
        return;
    }
    // Split at the rank nearest the middle of the slice: when the ranks
    // cluster in the two tails (an interval's bounds and their MCSE
    // neighbours), two passes over the whole array isolate both clusters.
    let centre = offset + t.len() / 2;
    let mid = match ranks.binary_search(&centre) {
        Ok(i) => i,
        Err(i) if i == ranks.len() => i - 1,
        Err(0) => 0,
        Err(i) => {
            if centre - ranks[i - 1] <= ranks[i] - centre {
                i - 1
            } else {
                i
            }
        }
    };
    let at = ranks[mid] - offset;
    let (left, _, right) = t.select_nth_unstable_by(at, f64::total_cmp);
    select_ranks(left, offset, &ranks[..mid]);
    select_ranks(right, offset + at + 1, &ranks[mid + 1..]);
}

/// Σ f(tᵢ) in four interleaved partial sums (i mod 4), combined as
/// (s₀ + s₁) + (s₂ + s₃): a fixed order that depends on the data's order
/// only, so it is reproducible, and four independent addition chains instead
/// of one.
fn lane_sum(t: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut s = [0.0f64; 4];
    let mut quads = t.chunks_exact(4);
    for q in &mut quads {
        s[0] += f(q[0]);
        s[1] += f(q[1]);
        s[2] += f(q[2]);
        s[3] += f(q[3]);
    }
    for (acc, &x) in s.iter_mut().zip(quads.remainder()) {
        *acc += f(x);
    }
    (s[0] + s[1]) + (s[2] + s[3])
}

/// Moves the finite values of `t` to its front, in their order, and
/// returns how many there are (boot.ci leaves out failed replicates).
pub(crate) fn compact_finite(t: &mut [f64]) -> usize {
    let Some(mut w) = t.iter().position(|v| !v.is_finite()) else {
        return t.len();
    };
    for i in w + 1..t.len() {
        if t[i].is_finite() {
            t[w] = t[i];
            w += 1;
        }
    }
    w
}

/// Summarises the replicates `t` of one statistic (finite values, in any
/// order; reordered in place): mean, bias and SE, the percentile interval
/// and, given the jackknife values `jack`, the BCa interval (boot.ci).
///
/// The intervals need a handful of order statistics, so they are selected
/// (`select_ranks`) rather than the replicates sorted.
pub(crate) fn summarise(
    t: &mut [f64],
    observed: f64,
    level: f64,
    jack: Option<&[f64]>,
) -> (BootSummary, Option<String>) {
    let r = t.len();
    let rf = r as f64;
    let mean = lane_sum(t, |x| x) / rf;
    let var = lane_sum(t, |x| (x - mean) * (x - mean)) / (rf - 1.0);
    let se = var.sqrt();
    let conf = level / 100.0;
    let (a1, a2) = ((1.0 - conf) / 2.0, (1.0 + conf) / 2.0);
    let mut note = None;
    // The BCa probabilities (boot.ci's bca.ci).
    let bca_levels = jack.and_then(|jk| {
        let below = t.iter().filter(|&&x| x < observed).count() as f64;
        let z0 = crate::dist::norm_quantile(below / rf);
        let m = jk.len() as f64;
        let jm = jk.iter().sum::<f64>() / m;
        let (mut s2, mut s3) = (0.0, 0.0);
        for x in jk {
            let l = (m - 1.0) * (jm - x);
            s2 += l * l;
            s3 += l * l * l;
        }
        let a = s3 / (6.0 * s2.powf(1.5));
        if !z0.is_finite() || !a.is_finite() {
            note = Some(format!(
                "no BCa interval (bias correction z0 = {z0}, acceleration a = {a}; the replicates do not straddle the estimate or the jackknife values are all equal)"
            ));
            return None;
        }
        let adj = |alpha: f64| {
            let za = crate::dist::norm_quantile(alpha);
            crate::dist::norm_cdf(z0 + (z0 + za) / (1.0 - a * (z0 + za)))
        };
        Some((adj(a1), adj(a2)))
    });
    // List the order statistics the intervals read, place them, then read.
    let mut ranks = Vec::with_capacity(16);
    let mut record = |i: usize| {
        ranks.push(i);
        0.0
    };
    interval_at(r, a1, a2, &mut record);
    if let Some((b1, b2)) = bca_levels {
        interval_at(r, b1, b2, &mut record);
    }
    ranks.sort_unstable();
    ranks.dedup();
    select_ranks(t, 0, &ranks);
    let mut read = |i: usize| t[i];
    let percentile = interval_at(r, a1, a2, &mut read);
    let bca = bca_levels.map(|(b1, b2)| interval_at(r, b1, b2, &mut read));
    (
        BootSummary {
            observed,
            replicates: r as u64,
            mean,
            bias: mean - observed,
            se,
            mcse_mean: se / rf.sqrt(),
            percentile,
            bca,
        },
        note,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// boot:::norm.inter(1:9, c(0.025, 0.5, 0.975)) in R gives 1, 5, 9.
    #[test]
    fn norm_inter_matches_boot_at_the_ends_and_on_integers() {
        let t: Vec<f64> = (1..=9).map(f64::from).collect();
        assert_eq!(norm_inter(&t, 0.025), 1.0);
        assert_eq!(norm_inter(&t, 0.5), 5.0);
        assert_eq!(norm_inter(&t, 0.975), 9.0);
    }

    /// The four-lane sum is the sum to rounding, for every remainder.
    #[test]
    fn lane_sum_is_the_sum() {
        for n in 0..12usize {
            let t: Vec<f64> = (0..n).map(|i| 0.1 * i as f64 + 1.0).collect();
            let plain: f64 = t.iter().sum();
            assert!(
                (lane_sum(&t, |x| x) - plain).abs() <= 1e-12 * (1.0 + plain.abs()),
                "n = {n}"
            );
        }
    }

    /// Failed replicates (NaN) are left out and the rest keep their order.
    #[test]
    fn compaction_keeps_the_finite_values_in_order() {
        let mut t = [1.0, f64::NAN, 2.0, f64::INFINITY, 3.0, f64::NAN];
        let n = compact_finite(&mut t);
        assert_eq!(&t[..n], &[1.0, 2.0, 3.0]);
        let mut u = [4.0, 5.0];
        assert_eq!(compact_finite(&mut u), 2);
        assert_eq!(compact_finite(&mut []), 0);
    }

    /// The selected order statistics and the summary equal those of a fully
    /// sorted copy, ties and all.
    #[test]
    fn selection_gives_the_sorted_order_statistics() {
        let mut s = Stream::new(3, 0);
        for r in [2usize, 3, 10, 99, 1000, 4001, 10_007] {
            // Rounded draws, so that there are ties.
            let t: Vec<f64> = (0..r).map(|_| (s.normal() * 20.0).round() / 20.0).collect();
            let mut sorted = t.clone();
            sorted.sort_by(f64::total_cmp);
            let jack: Vec<f64> = (0..12).map(|_| s.normal()).collect();
            let mut work = t.clone();
            let (got, _) = summarise(&mut work, 0.01, 95.0, Some(&jack));
            let mut all = sorted.clone();
            let (want_sorted, _) = summarise(&mut all, 0.01, 95.0, Some(&jack));
            assert_eq!(got.percentile, want_sorted.percentile, "r = {r}");
            assert_eq!(got.bca, want_sorted.bca, "r = {r}");
            // And against the textbook reading of the sorted array (at the
            // probabilities summarise derives from the level).
            let (a1, a2) = ((1.0 - 0.95) / 2.0, (1.0 + 0.95) / 2.0);
            assert_eq!(got.percentile.lower, norm_inter(&sorted, a1), "r = {r}");
            assert_eq!(got.percentile.upper, norm_inter(&sorted, a2), "r = {r}");
            let ranks: Vec<usize> = vec![0, r / 3, r / 2, r - 1];
            let mut w = t.clone();
            select_ranks(&mut w, 0, &ranks);
            for &i in &ranks {
                assert_eq!(w[i].to_bits(), sorted[i].to_bits(), "rank {i} of {r}");
            }
        }
    }
}
