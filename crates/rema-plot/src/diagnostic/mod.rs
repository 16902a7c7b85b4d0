//! The diagnostic plots of a meta-analysis, each its own input type (values
//! on the analysis scale) whose `chart` builds the shared x–y chart
//! ([`crate::scatter`]), which lays it out and draws it:
//!
//! - [`baujat`]: each study's contribution to Q against its influence on
//!   the pooled result (Baujat et al. 2002; metafor `baujat`);
//! - [`radial`]: the Galbraith plot, yᵢ/sᵢ against 1/sᵢ with
//!   sᵢ = √(vᵢ + τ̂²), the estimate as the slope of a line through the
//!   origin (Galbraith 1988; metafor `radial`);
//! - [`labbe`]: the event risk of the treatment arm against that of the
//!   control arm, point area ∝ weight, with the line of no effect and the
//!   pooled effect's curve (L'Abbé et al. 1987; metafor `labbe`, on the
//!   risk scale);
//! - [`bubble`]: a meta-regression on one moderator, point area ∝ weight,
//!   the fitted line and its confidence band (metafor `regplot`);
//! - [`profile`]: the (restricted) log-likelihood of τ² on a grid, the
//!   estimate marked (metafor `profile`);
//! - [`qq`]: the normal Q–Q plot of the studentized deleted residuals
//!   (metafor `qqnorm(res, type = "rstudent")`).
//!
//! Points carry their study's label as a tooltip, and as a text beside them
//! wherever it fits without overlapping another.

pub mod baujat;
pub mod bubble;
pub mod labbe;
pub mod profile;
pub mod qq;
pub mod radial;

use crate::scatter::{Layer, Point, ScatterData};

/// The studies of a fitted model, as the Baujat and radial plots read them.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedStudies {
    pub labels: Vec<String>,
    /// Effects and sampling variances (analysis scale).
    pub yi: Vec<f64>,
    pub vi: Vec<f64>,
    /// The pooled estimate θ̂ and τ̂² of the model.
    pub estimate: f64,
    pub tau2: f64,
}

/// The chart every diagnostic starts from: labels, title, size.
fn base(x_label: &str, y_label: &str, title: Option<&str>) -> ScatterData {
    let mut s = ScatterData::new(x_label, y_label);
    s.title = title.map(str::to_string);
    s
}

/// Labelled study points.
fn studies(labels: &[String], x: &[f64], y: &[f64], radius: Option<&[f64]>) -> Layer {
    let points = labels
        .iter()
        .zip(x.iter().zip(y))
        .enumerate()
        .map(|(i, (l, (x, y)))| {
            let p = Point::new(*x, *y).label(l);
            match radius {
                Some(r) => p.radius(r[i]),
                None => p,
            }
        })
        .collect();
    Layer::points("study-point", "#1f4e79", points)
}

/// Radii whose areas are proportional to `weights`, the largest `max` px.
fn area_radii(weights: &[f64], max: f64) -> Vec<f64> {
    let top = weights
        .iter()
        .copied()
        .filter(|w| w.is_finite())
        .fold(0.0, f64::max);
    weights
        .iter()
        .map(|w| {
            if top > 0.0 && w.is_finite() && *w > 0.0 {
                (max * (w / top).sqrt()).max(1.5)
            } else {
                1.5
            }
        })
        .collect()
}

/// Φ⁻¹(p) for p in (0, 1).
fn normal_quantile(p: f64) -> f64 {
    let z = |level: f64| rema_core::fit::critical_value(level, None);
    if p > 0.5 {
        z(100.0 * (2.0 * p - 1.0))
    } else if p < 0.5 {
        -z(100.0 * (1.0 - 2.0 * p))
    } else {
        0.0
    }
}
