//! The selection flow as a PRISMA 2020-style diagram (Page et al. 2021,
//! BMJ 372:n71, "flow diagram for new systematic reviews which included
//! searches of databases and registers only").
//!
//! The main column runs identification → screening → eligibility →
//! inclusion; each stage's exclusions sit in a box to its right. Only the
//! stages with a count are drawn; counts are never derived here, so the
//! diagram shows what the review reports. Box text is wrapped with the
//! bundled font's metrics and box heights follow the text.

mod data;
mod draw;
mod layout;

pub use data::{FlowCount, FlowCounts};

/// Draws the flow diagram as an SVG document, with `title` above it.
///
/// ```
/// use rema_plot::{flow_svg, FlowCount, FlowCounts};
///
/// let c = FlowCounts {
///     identified: Some(FlowCount::new(208)),
///     included: Some(FlowCount::with_note(7, "refs 1-7")),
///     ..FlowCounts::default()
/// };
/// let svg = flow_svg(&c, Some("Selection of studies"));
/// assert!(svg.contains("class=\"box-included\""));
/// ```
pub fn flow_svg(c: &FlowCounts, title: Option<&str>) -> String {
    draw::draw(&layout::layout(c, title), title)
}
