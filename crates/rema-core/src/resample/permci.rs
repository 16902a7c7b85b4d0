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
//! s is the z (or t) statistic or the coefficient ([`PermutationStat`]). The
//! bound is the root of metafor's objective d(δ) = p(δ) − α/2, multiplied
//! by 10 where negative (metafor's penalty, which pushes the bound towards
//! a p-value of at least α/2).
//!
//! Every evaluation runs the same arrangements: an exact test enumerates
//! them all, and a random test draws them from the same seed (iteration i
//! from stream (seed, i)), so the p-value is a deterministic step function
//! of δ and the bound is reproducible. (metafor draws a new seed from R's
//! generator for each evaluation, so its random-test bounds move from run
//! to run.)
//!
//! **Root finding.** R's `uniroot` as metafor calls it: Brent's `zeroin`
//! (R's `R_zeroin2`, ported step for step) on the search interval, which
//! needs d of opposite signs (or a zero) at its ends. On a step function it
//! converges to a jump of p across α/2 (or to a point where p = α/2
//! exactly), and, where p is not monotone in δ, to the crossing that
//! `uniroot` reaches. The tolerance is [`TOL`] = 1e-10 (absolute, on the
//! coefficient's scale) with at most [`MAX_STEPS`] steps, where metafor uses
//! `tol = .Machine$double.eps^0.25` ≈ 1.2e-4 and 100 steps: metafor's bounds
//! lie within about 1.2e-4 of the jump, rema's within 1e-10, and with
//! `control = list(tol = 1e-10, maxiter = 1000)` metafor's `permutest`
//! takes the same steps as rema (checked in tests/permutest.rs).
//!
//! A bound is `None`, with a note, where metafor reports `NA`: d has the same
//! sign at both ends of the search interval (the test rejects at both, or
//! nowhere), or a refit of the shifted data fails. A search that does not
//! converge in [`MAX_STEPS`] steps gives its last estimate with a note, as
//! `uniroot` gives it with a warning.

use super::permutation::{
    permutest_by, plan, scheme_of, Alternative, Compare, Observed, PermutationOptions,
    PermutationStat,
};
use super::Hooks;
use crate::error::{Error, Result};
use crate::fit::fit_with_moderators;
use crate::roots::{zeroin, Zeroin};

/// The tolerance of the root search (R `uniroot(tol = )`), absolute on the
/// coefficient's scale; metafor's default is `.Machine$double.eps^0.25`
/// ≈ 1.2e-4.
pub const TOL: f64 = 1e-10;

/// The most steps of the root search per bound (R `uniroot(maxiter = )`;
/// metafor's default is 100, at its larger tolerance).
pub const MAX_STEPS: u64 = 1000;

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
    /// The seed of every evaluation's random arrangements.
    pub seed: u64,
    /// Permutation tests run over all the searches.
    pub evaluations: u64,
    /// Why a bound is missing, or how an unusual one was found, one line
    /// each.
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
/// Reached through [`crate::RmaFit::permci`], which has the example.
pub(crate) fn permci(
    model: Observed,
    perm: &PermutationOptions,
    stat: PermutationStat,
    hooks: &Hooks,
) -> Result<PermutationCi> {
    let opts = model.opts;
    let (n, exact) = plan(&scheme_of(model.x), perm.iterations)?;
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
    let p = model.x.cols();
    let inner = Hooks {
        progress: None,
        cancel: hooks.cancel,
    };
    // Progress counts evaluations against a typical 60 per bound.
    let total = 2 * p as u64 * 60;
    let mut search = Search {
        model,
        perm,
        stat,
        hooks,
        inner,
        target: alpha / 2.0,
        evaluations: 0,
        total,
        shifted: vec![0.0; model.yi.len()],
    };
    let mut lower = Vec::with_capacity(p);
    let mut upper = Vec::with_capacity(p);
    let mut notes = Vec::new();
    for (j, c) in model.fit.coefficients.iter().enumerate() {
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
            let (ax, bx) = if far < b { (far, b) } else { (b, far) };
            let found = search.bound(j, alternative, ax, bx)?;
            let bound = match found.bound {
                Ok(v) => Some(v),
                Err(why) => {
                    notes.push(format!(
                        "permutation CI: no {side} bound of coefficient {j}: {why}"
                    ));
                    None
                }
            };
            if let Some(r) = found.remark {
                notes.push(format!(
                    "permutation CI: the {side} bound of coefficient {j}: {r}"
                ));
            }
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
    /// The model fitted to the data before any shift.
    model: Observed<'a>,
    perm: &'a PermutationOptions,
    stat: PermutationStat,
    hooks: &'a Hooks<'a>,
    inner: Hooks<'a>,
    target: f64,
    evaluations: u64,
    total: u64,
    shifted: Vec<f64>,
}

/// What a search gives: the bound, or why there is none, and a remark on
/// how it was found when that departs from the usual case.
struct Found {
    bound: std::result::Result<f64, String>,
    remark: Option<String>,
}

impl Search<'_> {
    /// The one-sided permutation p-value of coefficient j after the shift
    /// `delta`; `Ok(Err)` says why it could not be evaluated. Cancellation
    /// is the outer error.
    fn pval(
        &mut self,
        j: usize,
        alternative: Alternative,
        delta: f64,
    ) -> Result<std::result::Result<f64, String>> {
        let Observed {
            yi, vi, x, opts, ..
        } = self.model;
        for ((s, y), i) in self.shifted.iter_mut().zip(yi).zip(0..) {
            *s = y - delta * x.row(i)[j];
        }
        self.evaluations += 1;
        self.hooks
            .report(self.evaluations.min(self.total - 1), self.total)?;
        let fit = match fit_with_moderators(&self.shifted, vi, x, opts) {
            Ok(f) => f,
            Err(e) => return Ok(Err(format!("the refit at a shift of {delta} failed ({e})"))),
        };
        let cmp = Compare {
            stat: self.stat,
            alternative,
        };
        let shifted = Observed {
            yi: &self.shifted,
            fit: &fit,
            ..self.model
        };
        let t = match permutest_by(shifted, self.perm, cmp, &self.inner) {
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
        Ok(Ok(pval))
    }

    /// metafor's objective: d = p − α/2, multiplied by 10 when negative
    /// (`.permci`).
    fn objective(
        &mut self,
        j: usize,
        alternative: Alternative,
        delta: f64,
    ) -> Result<std::result::Result<f64, String>> {
        Ok(self.pval(j, alternative, delta)?.map(|p| {
            let d = p - self.target;
            if d < 0.0 {
                d * 10.0
            } else {
                d
            }
        }))
    }

    /// The root of the objective on [ax, bx] by R's `uniroot` (Brent's
    /// `zeroin`, R's `R_zeroin2`, step for step) with tolerance [`TOL`]
    /// and at most [`MAX_STEPS`] steps.
    fn bound(&mut self, j: usize, alternative: Alternative, ax: f64, bx: f64) -> Result<Found> {
        let none = |why: String| Found {
            bound: Err(why),
            remark: None,
        };
        let interval = format!("[{ax}, {bx}]");
        if !(ax.is_finite() && bx.is_finite()) || ax >= bx {
            return Ok(none(format!(
                "the search interval {interval} (from the Wald interval) is empty or not finite"
            )));
        }
        let (a, b) = (ax, bx);
        let fa = match self.objective(j, alternative, a)? {
            Ok(v) => v,
            Err(why) => return Ok(none(why)),
        };
        let fb = match self.objective(j, alternative, b)? {
            Ok(v) => v,
            Err(why) => return Ok(none(why)),
        };
        if fa * fb > 0.0 {
            let why = if fa < 0.0 {
                "the test rejects at both ends of"
            } else {
                "the test rejects nowhere from the estimate to the end of"
            };
            return Ok(none(format!(
                "{why} the search interval {interval} (metafor reports NA)"
            )));
        }
        // The objective's two ways to stop: a failure of the fit (an error
        // of the whole call) and a reason this bound has no value.
        enum Stop {
            Fail(Error),
            Why(String),
        }
        let objective = |x: f64| match self.objective(j, alternative, x) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(why)) => Err(Stop::Why(why)),
            Err(e) => Err(Stop::Fail(e)),
        };
        Ok(match zeroin(objective, (a, fa), (b, fb), TOL, MAX_STEPS as usize) {
            Ok(Zeroin::Root(x)) => Found {
                bound: Ok(x),
                remark: None,
            },
            Ok(Zeroin::Unconverged(x)) => Found {
                bound: Ok(x),
                remark: Some(format!(
                    "the root search did not converge in {MAX_STEPS} steps; the last estimate is given (metafor's uniroot warns and does the same)"
                )),
            },
            Err(Stop::Why(why)) => none(why),
            Err(Stop::Fail(e)) => return Err(e),
        })
    }
}
