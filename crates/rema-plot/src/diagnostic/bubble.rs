//! The bubble plot of a meta-regression on one moderator (metafor
//! `regplot`): each study's effect against its moderator value, point area
//! ∝ its weight, with the fitted line β̂₀ + β̂₁x and its pointwise
//! confidence band.

use super::{area_radii, base, studies};
use crate::scatter::{Layer, ScatterData};

/// One point of the fitted line: moderator value, prediction, CI.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fitted {
    pub x: f64,
    pub pred: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
}

/// A bubble plot's input.
#[derive(Debug, Clone, PartialEq)]
pub struct BubbleData {
    pub title: Option<String>,
    pub labels: Vec<String>,
    /// The moderator's value per study.
    pub x: Vec<f64>,
    /// The effect per study (analysis scale).
    pub yi: Vec<f64>,
    pub weight: Vec<f64>,
    /// The fitted line at increasing moderator values.
    pub line: Vec<Fitted>,
    /// The confidence level of the band, in percent.
    pub level: f64,
    pub x_label: String,
    pub y_label: String,
}

impl BubbleData {
    /// The chart.
    pub fn chart(&self) -> ScatterData {
        let mut s = base(&self.x_label, &self.y_label, self.title.as_deref());
        s.layers.push(
            crate::scatter::Layer::Band {
                class: "ci-band",
                lower: self.line.iter().map(|f| (f.x, f.ci_lower)).collect(),
                upper: self.line.iter().map(|f| (f.x, f.ci_upper)).collect(),
                fill: "#9ecae1".to_string(),
                legend: None,
            }
            .legend(&format!("{}% CI", self.level)),
        );
        s.layers.push(
            Layer::line(
                "estimate-line",
                "#000",
                None,
                self.line.iter().map(|f| (f.x, f.pred)).collect(),
            )
            .legend("fitted"),
        );
        let r = area_radii(&self.weight, 12.0);
        s.layers
            .push(studies(&self.labels, &self.x, &self.yi, Some(&r)));
        s
    }
}

/// Draws the bubble plot as an SVG document.
///
/// ```
/// use rema_plot::diagnostic::bubble::{bubble_svg, BubbleData, Fitted};
/// let line = (0..=2).map(|i| Fitted { x: f64::from(i), pred: 0.5 * f64::from(i),
///     ci_lower: 0.5 * f64::from(i) - 0.2, ci_upper: 0.5 * f64::from(i) + 0.2 }).collect();
/// let d = BubbleData { title: None, labels: vec!["A".into(), "B".into()], x: vec![0.0, 2.0],
///     yi: vec![0.1, 0.9], weight: vec![1.0, 2.0], line, level: 95.0,
///     x_label: "dose".into(), y_label: "effect".into() };
/// let svg = bubble_svg(&d);
/// assert!(svg.contains("class=\"ci-band\"") && svg.contains("class=\"estimate-line\""));
/// ```
pub fn bubble_svg(d: &BubbleData) -> String {
    crate::scatter::scatter_svg(&d.chart())
}
