//! A resampling test of residual heterogeneity, H₀: τ² = 0 (beyond metafor,
//! whose `permutest` tests only the coefficients).
//!
//! Under H₀ the studies share the fixed part of the model, yᵢ ~ N(xᵢ'β, vᵢ).
//! No permutation of the data leaves that null invariant while moving τ̂²
//! (sign flips and permutations of standardised residuals leave Q almost
//! unchanged, and vᵢ belongs to its study), so rema uses the parametric
//! version of the same Monte Carlo test: data are drawn from the fitted null,
//! yᵢ* = xᵢ'β̂_FE + √vᵢ·εᵢ, εᵢ ~ N(0, 1), the model is refitted with the same τ²
//! estimator, and the p-value is the share of the `iterations` (the observed
//! data counted as the first, as in metafor's permutation tests) with
//! τ̂²* ≥ τ̂² − comptol. The statistic is the estimator's τ̂² (for DL, a
//! monotone function of Q, so the test reproduces the Q test up to Monte Carlo
//! error; for ML/REML it is a parametric-bootstrap likelihood-based test).

use super::refit::{self, Route};
use super::rng::Stream;
use super::{Hooks, COMPTOL};
use crate::error::{Error, Result};
use crate::fit::{fit_with_moderators, Fit, FitOptions, Test};
use crate::linalg::Design;
use crate::tau2::kernel::general::Workspace;
use crate::tau2::Method;

/// The result of the test of τ² = 0.
///
/// Produced by [`tau2_test`] (see its example).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeterogeneityTest {
    /// The observed τ̂².
    pub tau2: f64,
    /// The Monte Carlo p-value, the observed data counted (≥ 1/iterations).
    pub pval: f64,
    /// Iterations, the observed data included.
    pub iterations: u64,
    /// The seed.
    pub seed: u64,
    /// Refits that failed (left out of the denominator).
    pub failed: u64,
}

/// Tests τ² = 0 in the model `observed` (a random-effects method), with
/// `iterations` ≥ 2 counting the observed data.
///
/// ```
/// use rema_core::resample::{heterogeneity::tau2_test, Hooks};
/// use rema_core::{fit, Design, FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// let opts = FitOptions::new(Method::Dl);
/// let observed = fit(&yi, &vi, &opts)?;
/// let t = tau2_test(&yi, &vi, &Design::intercept(13), &opts, &observed, 500, 1, &Hooks::default())?;
/// // dat.bcg's Q = 152.2 on 12 df (metafor: QEp < 1e-25): no null draw reaches the
/// // observed τ̂², so the p-value is the observed data's own share, 1/500.
/// assert_eq!(t.tau2, observed.tau2);
/// assert_eq!(t.pval, 1.0 / 500.0);
/// # Ok(())
/// # }
/// ```
#[allow(clippy::too_many_arguments)]
pub fn tau2_test(
    yi: &[f64],
    vi: &[f64],
    x: &Design,
    opts: &FitOptions,
    observed: &Fit,
    iterations: u64,
    seed: u64,
    hooks: &Hooks,
) -> Result<HeterogeneityTest> {
    if !opts.method.is_random() {
        return Err(Error::InvalidOption {
            option: "method",
            message: "the test of tau^2 = 0 needs a random-effects method (not FE)".to_string(),
        });
    }
    if iterations < 2 {
        return Err(Error::InvalidOption {
            option: "permutations",
            message: format!("{iterations} iterations; give at least 2"),
        });
    }
    let k = yi.len();
    let fe = fit_with_moderators(
        yi,
        vi,
        x,
        &FitOptions {
            method: Method::Fe,
            test: Test::Z,
            ..*opts
        },
    )?;
    let mean: Vec<f64> = (0..k)
        .map(|i| {
            x.row(i)
                .iter()
                .zip(&fe.coefficients)
                .map(|(x, c)| x * c.estimate)
                .sum()
        })
        .collect();
    let sd: Vec<f64> = vi.iter().map(|v| v.sqrt()).collect();
    let seed_h = seed ^ 0x4865_7465_726F_6765;
    let p = x.cols();
    let route = Route::of(x, opts);

    let obs = observed.tau2;
    // The observed data set counts as the first of the iterations.
    hooks.report(0, iterations)?;
    let blocks = super::par_blocks(
        1..iterations,
        iterations,
        hooks,
        || {
            (
                vec![0.0; k],
                Workspace::new(k, p),
                vec![0.0; p + 1],
                vec![0.0; k],
            )
        },
        |(y, ws, out, w), range| {
            let (mut e, mut v, mut f) = (0u64, 0u64, 0u64);
            for idx in range {
                let mut rng = Stream::new(seed_h, idx);
                for ((y, m), s) in y.iter_mut().zip(&mean).zip(&sd) {
                    *y = m + s * rng.normal();
                }
                let tau2 = match route {
                    Route::InterceptOnly if k >= 2 => {
                        refit::intercept_only(y, vi, opts, w).ok().map(|s| s.tau2)
                    }
                    Route::OneModerator | Route::General if k > p => {
                        refit::general(y, vi, x, opts, ws, false, out)
                            .ok()
                            .map(|s| s.tau2)
                    }
                    _ => refit::full(y, vi, x, opts).ok().map(|r| r.tau2),
                };
                match tau2 {
                    Some(t) => {
                        v += 1;
                        if t >= obs - COMPTOL {
                            e += 1;
                        }
                    }
                    None => f += 1,
                }
            }
            (e, v, f)
        },
    )?;
    let (exceed, valid, failed) = blocks
        .into_iter()
        .fold((1u64, 1u64, 0u64), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
    hooks.report(iterations, iterations)?;
    Ok(HeterogeneityTest {
        tau2: obs,
        pval: exceed as f64 / valid as f64,
        iterations,
        seed,
        failed,
    })
}
