//! The funnel plot: each study's effect (x, analysis scale) against its
//! standard error (y, 0 at the top), with pseudo-confidence contours.
//!
//! Contours, for each level L (e.g. 90, 95, 99 %) with z = Φ⁻¹(1 − (1 − L/100)/2):
//! the lines x = c ± z·SE, from SE = 0 to the largest SE, with c the pooled
//! estimate (Sterne & Egger 2001; metafor `funnel(level = ...)`), or, with
//! [`FunnelData::contour_center`] set to the null value, the
//! contour-enhanced funnel of Peters et al. (2008; metafor
//! `funnel(level = c(90, 95, 99), refline = 0, shade = ...)`), whose shaded
//! bands mark where a study's own test would reach p < 0.10, 0.05, 0.01.
//! Studies filled in by trim-and-fill are drawn hollow, the pooled and the
//! adjusted estimate are named in the legend (solid and dashed), and the
//! contours may be centred on the adjusted estimate
//! ([`FunnelData::contours_on_adjusted`]). The standard-error axis ends at
//! the first tick at or above the largest standard error.

mod data;
mod draw;
mod layout;

pub use data::{contour_z, FunnelData};

/// Draws the funnel plot as an SVG document.
///
/// ```
/// use rema_plot::{funnel_svg, FunnelData};
///
/// let f = FunnelData::new(vec![-0.9, -0.2, 0.1], vec![0.57, 0.44, 0.2], -0.3);
/// let svg = funnel_svg(&f);
/// assert_eq!(svg.matches("class=\"study-point\"").count(), 3);
/// ```
pub fn funnel_svg(d: &FunnelData) -> String {
    draw::draw(&layout::layout(d))
}
