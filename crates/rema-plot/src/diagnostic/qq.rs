//! The normal Q–Q plot of the studentized deleted residuals (metafor
//! `qqnorm(res, type = "rstudent")`): the sorted residuals against the
//! normal quantiles Φ⁻¹((i − a)/(k + 1 − 2a)), a = 3/8 for k ≤ 10, else 1/2
//! (R's `ppoints`), with the line y = x that standardised residuals follow
//! when the model holds, and optionally metafor's simulated pseudo-confidence
//! envelope (`qqnorm(res, envelope = TRUE)`), computed by rema-core's
//! `resample::qq_envelope` and drawn as two dotted lines.

use super::{base, normal_quantile};
use crate::scatter::{Layer, Point, ScatterData};

/// A Q–Q plot's input.
#[derive(Debug, Clone, PartialEq)]
pub struct QqData {
    pub title: Option<String>,
    pub labels: Vec<String>,
    /// One residual per study (NaN where it is undefined: left out).
    pub residuals: Vec<f64>,
    /// The simulated envelope to draw, if any.
    pub envelope: Option<Envelope>,
}

/// The bounds of a Q–Q envelope at the normal quantiles `x`.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub x: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    /// Its level in percent, for the legend.
    pub level: f64,
    /// Bonferroni-corrected bounds (said in the legend).
    pub bonferroni: bool,
    /// The replicates and the seed (in the legend, so the figure can be
    /// reproduced).
    pub reps: usize,
    pub seed: u64,
}

impl QqData {
    /// (theoretical quantile, residual, study) in the order of the residuals.
    pub fn coordinates(&self) -> Vec<(f64, f64, usize)> {
        let mut idx: Vec<usize> = (0..self.residuals.len())
            .filter(|i| self.residuals[*i].is_finite())
            .collect();
        idx.sort_by(|a, b| self.residuals[*a].total_cmp(&self.residuals[*b]));
        let n = idx.len() as f64;
        let a = if idx.len() <= 10 { 3.0 / 8.0 } else { 0.5 };
        idx.iter()
            .enumerate()
            .map(|(r, &i)| {
                let p = (r as f64 + 1.0 - a) / (n + 1.0 - 2.0 * a);
                (normal_quantile(p), self.residuals[i], i)
            })
            .collect()
    }

    /// The chart.
    pub fn chart(&self) -> ScatterData {
        let mut s = base(
            "Theoretical quantiles",
            "Studentized deleted residuals",
            self.title.as_deref(),
        );
        let c = self.coordinates();
        let lim = c
            .iter()
            .flat_map(|(q, r, _)| [q.abs(), r.abs()])
            .fold(1.0, f64::max);
        s.layers.push(
            Layer::line(
                "reference-line",
                "#666",
                Some("5 3"),
                vec![(-lim, -lim), (lim, lim)],
            )
            .legend("y = x"),
        );
        let points = c
            .iter()
            .map(|(q, r, i)| Point::new(*q, *r).label(&self.labels[*i]))
            .collect();
        if let Some(e) = &self.envelope {
            let line = |ys: &[f64]| e.x.iter().copied().zip(ys.iter().copied()).collect();
            let legend = format!(
                "{}% envelope{} ({} reps, seed {})",
                e.level,
                if e.bonferroni { ", Bonferroni" } else { "" },
                e.reps,
                e.seed
            );
            s.layers.push(
                Layer::line("envelope-lower", "#555", Some("2 3"), line(&e.lower)).legend(&legend),
            );
            s.layers.push(Layer::line(
                "envelope-upper",
                "#555",
                Some("2 3"),
                line(&e.upper),
            ));
        }
        s.layers
            .push(Layer::points("study-point", "#1f4e79", points));
        s
    }
}

/// Draws the Q–Q plot as an SVG document.
///
/// ```
/// use rema_plot::diagnostic::qq::{qq_svg, QqData};
/// let d = QqData { title: None, labels: vec!["A".into(), "B".into(), "C".into()],
///     residuals: vec![1.2, -0.3, 0.1], envelope: None };
/// let c = d.coordinates();
/// assert_eq!(c.iter().map(|p| p.2).collect::<Vec<_>>(), [1, 2, 0]);
/// assert!(c[1].0.abs() < 1e-12); // the middle of three sits at 0
/// assert_eq!(qq_svg(&d).matches("class=\"study-point\"").count(), 3);
/// ```
pub fn qq_svg(d: &QqData) -> String {
    crate::scatter::scatter_svg(&d.chart())
}
