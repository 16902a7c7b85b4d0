//! `/v1/analyses`: create (`POST`), list, fetch and delete.
//!
//! Every handler acts in the caller's project ([`Caller`], set by the
//! authentication middleware): an analysis of another project is 404, as an
//! unknown id.
//!
//! `POST /v1/analyses` runs [`rema_data::analyze_with`] with the same
//! [`AnalysisSpec`] the CLI builds from its flags, and answers the result
//! serialised from the same [`rema_data::AnalysisResult`], so `result` is the
//! JSON of `rema analyze --format json` for the same input.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use axum::Json;
use rema_core::resample::Hooks;
use rema_data::spec::Permutations;
use rema_data::{analyze_with, sha256_hex, AnalysisResult, AnalysisSpec, Table};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{AppError, ErrorBody, InputKind};
use crate::extract::{json_error, parse_json, JsonBody};
use crate::rows::{rows_to_table, JsonRow};
pub use crate::store::AnalysisSummary;
use crate::store::{Inserted, NewAnalysis};
use crate::{created, run_cancellable, run_store, AppState, Caller, Limits};

/// The body of `POST /v1/analyses`: exactly one of `csv` and `rows`, and a spec.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalysisRequest {
    /// The studies as CSV text with a header of metafor's column names (as
    /// the CLI reads a file: comma, semicolon or tab separated).
    #[serde(default)]
    pub csv: Option<String>,
    /// The studies as JSON objects, one per study, keyed by column name.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub rows: Option<Vec<JsonRow>>,
    /// The options of the analysis, as `rema analyze`'s flags.
    #[schema(value_type = AnalysisSpec)]
    pub spec: Value,
    /// Names the input in error messages and in `result.provenance.input`
    /// (default `csv` or `rows`); e.g. the file name.
    #[serde(default)]
    pub name: Option<String>,
}

/// The answer of `POST /v1/analyses` (201).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedAnalysis {
    /// The id to fetch it again at `/v1/analyses/{id}`.
    pub id: String,
    /// The result: the JSON of `rema analyze --format json` (docs/SCHEMA.md).
    #[schema(value_type = AnalysisResult)]
    pub result: Box<RawValue>,
    /// When it was stored (UTC, RFC 3339).
    pub created_at: String,
}

/// A stored analysis: everything needed to recompute it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredAnalysisBody {
    pub id: String,
    pub created_at: String,
    /// The version of rema that computed it.
    pub version: String,
    /// The seed of resampling, when the spec had one.
    pub seed: Option<u64>,
    pub input: StoredInput,
    /// The options as parsed, defaults filled in.
    #[schema(value_type = AnalysisSpec)]
    pub options: Box<RawValue>,
    #[schema(value_type = AnalysisResult)]
    pub result: Box<RawValue>,
}

/// The input of a stored analysis, as it was sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoredInput {
    /// `csv` or `rows`.
    pub kind: String,
    pub name: String,
    /// SHA-256 of the CSV text, or of the rows as compact JSON.
    pub sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csv: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub rows: Option<Box<RawValue>>,
}

/// One page of `GET /v1/analyses`, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalysisList {
    pub items: Vec<AnalysisSummary>,
    pub limit: u32,
    pub offset: u64,
    /// Number of stored analyses.
    pub total: u64,
    /// The `offset` of the next page, or null on the last page.
    pub next_offset: Option<u64>,
}

/// The default and largest page of `GET /v1/analyses`.
pub const DEFAULT_PAGE: u32 = 20;
pub const MAX_PAGE: u32 = 100;

/// Checks the spec's resampling counts against the caps of `limits`.
/// `permutations = "exact"` is bounded by rema-core's largest enumeration
/// and by the compute deadline, which stops the run.
fn check_resampling_caps(spec: &AnalysisSpec, limits: &Limits) -> Result<(), AppError> {
    let counts = [
        (
            "permutations",
            match spec.permutations {
                Some(Permutations::Random(n)) => Some(n),
                _ => None,
            },
            limits.max_permutations,
        ),
        ("tau2_test", spec.tau2_test, limits.max_permutations),
        ("bootstrap", spec.bootstrap, limits.max_bootstrap),
    ];
    for (key, n, cap) in counts {
        if let Some(n) = n.filter(|n| *n > cap) {
            return Err(AppError::LimitExceeded {
                message: format!(
                    "spec.{key} = {n} is above this server's cap of {cap}; ask for at most {cap}"
                ),
                field: format!("spec.{key}"),
            });
        }
    }
    Ok(())
}

/// Run an analysis and store it.
#[utoipa::path(
    post,
    path = "/v1/analyses",
    request_body = AnalysisRequest,
    responses(
        (status = 201, description = "computed and stored", body = CreatedAnalysis),
        (status = 400, description = "the body is not JSON", body = ErrorBody),
        (status = 409, description = "the project holds the most analyses the server keeps (`project_full`)", body = ErrorBody),
        (status = 413, description = "the body is over the cap", body = ErrorBody),
        (status = 422, description = "wrong shape, bad data or options, or over a cap", body = ErrorBody),
        (status = 503, description = "overloaded, busy or past the compute timeout", body = ErrorBody),
    )
)]
pub async fn create_analysis(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(req): JsonBody<AnalysisRequest>,
) -> Result<Response, AppError> {
    let parsed = check_request(req, &state.limits)?;
    let max_studies = state.limits.max_studies;
    let computed = run_cancellable(&state, move |cancel| -> Result<NewAnalysis, AppError> {
        let (table, input, sha) = parsed.table(max_studies)?;
        let hooks = Hooks {
            progress: None,
            cancel: Some(cancel),
        };
        let result = analyze_with(&table, &parsed.spec, &sha, &hooks)
            .map_err(|e| parsed.kind.data_error(e))?;
        Ok(NewAnalysis {
            input_kind: parsed.kind.name().to_string(),
            input,
            input_sha256: sha,
            input_name: parsed.name,
            options: serde_json::to_string(&parsed.spec).map_err(AppError::internal)?,
            seed: parsed.seed,
            version: rema_data::VERSION.to_string(),
            measure: result.measure.clone(),
            method: result.method.clone(),
            k: result.k,
            result: serde_json::to_string(&result).map_err(AppError::internal)?,
        })
    })
    .await??;

    let stored = computed.clone();
    let cap = Some(state.limits.max_analyses_per_project).filter(|c| *c > 0);
    let project = caller.project.clone();
    let (id, created_at) =
        match run_store(&state, move |s| s.insert(&project, &stored, cap)).await? {
            Inserted::Stored { id, created_at } => (id, created_at),
            Inserted::ProjectFull { count } => {
                return Err(AppError::ProjectFull {
                    project: caller.project,
                    cap: count,
                })
            }
        };
    tracing::info!(%id, project = %caller.project, measure = %computed.measure, k = computed.k, "analysis stored");
    let result = RawValue::from_string(computed.result).map_err(AppError::internal)?;
    Ok(created(
        format!("/v1/analyses/{id}"),
        CreatedAnalysis {
            id,
            result,
            created_at,
        },
    ))
}

/// A `POST /v1/analyses` body checked and its spec parsed, before any
/// computation: what [`parse_request`] returns.
#[derive(Debug)]
pub struct ParsedRequest {
    pub kind: InputKind,
    /// The name of the input in messages and provenance.
    pub name: String,
    pub csv: Option<String>,
    pub rows: Option<Vec<JsonRow>>,
    pub spec: AnalysisSpec,
    pub seed: Option<u64>,
}

/// Parses the body of `POST /v1/analyses` as the route does, without I/O:
/// JSON syntax (400), shape, exactly one of `csv`/`rows`, the spec, and the
/// caps of `limits` (422). The fuzz target `server_request` feeds it any bytes.
pub fn parse_request(bytes: &[u8], limits: &Limits) -> Result<ParsedRequest, AppError> {
    check_request(parse_json(bytes)?, limits)
}

pub(crate) fn check_request(
    req: AnalysisRequest,
    limits: &Limits,
) -> Result<ParsedRequest, AppError> {
    let (kind, name) =
        match (&req.csv, &req.rows) {
            (Some(_), None) => (InputKind::Csv, req.name.clone().unwrap_or("csv".into())),
            (None, Some(_)) => (InputKind::Rows, req.name.clone().unwrap_or("rows".into())),
            (Some(_), Some(_)) => {
                return Err(AppError::InvalidRequest {
                    field: Some("rows".to_string()),
                    message: "send the studies as `csv` or as `rows`, not both".to_string(),
                })
            }
            (None, None) => return Err(AppError::InvalidRequest {
                field: Some("csv".to_string()),
                message:
                    "the studies are missing: send `csv` (CSV text) or `rows` (an array of objects)"
                        .to_string(),
            }),
        };
    if !req.spec.is_object() {
        return Err(AppError::InvalidRequest {
            field: Some("spec".to_string()),
            message: "`spec` must be an object such as {\"measure\": \"RR\", \"method\": \"REML\"}"
                .to_string(),
        });
    }
    let spec: AnalysisSpec = serde_path_to_error::deserialize(&req.spec).map_err(|e| {
        let path = e.path().to_string();
        json_error(&path, "spec", e.into_inner())
    })?;
    check_resampling_caps(&spec, limits)?;
    let seed = spec.seed;
    if let Some(rows) = &req.rows {
        check_k(rows.len(), kind, limits)?;
    }
    Ok(ParsedRequest {
        kind,
        name,
        csv: req.csv,
        rows: req.rows,
        spec,
        seed,
    })
}

impl ParsedRequest {
    /// The studies as a table, the input as stored (CSV text or compact JSON
    /// rows) and its SHA-256; at most `max_studies` studies (422 above).
    pub fn table(&self, max_studies: usize) -> Result<(Table, String, String), AppError> {
        let (table, input, sha) = match (&self.csv, &self.rows) {
            (Some(csv), _) => {
                let table =
                    Table::from_str(csv, &self.name).map_err(|e| InputKind::Csv.data_error(e))?;
                (table, csv.clone(), sha256_hex(csv.as_bytes()))
            }
            (None, Some(rows)) => {
                let table = rows_to_table(rows, &self.name)?;
                let json = serde_json::to_string(rows).map_err(AppError::internal)?;
                let sha = sha256_hex(json.as_bytes());
                (table, json, sha)
            }
            (None, None) => return Err(AppError::internal("a parsed request without studies")),
        };
        if table.rows.len() > max_studies {
            return Err(k_error(table.rows.len(), self.kind, max_studies));
        }
        Ok((table, input, sha))
    }
}

fn check_k(k: usize, kind: InputKind, limits: &Limits) -> Result<(), AppError> {
    if k > limits.max_studies {
        Err(k_error(k, kind, limits.max_studies))
    } else {
        Ok(())
    }
}

fn k_error(k: usize, kind: InputKind, cap: usize) -> AppError {
    AppError::LimitExceeded {
        field: kind.name().to_string(),
        message: format!("{k} studies is above this server's cap of {cap} studies per analysis"),
    }
}

/// Fetch a stored analysis: input, options, seed, version and result.
#[utoipa::path(
    get,
    path = "/v1/analyses/{id}",
    params(("id" = String, Path, description = "the id answered by POST /v1/analyses")),
    responses(
        (status = 200, body = StoredAnalysisBody),
        (status = 404, description = "no such analysis", body = ErrorBody),
    )
)]
pub async fn get_analysis(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<StoredAnalysisBody>, AppError> {
    let a = fetch(&state, &caller, id).await?;
    let n = a.new;
    let raw = |s: String| RawValue::from_string(s).map_err(AppError::internal);
    let (csv, rows) = if n.input_kind == "rows" {
        (None, Some(raw(n.input)?))
    } else {
        (Some(n.input), None)
    };
    Ok(Json(StoredAnalysisBody {
        id: a.id,
        created_at: a.created_at,
        version: n.version,
        seed: n.seed,
        input: StoredInput {
            kind: n.input_kind,
            name: n.input_name,
            sha256: n.input_sha256,
            csv,
            rows,
        },
        options: raw(n.options)?,
        result: raw(n.result)?,
    }))
}

async fn fetch(
    state: &AppState,
    caller: &Caller,
    id: String,
) -> Result<crate::store::StoredAnalysis, AppError> {
    let key = id.clone();
    let project = caller.project.clone();
    run_store(state, move |s| s.get(&project, &key))
        .await?
        .ok_or_else(|| unknown(&id))
}

/// The answer for an id the caller's project does not hold, whether or not
/// another project does.
fn unknown(id: &str) -> AppError {
    AppError::NotFound {
        message: format!("no analysis with id `{id}`"),
    }
}

/// The result of a stored analysis, read back into the shared result type.
pub(crate) async fn fetch_result(
    state: &AppState,
    caller: &Caller,
    id: String,
) -> Result<AnalysisResult, AppError> {
    let a = fetch(state, caller, id).await?;
    serde_json::from_str(&a.new.result).map_err(AppError::internal)
}

/// List stored analyses, newest first: `?limit=20&offset=0`.
#[utoipa::path(
    get,
    path = "/v1/analyses",
    params(PageQuery),
    responses(
        (status = 200, body = AnalysisList),
        (status = 400, description = "bad limit or offset", body = ErrorBody),
    )
)]
pub async fn list_analyses(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Json<AnalysisList>, AppError> {
    let project = caller.project;
    let p = page(&state, query, move |s, limit, offset| {
        s.list(&project, limit, offset)
    })
    .await?;
    Ok(Json(AnalysisList {
        items: p.items,
        limit: p.limit,
        offset: p.offset,
        total: p.total,
        next_offset: p.next_offset,
    }))
}

/// The query of a listing (`GET /v1/analyses`, `GET /v1/audit-log`), read
/// by hand so that a bad value is a 400 naming it; this type documents it.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageQuery {
    /// Page size, 1 to 100 (default 20).
    limit: Option<u32>,
    /// Items to skip (default 0).
    offset: Option<u64>,
}

/// One page of a listing, before it becomes its route's answer type.
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub limit: u32,
    pub offset: u64,
    pub total: u64,
    pub next_offset: Option<u64>,
}

/// Reads `?limit=&offset=` (400 when bad) and asks the store for that page
/// (`list` answers the items and the total).
pub(crate) async fn page<T, F>(
    state: &AppState,
    query: Option<String>,
    list: F,
) -> Result<Page<T>, AppError>
where
    T: Send + 'static,
    F: FnOnce(&crate::Store, u32, u64) -> rusqlite::Result<(Vec<T>, u64)> + Send + 'static,
{
    let (limit, offset) = parse_page(query.as_deref().unwrap_or(""))?;
    let (items, total) = run_store(state, move |s| list(s, limit, offset)).await?;
    let next = offset + items.len() as u64;
    Ok(Page {
        items,
        limit,
        offset,
        total,
        next_offset: (next < total).then_some(next),
    })
}

/// Delete a stored analysis of the caller's project.
#[utoipa::path(
    delete,
    path = "/v1/analyses/{id}",
    params(("id" = String, Path, description = "the id of the analysis")),
    responses(
        (status = 204, description = "deleted"),
        (status = 404, description = "no such analysis in this project", body = ErrorBody),
    )
)]
pub async fn delete_analysis(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let (key, project) = (id.clone(), caller.project.clone());
    if run_store(&state, move |s| s.delete(&project, &key)).await? {
        tracing::info!(%id, project = %caller.project, "analysis deleted");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(unknown(&id))
    }
}

fn parse_page(query: &str) -> Result<(u32, u64), AppError> {
    let mut limit = DEFAULT_PAGE;
    let mut offset = 0u64;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let bad = |what: &str| AppError::InvalidQuery {
            message: format!("`{k}={v}`: {what}"),
        };
        match k {
            "limit" => {
                limit = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE).contains(n))
                    .ok_or_else(|| {
                        bad(&format!(
                            "limit must be a whole number from 1 to {MAX_PAGE}"
                        ))
                    })?
            }
            "offset" => {
                offset = v
                    .parse()
                    .ok()
                    .filter(|n| *n <= i64::MAX as u64)
                    .ok_or_else(|| bad("offset must be a whole number >= 0"))?
            }
            _ => return Err(bad("unknown parameter; use limit and offset")),
        }
    }
    Ok((limit, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_parameters_are_checked_and_named() {
        assert_eq!(parse_page("").unwrap(), (DEFAULT_PAGE, 0));
        assert_eq!(parse_page("limit=5&offset=10").unwrap(), (5, 10));
        for bad in ["limit=0", "limit=101", "limit=x", "offset=-1", "page=2"] {
            match parse_page(bad) {
                Err(AppError::InvalidQuery { message }) => {
                    assert!(
                        message.contains(bad.split('=').next().unwrap()),
                        "{message}"
                    )
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_seed_and_the_caps_are_read_from_the_typed_spec() {
        let limits = Limits {
            max_permutations: 100,
            ..Limits::default()
        };
        let req = |spec: &str| format!(r#"{{"csv": "study,yi,vi\nA,1,1\n", "spec": {spec}}}"#);
        let p = parse_request(
            req(r#"{"measure": "GEN", "seed": 42, "permutations": 50}"#).as_bytes(),
            &limits,
        )
        .unwrap();
        assert_eq!(p.seed, Some(42));
        assert_eq!(p.spec.permutations, Some(Permutations::Random(50)));
        let p = parse_request(
            req(r#"{"measure": "GEN", "permutations": "exact"}"#).as_bytes(),
            &limits,
        )
        .unwrap();
        assert_eq!(p.seed, None);
        for over in [r#""101""#, "101"] {
            let body = req(&format!(r#"{{"measure": "GEN", "permutations": {over}}}"#));
            match parse_request(body.as_bytes(), &limits) {
                Err(AppError::LimitExceeded { field, .. }) => {
                    assert_eq!(field, "spec.permutations")
                }
                other => panic!("{over}: {other:?}"),
            }
        }
        let body = req(r#"{"measure": "GEN", "tau2_test": 101}"#);
        match parse_request(body.as_bytes(), &limits) {
            Err(AppError::LimitExceeded { field, .. }) => assert_eq!(field, "spec.tau2_test"),
            other => panic!("{other:?}"),
        }
        match parse_request(req(r#"{"measure": "GEN", "seed": -1}"#).as_bytes(), &limits) {
            Err(AppError::Data { field, .. }) => assert_eq!(field.as_deref(), Some("spec.seed")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn json_errors_name_the_path_of_the_field() {
        let e = parse_json::<AnalysisRequest>(br#"{"csv": 3, "spec": {}}"#).unwrap_err();
        assert!(
            matches!(&e, AppError::InvalidRequest { field: Some(f), .. } if f == "csv"),
            "{e:?}"
        );
        let e = parse_json::<AnalysisRequest>(br#"{"csv": "x"}"#).unwrap_err();
        assert!(
            matches!(&e, AppError::InvalidRequest { field: Some(f), .. } if f == "spec"),
            "{e:?}"
        );
        let e = parse_json::<AnalysisRequest>(br#"{"csv": "x", "#).unwrap_err();
        assert!(matches!(e, AppError::InvalidJson { .. }), "{e:?}");
    }
}
