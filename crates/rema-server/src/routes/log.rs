//! `GET /v1/audit-log`: the audit log of the caller's project, newest first:
//! who (token), from where, what (method, route, analysis), when, outcome.
//! Requests refused before a token was verified belong to no project; the
//! operator reads them with `rema-server audit-log`.

use axum::extract::{RawQuery, State};
use axum::{Extension, Json};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, ErrorBody};
use crate::routes::analyses::{page, PageQuery};
use crate::store::AuditEntry;
use crate::{AppState, Caller};

/// One page of `GET /v1/audit-log`, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLogPage {
    pub items: Vec<AuditEntry>,
    pub limit: u32,
    pub offset: u64,
    /// Entries of the project.
    pub total: u64,
    /// The `offset` of the next page, or null on the last page.
    pub next_offset: Option<u64>,
}

/// The requests made in the caller's project: `?limit=20&offset=0`.
#[utoipa::path(
    get,
    path = "/v1/audit-log",
    params(PageQuery),
    responses(
        (status = 200, body = AuditLogPage),
        (status = 400, description = "bad limit or offset", body = ErrorBody),
    )
)]
pub async fn audit_log(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Json<AuditLogPage>, AppError> {
    let project = caller.project;
    let p = page(&state, query, move |s, limit, offset| {
        s.audit_log(Some(&project), limit, offset)
    })
    .await?;
    Ok(Json(AuditLogPage {
        items: p.items,
        limit: p.limit,
        offset: p.offset,
        total: p.total,
        next_offset: p.next_offset,
    }))
}
