//! The radial (Galbraith) plot (Galbraith 1988; metafor `radial`): for
//! study i with sᵢ = √(vᵢ + τ̂²), x = 1/sᵢ and y = yᵢ/sᵢ. The pooled estimate
//! is the slope of the line through the origin, y = θ̂x, and studies
//! consistent with it lie within y = θ̂x ± z₁₋α/₂.
//!
//! As metafor's `radial.rma` (3.8-1), the effect sizes are read off an arc
//! on the right: the line through the origin of slope θ meets the arc
//! x² + (y/r)² = ρ² at x = ρ/√(1 + (θ/r)²), y = θx, where r is the ratio of
//! the y range to the x range (a circle on a square panel, which the chart
//! is). With x_max the largest precision, the x axis runs to 1.3·x_max
//! (metafor's `xlims`); the effect arc has radius ρ = 1.3·x_max + 0.14·Δx
//! (Δx = 1.3·x_max) over [min yᵢ, max yᵢ], seven ticks 0.015·Δx long and
//! their labels 0.02·Δx beyond; the arc of the confidence interval of θ̂ has
//! radius 1.3·x_max + 0.12·Δx, with ticks at its bounds and at θ̂. The y
//! range is metafor's `zlims`: [min(−5, 1.1·min z, 1.1·lb·ρ_ci, 1.1·min yᵢ·ρ,
//! −1.1·z_crit + θ̂·1.3·x_max), and the same maxima].

use super::{base, studies, FittedStudies};
use crate::scatter::{Layer, ScatterData};

/// A radial plot's input.
#[derive(Debug, Clone, PartialEq)]
pub struct RadialData {
    pub title: Option<String>,
    pub studies: FittedStudies,
    /// The confidence level of the band, in percent.
    pub level: f64,
    /// The confidence interval of the estimate (its arc).
    pub ci: (f64, f64),
}

/// The point where the line through the origin of slope `slope` meets the
/// arc of radius `len` (metafor's `xis`, `zis`), `asp` the y/x range ratio.
fn on_arc(len: f64, slope: f64, asp: f64) -> (f64, f64) {
    let x = (len * len / (1.0 + (slope / asp).powi(2))).sqrt();
    (x, x * slope)
}

/// `n` values from `a` to `b` (R's `seq(a, b, length.out = n)`).
fn seq(a: f64, b: f64, n: usize) -> Vec<f64> {
    if n < 2 {
        return vec![a];
    }
    (0..n)
        .map(|i| a + (b - a) * i as f64 / (n - 1) as f64)
        .collect()
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
        s.height = s.width;
        let (x, y) = self.coordinates();
        let beta = self.studies.estimate;
        let (ci_lb, ci_ub) = self.ci;
        let xmax = x.iter().copied().fold(0.0, f64::max);
        let zcrit = rema_core::fit::critical_value(self.level, None);
        // metafor's limits: x to 1.3 x_max; the arcs beyond it.
        let xaxismax = 1.3 * xmax;
        let dx = xaxismax;
        let ci_xpos = xaxismax + 0.12 * dx;
        let ya_xpos = xaxismax + 0.14 * dx;
        let (ymin, ymax) = self
            .studies
            .yi
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(*v), b.max(*v))
            });
        let (zmin, zmax) = y
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(*v), b.max(*v))
            });
        let zlo = [
            -5.0,
            1.1 * zmin,
            1.1 * ci_lb * ci_xpos,
            1.1 * ymin * ya_xpos,
            -1.1 * zcrit + xaxismax * beta,
        ]
        .into_iter()
        .fold(f64::INFINITY, f64::min);
        let zhi = [
            5.0,
            1.1 * zmax,
            1.1 * ci_ub * ci_xpos,
            1.1 * ymax * ya_xpos,
            1.1 * zcrit + xaxismax * beta,
        ]
        .into_iter()
        .fold(f64::NEG_INFINITY, f64::max);
        // Room on the right for the arc's tick labels.
        let xhi = ya_xpos + 0.3 * dx;
        s.x_limits = Some((0.0, xhi));
        s.y_limits = Some((zlo, zhi));
        let asp = (zhi - zlo) / xhi;
        let inside = |p: &(f64, f64)| p.1 > zlo && p.1 < zhi;
        let at = |c: f64| vec![(0.0, c), (xaxismax, beta * xaxismax + c)];
        s.layers.push(Layer::Band {
            class: "band",
            lower: at(-zcrit),
            upper: at(zcrit),
            fill: "#e8e8e8".to_string(),
            legend: None,
        });
        s.layers.push(
            Layer::line("estimate-line", "#000", None, at(0.0))
                .legend(&format!("estimate {beta:.3}")),
        );
        s.layers.push(
            Layer::line("band-line", "#666", Some("5 3"), at(zcrit))
                .legend(&format!("± {:.2} ({}% band)", zcrit, self.level)),
        );
        s.layers
            .push(Layer::line("band-line", "#666", Some("5 3"), at(-zcrit)));
        // The effect-size arc, its ticks and labels.
        let arc: Vec<(f64, f64)> = seq(ymin, ymax, 100)
            .into_iter()
            .map(|a| on_arc(ya_xpos, a, asp))
            .filter(inside)
            .collect();
        s.layers.push(Layer::line("effect-arc", "#000", None, arc));
        let ticks = seq(ymin, ymax, 7);
        let len_u = ya_xpos + 0.015 * dx;
        for t in &ticks {
            let (a, b) = (on_arc(ya_xpos, *t, asp), on_arc(len_u, *t, asp));
            if inside(&a) && inside(&b) {
                s.layers
                    .push(Layer::line("effect-arc-tick", "#000", None, vec![a, b]));
            }
        }
        let label_at = ya_xpos + 0.02 * dx;
        let items = ticks
            .iter()
            .map(|t| (on_arc(label_at, *t, asp), *t))
            .filter(|(p, _)| inside(p))
            .map(|((px, py), t)| (px, py, format!("{t:.2}")))
            .collect();
        s.layers.push(Layer::Texts {
            class: "effect-arc-label",
            items,
            legend: None,
        });
        // The arc of the estimate's confidence interval.
        let ci_arc: Vec<(f64, f64)> = seq(ci_lb, ci_ub, 25)
            .into_iter()
            .map(|a| on_arc(ci_xpos, a, asp))
            .filter(inside)
            .collect();
        s.layers.push(Layer::line("ci-arc", "#000", None, ci_arc));
        for t in [ci_lb, beta, ci_ub] {
            let a = on_arc(ci_xpos - 0.007 * dx, t, asp);
            let b = on_arc(ci_xpos + 0.007 * dx, t, asp);
            if inside(&a) && inside(&b) {
                s.layers
                    .push(Layer::line("ci-arc-tick", "#000", None, vec![a, b]));
            }
        }
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
/// let d = RadialData { title: None, studies, level: 95.0, ci: (-0.2, 0.2) };
/// assert_eq!(d.coordinates(), (vec![5.0, 10.0], vec![2.0, -2.0]));
/// let svg = radial_svg(&d);
/// assert!(svg.contains("class=\"estimate-line\"") && svg.contains("class=\"effect-arc\""));
/// assert_eq!(svg.matches("class=\"effect-arc-tick\"").count(), 7);
/// ```
pub fn radial_svg(d: &RadialData) -> String {
    crate::scatter::scatter_svg(&d.chart())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::FittedStudies;

    fn lines(s: &ScatterData, want: &str) -> Vec<Vec<(f64, f64)>> {
        s.layers
            .iter()
            .filter_map(|l| match l {
                Layer::Line { class, points, .. } if *class == want => Some(points.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_arcs_are_circles_and_their_ticks_lie_on_their_slopes() {
        let studies = FittedStudies {
            labels: (1..=5).map(|i| format!("S{i}")).collect(),
            yi: vec![-0.9, -0.2, -1.4, 0.3, -0.6],
            vi: vec![0.1, 0.02, 0.3, 0.05, 0.01],
            estimate: -0.5,
            tau2: 0.05,
        };
        let d = RadialData {
            title: None,
            studies,
            level: 95.0,
            ci: (-0.9, -0.1),
        };
        let s = d.chart();
        let (xlo, xhi) = s.x_limits.unwrap();
        let (zlo, zhi) = s.y_limits.unwrap();
        assert_eq!(xlo, 0.0);
        let asp = (zhi - zlo) / xhi;
        let xmax = d.coordinates().0.into_iter().fold(0.0, f64::max);
        let radius = |p: &(f64, f64)| (p.0 * p.0 + (p.1 / asp).powi(2)).sqrt();
        // The effect arc: radius 1.3 x_max + 0.14 (1.3 x_max), over [min y, max y].
        let arc = &lines(&s, "effect-arc")[0];
        assert!(arc.len() > 50);
        for p in arc {
            assert!((radius(p) - 1.3 * xmax * 1.14).abs() < 1e-9);
        }
        assert!((arc[0].1 / arc[0].0 - -1.4).abs() < 1e-12);
        assert!((arc[arc.len() - 1].1 / arc[arc.len() - 1].0 - 0.3).abs() < 1e-12);
        // Seven ticks at seq(-1.4, 0.3, length.out = 7), each on its slope.
        let ticks = lines(&s, "effect-arc-tick");
        assert_eq!(ticks.len(), 7);
        for (j, t) in ticks.iter().enumerate() {
            let slope = -1.4 + 1.7 * j as f64 / 6.0;
            for p in t {
                assert!((p.1 - slope * p.0).abs() < 1e-9, "tick {j}");
            }
            assert!(radius(&t[1]) > radius(&t[0]));
        }
        // The CI arc and its three ticks (bounds and estimate).
        for p in &lines(&s, "ci-arc")[0] {
            assert!((radius(p) - 1.3 * xmax * 1.12).abs() < 1e-9);
        }
        let ci_ticks = lines(&s, "ci-arc-tick");
        assert_eq!(ci_ticks.len(), 3);
        for (t, slope) in ci_ticks.iter().zip([-0.9, -0.5, -0.1]) {
            assert!((t[0].1 - slope * t[0].0).abs() < 1e-9);
        }
        // Labels of the effect scale, two decimals as metafor's digits = 2.
        let labels: Vec<String> = s
            .layers
            .iter()
            .find_map(|l| match l {
                Layer::Texts { items, .. } => Some(items.iter().map(|i| i.2.clone()).collect()),
                _ => None,
            })
            .unwrap();
        assert_eq!(labels.first().map(String::as_str), Some("-1.40"));
        assert_eq!(labels.last().map(String::as_str), Some("0.30"));
    }
}
