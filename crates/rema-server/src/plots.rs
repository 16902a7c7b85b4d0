//! The extension point for plots.
//!
//! `GET /v1/analyses/{id}/forest.svg` draws the stored result with the
//! [`ForestRenderer`] in [`AppState::forest`](crate::AppState). No plotting
//! crate exists in the workspace yet, so [`default_renderer`] returns `None`
//! and the route answers 404 `plots_unavailable`. When a forest-plot function
//! lands (e.g. `rema_plot::forest_svg(&AnalysisResult) -> String`), wiring it
//! in is one line: return `Some(that_function)` from [`default_renderer`].
//! The web page already shows and offers for download whatever SVG the route
//! returns.

use rema_data::AnalysisResult;

/// Draws the forest plot of a result as an SVG document.
pub type ForestRenderer = fn(&AnalysisResult) -> String;

/// The renderer of this build: none until a plotting crate is wired in.
pub fn default_renderer() -> Option<ForestRenderer> {
    None
}
