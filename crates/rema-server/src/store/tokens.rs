//! API tokens: `rema_<id>_<secret>`, where the id (48 random bits, shown by
//! `token list`) names the token and the secret is 256 random bits. Only the
//! SHA-256 of the whole token is stored; the token itself is printed once, at
//! creation. A presented token is looked up by its id and its hash compared in
//! constant time (`subtle`). A revoked token stays listed, with its time of
//! revocation, and never verifies again.

use rusqlite::{params, OptionalExtension};
use subtle::ConstantTimeEq;

use super::{now, random_hex, Store};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tokens (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    project     TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS tokens_active_name ON tokens (name) WHERE revoked_at IS NULL;
";

const PREFIX: &str = "rema_";
/// Hex digits of a token's id and of its secret.
const ID_HEX: usize = 12;
const SECRET_HEX: usize = 64;

/// A token as listed (never its secret nor its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// The public id, the part of the token after `rema_`.
    pub id: String,
    /// The operator's name for it, unique among tokens not revoked; the
    /// audit log records it.
    pub name: String,
    /// The project whose analyses the token sees.
    pub project: String,
    /// UTC, RFC 3339.
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// A token just created: its record and the token text, shown only now.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub info: TokenInfo,
    /// `rema_<id>_<secret>`: what a client sends as `Authorization: Bearer …`.
    pub token: String,
}

/// Why a token could not be created or revoked.
#[derive(Debug)]
pub enum TokenError {
    /// A name or project outside 1 to 64 of `A-Z a-z 0-9 . _ -`.
    InvalidName { what: &'static str, value: String },
    /// A token not revoked already has this name.
    NameTaken { name: String },
    /// No token not yet revoked has this id or name.
    NotFound { key: String },
    /// The database failed.
    Store(rusqlite::Error),
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenError::InvalidName { what, value } => write!(
                f,
                "{what} `{value}` must be 1 to 64 letters, digits, `.`, `_` or `-`"
            ),
            TokenError::NameTaken { name } => write!(
                f,
                "a token named `{name}` exists already; choose another name, or revoke it first"
            ),
            TokenError::NotFound { key } => write!(
                f,
                "no active token has the id or name `{key}`; `rema-server token list` shows them"
            ),
            TokenError::Store(e) => write!(f, "the database failed: {e}"),
        }
    }
}

impl std::error::Error for TokenError {}

impl From<rusqlite::Error> for TokenError {
    fn from(e: rusqlite::Error) -> TokenError {
        TokenError::Store(e)
    }
}

fn check_name(what: &'static str, value: &str) -> Result<(), TokenError> {
    let ok = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(TokenError::InvalidName {
            what,
            value: value.to_string(),
        })
    }
}

/// The id of a well-formed token text, or `None`.
fn token_id(token: &str) -> Option<&str> {
    let (id, secret) = token.strip_prefix(PREFIX)?.split_once('_')?;
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(id, ID_HEX) && hex(secret, SECRET_HEX)).then_some(id)
}

fn info(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenInfo> {
    Ok(TokenInfo {
        id: r.get(0)?,
        name: r.get(1)?,
        project: r.get(2)?,
        created_at: r.get(3)?,
        revoked_at: r.get(4)?,
    })
}

impl Store {
    /// Creates a token for `project`; the answer holds the token text, which
    /// is stored nowhere.
    pub fn create_token(&self, name: &str, project: &str) -> Result<NewToken, TokenError> {
        check_name("the name", name)?;
        check_name("the project", project)?;
        let conn = self.lock();
        let taken = conn
            .prepare("SELECT 1 FROM tokens WHERE name = ?1 AND revoked_at IS NULL")?
            .exists([name])?;
        if taken {
            return Err(TokenError::NameTaken {
                name: name.to_string(),
            });
        }
        let id = random_hex(ID_HEX / 2)?;
        let token = format!("{PREFIX}{id}_{}", random_hex(SECRET_HEX / 2)?);
        let created_at = now(&conn)?;
        conn.execute(
            "INSERT INTO tokens (id, name, project, sha256, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, name, project, rema_data::sha256_hex(token.as_bytes()), created_at],
        )?;
        Ok(NewToken {
            info: TokenInfo {
                id,
                name: name.to_string(),
                project: project.to_string(),
                created_at,
                revoked_at: None,
            },
            token,
        })
    }

    /// Every token, revoked ones included, oldest first.
    pub fn tokens(&self) -> rusqlite::Result<Vec<TokenInfo>> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT id, name, project, created_at, revoked_at FROM tokens ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([], info)?;
        rows.collect()
    }

    /// Revokes the active token with this id or, failing that, this name.
    pub fn revoke_token(&self, key: &str) -> Result<TokenInfo, TokenError> {
        let conn = self.lock();
        let find = |column: &str| {
            conn.query_row(
                &format!(
                    "SELECT id, name, project, created_at, revoked_at FROM tokens
                     WHERE {column} = ?1 AND revoked_at IS NULL"
                ),
                [key],
                info,
            )
            .optional()
        };
        let Some(mut found) = find("id")?.or(find("name")?) else {
            return Err(TokenError::NotFound {
                key: key.to_string(),
            });
        };
        let at = now(&conn)?;
        conn.execute(
            "UPDATE tokens SET revoked_at = ?1 WHERE id = ?2",
            [&at, &found.id],
        )?;
        found.revoked_at = Some(at);
        Ok(found)
    }

    /// How many tokens are not revoked.
    pub fn active_tokens(&self) -> rusqlite::Result<u64> {
        let n: i64 = self.lock().query_row(
            "SELECT COUNT(*) FROM tokens WHERE revoked_at IS NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// The active token whose text this is, or `None` (malformed, unknown,
    /// revoked, or a wrong secret: the caller cannot tell which).
    pub fn verify_token(&self, presented: &str) -> rusqlite::Result<Option<TokenInfo>> {
        let Some(id) = token_id(presented) else {
            return Ok(None);
        };
        let row = self
            .lock()
            .query_row(
                "SELECT id, name, project, created_at, revoked_at, sha256 FROM tokens
                 WHERE id = ?1 AND revoked_at IS NULL",
                [id],
                |r| Ok((info(r)?, r.get::<_, String>(5)?)),
            )
            .optional()?;
        let hash = rema_data::sha256_hex(presented.as_bytes());
        Ok(row.and_then(|(info, stored)| {
            bool::from(hash.as_bytes().ct_eq(stored.as_bytes())).then_some(info)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_until_it_is_revoked_and_only_its_hash_is_stored() {
        let s = Store::in_memory().unwrap();
        let t = s.create_token("ci", "alpha").unwrap();
        assert!(t.token.starts_with("rema_") && t.token.len() == 5 + 12 + 1 + 64);
        assert_eq!(s.verify_token(&t.token).unwrap(), Some(t.info.clone()));
        let stored: Vec<String> = s
            .lock()
            .prepare("SELECT id || name || project || sha256 || created_at FROM tokens")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            !stored[0].contains(&t.token[18..]),
            "the secret is not stored"
        );
        // A wrong secret with the right id, and malformed tokens.
        let mut wrong = t.token.clone();
        wrong.replace_range(
            wrong.len() - 1..,
            if wrong.ends_with('0') { "1" } else { "0" },
        );
        for bad in [
            wrong.as_str(),
            "",
            "rema_",
            "Bearer x",
            &t.token[..t.token.len() - 1],
        ] {
            assert_eq!(s.verify_token(bad).unwrap(), None, "{bad}");
        }
        assert_eq!(s.active_tokens().unwrap(), 1);
        let revoked = s.revoke_token("ci").unwrap();
        assert!(revoked.revoked_at.is_some());
        assert_eq!(s.verify_token(&t.token).unwrap(), None);
        assert_eq!(s.active_tokens().unwrap(), 0);
        assert!(matches!(
            s.revoke_token("ci"),
            Err(TokenError::NotFound { .. })
        ));
        assert_eq!(s.tokens().unwrap().len(), 1, "revoked tokens stay listed");
    }

    #[test]
    fn names_are_checked_and_unique_among_active_tokens() {
        let s = Store::in_memory().unwrap();
        let a = s.create_token("ci", "p").unwrap();
        assert!(matches!(
            s.create_token("ci", "q"),
            Err(TokenError::NameTaken { .. })
        ));
        for bad in ["", "a b", "ü", &"x".repeat(65)] {
            assert!(matches!(
                s.create_token(bad, "p"),
                Err(TokenError::InvalidName { .. })
            ));
            assert!(matches!(
                s.create_token("ok", bad),
                Err(TokenError::InvalidName { .. })
            ));
        }
        s.revoke_token(&a.info.id).unwrap();
        let b = s.create_token("ci", "p").unwrap();
        assert_ne!(a.token, b.token, "a name can be reused once revoked");
    }
}
