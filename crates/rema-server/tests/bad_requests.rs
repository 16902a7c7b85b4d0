//! The server's part of the bad-input catalogue (docs/ERRORS.md, "Server
//! requests"): each bad request gets its HTTP status, its error code, its
//! field, and the message the catalogue quotes verbatim. Driven through the
//! router with `oneshot`; the body timeout is in `faults.rs`.

use std::path::Path;

use axum::body::Body;
use axum::http::{header, Method, Request};
use rema_server::{app, AppState, Limits, Store};
use serde_json::{json, Value};
use tower::ServiceExt;

const BCG: &str = include_str!("../../../examples/bcg/bcg.csv");

struct Case {
    name: &'static str,
    method: Method,
    path: &'static str,
    body: String,
    status: u16,
    code: &'static str,
    field: Option<&'static str>,
}

fn post(
    name: &'static str,
    body: impl ToString,
    status: u16,
    code: &'static str,
    field: Option<&'static str>,
) -> Case {
    Case {
        name,
        method: Method::POST,
        path: "/v1/analyses",
        body: body.to_string(),
        status,
        code,
        field,
    }
}

fn cases() -> Vec<Case> {
    let bcg = |spec: Value| json!({"csv": BCG, "spec": spec});
    vec![
        post(
            "body that is not JSON",
            "{\"csv\": ",
            400,
            "invalid_json",
            None,
        ),
        post(
            "body that is a JSON array",
            "[1, 2, 3]",
            422,
            "invalid_request",
            None,
        ),
        post(
            "unknown field in the body",
            json!({"csv": BCG, "spec": {"measure": "RR"}, "colour": "red"}),
            422,
            "invalid_request",
            Some("colour"),
        ),
        post(
            "studies sent twice",
            json!({"csv": BCG, "rows": [], "spec": {"measure": "RR"}}),
            422,
            "invalid_request",
            Some("rows"),
        ),
        post(
            "studies missing",
            json!({"spec": {"measure": "RR"}}),
            422,
            "invalid_request",
            Some("csv"),
        ),
        post(
            "spec missing",
            json!({"csv": BCG}),
            422,
            "invalid_request",
            Some("spec"),
        ),
        post(
            "spec that is not an object",
            json!({"csv": BCG, "spec": "RR"}),
            422,
            "invalid_request",
            Some("spec"),
        ),
        post(
            "spec option of the wrong type",
            bcg(json!({"measure": "RR", "level": "high"})),
            422,
            "invalid_request",
            Some("spec.level"),
        ),
        post(
            "csv that is not a string",
            json!({"csv": 5, "spec": {"measure": "RR"}}),
            422,
            "invalid_request",
            Some("csv"),
        ),
        post(
            "unknown measure in a request",
            json!({"csv": "study,yi,vi\nA,1,1\n", "spec": {"measure": "NOPE"}}),
            422,
            "invalid_option",
            Some("spec.measure"),
        ),
        post(
            "bad cell in csv",
            json!({"csv": "study,ai,bi,ci,di\nA,1,2,x,4\n", "spec": {"measure": "RR"}}),
            422,
            "invalid_data",
            Some("csv, line 2, column `ci`"),
        ),
        post(
            "row value that is not a number",
            json!({"rows": [{"study": "A", "yi": "big", "vi": 0.1}], "spec": {"measure": "GEN"}}),
            422,
            "invalid_data",
            Some("rows[0].yi"),
        ),
        post(
            "permutations over the cap",
            bcg(json!({"measure": "RR", "mods": ["ablat"], "permutations": 200})),
            422,
            "limit_exceeded",
            Some("spec.permutations"),
        ),
        post(
            "more studies than the cap",
            bcg(json!({"measure": "RR"})),
            422,
            "limit_exceeded",
            Some("csv"),
        ),
        post(
            "body over the cap",
            json!({"csv": "x".repeat(5000), "spec": {"measure": "RR"}}),
            413,
            "body_too_large",
            None,
        ),
        Case {
            name: "unknown route",
            method: Method::GET,
            path: "/v2/analyses",
            body: String::new(),
            status: 404,
            code: "not_found",
            field: None,
        },
        Case {
            name: "unknown analysis id",
            method: Method::GET,
            path: "/v1/analyses/nope",
            body: String::new(),
            status: 404,
            code: "not_found",
            field: None,
        },
        Case {
            name: "wrong HTTP method",
            method: Method::DELETE,
            path: "/v1/analyses",
            body: String::new(),
            status: 405,
            code: "method_not_allowed",
            field: None,
        },
        Case {
            name: "bad page size",
            method: Method::GET,
            path: "/v1/analyses?limit=0",
            body: String::new(),
            status: 400,
            code: "invalid_query",
            field: None,
        },
        Case {
            name: "sheet for an uploaded CSV file",
            method: Method::POST,
            path: "/v1/tables?name=bcg.csv&sheet=Studies",
            body: BCG.to_string(),
            status: 422,
            code: "invalid_option",
            field: Some("spec.sheet"),
        },
        Case {
            name: "unknown small-study option value",
            method: Method::POST,
            path: "/v1/bias",
            body: json!({"csv": BCG, "spec": {"measure": "RR"}, "options": {"estimator": "X0"}})
                .to_string(),
            status: 422,
            code: "invalid_request",
            field: Some("options.estimator"),
        },
    ]
}

/// Runs every case; returns (name, message).
async fn answers() -> Vec<(&'static str, String)> {
    let limits = Limits {
        max_body_bytes: 4096,
        max_studies: 12,
        max_permutations: 100,
        ..Limits::default()
    };
    let router = app(AppState::new(Store::in_memory().unwrap(), limits));
    let mut out = Vec::new();
    let mut wrong = Vec::new();
    for c in cases() {
        let req = Request::builder()
            .method(c.method.clone())
            .uri(c.path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(c.body.clone()))
            .unwrap();
        let res = router.clone().oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        if status != c.status
            || v["error"]["code"] != c.code
            || v["error"]["field"].as_str() != c.field
        {
            wrong.push(format!("{}: {status} {v}", c.name));
        }
        out.push((c.name, v["error"]["message"].as_str().unwrap().to_string()));
    }
    assert!(wrong.is_empty(), "wrong answers:\n{}", wrong.join("\n"));
    out
}

#[tokio::test]
async fn each_bad_request_gets_its_status_code_and_field() {
    assert!(answers().await.len() >= 19);
}

/// A router that needs a token, with `limits`, and the token of project `p`.
fn tokens_only(limits: Limits) -> (axum::Router, String) {
    let mut state = AppState::new(Store::in_memory().unwrap(), limits);
    state.access = rema_server::Access::TokensOnly;
    let token = state.store.create_token("t", "p").unwrap().token;
    (app(state), token)
}

/// One request to `/v1/analyses`: status, headers, JSON body.
async fn send_as(
    router: &axum::Router,
    token: Option<&str>,
    method: Method,
    body: String,
) -> (u16, axum::http::HeaderMap, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri("/v1/analyses")
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let res = router
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, headers, serde_json::from_slice(&bytes).unwrap())
}

/// The refusals about tokens, from servers that need one: (name, message).
/// The oneshot requests have no address, so they share one failure count.
async fn token_answers() -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let mut wrong = Vec::new();
    let mut check = |name: &'static str,
                     (status, headers, v): (u16, axum::http::HeaderMap, Value),
                     want: (u16, &str),
                     header: Option<(&str, &str)>| {
        let header_ok = header.is_none_or(|(k, val)| headers.get(k).is_some_and(|h| h == val));
        if status != want.0
            || v["error"]["code"] != want.1
            || !v["error"]["field"].is_null()
            || !header_ok
        {
            wrong.push(format!("{name}: {status} {headers:?} {v}"));
        }
        out.push((
            name,
            v["error"]["message"].as_str().unwrap_or("").to_string(),
        ));
    };

    // Two failures a minute per address: the third request is refused,
    // whatever its token.
    let (r, token) = tokens_only(Limits {
        auth_failures_per_minute: 2,
        ..Limits::default()
    });
    let answer = send_as(&r, None, Method::GET, String::new()).await;
    check(
        "no token",
        answer,
        (401, "unauthorized"),
        Some(("www-authenticate", "Bearer realm=\"rema\"")),
    );
    let answer = send_as(&r, Some("rema_wrong"), Method::GET, String::new()).await;
    let challenge = "Bearer realm=\"rema\", error=\"invalid_token\"";
    check(
        "a token that is not valid",
        answer,
        (401, "unauthorized"),
        Some(("www-authenticate", challenge)),
    );
    let answer = send_as(&r, Some(&token), Method::GET, String::new()).await;
    check(
        "too many failed authentications",
        answer,
        (429, "too_many_failures"),
        Some(("retry-after", "30")),
    );

    // Two requests a minute per token, one analysis per project.
    let (r, token) = tokens_only(Limits {
        rate_limit_per_minute: 2,
        max_analyses_per_project: 1,
        ..Limits::default()
    });
    let bcg = json!({"csv": BCG, "spec": {"measure": "RR"}}).to_string();
    let (status, _, v) = send_as(&r, Some(&token), Method::POST, bcg.clone()).await;
    assert_eq!(status, 201, "{v}");
    let answer = send_as(&r, Some(&token), Method::POST, bcg).await;
    check("a full project", answer, (409, "project_full"), None);
    let answer = send_as(&r, Some(&token), Method::GET, String::new()).await;
    check(
        "too many requests from one token",
        answer,
        (429, "rate_limited"),
        Some(("retry-after", "30")),
    );
    assert!(wrong.is_empty(), "wrong answers:\n{}", wrong.join("\n"));
    out
}

#[tokio::test]
async fn each_refusal_about_tokens_gets_its_status_code_and_header() {
    assert_eq!(token_answers().await.len(), 5);
}

/// docs/ERRORS.md quotes every message verbatim, under the case's name.
#[tokio::test]
async fn errors_md_quotes_every_server_message() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/ERRORS.md"))
            .unwrap();
    let mut missing = Vec::new();
    for (name, m) in answers().await.into_iter().chain(token_answers().await) {
        if !doc.contains(&format!("## {name}\n")) || !doc.contains(&m) {
            missing.push(format!("## {name}\n{m}"));
        }
    }
    assert!(
        missing.is_empty(),
        "docs/ERRORS.md lacks:\n{}",
        missing.join("\n")
    );
}
