//! The audit log: one row per request to `/v1`: who (the token's id and name,
//! or none), from where (the client's address), what (method, route, the
//! analysis id), when, and the outcome (the status and a word for it).
//! Refused requests are logged too: a missing or wrong token is a row with
//! no token and outcome `unauthorized`.

use rusqlite::params;

use super::{now, Store};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    token_id    TEXT,
    token_name  TEXT,
    project     TEXT,
    address     TEXT,
    method      TEXT NOT NULL,
    route       TEXT NOT NULL,
    analysis_id TEXT,
    status      INTEGER NOT NULL,
    outcome     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_project ON audit_log (project, seq);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
";

/// A request to record.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEvent {
    /// The token's id, or `None` (open mode, or not authenticated).
    pub token_id: Option<String>,
    /// The token's name, `open` in open mode, or `None`.
    pub token_name: Option<String>,
    /// The project the request acted in, or `None` when not authenticated.
    pub project: Option<String>,
    /// The client's IP address, when known.
    pub address: Option<String>,
    pub method: String,
    /// The path of the request (at most 200 characters).
    pub route: String,
    /// The analysis read, created or deleted, if any.
    pub analysis_id: Option<String>,
    pub status: u16,
    /// `ok`, `unauthorized`, `rate_limited`, `not_found`, `refused` (another
    /// 4xx) or `failed` (5xx).
    pub outcome: String,
}

/// A recorded request, as `GET /v1/audit-log` and `rema-server audit-log`
/// show it: when, and the request (flattened into the same object).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// When the answer was sent (UTC, RFC 3339).
    pub at: String,
    #[serde(flatten)]
    pub event: AuditEvent,
}

impl Store {
    /// Appends a request to the audit log.
    pub fn record(&self, e: &AuditEvent) -> rusqlite::Result<()> {
        let conn = self.lock();
        let at = now(&conn)?;
        let route: String = e.route.chars().take(200).collect();
        conn.execute(
            "INSERT INTO audit_log (at, token_id, token_name, project, address, method, route,
                 analysis_id, status, outcome)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                at,
                e.token_id,
                e.token_name,
                e.project,
                e.address,
                e.method,
                route,
                e.analysis_id,
                e.status,
                e.outcome
            ],
        )?;
        Ok(())
    }

    /// The newest entries first, of one project or (`None`) of all, `limit`
    /// from `offset`, and their total count.
    pub fn audit_log(
        &self,
        project: Option<&str>,
        limit: u32,
        offset: u64,
    ) -> rusqlite::Result<(Vec<AuditEntry>, u64)> {
        let conn = self.lock();
        let filter = "WHERE (?1 IS NULL OR project = ?1)";
        let total: i64 = conn.query_row(
            &format!("SELECT COUNT(*) FROM audit_log {filter}"),
            [project],
            |r| r.get(0),
        )?;
        let mut stmt = conn.prepare(&format!(
            "SELECT at, token_id, token_name, project, address, method, route, analysis_id,
                    status, outcome
             FROM audit_log {filter} ORDER BY seq DESC LIMIT ?2 OFFSET ?3"
        ))?;
        let rows = stmt.query_map(params![project, limit as i64, offset as i64], |r| {
            Ok(AuditEntry {
                at: r.get(0)?,
                event: AuditEvent {
                    token_id: r.get(1)?,
                    token_name: r.get(2)?,
                    project: r.get(3)?,
                    address: r.get(4)?,
                    method: r.get(5)?,
                    route: r.get(6)?,
                    analysis_id: r.get(7)?,
                    status: r.get(8)?,
                    outcome: r.get(9)?,
                },
            })
        })?;
        Ok((rows.collect::<rusqlite::Result<_>>()?, total as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_listed_newest_first_per_project() {
        let s = Store::in_memory().unwrap();
        let event = |project: &str, status: u16| AuditEvent {
            project: Some(project.to_string()),
            method: "GET".into(),
            route: "/v1/analyses".into(),
            status,
            outcome: "ok".into(),
            ..AuditEvent::default()
        };
        s.record(&event("a", 200)).unwrap();
        s.record(&event("b", 201)).unwrap();
        s.record(&event("a", 404)).unwrap();
        let (a, total) = s.audit_log(Some("a"), 10, 0).unwrap();
        assert_eq!(total, 2);
        assert_eq!(a[0].event.status, 404, "newest first");
        let (all, total) = s.audit_log(None, 1, 0).unwrap();
        assert_eq!((all.len(), total), (1, 3));
    }
}
