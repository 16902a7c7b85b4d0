//! The profile likelihood plot of τ² (metafor `profile.rma.uni`): the
//! (restricted) log-likelihood with τ² held at each value of a grid from 0
//! to beyond the estimate (rema-core's `RmaFit::profile_tau2`), with the
//! estimate marked by a vertical line. A peak at τ̂² shows an identified
//! estimate; a flat curve, a τ² the data barely inform.

use super::base;
use crate::scatter::{Layer, ScatterData};

/// A profile plot's input.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileData {
    pub title: Option<String>,
    /// (τ², log-likelihood) in increasing τ².
    pub points: Vec<(f64, f64)>,
    /// τ̂² of the model.
    pub estimate: f64,
    /// The restricted likelihood (REML) or the likelihood.
    pub restricted: bool,
}

impl ProfileData {
    /// The chart.
    pub fn chart(&self) -> ScatterData {
        let y_label = if self.restricted {
            "Restricted log-likelihood"
        } else {
            "Log-likelihood"
        };
        let mut s = base("τ²", y_label, self.title.as_deref());
        let pts: Vec<(f64, f64)> = self
            .points
            .iter()
            .copied()
            .filter(|(_, l)| l.is_finite())
            .collect();
        let (lo, hi) = pts
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                (a.min(p.1), b.max(p.1))
            });
        if lo <= hi {
            s.layers.push(
                Layer::line(
                    "estimate-line",
                    "#666",
                    Some("5 3"),
                    vec![(self.estimate, lo), (self.estimate, hi)],
                )
                .legend(&format!("τ² estimate {:.4}", self.estimate)),
            );
        }
        s.layers
            .push(Layer::line("profile-line", "#1f4e79", None, pts).legend("profile"));
        s
    }
}

/// Draws the profile plot as an SVG document.
///
/// ```
/// use rema_plot::diagnostic::profile::{profile_svg, ProfileData};
/// let d = ProfileData { title: None, estimate: 0.3, restricted: true,
///     points: (0..=10).map(|i| { let t = 0.06 * f64::from(i); (t, -(t - 0.3).powi(2)) }).collect() };
/// let svg = profile_svg(&d);
/// assert!(svg.contains("class=\"profile-line\"") && svg.contains("Restricted log-likelihood"));
/// ```
pub fn profile_svg(d: &ProfileData) -> String {
    crate::scatter::scatter_svg(&d.chart())
}
