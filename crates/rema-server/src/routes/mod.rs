//! The routes of `/v1`, one module per resource, and [`v1`], their router.
//!
//! - `analyses.rs`: `POST /v1/analyses`, `GET /v1/analyses`,
//!   `GET` and `DELETE /v1/analyses/{id}`;
//! - `figures.rs`: the downloads of a stored analysis: `summary.txt`,
//!   `forest.svg`, `forest.png`, `funnel.svg`, `funnel.png`, `result.csv`,
//!   `methods.txt`;
//! - `tables.rs`: `POST /v1/tables` (the columns of a CSV file or workbook,
//!   a workbook's sheet as CSV);
//! - `bias.rs`: `POST /v1/bias` (the small-study tests, as `rema bias`);
//! - `audit.rs`: `POST /v1/audit` (a published table checked row by row);
//! - `log.rs`: `GET /v1/audit-log` (the project's requests: who, what, when,
//!   outcome).
//!
//! Every route is behind [`crate::auth::authenticate`].

pub mod analyses;
pub mod audit;
pub mod bias;
pub mod figures;
pub mod log;
pub mod tables;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

/// The router of `/v1` (nested by [`crate::app`], which adds the
/// authentication and the in-flight limit).
pub fn v1() -> Router<AppState> {
    Router::new()
        .route(
            "/analyses",
            post(analyses::create_analysis).get(analyses::list_analyses),
        )
        .route(
            "/analyses/{id}",
            get(analyses::get_analysis).delete(analyses::delete_analysis),
        )
        .route("/analyses/{id}/forest.svg", get(figures::forest_svg))
        .route("/analyses/{id}/summary.txt", get(figures::summary_txt))
        .route("/analyses/{id}/forest.png", get(figures::forest_png))
        .route("/analyses/{id}/funnel.svg", get(figures::funnel_svg_route))
        .route("/analyses/{id}/funnel.png", get(figures::funnel_png))
        .route("/analyses/{id}/result.csv", get(figures::result_csv))
        .route("/analyses/{id}/methods.txt", get(figures::methods_txt))
        .route("/tables", post(tables::read_table))
        .route("/bias", post(bias::run_bias))
        .route("/audit", post(audit::audit))
        .route("/audit-log", get(log::audit_log))
        .method_not_allowed_fallback(crate::method_not_allowed)
}
