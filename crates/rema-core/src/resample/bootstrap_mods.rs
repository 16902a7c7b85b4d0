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
//! The draws, the refits and the summaries are the bootstrap driver of
//! [`super::bootstrap`], which serves every design: with one moderator
//! (`mods = ~ x`, FE/DL/ML/REML/EB/PM) the refit runs on the closed-form
//! one-moderator kernel (same numbers to 1e-9), otherwise on the general
//! kernel. Unlike the intercept-only bootstrap, a replicate with any
//! statistic not finite is left out whole.
//!
//! Memory: the replicates of the p + 3 statistics are kept (the percentile
//! and BCa bounds are order statistics of them), nothing else per
//! iteration; the refits reuse one workspace per thread and allocate nothing.

use super::bootstrap::{
    check_replicates, replicate, BootSummary, BootstrapOptions, BootstrapType, Model, Shape,
};
use super::Hooks;
use crate::error::{Error, Result};
use crate::fit::{Fit, FitOptions};
use crate::linalg::Design;

/// A bootstrap of a meta-regression: every coefficient, τ², I² and H².
#[derive(Debug, Clone, PartialEq)]
///
/// Produced by [`bootstrap_moderators`] (see its example).
pub struct ModeratorBootstrap {
    /// Replicates requested.
    pub replicates: u64,
    /// Replicates whose refit failed (rank-deficient resample, no convergence).
    pub failed: u64,
    /// The seed.
    pub seed: u64,
    /// How replicates were drawn.
    pub kind: BootstrapType,
    /// Confidence level of the intervals, in percent (the model's).
    pub level: f64,
    /// One per column of the design, intercept first.
    pub coefficients: Vec<BootSummary>,
    /// The residual τ̂².
    pub tau2: BootSummary,
    /// I² (residual), in percent.
    pub i2: BootSummary,
    /// H² (residual).
    pub h2: BootSummary,
    /// Failed refits and other caveats, in words.
    pub notes: Vec<String>,
}

/// Bootstraps the meta-regression `observed`, fitted to `yi`, `vi` with
/// design `x` (intercept first) and options `opts`.
///
/// ```
/// use rema_core::resample::bootstrap::{BootstrapOptions, BootstrapType};
/// use rema_core::resample::{bootstrap_mods::bootstrap_moderators, Hooks};
/// use rema_core::{fit_with_moderators, Design, FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// let ablat = [44., 55., 42., 52., 13., 44., 19., 13., 27., 42., 18., 33., 33.];
/// let x = Design::from_row_major(13, 2, ablat.iter().flat_map(|&a| [1.0, a]).collect()).unwrap();
/// let opts = FitOptions::new(Method::Reml);
/// let observed = fit_with_moderators(&yi, &vi, &x, &opts)?;
/// let b = BootstrapOptions { replicates: 100, seed: 7, kind: BootstrapType::Parametric };
/// let boot = bootstrap_moderators(&yi, &vi, &x, &opts, &observed, &b, &Hooks::default())?;
/// assert_eq!(boot.coefficients.len(), 2);
/// assert_eq!(boot.coefficients[1].observed, observed.coefficients[1].estimate);
/// assert!(boot.coefficients[1].bca.is_none()); // BCa is not defined for the parametric bootstrap
/// # Ok(())
/// # }
/// ```
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
    check_replicates(b)?;
    if k < p + 2 {
        return Err(Error::TooFewStudies {
            k,
            needed: p + 2,
            what: "a bootstrap of a meta-regression (k > p + 1)",
        });
    }
    let shape = Shape {
        whole_rows: true,
        failed_note: |failed, n| {
            format!(
            "bootstrap: {failed} of {n} refits failed (rank-deficient resample or no convergence) and were left out, as boot.ci drops NA"
        )
        },
        name: |s, p| match s.checked_sub(p) {
            None => format!("coefficient {}", s + 1),
            Some(0) => "tau2".to_string(),
            Some(1) => "i2".to_string(),
            Some(_) => "h2".to_string(),
        },
    };
    let model = Model {
        yi,
        vi,
        x,
        opts,
        observed,
    };
    let r = replicate(&model, b, hooks, &shape)?;
    let mut sums = r.summaries;
    let h2 = sums.pop().expect("p + 3 statistics");
    let i2 = sums.pop().expect("p + 3 statistics");
    let tau2 = sums.pop().expect("p + 3 statistics");
    Ok(ModeratorBootstrap {
        replicates: b.replicates,
        failed: r.failed,
        seed: b.seed,
        kind: b.kind,
        level: observed.options.level,
        coefficients: sums,
        tau2,
        i2,
        h2,
        notes: r.notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::fit_with_moderators;
    use crate::resample::rng::Stream;
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
