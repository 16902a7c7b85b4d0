//! The confidence level over HTTP: a level below 1 is a proportion, as
//! metafor's `level` (0.95 is 95%), and a level outside (0, 100) is refused
//! at `spec.level` with a message naming `level`.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use rema_server::{app, AppState};
use serde_json::{json, Value};
use tower::ServiceExt;

const BCG: &str = include_str!("../../../examples/bcg/bcg.csv");

async fn post_spec(spec: Value) -> (StatusCode, Value) {
    let body = json!({"csv": BCG, "spec": spec}).to_string();
    let res = app(AppState::in_memory())
        .oneshot(
            Request::post("/v1/analyses")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn a_level_below_one_is_a_proportion() {
    let (status, prop) = post_spec(json!({"measure": "RR", "level": 0.95})).await;
    assert_eq!(status, StatusCode::CREATED, "{prop}");
    let (_, pct) = post_spec(json!({"measure": "RR", "level": 95})).await;
    assert_eq!(prop["result"]["level"], json!(95.0));
    assert_eq!(prop["result"]["ci_lower"], pct["result"]["ci_lower"]);
    let (_, ninety) = post_spec(json!({"measure": "RR", "level": 0.9})).await;
    assert_eq!(ninety["result"]["level"], json!(90.0));
}

#[tokio::test]
async fn a_level_outside_zero_to_one_hundred_is_refused_naming_level() {
    for bad in [150.0, 100.0, 0.0, -5.0] {
        let (status, v) = post_spec(json!({"measure": "RR", "level": bad})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["field"], "spec.level", "{v}");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("must lie strictly between 0 and 100, e.g. 95"),
            "{message}"
        );
        assert!(message.contains("level"), "{message}");
    }
}
