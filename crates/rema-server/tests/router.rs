//! Every route and every status of the router, driven with
//! `tower::ServiceExt::oneshot`: no socket, an in-memory store.

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use rema_data::{analyze, sha256_hex, AnalysisResult, AnalysisSpec, Table};
use rema_server::{app, run_compute, AppError, AppState, Limits, Store};
use serde_json::{json, Value};

const BCG: &str = include_str!("../../../examples/bcg/bcg.csv");

mod oneshot;
use oneshot::{get, post_as, send, Answer};

/// GETs `path`, asserting a 404 `not_found` envelope; returns `error`.
async fn not_found(router: &Router, path: &str) -> Value {
    get(router, path)
        .await
        .error(StatusCode::NOT_FOUND, "not_found")
}

async fn post(router: &Router, path: &str, body: impl Into<Body>) -> Answer {
    post_as(router, path, "application/json", body).await
}

async fn post_json(router: &Router, body: Value) -> Answer {
    post(router, "/v1/analyses", body.to_string()).await
}

fn state_with(limits: Limits) -> AppState {
    AppState::new(Store::in_memory().unwrap(), limits)
}

fn bcg_request() -> Value {
    json!({"csv": BCG, "spec": {"measure": "RR", "method": "REML", "tau2_ci": true}})
}

/// Stores the BCG analysis in a router on `state` and asks for its forest plot.
async fn forest_of_bcg(state: AppState) -> Answer {
    let r = app(state);
    let id = post_json(&r, bcg_request()).await.json()["id"].clone();
    let id = id.as_str().unwrap();
    get(&r, &format!("/v1/analyses/{id}/forest.svg")).await
}

#[tokio::test]
async fn healthz_answers_ok_with_the_version() {
    let r = app(AppState::in_memory());
    let a = get(&r, "/healthz").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["status"], "ok");
    assert_eq!(a.json()["version"], rema_data::VERSION);
}

#[tokio::test]
async fn the_web_page_is_served_from_the_binary() {
    let a = get(&app(AppState::in_memory()), "/").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = String::from_utf8(a.body).unwrap();
    assert!(html.contains("<form id=\"form\"") && html.contains("v1/analyses"));
}

#[tokio::test]
async fn openapi_document_lists_every_route_and_the_shared_types() {
    let a = get(&app(AppState::in_memory()), "/openapi.json").await;
    assert_eq!(a.status, StatusCode::OK);
    let doc = a.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/healthz",
        "/v1/analyses",
        "/v1/analyses/{id}",
        "/v1/analyses/{id}/forest.svg",
        "/v1/audit",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    let schemas = &doc["components"]["schemas"];
    // Generated from rema-data's types: a field of each shows it is not hand-written.
    assert!(schemas["AnalysisSpec"]["properties"]
        .get("tau2_ci")
        .is_some());
    // The summary fields are flattened into the result (allOf with Summary).
    let result = &schemas["AnalysisResult"];
    assert!(
        result.to_string().contains("#/components/schemas/Summary"),
        "{result}"
    );
    assert!(schemas["Summary"]["properties"].get("pi_upper").is_some());
    assert!(
        result["allOf"][1]["properties"].get("provenance").is_some(),
        "{result}"
    );
    assert!(schemas["ErrorDetail"]["properties"].get("field").is_some());
}

/// The text of a stored analysis is the text of `rema analyze` for it.
#[tokio::test]
async fn a_stored_analysis_has_the_cli_text_summary() {
    let r = app(AppState::in_memory());
    let created = post_json(&r, bcg_request()).await.json();
    let id = created["id"].as_str().unwrap();
    let a = get(&r, &format!("/v1/analyses/{id}/summary.txt")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let result: AnalysisResult = serde_json::from_value(created["result"].clone()).unwrap();
    assert_eq!(
        String::from_utf8(a.body).unwrap(),
        rema_data::render::text(&result)
    );
    not_found(&r, "/v1/analyses/nope/summary.txt").await;
}

#[tokio::test]
async fn posting_csv_answers_201_with_the_cli_json() {
    let r = app(AppState::in_memory());
    let a = post_json(&r, bcg_request()).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json());
    let v = a.json();
    let id = v["id"].as_str().unwrap();
    assert_eq!(a.headers[header::LOCATION], format!("/v1/analyses/{id}"));
    assert!(v["created_at"].as_str().unwrap().ends_with('Z'));

    // What `rema analyze FILE --format json` prints, for a file named `csv`.
    let mut spec = AnalysisSpec::new(rema_core::Measure::Rr);
    spec.tau2_ci = true;
    let table = Table::from_str(BCG, "csv").unwrap();
    let cli = analyze(&table, &spec, &sha256_hex(BCG.as_bytes())).unwrap();
    let cli: Value = serde_json::from_str(&serde_json::to_string_pretty(&cli).unwrap()).unwrap();
    assert_eq!(v["result"], cli);
    // And the JSON reads back into the shared result type.
    let back: AnalysisResult = serde_json::from_value(v["result"].clone()).unwrap();
    assert_eq!(back.k, 13);
}

#[tokio::test]
async fn the_name_of_the_input_goes_into_provenance_as_the_cli_path_does() {
    let r = app(AppState::in_memory());
    let mut req = bcg_request();
    req["name"] = json!("examples/bcg/bcg.csv");
    let v = post_json(&r, req).await.json();
    assert_eq!(v["result"]["provenance"]["input"], "examples/bcg/bcg.csv");
}

#[tokio::test]
async fn rows_give_the_numbers_of_the_same_csv() {
    let r = app(AppState::in_memory());
    let table = Table::from_str(BCG, "x").unwrap();
    let rows: Vec<Value> = table
        .rows
        .iter()
        .map(|row| {
            let mut o = serde_json::Map::new();
            for (h, c) in table.headers.iter().zip(&row.cells) {
                let v = c.parse::<f64>().map(Value::from).unwrap_or(json!(c));
                o.insert(h.clone(), v);
            }
            Value::Object(o)
        })
        .collect();
    let by_rows = post_json(&r, json!({"rows": rows, "spec": {"measure": "RR"}})).await;
    assert_eq!(by_rows.status, StatusCode::CREATED, "{}", by_rows.json());
    let by_csv = post_json(&r, json!({"csv": BCG, "spec": {"measure": "RR"}})).await;
    let (mut a, mut b) = (
        by_rows.json()["result"].clone(),
        by_csv.json()["result"].clone(),
    );
    assert_eq!(a["provenance"]["input"], "rows");
    for v in [&mut a, &mut b] {
        v["provenance"]["input"] = Value::Null;
        v["provenance"]["input_sha256"] = Value::Null;
    }
    assert_eq!(a, b, "same numbers, labels and lines");
}

#[tokio::test]
async fn a_stored_analysis_is_fetched_with_input_options_version_and_result() {
    let r = app(AppState::in_memory());
    let created = post_json(&r, bcg_request()).await.json();
    let id = created["id"].as_str().unwrap();
    let a = get(&r, &format!("/v1/analyses/{id}")).await;
    assert_eq!(a.status, StatusCode::OK);
    let v = a.json();
    assert_eq!(v["id"], id);
    assert_eq!(v["created_at"], created["created_at"]);
    assert_eq!(v["version"], rema_data::VERSION);
    assert_eq!(v["seed"], Value::Null);
    assert_eq!(v["input"]["kind"], "csv");
    assert_eq!(v["input"]["csv"], BCG);
    assert_eq!(v["input"]["sha256"], sha256_hex(BCG.as_bytes()));
    assert_eq!(v["options"]["method"], "REML");
    assert_eq!(v["options"]["test"], "z", "defaults are filled in");
    assert_eq!(v["result"], created["result"]);

    let rows = json!([{"yi": 0.1, "vi": 0.02}, {"yi": 0.3, "vi": 0.05}]);
    let created = post_json(&r, json!({"rows": rows, "spec": {"measure": "GEN"}})).await;
    let id = created.json()["id"].as_str().unwrap().to_string();
    let v = get(&r, &format!("/v1/analyses/{id}")).await.json();
    assert_eq!(v["input"]["kind"], "rows");
    assert_eq!(v["input"]["rows"], rows);
    assert!(v["input"].get("csv").is_none());
}

#[tokio::test]
async fn an_unknown_analysis_is_404() {
    let r = app(AppState::in_memory());
    let e = not_found(&r, "/v1/analyses/0123456789abcdef").await;
    assert!(e["message"].as_str().unwrap().contains("0123456789abcdef"));
    not_found(&r, "/v1/analyses/0123456789abcdef/forest.svg").await;
}

#[tokio::test]
async fn the_list_is_paginated_newest_first() {
    let r = app(AppState::in_memory());
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(post_json(&r, bcg_request()).await.json()["id"].clone());
    }
    let v = get(&r, "/v1/analyses?limit=2").await.json();
    assert_eq!(v["total"], 3);
    assert_eq!(v["limit"], 2);
    assert_eq!(v["items"].as_array().unwrap().len(), 2);
    assert_eq!(v["items"][0]["id"], ids[2]);
    assert_eq!(v["items"][0]["measure"], "RR");
    assert_eq!(v["items"][0]["k"], 13);
    assert_eq!(v["next_offset"], 2);
    let v = get(&r, "/v1/analyses?limit=2&offset=2").await.json();
    assert_eq!(v["items"][0]["id"], ids[0]);
    assert_eq!(v["next_offset"], Value::Null);
    let v = get(&r, "/v1/analyses").await.json();
    assert_eq!(v["limit"], 20);
}

#[tokio::test]
async fn bad_page_parameters_are_400_naming_them() {
    let r = app(AppState::in_memory());
    for q in ["limit=0", "limit=1000", "offset=x", "cursor=3"] {
        let e = get(&r, &format!("/v1/analyses?{q}"))
            .await
            .error(StatusCode::BAD_REQUEST, "invalid_query");
        let key = q.split('=').next().unwrap();
        assert!(e["message"].as_str().unwrap().contains(key), "{e}");
    }
}

#[tokio::test]
async fn forest_plot_is_drawn_by_rema_plot() {
    let a = forest_of_bcg(AppState::in_memory()).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.headers[header::CONTENT_TYPE], "image/svg+xml");
    let svg = String::from_utf8(a.body).unwrap();
    assert!(
        svg.starts_with("<svg") || svg.starts_with("<?xml"),
        "{}",
        &svg[..80.min(svg.len())]
    );
    for label in ["Aronson 1948", "Comstock et al 1976"] {
        assert!(svg.contains(label), "{label} missing from the forest plot");
    }
}

#[tokio::test]
async fn forest_plot_is_404_plots_unavailable_without_a_renderer() {
    let mut state = AppState::in_memory();
    state.forest = None;
    forest_of_bcg(state)
        .await
        .error(StatusCode::NOT_FOUND, "plots_unavailable");
}

fn fixture_svg(r: &AnalysisResult) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>{} studies</text></svg>",
        r.k
    )
}

#[tokio::test]
async fn forest_plot_uses_the_renderer_when_one_is_wired_in() {
    let mut state = AppState::in_memory();
    state.forest = Some(fixture_svg);
    let a = forest_of_bcg(state).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.headers[header::CONTENT_TYPE], "image/svg+xml");
    assert!(String::from_utf8(a.body).unwrap().contains("13 studies"));
}

fn panicking_svg(_: &AnalysisResult) -> String {
    panic!("secret internal detail")
}

#[tokio::test]
async fn a_fault_of_the_server_is_500_without_internal_details() {
    let mut state = AppState::in_memory();
    state.forest = Some(panicking_svg);
    let a = forest_of_bcg(state).await;
    a.error(StatusCode::INTERNAL_SERVER_ERROR, "internal");
    let text = String::from_utf8(a.body).unwrap();
    assert!(!text.contains("secret"), "{text}");
    assert!(!text.contains("panic"), "{text}");
}

const TABLE3: &str = include_str!("../../../examples/bkp/table3_published.csv");

#[tokio::test]
async fn audit_answers_as_rema_audit() {
    let r = app(AppState::in_memory());
    let body = json!({"csv": TABLE3}).to_string();
    let a = post(&r, "/v1/audit", body).await;
    assert_eq!(a.status, StatusCode::OK);
    let rows = a.json();
    let rows = rows.as_array().unwrap();
    let text = |r: &Value, key: &str| r[key].as_str().unwrap().to_string();
    let records: Vec<[String; 3]> = rows
        .iter()
        .map(|r| [text(r, "id"), text(r, "status"), text(r, "message")])
        .collect();
    assert_eq!(records.len(), 12);
    let inconsistent: Vec<&str> = records
        .iter()
        .filter(|[_, status, _]| status == "inconsistent")
        .map(|[id, ..]| id.as_str())
        .collect();
    assert_eq!(inconsistent, ["cobb_post"]);
    // Same records as the library (and so as `rema audit --format json`).
    let table = Table::from_str(TABLE3, "csv").unwrap();
    let lib = rema_data::audit::audit_table(&table, 95.0).unwrap();
    for ((l, record), r) in lib.iter().zip(&records).zip(rows) {
        assert_eq!(
            [&l.id, &l.status, &l.message],
            [&record[0], &record[1], &record[2]]
        );
        // JSON numbers round-trip to within an ulp.
        let p = r["implied_p"].as_f64().unwrap();
        assert!(
            (l.implied_p - p).abs() <= 1e-12 * p.abs(),
            "{} {p}",
            l.implied_p
        );
    }
}

#[tokio::test]
async fn audit_errors_name_the_field() {
    let r = app(AppState::in_memory());
    let e = post(&r, "/v1/audit", "{}")
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    assert!(e["message"].as_str().unwrap().contains("csv"), "{e}");
    let body = json!({"csv": "id,measure,estimate,ci_lower,ci_upper,p_reported\nx,FOO,1,0,2,.5\n"})
        .to_string();
    let e = post(&r, "/v1/audit", body)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_data");
    assert!(e["message"].as_str().unwrap().contains("FOO"), "{e}");
    let body = json!({"csv": TABLE3, "level": 120}).to_string();
    post(&r, "/v1/audit", body)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
}

#[tokio::test]
async fn unknown_routes_and_methods_are_json_404_and_405() {
    let r = app(AppState::in_memory());
    not_found(&r, "/v2/nothing").await;
    send(
        &r,
        Request::delete("/v1/analyses").body(Body::empty()).unwrap(),
    )
    .await
    .error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    post(&r, "/healthz", "")
        .await
        .error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

#[tokio::test]
async fn malformed_json_is_400() {
    let r = app(AppState::in_memory());
    for body in ["", "{", "{\"csv\": \"a\",}", "not json"] {
        post(&r, "/v1/analyses", body)
            .await
            .error(StatusCode::BAD_REQUEST, "invalid_json");
    }
}

#[tokio::test]
async fn wrong_shapes_and_types_are_422_naming_the_field() {
    let r = app(AppState::in_memory());
    let cases = [
        (json!({"csv": 3, "spec": {"measure": "RR"}}), "csv"),
        (json!({"csv": BCG}), "spec"),
        (json!({"csv": BCG, "spec": {}}), "spec.measure"),
        (
            json!({"csv": BCG, "spec": {"measure": "RR", "level": "high"}}),
            "spec.level",
        ),
        (
            json!({"csv": BCG, "spec": {"measure": "RR", "colour": 1}}),
            "spec.colour",
        ),
        (json!({"csv": BCG, "spec": "RR"}), "spec"),
        (
            json!({"csv": BCG, "spec": {"measure": "RR"}, "extra": 1}),
            "",
        ),
        (json!({"spec": {"measure": "RR"}}), "csv"),
        (
            json!({"csv": BCG, "rows": [], "spec": {"measure": "RR"}}),
            "rows",
        ),
        (
            json!({"rows": [{"yi": 1, "vi": 1}, 7], "spec": {"measure": "GEN"}}),
            "rows[1]",
        ),
        (
            json!({"rows": [{"yi": 1, "vi": 1}, {"yi": [1], "vi": 1}], "spec": {"measure": "GEN"}}),
            "rows[1].yi",
        ),
        (json!({"rows": [], "spec": {"measure": "GEN"}}), "rows"),
    ];
    for (body, field) in cases {
        let e = post_json(&r, body.clone())
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
        if field.is_empty() {
            assert!(e["message"].as_str().unwrap().contains("extra"), "{e}");
        } else {
            assert_eq!(e["field"], field, "{body}: {e}");
        }
    }
}

#[tokio::test]
async fn bad_data_is_422_naming_the_row_and_column() {
    let r = app(AppState::in_memory());
    let csv = "study,yi,vi\nA,0.1,0.02\nB,0.2,abc\n";
    let e = post_json(&r, json!({"csv": csv, "spec": {"measure": "GEN"}}))
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_data");
    assert_eq!(e["field"], "csv, line 3, column `vi`");
    assert!(e["message"].as_str().unwrap().contains("abc"), "{e}");

    let rows =
        json!([{"study": "A", "yi": 0.1, "vi": 0.02}, {"study": "B", "yi": 0.2, "vi": null}]);
    // A missing value leaves the study out unless missing is "fail".
    let e = post_json(
        &r,
        json!({"rows": rows, "spec": {"measure": "GEN", "missing": "fail"}}),
    )
    .await
    .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_data");
    assert_eq!(e["field"], "rows[1].vi");

    let rows = json!([{"study": "A", "yi": 0.1, "vi": -1}, {"study": "B", "yi": 0.2, "vi": 1}]);
    let e = post_json(&r, json!({"rows": rows, "spec": {"measure": "GEN"}}))
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "analysis_failed");
    // The variance's own column, now that the error names it.
    assert_eq!(e["field"], "rows[0].vi");
    assert!(e["message"].as_str().unwrap().contains("study `A`"), "{e}");

    let e = post_json(
        &r,
        json!({"csv": "ai,bi\n1,2\n", "spec": {"measure": "RR"}}),
    )
    .await
    .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_data");
    assert!(
        e["message"].as_str().unwrap().contains("missing column"),
        "{e}"
    );

    let e = post_json(
        &r,
        json!({"csv": BCG, "spec": {"measure": "RR", "method": "XX"}}),
    )
    .await
    .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_option");
    assert_eq!(e["field"], "spec.method");
    assert!(e["message"].as_str().unwrap().contains("XX"), "{e}");

    post_json(&r, json!({"csv": "", "spec": {"measure": "RR"}}))
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_data");
}

#[tokio::test]
async fn a_body_over_the_cap_is_413() {
    let r = app(state_with(Limits {
        max_body_bytes: 500,
        ..Limits::default()
    }));
    let e = post_json(&r, bcg_request())
        .await
        .error(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
    assert!(e["message"].as_str().unwrap().contains("500"), "{e}");
}

#[tokio::test]
async fn more_studies_than_the_cap_is_422_limit_exceeded() {
    let r = app(state_with(Limits {
        max_studies: 12,
        ..Limits::default()
    }));
    // A generic-effect request of `k` rows.
    let rows = |k: i32| {
        let rows: Vec<Value> = (0..k).map(|i| json!({"yi": i, "vi": 1})).collect();
        json!({"rows": rows, "spec": {"measure": "GEN"}})
    };
    for (body, field) in [(bcg_request(), "csv"), (rows(13), "rows")] {
        let e = post_json(&r, body)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "limit_exceeded");
        assert_eq!(e["field"], field);
    }
    let a = post_json(&r, rows(12)).await;
    assert_eq!(a.status, StatusCode::CREATED, "at the cap is allowed");
}

#[tokio::test]
async fn resampling_over_the_caps_is_422_limit_exceeded() {
    let r = app(state_with(Limits {
        max_permutations: 1000,
        max_bootstrap: 500,
        ..Limits::default()
    }));
    let cases = [
        (
            json!({"measure": "RR", "permutations": 1001}),
            "spec.permutations",
        ),
        (
            json!({"measure": "RR", "permutations": "1001"}),
            "spec.permutations",
        ),
        (json!({"measure": "RR", "bootstrap": 501}), "spec.bootstrap"),
    ];
    for (spec, field) in cases {
        let e = post_json(&r, json!({"csv": BCG, "spec": spec}))
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "limit_exceeded");
        assert_eq!(e["field"], field, "{e}");
    }
    // A count is a number or a string; an object is the wrong type.
    let e = post_json(
        &r,
        json!({"csv": BCG, "spec": {"measure": "RR", "bootstrap": {"replicates": 10000}}}),
    )
    .await
    .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request");
    assert_eq!(e["field"], "spec.bootstrap", "{e}");
}

/// `"permutations": 50` (a JSON number) and `"exact"` both run, and the
/// stored options write the count back as the CLI does.
#[tokio::test]
async fn permutations_may_be_a_number_or_exact() {
    let r = app(AppState::in_memory());
    for (perm, exact) in [(json!(50), false), (json!("exact"), true)] {
        let a = post_json(
            &r,
            json!({"csv": BCG, "spec": {"measure": "RR", "permutations": perm, "seed": 7}}),
        )
        .await;
        assert_eq!(
            a.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&a.body)
        );
        let v = a.json();
        let p = &v["result"]["permutation"];
        assert_eq!(p["exact"], exact, "{p}");
        assert_eq!(p["seed"], 7);
        assert!(
            v["result"]["pval_perm"]
                .as_f64()
                .is_some_and(|x| x > 0.0 && x <= 1.0),
            "{v}"
        );
        let want = if exact { json!("exact") } else { json!("50") };
        assert_eq!(v["result"]["provenance"]["options"]["permutations"], want);
    }
    let e = post_json(
        &r,
        json!({"csv": BCG, "spec": {"measure": "RR", "permutations": 1}}),
    )
    .await
    .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_option");
    assert_eq!(e["field"], "spec.permutations", "{e}");
}

/// An analysis past its deadline is cancelled through `Hooks::cancel`: its
/// worker is free again within seconds, where the permutation test asked for
/// (20 million refits, minutes of work) would hold it to the end.
#[tokio::test]
async fn an_analysis_past_its_deadline_stops_and_frees_its_worker() {
    let state = state_with(Limits {
        compute_workers: 1,
        compute_timeout: Duration::from_millis(300),
        max_permutations: u64::MAX,
        ..Limits::default()
    });
    let r = app(state.clone());
    post_json(
        &r,
        json!({"csv": BCG, "spec": {"measure": "RR", "mods": ["ablat"], "permutations": 20_000_000u64, "seed": 1}}),
    )
    .await
    .error(StatusCode::SERVICE_UNAVAILABLE, "timeout");
    let freed = std::time::Instant::now();
    let permit = tokio::time::timeout(
        Duration::from_secs(30),
        state.compute.clone().acquire_owned(),
    )
    .await
    .expect("the cancelled analysis frees its worker")
    .unwrap();
    drop(permit);
    assert!(freed.elapsed() < Duration::from_secs(30));
}

/// Holds every compute slot, as long analyses would.
async fn hold_compute(state: &AppState) -> tokio::sync::OwnedSemaphorePermit {
    let n = state.limits.compute_workers as u32;
    state.compute.clone().acquire_many_owned(n).await.unwrap()
}

#[tokio::test]
async fn no_free_worker_before_the_deadline_is_503_busy_and_healthz_still_answers() {
    let state = state_with(Limits {
        compute_workers: 1,
        // Long enough for the last analysis on a loaded machine; the wait
        // for a worker is the only thing that runs into it.
        compute_timeout: Duration::from_secs(2),
        ..Limits::default()
    });
    let r = app(state.clone());
    let held = hold_compute(&state).await;
    post_json(&r, bcg_request())
        .await
        .error(StatusCode::SERVICE_UNAVAILABLE, "busy");
    assert_eq!(get(&r, "/healthz").await.status, StatusCode::OK);
    drop(held);
    assert_eq!(
        post_json(&r, bcg_request()).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_computation_past_the_deadline_is_a_timeout_answered_503() {
    let state = state_with(Limits {
        compute_timeout: Duration::from_millis(20),
        ..Limits::default()
    });
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let res = run_compute(&state, move || rx.recv()).await;
    let err = res.unwrap_err();
    assert!(matches!(err, AppError::Timeout { .. }), "{err:?}");
    tx.send(()).unwrap();
    assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(err.detail().code, "timeout");
}

#[tokio::test]
async fn requests_beyond_max_in_flight_are_503_overloaded() {
    let state = state_with(Limits {
        compute_workers: 1,
        max_in_flight: 1,
        compute_timeout: Duration::from_secs(60),
        ..Limits::default()
    });
    let r = app(state.clone());
    let held = hold_compute(&state).await;
    let waiting = {
        let r = r.clone();
        tokio::spawn(async move { post_json(&r, bcg_request()).await.status })
    };
    while state.in_flight.available_permits() > 0 {
        tokio::task::yield_now().await;
    }
    get(&r, "/v1/analyses")
        .await
        .error(StatusCode::SERVICE_UNAVAILABLE, "overloaded");
    assert_eq!(get(&r, "/healthz").await.status, StatusCode::OK);
    drop(held);
    assert_eq!(waiting.await.unwrap(), StatusCode::CREATED);
    assert_eq!(get(&r, "/v1/analyses").await.status, StatusCode::OK);
}

#[tokio::test]
async fn analyses_run_concurrently_on_a_shared_store() {
    let state = AppState::in_memory();
    let r = app(state.clone());
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let r = r.clone();
            tokio::spawn(async move { post_json(&r, bcg_request()).await.status })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::CREATED);
    }
    assert_eq!(get(&r, "/v1/analyses").await.json()["total"], 20);
}

static RELEASE_SLOW_SVG: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A renderer that computes until the test releases it, as a long job would.
fn slow_svg(_: &AnalysisResult) -> String {
    while !RELEASE_SLOW_SVG.load(std::sync::atomic::Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(1));
    }
    "<svg/>".to_string()
}

#[tokio::test]
async fn a_route_whose_computation_outlives_the_deadline_answers_503_timeout() {
    // Stored with the default deadline, drawn under a short one.
    let store = Store::in_memory().unwrap();
    let id = post_json(
        &app(AppState::new(store.clone(), Limits::default())),
        bcg_request(),
    )
    .await
    .json()["id"]
        .clone();
    let mut state = AppState::new(
        store,
        Limits {
            compute_timeout: Duration::from_millis(50),
            ..Limits::default()
        },
    );
    state.forest = Some(slow_svg);
    let r = app(state);
    let path = format!("/v1/analyses/{}/forest.svg", id.as_str().unwrap());
    get(&r, &path)
        .await
        .error(StatusCode::SERVICE_UNAVAILABLE, "timeout");
    assert_eq!(get(&r, "/healthz").await.status, StatusCode::OK);
    RELEASE_SLOW_SVG.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// `spec.method` MH and `spec.preset` over JSON: the same result as the
/// library's, RevMan's label in the forest plot, and a refused combination
/// named by its field.
#[tokio::test]
async fn mantel_haenszel_and_presets_are_served_as_json() {
    let r = app(AppState::in_memory());
    let a = post_json(
        &r,
        json!({"csv": BCG, "spec": {"measure": "OR", "preset": "revman5", "random": true}}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.json());
    let v = a.json();
    let result = &v["result"];
    assert_eq!(result["method"], "MH");
    assert_eq!(result["pooling"]["label"], "M-H, Random, 95% CI");
    assert!(result["tau2"].as_f64().unwrap() > 0.0);
    assert_eq!(result["provenance"]["options"]["preset"], "revman5");
    let svg = get(
        &r,
        &format!("/v1/analyses/{}/forest.svg", v["id"].as_str().unwrap()),
    )
    .await;
    assert!(String::from_utf8(svg.body)
        .unwrap()
        .contains("M-H, Random, 95% CI"));
    let e = post_json(
        &r,
        json!({"csv": BCG, "spec": {"measure": "OR", "method": "PETO", "random": true}}),
    )
    .await
    .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_option");
    assert_eq!(e["field"], "spec.random");
}

#[tokio::test]
async fn the_openapi_document_has_the_bearer_scheme_on_every_v1_route() {
    let doc = get(&app(AppState::in_memory()), "/openapi.json")
        .await
        .json();
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    assert!(doc["paths"]["/v1/analyses/{id}"].get("delete").is_some());
    assert!(doc["paths"]["/v1/audit-log"].get("get").is_some());
    assert!(doc["paths"]["/healthz"]["get"].get("security").is_none());
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            assert_eq!(op["security"][0]["bearer"], json!([]), "{method} {path}");
            assert!(op["responses"].get("401").is_some(), "{method} {path}");
        }
    }
}

/// A state that never lets a request in without a token, with one token.
fn tokens_only() -> (AppState, String) {
    let mut state = AppState::in_memory();
    state.access = rema_server::Access::TokensOnly;
    let token = state.store.create_token("t", "p").unwrap().token;
    (state, token)
}

#[tokio::test]
async fn tokens_only_refuses_requests_without_a_valid_token_even_with_no_token_left() {
    let (state, token) = tokens_only();
    let store = state.store.clone();
    let r = app(state);
    let a = get(&r, "/v1/analyses").await;
    let e = a.error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(e["message"].as_str().unwrap().contains("Bearer"), "{e}");
    assert_eq!(a.headers[header::WWW_AUTHENTICATE], "Bearer realm=\"rema\"");
    assert_eq!(a.headers[header::CACHE_CONTROL], "no-store");
    let with = |t: &str| {
        Request::get("/v1/analyses")
            .header(header::AUTHORIZATION, format!("Bearer {t}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(send(&r, with(&token)).await.status, StatusCode::OK);
    store.revoke_token("t").unwrap();
    send(&r, with(&token))
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthorized");
    // No active token left: still closed, unlike a loopback server.
    get(&r, "/v1/analyses")
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(get(&r, "/healthz").await.json()["access"], "token");
}

#[tokio::test]
async fn the_page_and_its_assets_carry_the_security_headers() {
    let r = app(AppState::in_memory());
    for (path, kind) in [
        ("/", "text/html"),
        ("/app.js", "text/javascript"),
        ("/app.css", "text/css"),
    ] {
        let a = get(&r, path).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert!(a.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with(kind));
        assert_eq!(
            a.headers[header::CONTENT_SECURITY_POLICY],
            rema_server::web::CSP
        );
        assert_eq!(a.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }
}
