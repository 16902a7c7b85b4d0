//! Fitting the common-effect, random-effects and mixed-effects models, as
//! metafor 3.8 `rma.uni`, with `predict()` for the prediction interval.
//!
//! Given τ̂², with wᵢ = 1/(vᵢ + τ̂²) and A = (X'WX)⁻¹:
//! - β̂ = A X'Wy, Var(β̂) = A (z test) or s²_w·A with s²_w = Σwᵢeᵢ²/(k − p)
//!   (Knapp & Hartung 2003; Sidik & Jonkman 2002), with t(k − p) quantiles;
//! - Q = Σ(1/vᵢ)eᵢ² from the common-effect fit (Cochran 1954), df k − p;
//! - I² = 100·τ̂²/(ṽ + τ̂²), H² = (ṽ + τ̂²)/ṽ, ṽ = (k − p)/tr(P) with wᵢ = 1/vᵢ
//!   (Higgins & Thompson 2002); for the common-effect model I² = max(0, (Q − df)/Q)
//!   and H² = Q/df, as metafor;
//! - prediction interval β̂ ± c·√(Var(β̂) + τ̂²) with c from the same test.

use crate::dist;

use crate::error::{Error, Result};
use crate::linalg::{Design, SymMatrix};
use crate::tau2::kernel::general::{General, Workspace};
use crate::tau2::kernel::{Kernel, Need};
use crate::tau2::{self, Control, Method, Problem};

/// The test of the coefficients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Test {
    /// Wald-type z test with normal quantiles.
    #[default]
    Z,
    /// Hartung–Knapp–Sidik–Jonkman: the variance scaled by s²_w, t(k − p) quantiles.
    Knha,
    /// t tests on k − p df without the Knapp–Hartung scaling (metafor
    /// `test = "t"`, in `rma` and `rma.mv`).
    T,
    /// Knapp–Hartung with the ad hoc truncation of the scale factor at 1,
    /// max(1, s²_w), so that the interval is never narrower than the z
    /// interval's variance (Knapp & Hartung 2003; Röver, Knapp & Friede
    /// 2015), with t(k − p) quantiles: metafor 4's `test = "adhoc"`.
    Adhoc,
}

choice_names!(
    Test,
    "test",
    /// metafor's name of the test (`"z"`, `"knha"`); [`FromStr`](std::str::FromStr) also accepts
    /// `hksj` and `hk`.
    ///
    /// ```
    /// use rema_core::Test;
    /// assert_eq!(Test::Knha.name(), "knha");
    /// assert_eq!("HKSJ".parse::<Test>(), Ok(Test::Knha));
    /// assert_eq!("t".parse::<Test>(), Ok(Test::T));
    /// ```
    {
        Z => "z",
        Knha => "knha" | "hksj" | "hk",
        T => "t",
        Adhoc => "adhoc" | "knha-trunc",
    }
);

impl Test {
    /// Every test, by its name.
    pub const ALL: [Test; 4] = [Test::Z, Test::Knha, Test::T, Test::Adhoc];

    /// Whether the test uses t(k − p) quantiles (Knapp–Hartung, truncated or
    /// not, or plain t) rather than normal ones.
    ///
    /// ```
    /// use rema_core::Test;
    /// assert!(Test::Adhoc.uses_t() && Test::Knha.uses_t() && !Test::Z.uses_t());
    /// ```
    pub fn uses_t(self) -> bool {
        self != Test::Z
    }
}

/// Everything that shapes a fit: metafor's `method`, `test`, `level` and
/// `control` arguments of `rma()`. The default is metafor's: REML, z test,
/// 95 %.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitOptions {
    /// The τ² estimator (metafor's `method`).
    pub method: Method,
    /// The test of the coefficients (metafor's `test`).
    pub test: Test,
    /// Confidence level in percent (metafor's `level`, default 95).
    pub level: f64,
    /// Iteration settings of the iterative estimators (metafor's `control`).
    pub control: Control,
}

impl Default for FitOptions {
    fn default() -> FitOptions {
        FitOptions {
            method: Method::Reml,
            test: Test::Z,
            level: 95.0,
            control: Control::default(),
        }
    }
}

impl FitOptions {
    /// The default options with τ² estimator `method`.
    ///
    /// ```
    /// use rema_core::{FitOptions, Method, Test};
    /// let opts = FitOptions::new(Method::Dl);
    /// assert_eq!((opts.method, opts.test, opts.level), (Method::Dl, Test::Z, 95.0));
    /// ```
    pub fn new(method: Method) -> FitOptions {
        FitOptions {
            method,
            ..FitOptions::default()
        }
    }

    pub(crate) fn check(&self) -> Result<()> {
        if !(self.level > 0.0 && self.level < 100.0) {
            return Err(Error::InvalidOption {
                option: "level",
                message: format!(
                    "{} must lie strictly between 0 and 100 (e.g. 95)",
                    self.level
                ),
            });
        }
        let c = &self.control;
        if !(c.threshold > 0.0 && c.threshold.is_finite()) || c.max_iter == 0 || !(c.step_adj > 0.0)
        {
            return Err(Error::InvalidOption {
                option: "control",
                message: "threshold and step_adj must be positive, max_iter at least 1".to_string(),
            });
        }
        if let Some(t) = c.tau2_init {
            if !(t >= 0.0 && t.is_finite()) {
                return Err(Error::InvalidOption {
                    option: "tau2_init",
                    message: format!("{t} must be >= 0"),
                });
            }
        }
        Ok(())
    }
}

/// One model coefficient with its inference.
#[derive(Debug, Clone, Copy, PartialEq)]
///
/// Produced by [`fit()`] and [`fit_with_moderators`] (see their examples);
/// on the analysis scale (log scale for ratio measures).
pub struct Coefficient {
    /// The estimate β̂ⱼ (metafor `b`).
    pub estimate: f64,
    /// Its standard error (metafor `se`).
    pub se: f64,
    /// z or t statistic (metafor `zval`; t under Knapp–Hartung).
    pub stat: f64,
    /// Two-sided p-value (metafor `pval`).
    pub pval: f64,
    /// Lower confidence bound (metafor `ci.lb`).
    pub ci_lower: f64,
    /// Upper confidence bound (metafor `ci.ub`).
    pub ci_upper: f64,
}

/// A fitted model: the fields of metafor's `rma.uni` object.
///
/// Produced by [`fit()`] and [`fit_with_moderators`] (see their examples).
/// Effects are on the analysis scale (log scale for ratio measures).
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// The number of studies (metafor `k`).
    pub k: usize,
    /// The number of coefficients, intercept included (metafor `p`).
    pub p: usize,
    /// The options the model was fitted with.
    pub options: FitOptions,
    /// Coefficients (metafor `b`, `se`, `zval`, `pval`, `ci.lb`, `ci.ub`); the
    /// first is the intercept (the pooled effect of an intercept-only model).
    pub coefficients: Vec<Coefficient>,
    /// Var(β̂), p × p, scaled by s²_w under the Knapp–Hartung test (metafor `vb`).
    pub vb: SymMatrix,
    /// Degrees of freedom of the t tests (Knapp–Hartung), `None` for z
    /// (metafor `ddf`).
    pub df: Option<f64>,
    /// The estimate of τ², on the squared analysis scale (metafor `tau2`; 0
    /// for the common-effect model).
    pub tau2: f64,
    /// Fisher-scoring iterations, for ML, REML and EB.
    pub tau2_iterations: Option<usize>,
    /// Cochran's Q of residual heterogeneity (metafor `QE`).
    pub q: f64,
    /// Its degrees of freedom, k − p (metafor `k - p`).
    pub q_df: f64,
    /// Its χ² p-value (metafor `QEp`).
    pub q_pval: f64,
    /// I² in percent, 0–100 (metafor `I2`).
    pub i2: f64,
    /// H², 1 or more (metafor `H2`).
    pub h2: f64,
    /// The "typical" within-study variance ṽ of I² (metafor `vt`).
    pub vt: f64,
    /// Omnibus test of the moderators (of the intercept in an intercept-only
    /// model): a χ² statistic for z, F for Knapp–Hartung (metafor `QM`).
    pub qm: f64,
    /// Its degrees of freedom: numerator m, and the denominator k − p of the
    /// F test (metafor `QMdf`).
    pub qm_df: (f64, Option<f64>),
    /// Its p-value (metafor `QMp`).
    pub qm_pval: f64,
    /// Knapp–Hartung scale factor s²_w (1 under the z test; metafor `s2w`).
    pub s2w: f64,
    /// Weights in percent, summing to 100 (metafor `weights()`).
    pub weights: Vec<f64>,
    /// Every adjustment or caveat, in words.
    pub notes: Vec<String>,
}

/// The distribution of the prediction interval's critical value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PiDist {
    /// The test's: normal under z, t(k − p) under Knapp–Hartung (metafor's
    /// `predict()`).
    #[default]
    Test,
    /// t(k − p) whatever the test, t(k − 1) without moderators (the
    /// prediction interval of the Cochrane Handbook, chapter 10.10.4.3,
    /// and of RevMan's random-effects analyses).
    T,
}

choice_names!(
    PiDist,
    "pi_dist",
    /// The option's name: `test` or `t`.
    ///
    /// ```
    /// use rema_core::PiDist;
    /// assert_eq!("t".parse::<PiDist>(), Ok(PiDist::T));
    /// assert_eq!(PiDist::Test.name(), "test");
    /// ```
    {
        Test => "test",
        T => "t",
    }
);

/// A prediction with its confidence and prediction intervals: metafor's
/// `predict()`, on the analysis scale.
///
/// Produced by [`Fit::predict`] and [`Fit::prediction`] (see their examples).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// The predicted effect (metafor `pred`).
    pub pred: f64,
    /// Its standard error (metafor `se`).
    pub se: f64,
    /// Lower confidence bound (metafor `ci.lb`).
    pub ci_lower: f64,
    /// Upper confidence bound (metafor `ci.ub`).
    pub ci_upper: f64,
    /// Lower prediction bound (metafor `pi.lb`).
    pub pi_lower: f64,
    /// Upper prediction bound (metafor `pi.ub`).
    pub pi_upper: f64,
}

impl Fit {
    /// The pooled estimate (the intercept).
    pub fn estimate(&self) -> &Coefficient {
        &self.coefficients[0]
    }

    /// The critical value of the confidence intervals: [`critical_value`] at
    /// the fit's level and degrees of freedom.
    ///
    /// ```
    /// use rema_core::{fit, FitOptions, Method, Test};
    /// # fn main() -> rema_core::Result<()> {
    /// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
    /// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
    /// // dat.bcg with the Knapp-Hartung test; metafor 3.8-1: rma(yi, vi, test = "knha")
    /// let f = fit(&yi, &vi, &FitOptions { test: Test::Knha, ..FitOptions::new(Method::Reml) })?;
    /// assert_eq!(f.df, Some(12.0));
    /// assert!((f.crit() - 2.178812830).abs() < 1e-9); // R: qt(0.975, 12)
    /// let b = f.estimate();
    /// assert!((b.se - 0.1807917).abs() < 1e-6);
    /// assert!((b.ci_lower - -1.1084437).abs() < 1e-6 && (b.ci_upper - -0.3206210).abs() < 1e-6);
    /// # Ok(())
    /// # }
    /// ```
    pub fn crit(&self) -> f64 {
        critical_value(self.options.level, self.df)
    }

    /// metafor `predict()` at moderator values `x0` (a row of X, intercept first).
    ///
    /// ```
    /// use rema_core::{fit_with_moderators, Design, FitOptions, Method};
    /// # fn main() -> rema_core::Result<()> {
    /// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
    /// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
    /// let ablat = [44., 55., 42., 52., 13., 44., 19., 13., 27., 42., 18., 33., 33.];
    /// let x = Design::from_row_major(13, 2, ablat.iter().flat_map(|&a| [1.0, a]).collect()).unwrap();
    /// let fit = fit_with_moderators(&yi, &vi, &x, &FitOptions::new(Method::Reml))?;
    /// // At latitude 30, the prediction is b0 + 30 b1 (metafor: predict(res, newmods = 30)).
    /// let p = fit.predict(&[1.0, 30.0]);
    /// let b = &fit.coefficients;
    /// assert!((p.pred - (b[0].estimate + 30.0 * b[1].estimate)).abs() < 1e-12);
    /// assert!(p.pi_lower < p.ci_lower && p.ci_upper < p.pi_upper);
    /// # Ok(())
    /// # }
    /// ```
    pub fn predict(&self, x0: &[f64]) -> Prediction {
        self.predict_with(x0, PiDist::Test)
    }

    /// [`Fit::predict`] with the prediction interval's critical value from
    /// `dist`: with [`PiDist::T`], t(k − p) (k − 1 without moderators)
    /// whatever the test; the confidence interval keeps the test's.
    ///
    /// ```
    /// use rema_core::{fit, FitOptions, Method, PiDist};
    /// # fn main() -> rema_core::Result<()> {
    /// let f = fit(&[0.1, 0.5, -0.2, 0.3], &[0.02, 0.05, 0.03, 0.04], &FitOptions::new(Method::Dl))?;
    /// let (z, t) = (f.prediction(), f.predict_with(&[1.0], PiDist::T));
    /// assert_eq!((z.ci_lower, z.pred), (t.ci_lower, t.pred));
    /// assert!(t.pi_lower < z.pi_lower && z.pi_upper < t.pi_upper); // t(3) is wider than z
    /// # Ok(())
    /// # }
    /// ```
    pub fn predict_with(&self, x0: &[f64], dist: PiDist) -> Prediction {
        let pred: f64 = x0
            .iter()
            .zip(&self.coefficients)
            .map(|(x, c)| x * c.estimate)
            .sum();
        let mut var = 0.0;
        for (i, xi) in x0.iter().enumerate() {
            for (j, xj) in x0.iter().enumerate() {
                var += xi * self.vb.get(i, j) * xj;
            }
        }
        let crit = self.crit();
        let pi_crit = match dist {
            PiDist::Test => crit,
            PiDist::T => critical_value(
                self.options.level,
                Some(self.k.saturating_sub(self.p).max(1) as f64),
            ),
        };
        let se = var.max(0.0).sqrt();
        let pse = (var + self.tau2).max(0.0).sqrt();
        Prediction {
            pred,
            se,
            ci_lower: pred - crit * se,
            ci_upper: pred + crit * se,
            pi_lower: pred - pi_crit * pse,
            pi_upper: pred + pi_crit * pse,
        }
    }

    /// The prediction interval of the intercept-only model (the average effect).
    ///
    /// ```
    /// use rema_core::{fit, FitOptions, Method};
    /// # fn main() -> rema_core::Result<()> {
    /// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
    /// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
    /// // dat.bcg, log risk ratios; metafor: predict(rma(yi, vi)).
    /// let p = fit(&yi, &vi, &FitOptions::new(Method::Reml))?.prediction();
    /// assert!((p.pi_lower - -1.8666923).abs() < 1e-6);
    /// assert!((p.pi_upper - 0.4376276).abs() < 1e-6);
    /// # Ok(())
    /// # }
    /// ```
    pub fn prediction(&self) -> Prediction {
        self.prediction_with(PiDist::Test)
    }

    /// [`Fit::prediction`] with the prediction interval's distribution
    /// `dist` (see [`Fit::predict_with`]).
    pub fn prediction_with(&self, dist: PiDist) -> Prediction {
        let mut x0 = vec![0.0; self.p];
        x0[0] = 1.0;
        self.predict_with(&x0, dist)
    }
}

/// The two-sided critical value at `level` percent: normal, or t with `df` degrees of freedom.
///
/// ```
/// use rema_core::fit::critical_value;
/// // R: qnorm(0.975), qt(0.975, 12)
/// assert!((critical_value(95.0, None) - 1.959963985).abs() < 1e-9);
/// assert!((critical_value(95.0, Some(12.0)) - 2.178812830).abs() < 1e-9);
/// ```
pub fn critical_value(level: f64, df: Option<f64>) -> f64 {
    let alpha = 1.0 - level / 100.0;
    match df {
        Some(df) => dist::t_quantile(1.0 - alpha / 2.0, df),
        None => dist::norm_quantile(1.0 - alpha / 2.0),
    }
}

/// Checks effects and variances: equal lengths, finite effects, positive finite variances.
///
/// ```
/// use rema_core::{fit::validate, Error};
/// assert!(validate(&[0.1, 0.2], &[0.01, 0.02]).is_ok());
/// assert_eq!(validate(&[0.1, 0.2], &[0.01, 0.0]), Err(Error::InvalidVariance { study: 1, value: 0.0 }));
/// ```
pub fn validate(yi: &[f64], vi: &[f64]) -> Result<()> {
    if yi.len() != vi.len() {
        return Err(Error::LengthMismatch {
            what: format!("{} effects but {} variances", yi.len(), vi.len()),
        });
    }
    if yi.is_empty() {
        return Err(Error::NoStudies);
    }
    for (i, (&y, &v)) in yi.iter().zip(vi).enumerate() {
        if !y.is_finite() {
            return Err(Error::InvalidEffect { study: i, value: y });
        }
        if !(v.is_finite() && v > 0.0) {
            return Err(Error::InvalidVariance { study: i, value: v });
        }
    }
    Ok(())
}

/// [`validate`]s the studies, then asks for at least `needed` of them for
/// `what` (an error that names it otherwise); returns their number k.
pub(crate) fn validate_at_least(
    yi: &[f64],
    vi: &[f64],
    needed: usize,
    what: &'static str,
) -> Result<usize> {
    validate(yi, vi)?;
    let k = yi.len();
    if k < needed {
        return Err(Error::TooFewStudies { k, needed, what });
    }
    Ok(k)
}

/// Fits the intercept-only model to effects `yi` with sampling variances `vi`
/// (metafor `rma(yi, vi, method, test, level)`).
///
/// ```
/// use rema_core::{fit, FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// // dat.bcg, log risk ratios; metafor 3.8-1: rma(yi, vi, method = "DL").
/// let f = fit(&yi, &vi, &FitOptions::new(Method::Dl))?;
/// assert!((f.tau2 - 0.3087603).abs() < 1e-6);
/// assert!((f.estimate().estimate - -0.7141172).abs() < 1e-6);
/// assert!((f.estimate().se - 0.1787421).abs() < 1e-6);
/// assert!((f.q - 152.2330).abs() < 1e-4 && (f.i2 - 92.11735).abs() < 1e-4);
/// assert!((f.weights.iter().sum::<f64>() - 100.0).abs() < 1e-9);
/// # Ok(())
/// # }
/// ```
pub fn fit(yi: &[f64], vi: &[f64], opts: &FitOptions) -> Result<Fit> {
    fit_with_moderators(yi, vi, &Design::intercept(yi.len()), opts)
}

/// Fits a (mixed-effects) meta-regression with design `x`, whose first column
/// is the intercept (metafor `rma(yi, vi, mods = ~ ...)`).
///
/// ```
/// use rema_core::{fit_with_moderators, Design, FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// // dat.bcg with absolute latitude; metafor 3.8-1: rma(yi, vi, mods = ~ ablat).
/// let ablat = [44., 55., 42., 52., 13., 44., 19., 13., 27., 42., 18., 33., 33.];
/// let x = Design::from_row_major(13, 2, ablat.iter().flat_map(|&a| [1.0, a]).collect()).unwrap();
/// let f = fit_with_moderators(&yi, &vi, &x, &FitOptions::new(Method::Reml))?;
/// assert!((f.tau2 - 0.07635469).abs() < 1e-6);
/// assert!((f.coefficients[1].estimate - -0.02910166).abs() < 1e-7);
/// assert!((f.qm - 16.35713).abs() < 1e-4);
/// # Ok(())
/// # }
/// ```
pub fn fit_with_moderators(yi: &[f64], vi: &[f64], x: &Design, opts: &FitOptions) -> Result<Fit> {
    opts.check()?;
    validate(yi, vi)?;
    let k = yi.len();
    let p = x.cols();
    if x.rows() != k {
        return Err(Error::LengthMismatch {
            what: format!("{k} studies but {} rows of moderators", x.rows()),
        });
    }
    let intercept_only = x.is_intercept_only();
    if !(intercept_only && k == 1) {
        let needed = if opts.method.is_random() { p + 1 } else { p };
        if k < needed {
            return Err(Error::TooFewStudies {
                k,
                needed,
                what: if opts.method.is_random() {
                    "a random-effects model with these moderators"
                } else {
                    "a model with these moderators"
                },
            });
        }
    }
    if opts.test.uses_t() && k <= p {
        return Err(Error::TooFewStudies {
            k,
            needed: p + 1,
            what: "the Knapp-Hartung test (it has k - p degrees of freedom)",
        });
    }
    let problem = Problem { y: yi, v: vi, x };
    let mut notes = Vec::new();
    let (vmax, vmin) = vi
        .iter()
        .fold((f64::MIN, f64::MAX), |(a, b), &v| (a.max(v), b.min(v)));
    if vmax / vmin >= 1e7 {
        notes.push(format!(
            "the largest sampling variance is {:.1e} times the smallest; results may be numerically unstable",
            vmax / vmin
        ));
    }

    // τ²: zero for FE and for a single study (metafor's "k1" case).
    let est = if k == 1 {
        if opts.method.is_random() {
            notes.push("only one study: tau^2 cannot be estimated and is set to 0".to_string());
        }
        tau2::Tau2Estimate {
            tau2: 0.0,
            iterations: None,
            notes: Vec::new(),
        }
    } else {
        tau2::estimate(opts.method, &problem, &opts.control)?
    };
    notes.extend(est.notes.iter().cloned());
    let tau2 = est.tau2;

    // Coefficients.
    let w: Vec<f64> = vi.iter().map(|v| 1.0 / (v + tau2)).collect();
    let mut ws = Workspace::new(k, p);
    let mut kern = General::new(yi, vi, x, &mut ws);
    let re_rss = kern.wls(tau2, Need::NONE).ok_or(Error::RankDeficient)?.rss;
    let re_beta = kern.beta().to_vec();
    let re_a = SymMatrix {
        n: p,
        data: kern.a().to_vec(),
    };
    let df_resid = (k - p) as f64;
    let (s2w, df) = match opts.test {
        Test::Z => (1.0, None),
        Test::T => (1.0, Some(df_resid)),
        Test::Knha | Test::Adhoc => {
            if !opts.method.is_random() {
                notes.push(
                    "the Knapp-Hartung method is not meant for the common-effect model".to_string(),
                );
            }
            let s = s2w(opts.test, re_rss, df_resid);
            if opts.test == Test::Adhoc && s2w(Test::Knha, re_rss, df_resid) < 1.0 {
                notes.push(format!(
                    "test adhoc: the Knapp-Hartung scale factor {:.6} was truncated at 1",
                    s2w(Test::Knha, re_rss, df_resid)
                ));
            }
            (s, Some(df_resid))
        }
    };
    let mut vb = re_a;
    for v in vb.data.iter_mut() {
        *v *= s2w;
    }
    let crit = critical_value(opts.level, df);
    let coefficients: Vec<Coefficient> = re_beta
        .iter()
        .enumerate()
        .map(|(j, &b)| {
            let se = vb.get(j, j).sqrt();
            let stat = b / se;
            let pval = match df {
                Some(df) => 2.0 * dist::t_sf(stat.abs(), df),
                None => 2.0 * dist::norm_sf(stat.abs()),
            };
            Coefficient {
                estimate: b,
                se,
                stat,
                pval,
                ci_lower: b - crit * se,
                ci_upper: b + crit * se,
            }
        })
        .collect();

    // Omnibus test of the moderators (or of the intercept alone); without
    // an intercept (`mods = ~ 0 + ...`) of every coefficient, as metafor.
    let btt: Vec<usize> = if p > 1 && x.has_intercept() {
        (1..p).collect()
    } else {
        (0..p).collect()
    };
    let m = btt.len();
    let mut sub = SymMatrix::zeros(m);
    for (a, &i) in btt.iter().enumerate() {
        for (b, &j) in btt.iter().enumerate() {
            sub.set(a, b, vb.get(i, j));
        }
    }
    let qm_raw = sub.cholesky_inverse().map(|inv| {
        let mut s = 0.0;
        for (a, &i) in btt.iter().enumerate() {
            for (b, &j) in btt.iter().enumerate() {
                s += re_beta[i] * inv.get(a, b) * re_beta[j];
            }
        }
        s
    });
    let (qm, qm_df, qm_pval) = match (qm_raw, df) {
        (Some(q), Some(df)) => {
            let f = q / m as f64;
            let pv = dist::f_sf(f, m as f64, df);
            (f, (m as f64, Some(df)), pv)
        }
        (Some(q), None) => (q, (m as f64, None), dist::chisq_sf(q, m as f64)),
        (None, _) => (f64::NAN, (m as f64, df), f64::NAN),
    };

    // Heterogeneity from the common-effect fit.
    let (q, q_pval, i2, h2, vt) = if k > p {
        let need = Need {
            tr_p: true,
            ..Need::NONE
        };
        let fe = kern.wls(0.0, need).ok_or(Error::RankDeficient)?;
        let q = fe.rss.max(0.0);
        let q_pval = dist::chisq_sf(q, df_resid);
        let vt = df_resid / fe.tr_p;
        let (i2, h2) = tau2::kernel::i2_h2(opts.method.is_random(), tau2, q, df_resid, vt);
        (q, q_pval, i2, h2, vt)
    } else {
        (0.0, 1.0, 0.0, 1.0, 0.0)
    };

    let sw: f64 = w.iter().sum();
    let weights = w.iter().map(|w| 100.0 * w / sw).collect();

    Ok(Fit {
        k,
        p,
        options: *opts,
        coefficients,
        vb,
        df,
        tau2,
        tau2_iterations: est.iterations,
        q,
        q_df: df_resid,
        q_pval,
        i2,
        h2,
        vt,
        qm,
        qm_df,
        qm_pval,
        s2w,
        weights,
        notes,
    })
}

/// The multiplier of the coefficients' covariance: 1 for z tests; for
/// Knapp–Hartung, RSS/(k − p), taken as 0 when RSS ≤ ε (metafor's
/// `rma.uni`: `s2w <- ifelse(RSS <= .Machine$double.eps, 0, RSS / (k - p))`);
/// for the truncated form, max(1, RSS/(k − p)) (metafor 4 `test = "adhoc"`).
/// Shared by the general fit and the resampling refits.
pub(crate) fn s2w(test: Test, rss: f64, df: f64) -> f64 {
    let knha = if rss <= f64::EPSILON { 0.0 } else { rss / df };
    match test {
        Test::Z | Test::T => 1.0,
        Test::Knha => knha,
        Test::Adhoc => knha.max(1.0),
    }
}
