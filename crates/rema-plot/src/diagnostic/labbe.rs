//! The L'Abbé plot (L'Abbé, Detsky & O'Rourke 1987; metafor `labbe`, here
//! on the risk scale): each study's event risk in the treatment arm
//! (aᵢ/n₁ᵢ) against that in the control arm (cᵢ/n₂ᵢ), point area ∝ its
//! weight, with the line of no effect y = x and the pooled effect as the
//! curve it implies: y = RR·x for the risk ratio, y = OR·x/(1 − x + OR·x)
//! for the odds ratio, y = x + RD for the risk difference (clipped to
//! [0, 1]).

use super::{area_radii, base, studies};
use crate::scatter::{Layer, ScatterData};

/// How the pooled effect maps a control risk to a treatment risk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PooledEffect {
    /// A risk ratio (not logged).
    RiskRatio(f64),
    /// An odds ratio (not logged).
    OddsRatio(f64),
    /// A risk difference.
    RiskDifference(f64),
}

impl PooledEffect {
    /// The treatment risk at control risk `x`.
    pub fn at(self, x: f64) -> f64 {
        match self {
            PooledEffect::RiskRatio(r) => r * x,
            PooledEffect::OddsRatio(o) => o * x / (1.0 - x + o * x),
            PooledEffect::RiskDifference(d) => x + d,
        }
    }
}

/// A L'Abbé plot's input.
#[derive(Debug, Clone, PartialEq)]
pub struct LabbeData {
    pub title: Option<String>,
    pub labels: Vec<String>,
    /// Event risk in the control arm, per study.
    pub control: Vec<f64>,
    /// Event risk in the treatment arm, per study.
    pub treatment: Vec<f64>,
    /// Weight of each study (any scale).
    pub weight: Vec<f64>,
    pub pooled: Option<PooledEffect>,
}

impl LabbeData {
    /// The chart.
    pub fn chart(&self) -> ScatterData {
        let mut s = base(
            "Event risk, control group",
            "Event risk, treatment group",
            self.title.as_deref(),
        );
        s.x_include = vec![0.0];
        s.y_include = vec![0.0];
        let top = self
            .control
            .iter()
            .chain(&self.treatment)
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max)
            .clamp(0.05, 1.0);
        s.layers.push(
            Layer::line(
                "reference-line",
                "#666",
                Some("5 3"),
                vec![(0.0, 0.0), (top, top)],
            )
            .legend("no effect"),
        );
        if let Some(p) = self.pooled {
            let curve: Vec<(f64, f64)> = (0..=100)
                .map(|i| top * f64::from(i) / 100.0)
                .map(|x| (x, p.at(x)))
                .filter(|(_, y)| (0.0..=top).contains(y))
                .collect();
            s.layers
                .push(Layer::line("estimate-line", "#000", None, curve).legend("pooled effect"));
        }
        let r = area_radii(&self.weight, 12.0);
        s.layers.push(studies(
            &self.labels,
            &self.control,
            &self.treatment,
            Some(&r),
        ));
        s
    }
}

/// Draws the L'Abbé plot as an SVG document.
///
/// ```
/// use rema_plot::diagnostic::labbe::{labbe_svg, LabbeData, PooledEffect};
/// let d = LabbeData { title: None, labels: vec!["A".into(), "B".into()],
///     control: vec![0.1, 0.3], treatment: vec![0.05, 0.2], weight: vec![1.0, 4.0],
///     pooled: Some(PooledEffect::RiskRatio(0.6)) };
/// assert!((PooledEffect::OddsRatio(1.0).at(0.3) - 0.3).abs() < 1e-15);
/// assert_eq!(labbe_svg(&d).matches("class=\"study-point\"").count(), 2);
/// ```
pub fn labbe_svg(d: &LabbeData) -> String {
    crate::scatter::scatter_svg(&d.chart())
}
