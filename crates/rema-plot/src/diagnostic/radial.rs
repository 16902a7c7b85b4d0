//! The radial (Galbraith) plot (Galbraith 1988; metafor `radial`): for
//! study i with sᵢ = √(vᵢ + τ̂²), x = 1/sᵢ and y = yᵢ/sᵢ. The pooled estimate
//! is the slope of the line through the origin, y = θ̂x, and studies
//! consistent with it lie within y = θ̂x ± z₁₋α/₂.

use super::{base, studies, FittedStudies};
use crate::scatter::{Layer, ScatterData};

/// A radial plot's input.
#[derive(Debug, Clone, PartialEq)]
pub struct RadialData {
    pub title: Option<String>,
    pub studies: FittedStudies,
    /// The confidence level of the band, in percent.
    pub level: f64,
}

impl RadialData {
    /// (x, y) per study.
    pub fn coordinates(&self) -> (Vec<f64>, Vec<f64>) {
        let st = &self.studies;
        let s: Vec<f64> = st.vi.iter().map(|v| (v + st.tau2).sqrt()).collect();
        (
            s.iter().map(|s| 1.0 / s).collect(),
            st.yi.iter().zip(&s).map(|(y, s)| y / s).collect(),
        )
    }

    /// The chart.
    pub fn chart(&self) -> ScatterData {
        let mut s = base(
            "1 / SE (precision)",
            "z = effect / SE",
            self.title.as_deref(),
        );
        let (x, y) = self.coordinates();
        let xmax = x.iter().copied().fold(0.0, f64::max);
        let z = rema_core::fit::critical_value(self.level, None);
        let at = |c: f64| vec![(0.0, c), (xmax, self.studies.estimate * xmax + c)];
        s.x_include = vec![0.0];
        s.layers.push(
            Layer::line("estimate-line", "#000", None, at(0.0))
                .legend(&format!("estimate {:.3}", self.studies.estimate)),
        );
        s.layers.push(
            Layer::line("band-line", "#666", Some("5 3"), at(z))
                .legend(&format!("± {:.2} ({}% band)", z, self.level)),
        );
        s.layers
            .push(Layer::line("band-line", "#666", Some("5 3"), at(-z)));
        s.layers.push(studies(&self.studies.labels, &x, &y, None));
        s
    }
}

/// Draws the radial plot as an SVG document.
///
/// ```
/// use rema_plot::diagnostic::{radial::{radial_svg, RadialData}, FittedStudies};
/// let studies = FittedStudies { labels: vec!["A".into(), "B".into()],
///     yi: vec![0.4, -0.2], vi: vec![0.04, 0.01], estimate: 0.0, tau2: 0.0 };
/// let d = RadialData { title: None, studies, level: 95.0 };
/// assert_eq!(d.coordinates(), (vec![5.0, 10.0], vec![2.0, -2.0]));
/// assert!(radial_svg(&d).contains("class=\"estimate-line\""));
/// ```
pub fn radial_svg(d: &RadialData) -> String {
    crate::scatter::scatter_svg(&d.chart())
}
