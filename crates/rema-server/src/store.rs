//! The store of analyses: one SQLite file (rusqlite, bundled), WAL mode.
//!
//! Every analysis is kept with its input, its options, its seed, the tool
//! version and the result exactly as it was answered, so that a figure in a
//! paper can be fetched and recomputed later. A row is committed with
//! `synchronous = FULL` before the server answers 201, so an answered analysis
//! survives a crash (kill -9) of the server.
//!
//! The calls are blocking; the handlers run them on tokio's blocking pool.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension};

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

    /// Stores an analysis and returns its id and creation time (UTC, RFC 3339).
    pub fn insert(&self, a: &NewAnalysis) -> rusqlite::Result<(String, String)> {
        let conn = self.lock();
        let created_at: String =
            conn.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')", [], |r| {
                r.get(0)
            })?;
        let id = new_id(&created_at, &a.input_sha256);
        conn.execute(
            "INSERT INTO analyses (id, created_at, input_kind, input, input_sha256, input_name,
                 options, seed, version, measure, method, k, result)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                id,
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
        Ok((id, created_at))
    }

    /// One analysis by id.
    pub fn get(&self, id: &str) -> rusqlite::Result<Option<StoredAnalysis>> {
        self.lock()
            .query_row(
                "SELECT id, created_at, input_kind, input, input_sha256, input_name, options,
                        seed, version, measure, method, k, result
                 FROM analyses WHERE id = ?1",
                [id],
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

    /// The newest analyses first, `limit` from `offset`, and the total count.
    pub fn list(&self, limit: u32, offset: u64) -> rusqlite::Result<(Vec<AnalysisSummary>, u64)> {
        let conn = self.lock();
        let total: i64 = conn.query_row("SELECT COUNT(*) FROM analyses", [], |r| r.get(0))?;
        let mut stmt = conn.prepare(
            "SELECT id, created_at, measure, method, k, version FROM analyses
             ORDER BY seq DESC LIMIT ?1 OFFSET ?2",
        )?;
        let items = stmt
            .query_map(params![limit as i64, offset as i64], |r| {
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
}

/// A 16-hex-digit id, unique in practice: a hash of the time, the process,
/// a counter and the input hash. Ids are not secrets.
fn new_id(created_at: &str, input_sha256: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let seed = format!(
        "{created_at}/{nanos}/{}/{n}/{input_sha256}",
        std::process::id()
    );
    rema_data::sha256_hex(seed.as_bytes())[..16].to_string()
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

    #[test]
    fn insert_get_and_list_round_trip() {
        let s = Store::in_memory().unwrap();
        let (id1, t1) = s.insert(&sample(1)).unwrap();
        let (id2, _) = s.insert(&sample(2)).unwrap();
        assert_ne!(id1, id2);
        assert!(t1.ends_with('Z') && t1.contains('T'), "{t1}");
        let got = s.get(&id1).unwrap().unwrap();
        assert_eq!(
            got.new.seed,
            Some(u64::MAX),
            "u64 seeds survive the i64 column"
        );
        assert_eq!(got.new.result, "{\"k\":1}");
        assert!(s.get("nope").unwrap().is_none());
        let (items, total) = s.list(1, 0).unwrap();
        assert_eq!(total, 2);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].id, id2, "newest first");
        let (items, _) = s.list(10, 1).unwrap();
        assert_eq!(items[0].id, id1);
    }

    #[test]
    fn a_file_database_is_created_in_wal_mode() {
        let dir = std::env::temp_dir().join(format!("rema-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.db");
        let _ = std::fs::remove_file(&path);
        let s = Store::open(&path).unwrap();
        assert_eq!(s.journal_mode().unwrap(), "wal");
        let (id, _) = s.insert(&sample(3)).unwrap();
        drop(s);
        let s = Store::open(&path).unwrap();
        assert_eq!(s.get(&id).unwrap().unwrap().new.k, 3);
        drop(s);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
