//! The fitted model, as metafor's `rma` object: the data and the options are
//! checked once, when the model is fitted, and every follow-up is a method
//! of the fitted model that takes nothing it already knows.
//!
//! ```
//! use rema_core::{Error, Level, Method, Rma, Studies, Test};
//! let studies = Studies::new(&[-0.89, -1.59, -1.35, -1.44, -0.22], &[0.33, 0.19, 0.42, 0.02, 0.05])?;
//! let fit = Rma::new(Method::Reml).test(Test::Knha).level(Level::new(95.0)?).fit(&studies)?;
//! let average = fit.predict()[0];          // metafor predict(res)
//! let ci = fit.confint()?;                 // confint(res)
//! let loo = fit.leave_one_out()?;          // leave1out(res)
//! assert!(average.pi_lower <= average.ci_lower && ci.tau2_lower <= fit.fit().tau2);
//! assert_eq!(loo.len(), 5);
//! # Ok::<(), Error>(())
//! ```
//!
//! | rema | metafor 3.8 |
//! |---|---|
//! | [`Rma::fit`], [`Rma::fit_mods`] | `rma(yi, vi, mods, method, test, level, control)` |
//! | [`RmaFit::predict`], [`RmaFit::predict_new`] | `predict(res)`, `predict(res, newmods = …)` |
//! | [`RmaFit::confint`] | `confint(res)` (Q-profile) |
//! | [`RmaFit::profile_ci`] | `confint(res, type = "PL")` |
//! | [`RmaFit::vcov`], [`RmaFit::fit_stats`], [`RmaFit::se_tau2`] | `vcov(res)`, `fitstats(res)` (`logLik`, `deviance`, `AIC`, `BIC`, `AICc`), `res$se.tau2` |
//! | [`RmaFit::fitted`], [`RmaFit::rstandard`], [`RmaFit::blup`] | `fitted(res)`, `rstandard(res)`, `blup(res)` |
//! | [`RmaFit::influence`] | `influence(res)` |
//! | [`RmaFit::leave_one_out`] | `leave1out(res)`; with moderators, `rma(…, subset = -i)` for each i |
//! | [`RmaFit::cumulative`] | `cumul(res, order)` (no moderators, as metafor) |
//! | [`RmaFit::permutest`], [`RmaFit::permutest_with`] | `permutest(res, iter, exact)`, `permutest(res, control = list(stat = "coef"))` |
//! | [`RmaFit::permci`] | `permutest(res, permci = TRUE)` |
//! | [`RmaFit::bootstrap`] | metafor's `boot` recipes, any design |
//! | [`RmaFit::tau2_test`] | beyond metafor: a Monte Carlo test of τ² = 0 |
//! | [`RmaFit::subgroups`], [`RmaFit::permutest_subgroups`] | `rma(…, subset = g == level)` per level; beyond metafor: a permutation test of Q_between |
//! | [`RmaFit::egger`], [`RmaFit::rank_correlation`], [`RmaFit::trim_and_fill`] | `regtest(res)`, `ranktest(res)`, `trimfill(res)` |
//!
//! The free functions ([`crate::fit_with_moderators`], [`crate::q_profile`],
//! [`crate::influence()`], …) remain; the methods call them.

mod input;
mod likelihood;
mod predict;
mod resampling;
mod residuals;

pub use input::{Level, Studies};
pub use likelihood::FitStats;
pub use predict::TransformedPrediction;
pub use resampling::{Resampling, ResamplingKind};
pub use residuals::{Blup, StandardizedResidual};

use crate::bias::{EggerTest, RankTest, Side, TrimFill};
use crate::confint::HeterogeneityCi;
use crate::cumulative::CumulativeStep;
use crate::error::{Error, Result};
use crate::fit::{fit_with_moderators, Fit, FitOptions, Prediction, Test};
use crate::influence::StudyInfluence;
use crate::leave_one_out::{single_study_options, LeaveOneOutFit};
use crate::linalg::Design;
use crate::resample::bootstrap::Bootstrap;
use crate::resample::bootstrap_mods::ModeratorBootstrap;
use crate::resample::heterogeneity::HeterogeneityTest;
use crate::resample::permci::PermutationCi;
use crate::resample::permutation::{Observed, PermutationStat, PermutationTest, StatisticTest};
use crate::resample::Hooks;
use crate::subgroup::Subgroups;
use crate::tau2::{Control, Method};

/// What a model is fitted with: the τ² estimator, the test of the
/// coefficients, the confidence level and the iteration control. Built in
/// metafor's vocabulary, with metafor's defaults (REML, z, 95%).
///
/// ```
/// use rema_core::{Error, Level, Method, Rma, Studies, Test};
/// let studies = Studies::new(&[0.1, 0.3, 0.35, 0.2], &[0.01, 0.02, 0.015, 0.03])?;
/// let rma = Rma::new(Method::Dl).test(Test::Knha).level(Level::new(0.9)?);
/// assert_eq!(rma.options().level, 90.0);
/// let fit = rma.fit(&studies)?;
/// assert_eq!(fit.fit().df, Some(3.0));
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rma {
    options: FitOptions,
}

impl Rma {
    /// The model with τ² estimator `method`, the z test and the 95% level.
    pub fn new(method: Method) -> Rma {
        Rma {
            options: FitOptions::new(method),
        }
    }

    /// The model of existing options; they are checked when it is fitted.
    pub fn with_options(options: FitOptions) -> Rma {
        Rma { options }
    }

    /// The test of the coefficients (metafor `test`).
    pub fn test(self, test: Test) -> Rma {
        Rma {
            options: FitOptions {
                test,
                ..self.options
            },
        }
    }

    /// The confidence level (metafor `level`).
    pub fn level(self, level: Level) -> Rma {
        Rma {
            options: FitOptions {
                level: level.percent(),
                ..self.options
            },
        }
    }

    /// The iteration control of the τ² estimator (metafor `control`).
    pub fn control(self, control: Control) -> Rma {
        Rma {
            options: FitOptions {
                control,
                ..self.options
            },
        }
    }

    /// The options as the free functions take them.
    pub fn options(&self) -> &FitOptions {
        &self.options
    }

    /// Fits the intercept-only model (metafor `rma(yi, vi)`).
    ///
    /// ```
    /// use rema_core::{Error, Method, Rma, Studies};
    /// let studies = Studies::new(&[0.1, 0.3, 0.35], &[0.01, 0.02, 0.015])?;
    /// let fit = Rma::new(Method::Fe).fit(&studies)?;
    /// assert!(fit.is_intercept_only() && fit.fit().tau2 == 0.0);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn fit(&self, studies: &Studies) -> Result<RmaFit> {
        self.fit_mods(studies, &Design::intercept(studies.len()))
    }

    /// Fits the meta-regression with model matrix `x`: one row per study,
    /// one column per coefficient, the intercept column (of ones) included
    /// when the model has one (metafor `rma(yi, vi, mods = x, intercept =
    /// FALSE)`). Every moderator value must be finite.
    ///
    /// ```
    /// use rema_core::{Design, Error, Method, Rma, Studies};
    /// let studies = Studies::new(&[0.1, 0.3, 0.35, 0.6], &[0.01, 0.02, 0.015, 0.02])?;
    /// let x = Design::from_row_major(4, 2, vec![1.0, 1.0, 1.0, 2.0, 1.0, 3.0, 1.0, 4.0]).unwrap();
    /// let fit = Rma::new(Method::Reml).fit_mods(&studies, &x)?;
    /// assert_eq!(fit.fit().coefficients.len(), 2);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn fit_mods(&self, studies: &Studies, x: &Design) -> Result<RmaFit> {
        if x.cols() == 0 {
            return Err(Error::InvalidOption {
                option: "mods",
                message: "the model matrix has no columns; give at least the intercept".to_string(),
            });
        }
        if x.rows() == studies.len() {
            x.check_finite()?;
        }
        let fit = fit_with_moderators(studies.yi(), studies.vi(), x, &self.options)?;
        Ok(RmaFit {
            studies: studies.clone(),
            x: x.clone(),
            fit,
        })
    }
}

/// A fitted model: the studies, the model matrix and the [`Fit`], so that
/// every follow-up (prediction, intervals, diagnostics, resampling and the
/// small-study tests) is a method that takes nothing it already knows.
/// Made by [`Rma::fit`] or [`Rma::fit_mods`].
#[derive(Debug, Clone, PartialEq)]
pub struct RmaFit {
    studies: Studies,
    x: Design,
    fit: Fit,
}

impl From<Bootstrap> for ModeratorBootstrap {
    /// The bootstrap of an intercept-only model in the shape of any design:
    /// its one coefficient is the pooled estimate.
    fn from(b: Bootstrap) -> ModeratorBootstrap {
        ModeratorBootstrap {
            replicates: b.replicates,
            failed: b.failed,
            seed: b.seed,
            kind: b.kind,
            level: b.level,
            coefficients: vec![b.estimate],
            tau2: b.tau2,
            i2: b.i2,
            h2: b.h2,
            notes: b.notes,
        }
    }
}

impl RmaFit {
    /// The estimates: coefficients, τ², heterogeneity, tests and weights.
    pub fn fit(&self) -> &Fit {
        &self.fit
    }

    /// The estimates, giving up the data.
    pub fn into_fit(self) -> Fit {
        self.fit
    }

    /// The studies the model was fitted to.
    pub fn studies(&self) -> &Studies {
        &self.studies
    }

    /// metafor `vcov(res)`: Var(β̂), p × p, in the order of the
    /// coefficients (scaled by s²_w under Knapp–Hartung).
    ///
    /// ```
    /// use rema_core::{Error, Method, Rma, Studies};
    /// let fit = Rma::new(Method::Fe).fit(&Studies::new(&[0.1, 0.3], &[1.0, 1.0])?)?;
    /// assert_eq!(fit.vcov().get(0, 0), 0.5);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn vcov(&self) -> &crate::linalg::SymMatrix {
        &self.fit.vb
    }

    /// The model matrix (a column of ones for the intercept-only model).
    pub fn design(&self) -> &Design {
        &self.x
    }

    /// The options the model was fitted with.
    pub fn options(&self) -> &FitOptions {
        &self.fit.options
    }

    /// True for the intercept-only model (metafor `int.only`).
    pub fn is_intercept_only(&self) -> bool {
        self.x.is_intercept_only()
    }

    /// True when the first column of the model matrix is the intercept.
    fn has_intercept(&self) -> bool {
        (0..self.x.rows()).all(|i| self.x.row(i)[0] == 1.0)
    }

    fn yi(&self) -> &[f64] {
        self.studies.yi()
    }

    fn vi(&self) -> &[f64] {
        self.studies.vi()
    }

    /// The model as the permutation tests refit it.
    fn observed(&self) -> Observed<'_> {
        Observed {
            yi: self.yi(),
            vi: self.vi(),
            x: &self.x,
            opts: &self.fit.options,
            fit: &self.fit,
        }
    }

    /// metafor `predict(res)`: for the intercept-only model the average
    /// effect (one prediction), otherwise the fitted value xᵢ'β̂ of each of
    /// the k studies, each with its confidence and prediction interval
    /// (see [`Fit::predict`]).
    ///
    /// ```
    /// use rema_core::{Error, Method, Rma, Studies};
    /// let studies = Studies::new(&[0.1, 0.3, 0.35], &[0.01, 0.02, 0.015])?;
    /// let p = Rma::new(Method::Dl).fit(&studies)?.predict();
    /// assert_eq!(p.len(), 1);
    /// assert!(p[0].pi_lower <= p[0].ci_lower);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn predict(&self) -> Vec<Prediction> {
        if self.is_intercept_only() {
            vec![self.fit.prediction()]
        } else {
            (0..self.x.rows())
                .map(|i| self.fit.predict(self.x.row(i)))
                .collect()
        }
    }

    /// metafor `predict(res, newmods = x0)`: the prediction at new moderator
    /// values, x₀'β̂ with SE √(x₀'Var(β̂)x₀), the confidence interval
    /// x₀'β̂ ± c·SE and the prediction interval x₀'β̂ ± c·√(SE² + τ̂²), c the
    /// normal quantile, or the t(k − p) quantile under Knapp–Hartung.
    ///
    /// `newmods` holds either the p − 1 moderator values of a model with an
    /// intercept (the intercept is added, as metafor's `intercept = TRUE`)
    /// or a full row of the model matrix (p values). A model without
    /// moderators has none to give (metafor refuses too).
    ///
    /// ```
    /// use rema_core::{Design, Error, Method, Rma, Studies};
    /// let studies = Studies::new(&[0.1, 0.3, 0.35, 0.6], &[0.01, 0.02, 0.015, 0.02])?;
    /// let x = Design::from_row_major(4, 2, vec![1.0, 1.0, 1.0, 2.0, 1.0, 3.0, 1.0, 4.0]).unwrap();
    /// let fit = Rma::new(Method::Reml).fit_mods(&studies, &x)?;
    /// let at5 = fit.predict_new(&[5.0])?;
    /// assert_eq!(at5, fit.predict_new(&[1.0, 5.0])?);
    /// let b = &fit.fit().coefficients;
    /// assert!((at5.pred - (b[0].estimate + 5.0 * b[1].estimate)).abs() < 1e-12);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn predict_new(&self, newmods: &[f64]) -> Result<Prediction> {
        let p = self.x.cols();
        if self.is_intercept_only() {
            return Err(Error::InvalidOption {
                option: "newmods",
                message: "the model has no moderators to give new values for; predict() gives the average effect".to_string(),
            });
        }
        if let Some(&v) = newmods.iter().find(|v| !v.is_finite()) {
            return Err(Error::InvalidOption {
                option: "newmods",
                message: format!("{v} is not a finite moderator value"),
            });
        }
        let x0: Vec<f64> = if newmods.len() == p {
            newmods.to_vec()
        } else if newmods.len() + 1 == p && self.has_intercept() {
            std::iter::once(1.0)
                .chain(newmods.iter().copied())
                .collect()
        } else {
            let moderators = if self.has_intercept() {
                format!(
                    "the {} moderator values (the intercept is added) or ",
                    p - 1
                )
            } else {
                String::new()
            };
            return Err(Error::InvalidOption {
                option: "newmods",
                message: format!(
                    "{} values for a model with {p} coefficients; give {moderators}a full row of {p} values",
                    newmods.len()
                ),
            });
        };
        Ok(self.fit.predict(&x0))
    }

    /// metafor `confint(res)`: the Q-profile intervals of τ², I² and H² at
    /// the model's level (see [`crate::q_profile`]).
    ///
    /// ```
    /// use rema_core::{Error, Method, Rma, Studies};
    /// let studies = Studies::new(&[0.1, 0.5, -0.2, 0.3], &[0.02, 0.05, 0.03, 0.04])?;
    /// let fit = Rma::new(Method::Reml).fit(&studies)?;
    /// let ci = fit.confint()?;
    /// assert!(ci.tau2_lower <= fit.fit().tau2 && fit.fit().tau2 <= ci.tau2_upper);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn confint(&self) -> Result<HeterogeneityCi> {
        crate::confint::q_profile(self.yi(), self.vi(), &self.x, &self.fit)
    }

    /// metafor `influence(res)`: hat values, studentised residuals, DFFITS,
    /// DFBETAS, Cook's distances, covariance ratios, τ̂² and Q without each
    /// study, refitting the model with its moderators, X₍₋ᵢ₎ (see
    /// [`crate::influence()`]).
    ///
    /// ```
    /// use rema_core::{Error, Method, Rma, Studies};
    /// let studies = Studies::new(&[0.1, 0.12, 0.09, 0.11, 1.5], &[0.01, 0.012, 0.011, 0.01, 0.01])?;
    /// let inf = Rma::new(Method::Fe).fit(&studies)?.influence()?;
    /// assert!(inf[4].influential);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn influence(&self) -> Result<Vec<StudyInfluence>> {
        crate::influence::influence(self.yi(), self.vi(), &self.x, &self.fit)
    }

    /// Leave-one-out: the model refitted k times, each time without one
    /// study, with the same estimator, test, level, control and moderators
    /// (the rows X₍₋ᵢ₎), as metafor's `leave1out(res)` for the
    /// intercept-only model and `rma(yi, vi, mods = X, subset = -i)` for a
    /// meta-regression, whose `leave1out()` metafor refuses. A refit that
    /// fails (a moderator left constant, too few studies) keeps its error,
    /// where metafor reports `NA`. As metafor's `rma()`, a refit to a single
    /// study uses the z test when Knapp–Hartung was asked for.
    ///
    /// ```
    /// use rema_core::{Error, Method, Rma, Studies};
    /// let studies = Studies::new(&[0.1, 0.5, -0.2, 0.3], &[0.02, 0.05, 0.03, 0.04])?;
    /// let loo = Rma::new(Method::Reml).fit(&studies)?.leave_one_out()?;
    /// let without_2nd = loo[1].fit.as_ref().unwrap();
    /// assert_eq!((loo[1].omitted, without_2nd.k), (1, 3));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn leave_one_out(&self) -> Result<Vec<LeaveOneOutFit>> {
        let k = self.studies.len();
        if k < 2 {
            return Err(Error::TooFewStudies {
                k,
                needed: 2,
                what: "leave-one-out analysis",
            });
        }
        let opts = single_study_options(&self.fit.options, k - 1);
        let (yi, vi) = (self.yi(), self.vi());
        let mut y = Vec::with_capacity(k - 1);
        let mut v = Vec::with_capacity(k - 1);
        Ok((0..k)
            .map(|i| {
                let keep: Vec<usize> = (0..k).filter(|&j| j != i).collect();
                y.clear();
                v.clear();
                y.extend(keep.iter().map(|&j| yi[j]));
                v.extend(keep.iter().map(|&j| vi[j]));
                LeaveOneOutFit {
                    omitted: i,
                    fit: fit_with_moderators(&y, &v, &self.x.select_rows(&keep), &opts),
                }
            })
            .collect())
    }

    /// metafor `cumul(res, order)`: the model fitted to the first 1, 2, …,
    /// k studies of `order`, a permutation of 0..k (see
    /// [`crate::stable_order`] to sort by a key). Only for the model without
    /// moderators, as metafor: the first steps of a meta-regression would
    /// have fewer studies than coefficients.
    ///
    /// ```
    /// use rema_core::{Error, Method, Rma, Studies};
    /// let studies = Studies::new(&[0.1, 0.5, -0.2], &[0.02, 0.05, 0.03])?;
    /// let steps = Rma::new(Method::Dl).fit(&studies)?.cumulative(&[2, 0, 1])?;
    /// assert_eq!(steps[0].added, 2);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn cumulative(&self, order: &[usize]) -> Result<Vec<CumulativeStep>> {
        self.without_moderators(
            "a cumulative meta-analysis is defined for the model without moderators only (as metafor's cumul()): its first steps would have fewer studies than coefficients",
        )?;
        crate::cumulative::cumulative(self.yi(), self.vi(), order, &self.fit.options)
    }

    /// metafor `profile(res)`: the (restricted, for REML) log-likelihood at
    /// each τ² of `tau2`, the coefficients profiled out (see
    /// [`crate::profile`]).
    ///
    /// ```
    /// use rema_core::{Error, Method, Rma, Studies};
    /// let studies = Studies::new(&[0.1, 0.5, -0.2, 0.3], &[0.02, 0.05, 0.03, 0.04])?;
    /// let fit = Rma::new(Method::Reml).fit(&studies)?;
    /// let t = fit.fit().tau2;
    /// let ll = fit.profile_tau2(&[0.5 * t, t, 2.0 * t])?;
    /// assert!(ll[1] >= ll[0] && ll[1] >= ll[2]); // the maximum is at the estimate
    /// # Ok::<(), Error>(())
    /// ```
    pub fn profile_tau2(&self, tau2: &[f64]) -> Result<Vec<f64>> {
        crate::profile::profile_tau2(self.yi(), self.vi(), &self.x, self.fit.options.method, tau2)
    }

    /// metafor `gosh(res, subsets)`: the model refitted to every subset of
    /// the studies, or to a random sample of subsets, each fit handed to
    /// `sink` in blocks in index order (see [`crate::resample::gosh`]). With
    /// moderators, the subsets of at least p studies, every coefficient in
    /// [`crate::resample::gosh::Block::coefficients`], and the rows'
    /// estimate (which the study summary follows) the first moderator's
    /// coefficient (see [`RmaFit::gosh_following`]).
    ///
    /// ```
    /// use rema_core::resample::{gosh::Subsets, Hooks};
    /// use rema_core::{Error, Method, Rma, Studies};
    /// let studies = Studies::new(&[0.1, 0.5, -0.2, 0.3], &[0.02, 0.05, 0.03, 0.04])?;
    /// let fit = Rma::new(Method::Reml).fit(&studies)?;
    /// let mut last = None;
    /// let run = fit.gosh(Subsets::All { max_size: None }, &Hooks::default(), &mut |b| {
    ///     last = b.fits().last().copied();
    ///     Ok(())
    /// })?;
    /// // The last subset is every study: the model itself.
    /// assert_eq!(run.count, 15);
    /// assert_eq!(last.unwrap().tau2, fit.fit().tau2);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn gosh(
        &self,
        subsets: crate::resample::gosh::Subsets,
        hooks: &Hooks,
        sink: &mut dyn FnMut(&crate::resample::gosh::Block) -> Result<()>,
    ) -> Result<crate::resample::gosh::Gosh> {
        let focus = usize::from(self.x.cols() > 1 && self.x.has_intercept());
        self.gosh_following(subsets, focus, hooks, sink)
    }

    /// [`RmaFit::gosh`] with the rows' estimate (and the study summary)
    /// following coefficient `focus` (0-based, intercept first) of a model
    /// with moderators; 0 for the model without.
    pub fn gosh_following(
        &self,
        subsets: crate::resample::gosh::Subsets,
        focus: usize,
        hooks: &Hooks,
        sink: &mut dyn FnMut(&crate::resample::gosh::Block) -> Result<()>,
    ) -> Result<crate::resample::gosh::Gosh> {
        crate::resample::gosh::gosh_with_moderators(
            self.yi(),
            self.vi(),
            &self.x,
            &self.fit.options,
            subsets,
            focus,
            hooks,
            sink,
        )
    }

    /// metafor `permutest(res)`: the permutation test of the z (or t)
    /// statistic of every coefficient and of the omnibus QM, with `run`
    /// random or exact permutations (see
    /// [`crate::resample::permutation::permutest`]), and nothing more: the
    /// test of τ² = 0 is [`RmaFit::tau2_test`]. Sign flips for the
    /// intercept-only model, permuted rows of X for a meta-regression;
    /// [`RmaFit::permutest_with`] compares the coefficients instead.
    ///
    /// ```
    /// use rema_core::resample::Hooks;
    /// use rema_core::{Error, Method, Resampling, Rma, Studies};
    /// let studies = Studies::new(&[0.1, 0.5, 0.2, 0.3, 0.4], &[0.02, 0.05, 0.03, 0.04, 0.02])?;
    /// let fit = Rma::new(Method::Dl).fit(&studies)?;
    /// let t = fit.permutest(&Resampling::exact(), &Hooks::default())?;
    /// assert!(t.exact && t.iterations == 32); // 2^5 sign vectors
    /// # Ok::<(), Error>(())
    /// ```
    pub fn permutest(&self, run: &Resampling, hooks: &Hooks) -> Result<PermutationTest> {
        self.permutest_with(run, PermutationStat::Test, hooks)
    }

    /// metafor `permutest(res, iter, exact, control = list(stat = stat))`:
    /// the permutation test with the statistic `stat` compared per
    /// coefficient, two-sided — the z (or t) statistic
    /// ([`PermutationStat::Test`], what [`RmaFit::permutest`] runs) or the
    /// coefficient itself ([`PermutationStat::Coef`]; Follmann & Proschan
    /// 1999): p_j = #{arrangements with |s_j*| ≥ |s_j| − comptol} / #arrangements.
    /// The omnibus p-value compares QM either way, as metafor's (see
    /// `resample::permutation`).
    ///
    /// ```
    /// use rema_core::resample::Hooks;
    /// use rema_core::{Error, Method, PermutationStat, Resampling, Rma, Studies};
    /// let studies = Studies::new(&[0.1, 0.5, 0.2, 0.3, -0.4], &[0.02, 0.05, 0.03, 0.04, 0.02])?;
    /// let fit = Rma::new(Method::Dl).fit(&studies)?;
    /// let t = fit.permutest_with(&Resampling::exact(), PermutationStat::Coef, &Hooks::default())?;
    /// assert_eq!((t.iterations, t.stat), (32, PermutationStat::Coef));
    /// assert_eq!(t.qm_pval, fit.permutest(&Resampling::exact(), &Hooks::default())?.qm_pval);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn permutest_with(
        &self,
        run: &Resampling,
        stat: PermutationStat,
        hooks: &Hooks,
    ) -> Result<PermutationTest> {
        let perm = run.permutation_options()?;
        crate::resample::permutation::permutest_stat(self.observed(), &perm, stat, hooks)
    }

    /// metafor `permutest(res, permci = TRUE, control = list(stat = stat))`:
    /// the confidence interval of every coefficient at the model's level by
    /// inverting its permutation test. The model is refitted to
    /// yᵢ − δ·xᵢⱼ and the bound is the shift δ where the one-sided
    /// permutation p-value of coefficient j crosses α/2, found by metafor's
    /// root search (R's `uniroot`) over the same arrangements at every step
    /// (the same seed for a random test), so the result is deterministic.
    /// metafor's tolerance is about 1.2e-4, rema's 1e-10 (see
    /// [`crate::resample::permci`]). A bound that is not found (metafor's
    /// `NA`) is `None`, with a note.
    ///
    /// ```
    /// use rema_core::resample::Hooks;
    /// use rema_core::{Error, Level, Method, PermutationStat, Resampling, Rma, Studies};
    /// let studies = Studies::new(&[0.1, 0.5, 0.2, 0.3, 0.4, 0.25, -0.05], &[0.02, 0.05, 0.03, 0.04, 0.02, 0.03, 0.04])?;
    /// let fit = Rma::new(Method::Dl).level(Level::new(90.0)?).fit(&studies)?;
    /// let ci = fit.permci(&Resampling::exact(), PermutationStat::Test, &Hooks::default())?;
    /// let b = fit.fit().coefficients[0].estimate;
    /// assert!(ci.lower[0].unwrap() < b && b < ci.upper[0].unwrap());
    /// // 2^4 sign vectors cannot reject at the 90% level.
    /// let small = Rma::new(Method::Dl).level(Level::new(90.0)?).fit(&Studies::new(&[0.1, 0.5, 0.2, 0.3], &[0.02, 0.05, 0.03, 0.04])?)?;
    /// assert!(small.permci(&Resampling::exact(), PermutationStat::Test, &Hooks::default()).is_err());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn permci(
        &self,
        run: &Resampling,
        stat: PermutationStat,
        hooks: &Hooks,
    ) -> Result<PermutationCi> {
        let perm = run.permutation_options()?;
        crate::resample::permci::permci(self.observed(), &perm, stat, hooks)
    }

    /// The Monte Carlo test of τ² = 0 with `run.iterations` random draws from
    /// the fitted null model (see [`crate::resample::heterogeneity::tau2_test`]);
    /// needs a random-effects method.
    ///
    /// ```
    /// use rema_core::resample::Hooks;
    /// use rema_core::{Error, Method, Resampling, Rma, Studies};
    /// let studies = Studies::new(&[0.1, 0.5, -0.2, 0.3], &[0.02, 0.05, 0.03, 0.04])?;
    /// let fit = Rma::new(Method::Dl).fit(&studies)?;
    /// let t = fit.tau2_test(&Resampling::random(200).seed(1), &Hooks::default())?;
    /// assert!(t.pval > 0.0 && t.pval <= 1.0);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn tau2_test(&self, run: &Resampling, hooks: &Hooks) -> Result<HeterogeneityTest> {
        let n = run.random_draws("the test of tau^2 = 0")?;
        crate::resample::heterogeneity::tau2_test(
            self.yi(),
            self.vi(),
            &self.x,
            &self.fit.options,
            &self.fit,
            n,
            run.seed,
            hooks,
        )
    }

    /// The bootstrap of the model, for any design: every coefficient, τ²,
    /// I² and H², with percentile and BCa intervals, nonparametric or
    /// parametric as `run` says (metafor's documented `boot` recipes). The
    /// intercept-only model runs [`crate::resample::bootstrap::bootstrap`]
    /// (its one coefficient is the pooled estimate), a meta-regression
    /// [`crate::resample::bootstrap_mods::bootstrap_moderators`].
    ///
    /// ```
    /// use rema_core::resample::Hooks;
    /// use rema_core::{Error, Method, Resampling, Rma, Studies};
    /// let studies = Studies::new(&[0.1, 0.5, -0.2, 0.3, 0.25], &[0.02, 0.05, 0.03, 0.04, 0.02])?;
    /// let fit = Rma::new(Method::Dl).fit(&studies)?;
    /// let b = fit.bootstrap(&Resampling::nonparametric(200).seed(7), &Hooks::default())?;
    /// assert_eq!((b.coefficients.len(), b.replicates, b.seed), (1, 200, 7));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn bootstrap(&self, run: &Resampling, hooks: &Hooks) -> Result<ModeratorBootstrap> {
        let b = run.bootstrap_options()?;
        let (yi, vi, opts) = (self.yi(), self.vi(), &self.fit.options);
        if self.is_intercept_only() {
            crate::resample::bootstrap::bootstrap(yi, vi, opts, &self.fit, &b, hooks)
                .map(ModeratorBootstrap::from)
        } else {
            crate::resample::bootstrap_mods::bootstrap_moderators(
                yi, vi, &self.x, opts, &self.fit, &b, hooks,
            )
        }
    }

    /// metafor `regtest(res)`: Egger's regression test, the model refitted
    /// with √vᵢ as a moderator (see [`crate::egger()`]). For the model without
    /// moderators only: rema's result carries the limit estimate, which
    /// metafor gives only then.
    ///
    /// ```
    /// use rema_core::{Error, Method, Rma, Studies};
    /// let studies = Studies::new(&[0.1, 0.5, -0.2, 0.3], &[0.02, 0.05, 0.03, 0.04])?;
    /// let e = Rma::new(Method::Reml).fit(&studies)?.egger()?;
    /// assert!(e.pval > 0.0 && e.pval <= 1.0);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn egger(&self) -> Result<EggerTest> {
        self.without_moderators(
            "Egger's test is computed here for the model without moderators only (its result holds the limit estimate, which exists only then)",
        )?;
        crate::bias::egger(self.yi(), self.vi(), &self.fit.options)
    }

    /// metafor `ranktest(res)`: Begg and Mazumdar's rank correlation test
    /// (see [`crate::rank_correlation`]). For the model without moderators
    /// only: the test uses the effects and variances alone, so it would
    /// ignore the moderators (metafor's `ranktest()` silently does).
    ///
    /// ```
    /// use rema_core::{Error, Method, Rma, Studies};
    /// let studies = Studies::new(&[0.1, 0.5, -0.2, 0.3], &[0.02, 0.05, 0.03, 0.04])?;
    /// let r = Rma::new(Method::Fe).fit(&studies)?.rank_correlation()?;
    /// assert!(r.exact);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn rank_correlation(&self) -> Result<RankTest> {
        self.without_moderators(
            "the rank correlation test uses the effects and variances alone and would ignore the moderators; run it on the model without moderators",
        )?;
        crate::bias::rank_correlation(self.yi(), self.vi())
    }

    /// metafor `trimfill(res, side)`: Duval and Tweedie's trim and fill with
    /// the L0 estimator (see [`crate::trim_and_fill`]); `side` is chosen as
    /// metafor does when `None`. For the model without moderators only, as
    /// metafor.
    ///
    /// ```
    /// use rema_core::{Error, Method, Rma, Studies};
    /// let studies = Studies::new(&[-0.2, 0.2, -0.1, 0.1, 0.0], &[0.04, 0.04, 0.01, 0.01, 0.02])?;
    /// let tf = Rma::new(Method::Fe).fit(&studies)?.trim_and_fill(None)?;
    /// assert_eq!(tf.k0, 0);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn trim_and_fill(&self, side: Option<Side>) -> Result<TrimFill> {
        self.without_moderators(
            "trim and fill is defined for the model without moderators only (as metafor's trimfill())",
        )?;
        crate::bias::trim_and_fill(self.yi(), self.vi(), &self.fit.options, side)
    }

    /// Subgroup analysis: the model fitted to each level of `groups`
    /// (study i in level `groups[i]`, levels `0..levels`, each non-empty),
    /// with separate τ² or one τ² common to all levels, and the test for
    /// subgroup differences (see [`crate::subgroup::subgroups`]). For the
    /// model without moderators only: the levels are fitted without them.
    ///
    /// ```
    /// use rema_core::{Error, Method, Rma, Studies};
    /// let studies = Studies::new(&[0.1, 0.2, 0.6, 0.7], &[0.01, 0.02, 0.01, 0.02])?;
    /// let sg = Rma::new(Method::Dl).fit(&studies)?.subgroups(&[0, 0, 1, 1], 2, false)?;
    /// assert_eq!(sg.members, vec![vec![0, 1], vec![2, 3]]);
    /// assert!(sg.q_between_pval < 0.01);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn subgroups(
        &self,
        groups: &[usize],
        levels: usize,
        common_tau2: bool,
    ) -> Result<Subgroups> {
        self.without_moderators("a subgroup analysis fits each level without the moderators")?;
        crate::subgroup::subgroups(
            self.yi(),
            self.vi(),
            groups,
            levels,
            &self.fit.options,
            common_tau2,
        )
    }

    /// The permutation test of the subgroup difference of `sg` (made by
    /// [`RmaFit::subgroups`] on this model): the subgroup labels are permuted
    /// among the studies and Q_between recomputed, with `run` random or
    /// exact permutations (see [`crate::resample::permutation::permutest_subgroups`]).
    ///
    /// ```
    /// use rema_core::resample::Hooks;
    /// use rema_core::{Error, Method, Resampling, Rma, Studies};
    /// let studies = Studies::new(&[0.1, 0.2, 0.6, 0.7], &[0.01, 0.02, 0.01, 0.02])?;
    /// let fit = Rma::new(Method::Dl).fit(&studies)?;
    /// let sg = fit.subgroups(&[0, 0, 1, 1], 2, false)?;
    /// let t = fit.permutest_subgroups(&sg, &Resampling::exact(), &Hooks::default())?;
    /// assert!(t.exact && t.iterations == 6); // 4!/(2!2!) labellings
    /// # Ok::<(), Error>(())
    /// ```
    pub fn permutest_subgroups(
        &self,
        sg: &Subgroups,
        run: &Resampling,
        hooks: &Hooks,
    ) -> Result<StatisticTest> {
        let k = self.studies.len();
        let mut groups = vec![usize::MAX; k];
        for (g, idx) in sg.members.iter().enumerate() {
            for &i in idx {
                if let Some(slot) = groups.get_mut(i) {
                    *slot = g;
                }
            }
        }
        if groups.contains(&usize::MAX) || sg.members.iter().map(Vec::len).sum::<usize>() != k {
            return Err(Error::InvalidOption {
                option: "by",
                message: format!(
                    "the subgroups do not place each of the model's {k} studies in one level; make them with subgroups() on this model"
                ),
            });
        }
        let perm = run.permutation_options()?;
        let design = crate::subgroup::SubgroupDesign {
            yi: self.yi(),
            vi: self.vi(),
            groups: &groups,
            levels: sg.members.len(),
            opts: &self.fit.options,
            common_tau2: sg.tau2_common.is_some(),
        };
        crate::resample::permutation::permutest_subgroups(&design, sg.q_between, &perm, hooks)
    }

    fn without_moderators(&self, why: &str) -> Result<()> {
        if self.is_intercept_only() {
            Ok(())
        } else {
            Err(Error::InvalidOption {
                option: "mods",
                message: format!("{why}; fit the model without `mods` for it"),
            })
        }
    }
}
