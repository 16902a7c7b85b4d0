//! Every error the server answers, and the one place that turns it into HTTP.
//!
//! The body is always `{"error": {"code", "message", "field"}}`. Bad input is
//! a 4xx naming the field, row or column; limits are 413, 422 or 503; only a
//! fault of the server itself is a 5xx, and its details go to the log, never
//! to the client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rema_data::{DataError, Location};
use serde::Serialize;
use utoipa::ToSchema;

/// The JSON body of every error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong and where.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_json`, `invalid_data`.
    pub code: String,
    /// What is wrong and what would fix it.
    pub message: String,
    /// The field, row or column concerned (`spec.level`, `rows[2].ai`,
    /// `csv, line 4, column \`ai\``), or null.
    pub field: Option<String>,
}

/// Everything a request can fail with.
#[derive(Debug)]
pub enum AppError {
    /// The body is not JSON (400 `invalid_json`).
    InvalidJson { message: String },
    /// JSON of the wrong shape or type (422 `invalid_request`).
    InvalidRequest {
        field: Option<String>,
        message: String,
    },
    /// The query string is malformed (400 `invalid_query`).
    InvalidQuery { message: String },
    /// The data or the options are invalid (422 `invalid_data`,
    /// `invalid_option` or `analysis_failed`).
    Data {
        code: &'static str,
        field: Option<String>,
        message: String,
    },
    /// The body is larger than the configured cap (413 `body_too_large`).
    BodyTooLarge { limit: usize },
    /// The body did not arrive within the body timeout (408 `body_timeout`).
    BodyTimeout { seconds: f64 },
    /// A configured cap on k or on resampling was exceeded (422 `limit_exceeded`).
    LimitExceeded { field: String, message: String },
    /// No `Authorization: Bearer` token where one is needed, or one that is
    /// not valid (401 `unauthorized`, with `WWW-Authenticate`).
    Unauthorized { presented: bool },
    /// The token sent more requests than its rate allows (429
    /// `rate_limited`, with `Retry-After`).
    RateLimited { seconds: u64 },
    /// Too many failed authentications from the client's address (429
    /// `too_many_failures`, with `Retry-After`).
    TooManyFailures { seconds: u64 },
    /// The project holds as many analyses as the server allows (409
    /// `project_full`).
    ProjectFull { project: String, cap: u64 },
    /// No such analysis or route (404 `not_found`).
    NotFound { message: String },
    /// The method is not allowed on this route (405 `method_not_allowed`).
    MethodNotAllowed,
    /// This build cannot draw plots (404 `plots_unavailable`).
    PlotsUnavailable,
    /// Too many requests in flight (503 `overloaded`).
    Overloaded,
    /// No compute worker became free before the deadline (503 `busy`).
    Busy { seconds: f64 },
    /// The computation ran past the deadline (503 `timeout`).
    Timeout { seconds: f64 },
    /// A fault of the server; the detail is logged, not sent (500 `internal`).
    Internal { detail: String },
}

impl AppError {
    pub fn internal(detail: impl std::fmt::Display) -> AppError {
        AppError::Internal {
            detail: detail.to_string(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::InvalidJson { .. } | AppError::InvalidQuery { .. } => StatusCode::BAD_REQUEST,
            AppError::InvalidRequest { .. }
            | AppError::Data { .. }
            | AppError::LimitExceeded { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            AppError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            AppError::RateLimited { .. } | AppError::TooManyFailures { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::ProjectFull { .. } => StatusCode::CONFLICT,
            AppError::NotFound { .. } | AppError::PlotsUnavailable => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Overloaded | AppError::Busy { .. } | AppError::Timeout { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn detail(&self) -> ErrorDetail {
        let (code, message, field) = match self {
            AppError::InvalidJson { message } => ("invalid_json", message.clone(), None),
            AppError::InvalidRequest { field, message } => {
                ("invalid_request", message.clone(), field.clone())
            }
            AppError::InvalidQuery { message } => ("invalid_query", message.clone(), None),
            AppError::Data {
                code,
                field,
                message,
            } => (*code, message.clone(), field.clone()),
            AppError::BodyTooLarge { limit } => (
                "body_too_large",
                format!("the request body is larger than the limit of {limit} bytes; send fewer studies or ask the operator to raise REMA_MAX_BODY_BYTES"),
                None,
            ),
            AppError::BodyTimeout { seconds } => (
                "body_timeout",
                format!("the request body did not arrive within {seconds} s; send it at once, or ask the operator to raise REMA_BODY_TIMEOUT_SECS"),
                None,
            ),
            AppError::LimitExceeded { field, message } => {
                ("limit_exceeded", message.clone(), Some(field.clone()))
            }
            AppError::Unauthorized { presented: false } => (
                "unauthorized",
                "this route needs a token: send `Authorization: Bearer <token>`; the operator creates tokens with `rema-server token create`".to_string(),
                None,
            ),
            AppError::Unauthorized { presented: true } => (
                "unauthorized",
                "the bearer token is not valid (unknown, revoked or mistyped); send `Authorization: Bearer <token>` with a token from the operator".to_string(),
                None,
            ),
            AppError::RateLimited { seconds } => (
                "rate_limited",
                format!("this token sent more requests than the server allows per minute; retry in {seconds} s"),
                None,
            ),
            AppError::TooManyFailures { seconds } => (
                "too_many_failures",
                format!("too many failed authentications from this address; retry in {seconds} s with a valid token"),
                None,
            ),
            AppError::ProjectFull { project, cap } => (
                "project_full",
                format!("project `{project}` holds {cap} analyses, the most this server keeps per project; delete some (DELETE /v1/analyses/{{id}}) or ask the operator to raise REMA_MAX_ANALYSES_PER_PROJECT"),
                None,
            ),
            AppError::NotFound { message } => ("not_found", message.clone(), None),
            AppError::MethodNotAllowed => (
                "method_not_allowed",
                "this route does not accept that HTTP method; see GET /openapi.json".to_string(),
                None,
            ),
            AppError::PlotsUnavailable => (
                "plots_unavailable",
                "forest plots are not available in this build of rema-server yet; the analysis itself is at GET /v1/analyses/{id}".to_string(),
                None,
            ),
            AppError::Overloaded => (
                "overloaded",
                "the server has too many requests in flight; retry shortly".to_string(),
                None,
            ),
            AppError::Busy { seconds } => (
                "busy",
                format!("no compute worker became free within {seconds} s; retry shortly"),
                None,
            ),
            AppError::Timeout { seconds } => (
                "timeout",
                format!("the analysis did not finish within the compute timeout of {seconds} s; use fewer studies or resampling iterations"),
                None,
            ),
            AppError::Internal { .. } => (
                "internal",
                "internal server error; it has been logged".to_string(),
                None,
            ),
        };
        ErrorDetail {
            code: code.to_string(),
            message,
            field,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let AppError::Internal { detail } = &self {
            tracing::error!(%detail, "internal error");
        } else if status.is_server_error() {
            tracing::warn!(%status, "request refused");
        }
        let mut res = (
            status,
            Json(ErrorBody {
                error: self.detail(),
            }),
        )
            .into_response();
        let extra = match &self {
            AppError::Unauthorized { presented: false } => Some((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"rema\""),
            )),
            AppError::Unauthorized { presented: true } => Some((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"rema\", error=\"invalid_token\""),
            )),
            AppError::RateLimited { seconds } | AppError::TooManyFailures { seconds } => {
                Some((header::RETRY_AFTER, HeaderValue::from(*seconds)))
            }
            _ => None,
        };
        if let Some((name, value)) = extra {
            res.headers_mut().insert(name, value);
        }
        res
    }
}

/// Which part of the request the data came from, to name fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Csv,
    Rows,
}

impl InputKind {
    pub fn name(self) -> &'static str {
        match self {
            InputKind::Csv => "csv",
            InputKind::Rows => "rows",
        }
    }

    /// The field a location names: `rows[i].column` for rows (row `i` is read
    /// as line `i + 2` of a CSV with a header), the location text for CSV.
    fn field(self, at: &Location) -> String {
        match self {
            InputKind::Rows => {
                let mut s = "rows".to_string();
                if let Some(line) = at.line {
                    s.push_str(&format!("[{}]", line.saturating_sub(2)));
                }
                if let Some(c) = &at.column {
                    s.push('.');
                    s.push_str(c);
                }
                s
            }
            InputKind::Csv => {
                let at = Location {
                    file: Some("csv".to_string()),
                    study: None,
                    ..at.clone()
                };
                at.to_string()
            }
        }
    }

    /// Maps a data-layer error to a 422 naming where it is.
    pub fn data_error(self, e: DataError) -> AppError {
        let whole = Some(self.name().to_string());
        let (code, field) = match &e {
            DataError::Option { option, .. } => ("invalid_option", Some(format!("spec.{option}"))),
            // Only `rema compare` raises it; the server does not compare results.
            DataError::NotComparable { .. } => ("invalid_option", whole),
            DataError::Csv { at, .. }
            | DataError::Ragged { at, .. }
            | DataError::NotANumber { at, .. }
            | DataError::NotFinite { at, .. }
            | DataError::Missing { at }
            | DataError::Invalid { at, .. }
            | DataError::AmbiguousColumns { at, .. }
            | DataError::Conversion { at, .. }
            | DataError::UnknownStudy { at, .. }
            | DataError::Judgement { at, .. } => ("invalid_data", Some(self.field(at))),
            DataError::Core { at, .. } => {
                let field = if at.line.is_some() || at.column.is_some() {
                    Some(self.field(at))
                } else {
                    whole
                };
                ("analysis_failed", field)
            }
            // The first missing cell (the message lists them all).
            DataError::MissingValues { cells, .. } => (
                "invalid_data",
                cells.0.first().map(|at| self.field(at)).or(whole),
            ),
            DataError::UnknownModerator { column, .. } => (
                "invalid_data",
                Some(match self {
                    InputKind::Rows => format!("rows[].{column}"),
                    InputKind::Csv => format!("csv, column `{column}`"),
                }),
            ),
            DataError::DuplicateStudy { second, .. } => (
                "invalid_data",
                Some(self.field(&Location {
                    line: Some(*second),
                    column: Some("study".to_string()),
                    ..Location::default()
                })),
            ),
            DataError::NotUtf8 { .. }
            | DataError::Empty { .. }
            | DataError::NoRows { .. }
            | DataError::MissingColumns { .. }
            | DataError::Workbook { .. }
            | DataError::Io { .. }
            | DataError::Plan { .. }
            | DataError::UnknownOutcome { .. }
            | DataError::UnknownPlanColumn { .. } => ("invalid_data", whole),
        };
        AppError::Data {
            code,
            field,
            message: e.to_string(),
        }
    }
}
