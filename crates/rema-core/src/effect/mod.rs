//! Effect sizes and their sampling variances, as metafor's `escalc`.
//!
//! Each submodule implements one family of raw data. The formulas, their
//! sources and the metafor code they match are in the submodules' docs and in
//! `docs/METHODS.md`.

mod binary;
mod continuous;
mod correlation;
mod prepost;
mod proportion;
mod rate;
mod single;

use crate::error::{Error, Result};
use crate::measure::{DataKind, Measure};

pub use continuous::hedges_correction;

/// A two-by-two table: `ai` events and `bi` non-events in group 1, `ci`, `di` in group 2
/// (see [`compute`]'s example).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinaryStudy {
    /// Events in group 1 (metafor `ai`).
    pub ai: f64,
    /// Non-events in group 1 (metafor `bi`).
    pub bi: f64,
    /// Events in group 2 (metafor `ci`).
    pub ci: f64,
    /// Non-events in group 2 (metafor `di`).
    pub di: f64,
}

/// Means, SDs and sizes of two independent groups.
///
/// ```
/// use rema_core::{effect::ContinuousStudy, effect_sizes, EffectOptions, Measure, StudyData};
/// # fn main() -> rema_core::Result<()> {
/// let s = ContinuousStudy { m1: 10.0, sd1: 2.0, n1: 20.0, m2: 9.0, sd2: 2.5, n2: 25.0 };
/// let es = effect_sizes(Measure::Smd, &StudyData::Continuous(vec![s]), &EffectOptions::default())?;
/// // metafor 3.8-1: escalc("SMD", m1i = 10, sd1i = 2, n1i = 20, m2i = 9, sd2i = 2.5, n2i = 25)
/// assert!((es.yi[0] - 0.4285342949).abs() < 1e-9 && (es.vi[0] - 0.0920404627).abs() < 1e-9);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContinuousStudy {
    /// Mean of group 1 (metafor `m1i`).
    pub m1: f64,
    /// SD of group 1 (metafor `sd1i`).
    pub sd1: f64,
    /// Size of group 1 (metafor `n1i`).
    pub n1: f64,
    /// Mean of group 2 (metafor `m2i`).
    pub m2: f64,
    /// SD of group 2 (metafor `sd2i`).
    pub sd2: f64,
    /// Size of group 2 (metafor `n2i`).
    pub n2: f64,
}

/// A single group measured twice, with metafor's argument semantics: the
/// change is `m1 - m2` and `SMCR` standardises by `sd1`. For pre/post data
/// the data layer maps `m1 = post`, `m2 = pre`, `sd1 = pre SD`, `sd2 = post SD`.
///
/// ```
/// use rema_core::{effect::PrePostStudy, effect_sizes, EffectOptions, Measure, StudyData};
/// # fn main() -> rema_core::Result<()> {
/// let s = PrePostStudy { m1: 12.0, m2: 10.0, sd1: 3.0, sd2: Some(4.0), n: 30.0, r: 0.5 };
/// let es = effect_sizes(Measure::Mc, &StudyData::PrePost(vec![s]), &EffectOptions::default())?;
/// // metafor 3.8-1: escalc("MC", m1i = 12, m2i = 10, sd1i = 3, sd2i = 4, ni = 30, ri = 0.5)
/// assert!((es.yi[0] - 2.0).abs() < 1e-12 && (es.vi[0] - 0.4333333333).abs() < 1e-9);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrePostStudy {
    /// Mean at the first measurement (metafor `m1i`).
    pub m1: f64,
    /// Mean at the second measurement (metafor `m2i`).
    pub m2: f64,
    /// SD at the first measurement (metafor `sd1i`).
    pub sd1: f64,
    /// SD at the second measurement (metafor `sd2i`); not needed by `SMCR`.
    pub sd2: Option<f64>,
    /// Sample size (metafor `ni`).
    pub n: f64,
    /// Correlation between the two measurements (metafor `ri`).
    pub r: f64,
}

/// `x` events out of `n`.
///
/// ```
/// use rema_core::{effect::ProportionStudy, effect_sizes, EffectOptions, Measure, StudyData};
/// # fn main() -> rema_core::Result<()> {
/// let data = StudyData::Proportion(vec![ProportionStudy { x: 3.0, n: 40.0 }]);
/// let es = effect_sizes(Measure::Plo, &data, &EffectOptions::default())?;
/// // metafor 3.8-1: escalc("PLO", xi = 3, ni = 40)
/// assert!((es.yi[0] - -2.5123056240).abs() < 1e-9 && (es.vi[0] - 0.3603603604).abs() < 1e-9);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProportionStudy {
    /// Events (metafor `xi`).
    pub x: f64,
    /// Total (metafor `ni`).
    pub n: f64,
}

/// An effect size with its sampling variance, taken as given (measure `GEN`).
///
/// ```
/// use rema_core::{effect::GenericStudy, effect_sizes, EffectOptions, Error, Measure, StudyData};
/// let data = StudyData::Generic(vec![GenericStudy { yi: 0.2, vi: -0.1 }]);
/// let err = effect_sizes(Measure::Gen, &data, &EffectOptions::default()).unwrap_err();
/// assert_eq!(err, Error::InvalidVariance { study: 0, value: -0.1 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GenericStudy {
    /// The effect size, on the analysis scale (metafor `yi`).
    pub yi: f64,
    /// Its sampling variance, > 0 (metafor `vi`).
    pub vi: f64,
}

/// A correlation coefficient `ri` from a sample of `ni`.
///
/// ```
/// use rema_core::{effect::CorrelationStudy, effect_sizes, EffectOptions, Measure, StudyData};
/// # fn main() -> rema_core::Result<()> {
/// let data = StudyData::Correlation(vec![CorrelationStudy { ri: 0.3, ni: 50.0 }]);
/// let es = effect_sizes(Measure::Zcor, &data, &EffectOptions::default())?;
/// // metafor 3.8-1: escalc("ZCOR", ri = 0.3, ni = 50)
/// assert!((es.yi[0] - 0.3095196042).abs() < 1e-9 && (es.vi[0] - 1.0 / 47.0).abs() < 1e-12);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CorrelationStudy {
    /// The correlation (metafor `ri`).
    pub ri: f64,
    /// The sample size (metafor `ni`).
    pub ni: f64,
}

/// A regression's t statistic `t` of a predictor, with the sample size `n`,
/// the number of predictors `m` and, for semi-partial correlations, the
/// model's R² `r2`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PartialCorrelationStudy {
    /// The t statistic (metafor `ti`).
    pub t: f64,
    /// The sample size (metafor `ni`).
    pub n: f64,
    /// The number of predictors (metafor `mi`).
    pub m: f64,
    /// The model's R² (metafor `r2i`), needed by `SPCOR`.
    pub r2: Option<f64>,
}

/// Events `x1`, `x2` over person-time `t1`, `t2` in two groups.
///
/// ```
/// use rema_core::{effect::TwoRateStudy, effect_sizes, EffectOptions, Measure, StudyData};
/// # fn main() -> rema_core::Result<()> {
/// let data = StudyData::TwoRate(vec![TwoRateStudy { x1: 5.0, t1: 100.0, x2: 10.0, t2: 120.0 }]);
/// let es = effect_sizes(Measure::Irr, &data, &EffectOptions::default())?;
/// // metafor 3.8-1: escalc("IRR", x1i = 5, t1i = 100, x2i = 10, t2i = 120)
/// assert!((es.yi[0] - -0.5108256238).abs() < 1e-9 && (es.vi[0] - 0.3).abs() < 1e-12);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwoRateStudy {
    /// Events in group 1 (metafor `x1i`).
    pub x1: f64,
    /// Person-time in group 1 (metafor `t1i`).
    pub t1: f64,
    /// Events in group 2 (metafor `x2i`).
    pub x2: f64,
    /// Person-time in group 2 (metafor `t2i`).
    pub t2: f64,
}

/// Events `x` over person-time `t` in one group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateStudy {
    /// Events (metafor `xi`).
    pub x: f64,
    /// Person-time (metafor `ti`).
    pub t: f64,
}

/// One group's mean `mean`, SD `sd` and size `n` (the mean is not needed by
/// `SDLN`).
///
/// ```
/// use rema_core::{effect::SingleGroupStudy, effect_sizes, EffectOptions, Measure, StudyData};
/// # fn main() -> rema_core::Result<()> {
/// let data = StudyData::SingleGroup(vec![SingleGroupStudy { mean: Some(20.0), sd: 5.0, n: 30.0 }]);
/// let es = effect_sizes(Measure::Mnln, &data, &EffectOptions::default())?;
/// // metafor 3.8-1: escalc("MNLN", mi = 20, sdi = 5, ni = 30)
/// assert!((es.yi[0] - 2.9957322736).abs() < 1e-9 && (es.vi[0] - 0.0020833333).abs() < 1e-9);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SingleGroupStudy {
    /// The mean (metafor `mi`); `None` where it was not reported, which only
    /// `SDLN` accepts.
    pub mean: Option<f64>,
    /// The SD (metafor `sdi`).
    pub sd: f64,
    /// The sample size (metafor `ni`).
    pub n: f64,
}

/// Raw data of one review outcome, one entry per study.
#[derive(Debug, Clone, PartialEq)]
///
/// The variant must match the measure's [`DataKind`] (see [`compute`]'s example).
pub enum StudyData {
    /// Two-by-two tables, for `RR`, `OR`, `RD`, `AS`, `PHI`, `YUQ`, `YUY`, `OR2DN`, `OR2DL`.
    Binary(Vec<BinaryStudy>),
    /// Two independent groups, for `MD`, `SMD`, `SMDH`, `SMD1`, `ROM`, `CVR`, `VR`.
    Continuous(Vec<ContinuousStudy>),
    /// One group measured twice, for `MC`, `SMCC`, `SMCR`.
    PrePost(Vec<PrePostStudy>),
    /// Single proportions, for `PR`, `PLN`, `PLO`, `PAS`, `PFT`.
    Proportion(Vec<ProportionStudy>),
    /// Effect sizes with their variances, for `GEN`.
    Generic(Vec<GenericStudy>),
    /// Correlation coefficients, for `COR`, `UCOR`, `ZCOR`.
    Correlation(Vec<CorrelationStudy>),
    /// Partial correlations, for `PCOR`, `ZPCOR`, `SPCOR`.
    PartialCorrelation(Vec<PartialCorrelationStudy>),
    /// Incidence rates of two groups, for `IRR`, `IRD`, `IRSD`.
    TwoRate(Vec<TwoRateStudy>),
    /// Incidence rates of one group, for `IR`, `IRLN`, `IRS`, `IRFT`.
    Rate(Vec<RateStudy>),
    /// One group's mean, SD and size, for `MN`, `MNLN`, `CVLN`, `SDLN`, `SMN`.
    SingleGroup(Vec<SingleGroupStudy>),
}

impl StudyData {
    /// The number of studies.
    ///
    /// ```
    /// use rema_core::{effect::ProportionStudy, DataKind, StudyData};
    /// let data = StudyData::Proportion(vec![ProportionStudy { x: 3.0, n: 40.0 }]);
    /// assert_eq!((data.len(), data.is_empty()), (1, false));
    /// assert_eq!(data.kind(), DataKind::Proportion);
    /// ```
    pub fn len(&self) -> usize {
        match self {
            StudyData::Binary(v) => v.len(),
            StudyData::Continuous(v) => v.len(),
            StudyData::PrePost(v) => v.len(),
            StudyData::Proportion(v) => v.len(),
            StudyData::Generic(v) => v.len(),
            StudyData::Correlation(v) => v.len(),
            StudyData::TwoRate(v) => v.len(),
            StudyData::PartialCorrelation(v) => v.len(),
            StudyData::Rate(v) => v.len(),
            StudyData::SingleGroup(v) => v.len(),
        }
    }

    /// True when there are no studies.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The kind of raw data, to be matched with [`Measure::data_kind`].
    pub fn kind(&self) -> DataKind {
        match self {
            StudyData::Binary(_) => DataKind::TwoGroupBinary,
            StudyData::Continuous(_) => DataKind::TwoGroupContinuous,
            StudyData::PrePost(_) => DataKind::PrePost,
            StudyData::Proportion(_) => DataKind::Proportion,
            StudyData::Generic(_) => DataKind::Generic,
            StudyData::Correlation(_) => DataKind::Correlation,
            StudyData::TwoRate(_) => DataKind::TwoGroupRate,
            StudyData::PartialCorrelation(_) => DataKind::PartialCorrelation,
            StudyData::Rate(_) => DataKind::Rate,
            StudyData::SingleGroup(_) => DataKind::SingleGroup,
        }
    }
}

/// To which studies the continuity correction is added (metafor's `to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddTo {
    /// Only to studies with a zero cell (metafor's default, `"only0"`).
    #[default]
    OnlyZero,
    /// To every study.
    All,
    /// To every study, when any study has a zero cell.
    IfAnyZero,
    /// Never.
    None,
}

impl AddTo {
    /// Whether a study receives a correction of `add`, given whether it has a
    /// zero cell and whether any study has one (metafor's `to` argument).
    ///
    /// ```
    /// use rema_core::AddTo;
    /// assert!(AddTo::OnlyZero.applies(0.5, true, true));
    /// assert!(!AddTo::OnlyZero.applies(0.5, false, true));
    /// assert!(AddTo::IfAnyZero.applies(0.5, false, true));
    /// assert!(!AddTo::All.applies(0.0, true, true));
    /// ```
    pub fn applies(self, add: f64, has_zero: bool, any_zero: bool) -> bool {
        add > 0.0
            && match self {
                AddTo::OnlyZero => has_zero,
                AddTo::All => true,
                AddTo::IfAnyZero => any_zero,
                AddTo::None => false,
            }
    }

    /// metafor's name of the rule: `only0`, `all`, `if0all` or `none`.
    ///
    /// ```
    /// use rema_core::AddTo;
    /// assert_eq!(AddTo::IfAnyZero.name(), "if0all");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            AddTo::OnlyZero => "only0",
            AddTo::All => "all",
            AddTo::IfAnyZero => "if0all",
            AddTo::None => "none",
        }
    }
}

/// The amount added to each study's cells by the continuity correction `add`
/// under the rule `to` (0 where it does not apply), and the studies it was
/// added to. `has_zero` says whether a study has a zero cell.
pub(crate) fn continuity<T>(
    studies: &[T],
    add: f64,
    to: AddTo,
    has_zero: impl Fn(&T) -> bool,
) -> (Vec<f64>, Vec<usize>) {
    let any_zero = studies.iter().any(&has_zero);
    let mut corrected = Vec::new();
    let added = studies
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if to.applies(add, has_zero(s), any_zero) {
                corrected.push(i);
                add
            } else {
                0.0
            }
        })
        .collect();
    (added, corrected)
}

/// The effect sizes of count data under the continuity correction (see
/// [`continuity`]): `effect(study, added)` gives yᵢ and vᵢ of a study whose
/// cells received `added`, and `n(study)` its total sample size.
pub(crate) fn corrected_effects<T>(
    measure: Measure,
    studies: &[T],
    (add, to): (f64, AddTo),
    has_zero: impl Fn(&T) -> bool,
    n: impl Fn(&T) -> f64,
    effect: impl Fn(&T, f64) -> (f64, f64),
) -> EffectSizes {
    let (added, corrected) = continuity(studies, add, to, has_zero);
    let (yi, vi) = studies
        .iter()
        .zip(&added)
        .map(|(s, &a)| effect(s, a))
        .unzip();
    EffectSizes {
        measure,
        yi,
        vi,
        ni: Some(studies.iter().map(n).collect()),
        corrected,
        notes: Vec::new(),
    }
}

/// Whether the standardised mean difference `SMD` carries Hedges' exact
/// small-sample correction c(m) (metafor 4.x `escalc(correct = TRUE)`, the
/// default) or is Cohen's d, uncorrected (`correct = FALSE`).
///
/// ```
/// use rema_core::{effect::ContinuousStudy, effect_sizes, EffectOptions, Measure, SmdCorrection, StudyData};
/// # fn main() -> rema_core::Result<()> {
/// let s = ContinuousStudy { m1: 10.0, sd1: 2.0, n1: 20.0, m2: 9.0, sd2: 2.5, n2: 25.0 };
/// let opts = EffectOptions { smd: SmdCorrection::None, ..EffectOptions::default() };
/// let es = effect_sizes(Measure::Smd, &StudyData::Continuous(vec![s]), &opts)?;
/// // d = 1 / sqrt((19 * 4 + 24 * 6.25) / 43), v = 1/20 + 1/25 + d^2 / 90
/// let d = 1.0 / ((19.0 * 4.0 + 24.0 * 6.25) / 43.0_f64).sqrt();
/// assert!((es.yi[0] - d).abs() < 1e-12);
/// assert!((es.vi[0] - (0.05 + 0.04 + d * d / 90.0)).abs() < 1e-12);
/// assert!(es.notes[0].contains("not applied"));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmdCorrection {
    /// Hedges' g: d multiplied by c(m) (metafor's default, `correct = TRUE`).
    #[default]
    Hedges,
    /// Cohen's d, without the correction (metafor `correct = FALSE`).
    None,
}

/// Options of the effect-size computation.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EffectOptions {
    /// The continuity correction (metafor `add`); `None` uses metafor's
    /// default for the measure ([`Measure::default_add`]).
    pub add: Option<f64>,
    /// To which studies it is added (metafor `to`).
    pub to: AddTo,
    /// The small-sample correction of `SMD` (metafor `correct`); any other
    /// measure refuses [`SmdCorrection::None`].
    pub smd: SmdCorrection,
}

/// Effect sizes on the analysis scale, with what was done to get them.
///
/// Produced by [`compute`] (see its example).
#[derive(Debug, Clone, PartialEq)]
pub struct EffectSizes {
    /// The measure computed.
    pub measure: Measure,
    /// Effect sizes on the analysis scale (log scale for `RR`, `OR`, `PLN`;
    /// logit for `PLO`), one per study (metafor `yi`).
    pub yi: Vec<f64>,
    /// Their sampling variances (metafor `vi`).
    pub vi: Vec<f64>,
    /// Total sample size per study, where the measure has one (used by the
    /// Freeman–Tukey back-transformation).
    pub ni: Option<Vec<f64>>,
    /// Studies that received the continuity correction.
    pub corrected: Vec<usize>,
    /// Every adjustment made, in words.
    pub notes: Vec<String>,
}

impl EffectSizes {
    /// Effect sizes that needed no correction and carry no notes.
    pub(crate) fn plain(measure: Measure, yi: Vec<f64>, vi: Vec<f64>, ni: Vec<f64>) -> Self {
        EffectSizes {
            measure,
            yi,
            vi,
            ni: Some(ni),
            corrected: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// Computes effect sizes and sampling variances for `measure` from raw data
/// (metafor `escalc()`); re-exported as `rema_core::effect_sizes`.
///
/// ```
/// use rema_core::{effect::BinaryStudy, effect_sizes, EffectOptions, Measure, StudyData};
/// # fn main() -> rema_core::Result<()> {
/// // The first two trials of dat.bcg: vaccinated (tpos, tneg), control (cpos, cneg).
/// let data = StudyData::Binary(vec![
///     BinaryStudy { ai: 4.0, bi: 119.0, ci: 11.0, di: 128.0 },
///     BinaryStudy { ai: 6.0, bi: 300.0, ci: 29.0, di: 274.0 },
/// ]);
/// let es = effect_sizes(Measure::Rr, &data, &EffectOptions::default())?;
/// // metafor 3.8-1: escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
/// assert!((es.yi[0] - -0.8893113339).abs() < 1e-9);
/// assert!((es.vi[0] - 0.3255847650).abs() < 1e-9);
/// assert!(es.corrected.is_empty());
///
/// // A zero cell gets metafor's 0.5: escalc("OR", ai = 0, bi = 10, ci = 3, di = 7).
/// let zero = StudyData::Binary(vec![BinaryStudy { ai: 0.0, bi: 10.0, ci: 3.0, di: 7.0 }]);
/// let es = effect_sizes(Measure::Or, &zero, &EffectOptions::default())?;
/// assert!((es.yi[0] - -2.2823823857).abs() < 1e-9 && (es.vi[0] - 2.5142857143).abs() < 1e-9);
/// assert_eq!(es.corrected, vec![0]);
/// # Ok(())
/// # }
/// ```
pub fn compute(measure: Measure, data: &StudyData, opts: &EffectOptions) -> Result<EffectSizes> {
    if data.is_empty() {
        return Err(Error::NoStudies);
    }
    let expected = measure.data_kind();
    if data.kind() != expected {
        return Err(Error::InvalidOption {
            option: "measure",
            message: format!(
                "{measure} needs {expected:?} data, but the data are {:?}",
                data.kind()
            ),
        });
    }
    let add = opts.add.unwrap_or_else(|| measure.default_add());
    if !(add.is_finite() && add >= 0.0) {
        return Err(Error::InvalidOption {
            option: "add",
            message: format!("{add} must be a finite number >= 0"),
        });
    }
    if opts.smd == SmdCorrection::None && measure != Measure::Smd {
        return Err(Error::InvalidOption {
            option: "smd_correct",
            message: format!(
                "leaving out the small-sample correction (metafor correct = FALSE) is available for measure SMD only, not {measure}; leave out smd_correct"
            ),
        });
    }
    let mut out = match data {
        StudyData::Binary(s) => binary::compute(measure, s, add, opts.to)?,
        StudyData::Continuous(s) => continuous::compute(measure, s, opts.smd)?,
        StudyData::PrePost(s) => prepost::compute(measure, s)?,
        StudyData::Proportion(s) => proportion::compute(measure, s, add, opts.to)?,
        StudyData::Generic(s) => generic(s)?,
        StudyData::Correlation(s) => correlation::compute(measure, s)?,
        StudyData::TwoRate(s) => rate::two_groups(measure, s, add, opts.to)?,
        StudyData::PartialCorrelation(s) => correlation::partial(measure, s)?,
        StudyData::Rate(s) => rate::one_group(measure, s, add, opts.to)?,
        StudyData::SingleGroup(s) => single::compute(measure, s)?,
    };
    if !out.corrected.is_empty() {
        out.notes.push(format!(
            "{add} added to each cell of {} stud{} with a zero cell (metafor add={add}, to=\"{}\")",
            out.corrected.len(),
            if out.corrected.len() == 1 { "y" } else { "ies" },
            opts.to.name()
        ));
    }
    for (i, (&y, &v)) in out.yi.iter().zip(&out.vi).enumerate() {
        if !y.is_finite() {
            return Err(Error::NonFiniteEffect {
                study: i,
                measure: measure.name(),
                reason: "a zero count or zero SD; use a continuity correction or check the data",
            });
        }
        if !(v.is_finite() && v > 0.0) {
            return Err(Error::InvalidVariance { study: i, value: v });
        }
    }
    Ok(out)
}

fn generic(studies: &[GenericStudy]) -> Result<EffectSizes> {
    for (i, s) in studies.iter().enumerate() {
        if !s.yi.is_finite() {
            return Err(Error::InvalidEffect {
                study: i,
                value: s.yi,
            });
        }
        if !(s.vi.is_finite() && s.vi > 0.0) {
            return Err(Error::InvalidVariance {
                study: i,
                value: s.vi,
            });
        }
    }
    Ok(EffectSizes {
        measure: Measure::Gen,
        yi: studies.iter().map(|s| s.yi).collect(),
        vi: studies.iter().map(|s| s.vi).collect(),
        ni: None,
        corrected: Vec::new(),
        notes: Vec::new(),
    })
}

/// Checks the 2×2 table of study `i`: four finite counts >= 0 and at least
/// one participant in each group.
pub(crate) fn check_table(i: usize, s: &BinaryStudy) -> Result<()> {
    const COUNT: &str = "a count must be a finite number >= 0";
    for (column, value) in [("ai", s.ai), ("bi", s.bi), ("ci", s.ci), ("di", s.di)] {
        check(i, column, value, value >= 0.0, COUNT)?;
    }
    for (column, n, allowed) in [
        (
            "n1i",
            s.ai + s.bi,
            "group 1 must have at least one participant",
        ),
        (
            "n2i",
            s.ci + s.di,
            "group 2 must have at least one participant",
        ),
    ] {
        check(i, column, n, n > 0.0, allowed)?;
    }
    Ok(())
}

/// Checks that a raw value is finite and satisfies `ok`.
pub(crate) fn check(
    study: usize,
    column: &'static str,
    value: f64,
    ok: bool,
    allowed: &'static str,
) -> Result<()> {
    crate::error::ensure_valid(value, ok, || Error::InvalidValue {
        study,
        column,
        value,
        allowed,
    })
}
