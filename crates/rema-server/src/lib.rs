//! rema-server: the rema engine over HTTP.
//!
//! The server is a function: [`app`] builds the router, so tests drive it with
//! `tower::ServiceExt::oneshot` and no socket. `main.rs` binds it.

use axum::{routing::get, Json, Router};
use serde_json::{json, Value};

/// Shared state of the service.
#[derive(Debug, Clone, Default)]
pub struct AppState {}

/// The router of every route.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .with_state(state)
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok", "version": rema_data::VERSION}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    #[tokio::test]
    async fn healthz_answers_ok() {
        let res = app(AppState::default())
            .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["status"], "ok");
    }
}
