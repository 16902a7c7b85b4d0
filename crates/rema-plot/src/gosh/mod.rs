//! The GOSH plot (Olkin, Dahabreh & Trikalinos 2012; metafor
//! `plot.gosh.rma`): the pooled estimate of every subset of the studies
//! against its I², drawn as a density of square cells (a run has up to
//! millions of subsets), with the subsets that contain one study (the one
//! that separates the subsets most, or any other) in a second colour, so
//! that a cluster that study drives stands out.
//!
//! The fits are binned as they stream in ([`GoshBins`]), one count grid for
//! all subsets and one per study, so the figure of any run takes bounded
//! memory; `layout` turns the grid into the shared x–y chart's layers.

mod data;
mod layout;

pub use data::{GoshBins, GoshData};

/// Draws the GOSH plot as an SVG document.
///
/// ```
/// use rema_plot::gosh::{gosh_svg, GoshBins, GoshData};
///
/// let mut bins = GoshBins::new(3, (-1.0, 1.0));
/// bins.add(0.2, 10.0, &[0, 1]);
/// bins.add(-0.5, 60.0, &[1, 2]);
/// bins.add(0.9, 0.0, &[0]);
/// let mut d = GoshData::new(bins, vec!["A".into(), "B".into(), "C".into()]);
/// d.highlight = Some(2);
/// let svg = gosh_svg(&d);
/// assert!(svg.contains("class=\"gosh-with\"") && svg.contains("class=\"gosh-without\""));
/// assert!(svg.contains("subsets with C (1)"));
/// ```
pub fn gosh_svg(d: &GoshData) -> String {
    crate::scatter::scatter_svg(&layout::chart(d))
}
