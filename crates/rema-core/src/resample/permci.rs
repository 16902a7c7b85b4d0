//! Confidence intervals by inverting the permutation test, as metafor 3.8
//! `permutest(res, permci = TRUE)` (its internal `.permci`).
//!
//! The interval of coefficient j holds the shifts δ that the permutation
//! test does not reject: the model is refitted to yᵢ − δ·xᵢⱼ (the same
//! estimator, test and control), and that model's one-sided permutation
//! p-value of coefficient j is compared with α/2, α = 1 − level/100
//! (metafor's default `cialt = "one.sided"`):
//!
//! - lower bound: the upper-tail p-value, the share of arrangements with
//!   s* ≥ s − comptol, searched over [β̂ⱼ − 2(β̂ⱼ − ℓⱼ), β̂ⱼ], ℓⱼ the model's
//!   Wald lower bound (metafor's interval, `distfac = 1`);
//! - upper bound: the lower-tail p-value, s* ≤ s + comptol, over
//!   [β̂ⱼ, β̂ⱼ + 2(uⱼ − β̂ⱼ)].
//!
//! s is the z (or t) statistic or the coefficient ([`PermutationStat`]). A
//! shift is rejected when p < α/2; the bound is the boundary between the
//! rejected and the not-rejected shifts, so that the interval holds only
//! shifts with a p-value of at least α/2 (metafor's aim when it multiplies
//! negative differences p − α/2 by 10).
//!
//! Every evaluation runs the same arrangements: an exact test enumerates
//! them all, and a random test draws them from the same seed (iteration i
//! from stream (seed, i)), so the p-value is a deterministic step function
//! of δ and the bound is reproducible. (metafor draws a new seed from R's
//! generator for each evaluation, so its random-test bounds move from run
//! to run.)
//!
//! **Root finding.** The p-value is a step function, so the bound is found
//! by bisection on the predicate "rejected", which keeps a rejected and a
//! not-rejected end and halves the interval between them until it is at
//! most [`BISECTION_TOL`] × the width of the search interval (about 34
//! evaluations per bound); the not-rejected end is returned. metafor uses
//! `uniroot` with `tol = .Machine$double.eps^0.25` ≈ 1.2e-4 (absolute, on the
//! scale of the coefficient), so its bounds lie within about 1.2e-4 of the
//! jump that rema locates to about 1e-10 of the interval's width. When the
//! p-value is not monotone in δ (it need not be for the intercept-only
//! model, whose sign flips depend on δ), bisection finds one crossing, as
//! `uniroot` does.
//!
//! A bound is not found, and is `None` with a note, when the search
//! interval has no change from not rejected to rejected (metafor's
//! `uniroot` then fails and metafor reports `NA`), or when a refit of the
//! shifted data fails.

use super::permutation::{
    permutest_by, plan, scheme_of, Alternative, Compare, PermutationOptions, PermutationStat,
};
use super::Hooks;
use crate::error::{Error, Result};
use crate::fit::{fit_with_moderators, Fit, FitOptions};
use crate::linalg::Design;

/// The bisection stops when the rejected and the not-rejected ends are at
/// most this share of the search interval's width apart.
pub const BISECTION_TOL: f64 = 1e-10;

/// The most bisection steps per bound (the tolerance is reached in 34).
const MAX_STEPS: u64 = 60;

/// Permutation-based confidence intervals of the coefficients.
#[derive(Debug, Clone, PartialEq)]
pub struct PermutationCi {
    /// The lower bound of each coefficient (intercept first); `None` where
    /// none was found (see `notes`).
    pub lower: Vec<Option<f64>>,
    /// The upper bound of each coefficient; `None` where none was found.
    pub upper: Vec<Option<f64>>,
    /// The confidence level, in percent (the model's).
    pub level: f64,
    /// The statistic the inverted test compares.
    pub stat: PermutationStat,
    /// Arrangements per evaluation (with the observed one for a random test).
    pub iterations: u64,
    /// Whether each evaluation is an exact test.
    pub exact: bool,
    pub seed: u64,
    /// Permutation tests run over all the searches.
    pub evaluations: u64,
    /// Why a bound is missing, one line each.
    pub notes: Vec<String>,
}

/// metafor `permutest(res, permci = TRUE, control = list(stat = stat))`: the
/// confidence interval of every coefficient of the model `observed` (fitted
/// to `yi`, `vi` with design `x` and options `opts`) by inverting its
/// permutation test with `perm`'s arrangements, at the model's level (see
/// the module documentation for the algorithm).
///
/// An error when the test has too few arrangements to reject at the level:
/// its one-sided p-value is at least 1/iterations, so a bound needs
/// 1/iterations < α/2. (metafor warns, and keeps the Wald intervals, only
/// when 1/iterations > α; between the two it reports `NA` bounds.)
///
/// ```
/// use rema_core::resample::permci::permci;
/// use rema_core::resample::permutation::{PermutationOptions, PermutationStat};
/// use rema_core::resample::{Hooks, Iterations};
/// use rema_core::{fit, Design, FitOptions, Method};
/// let yi = [0.1, 0.5, 0.2, 0.3, 0.4, 0.25, -0.05];
/// let vi = [0.02, 0.05, 0.03, 0.04, 0.02, 0.03, 0.04];
/// let opts = FitOptions { level: 90.0, ..FitOptions::new(Method::Dl) };
/// let observed = fit(&yi, &vi, &opts)?;
/// let perm = PermutationOptions { iterations: Iterations::Exact, seed: 0 };
/// let ci = permci(&yi, &vi, &Design::intercept(7), &opts, &observed, &perm, PermutationStat::Coef, &Hooks::default())?;
/// let (lo, hi) = (ci.lower[0].unwrap(), ci.upper[0].unwrap());
/// assert!(lo < observed.coefficients[0].estimate && observed.coefficients[0].estimate < hi);
/// # Ok::<(), rema_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn permci(
    yi: &[f64],
    vi: &[f64],
    x: &Design,
    opts: &FitOptions,
    observed: &Fit,
    perm: &PermutationOptions,
    stat: PermutationStat,
    hooks: &Hooks,
) -> Result<PermutationCi> {
    let (n, exact) = plan(&scheme_of(x), perm.iterations)?;
    let alpha = (100.0 - opts.level) / 100.0;
    // The one-sided p-value is at least 1/n (the observed arrangement
    // counts), so a shift can be rejected (p < α/2) only when 1/n < α/2.
    if 1.0 / n as f64 >= alpha / 2.0 {
        let needed = (2.0 / alpha).floor() + 1.0;
        let message = if exact {
            format!(
                "the exact test has {n} arrangements, too few to reject at the {}% level (a bound needs at least {needed}); lower `level` or add studies",
                opts.level
            )
        } else {
            format!(
                "{n} permutations are too few to reject at the {}% level; give at least {needed}",
                opts.level
            )
        };
        return Err(Error::InvalidOption {
            option: "permutations",
            message,
        });
    }
    let p = x.cols();
    let inner = Hooks {
        progress: None,
        cancel: hooks.cancel,
    };
    let total = 2 * p as u64 * (MAX_STEPS + 2);
    let mut search = Search {
        yi,
        vi,
        x,
        opts,
        perm,
        stat,
        hooks,
        inner,
        target: alpha / 2.0,
        evaluations: 0,
        total,
        shifted: vec![0.0; yi.len()],
    };
    let mut lower = Vec::with_capacity(p);
    let mut upper = Vec::with_capacity(p);
    let mut notes = Vec::new();
    for (j, c) in observed.coefficients.iter().enumerate() {
        let b = c.estimate;
        for (alternative, far) in [
            (Alternative::Greater, c.ci_lower - (b - c.ci_lower)),
            (Alternative::Less, c.ci_upper + (c.ci_upper - b)),
        ] {
            let side = if alternative == Alternative::Greater {
                "lower"
            } else {
                "upper"
            };
            let bound = match search.bound(j, alternative, b, far)? {
                Ok(v) => Some(v),
                Err(why) => {
                    notes.push(format!(
                        "permutation CI: no {side} bound of coefficient {j}: {why}"
                    ));
                    None
                }
            };
            if alternative == Alternative::Greater {
                lower.push(bound);
            } else {
                upper.push(bound);
            }
        }
    }
    hooks.report(total, total)?;
    Ok(PermutationCi {
        lower,
        upper,
        level: opts.level,
        stat,
        iterations: n,
        exact,
        seed: perm.seed,
        evaluations: search.evaluations,
        notes,
    })
}

/// The state of the searches: the data, the run and a buffer for the
/// shifted effects.
struct Search<'a> {
    yi: &'a [f64],
    vi: &'a [f64],
    x: &'a Design,
    opts: &'a FitOptions,
    perm: &'a PermutationOptions,
    stat: PermutationStat,
    hooks: &'a Hooks<'a>,
    inner: Hooks<'a>,
    target: f64,
    evaluations: u64,
    total: u64,
    shifted: Vec<f64>,
}

impl Search<'_> {
    /// Whether the test of coefficient j, one-sided by `alternative`,
    /// rejects the shift `delta` (p < α/2); `Ok(Err)` says why it could not
    /// be evaluated. Cancellation is the outer error.
    fn rejected(
        &mut self,
        j: usize,
        alternative: Alternative,
        delta: f64,
    ) -> Result<std::result::Result<bool, String>> {
        for ((s, y), i) in self.shifted.iter_mut().zip(self.yi).zip(0..) {
            *s = y - delta * self.x.row(i)[j];
        }
        self.evaluations += 1;
        self.hooks
            .report(self.evaluations.min(self.total - 1), self.total)?;
        let fit = match fit_with_moderators(&self.shifted, self.vi, self.x, self.opts) {
            Ok(f) => f,
            Err(e) => return Ok(Err(format!("the refit at a shift of {delta} failed ({e})"))),
        };
        let cmp = Compare {
            stat: self.stat,
            alternative,
        };
        let t = match permutest_by(
            &self.shifted,
            self.vi,
            self.x,
            self.opts,
            &fit,
            self.perm,
            cmp,
            &self.inner,
        ) {
            Ok(t) => t,
            Err(e @ Error::Cancelled { .. }) => return Err(e),
            Err(e) => return Ok(Err(format!("the test at a shift of {delta} failed ({e})"))),
        };
        let pval = t.pval[j];
        if pval.is_nan() {
            return Ok(Err(format!(
                "every refit of the test at a shift of {delta} failed"
            )));
        }
        Ok(Ok(pval < self.target))
    }

    /// The boundary between not-rejected shifts (at `near`, the estimate)
    /// and rejected ones (at `far`), by bisection.
    fn bound(
        &mut self,
        j: usize,
        alternative: Alternative,
        near: f64,
        far: f64,
    ) -> Result<std::result::Result<f64, String>> {
        if !(near.is_finite() && far.is_finite()) || near == far {
            return Ok(Err(format!(
                "the search interval [{}, {}] (from the Wald interval) is empty or not finite",
                near.min(far),
                near.max(far)
            )));
        }
        let interval = format!("[{}, {}]", near.min(far), near.max(far));
        match self.rejected(j, alternative, near)? {
            Ok(false) => {}
            Ok(true) => {
                return Ok(Err(format!(
                    "the test rejects the estimate itself, so the search interval {interval} has no boundary"
                )))
            }
            Err(why) => return Ok(Err(why)),
        }
        match self.rejected(j, alternative, far)? {
            Ok(true) => {}
            Ok(false) => {
                return Ok(Err(format!(
                    "the test does not reject at the end of the search interval {interval} (metafor reports NA)"
                )))
            }
            Err(why) => return Ok(Err(why)),
        }
        // `keep` is not rejected, `drop` is.
        let (mut keep, mut drop) = (near, far);
        let tol = BISECTION_TOL * (far - near).abs();
        for _ in 0..MAX_STEPS {
            if (drop - keep).abs() <= tol {
                break;
            }
            let mid = keep + (drop - keep) / 2.0;
            if mid == keep || mid == drop {
                break;
            }
            match self.rejected(j, alternative, mid)? {
                Ok(true) => drop = mid,
                Ok(false) => keep = mid,
                Err(why) => return Ok(Err(why)),
            }
        }
        Ok(Ok(keep))
    }
}
