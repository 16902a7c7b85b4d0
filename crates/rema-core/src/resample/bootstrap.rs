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

use super::fast::{intercept_only, Fast};
use super::rng::Stream;
use super::{Hooks, CHUNK};
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
    let mut reps: Vec<[f64; 4]> = Vec::with_capacity(n as usize);
    let mut chunk: Vec<[f64; 4]> = Vec::with_capacity(CHUNK as usize);
    let mut start = 0u64;
    hooks.report(0, n)?;
    while start < n {
        let end = (start + CHUNK).min(n);
        // par_extend keeps the order of the indices, whatever the threads.
        chunk.par_extend((start..end).into_par_iter().map_init(
            || (vec![0.0; k], vec![0.0; k], vec![0.0; k]),
            |(y, v, w), idx| {
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
                match intercept_only(y, v, opts, w) {
                    Fast::Done(f) => [f.estimate, f.tau2, f.i2, f.h2],
                    Fast::Failed => [f64::NAN; 4],
                    Fast::Unsupported => fit(y, v, opts).map_or([f64::NAN; 4], |f| stats(&f)),
                }
            },
        ));
        reps.append(&mut chunk);
        start = end;
        hooks.report(start, n)?;
    }
    let failed = reps.iter().filter(|r| r[0].is_nan()).count() as u64;
    let mut notes = Vec::new();
    if failed > 0 {
        notes.push(format!(
            "bootstrap: {failed} of {n} refits failed and were left out"
        ));
    }

    // Jackknife values for the BCa acceleration (nonparametric only).
    let jack: Option<Vec<[f64; 4]>> = (b.kind == BootstrapType::Nonparametric)
        .then(|| {
            let mut out: Vec<Option<[f64; 4]>> = Vec::with_capacity(k);
            out.par_extend((0..k).into_par_iter().map_init(
                || (vec![0.0; k - 1], vec![0.0; k - 1], vec![0.0; k - 1]),
                |(y, v, w), i| {
                    for (n, j) in (0..k).filter(|&j| j != i).enumerate() {
                        y[n] = yi[j];
                        v[n] = vi[j];
                    }
                    match intercept_only(y, v, opts, w) {
                        Fast::Done(f) => Some([f.estimate, f.tau2, f.i2, f.h2]),
                        Fast::Failed => None,
                        Fast::Unsupported => fit(y, v, opts).ok().map(|f| stats(&f)),
                    }
                },
            ));
            out.into_iter().collect::<Option<Vec<_>>>()
        })
        .flatten();
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
    let mut sums = Vec::with_capacity(4);
    let mut t: Vec<f64> = Vec::with_capacity(n as usize);
    for s in 0..4 {
        t.clear();
        t.extend(reps.iter().map(|r| r[s]).filter(|x| x.is_finite()));
        let jack_s: Option<Vec<f64>> = jack.as_ref().map(|j| j.iter().map(|r| r[s]).collect());
        let (sum, note) = summarise(&mut t, obs[s], observed.options.level, jack_s.as_deref());
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
    let r = t.len();
    if r == 0 {
        return f64::NAN;
    }
    let rk = (r as f64 + 1.0) * alpha;
    let k = rk.trunc() as usize;
    if k == 0 {
        return t[0];
    }
    if k >= r {
        return t[r - 1];
    }
    if (k as f64) == rk {
        return t[k - 1];
    }
    let z = crate::dist::norm_quantile(alpha);
    let z1 = crate::dist::norm_quantile(k as f64 / (r as f64 + 1.0));
    let z2 = crate::dist::norm_quantile((k as f64 + 1.0) / (r as f64 + 1.0));
    let (tk, tk1) = (t[k - 1], t[k]);
    tk + (z - z1) / (z2 - z1) * (tk1 - tk)
}

/// Monte Carlo SE of the quantile of sorted `t` at probability `q`.
fn quantile_mcse(t: &[f64], q: f64) -> f64 {
    let r = t.len() as f64;
    if t.len() < 2 {
        return f64::NAN;
    }
    let half = 1.96 * (r * q * (1.0 - q)).sqrt();
    let idx = |x: f64| (x.round().max(1.0).min(r) as usize) - 1;
    let lo = idx(r * q - half);
    let hi = idx(r * q + half);
    (t[hi] - t[lo]) / (2.0 * 1.96)
}

pub(crate) fn summarise(
    t: &mut [f64],
    observed: f64,
    level: f64,
    jack: Option<&[f64]>,
) -> (BootSummary, Option<String>) {
    t.sort_by(|a, b| a.total_cmp(b));
    let r = t.len();
    let rf = r as f64;
    let mean = t.iter().sum::<f64>() / rf;
    let var = t.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (rf - 1.0);
    let se = var.sqrt();
    let conf = level / 100.0;
    let (a1, a2) = ((1.0 - conf) / 2.0, (1.0 + conf) / 2.0);
    let percentile = BootInterval {
        lower: norm_inter(t, a1),
        upper: norm_inter(t, a2),
        mcse_lower: quantile_mcse(t, a1),
        mcse_upper: quantile_mcse(t, a2),
    };
    let mut note = None;
    let bca = jack.and_then(|jk| {
        let below = t.iter().filter(|&&x| x < observed).count() as f64;
        let z0 = crate::dist::norm_quantile(below / rf);
        let m = jk.len() as f64;
        let jm = jk.iter().sum::<f64>() / m;
        let l: Vec<f64> = jk.iter().map(|x| (m - 1.0) * (jm - x)).collect();
        let s2: f64 = l.iter().map(|x| x * x).sum();
        let s3: f64 = l.iter().map(|x| x * x * x).sum();
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
        let (b1, b2) = (adj(a1), adj(a2));
        Some(BootInterval {
            lower: norm_inter(t, b1),
            upper: norm_inter(t, b2),
            mcse_lower: quantile_mcse(t, b1),
            mcse_upper: quantile_mcse(t, b2),
        })
    });
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
}
