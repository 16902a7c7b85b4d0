//! `POST /v1/audit`: a published table checked row by row, as `rema audit`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::error::{AppError, ErrorBody, InputKind};
use crate::extract::JsonBody;
use crate::{run_compute, AppState};

/// The body of `POST /v1/audit`: a published table as CSV text.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditRequest {
    /// The table: columns id, measure, estimate, ci_lower, ci_upper,
    /// p_reported; optionally n, i2, q, df.
    pub csv: String,
    /// Confidence level of the printed intervals, in percent (default 95).
    #[serde(default = "default_audit_level")]
    pub level: f64,
}

fn default_audit_level() -> f64 {
    95.0
}

/// The `rema audit` contract: every row of a published table checked for
/// agreement of its estimate, interval and p-value (the JSON of
/// `rema audit --format json`).
#[utoipa::path(
    post,
    path = "/v1/audit",
    request_body = AuditRequest,
    responses(
        (status = 200, description = "one record per row, as `rema audit --format json`", body = [rema_data::audit::AuditRecord]),
        (status = 422, description = "the table cannot be audited", body = ErrorBody)
    )
)]
pub async fn audit(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<AuditRequest>,
) -> Result<Response, AppError> {
    if !(req.level > 0.0 && req.level < 100.0) {
        return Err(AppError::InvalidRequest {
            field: Some("level".to_string()),
            message: format!(
                "level {} must lie strictly between 0 and 100, e.g. 95",
                req.level
            ),
        });
    }
    let records = run_compute(
        &state,
        move || -> Result<Vec<rema_data::audit::AuditRecord>, AppError> {
            let table = rema_data::Table::from_str(&req.csv, "csv")
                .map_err(|e| InputKind::Csv.data_error(e))?;
            rema_data::audit::audit_table(&table, req.level)
                .map_err(|e| InputKind::Csv.data_error(e))
        },
    )
    .await??;
    Ok(axum::Json(records).into_response())
}
