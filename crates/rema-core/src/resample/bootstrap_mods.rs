//! The bootstrap of a meta-regression (mixed-effects model), as metafor's
//! documented recipe with the `boot` package:
//!
//! - nonparametric (case resampling): the studies — effect, variance and
//!   moderators together — are resampled with replacement and the model
//!   refitted, `boot(dat, function(d, i) { r <- rma(yi, vi, mods = ~ x,
//!   data = d[i, ], method = M); c(coef(r), r$tau2) }, R)`;
//! - parametric: yᵢ* = xᵢ'β̂ + √(vᵢ + τ̂²)·zᵢ with zᵢ ~ N(0, 1), the vᵢ and
//!   the design kept, `boot(..., sim = "parametric", ran.gen = function(d,
//!   mle) { d$yi <- rnorm(k, mle$fitted, sqrt(mle$tau2 + d$vi)); d })`.
//!
//! Each replicate keeps every coefficient β̂ⱼ, the residual τ̂², I² and H²
//! (I² and H² as `rma`: ṽ = (k − p)/tr(P) at the common-effect weights).
//! A resample whose design is rank deficient (e.g. every drawn study has the
//! same moderator value) cannot be fitted: metafor's `rma` stops with an
//! error there, the `try()` of the recipe gives NA, and `boot.ci` drops
//! it; rema counts it in `failed` and leaves it out likewise.
//!
//! Intervals, Monte Carlo SEs and the BCa jackknife are those of
//! [`super::bootstrap`] (percentile by `norm.inter`, BCa with jackknife
//! influence values, not defined for the parametric bootstrap).
//!
//! With one moderator (`mods = ~ x`, FE/DL/ML/REML/EB) the refit is the
//! closed-form one of `one_moderator` (same numbers to 1e-9); otherwise the
//! general allocation-free refit of `fast`, or `fit_with_moderators` (PM).
//!
//! Memory: the replicates of the p + 3 statistics are kept (the percentile
//! and BCa bounds are order statistics of them), nothing else per
//! iteration; the refits reuse one workspace per thread and allocate nothing.

use rayon::prelude::*;

use super::bootstrap::{compact_finite, summarise, BootSummary, BootstrapOptions, BootstrapType};
use super::refit::{self, CentredModerator, Route};
use super::rng::Stream;
use super::Hooks;
use crate::error::{Error, Result};
use crate::fit::{Fit, FitOptions};
use crate::linalg::Design;
use crate::tau2::kernel::general::Workspace;
use crate::tau2::kernel::one_moderator::OneModerator;

/// A bootstrap of a meta-regression: every coefficient, τ², I² and H².
#[derive(Debug, Clone, PartialEq)]
pub struct ModeratorBootstrap {
    pub replicates: u64,
    /// Replicates whose refit failed (rank-deficient resample, no convergence).
    pub failed: u64,
    pub seed: u64,
    pub kind: BootstrapType,
    pub level: f64,
    /// One per column of the design, intercept first.
    pub coefficients: Vec<BootSummary>,
    pub tau2: BootSummary,
    pub i2: BootSummary,
    pub h2: BootSummary,
    pub notes: Vec<String>,
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
    let done = match (route, one) {
        (Route::OneModerator, Some(one)) => {
            let st = OneModerator {
                y: &s.y,
                v: &s.v,
                x: &s.xc,
                lnv: &s.lnv,
                c: one.c,
            };
            refit::one_moderator(&st, opts, true).is_ok_and(|m| {
                dst[0] = m.beta[0];
                dst[1] = m.beta[1];
                dst[2] = m.tau2;
                dst[3] = m.i2;
                dst[4] = m.h2;
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
                dst[p] = g.tau2;
                dst[p + 1] = g.i2;
                dst[p + 2] = g.h2;
                true
            })
        }
        _ => refit::full(&s.y, &s.v, &s.x, opts).is_ok_and(|f| {
            for (d, c) in dst.iter_mut().zip(&f.coefficients) {
                *d = c.estimate;
            }
            dst[p] = f.tau2;
            dst[p + 1] = f.i2;
            dst[p + 2] = f.h2;
            true
        }),
    };
    done && dst.iter().all(|d| d.is_finite())
}

/// Fills `s` with the studies other than `i` (a jackknife data set).
fn leave_one_out(
    s: &mut Scratch,
    yi: &[f64],
    vi: &[f64],
    x: &Design,
    one: Option<&CentredModerator>,
    i: usize,
) {
    let p = x.cols();
    let data = s.x.data_mut();
    for (n, j) in (0..yi.len()).filter(|&j| j != i).enumerate() {
        s.y[n] = yi[j];
        s.v[n] = vi[j];
        data[n * p..(n + 1) * p].copy_from_slice(x.row(j));
        if let Some(o) = one {
            s.xc[n] = o.xc[j];
            s.lnv[n] = o.lnv[j];
        }
    }
}

/// Bootstraps the meta-regression `observed`, fitted to `yi`, `vi` with
/// design `x` (intercept first) and options `opts`.
pub fn bootstrap_moderators(
    yi: &[f64],
    vi: &[f64],
    x: &Design,
    opts: &FitOptions,
    observed: &Fit,
    b: &BootstrapOptions,
    hooks: &Hooks,
) -> Result<ModeratorBootstrap> {
    let k = yi.len();
    let p = x.cols();
    let width = p + 3;
    if b.replicates < 2 {
        return Err(Error::InvalidOption {
            option: "bootstrap",
            message: format!("{} replicates; give at least 2", b.replicates),
        });
    }
    if k < p + 2 {
        return Err(Error::TooFewStudies {
            k,
            needed: p + 2,
            what: "a bootstrap of a meta-regression (k > p + 1)",
        });
    }
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
    let n = b.replicates;
    // The k leave-one-out refits of the BCa jackknife (nonparametric only)
    // run in the same parallel pass as the replicates, as items n..n + k:
    // one fork-join per call.
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
                let ok = if idx >= n {
                    let s = loo.get_or_insert_with(|| Scratch::new(k - 1, x));
                    leave_one_out(s, yi, vi, x, one.as_ref(), (idx - n) as usize);
                    refit(s, opts, route, one.as_ref(), row)
                } else {
                    let mut rng = Stream::new(b.seed, idx);
                    match b.kind {
                        BootstrapType::Nonparametric => {
                            if let Some(o) = &one {
                                for i in 0..k {
                                    let j = rng.below(k as u64) as usize;
                                    s.y[i] = yi[j];
                                    s.v[i] = vi[j];
                                    s.xc[i] = o.xc[j];
                                    s.lnv[i] = o.lnv[j];
                                }
                            } else {
                                let data = s.x.data_mut();
                                for i in 0..k {
                                    let j = rng.below(k as u64) as usize;
                                    s.y[i] = yi[j];
                                    s.v[i] = vi[j];
                                    data[i * p..(i + 1) * p].copy_from_slice(x.row(j));
                                }
                            }
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
                let at = (idx - lo) as usize;
                for (col, v) in out.iter_mut().zip(row.iter()) {
                    col[at] = if ok { *v } else { f64::NAN };
                }
            }
        },
    )?;
    hooks.report(n, n)?;
    let n_rows = n as usize;
    // Leave-one-out values for the BCa acceleration: all or none.
    let jack_ok = extra > 0
        && cols
            .chunks_exact(rows)
            .all(|c| c[n_rows..].iter().all(|v| !v.is_nan()));
    let failed = cols[..n_rows].iter().filter(|v| v.is_nan()).count() as u64;
    let mut notes = Vec::new();
    if failed > 0 {
        notes.push(format!(
            "bootstrap: {failed} of {n} refits failed (rank-deficient resample or no convergence) and were left out, as boot.ci drops NA"
        ));
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
    let mut obs = beta.clone();
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
            let name = match s.checked_sub(p) {
                None => format!("coefficient {}", s + 1),
                Some(0) => "tau2".to_string(),
                Some(1) => "i2".to_string(),
                Some(_) => "h2".to_string(),
            };
            notes.push(format!("bootstrap {name}: {note}"));
        }
        sums.push(sum);
    }
    let h2 = sums.pop().expect("p + 3 statistics");
    let i2 = sums.pop().expect("p + 3 statistics");
    let tau2 = sums.pop().expect("p + 3 statistics");
    Ok(ModeratorBootstrap {
        replicates: n,
        failed,
        seed: b.seed,
        kind: b.kind,
        level: observed.options.level,
        coefficients: sums,
        tau2,
        i2,
        h2,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::fit_with_moderators;
    use crate::tau2::Method;

    fn data(k: usize) -> (Vec<f64>, Vec<f64>, Design) {
        let mut r = Stream::new(11, 0);
        let v: Vec<f64> = (0..k).map(|_| 0.01 + 0.2 * r.next_f64()).collect();
        let xs: Vec<f64> = (0..k).map(|_| 10.0 * r.next_f64()).collect();
        let y = (0..k)
            .map(|i| 0.2 - 0.05 * xs[i] + 0.3 * r.normal() + v[i].sqrt() * r.normal())
            .collect();
        let x = Design::from_row_major(k, 2, xs.iter().flat_map(|&x| [1.0, x]).collect())
            .expect("design");
        (y, v, x)
    }

    /// The bootstrap centres on the observed coefficients and its
    /// replicates do not depend on the number of threads.
    #[test]
    fn thread_count_does_not_change_the_result() {
        let (y, v, x) = data(20);
        for method in [Method::Dl, Method::Reml, Method::Pm] {
            let opts = FitOptions::new(method);
            let obs = fit_with_moderators(&y, &v, &x, &opts).unwrap();
            for kind in [BootstrapType::Nonparametric, BootstrapType::Parametric] {
                let b = BootstrapOptions {
                    replicates: 300,
                    seed: 5,
                    kind,
                };
                let run = |threads| {
                    rayon::ThreadPoolBuilder::new()
                        .num_threads(threads)
                        .build()
                        .unwrap()
                        .install(|| {
                            bootstrap_moderators(&y, &v, &x, &opts, &obs, &b, &Hooks::default())
                                .unwrap()
                        })
                };
                let (one, two) = (run(1), run(2));
                assert_eq!(one, two, "{method} {kind}");
                assert_eq!(one.coefficients.len(), 2);
                let slope = &one.coefficients[1];
                assert!(
                    (slope.mean - slope.observed).abs() < 4.0 * slope.se,
                    "{method} {kind}: {slope:?}"
                );
                assert_eq!(kind == BootstrapType::Parametric, slope.bca.is_none());
            }
        }
    }

    #[test]
    fn too_few_studies_is_an_error() {
        let (y, v, x) = data(3);
        let opts = FitOptions::new(Method::Dl);
        let obs = fit_with_moderators(&y, &v, &x, &opts).unwrap();
        let b = BootstrapOptions {
            replicates: 10,
            seed: 1,
            kind: BootstrapType::Nonparametric,
        };
        assert!(matches!(
            bootstrap_moderators(&y, &v, &x, &opts, &obs, &b, &Hooks::default()),
            Err(Error::TooFewStudies { .. })
        ));
    }
}
