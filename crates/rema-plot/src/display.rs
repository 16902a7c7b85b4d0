//! The display scale of an analysis: [`DisplayTransform`] maps values on the
//! analysis scale (log ratios, logits, Freeman–Tukey transforms) to what the
//! figures, tables and text show (ratios, percentages), as metafor's
//! `transf` argument does. Its own module so that the figure adapters
//! ([`crate::adapt`]) and the write-up ([`crate::writeup`]) share it without
//! importing each other.

use rema_core::transform::back_transform;
use rema_core::{BackTransform, Measure};
use rema_data::{AnalysisResult, StudyEffect};

use crate::forest::{ForestRow, Pooled, Scale};

/// The map from the analysis scale to the display scale of one measure.
#[derive(Debug, Clone, PartialEq)]
pub struct DisplayTransform {
    pub(crate) kind: BackTransform,
    pub(crate) scale: Scale,
    /// Freeman–Tukey: harmonic mean of the studies' n (person-times for
    /// rates), for pooled values.
    pub(crate) nhm: Option<f64>,
    pub(crate) measure: Option<Measure>,
}

impl DisplayTransform {
    /// The transform for `r.measure` (identity for an unknown measure).
    pub fn for_result(r: &AnalysisResult) -> DisplayTransform {
        let measure: Option<Measure> = r.measure.parse().ok();
        let kind = measure
            .map(Measure::back_transform)
            .unwrap_or(BackTransform::Identity);
        let proportion = measure.is_some_and(Measure::is_proportion);
        let scale = if proportion {
            Scale::Percent
        } else if kind == BackTransform::Exp {
            Scale::Log
        } else {
            Scale::Linear
        };
        let nhm = (freeman_tukey_size(kind, 1.0).is_some() && !r.studies.is_empty()).then(|| {
            let inv: f64 = r
                .studies
                .iter()
                .filter_map(|s| freeman_tukey_size(kind, s.vi))
                .map(|n| 1.0 / n)
                .sum();
            r.studies.len() as f64 / inv
        });
        DisplayTransform {
            kind,
            scale,
            nhm,
            measure,
        }
    }

    pub fn scale(&self) -> Scale {
        self.scale
    }

    /// A pooled-scale value (estimate, CI or PI bound) on the display scale.
    pub fn apply(&self, x: f64) -> f64 {
        let n = self.nhm.map(|n| vec![n]);
        self.map(x, n.as_deref())
    }

    fn map(&self, x: f64, ni: Option<&[f64]>) -> f64 {
        let y = back_transform(self.kind, x, ni);
        if self.scale == Scale::Percent {
            100.0 * y
        } else {
            y
        }
    }

    /// One study's row (no data columns).
    pub fn row(&self, s: &StudyEffect) -> ForestRow {
        let n = freeman_tukey_size(self.kind, s.vi).map(|n| [n]);
        let ni = n.as_ref().map(|n| &n[..]);
        ForestRow {
            label: s.study.clone(),
            line: s.line,
            data: Vec::new(),
            estimate: self.map(s.yi, ni),
            ci_lower: self.map(s.ci_lower, ni),
            ci_upper: self.map(s.ci_upper, ni),
            weight: Some(s.weight),
        }
    }

    /// A pooled estimate given on the analysis scale.
    pub fn pooled(
        &self,
        label: &str,
        estimate: f64,
        ci_lower: f64,
        ci_upper: f64,
        weight: Option<f64>,
        prediction: Option<(f64, f64)>,
    ) -> Pooled {
        Pooled {
            label: label.to_string(),
            estimate: self.apply(estimate),
            ci_lower: self.apply(ci_lower),
            ci_upper: self.apply(ci_upper),
            weight,
            prediction: prediction
                .filter(|(a, b)| a.is_finite() && b.is_finite())
                .map(|(a, b)| (self.apply(a), self.apply(b))),
        }
    }

    /// The measure's name for axis and column headers.
    pub fn effect_name(&self) -> &'static str {
        match self.measure {
            Some(Measure::Rr) => "Risk ratio",
            Some(Measure::Or) => "Odds ratio",
            Some(Measure::Rd) => "Risk difference",
            Some(Measure::Md) => "Mean difference",
            Some(Measure::Smd) | Some(Measure::Smdh) | Some(Measure::Smd1) => {
                "Std. mean difference"
            }
            Some(Measure::Or2dn) | Some(Measure::Or2dl) => "Std. mean difference (from OR)",
            Some(Measure::As) => "Arcsine risk difference",
            Some(Measure::Phi) => "Phi coefficient",
            Some(Measure::Yuq) => "Yule's Q",
            Some(Measure::Yuy) => "Yule's Y",
            Some(Measure::Rom) => "Ratio of means",
            Some(Measure::Cor) | Some(Measure::Ucor) | Some(Measure::Zcor) => "Correlation",
            Some(Measure::Pcor) | Some(Measure::Zpcor) => "Partial correlation",
            Some(Measure::Spcor) => "Semi-partial correlation",
            Some(Measure::Irr) => "Rate ratio",
            Some(Measure::Ird) | Some(Measure::Irsd) => "Rate difference",
            Some(Measure::Ir) | Some(Measure::Irln) | Some(Measure::Irs) | Some(Measure::Irft) => {
                "Incidence rate"
            }
            Some(Measure::Cvr) => "CV ratio",
            Some(Measure::Vr) => "Variability ratio",
            Some(Measure::Mn) | Some(Measure::Mnln) => "Mean",
            Some(Measure::Cvln) => "Coefficient of variation",
            Some(Measure::Sdln) => "Standard deviation",
            Some(Measure::Smn) => "Std. mean",
            Some(Measure::Mc) => "Mean change",
            Some(Measure::Smcc) | Some(Measure::Smcr) => "Std. mean change",
            Some(m) if m.is_proportion() => "Proportion (%)",
            _ => "Estimate",
        }
    }
}

/// The size behind a study's Freeman–Tukey variance: n from 1/(4n + 2) for
/// proportions, the person-time t from 1/(4t) for rates; `None` for the
/// other back-transforms, which need none.
pub(crate) fn freeman_tukey_size(kind: BackTransform, vi: f64) -> Option<f64> {
    match kind {
        BackTransform::InverseFreemanTukey => Some((1.0 / vi - 2.0) / 4.0),
        BackTransform::InverseFreemanTukeyRate => Some(0.25 / vi),
        _ => None,
    }
}
