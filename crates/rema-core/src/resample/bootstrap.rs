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
//! One driver (`replicate`) draws, refits and summarises the bootstrap of
//! any design, this one and the meta-regression's
//! (`resample::bootstrap_mods`); the refits run on the τ² kernel of the
//! design (intercept-only here).
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

use rayon::prelude::*;

use super::refit::{self, CentredModerator, Route};
use super::rng::Stream;
use super::Hooks;
use crate::error::{Error, Result};
use crate::fit::{Fit, FitOptions};
use crate::linalg::Design;
use crate::tau2::kernel::general::Workspace;
use crate::tau2::kernel::one_moderator::OneModerator;

/// How replicates are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BootstrapType {
    /// Resample studies with replacement.
    #[default]
    Nonparametric,
    /// Draw effects from the fitted random-effects model.
    Parametric,
}

choice_names!(
    BootstrapType,
    "bootstrap type",
    /// The type's name (`"nonparametric"`, `"parametric"`); [`FromStr`](std::str::FromStr) also
    /// takes boot's `"ordinary"`.
    ///
    /// ```
    /// use rema_core::resample::bootstrap::BootstrapType;
    /// assert_eq!(BootstrapType::default().name(), "nonparametric");
    /// assert_eq!("ordinary".parse::<BootstrapType>(), Ok(BootstrapType::Nonparametric));
    /// ```
    {
        Nonparametric => "nonparametric" | "ordinary",
        Parametric => "parametric",
    }
);

/// Replicates, seed and type of a bootstrap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BootstrapOptions {
    /// Number of replicates R (boot's `R`), at least 2.
    pub replicates: u64,
    /// The seed; equal seeds give bit-identical results at any thread count.
    pub seed: u64,
    /// How replicates are drawn (boot's `sim`).
    pub kind: BootstrapType,
}

/// A bootstrap confidence interval with the Monte Carlo SE of its bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BootInterval {
    /// Lower bound, on the statistic's scale.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// Monte Carlo SE of the lower bound.
    pub mcse_lower: f64,
    /// Monte Carlo SE of the upper bound.
    pub mcse_upper: f64,
}

/// The bootstrap distribution of one statistic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BootSummary {
    /// The statistic of the observed data (boot's `t0`).
    pub observed: f64,
    /// Replicates with a finite value.
    pub replicates: u64,
    /// Mean of the replicates.
    pub mean: f64,
    /// Bootstrap bias: mean − observed.
    pub bias: f64,
    /// Standard deviation of the replicates (the bootstrap SE).
    pub se: f64,
    /// Monte Carlo SE of the mean.
    pub mcse_mean: f64,
    /// Percentile interval (`boot.ci(type = "perc")`).
    pub percentile: BootInterval,
    /// BCa interval (`boot.ci(type = "bca")`); `None` for the parametric
    /// bootstrap, or when the jackknife is undefined.
    pub bca: Option<BootInterval>,
}

/// A bootstrap of the pooled estimate, τ², I² and H².
///
/// Produced by [`bootstrap()`] (see its example).
#[derive(Debug, Clone, PartialEq)]
pub struct Bootstrap {
    /// Replicates requested.
    pub replicates: u64,
    /// Replicates whose refit failed (left out).
    pub failed: u64,
    /// The seed.
    pub seed: u64,
    /// How replicates were drawn.
    pub kind: BootstrapType,
    /// Confidence level of the intervals, in percent (the model's).
    pub level: f64,
    /// The pooled estimate, on the analysis scale.
    pub estimate: BootSummary,
    /// τ̂².
    pub tau2: BootSummary,
    /// I², in percent.
    pub i2: BootSummary,
    /// H².
    pub h2: BootSummary,
    /// Failed refits and other caveats, in words.
    pub notes: Vec<String>,
}

/// Bootstraps the intercept-only model `observed` of `yi`, `vi`, fitted with
/// `opts`; `hooks` report progress and can cancel.
///
/// ```
/// use rema_core::resample::bootstrap::{bootstrap, BootstrapOptions, BootstrapType};
/// use rema_core::resample::Hooks;
/// use rema_core::{fit, FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// let opts = FitOptions::new(Method::Dl);
/// let observed = fit(&yi, &vi, &opts)?;
/// let b = BootstrapOptions { replicates: 200, seed: 42, kind: BootstrapType::Nonparametric };
/// let boot = bootstrap(&yi, &vi, &opts, &observed, &b, &Hooks::default())?;
/// assert_eq!(boot.estimate.observed, observed.estimate().estimate);
/// assert_eq!(boot.estimate.replicates + boot.failed, 200);
/// assert!((boot.estimate.bias - (boot.estimate.mean - boot.estimate.observed)).abs() < 1e-12);
/// let ci = boot.tau2.percentile;
/// assert!(0.0 <= ci.lower && ci.lower <= ci.upper);
/// // The same seed gives the same numbers.
/// assert_eq!(bootstrap(&yi, &vi, &opts, &observed, &b, &Hooks::default())?, boot);
/// # Ok(())
/// # }
/// ```
pub fn bootstrap(
    yi: &[f64],
    vi: &[f64],
    opts: &FitOptions,
    observed: &Fit,
    b: &BootstrapOptions,
    hooks: &Hooks,
) -> Result<Bootstrap> {
    let k = yi.len();
    check_replicates(b)?;
    if k < 2 {
        return Err(Error::TooFewStudies {
            k,
            needed: 2,
            what: "a bootstrap",
        });
    }
    let shape = Shape {
        whole_rows: false,
        failed_note: |failed, n| {
            format!("bootstrap: {failed} of {n} refits failed and were left out")
        },
        name: |s, _| ["estimate", "tau2", "i2", "h2"][s].to_string(),
    };
    let x = Design::intercept(k);
    let model = Model {
        yi,
        vi,
        x: &x,
        opts,
        observed,
    };
    let r = replicate(&model, b, hooks, &shape)?;
    let [estimate, tau2, i2, h2] = r.summaries[..] else {
        unreachable!("an intercept-only bootstrap has four statistics")
    };
    Ok(Bootstrap {
        replicates: b.replicates,
        failed: r.failed,
        seed: b.seed,
        kind: b.kind,
        level: observed.options.level,
        estimate,
        tau2,
        i2,
        h2,
        notes: r.notes,
    })
}

/// Per-thread buffers of a replicate.
struct Scratch {
    y: Vec<f64>,
    v: Vec<f64>,
    x: Design,
    ws: Workspace,
    out: Vec<f64>,
    w: Vec<f64>,
    /// Gathered centred moderator and ln v (one moderator only).
    xc: Vec<f64>,
    lnv: Vec<f64>,
}

impl Scratch {
    fn new(k: usize, x: &Design) -> Scratch {
        let p = x.cols();
        Scratch {
            y: vec![0.0; k],
            v: vec![0.0; k],
            // The full design (kept as is by the parametric bootstrap), or a
            // buffer for the k − 1 rows of a leave-one-out refit.
            x: if k == x.rows() {
                x.clone()
            } else {
                Design::from_row_major(k, p, vec![0.0; k * p]).unwrap_or_else(|| x.clone())
            },
            ws: Workspace::new(k, p),
            out: vec![0.0; p + 1],
            w: vec![0.0; k],
            xc: vec![0.0; k],
            lnv: vec![0.0; k],
        }
    }
}

/// Refits the model to the data in `s` through `route` and writes β̂, τ̂²,
/// I², H² into `dst` (length p + 3); false when the refit fails.
fn refit(
    s: &mut Scratch,
    opts: &FitOptions,
    route: Route,
    one: Option<&CentredModerator>,
    dst: &mut [f64],
) -> bool {
    let p = s.x.cols();
    let k = s.y.len();
    match (route, one) {
        (Route::OneModerator, Some(one)) => {
            let st = OneModerator {
                y: &s.y,
                v: &s.v,
                x: &s.xc,
                lnv: &s.lnv,
                c: one.c,
            };
            refit::one_moderator(&st, opts, true).is_ok_and(|m| {
                dst.copy_from_slice(&[m.beta[0], m.beta[1], m.tau2, m.i2, m.h2]);
                true
            })
        }
        (Route::InterceptOnly, _) if k >= 2 => refit::intercept_only(&s.y, &s.v, opts, &mut s.w)
            .is_ok_and(|f| {
                dst.copy_from_slice(&[f.estimate, f.tau2, f.i2, f.h2]);
                true
            }),
        (Route::General | Route::OneModerator, _) if k > p => {
            refit::general(&s.y, &s.v, &s.x, opts, &mut s.ws, true, &mut s.out).is_ok_and(|g| {
                dst[..p].copy_from_slice(s.ws.beta());
                dst[p..].copy_from_slice(&[g.tau2, g.i2, g.h2]);
                true
            })
        }
        _ => refit::full(&s.y, &s.v, &s.x, opts).is_ok_and(|f| {
            for (d, c) in dst.iter_mut().zip(&f.coefficients) {
                *d = c.estimate;
            }
            dst[p..].copy_from_slice(&[f.tau2, f.i2, f.h2]);
            true
        }),
    }
}

/// Fills `s` with the studies `pick(0), pick(1), …` (k of them): effect and
/// variance, the rows of the design when `design`, the centred moderator and
/// ln v with `one`. Each branch has its own loop, so that the intercept-only
/// bootstrap copies only what it reads.
#[inline]
fn gather(
    s: &mut Scratch,
    (yi, vi, x): (&[f64], &[f64], &Design),
    design: bool,
    one: Option<&CentredModerator>,
    mut pick: impl FnMut(usize) -> usize,
) {
    let p = x.cols();
    let studies = s.y.iter_mut().zip(s.v.iter_mut()).enumerate();
    if let Some(o) = one {
        for (n, (y, v)) in studies {
            let j = pick(n);
            *y = yi[j];
            *v = vi[j];
            s.xc[n] = o.xc[j];
            s.lnv[n] = o.lnv[j];
        }
    } else if design {
        let data = s.x.data_mut();
        for (n, (y, v)) in studies {
            let j = pick(n);
            *y = yi[j];
            *v = vi[j];
            data[n * p..(n + 1) * p].copy_from_slice(x.row(j));
        }
    } else {
        for (n, (y, v)) in studies {
            let j = pick(n);
            *y = yi[j];
            *v = vi[j];
        }
    }
}

/// A nonparametric draw: k studies with replacement, one `rng.below(k)`
/// per study in order.
fn draw_studies(
    s: &mut Scratch,
    rng: &mut Stream,
    data: (&[f64], &[f64], &Design),
    design: bool,
    one: Option<&CentredModerator>,
) {
    let k = data.0.len() as u64;
    gather(s, data, design, one, |_| rng.below(k) as usize);
}

/// The studies other than `i` (a jackknife data set).
fn leave_one_out(
    s: &mut Scratch,
    data: (&[f64], &[f64], &Design),
    design: bool,
    one: Option<&CentredModerator>,
    i: usize,
) {
    gather(s, data, design, one, |n| if n < i { n } else { n + 1 });
}

/// Refuses fewer than two replicates.
pub(crate) fn check_replicates(b: &BootstrapOptions) -> Result<()> {
    if b.replicates < 2 {
        return Err(Error::InvalidOption {
            option: "bootstrap",
            message: format!("{} replicates; give at least 2", b.replicates),
        });
    }
    Ok(())
}

/// What differs between the bootstrap of the intercept-only model and that
/// of a meta-regression.
pub(crate) struct Shape {
    /// A replicate with any statistic not finite is dropped whole (else
    /// each statistic keeps its finite values).
    pub whole_rows: bool,
    /// The note on `failed` of `n` refits.
    pub failed_note: fn(u64, u64) -> String,
    /// The name of statistic `s` (of p + 3) in notes, for p coefficients.
    pub name: fn(usize, usize) -> String,
}

/// The summaries of a bootstrap (β̂ⱼ, then τ², I², H²), its failed refits and notes.
pub(crate) struct Replicated {
    pub summaries: Vec<BootSummary>,
    pub failed: u64,
    pub notes: Vec<String>,
}

/// A fitted model: the data, design (intercept first) and options of the
/// fit `observed`.
pub(crate) struct Model<'a> {
    pub yi: &'a [f64],
    pub vi: &'a [f64],
    pub x: &'a Design,
    pub opts: &'a FitOptions,
    pub observed: &'a Fit,
}

/// The bootstrap of `model`, for any design: draws the
/// replicates (and, nonparametric, the k leave-one-out refits of the BCa
/// jackknife, as items n..n + k of the same parallel pass), refits each
/// through the kernel of [`Route::of`] and summarises every statistic.
/// The caller has checked `b` and k.
pub(crate) fn replicate(
    model: &Model,
    b: &BootstrapOptions,
    hooks: &Hooks,
    shape: &Shape,
) -> Result<Replicated> {
    let &Model {
        yi,
        vi,
        x,
        opts,
        observed,
    } = model;
    let k = yi.len();
    let p = x.cols();
    let width = p + 3;
    // The fitted values x_i'beta and the marginal SDs of the parametric draw.
    let beta: Vec<f64> = observed.coefficients.iter().map(|c| c.estimate).collect();
    let fitted: Vec<f64> = (0..k)
        .map(|i| x.row(i).iter().zip(&beta).map(|(a, b)| a * b).sum())
        .collect();
    let sd: Vec<f64> = vi.iter().map(|v| (v + observed.tau2).sqrt()).collect();
    let route = Route::of(x, opts);
    let one = if route == Route::OneModerator {
        CentredModerator::new(x, vi)
    } else {
        None
    };
    // Only the general kernel and the general fit read the design.
    let design = matches!(route, Route::General | Route::Fit);
    let n = b.replicates;
    let extra = if b.kind == BootstrapType::Nonparametric {
        k as u64
    } else {
        0
    };
    // Column-major results: column s holds statistic s of replicate i at
    // row i and of leave-one-out refit i at row n + i. Each block writes
    // its own rows of every column, so the order is the index order,
    // whatever the threads, and nothing is copied afterwards.
    let rows = (n + extra) as usize;
    let mut cols = vec![f64::NAN; rows * width];
    let plan = super::Blocks::new(0..n + extra);
    let outs = super::column_blocks(&mut cols, rows, &plan);
    hooks.report(0, n)?;
    super::par_blocks_into(
        &plan,
        n,
        hooks,
        outs,
        || (Scratch::new(k, x), None::<Scratch>, vec![f64::NAN; width]),
        |(s, loo, row), range, mut out| {
            let lo = range.start;
            for idx in range {
                let done = if idx >= n {
                    let s = loo.get_or_insert_with(|| Scratch::new(k - 1, x));
                    let i = (idx - n) as usize;
                    leave_one_out(s, (yi, vi, x), design, one.as_ref(), i);
                    refit(s, opts, route, one.as_ref(), row)
                } else {
                    let mut rng = Stream::new(b.seed, idx);
                    match b.kind {
                        BootstrapType::Nonparametric => {
                            draw_studies(s, &mut rng, (yi, vi, x), design, one.as_ref());
                        }
                        BootstrapType::Parametric => {
                            // The design and the variances stay those observed.
                            s.v.copy_from_slice(vi);
                            if let Some(o) = &one {
                                s.xc.copy_from_slice(&o.xc);
                                s.lnv.copy_from_slice(&o.lnv);
                            }
                            for ((y, f), sd) in s.y.iter_mut().zip(&fitted).zip(&sd) {
                                *y = f + sd * rng.normal();
                            }
                        }
                    }
                    refit(s, opts, route, one.as_ref(), row)
                };
                let ok = done && !(shape.whole_rows && row.iter().any(|d| !d.is_finite()));
                let at = (idx - lo) as usize;
                for (col, v) in out.iter_mut().zip(row.iter()) {
                    col[at] = if ok { *v } else { f64::NAN };
                }
            }
        },
    )?;
    hooks.report(n, n)?;
    let n_rows = n as usize;
    // Leave-one-out values for the BCa acceleration: all or none (a failed
    // refit leaves its whole row NaN).
    let jack_ok = extra > 0 && cols[n_rows..rows].iter().all(|v| !v.is_nan());
    let failed = cols[..n_rows].iter().filter(|v| v.is_nan()).count() as u64;
    let mut notes = Vec::new();
    if failed > 0 {
        notes.push((shape.failed_note)(failed, n));
    }
    match b.kind {
        BootstrapType::Nonparametric if !jack_ok => notes.push(
            "bootstrap: a leave-one-out refit failed, so no BCa intervals (they need the jackknife)"
                .to_string(),
        ),
        BootstrapType::Parametric => notes.push(
            "bootstrap: BCa intervals are not defined for the parametric bootstrap (as boot.ci)"
                .to_string(),
        ),
        _ => {}
    }
    let mut obs = beta;
    obs.extend([observed.tau2, observed.i2, observed.h2]);
    // The statistics are summarised in parallel, each in place in its column.
    let level = observed.options.level;
    let summaries: Vec<(BootSummary, Option<String>)> = cols
        .par_chunks_mut(rows)
        .zip(obs.par_iter())
        .map(|(col, &o)| {
            let (reps, jack) = col.split_at_mut(n_rows);
            let finite = compact_finite(reps);
            summarise(&mut reps[..finite], o, level, jack_ok.then_some(&*jack))
        })
        .collect();
    let mut sums = Vec::with_capacity(width);
    for (s, (sum, note)) in summaries.into_iter().enumerate() {
        if let Some(note) = note {
            notes.push(format!("bootstrap {}: {note}", (shape.name)(s, p)));
        }
        sums.push(sum);
    }
    Ok(Replicated {
        summaries: sums,
        failed,
        notes,
    })
}

/// boot's `norm.inter`: the value at probability `alpha` of sorted `t`.
///
/// ```
/// use rema_core::resample::bootstrap::norm_inter;
/// let mut t = [0.3, 1.2, -0.5, 2.2, 0.9, 1.7, -1.1, 0.1, 0.6, 1.4, 0.4, 0.8, 1.0, -0.2, 0.5, 1.9, 0.7, 1.1, 0.0, 1.3];
/// t.sort_by(f64::total_cmp);
/// // R: boot:::norm.inter(sort(t), c(0.1, 0.9))
/// assert!((norm_inter(&t, 0.1) - -0.465703623924).abs() < 1e-11);
/// assert!((norm_inter(&t, 0.9) - 1.877135749283).abs() < 1e-11);
/// ```
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
