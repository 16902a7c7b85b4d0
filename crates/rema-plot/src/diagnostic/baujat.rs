//! The Baujat plot (Baujat et al. 2002; metafor `baujat`): for study i,
//! x = (yᵢ − θ̂)²/(vᵢ + τ̂²), its squared Pearson residual (its contribution
//! to Q under the common-effect model), against
//! y = (θ̂₍₋ᵢ₎ − θ̂)²/SE(θ̂₍₋ᵢ₎)², the shift of the pooled estimate when the
//! study is left out, in units of the leave-one-out variance.

use super::{base, studies};
use crate::scatter::ScatterData;

/// A Baujat plot's input: the studies' labels and effects, and the fits.
#[derive(Debug, Clone, PartialEq)]
pub struct BaujatData {
    pub title: Option<String>,
    pub labels: Vec<String>,
    pub yi: Vec<f64>,
    pub vi: Vec<f64>,
    /// The pooled estimate θ̂ and τ̂² of the model.
    pub estimate: f64,
    pub tau2: f64,
    /// The common-effect model (names the x axis as metafor does).
    pub common_effect: bool,
    /// θ̂₍₋ᵢ₎ and its standard error, per study (NaN where the refit failed).
    pub loo_estimate: Vec<f64>,
    pub loo_se: Vec<f64>,
}

impl BaujatData {
    /// (x, y) per study.
    pub fn coordinates(&self) -> (Vec<f64>, Vec<f64>) {
        let x = self
            .yi
            .iter()
            .zip(&self.vi)
            .map(|(y, v)| (y - self.estimate).powi(2) / (v + self.tau2))
            .collect();
        let y = self
            .loo_estimate
            .iter()
            .zip(&self.loo_se)
            .map(|(e, s)| (e - self.estimate).powi(2) / (s * s))
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
        s.layers.push(studies(&self.labels, &x, &y, None));
        s
    }
}

/// Draws the Baujat plot as an SVG document.
///
/// ```
/// use rema_plot::diagnostic::baujat::{baujat_svg, BaujatData};
/// let d = BaujatData {
///     title: None,
///     labels: vec!["A".into(), "B".into(), "C".into()],
///     yi: vec![0.1, 0.5, -0.2], vi: vec![0.02, 0.05, 0.03],
///     estimate: 0.1, tau2: 0.01, common_effect: false,
///     loo_estimate: vec![0.12, 0.0, 0.2], loo_se: vec![0.1, 0.1, 0.1],
/// };
/// assert_eq!(d.coordinates().0[0], 0.0);
/// assert_eq!(baujat_svg(&d).matches("class=\"study-point\"").count(), 3);
/// ```
pub fn baujat_svg(d: &BaujatData) -> String {
    crate::scatter::scatter_svg(&d.chart())
}
