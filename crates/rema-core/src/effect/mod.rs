//! Effect sizes and their sampling variances, as metafor's `escalc`.
//!
//! Each submodule implements one family of raw data. The formulas, their
//! sources and the metafor code they match are in the submodules' docs and in
//! `docs/METHODS.md`.

mod binary;
mod continuous;
mod prepost;
mod proportion;

use crate::error::{Error, Result};
use crate::measure::{DataKind, Measure};

pub use continuous::hedges_correction;

/// A two-by-two table: `ai` events and `bi` non-events in group 1, `ci`, `di` in group 2.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinaryStudy {
    pub ai: f64,
    pub bi: f64,
    pub ci: f64,
    pub di: f64,
}

/// Means, SDs and sizes of two independent groups.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContinuousStudy {
    pub m1: f64,
    pub sd1: f64,
    pub n1: f64,
    pub m2: f64,
    pub sd2: f64,
    pub n2: f64,
}

/// A single group measured twice, with metafor's argument semantics: the
/// change is `m1 - m2` and `SMCR` standardises by `sd1`. For pre/post data
/// the data layer maps `m1 = post`, `m2 = pre`, `sd1 = pre SD`, `sd2 = post SD`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrePostStudy {
    pub m1: f64,
    pub m2: f64,
    pub sd1: f64,
    /// Not needed by `SMCR`.
    pub sd2: Option<f64>,
    pub n: f64,
    /// Correlation between the two measurements.
    pub r: f64,
}

/// `x` events out of `n`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProportionStudy {
    pub x: f64,
    pub n: f64,
}

/// An effect size with its sampling variance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GenericStudy {
    pub yi: f64,
    pub vi: f64,
}

/// Raw data of one review outcome, one entry per study.
#[derive(Debug, Clone, PartialEq)]
pub enum StudyData {
    Binary(Vec<BinaryStudy>),
    Continuous(Vec<ContinuousStudy>),
    PrePost(Vec<PrePostStudy>),
    Proportion(Vec<ProportionStudy>),
    Generic(Vec<GenericStudy>),
}

impl StudyData {
    pub fn len(&self) -> usize {
        match self {
            StudyData::Binary(v) => v.len(),
            StudyData::Continuous(v) => v.len(),
            StudyData::PrePost(v) => v.len(),
            StudyData::Proportion(v) => v.len(),
            StudyData::Generic(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn kind(&self) -> DataKind {
        match self {
            StudyData::Binary(_) => DataKind::TwoGroupBinary,
            StudyData::Continuous(_) => DataKind::TwoGroupContinuous,
            StudyData::PrePost(_) => DataKind::PrePost,
            StudyData::Proportion(_) => DataKind::Proportion,
            StudyData::Generic(_) => DataKind::Generic,
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
    pub fn applies(self, add: f64, has_zero: bool, any_zero: bool) -> bool {
        add > 0.0
            && match self {
                AddTo::OnlyZero => has_zero,
                AddTo::All => true,
                AddTo::IfAnyZero => any_zero,
                AddTo::None => false,
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

/// Options of the effect-size computation.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EffectOptions {
    /// The continuity correction; `None` uses metafor's default for the measure.
    pub add: Option<f64>,
    pub to: AddTo,
}

/// Effect sizes on the analysis scale, with what was done to get them.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectSizes {
    pub measure: Measure,
    pub yi: Vec<f64>,
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

/// Computes effect sizes and sampling variances for `measure` from raw data.
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
    let mut out = match data {
        StudyData::Binary(s) => binary::compute(measure, s, add, opts.to)?,
        StudyData::Continuous(s) => continuous::compute(measure, s)?,
        StudyData::PrePost(s) => prepost::compute(measure, s)?,
        StudyData::Proportion(s) => proportion::compute(measure, s, add, opts.to)?,
        StudyData::Generic(s) => generic(s)?,
    };
    if !out.corrected.is_empty() {
        out.notes.push(format!(
            "{add} added to each cell of {} stud{} with a zero cell (metafor add={add}, to=\"{}\")",
            out.corrected.len(),
            if out.corrected.len() == 1 { "y" } else { "ies" },
            match opts.to {
                AddTo::OnlyZero => "only0",
                AddTo::All => "all",
                AddTo::IfAnyZero => "if0all",
                AddTo::None => "none",
            }
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

/// Checks that a raw value is finite and satisfies `ok`.
pub(crate) fn check(
    study: usize,
    column: &'static str,
    value: f64,
    ok: bool,
    allowed: &'static str,
) -> Result<()> {
    if value.is_finite() && ok {
        Ok(())
    } else {
        Err(Error::InvalidValue {
            study,
            column,
            value,
            allowed,
        })
    }
}
