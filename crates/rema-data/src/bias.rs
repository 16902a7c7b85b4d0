//! `rema bias`: the small-study-effect methods of one table, as metafor
//! 3.8-1's functions on the `rma()` model of the same options: Egger's
//! regression test and any other `regtest` (predictor, model), PET-PEESE,
//! Begg's rank correlation (`ranktest`), trim and fill (`trimfill`), the
//! fail-safe N (`fsn`), the test of excess significance (`tes`) and, when
//! asked for, a selection model (`selmodel`). Their options are
//! [`BiasOptions`], named after metafor's arguments. The JSON schema is in
//! docs/SCHEMA.md.

use rema_core::bias::begg::rank_correlation_with;
use rema_core::bias::{
    fail_safe_n_with, pet_peese, regtest, selmodel_with, tes, trim_and_fill_with, Alternative,
    Estimator, FsnTest, FsnType, Predictor, RegModel, Regtest, SelOptions, SelPrec, SelType,
    TesOptions, TesTest,
};
use rema_core::{effect_sizes, egger, Side};
use serde::{Deserialize, Deserializer, Serialize};

use crate::columns::select_studies;
use crate::error::{DataError, Result};
use crate::result::Provenance;
use crate::spec::{via_str, AnalysisSpec};
use crate::table::Table;

/// The options of the small-study methods, each named after its metafor
/// argument (prefixed by the function where two functions share a name);
/// every field has metafor's default, so `{}` is metafor's defaults.
///
/// ```
/// use rema_data::bias::BiasOptions;
/// let o: BiasOptions = serde_json::from_str(r#"{"predictor": "ninv", "estimator": "R0",
///     "selmodel": "stepfun", "steps": [0.025], "exact": "false"}"#).unwrap();
/// assert_eq!((o.predictor.name(), o.estimator.name(), o.exact), ("ninv", "R0", false));
/// assert!(serde_json::from_str::<BiasOptions>(r#"{"predicter": "sei"}"#).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BiasOptions {
    /// The predictor of the regression test (metafor `regtest(predictor)`):
    /// `sei` (default), `vi`, `ni`, `ninv`, `sqrtni`, `sqrtninv`.
    #[serde(with = "via_str")]
    pub predictor: Predictor,
    /// Its model (metafor `regtest(model)`): `rma` (default) or `lm`.
    #[serde(with = "via_str")]
    pub model: RegModel,
    /// The exact p-value of the rank correlation without ties (metafor
    /// `ranktest(exact)`, default true); false for the normal approximation.
    #[serde(deserialize_with = "bool_or_text")]
    pub exact: bool,
    /// The trim-and-fill estimator (metafor `trimfill(estimator)`): `L0`
    /// (default), `R0` or `Q0`.
    #[serde(with = "via_str")]
    pub estimator: Estimator,
    /// The side trim and fill imputes on (metafor `trimfill(side)`): `left`
    /// or `right`; absent: chosen from Egger's slope, as metafor.
    #[serde(skip_serializing_if = "Option::is_none", with = "via_str::option")]
    pub side: Option<Side>,
    /// The level of the fail-safe N (metafor `fsn(alpha)`, default 0.05).
    pub fsn_alpha: f64,
    /// Orwin's target effect (metafor `fsn(target)`); absent: half the mean effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fsn_target: Option<f64>,
    /// Orwin's mean effect weighted by inverse variance (metafor `fsn(weighted)`).
    pub fsn_weighted: bool,
    /// How Rosenthal's N combines the p-values (metafor `fsn(test)`):
    /// `Stouffer` (default) or `Fisher`.
    #[serde(with = "via_str")]
    pub fsn_test: FsnTest,
    /// The one-tailed level of PET's test that chooses PEESE (default 0.05).
    pub petpeese_alpha: f64,
    /// The null value of each study's test (metafor `tes(H0)`, default 0).
    pub tes_h0: f64,
    /// The sidedness of each study's test (metafor `tes(alternative)`):
    /// `two.sided` (default), `greater`, `less`.
    #[serde(with = "via_str")]
    pub tes_study_alternative: Alternative,
    /// The level of each study's test (metafor `tes(alpha)`, default 0.05).
    pub tes_alpha: f64,
    /// The true effect of the power calculations (metafor `tes(theta)`);
    /// absent: the common-effect estimate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tes_theta: Option<f64>,
    /// The test of O against E (metafor `tes(test)`): `chi2`, `binom` or
    /// `exact`; absent: metafor's choice.
    #[serde(skip_serializing_if = "Option::is_none", with = "via_str::option")]
    pub tes_test: Option<TesTest>,
    /// The alternative of that test (metafor `tes(tes.alternative)`):
    /// `greater` (default), `two.sided`, `less`.
    #[serde(with = "via_str")]
    pub tes_alternative: Alternative,
    /// The heterogeneity the powers average over (metafor `tes(tau2)`;
    /// `tes(res)` passes the model's tau^2); absent: none, powers at theta.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tes_tau2: Option<f64>,
    /// The level of `theta_lim`, the true effect at which the test is just
    /// significant (metafor `tes(tes.alpha)`, default 0.1).
    pub tes_limit_alpha: f64,
    /// A selection model to fit (metafor `selmodel(type)`): `stepfun`,
    /// `beta`, `halfnorm`, `negexp`, `logistic`, `power`; absent: none.
    #[serde(skip_serializing_if = "Option::is_none", with = "via_str::option")]
    pub selmodel: Option<SelType>,
    /// Its cut-points of the p-values (metafor `selmodel(steps)`): needed by
    /// `stepfun`, one optional step for the other functions except beta.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<f64>,
    /// The sidedness of the p-values of the selection model (metafor
    /// `selmodel(alternative)`): `greater` (default), `less`, `two.sided`.
    #[serde(with = "via_str")]
    pub alternative: Alternative,
    /// The precision measure in the selection function (metafor
    /// `selmodel(prec)`): `sei`, `vi`, `ninv` or `sqrtninv`, for `halfnorm`,
    /// `negexp`, `logistic` and `power`; absent: none.
    #[serde(skip_serializing_if = "Option::is_none", with = "via_str::option")]
    pub selmodel_prec: Option<SelPrec>,
    /// Divide that measure by its largest value (metafor
    /// `selmodel(scaleprec)`, default true).
    #[serde(deserialize_with = "bool_or_text")]
    pub selmodel_scaleprec: bool,
    /// Fixed values of the selection parameters (metafor `selmodel(delta)`):
    /// one per delta, null to estimate it, or a single value for all;
    /// absent: all estimated.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub selmodel_delta: Vec<Option<f64>>,
}

impl Default for BiasOptions {
    fn default() -> BiasOptions {
        BiasOptions {
            predictor: Predictor::Sei,
            model: RegModel::Rma,
            exact: true,
            estimator: Estimator::L0,
            side: None,
            fsn_alpha: 0.05,
            fsn_target: None,
            fsn_weighted: false,
            fsn_test: FsnTest::Stouffer,
            petpeese_alpha: 0.05,
            tes_h0: 0.0,
            tes_study_alternative: Alternative::TwoSided,
            tes_alpha: 0.05,
            tes_theta: None,
            tes_test: None,
            tes_alternative: Alternative::Greater,
            tes_tau2: None,
            tes_limit_alpha: 0.1,
            selmodel: None,
            steps: Vec::new(),
            alternative: Alternative::Greater,
            selmodel_prec: None,
            selmodel_scaleprec: true,
            selmodel_delta: Vec::new(),
        }
    }
}

/// The names of [`BiasOptions`]' fields (for telling them from
/// [`AnalysisSpec`]'s in one JSON object).
pub const BIAS_OPTION_FIELDS: &[&str] = &[
    "predictor",
    "model",
    "exact",
    "estimator",
    "side",
    "fsn_alpha",
    "fsn_target",
    "fsn_weighted",
    "fsn_test",
    "petpeese_alpha",
    "tes_h0",
    "tes_study_alternative",
    "tes_alpha",
    "tes_theta",
    "tes_test",
    "tes_alternative",
    "tes_tau2",
    "tes_limit_alpha",
    "selmodel",
    "steps",
    "alternative",
    "selmodel_prec",
    "selmodel_scaleprec",
    "selmodel_delta",
];

/// A boolean written as `true`/`false` or as the text `"true"`/`"false"`
/// (any case, as R writes `TRUE`).
fn bool_or_text<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        Bool(bool),
        Text(String),
    }
    match B::deserialize(d)? {
        B::Bool(b) => Ok(b),
        B::Text(t) => t
            .trim()
            .to_ascii_lowercase()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("`{t}` is not true or false"))),
    }
}

/// The small-study methods. A method that cannot be computed from the data
/// is null (or absent), and a note says why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BiasResult {
    pub measure: String,
    pub method: String,
    pub test: String,
    pub level: f64,
    pub k: usize,
    pub egger: Option<EggerResult>,
    pub begg: Option<BeggResult>,
    pub trimfill: Option<TrimFillResult>,
    /// The regression test of the `predictor` and `model` asked for (absent
    /// for the defaults, which are `egger`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regtest: Option<RegtestResult>,
    /// PET, PEESE and the conditional estimate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pet_peese: Option<PetPeeseResult>,
    /// The fail-safe N by Rosenthal's, Orwin's and Rosenberg's methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fsn: Option<FsnResult>,
    /// The test of excess significance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tes: Option<TesResult>,
    /// The selection model asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selmodel: Option<SelModelResult>,
    /// The options of the methods.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub options: BiasOptions,
    pub notes: Vec<String>,
    pub provenance: Provenance,
}

/// Egger's regression test (metafor `regtest`, model "rma", predictor "sei").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EggerResult {
    /// z statistic of the standard-error coefficient (z test).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub z: Option<f64>,
    /// t statistic and its degrees of freedom (Knapp-Hartung test).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub df: Option<f64>,
    pub pval: f64,
    /// The slope on the standard error.
    pub slope: f64,
    pub slope_se: f64,
    /// The intercept: the estimate at standard error 0, with its CI.
    pub limit_estimate: f64,
    pub limit_ci_lower: f64,
    pub limit_ci_upper: f64,
    pub tau2: f64,
}

/// Begg and Mazumdar's rank correlation (metafor `ranktest`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BeggResult {
    /// Kendall's tau_b.
    pub tau: f64,
    pub pval: f64,
    /// True for the exact p-value (no ties), false for the normal approximation.
    pub exact: bool,
}

/// Trim and fill (metafor `trimfill`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrimFillResult {
    pub k0: usize,
    pub se_k0: f64,
    /// `left` or `right`: where studies are missing.
    pub side: String,
    /// The estimator of k0 (`L0`, `R0`, `Q0`).
    #[serde(default = "l0")]
    pub estimator: String,
    /// R0's probability of at least k0 when no studies are missing (metafor `p.k0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_k0: Option<f64>,
    /// The model refitted to the observed and filled studies.
    pub estimate: f64,
    pub se: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub pval: f64,
    pub tau2: f64,
    pub i2: f64,
    pub q: f64,
    /// The imputed studies, for a funnel plot.
    pub filled: Vec<FilledStudy>,
}

/// One imputed study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FilledStudy {
    /// The observed study it mirrors.
    pub mirror_of: String,
    pub yi: f64,
    pub vi: f64,
}

fn stouffer() -> String {
    "Stouffer".to_string()
}

fn l0() -> String {
    "L0".to_string()
}

/// A regression test (metafor `regtest(res, model, predictor)`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegtestResult {
    /// `rma` or `lm`.
    pub model: String,
    /// `sei`, `vi`, `ni`, `ninv`, `sqrtni` or `sqrtninv`.
    pub predictor: String,
    /// z statistic of the predictor's coefficient (z test).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub z: Option<f64>,
    /// t statistic and its degrees of freedom (`lm`, Knapp-Hartung).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub df: Option<f64>,
    pub pval: f64,
    pub slope: f64,
    pub slope_se: f64,
    /// The limit estimate (metafor `est`) with its CI, for `sei`, `vi`,
    /// `ninv`, `sqrtninv`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_estimate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_ci_lower: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_ci_upper: Option<f64>,
    /// tau^2 of the `rma` model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau2: Option<f64>,
}

impl RegtestResult {
    fn of(r: &Regtest) -> RegtestResult {
        let t = r.df.is_some();
        RegtestResult {
            model: r.model.name().to_string(),
            predictor: r.predictor.name().to_string(),
            z: (!t).then_some(r.stat),
            t: t.then_some(r.stat),
            df: r.df,
            pval: r.pval,
            slope: r.slope.estimate,
            slope_se: r.slope.se,
            limit_estimate: r.limit.map(|l| l.estimate),
            limit_ci_lower: r.limit.map(|l| l.ci_lower),
            limit_ci_upper: r.limit.map(|l| l.ci_upper),
            tau2: r.tau2,
        }
    }
}

/// One weighted-least-squares estimate of PET-PEESE: the intercept (the
/// effect at standard error 0) and the slope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WlsEstimate {
    pub estimate: f64,
    pub se: f64,
    /// t statistic of the intercept, on `df` = k - 2 degrees of freedom.
    pub t: f64,
    pub df: f64,
    pub pval: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    /// The slope on the standard error (PET) or the variance (PEESE).
    pub slope: f64,
    pub slope_se: f64,
    pub slope_pval: f64,
}

impl WlsEstimate {
    fn of(r: &Regtest) -> WlsEstimate {
        WlsEstimate {
            estimate: r.intercept.estimate,
            se: r.intercept.se,
            t: r.intercept.stat,
            df: r.df.unwrap_or(f64::NAN),
            pval: r.intercept.pval,
            ci_lower: r.intercept.ci_lower,
            ci_upper: r.intercept.ci_upper,
            slope: r.slope.estimate,
            slope_se: r.slope.se,
            slope_pval: r.slope.pval,
        }
    }
}

/// PET-PEESE (Stanley & Doucouliagos 2014).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PetPeeseResult {
    pub pet: WlsEstimate,
    pub peese: WlsEstimate,
    /// The one-tailed level of PET's test of a zero intercept.
    pub alpha: f64,
    /// PET's one-tailed p-value in the direction of its estimate.
    pub pet_one_sided_pval: f64,
    /// `PET` or `PEESE`: the conditional estimate's regression.
    pub chosen: String,
    /// The conditional estimate with its CI.
    pub estimate: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
}

/// The fail-safe N (metafor `fsn`) by the three methods; an N that is
/// infinite (Orwin's with target 0) is null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FsnResult {
    pub alpha: f64,
    /// How Rosenthal's N combined the p-values: `Stouffer` or `Fisher`.
    #[serde(default = "stouffer")]
    pub rosenthal_test: String,
    pub rosenthal: FsnRow,
    pub orwin: FsnRow,
    pub rosenberg: FsnRow,
}

/// One fail-safe N.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FsnRow {
    /// The fail-safe N; null when infinite (Orwin's with target 0).
    pub fsnum: Option<f64>,
    /// The observed studies' p-value (Rosenthal's one-sided, Rosenberg's two-sided).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pval: Option<f64>,
    /// The mean effect (Orwin's, Rosenberg's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meanes: Option<f64>,
    /// Orwin's target effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
}

/// The test of excess significance (metafor `tes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TesResult {
    /// Observed number of significant studies.
    pub observed: usize,
    /// Expected number.
    pub expected: f64,
    pub ratio: f64,
    /// `chi2`, `binom` or `exact`.
    pub test: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x2: Option<f64>,
    pub pval: f64,
    /// The true effect the powers were computed at.
    pub theta: f64,
    /// The true effects at which the test is just significant at
    /// `tes_limit_alpha` (metafor `theta.lim`): one value, or the lower and
    /// upper limits for `tes_alternative = two.sided`; null where none.
    #[serde(default)]
    pub theta_lim: Vec<Option<f64>>,
}

/// A selection model (metafor `selmodel`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SelModelResult {
    /// The weight function (`stepfun`, `beta`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    pub alternative: String,
    /// The cut-points, 1 appended.
    pub steps: Vec<f64>,
    /// The precision measure in the selection function (`sei`, `vi`,
    /// `ninv`, `sqrtninv`), divided by its largest value when `scaleprec`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prec: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaleprec: Option<bool>,
    /// The number of p-values in each interval of `steps`.
    pub interval_counts: Vec<usize>,
    /// The adjusted estimate with its z test and CI.
    pub estimate: f64,
    pub se: f64,
    pub z: f64,
    pub pval: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub tau2: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau2_se: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau2_ci_lower: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau2_ci_upper: Option<f64>,
    /// The selection parameters.
    pub delta: Vec<DeltaRow>,
    pub loglik: f64,
    /// The log-likelihood of the unadjusted model.
    pub loglik0: f64,
    /// The likelihood-ratio test against the unadjusted model.
    pub lrt: f64,
    pub lrt_df: usize,
    /// Null when every delta is fixed (no test, metafor `LRTp = NA`).
    #[serde(default)]
    pub lrt_pval: Option<f64>,
    /// The likelihood-ratio test of tau^2 = 0 in the selection model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lrt_tau2: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lrt_tau2_pval: Option<f64>,
}

/// One selection parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeltaRow {
    pub estimate: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub se: Option<f64>,
    /// z against no selection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub z: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pval: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_lower: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_upper: Option<f64>,
    /// True for the first step's delta, fixed at 1.
    pub fixed: bool,
}

/// Runs the methods on `table` with the measure, method, test, level and
/// continuity correction of `spec` and metafor's default options.
pub fn bias(table: &Table, spec: &AnalysisSpec, input_sha256: &str) -> Result<BiasResult> {
    bias_with(table, spec, &BiasOptions::default(), input_sha256)
}

/// A core error about an option the user gave becomes the data layer's
/// option error (named as the option); any other stays a note.
fn option_error(e: &rema_core::Error) -> Option<DataError> {
    match e {
        rema_core::Error::InvalidOption { option, message } => {
            Some(DataError::option(option, message.clone()))
        }
        _ => None,
    }
}

/// The option rules of the small-study methods that need no data: no
/// moderators, clusters or multilevel terms, `steps` and `alternative` only
/// with a selection model. (A plan checks them when it is read.)
pub fn check_options(spec: &AnalysisSpec, opts: &BiasOptions) -> Result<()> {
    spec.rma_options("the small-study tests")?;
    if !spec.mods.is_empty() {
        return Err(DataError::option(
            "mods",
            "the small-study tests take no moderators; leave out mods".to_string(),
        ));
    }
    if opts.selmodel.is_none() && !opts.steps.is_empty() {
        return Err(DataError::option(
            "steps",
            "steps are the cut-points of a selection model; give selmodel (such as stepfun) or leave out steps".to_string(),
        ));
    }
    if opts.selmodel.is_none() && opts.alternative != Alternative::Greater {
        return Err(DataError::option(
            "alternative",
            "alternative is the sidedness of a selection model's p-values; give selmodel or leave out alternative".to_string(),
        ));
    }
    let without = |option: &'static str, what: &str| {
        DataError::option(
            option,
            format!(
                "{option} is the {what} of a selection model; give selmodel or leave out {option}"
            ),
        )
    };
    match (opts.selmodel, opts.selmodel_prec) {
        (None, Some(_)) => return Err(without("selmodel_prec", "precision measure")),
        (Some(kind), Some(_)) if !kind.takes_prec() => {
            return Err(DataError::option(
                "selmodel_prec",
                format!("the {kind} selection model takes no precision measure (metafor's selmodel() ignores it for beta and calls it experimental for stepfun); use selmodel halfnorm, negexp, logistic or power, or leave out selmodel_prec"),
            ))
        }
        _ => {}
    }
    if opts.selmodel.is_none() && !opts.selmodel_delta.is_empty() {
        return Err(without("selmodel_delta", "fixed delta values"));
    }
    if opts.selmodel_prec.is_none() && !opts.selmodel_scaleprec {
        return Err(DataError::option(
            "selmodel_scaleprec",
            "selmodel_scaleprec = false leaves the precision measure unscaled; give selmodel_prec or leave out selmodel_scaleprec".to_string(),
        ));
    }
    if !spec.random_terms.is_empty() || spec.robust.is_some() {
        let option = if spec.robust.is_some() {
            "robust"
        } else {
            "random_terms"
        };
        return Err(DataError::option(
            option,
            format!("the small-study tests refit rma.uni models without moderators or clusters; leave out {option}"),
        ));
    }
    Ok(())
}

/// Runs the methods on `table` with the options of `spec` and `opts`.
///
/// ```
/// use rema_data::bias::{bias_with, BiasOptions};
/// use rema_data::{AnalysisSpec, Table};
/// let table = Table::from_str("study,yi,vi\nA,0.1,0.01\nB,0.3,0.04\nC,0.5,0.09\nD,0.2,0.02\nE,0.7,0.1\n", "x.csv").unwrap();
/// let spec: AnalysisSpec = serde_json::from_str(r#"{"measure": "GEN", "method": "FE"}"#).unwrap();
/// let opts = BiasOptions { estimator: "R0".parse().unwrap(), ..BiasOptions::default() };
/// let r = bias_with(&table, &spec, &opts, "sha").unwrap();
/// assert_eq!(r.trimfill.unwrap().estimator, "R0");
/// assert!(r.pet_peese.is_some() && r.fsn.is_some() && r.tes.is_some() && r.selmodel.is_none());
/// ```
pub fn bias_with(
    table: &Table,
    spec: &AnalysisSpec,
    opts: &BiasOptions,
    input_sha256: &str,
) -> Result<BiasResult> {
    let measure = spec.measure;
    let fit_opts = spec.rma_options("the small-study tests")?;
    check_options(spec, opts)?;
    let eff_opts = spec.effect_options()?;
    let (selected, st) = select_studies(table, measure, &[], spec.missing, spec.sheet.as_deref())?;
    let es = effect_sizes(measure, &st.data, &eff_opts).map_err(|e| st.core_error(e))?;
    let (yi, vi) = (&es.yi, &es.vi);
    let mut notes = selected.notes;
    notes.extend(es.notes.iter().cloned());
    let mut first_error = None;
    let mut refused = None;
    let mut keep = |name: &str, e: rema_core::Error, notes: &mut Vec<String>| {
        if refused.is_none() {
            refused = option_error(&e);
        }
        notes.push(format!("{name}: not computed: {e}"));
        if first_error.is_none() {
            first_error = Some(e);
        }
    };

    let egger_res = match egger(yi, vi, &fit_opts) {
        Ok(e) => {
            notes.extend(e.notes.iter().map(|n| format!("Egger's test: {n}")));
            let knha = e.df.is_some();
            Some(EggerResult {
                z: (!knha).then_some(e.stat),
                t: knha.then_some(e.stat),
                df: e.df,
                pval: e.pval,
                slope: e.slope.estimate,
                slope_se: e.slope.se,
                limit_estimate: e.limit.estimate,
                limit_ci_lower: e.limit.ci_lower,
                limit_ci_upper: e.limit.ci_upper,
                tau2: e.tau2,
            })
        }
        Err(e) => {
            keep("Egger's test", e, &mut notes);
            None
        }
    };
    let default_regtest = opts.predictor == Predictor::Sei && opts.model == RegModel::Rma;
    let regtest_res = if default_regtest {
        None
    } else {
        match regtest(
            yi,
            vi,
            es.ni.as_deref(),
            &fit_opts,
            opts.model,
            opts.predictor,
        ) {
            Ok(r) => {
                notes.extend(r.notes.iter().map(|n| format!("regression test: {n}")));
                Some(RegtestResult::of(&r))
            }
            Err(e) => {
                keep("regression test", e, &mut notes);
                None
            }
        }
    };
    let pp_res = match pet_peese(yi, vi, &fit_opts, opts.petpeese_alpha) {
        Ok(pp) => {
            let c = pp.conditional().intercept;
            Some(PetPeeseResult {
                pet: WlsEstimate::of(&pp.pet),
                peese: WlsEstimate::of(&pp.peese),
                alpha: pp.alpha,
                pet_one_sided_pval: pp.pet_one_sided_pval,
                chosen: pp.chosen.name().to_string(),
                estimate: c.estimate,
                ci_lower: c.ci_lower,
                ci_upper: c.ci_upper,
            })
        }
        Err(e) => {
            keep("PET-PEESE", e, &mut notes);
            None
        }
    };
    let begg_res = match rank_correlation_with(yi, vi, opts.exact) {
        Ok(r) => {
            notes.extend(r.notes.iter().map(|n| format!("rank correlation: {n}")));
            Some(BeggResult {
                tau: r.tau,
                pval: r.pval,
                exact: r.exact,
            })
        }
        Err(e) => {
            keep("rank correlation", e, &mut notes);
            None
        }
    };
    let tf_res = match trim_and_fill_with(yi, vi, &fit_opts, opts.side, opts.estimator) {
        Ok(tf) => {
            notes.extend(tf.notes.iter().cloned());
            notes.extend(tf.fit.notes.iter().map(|n| format!("trim and fill: {n}")));
            let e = tf.fit.estimate();
            Some(TrimFillResult {
                k0: tf.k0,
                se_k0: tf.se_k0,
                side: tf.side.name().to_string(),
                estimator: tf.estimator.name().to_string(),
                p_k0: tf.p_k0,
                estimate: e.estimate,
                se: e.se,
                ci_lower: e.ci_lower,
                ci_upper: e.ci_upper,
                pval: e.pval,
                tau2: tf.fit.tau2,
                i2: tf.fit.i2,
                q: tf.fit.q,
                filled: tf
                    .filled
                    .iter()
                    .map(|f| FilledStudy {
                        mirror_of: st.labels[f.mirror_of].clone(),
                        yi: f.yi,
                        vi: f.vi,
                    })
                    .collect(),
            })
        }
        Err(e) => {
            keep("trim and fill", e, &mut notes);
            None
        }
    };
    let fsn = |kind, test| fail_safe_n_with(yi, vi, kind, test, opts.fsn_alpha, None, false);
    let orwin = fail_safe_n_with(
        yi,
        vi,
        FsnType::Orwin,
        FsnTest::Stouffer,
        opts.fsn_alpha,
        opts.fsn_target,
        opts.fsn_weighted,
    );
    let fsn_res = match (
        fsn(FsnType::Rosenthal, opts.fsn_test),
        orwin,
        fsn(FsnType::Rosenberg, FsnTest::Stouffer),
    ) {
        (Ok(a), Ok(b), Ok(c)) => {
            let row = |f: rema_core::bias::FailSafeN| FsnRow {
                fsnum: f.fsnum.is_finite().then_some(f.fsnum),
                pval: f.pval,
                meanes: f.meanes,
                target: f.target,
            };
            if b.fsnum.is_infinite() {
                notes.push("fail-safe N: Orwin's N is infinite (target effect 0)".to_string());
            }
            Some(FsnResult {
                alpha: opts.fsn_alpha,
                rosenthal_test: opts.fsn_test.name().to_string(),
                rosenthal: row(a),
                orwin: row(b),
                rosenberg: row(c),
            })
        }
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            keep("fail-safe N", e, &mut notes);
            None
        }
    };
    let tes_opts = TesOptions {
        h0: opts.tes_h0,
        alternative: opts.tes_study_alternative,
        alpha: opts.tes_alpha,
        theta: opts.tes_theta,
        test: opts.tes_test,
        tes_alternative: opts.tes_alternative,
        tau2: opts.tes_tau2,
        limit_alpha: opts.tes_limit_alpha,
    };
    let tes_res = match tes(yi, vi, &tes_opts) {
        Ok(t) => Some(TesResult {
            observed: t.observed,
            expected: t.expected,
            ratio: t.ratio,
            test: t.test.name().to_string(),
            x2: t.x2,
            pval: t.pval,
            theta: t.theta,
            theta_lim: t.theta_lim,
        }),
        Err(e) => {
            keep("test of excess significance", e, &mut notes);
            None
        }
    };
    let sel_res = match opts.selmodel {
        None => None,
        Some(kind) => match selmodel_with(
            yi,
            vi,
            es.ni.as_deref(),
            &fit_opts,
            kind,
            opts.alternative,
            &opts.steps,
            &SelOptions {
                prec: opts.selmodel_prec,
                scale_prec: opts.selmodel_scaleprec,
                delta: opts.selmodel_delta.clone(),
            },
        ) {
            Ok(s) => {
                notes.extend(s.notes.iter().cloned());
                Some(SelModelResult {
                    kind: s.kind.name().to_string(),
                    alternative: s.alternative.name().to_string(),
                    steps: s.steps.clone(),
                    prec: s.prec.map(|p| p.name().to_string()),
                    scaleprec: s.prec.map(|_| s.scale_prec),
                    interval_counts: s.interval_counts.clone(),
                    estimate: s.estimate.estimate,
                    se: s.estimate.se,
                    z: s.estimate.stat,
                    pval: s.estimate.pval,
                    ci_lower: s.estimate.ci_lower,
                    ci_upper: s.estimate.ci_upper,
                    tau2: s.tau2,
                    tau2_se: s.tau2_se,
                    tau2_ci_lower: s.tau2_ci.map(|c| c.0),
                    tau2_ci_upper: s.tau2_ci.map(|c| c.1),
                    delta: s
                        .delta
                        .iter()
                        .map(|d| DeltaRow {
                            estimate: d.estimate,
                            se: d.se,
                            z: d.stat,
                            pval: d.pval,
                            ci_lower: d.ci.map(|c| c.0),
                            ci_upper: d.ci.map(|c| c.1),
                            fixed: d.fixed,
                        })
                        .collect(),
                    loglik: s.loglik,
                    loglik0: s.loglik0,
                    lrt: s.lrt,
                    lrt_df: s.lrt_df,
                    lrt_pval: (s.lrt_df > 0).then_some(s.lrt_pval),
                    lrt_tau2: s.lrt_tau2.map(|t| t.0),
                    lrt_tau2_pval: s.lrt_tau2.map(|t| t.1),
                })
            }
            Err(e) => {
                // The core names metafor's arguments; the options are selmodel_*.
                let e = match e {
                    rema_core::Error::InvalidOption { option, message }
                        if option == "prec" || option == "delta" =>
                    {
                        rema_core::Error::InvalidOption {
                            option: if option == "prec" {
                                "selmodel_prec"
                            } else {
                                "selmodel_delta"
                            },
                            message,
                        }
                    }
                    e => e,
                };
                keep("selection model", e, &mut notes);
                None
            }
        },
    };
    if let Some(e) = refused {
        return Err(e);
    }
    if egger_res.is_none() && begg_res.is_none() && tf_res.is_none() {
        if let Some(e) = first_error {
            return Err(st.core_error(e));
        }
    }
    Ok(BiasResult {
        measure: measure.name().to_string(),
        method: fit_opts.method.name().to_string(),
        test: fit_opts.test.name().to_string(),
        level: fit_opts.level,
        k: es.yi.len(),
        egger: egger_res,
        begg: begg_res,
        trimfill: tf_res,
        regtest: regtest_res,
        pet_peese: pp_res,
        fsn: fsn_res,
        tes: tes_res,
        selmodel: sel_res,
        options: opts.clone(),
        notes,
        provenance: Provenance::new(spec, input_sha256, &st.source),
    })
}
