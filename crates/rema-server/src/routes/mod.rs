//! The routes of `/v1`, one module per resource, and [`v1`], their router.
//!
//! - `analyses.rs`: `POST /v1/analyses`, `GET /v1/analyses`,
//!   `GET` and `DELETE /v1/analyses/{id}`, `GET /v1/analyses/{id}/forest.svg`,
//!   `GET /v1/analyses/{id}/summary.txt`;
//! - `audit.rs`: `POST /v1/audit` (a published table checked row by row);
//! - `log.rs`: `GET /v1/audit-log` (the project's requests: who, what, when,
//!   outcome).
//!
//! Every route is behind [`crate::auth::authenticate`].

pub mod analyses;
pub mod audit;
pub mod log;

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
        .route("/analyses/{id}/forest.svg", get(analyses::forest_svg))
        .route("/analyses/{id}/summary.txt", get(analyses::summary_txt))
        .route("/audit", post(audit::audit))
        .route("/audit-log", get(log::audit_log))
        .method_not_allowed_fallback(crate::method_not_allowed)
}
