//! The extension point for plots.
//!
//! `GET /v1/analyses/{id}/forest.svg` draws the stored result with the
//! [`ForestRenderer`] in [`AppState::forest`](crate::AppState):
//! [`default_renderer`] is rema-plot's forest plot. A state without a renderer
//! answers 404 `plots_unavailable`. The web page shows and offers for download
//! whatever SVG the route returns.

use rema_data::AnalysisResult;

/// Draws the forest plot of a result as an SVG document.
pub type ForestRenderer = fn(&AnalysisResult) -> String;

/// The renderer of this build: rema-plot's RevMan-style forest plot, the
/// same figure as `rema forest`.
pub fn default_renderer() -> Option<ForestRenderer> {
    Some(|result| rema_plot::forest_svg(&rema_plot::ForestData::from(result)))
}
