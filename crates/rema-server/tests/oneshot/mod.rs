//! Driving the router in-process with `tower::ServiceExt::oneshot` (no
//! socket): one request, its whole answer, and the assertions on rema's
//! error envelope that the router tests share.

#![allow(dead_code)] // each test binary uses its own part

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use serde_json::Value;
use tower::ServiceExt;

/// The status, headers and body of one answer.
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON; panics with the body when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> &str {
        self.headers[header::CONTENT_TYPE].to_str().unwrap()
    }

    /// Asserts the status and the error envelope (a code, a message that
    /// is not empty, a `field` key, null or not); returns `error`.
    pub fn error(&self, status: StatusCode, code: &str) -> Value {
        let v = self.json();
        assert_eq!(self.status, status, "{v}");
        assert_eq!(v["error"]["code"], code, "{v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{v}"
        );
        assert!(
            v["error"].get("field").is_some(),
            "field is always present: {v}"
        );
        v["error"].clone()
    }

    /// [`Answer::error`], asserting the field too; returns the message.
    pub fn error_at(&self, status: StatusCode, code: &str, field: Option<&str>) -> String {
        let e = self.error(status, code);
        assert_eq!(e["field"].as_str(), field, "{e}");
        e["message"].as_str().unwrap().to_string()
    }
}

/// Sends `req` to a clone of `router` and reads the whole answer.
pub async fn send(router: &Router, req: Request<Body>) -> Answer {
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

/// `GET path`.
pub async fn get(router: &Router, path: &str) -> Answer {
    send(router, Request::get(path).body(Body::empty()).unwrap()).await
}

/// `POST path` with `body` of the content type `content_type`.
pub async fn post_as(
    router: &Router,
    path: &str,
    content_type: &str,
    body: impl Into<Body>,
) -> Answer {
    let req = Request::post(path)
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .unwrap();
    send(router, req).await
}

/// `POST path` with a JSON body.
pub async fn post_json(router: &Router, path: &str, body: Value) -> Answer {
    post_as(router, path, "application/json", body.to_string()).await
}
