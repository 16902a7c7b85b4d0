//! The x–y chart that the diagnostic plots share: a framed panel with nice
//! linear axes fitted to the data (not padded beyond the outermost tick),
//! layers of points, lines, bands and density cells, point labels placed
//! where they overlap nothing, and a legend under the axis.
//!
//! A diagnostic plot (`gosh`, `diagnostic::{baujat, radial, labbe, bubble,
//! qq}`) is its own data type that builds a [`ScatterData`]; this module
//! lays it out (`layout`) and draws it (`draw`), as the forest and funnel
//! plots split theirs.

mod data;
mod draw;
mod layout;

pub use data::{Cell, Layer, Point, ScatterData};

/// Draws an x–y chart as an SVG document.
///
/// ```
/// use rema_plot::scatter::{scatter_svg, Layer, Point, ScatterData};
///
/// let mut d = ScatterData::new("x", "y");
/// d.layers.push(Layer::points("study-point", "#000", vec![
///     Point::new(1.0, 1.0).label("A"),
///     Point::new(2.0, 2.0).label("B"),
/// ]));
/// // The axes span what the layers and the includes need, to a nice tick.
/// (d.x_include, d.y_include) = (vec![0.0, 4.0], vec![0.0, 3.0]);
/// let svg = scatter_svg(&d);
/// assert_eq!(svg.matches("class=\"study-point\"").count(), 2);
/// assert!(svg.contains(">A</text>") && svg.contains(">B</text>"));
/// ```
pub fn scatter_svg(d: &ScatterData) -> String {
    draw::draw(&layout::layout(d))
}
