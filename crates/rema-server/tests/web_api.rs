//! The routes the web page uses besides `POST /v1/analyses`, driven with
//! `tower::ServiceExt::oneshot`: reading a table's columns (`POST
//! /v1/tables`, CSV and Excel), the small-study tests (`POST /v1/bias`) and
//! the downloads of a stored analysis (forest and funnel plots as SVG and
//! PNG, the CSV, the methods text). Each answer is compared with what the
//! library gives for the same input, so the page shows the CLI's numbers.

use axum::http::StatusCode;
use axum::Router;
use rema_data::{analyze, AnalysisResult, AnalysisSpec, Table};
use rema_server::{app, AppState};
use serde_json::{json, Value};

const BCG: &str = include_str!("../../../examples/bcg/bcg.csv");
const WORKBOOK: &[u8] = include_bytes!("../../../tests/data/r/files.xlsx");

mod oneshot;
use oneshot::{get, post_as, post_json, Answer};

async fn post_bytes(router: &Router, path: &str, body: &[u8]) -> Answer {
    post_as(router, path, "application/octet-stream", body.to_vec()).await
}

fn spec(v: Value) -> AnalysisSpec {
    serde_json::from_value(v).unwrap()
}

/// Stores an analysis of `csv` with `spec`; returns its id and result.
async fn stored(router: &Router, csv: &str, spec: Value) -> (String, AnalysisResult) {
    let a = post_json(router, "/v1/analyses", json!({"csv": csv, "spec": spec})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let v = a.json();
    (
        v["id"].as_str().unwrap().to_string(),
        serde_json::from_value(v["result"].clone()).unwrap(),
    )
}

/// Width and height of a PNG, from its IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

/// The `width="..."` of an SVG's root element.
fn svg_width(svg: &str) -> f64 {
    let root = &svg[svg.find("<svg").unwrap()..];
    let root = &root[..root.find('>').unwrap()];
    let w = root.split("width=\"").nth(1).unwrap();
    w[..w.find('"').unwrap()].parse().unwrap()
}

#[tokio::test]
async fn a_csv_file_answers_its_columns_and_number_of_studies() {
    let r = app(AppState::in_memory());
    let a = post_bytes(&r, "/v1/tables?name=bcg.csv", BCG.as_bytes()).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let v = a.json();
    assert_eq!(v["source"], "bcg.csv");
    assert_eq!(v["format"], "csv");
    assert_eq!(
        v["columns"],
        json!(["study", "year", "ai", "bi", "ci", "di", "ablat", "alloc"])
    );
    assert_eq!(v["rows"], 13);
    assert!(v["csv"].is_null(), "delimited text is sent on as it is");
}

#[tokio::test]
async fn a_workbook_sheet_comes_back_as_csv_that_analyses_as_the_sheet() {
    let r = app(AppState::in_memory());
    for (query, sheet, measure) in [
        ("name=files.xlsx", "bcg", "GEN"),
        ("name=files.xlsx&sheet=lee2004", "lee2004", "OR"),
    ] {
        let a = post_bytes(&r, &format!("/v1/tables?{query}"), WORKBOOK).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        let v = a.json();
        assert_eq!(v["source"], format!("files.xlsx, sheet `{sheet}`"));
        assert_eq!(v["format"], "xlsx");
        let csv = v["csv"].as_str().unwrap();
        // The CSV the page sends on gives the numbers of the sheet itself.
        let sheet_table = rema_data::xlsx::read_any(WORKBOOK, "files.xlsx", Some(sheet)).unwrap();
        assert_eq!(v["rows"], sheet_table.rows.len());
        assert_eq!(v["columns"], json!(sheet_table.headers));
        let direct = analyze(
            &sheet_table,
            &spec(json!({"measure": measure, "sheet": sheet})),
            "0",
        )
        .unwrap();
        let (_, via_page) = stored(&r, csv, json!({"measure": measure})).await;
        assert_eq!(via_page.estimate, direct.estimate, "{sheet}");
        assert_eq!(via_page.tau2, direct.tau2, "{sheet}");
        assert_eq!(via_page.k, direct.k, "{sheet}");
    }
}

#[tokio::test]
async fn unreadable_tables_and_bad_queries_name_what_is_wrong() {
    let r = app(AppState::in_memory());
    let m = post_bytes(&r, "/v1/tables?name=files.xlsx&sheet=Studies", WORKBOOK)
        .await
        .error_at(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_option",
            Some("spec.sheet"),
        );
    assert!(m.contains("its sheets are `bcg`, `lee2004`"), "{m}");
    let m = post_bytes(&r, "/v1/tables?sheet=Studies", BCG.as_bytes())
        .await
        .error_at(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_option",
            Some("spec.sheet"),
        );
    assert!(m.contains("leave out sheet"), "{m}");
    post_bytes(&r, "/v1/tables", b" \n ").await.error_at(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_data",
        Some("csv"),
    );
    let m = post_bytes(&r, "/v1/tables?page=2", BCG.as_bytes())
        .await
        .error_at(StatusCode::BAD_REQUEST, "invalid_query", None);
    assert!(m.contains("use name and sheet"), "{m}");
}

#[tokio::test]
async fn the_small_study_tests_are_those_of_rema_bias() {
    let r = app(AppState::in_memory());
    let a = post_json(
        &r,
        "/v1/bias",
        json!({"csv": BCG, "spec": {"measure": "RR", "method": "REML"}, "name": "bcg.csv"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let table = Table::from_str(BCG, "bcg.csv").unwrap();
    let sha = rema_data::sha256_hex(BCG.as_bytes());
    let expected = rema_data::bias(
        &table,
        &spec(json!({"measure": "RR", "method": "REML"})),
        &sha,
    )
    .unwrap();
    // The same JSON text as the library's result serialised (bit for bit).
    assert_eq!(a.text(), serde_json::to_string(&expected).unwrap());
    assert!(a.json()["egger"]["pval"].is_number());
    assert!(a.json()["trimfill"]["k0"].is_number());

    // The options of the methods, as rema bias takes them.
    let a = post_json(
        &r,
        "/v1/bias",
        json!({"csv": BCG, "spec": {"measure": "RR"}, "options": {"estimator": "R0"}}),
    )
    .await;
    assert_eq!(a.json()["trimfill"]["estimator"], "R0", "{}", a.text());
}

#[tokio::test]
async fn small_study_errors_name_the_option() {
    let r = app(AppState::in_memory());
    let bias = |spec: Value, options: Value| json!({"csv": BCG, "spec": spec, "options": options});
    post_json(
        &r,
        "/v1/bias",
        bias(json!({"measure": "RR"}), json!({"estimator": "X0"})),
    )
    .await
    .error_at(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
        Some("options.estimator"),
    );
    let m = post_json(
        &r,
        "/v1/bias",
        bias(json!({"measure": "RR", "mods": ["ablat"]}), json!({})),
    )
    .await
    .error_at(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_option",
        Some("spec.mods"),
    );
    assert!(m.contains("leave out mods"), "{m}");
    post_json(&r, "/v1/bias", json!({"spec": {"measure": "RR"}}))
        .await
        .error_at(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            Some("csv"),
        );
}

#[tokio::test]
async fn the_downloads_are_the_clis_csv_figures_and_methods_text() {
    let r = app(AppState::in_memory());
    let (id, result) = stored(&r, BCG, json!({"measure": "RR", "tau2_ci": true})).await;

    let a = get(&r, &format!("/v1/analyses/{id}/result.csv")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.content_type().starts_with("text/csv"));
    assert_eq!(a.text(), rema_data::render::csv(&result));

    let a = get(&r, &format!("/v1/analyses/{id}/methods.txt")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.content_type().starts_with("text/plain"));
    assert_eq!(
        a.text().trim_end(),
        rema_plot::methods_paragraph(&[&result]).join("\n\n")
    );

    let funnel = get(&r, &format!("/v1/analyses/{id}/funnel.svg")).await;
    assert_eq!(funnel.status, StatusCode::OK);
    assert_eq!(funnel.content_type(), "image/svg+xml");
    assert_eq!(
        funnel.text(),
        rema_plot::funnel_svg(&rema_plot::FunnelData::from(&result))
    );

    // PNGs are the SVGs at twice their size.
    for (svg, png) in [("forest.svg", "forest.png"), ("funnel.svg", "funnel.png")] {
        let svg = get(&r, &format!("/v1/analyses/{id}/{svg}")).await;
        let png = get(&r, &format!("/v1/analyses/{id}/{png}")).await;
        assert_eq!(png.status, StatusCode::OK);
        assert_eq!(png.content_type(), "image/png");
        let (w, h) = png_size(&png.body);
        assert_eq!(f64::from(w), (2.0 * svg_width(&svg.text())).ceil());
        assert!(h > 100, "{h}");
    }

    for path in [
        "result.csv",
        "methods.txt",
        "funnel.svg",
        "funnel.png",
        "forest.png",
    ] {
        get(&r, &format!("/v1/analyses/nope/{path}"))
            .await
            .error_at(StatusCode::NOT_FOUND, "not_found", None);
    }
}

#[tokio::test]
async fn a_meta_regression_has_no_funnel_plot_and_says_why() {
    let r = app(AppState::in_memory());
    let (id, _) = stored(&r, BCG, json!({"measure": "RR", "mods": ["ablat"]})).await;
    for path in ["funnel.svg", "funnel.png"] {
        let m = get(&r, &format!("/v1/analyses/{id}/{path}"))
            .await
            .error_at(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                Some("spec.mods"),
            );
        assert!(m.contains("without mods"), "{m}");
    }
}

#[tokio::test]
async fn without_a_renderer_the_forest_png_is_404_plots_unavailable() {
    let mut state = AppState::in_memory();
    state.forest = None;
    let r = app(state);
    let (id, _) = stored(&r, BCG, json!({"measure": "RR"})).await;
    get(&r, &format!("/v1/analyses/{id}/forest.png"))
        .await
        .error_at(StatusCode::NOT_FOUND, "plots_unavailable", None);
}

#[tokio::test]
async fn the_openapi_document_lists_the_pages_routes() {
    let doc = get(&app(AppState::in_memory()), "/openapi.json")
        .await
        .json();
    for (path, method) in [
        ("/v1/tables", "post"),
        ("/v1/bias", "post"),
        ("/v1/analyses/{id}/forest.png", "get"),
        ("/v1/analyses/{id}/funnel.svg", "get"),
        ("/v1/analyses/{id}/funnel.png", "get"),
        ("/v1/analyses/{id}/result.csv", "get"),
        ("/v1/analyses/{id}/methods.txt", "get"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} missing");
        assert!(op["security"].is_array(), "{path} needs the token");
    }
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["TableColumns"]["properties"]
        .get("columns")
        .is_some());
    assert!(schemas["BiasRequest"]["properties"]
        .get("options")
        .is_some());
    assert!(schemas["BiasResult"]["properties"].get("egger").is_some());
}
