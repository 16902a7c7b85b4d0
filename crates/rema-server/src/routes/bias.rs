//! `POST /v1/bias`: the small-study tests of one table, as `rema bias`
//! (Egger's regression test, Begg's rank correlation, trim and fill,
//! PET-PEESE, the fail-safe N, the test of excess significance and, when
//! asked for, a selection model): [`rema_data::bias_with`] on the same
//! [`AnalysisSpec`](rema_data::AnalysisSpec) and [`BiasOptions`] the CLI
//! builds from its flags. The answer is computed, not stored.

use axum::extract::State;
use axum::Json;
use rema_data::bias::{bias_with, BiasOptions, BiasResult};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{AppError, ErrorBody};
use crate::extract::{json_error, parse_json, JsonBody};
use crate::routes::analyses::{check_request, AnalysisRequest, ParsedRequest};
use crate::rows::JsonRow;
use crate::{run_compute, AppState, Limits};

/// The body of `POST /v1/bias`: the studies and spec as for
/// `POST /v1/analyses`, and the options of the methods.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BiasRequest {
    /// The studies as CSV text (as `POST /v1/analyses`).
    #[serde(default)]
    pub csv: Option<String>,
    /// The studies as JSON objects (as `POST /v1/analyses`).
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub rows: Option<Vec<JsonRow>>,
    /// The model the methods refit (measure, method, test, level, ...): the
    /// options of `rema analyze`; the methods take no moderators.
    #[schema(value_type = rema_data::AnalysisSpec)]
    pub spec: Value,
    /// The options of the methods, named after metafor's arguments
    /// (`predictor`, `estimator`, `selmodel`, ...); `{}` or absent:
    /// metafor's defaults.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub options: Option<Value>,
    /// Names the input in messages and provenance.
    #[serde(default)]
    pub name: Option<String>,
}

/// A `POST /v1/bias` body checked, before any computation.
#[derive(Debug)]
pub struct ParsedBias {
    pub request: ParsedRequest,
    pub options: BiasOptions,
}

/// Parses the body of `POST /v1/bias` without I/O: JSON syntax (400), the
/// shape, the studies and spec as `POST /v1/analyses` checks them, and the
/// options (422 naming `options.<name>`). The fuzz target `server_request`
/// feeds it any bytes.
pub fn parse_bias_request(bytes: &[u8], limits: &Limits) -> Result<ParsedBias, AppError> {
    check_bias_request(parse_json(bytes)?, limits)
}

fn check_bias_request(req: BiasRequest, limits: &Limits) -> Result<ParsedBias, AppError> {
    let options = match req.options {
        None => BiasOptions::default(),
        Some(v) if v.is_object() => serde_path_to_error::deserialize(&v).map_err(|e| {
            let path = e.path().to_string();
            json_error(&path, "options", e.into_inner())
        })?,
        Some(_) => {
            return Err(AppError::InvalidRequest {
                field: Some("options".to_string()),
                message: "`options` must be an object such as {\"estimator\": \"R0\"}".to_string(),
            })
        }
    };
    let request = check_request(
        AnalysisRequest {
            csv: req.csv,
            rows: req.rows,
            spec: req.spec,
            name: req.name,
        },
        limits,
    )?;
    Ok(ParsedBias { request, options })
}

/// Run the small-study tests of one table (not stored).
#[utoipa::path(
    post,
    path = "/v1/bias",
    request_body = BiasRequest,
    responses(
        (status = 200, description = "the JSON of `rema bias --format json`", body = BiasResult),
        (status = 400, description = "the body is not JSON", body = ErrorBody),
        (status = 413, description = "the body is over the cap", body = ErrorBody),
        (status = 422, description = "wrong shape, bad data or options (the field names which)", body = ErrorBody),
        (status = 503, description = "overloaded, busy or past the compute timeout", body = ErrorBody),
    )
)]
pub async fn run_bias(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<BiasRequest>,
) -> Result<Json<BiasResult>, AppError> {
    let parsed = check_bias_request(req, &state.limits)?;
    let max_studies = state.limits.max_studies;
    let result = run_compute(&state, move || -> Result<BiasResult, AppError> {
        let p = &parsed.request;
        let (table, _, sha) = p.table(max_studies)?;
        bias_with(&table, &p.spec, &parsed.options, &sha).map_err(|e| p.kind.data_error(e))
    })
    .await??;
    Ok(Json(result))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_options_are_parsed_and_a_bad_one_is_named() {
        let limits = Limits::default();
        let body = |options: &str| {
            format!(r#"{{"csv": "study,yi,vi\nA,1,1\n", "spec": {{"measure": "GEN"}}{options}}}"#)
        };
        let p = parse_bias_request(body("").as_bytes(), &limits).unwrap();
        assert_eq!(p.options, BiasOptions::default());
        let p = parse_bias_request(
            body(r#", "options": {"estimator": "R0"}"#).as_bytes(),
            &limits,
        )
        .unwrap();
        assert_eq!(p.options.estimator.name(), "R0");
        for (options, field) in [
            (r#", "options": {"estimator": "X0"}"#, "options.estimator"),
            (r#", "options": {"predicter": "sei"}"#, "options.predicter"),
            (r#", "options": 3"#, "options"),
        ] {
            match parse_bias_request(body(options).as_bytes(), &limits) {
                Err(AppError::InvalidRequest { field: Some(f), .. }) => {
                    assert_eq!(f, field, "{options}")
                }
                other => panic!("{options}: {other:?}"),
            }
        }
    }
}
