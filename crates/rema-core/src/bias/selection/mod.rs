//! Selection models for publication bias, as metafor 3.8-1
//! `selmodel(res, type, alternative, steps)` on an intercept-only model:
//! the effect μ, τ² and the selection parameters δ estimated together by
//! maximum likelihood, one module per family of weight functions
//! (`stepfun`: the step function; `continuous`: beta, half-normal,
//! negative-exponential, logistic and power), the optimiser and the Hessian
//! in `optim`.
//!
//! As metafor:
//! - each study's p-value is one-sided (`alternative = "greater"`, the
//!   default: pᵢ = 1 − Φ(yᵢ/√vᵢ); `"less"`: Φ(yᵢ/√vᵢ)) or two-sided
//!   (2(1 − Φ(|yᵢ|/√vᵢ)));
//! - a random-effects model other than ML is refitted by ML first, and its
//!   estimates start the optimisation (τ² from ln(τ̂² + 0.001), every δ from
//!   1); the common-effect model keeps τ² = 0;
//! - the likelihood is maximised over (μ, ln τ², ψ), each δⱼ mapped from ψⱼ
//!   into [δ_min, δ_max] by δ = δ_min + (δ_max − δ_min)/(1 + e^(−ψ)), with
//!   metafor's bounds (0 and 100; 1e-5 and 100 for beta);
//! - the standard errors are from the inverse of the Hessian of −ℓ in (μ,
//!   τ², δ) (numDeriv's Richardson extrapolation, as metafor's default
//!   `hesspack`); z tests and Wald intervals at the model's level; δ is
//!   tested against no selection (δ = 1 for the step function and beta,
//!   δ = 0 for the others) and its interval truncated to δ ≥ 0, τ²'s at 0;
//! - the likelihood-ratio test of the selection parameters compares ℓ with
//!   the log-likelihood of the unadjusted ML (or common-effect) model on as
//!   many degrees of freedom as there are free δ; with τ² estimated, the
//!   test of τ² = 0 refits the selection model with τ² = 0
//!   (metafor `LRT.tau2`).
//!
//! Options beyond the weight function ([`SelOptions`], metafor's `prec` and
//! `delta` arguments):
//! - `prec` puts each study's imprecision cᵢ into the half-normal,
//!   negative-exponential, logistic and power functions (w(p) =
//!   exp(−δcᵢp²) and so on, Preston, Ashby & Smyth 2004), cᵢ = √vᵢ (`sei`),
//!   vᵢ (`vi`), 1/nᵢ (`ninv`) or 1/√nᵢ (`sqrtninv`), divided by maxᵢ cᵢ
//!   unless `scaleprec` is false (metafor `selmodel(prec, scaleprec)`).
//!   metafor ignores `prec` for beta (with a warning) and calls it
//!   undocumented and experimental for the step function (whose Aᵢ then
//!   leaves the first interval unscaled); rema refuses it for both;
//! - `delta` fixes any δⱼ at a given value (metafor `delta = c(NA, 1, …)`,
//!   `NA` estimated): a fixed δ is not optimised, has no standard error,
//!   and is not counted in the likelihood-ratio test's degrees of freedom
//!   nor in the studies needed. The step function's δ₁ is 1 by the model
//!   (metafor's Aᵢ assumes it), so only 1 is accepted there.
//!
//! metafor optimises with `optim(method = "BFGS")` and its default relative
//! tolerance 1e-8; here BFGS runs until the gradient vanishes to 1e-8, so
//! the two agree to the accuracy of metafor's stopping rule (the golden
//! cases run metafor with `reltol = 1e-12`, integrate's `rel.tol = 1e-12`
//! and numDeriv's `d = 0.03`, at which metafor's own numbers settle). A δ within 1.2e-4 of a bound, a
//! Hessian that cannot be inverted and τ² at 0 are reported in the notes.

mod continuous;
mod optim;
mod stepfun;

use crate::dist::{chisq_sf, norm_quantile, norm_sf};
use crate::error::{Error, Result};
use crate::fit::{fit, Coefficient, FitOptions, Test};
use crate::linalg::SymMatrix;
use crate::tau2::Method;

choice! {
    /// The weight function of a selection model (metafor `selmodel(type = )`).
    SelType, "selection model type" {
        /// The beta function of the p-value (Citkowicz & Vevea 2017).
        Beta => "beta",
        /// The half-normal function (Preston et al. 2004).
        Halfnorm => "halfnorm",
        /// The negative-exponential function (Preston et al. 2004).
        Negexp => "negexp",
        /// The logistic function (Preston et al. 2004).
        Logistic => "logistic",
        /// The power function (Preston et al. 2004).
        Power => "power",
        /// The step function with cut-points `steps` (Vevea & Hedges 1995).
        Stepfun => "stepfun",
    }
}

choice! {
    /// The measure of (im)precision a selection function may depend on
    /// (metafor `selmodel(prec = )`).
    SelPrec, "selection model precision" {
        /// The standard error √vᵢ (Preston et al. 2004).
        Sei => "sei",
        /// The sampling variance vᵢ.
        Vi => "vi",
        /// The inverse sample size 1/nᵢ.
        Ninv => "ninv",
        /// The inverse square root of the sample size 1/√nᵢ.
        Sqrtninv => "sqrtninv",
    }
}

impl SelPrec {
    /// True when the measure is computed from the sample sizes.
    pub fn needs_ni(self) -> bool {
        matches!(self, SelPrec::Ninv | SelPrec::Sqrtninv)
    }
}

impl SelType {
    /// True for the weight functions that take a precision measure
    /// (metafor documents `prec` for these four).
    pub fn takes_prec(self) -> bool {
        matches!(
            self,
            SelType::Halfnorm | SelType::Negexp | SelType::Logistic | SelType::Power
        )
    }
}

/// The options of a selection model beyond its weight function, sidedness
/// and steps (metafor `selmodel(prec, delta, scaleprec)`); the default is
/// metafor's: no precision, every δ estimated.
#[derive(Debug, Clone, PartialEq)]
pub struct SelOptions {
    /// The precision measure in the weight function (metafor `prec`);
    /// `None`: the weight depends on the p-value only.
    pub prec: Option<SelPrec>,
    /// Divide the precision by its largest value (metafor `scaleprec`,
    /// default true).
    pub scale_prec: bool,
    /// Fixed values of δ (metafor `delta`): empty to estimate all, one
    /// value for every δ, or one entry per δ with `None` estimated.
    pub delta: Vec<Option<f64>>,
}

impl Default for SelOptions {
    fn default() -> SelOptions {
        SelOptions {
            prec: None,
            scale_prec: true,
            delta: Vec::new(),
        }
    }
}

choice! {
    /// The sidedness of a p-value (metafor's `alternative`).
    Alternative, "alternative" {
        /// Two-sided.
        TwoSided => "two.sided",
        /// One-sided, large effects significant (metafor's default in `selmodel`).
        Greater => "greater",
        /// One-sided, small effects significant.
        Less => "less",
    }
}

/// One selection parameter's estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeltaEstimate {
    /// The estimate δ̂ⱼ (metafor `delta`).
    pub estimate: f64,
    /// Its standard error (metafor `se.delta`); `None` for a fixed δ or when
    /// the Hessian could not be inverted.
    pub se: Option<f64>,
    /// The z statistic against no selection (metafor `zval.delta`).
    pub stat: Option<f64>,
    /// Its two-sided p-value (metafor `pval.delta`).
    pub pval: Option<f64>,
    /// The Wald interval, truncated to the parameter's range (metafor
    /// `ci.lb.delta`, `ci.ub.delta`).
    pub ci: Option<(f64, f64)>,
    /// True for a δ not estimated: δ₁ = 1 of the step function, or a value
    /// fixed by [`SelOptions::delta`].
    pub fixed: bool,
}

/// A fitted selection model (metafor's `rma.uni.selmodel` object).
///
/// Produced by [`selmodel`] (see its example).
#[derive(Debug, Clone, PartialEq)]
pub struct SelModel {
    /// The weight function (metafor `type`).
    pub kind: SelType,
    /// The sidedness of the p-values (metafor `alternative`).
    pub alternative: Alternative,
    /// The cut-points, 1 appended (metafor `steps`); empty for the
    /// continuous functions without a step.
    pub steps: Vec<f64>,
    /// The number of studies.
    pub k: usize,
    /// The precision measure in the weight function (metafor `prec`).
    pub prec: Option<SelPrec>,
    /// Whether that measure was divided by its largest value (metafor
    /// `scaleprec`).
    pub scale_prec: bool,
    /// The adjusted effect μ̂ with its z test and interval.
    pub estimate: Coefficient,
    /// τ̂² (0 for the common-effect model).
    pub tau2: f64,
    /// Its standard error (metafor `se.tau2`); `None` when τ² is fixed or
    /// the Hessian could not be inverted.
    pub tau2_se: Option<f64>,
    /// Its Wald interval, the lower bound truncated at 0.
    pub tau2_ci: Option<(f64, f64)>,
    /// The selection parameters.
    pub delta: Vec<DeltaEstimate>,
    /// The number of p-values in each interval of `steps` (metafor `ptable`).
    pub interval_counts: Vec<usize>,
    /// The maximised log-likelihood (metafor `ll`).
    pub loglik: f64,
    /// The log-likelihood of the unadjusted model (metafor `ll0`).
    pub loglik0: f64,
    /// The likelihood-ratio statistic against the unadjusted model (metafor `LRT`).
    pub lrt: f64,
    /// Its degrees of freedom (metafor `LRTdf`).
    pub lrt_df: usize,
    /// Its p-value (metafor `LRTp`).
    pub lrt_pval: f64,
    /// The likelihood-ratio test of τ² = 0 in the selection model (metafor
    /// `LRT.tau2`, `LRTp.tau2`); `None` for the common-effect model.
    pub lrt_tau2: Option<(f64, f64)>,
    /// Iterations of the optimiser.
    pub iterations: usize,
    /// Caveats, in words.
    pub notes: Vec<String>,
}

/// What a weight family fixes: the number of δ and metafor's bounds,
/// starting values and null values.
struct Family {
    lb: f64,
    min: Vec<f64>,
    max: Vec<f64>,
    null: f64,
    pmin: f64,
}

impl Family {
    fn of(kind: SelType, steps: usize) -> Family {
        let n = match kind {
            SelType::Beta => 2,
            SelType::Stepfun => steps,
            _ => 1,
        };
        Family {
            lb: 0.0,
            min: vec![if kind == SelType::Beta { 1e-5 } else { 0.0 }; n],
            max: vec![100.0; n],
            null: if matches!(kind, SelType::Beta | SelType::Stepfun) {
                1.0
            } else {
                0.0
            },
            pmin: if matches!(kind, SelType::Beta | SelType::Power) {
                1e-5
            } else {
                0.0
            },
        }
    }
}

/// The data and the fixed parts of one selection model.
struct Problem<'a> {
    yi: &'a [f64],
    vi: &'a [f64],
    kind: SelType,
    alt: Alternative,
    steps: Vec<f64>,
    pvals: Vec<f64>,
    groups: Vec<usize>,
    pmin: f64,
    rule: Vec<(f64, f64)>,
    /// Each study's precision in the weight (all 1 without `prec`).
    preci: Vec<f64>,
}

impl Problem<'_> {
    fn loglik(&self, mu: f64, tau2: f64, delta: &[f64]) -> f64 {
        let tau2 = if tau2 < 10.0 * f64::EPSILON {
            0.0
        } else {
            tau2
        };
        let mut ll = 0.0;
        for (i, (&y, &v)) in self.yi.iter().zip(self.vi).enumerate() {
            let sd = (v + tau2).sqrt();
            let z = (y - mu) / sd;
            let log_dens = -0.5 * z * z - sd.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln();
            let (log_w, a) = if self.kind == SelType::Stepfun {
                (
                    delta[self.groups[i]].ln(),
                    stepfun::selection_probability(&self.steps, delta, v, mu, sd, self.alt),
                )
            } else {
                let step = self.steps.first().copied().unwrap_or(0.0);
                let w = continuous::Weight {
                    kind: self.kind,
                    delta,
                    step,
                    pmin: self.pmin,
                    alt: self.alt,
                };
                let prec = self.preci[i];
                let st = continuous::Study {
                    vi: v,
                    prec,
                    mu,
                    sd,
                };
                (
                    continuous::weight(self.kind, self.pvals[i], delta, step, prec).ln(),
                    continuous::selection_probability(&st, &w, &self.rule),
                )
            };
            ll += log_w + log_dens - a.ln();
        }
        ll
    }
}

/// Where the parameters are: which are free, and how the optimiser's
/// unbounded vector maps to them.
struct Layout<'a> {
    fam: &'a Family,
    /// τ² fixed at this value (the common-effect model, or the test of τ² = 0).
    tau2_fixed: Option<f64>,
    /// δ fixed per position (δ₁ = 1 of the step function).
    delta_fixed: Vec<Option<f64>>,
}

impl Layout<'_> {
    /// (μ, τ², δ) from the optimiser's vector (ln τ², logits of δ).
    fn unpack(&self, x: &[f64]) -> (f64, f64, Vec<f64>) {
        let mut it = x.iter().copied();
        let mu = it.next().expect("mu");
        let tau2 = match self.tau2_fixed {
            Some(t) => t,
            None => it.next().expect("tau2").exp(),
        };
        let delta = self
            .delta_fixed
            .iter()
            .enumerate()
            .map(|(j, fixed)| match fixed {
                Some(d) => *d,
                None => {
                    let psi = it.next().expect("delta");
                    let (lo, hi) = (self.fam.min[j], self.fam.max[j]);
                    lo + (hi - lo) / (1.0 + (-psi).exp())
                }
            })
            .collect();
        (mu, tau2, delta)
    }

    /// The optimiser's starting vector from μ, τ² and δ = 1.
    fn start(&self, mu: f64, tau2: f64) -> Vec<f64> {
        let mut x = vec![mu];
        if self.tau2_fixed.is_none() {
            x.push((tau2 + 0.001).ln());
        }
        for (j, fixed) in self.delta_fixed.iter().enumerate() {
            if fixed.is_none() {
                let (lo, hi) = (self.fam.min[j], self.fam.max[j]);
                x.push(((1.0 - lo) / (hi - 1.0)).ln());
            }
        }
        x
    }
}

/// Fits the selection model `kind` to effects `yi` with sampling variances
/// `vi`: `steps` are the cut-points of the step function (needed), or the
/// single optional step of a continuous function; `opts` gives the τ²
/// estimator (FE keeps τ² = 0; any other is refitted by ML) and the level
/// (metafor `selmodel(rma(yi, vi, method), type, alternative, steps)`).
///
/// ```
/// use rema_core::bias::{selmodel, Alternative, SelType};
/// use rema_core::{FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// # let yi = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296, -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278, -0.339358828338391, 0.445913400571379, -0.0173139482168798];
/// # let vi = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309, 0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289, 0.0124122139715597, 0.532505845200153, 0.0714046596839863];
/// // dat.bcg, log risk ratios; metafor 3.8-1:
/// // selmodel(rma(yi, vi), type = "stepfun", steps = 0.05, alternative = "less",
/// //          control = list(reltol = 1e-12))
/// let s = selmodel(&yi, &vi, &FitOptions::new(Method::Reml), SelType::Stepfun, Alternative::Less, &[0.05])?;
/// assert_eq!((s.interval_counts.clone(), s.lrt_df), (vec![8, 5], 1));
/// assert!((s.estimate.estimate - -0.7315966).abs() < 1e-6);
/// assert!((s.estimate.se - 0.2425689).abs() < 1e-6);
/// assert!((s.delta[1].estimate - 1.1135682).abs() < 1e-6);
/// assert!((s.loglik - -12.65815596).abs() < 1e-8);
/// # Ok(())
/// # }
/// ```
pub fn selmodel(
    yi: &[f64],
    vi: &[f64],
    opts: &FitOptions,
    kind: SelType,
    alt: Alternative,
    steps: &[f64],
) -> Result<SelModel> {
    selmodel_with(yi, vi, None, opts, kind, alt, steps, &SelOptions::default())
}

/// [`selmodel`] with metafor's `prec`, `scaleprec` and `delta` ([`SelOptions`]);
/// `ni` are the sample sizes, needed by `prec = ninv | sqrtninv`
/// (metafor `selmodel(res, type, alternative, prec, delta, steps)`).
///
/// ```
/// use rema_core::bias::{selmodel_with, Alternative, SelOptions, SelPrec, SelType};
/// use rema_core::{FitOptions, Method};
/// # fn main() -> rema_core::Result<()> {
/// let yi = [0.1, 0.3, 0.5, 0.2, 0.7, 0.4, 0.25, 0.6];
/// let vi = [0.01, 0.04, 0.09, 0.02, 0.1, 0.05, 0.03, 0.08];
/// let sel = SelOptions { prec: Some(SelPrec::Sei), ..SelOptions::default() };
/// let s = selmodel_with(&yi, &vi, None, &FitOptions::new(Method::Fe), SelType::Negexp,
///                       Alternative::Greater, &[], &sel)?;
/// assert_eq!((s.prec, s.lrt_df), (Some(SelPrec::Sei), 1));
/// // Fixing delta at 0 is no selection: the unadjusted model, no test.
/// let none = SelOptions { delta: vec![Some(0.0)], ..SelOptions::default() };
/// let s0 = selmodel_with(&yi, &vi, None, &FitOptions::new(Method::Fe), SelType::Negexp,
///                        Alternative::Greater, &[], &none)?;
/// assert!(s0.delta[0].fixed && s0.lrt_df == 0 && (s0.loglik - s0.loglik0).abs() < 1e-9);
/// // beta takes no precision measure.
/// let beta = selmodel_with(&yi, &vi, None, &FitOptions::new(Method::Fe), SelType::Beta,
///                          Alternative::Greater, &[], &sel);
/// assert!(matches!(beta, Err(rema_core::Error::InvalidOption { option: "prec", .. })));
/// # Ok(())
/// # }
/// ```
#[allow(clippy::too_many_arguments)]
pub fn selmodel_with(
    yi: &[f64],
    vi: &[f64],
    ni: Option<&[f64]>,
    opts: &FitOptions,
    kind: SelType,
    alt: Alternative,
    steps: &[f64],
    sel: &SelOptions,
) -> Result<SelModel> {
    let k = crate::fit::validate_at_least(yi, vi, 2, "a selection model")?;
    let mut notes = Vec::new();
    let steps = check_steps(kind, steps)?;
    let fam = Family::of(kind, steps.len());
    let preci = precision(kind, vi, ni, sel)?;
    let delta_fixed = fixed_deltas(kind, fam.min.len(), &sel.delta)?;
    let common = opts.method == Method::Fe;
    let ml_opts = FitOptions {
        method: if common { Method::Fe } else { Method::Ml },
        test: Test::Z,
        level: opts.level,
        control: opts.control,
    };
    if !common && opts.method != Method::Ml {
        notes.push(format!(
            "selection model: the {} model was refitted by maximum likelihood (ML), as metafor's selmodel()",
            opts.method.name()
        ));
    }
    if opts.test != Test::Z {
        notes.push(
            "selection model: the coefficients are tested with z tests, as metafor's selmodel()"
                .to_string(),
        );
    }
    let base = fit(yi, vi, &ml_opts)?;
    let mu0 = base.estimate().estimate;
    let loglik0: f64 = yi
        .iter()
        .zip(vi)
        .map(|(y, v)| {
            let s2 = v + base.tau2;
            -0.5 * ((y - mu0).powi(2) / s2 + s2.ln() + (2.0 * std::f64::consts::PI).ln())
        })
        .sum();

    let pvals: Vec<f64> = yi
        .iter()
        .zip(vi)
        .map(|(y, v)| continuous::pvalue(*y, *v, alt, fam.pmin))
        .collect();
    let groups: Vec<usize> = pvals
        .iter()
        .map(|p| {
            steps
                .iter()
                .position(|s| p <= s)
                .unwrap_or(steps.len().saturating_sub(1))
        })
        .collect();
    let mut interval_counts = vec![0; steps.len()];
    if !steps.is_empty() {
        for g in &groups {
            interval_counts[*g] += 1;
        }
    }
    if let Some(j) = (0..steps.len()).find(|&j| {
        interval_counts[j] == 0 && (kind != SelType::Stepfun || delta_fixed[j].is_none())
    }) {
        let lo = if j == 0 { 0.0 } else { steps[j - 1] };
        return Err(Error::Undefined {
            what: "the selection model",
            reason: format!(
                "no study has a p-value in the interval ({lo}, {}] of `steps`; choose steps with studies in every interval",
                steps[j]
            ),
        });
    }
    let free = delta_fixed.iter().filter(|d| d.is_none()).count();
    let needed = 1 + usize::from(!common) + free;
    if k < needed {
        return Err(Error::TooFewStudies {
            k,
            needed,
            what: "this selection model",
        });
    }
    let pr = Problem {
        yi,
        vi,
        kind,
        alt,
        steps: steps.clone(),
        pvals,
        groups,
        pmin: fam.pmin,
        rule: continuous::gauss_legendre(),
        preci,
    };
    let layout = Layout {
        fam: &fam,
        tau2_fixed: common.then_some(0.0),
        delta_fixed: delta_fixed.clone(),
    };
    let (mu, tau2, delta, iterations) = maximise(&pr, &layout, mu0, base.tau2)?;
    let loglik = pr.loglik(mu, tau2, &delta);

    // The Hessian of −ℓ in (μ, τ², free δ), untransformed.
    let mut point = vec![mu];
    if !common {
        point.push(tau2);
    }
    point.extend(
        delta
            .iter()
            .zip(&delta_fixed)
            .filter(|(_, f)| f.is_none())
            .map(|(d, _)| *d),
    );
    let mut neg = |x: &[f64]| {
        let mut it = x.iter().copied();
        let m = it.next().expect("mu");
        let t = if common {
            0.0
        } else {
            it.next().expect("tau2")
        };
        let d: Vec<f64> = delta_fixed
            .iter()
            .map(|f| f.unwrap_or_else(|| it.next().expect("delta")))
            .collect();
        -pr.loglik(m, t, &d)
    };
    let h = optim::hessian(&mut neg, &point);
    let n = point.len();
    let mut hs = SymMatrix::zeros(n);
    for i in 0..n {
        for j in 0..n {
            hs.set(i, j, h[i * n + j]);
        }
    }
    let inv = hs.cholesky_inverse();
    if inv.is_none() {
        notes.push("selection model: the Hessian could not be inverted, so there are no standard errors; the model may not be identified by these data".to_string());
    }
    let var = |i: usize| inv.as_ref().map(|m| m.get(i, i)).filter(|v| *v >= 0.0);
    let crit = norm_quantile(1.0 - (1.0 - opts.level / 100.0) / 2.0);
    let se_mu = var(0).map_or(f64::NAN, f64::sqrt);
    let z = mu / se_mu;
    let estimate = Coefficient {
        estimate: mu,
        se: se_mu,
        stat: z,
        pval: 2.0 * norm_sf(z.abs()),
        ci_lower: mu - crit * se_mu,
        ci_upper: mu + crit * se_mu,
    };
    let (tau2_se, tau2_ci) = if common {
        (None, None)
    } else {
        let se = var(1).map(f64::sqrt);
        (
            se,
            se.map(|s| ((tau2 - crit * s).max(0.0), tau2 + crit * s)),
        )
    };
    let mut pos = if common { 1 } else { 2 };
    let mut deltas = Vec::with_capacity(delta.len());
    for (j, (&d, fixed)) in delta.iter().zip(&delta_fixed).enumerate() {
        if fixed.is_some() {
            deltas.push(DeltaEstimate {
                estimate: d,
                se: None,
                stat: None,
                pval: None,
                ci: None,
                fixed: true,
            });
            continue;
        }
        let se = var(pos).map(f64::sqrt);
        pos += 1;
        let stat = se.map(|s| (d - fam.null) / s);
        deltas.push(DeltaEstimate {
            estimate: d,
            se,
            stat,
            pval: stat.map(|z| 2.0 * norm_sf(z.abs())),
            ci: se.map(|s| ((d - crit * s).max(fam.lb), d + crit * s)),
            fixed: false,
        });
        let eps4 = f64::EPSILON.powf(0.25);
        if d <= fam.min[j] + eps4 || d >= fam.max[j] - 100.0 * eps4 {
            notes.push(format!(
                "selection model: delta {} = {d} is at (or nearly at) its bound [{}, {}]; treat the results with caution",
                j + 1,
                fam.min[j],
                fam.max[j]
            ));
        }
    }
    if !common && tau2 < 1e-8 {
        notes.push(
            "selection model: tau^2 was estimated at (or nearly at) its lower bound 0".to_string(),
        );
    }
    let lrt = (-2.0 * (loglik0 - loglik)).max(0.0);
    let lrt_tau2 = if common {
        None
    } else {
        let zero = Layout {
            fam: &fam,
            tau2_fixed: Some(0.0),
            delta_fixed: delta_fixed.clone(),
        };
        match maximise(&pr, &zero, mu0, base.tau2) {
            Ok((m, t, d, _)) => {
                let stat = (-2.0 * (pr.loglik(m, t, &d) - loglik)).max(0.0);
                Some((stat, chisq_sf(stat, 1.0)))
            }
            Err(e) => {
                notes.push(format!(
                    "selection model: the test of tau^2 = 0 could not be computed: {e}"
                ));
                None
            }
        }
    };
    Ok(SelModel {
        kind,
        alternative: alt,
        steps,
        k,
        prec: sel.prec,
        scale_prec: sel.scale_prec,
        estimate,
        tau2,
        tau2_se,
        tau2_ci,
        delta: deltas,
        interval_counts,
        loglik,
        loglik0,
        lrt,
        lrt_df: free,
        lrt_pval: if free > 0 {
            chisq_sf(lrt, free as f64)
        } else {
            f64::NAN
        },
        lrt_tau2,
        iterations,
        notes,
    })
}

/// The checked cut-points: within [0, 1], sorted, duplicates dropped, 1
/// appended; a step function needs at least one below 1, a continuous
/// function other than beta takes at most one, beta none.
fn check_steps(kind: SelType, steps: &[f64]) -> Result<Vec<f64>> {
    let bad = |message: String| Error::InvalidOption {
        option: "steps",
        message,
    };
    if let Some(s) = steps.iter().find(|s| !(0.0..=1.0).contains(*s)) {
        return Err(bad(format!(
            "{s} is not a p-value; every step must be between 0 and 1"
        )));
    }
    let mut s = steps.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).expect("checked"));
    s.dedup();
    match kind {
        SelType::Stepfun => {
            if s.last() != Some(&1.0) {
                s.push(1.0);
            }
            if s.len() < 2 {
                return Err(bad(
                    "the step function needs at least one step below 1, such as 0.025".to_string(),
                ));
            }
            Ok(s)
        }
        SelType::Beta if !s.is_empty() => Err(bad(
            "the beta selection model has no steps; leave out steps".to_string(),
        )),
        _ if s.is_empty() => Ok(Vec::new()),
        _ => {
            if s.last() != Some(&1.0) {
                s.push(1.0);
            }
            if s.len() != 2 {
                return Err(bad(format!(
                    "the {kind} selection model takes a single step below 1"
                )));
            }
            Ok(s)
        }
    }
}

/// Each study's precision cᵢ in the weight function: all 1 without `prec`;
/// else √vᵢ, vᵢ, 1/nᵢ or 1/√nᵢ, divided by the largest unless `scale_prec`
/// is false (metafor `selmodel(prec, scaleprec)`).
fn precision(kind: SelType, vi: &[f64], ni: Option<&[f64]>, sel: &SelOptions) -> Result<Vec<f64>> {
    let Some(prec) = sel.prec else {
        return Ok(vec![1.0; vi.len()]);
    };
    if !kind.takes_prec() {
        return Err(Error::InvalidOption {
            option: "prec",
            message: format!(
                "the {kind} selection model takes no precision measure (metafor's selmodel() ignores it for beta and calls it experimental for stepfun); use halfnorm, negexp, logistic or power, or leave out prec"
            ),
        });
    }
    let ni = match (prec.needs_ni(), ni) {
        (false, _) => None,
        (true, Some(n)) if n.len() == vi.len() => Some(n),
        (true, Some(n)) => {
            return Err(Error::LengthMismatch {
                what: format!("{} studies but {} sample sizes", vi.len(), n.len()),
            })
        }
        (true, None) => {
            return Err(Error::InvalidOption {
                option: "prec",
                message: format!(
                    "prec `{prec}` needs the studies' sample sizes, which this measure does not have; use prec `sei` or `vi`"
                ),
            })
        }
    };
    let mut c = Vec::with_capacity(vi.len());
    for (i, &v) in vi.iter().enumerate() {
        let x = match prec {
            SelPrec::Sei => v.sqrt(),
            SelPrec::Vi => v,
            SelPrec::Ninv | SelPrec::Sqrtninv => {
                let n = ni.map_or(f64::NAN, |n| n[i]);
                if !(n.is_finite() && n > 0.0) {
                    return Err(Error::InvalidValue {
                        study: i,
                        column: "ni",
                        value: n,
                        allowed:
                            "the sample size of a selection model's precision must be positive",
                    });
                }
                if prec == SelPrec::Ninv {
                    1.0 / n
                } else {
                    1.0 / n.sqrt()
                }
            }
        };
        c.push(x);
    }
    if sel.scale_prec {
        let max = c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        for x in &mut c {
            *x /= max;
        }
    }
    Ok(c)
}

/// The δ fixed per position: the user's values (one for all, or one per δ,
/// `None` estimated), checked against the family's range; the step
/// function's δ₁ is 1.
fn fixed_deltas(kind: SelType, n: usize, given: &[Option<f64>]) -> Result<Vec<Option<f64>>> {
    let bad = |message: String| Error::InvalidOption {
        option: "delta",
        message,
    };
    let mut fixed = match given.len() {
        0 => vec![None; n],
        1 => vec![given[0]; n],
        m if m == n => given.to_vec(),
        m => {
            return Err(bad(format!(
                "the {kind} selection model has {n} delta parameter{} here but {m} values were given; give {n} (NA to estimate one) or a single value",
                if n == 1 { "" } else { "s" }
            )))
        }
    };
    for (j, d) in fixed.iter().enumerate() {
        let Some(d) = *d else { continue };
        let ok = if kind == SelType::Beta {
            d > 0.0
        } else {
            d >= 0.0
        };
        if !(d.is_finite() && ok) {
            return Err(bad(format!(
                "delta {} = {d} is outside the {kind} model's range; it must be {} and finite",
                j + 1,
                if kind == SelType::Beta { "> 0" } else { ">= 0" }
            )));
        }
        if kind == SelType::Stepfun && j == 0 && d != 1.0 {
            return Err(bad(format!(
                "the step function's first delta is 1 by the model (the selection probability of the first interval); fix it at 1 or NA, not {d}"
            )));
        }
    }
    if kind == SelType::Stepfun {
        fixed[0] = Some(1.0);
    }
    Ok(fixed)
}

/// Maximises ℓ under `layout` from μ₀, τ₀²; returns (μ, τ², δ, iterations).
fn maximise(
    pr: &Problem<'_>,
    layout: &Layout<'_>,
    mu0: f64,
    tau20: f64,
) -> Result<(f64, f64, Vec<f64>, usize)> {
    let mut obj = |x: &[f64]| {
        let (m, t, d) = layout.unpack(x);
        let v = -pr.loglik(m, t, &d);
        if v.is_nan() {
            f64::INFINITY
        } else {
            v
        }
    };
    let start = layout.start(mu0, tau20);
    let m = optim::bfgs(&mut obj, &start, 1000);
    if !m.converged || !m.value.is_finite() {
        return Err(Error::NotConverged {
            method: "selection model",
            iterations: m.iterations,
            detail: format!(
                "the likelihood was not maximised (last -log-likelihood {})",
                m.value
            ),
        });
    }
    let (mu, tau2, delta) = layout.unpack(&m.x);
    let tau2 = if tau2 < 10.0 * f64::EPSILON {
        0.0
    } else {
        tau2
    };
    Ok((mu, tau2, delta, m.iterations))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_checked_for_each_family() {
        assert_eq!(
            check_steps(SelType::Stepfun, &[0.5, 0.025, 0.5]).unwrap(),
            vec![0.025, 0.5, 1.0]
        );
        assert!(check_steps(SelType::Stepfun, &[]).is_err());
        assert!(check_steps(SelType::Beta, &[0.05]).is_err());
        assert!(check_steps(SelType::Negexp, &[0.05, 0.1]).is_err());
        assert_eq!(check_steps(SelType::Power, &[]).unwrap(), Vec::<f64>::new());
        assert!(matches!(
            check_steps(SelType::Stepfun, &[1.5]),
            Err(Error::InvalidOption {
                option: "steps",
                ..
            })
        ));
    }

    #[test]
    fn deltas_are_fixed_as_metafor_reads_them() {
        // One value fixes all; NA (None) is estimated; stepfun's first is 1.
        assert_eq!(
            fixed_deltas(SelType::Beta, 2, &[Some(0.5)]).unwrap(),
            vec![Some(0.5), Some(0.5)]
        );
        assert_eq!(
            fixed_deltas(SelType::Stepfun, 3, &[None, None, Some(0.5)]).unwrap(),
            vec![Some(1.0), None, Some(0.5)]
        );
        assert_eq!(
            fixed_deltas(SelType::Stepfun, 2, &[]).unwrap(),
            vec![Some(1.0), None]
        );
        for (kind, n, given) in [
            (SelType::Negexp, 1, vec![None, Some(1.0)]),
            (SelType::Beta, 2, vec![Some(0.0), None]),
            (SelType::Power, 1, vec![Some(-1.0)]),
            (SelType::Halfnorm, 1, vec![Some(f64::NAN)]),
            (SelType::Stepfun, 2, vec![Some(2.0), None]),
        ] {
            assert!(
                matches!(
                    fixed_deltas(kind, n, &given),
                    Err(Error::InvalidOption {
                        option: "delta",
                        ..
                    })
                ),
                "{kind} {given:?}"
            );
        }
    }

    #[test]
    fn precision_is_scaled_by_its_largest_value() {
        let vi = [0.04, 0.01, 0.16];
        let ni = [50.0, 200.0, 12.5];
        let sel = |prec, scale_prec| SelOptions {
            prec: Some(prec),
            scale_prec,
            delta: Vec::new(),
        };
        let c = precision(SelType::Negexp, &vi, None, &sel(SelPrec::Sei, true)).unwrap();
        assert_eq!(c, vec![0.5, 0.25, 1.0]);
        let c = precision(SelType::Power, &vi, None, &sel(SelPrec::Vi, false)).unwrap();
        assert_eq!(c, vi.to_vec());
        let c = precision(SelType::Logistic, &vi, Some(&ni), &sel(SelPrec::Ninv, true)).unwrap();
        assert!((c[0] - 0.25).abs() < 1e-15 && (c[2] - 1.0).abs() < 1e-15);
        let c = precision(
            SelType::Halfnorm,
            &vi,
            Some(&ni),
            &sel(SelPrec::Sqrtninv, false),
        )
        .unwrap();
        assert!((c[1] - 1.0 / 200f64.sqrt()).abs() < 1e-15);
        assert!(matches!(
            precision(SelType::Negexp, &vi, None, &sel(SelPrec::Ninv, true)),
            Err(Error::InvalidOption { option: "prec", .. })
        ));
        assert!(matches!(
            precision(
                SelType::Negexp,
                &vi,
                Some(&[1.0, 0.0, 2.0]),
                &sel(SelPrec::Ninv, true)
            ),
            Err(Error::InvalidValue { study: 1, .. })
        ));
        for kind in [SelType::Beta, SelType::Stepfun] {
            assert!(matches!(
                precision(kind, &vi, None, &sel(SelPrec::Sei, true)),
                Err(Error::InvalidOption { option: "prec", .. })
            ));
        }
    }

    #[test]
    fn an_empty_interval_is_refused() {
        let yi = [0.5, 0.6, 0.7, 0.8];
        let vi = [0.01, 0.01, 0.01, 0.01];
        let err = selmodel(
            &yi,
            &vi,
            &FitOptions::new(Method::Fe),
            SelType::Stepfun,
            Alternative::Greater,
            &[0.025],
        )
        .unwrap_err();
        assert!(matches!(err, Error::Undefined { .. }), "{err}");
    }
}
