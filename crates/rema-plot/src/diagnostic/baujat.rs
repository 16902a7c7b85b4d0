//! The Baujat plot (Baujat et al. 2002; metafor `baujat`): for study i,
//! x = (yᵢ − θ̂)²/(vᵢ + τ̂²), its squared Pearson residual (its contribution
//! to Q under the common-effect model), against
//! y = (θ̂₍₋ᵢ₎ − θ̂)²/SE(θ̂₍₋ᵢ₎)², the shift of the pooled estimate when the
//! study is left out, in units of the leave-one-out variance.

use super::{base, studies, FittedStudies};
use crate::scatter::ScatterData;

/// A Baujat plot's input: the studies' labels and effects, and the fits.
#[derive(Debug, Clone, PartialEq)]
pub struct BaujatData {
    pub title: Option<String>,
    pub studies: FittedStudies,
    /// The common-effect model (names the x axis as metafor does).
    pub common_effect: bool,
    /// θ̂₍₋ᵢ₎ and its standard error, per study (NaN where the refit failed).
    pub loo_estimate: Vec<f64>,
    pub loo_se: Vec<f64>,
}

impl BaujatData {
    /// (x, y) per study.
    pub fn coordinates(&self) -> (Vec<f64>, Vec<f64>) {
        let s = &self.studies;
        let x =
            s.yi.iter()
                .zip(&s.vi)
                .map(|(y, v)| (y - s.estimate).powi(2) / (v + s.tau2))
                .collect();
        let y = self
            .loo_estimate
            .iter()
            .zip(&self.loo_se)
            .map(|(e, se)| (e - s.estimate).powi(2) / (se * se))
            .collect();
        (x, y)
    }

    /// The chart.
    pub fn chart(&self) -> ScatterData {
        let x_label = if self.common_effect {
            "Contribution to overall heterogeneity"
        } else {
            "Squared Pearson residual"
        };
        let mut s = base(
            x_label,
            "Influence on overall result",
            self.title.as_deref(),
        );
        let (x, y) = self.coordinates();
        s.x_include = vec![0.0];
        s.y_include = vec![0.0];
        s.layers.push(studies(&self.studies.labels, &x, &y, None));
        s
    }
}

/// Draws the Baujat plot as an SVG document.
///
/// ```
/// use rema_plot::diagnostic::{baujat::{baujat_svg, BaujatData}, FittedStudies};
/// let studies = FittedStudies {
///     labels: vec!["A".into(), "B".into(), "C".into()],
///     yi: vec![0.1, 0.5, -0.2], vi: vec![0.02, 0.05, 0.03], estimate: 0.1, tau2: 0.01,
/// };
/// let d = BaujatData {
///     title: None, studies, common_effect: false,
///     loo_estimate: vec![0.12, 0.0, 0.2], loo_se: vec![0.1, 0.1, 0.1],
/// };
/// assert_eq!(d.coordinates().0[0], 0.0);
/// assert_eq!(baujat_svg(&d).matches("class=\"study-point\"").count(), 3);
/// ```
pub fn baujat_svg(d: &BaujatData) -> String {
    crate::scatter::scatter_svg(&d.chart())
}
