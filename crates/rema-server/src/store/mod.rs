//! The store of analyses: one SQLite file (rusqlite, bundled), WAL mode.
//!
//! Every analysis is kept with its input, its options, its seed, the tool
//! version and the result exactly as it was answered, so that a figure in a
//! paper can be fetched and recomputed later. A row is committed with
//! `synchronous = FULL` before the server answers 201, so an answered analysis
//! survives a crash (kill -9) of the server.
//!
//! Every analysis belongs to a project, and every read, list and delete
//! names the project: an analysis of another project is not found, exactly as
//! an unknown id. Ids are 128 random bits.
//!
//! `tokens.rs` holds the API tokens (only their SHA-256), `audit.rs` the
//! audit log of requests.
//!
//! The calls are blocking; the handlers run them on tokio's blocking pool.

mod audit;
mod tokens;

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension};

pub use audit::{AuditEntry, AuditEvent};
pub use tokens::{NewToken, TokenError, TokenInfo};

/// An analysis to store.
#[derive(Debug, Clone)]
pub struct NewAnalysis {
    /// `csv` or `rows`.
    pub input_kind: String,
    /// The CSV text, or the rows as JSON.
    pub input: String,
    pub input_sha256: String,
    /// Name of the input, as in `provenance.input`.
    pub input_name: String,
    /// The options as parsed (defaults filled in), JSON.
    pub options: String,
    pub seed: Option<u64>,
    pub version: String,
    pub measure: String,
    pub method: String,
    pub k: usize,
    /// The result JSON exactly as answered.
    pub result: String,
}

/// An analysis as stored.
#[derive(Debug, Clone)]
pub struct StoredAnalysis {
    pub id: String,
    pub created_at: String,
    pub new: NewAnalysis,
}

/// One line of the list of analyses, as stored and as `GET /v1/analyses`
/// answers it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct AnalysisSummary {
    pub id: String,
    pub created_at: String,
    pub measure: String,
    pub method: String,
    pub k: usize,
    pub version: String,
}

/// A handle to the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS analyses (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    project      TEXT NOT NULL DEFAULT 'default',
    id           TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    input_kind   TEXT NOT NULL,
    input        TEXT NOT NULL,
    input_sha256 TEXT NOT NULL,
    input_name   TEXT NOT NULL,
    options      TEXT NOT NULL,
    seed         INTEGER,
    version      TEXT NOT NULL,
    measure      TEXT NOT NULL,
    method       TEXT NOT NULL,
    k            INTEGER NOT NULL,
    result       TEXT NOT NULL
);
";

/// Indexes, created after the migration that adds `analyses.project` to a
/// database of an earlier version.
const INDEXES: &str = "
CREATE INDEX IF NOT EXISTS analyses_project ON analyses (project, seq);
CREATE INDEX IF NOT EXISTS analyses_created ON analyses (created_at);
";

/// The project of analyses stored without a token (open mode), and of tokens
/// created without `--project`.
pub const DEFAULT_PROJECT: &str = "default";

/// What [`Store::insert`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    /// Stored with this id and creation time (UTC, RFC 3339).
    Stored { id: String, created_at: String },
    /// Not stored: the project already holds `count` analyses, the cap.
    ProjectFull { count: u64 },
}

impl Store {
    /// Opens (creating on first use) the database file.
    pub fn open(path: &Path) -> rusqlite::Result<Store> {
        let conn = Connection::open(path)?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(%mode, "SQLite did not switch to WAL mode");
        }
        Store::init(conn)
    }

    /// A private in-memory database, for tests.
    pub fn in_memory() -> rusqlite::Result<Store> {
        Store::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> rusqlite::Result<Store> {
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;")?;
        conn.execute_batch(SCHEMA)?;
        // Databases written before projects existed: their analyses are the
        // default project's.
        let has_project = conn
            .prepare("SELECT 1 FROM pragma_table_info('analyses') WHERE name = 'project'")?
            .exists([])?;
        if !has_project {
            conn.execute_batch(
                "ALTER TABLE analyses ADD COLUMN project TEXT NOT NULL DEFAULT 'default'",
            )?;
        }
        conn.execute_batch(INDEXES)?;
        conn.execute_batch(tokens::SCHEMA)?;
        conn.execute_batch(audit::SCHEMA)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent
        // (transactions roll back), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The journal mode (`wal` for a file database).
    pub fn journal_mode(&self) -> rusqlite::Result<String> {
        self.lock()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
    }

    /// Stores an analysis in `project`, unless the project already holds
    /// `cap` analyses (`None`: no cap).
    pub fn insert(
        &self,
        project: &str,
        a: &NewAnalysis,
        cap: Option<u64>,
    ) -> rusqlite::Result<Inserted> {
        let conn = self.lock();
        if let Some(cap) = cap {
            let count: i64 = conn.query_row(
                "SELECT COUNT(*) FROM analyses WHERE project = ?1",
                [project],
                |r| r.get(0),
            )?;
            if count as u64 >= cap {
                return Ok(Inserted::ProjectFull {
                    count: count as u64,
                });
            }
        }
        let created_at = now(&conn)?;
        let id = random_hex(16)?;
        conn.execute(
            "INSERT INTO analyses (id, project, created_at, input_kind, input, input_sha256,
                 input_name, options, seed, version, measure, method, k, result)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                id,
                project,
                created_at,
                a.input_kind,
                a.input,
                a.input_sha256,
                a.input_name,
                a.options,
                a.seed.map(|s| s as i64),
                a.version,
                a.measure,
                a.method,
                a.k as i64,
                a.result
            ],
        )?;
        Ok(Inserted::Stored { id, created_at })
    }

    /// One analysis of `project` by id.
    pub fn get(&self, project: &str, id: &str) -> rusqlite::Result<Option<StoredAnalysis>> {
        self.lock()
            .query_row(
                "SELECT id, created_at, input_kind, input, input_sha256, input_name, options,
                        seed, version, measure, method, k, result
                 FROM analyses WHERE id = ?1 AND project = ?2",
                [id, project],
                |r| {
                    Ok(StoredAnalysis {
                        id: r.get(0)?,
                        created_at: r.get(1)?,
                        new: NewAnalysis {
                            input_kind: r.get(2)?,
                            input: r.get(3)?,
                            input_sha256: r.get(4)?,
                            input_name: r.get(5)?,
                            options: r.get(6)?,
                            seed: r.get::<_, Option<i64>>(7)?.map(|s| s as u64),
                            version: r.get(8)?,
                            measure: r.get(9)?,
                            method: r.get(10)?,
                            k: r.get::<_, i64>(11)? as usize,
                            result: r.get(12)?,
                        },
                    })
                },
            )
            .optional()
    }

    /// The newest analyses of `project` first, `limit` from `offset`, and
    /// the project's total count.
    pub fn list(
        &self,
        project: &str,
        limit: u32,
        offset: u64,
    ) -> rusqlite::Result<(Vec<AnalysisSummary>, u64)> {
        let conn = self.lock();
        let total: i64 = conn.query_row(
            "SELECT COUNT(*) FROM analyses WHERE project = ?1",
            [project],
            |r| r.get(0),
        )?;
        let mut stmt = conn.prepare(
            "SELECT id, created_at, measure, method, k, version FROM analyses
             WHERE project = ?1 ORDER BY seq DESC LIMIT ?2 OFFSET ?3",
        )?;
        let items = stmt
            .query_map(params![project, limit as i64, offset as i64], |r| {
                Ok(AnalysisSummary {
                    id: r.get(0)?,
                    created_at: r.get(1)?,
                    measure: r.get(2)?,
                    method: r.get(3)?,
                    k: r.get::<_, i64>(4)? as usize,
                    version: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((items, total as u64))
    }

    /// Deletes one analysis of `project`; `false` if it has no such id.
    pub fn delete(&self, project: &str, id: &str) -> rusqlite::Result<bool> {
        let n = self.lock().execute(
            "DELETE FROM analyses WHERE id = ?1 AND project = ?2",
            [id, project],
        )?;
        Ok(n > 0)
    }

    /// Deletes the analyses and audit-log entries older than `days` days;
    /// answers how many analyses and entries it removed.
    pub fn remove_older_than(&self, days: u32) -> rusqlite::Result<(usize, usize)> {
        let conn = self.lock();
        let cutoff: String = conn.query_row(
            "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?1)",
            [format!("-{days} days")],
            |r| r.get(0),
        )?;
        let analyses = conn.execute("DELETE FROM analyses WHERE created_at < ?1", [&cutoff])?;
        let entries = conn.execute("DELETE FROM audit_log WHERE at < ?1", [&cutoff])?;
        Ok((analyses, entries))
    }
}

/// The current time in SQLite's clock (UTC, RFC 3339 with milliseconds).
fn now(conn: &Connection) -> rusqlite::Result<String> {
    conn.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')", [], |r| {
        r.get(0)
    })
}

/// `bytes` random bytes from the operating system, as hex. Ids of analyses
/// (16 bytes) and tokens' secrets (32 bytes) come from here.
pub(crate) fn random_hex(bytes: usize) -> rusqlite::Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| {
        rusqlite::Error::ToSqlConversionFailure(
            format!("the system's random source failed: {e}").into(),
        )
    })?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(k: usize) -> NewAnalysis {
        NewAnalysis {
            input_kind: "csv".into(),
            input: "yi,vi\n1,1\n".into(),
            input_sha256: "ab".into(),
            input_name: "csv".into(),
            options: "{}".into(),
            seed: Some(u64::MAX),
            version: "0.1.0".into(),
            measure: "GEN".into(),
            method: "REML".into(),
            k,
            result: "{\"k\":1}".into(),
        }
    }

    fn stored(s: &Store, project: &str, a: &NewAnalysis) -> (String, String) {
        match s.insert(project, a, None).unwrap() {
            Inserted::Stored { id, created_at } => (id, created_at),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn insert_get_and_list_round_trip() {
        let s = Store::in_memory().unwrap();
        let (id1, t1) = stored(&s, DEFAULT_PROJECT, &sample(1));
        let (id2, _) = stored(&s, DEFAULT_PROJECT, &sample(2));
        assert_ne!(id1, id2);
        assert_eq!(id1.len(), 32, "128 random bits: {id1}");
        assert!(t1.ends_with('Z') && t1.contains('T'), "{t1}");
        let got = s.get(DEFAULT_PROJECT, &id1).unwrap().unwrap();
        assert_eq!(
            got.new.seed,
            Some(u64::MAX),
            "u64 seeds survive the i64 column"
        );
        assert_eq!(got.new.result, "{\"k\":1}");
        assert!(s.get(DEFAULT_PROJECT, "nope").unwrap().is_none());
        let (items, total) = s.list(DEFAULT_PROJECT, 1, 0).unwrap();
        assert_eq!(total, 2);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].id, id2, "newest first");
        let (items, _) = s.list(DEFAULT_PROJECT, 10, 1).unwrap();
        assert_eq!(items[0].id, id1);
    }

    #[test]
    fn projects_see_only_their_own_analyses() {
        let s = Store::in_memory().unwrap();
        let (a, _) = stored(&s, "a", &sample(1));
        let (b, _) = stored(&s, "b", &sample(2));
        assert!(s.get("b", &a).unwrap().is_none());
        assert!(!s.delete("b", &a).unwrap(), "b cannot delete a's analysis");
        assert!(s.get("a", &a).unwrap().is_some());
        let (items, total) = s.list("b", 10, 0).unwrap();
        assert_eq!((items.len(), total), (1, 1));
        assert_eq!(items[0].id, b);
        assert!(s.delete("a", &a).unwrap());
        assert!(s.get("a", &a).unwrap().is_none());
    }

    #[test]
    fn a_full_project_stores_nothing_more() {
        let s = Store::in_memory().unwrap();
        stored(&s, "a", &sample(1));
        assert_eq!(
            s.insert("a", &sample(1), Some(1)).unwrap(),
            Inserted::ProjectFull { count: 1 }
        );
        assert!(matches!(
            s.insert("b", &sample(1), Some(1)).unwrap(),
            Inserted::Stored { .. }
        ));
    }

    #[test]
    fn retention_removes_only_older_analyses() {
        let s = Store::in_memory().unwrap();
        let (old, _) = stored(&s, "a", &sample(1));
        let (new, _) = stored(&s, "a", &sample(2));
        s.lock()
            .execute(
                "UPDATE analyses SET created_at = '2000-01-01T00:00:00.000Z' WHERE id = ?1",
                [&old],
            )
            .unwrap();
        assert_eq!(s.remove_older_than(30).unwrap().0, 1);
        assert!(s.get("a", &old).unwrap().is_none());
        assert!(s.get("a", &new).unwrap().is_some());
    }

    #[test]
    fn a_database_of_an_earlier_version_gets_the_project_column() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE analyses (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
             created_at TEXT NOT NULL, input_kind TEXT NOT NULL, input TEXT NOT NULL,
             input_sha256 TEXT NOT NULL, input_name TEXT NOT NULL, options TEXT NOT NULL,
             seed INTEGER, version TEXT NOT NULL, measure TEXT NOT NULL, method TEXT NOT NULL,
             k INTEGER NOT NULL, result TEXT NOT NULL);
             INSERT INTO analyses (id, created_at, input_kind, input, input_sha256, input_name,
               options, version, measure, method, k, result)
             VALUES ('0123456789abcdef', '2026-01-01T00:00:00.000Z', 'csv', 'yi,vi', 'ab', 'csv',
               '{}', '0.1.0', 'GEN', 'REML', 1, '{}');",
        )
        .unwrap();
        let s = Store::init(conn).unwrap();
        assert!(s
            .get(DEFAULT_PROJECT, "0123456789abcdef")
            .unwrap()
            .is_some());
    }

    #[test]
    fn a_file_database_is_created_in_wal_mode() {
        let dir = std::env::temp_dir().join(format!("rema-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.db");
        let _ = std::fs::remove_file(&path);
        let s = Store::open(&path).unwrap();
        assert_eq!(s.journal_mode().unwrap(), "wal");
        let (id, _) = stored(&s, DEFAULT_PROJECT, &sample(3));
        drop(s);
        let s = Store::open(&path).unwrap();
        assert_eq!(s.get(DEFAULT_PROJECT, &id).unwrap().unwrap().new.k, 3);
        drop(s);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
