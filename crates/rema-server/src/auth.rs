//! Who is asking: the middleware of every `/v1` route.
//!
//! A request carries `Authorization: Bearer <token>`; the token is verified
//! against the store (its SHA-256, compared in constant time) and becomes the
//! request's [`Caller`]: the token's name and project, which the handlers read
//! to scope every read, list and delete to that project. A missing or wrong
//! token is 401 with `WWW-Authenticate`; each failure counts against the
//! client's address, and an address past [`Limits::auth_failures_per_minute`]
//! is answered 429 before its token is looked at. A valid token past
//! [`Limits::rate_limit_per_minute`] is answered 429 too. Both carry
//! `Retry-After`.
//!
//! [`Access::OpenUntilTokens`] lets requests without a token in, as the
//! caller `open` in the default project, while the store has no active token
//! (the binary's mode on a loopback address, or with `--insecure-open`); as
//! soon as one token exists, every request needs one. [`Access::TokensOnly`]
//! never lets a request in without a token.
//!
//! Every request, refused or not, is recorded in the audit log after it is
//! answered.
//!
//! [`Limits::auth_failures_per_minute`]: crate::Limits::auth_failures_per_minute
//! [`Limits::rate_limit_per_minute`]: crate::Limits::rate_limit_per_minute

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, OriginalUri, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::limit::RateLimiter;
use crate::store::{AuditEvent, DEFAULT_PROJECT};
use crate::{run_store, AppError, AppState};

/// Whether requests without a token are let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Without a token while no token is active: one local user, the
    /// project `default`. Once a token exists, tokens are required.
    OpenUntilTokens,
    /// Every request needs a valid token.
    TokensOnly,
}

/// The authenticated client of a request, in its extensions for the
/// handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's id; `None` in open mode.
    pub token_id: Option<String>,
    /// The token's name; `open` in open mode.
    pub name: String,
    /// The project the request sees.
    pub project: String,
}

impl Caller {
    /// The caller of a request let in without a token.
    pub fn open() -> Caller {
        Caller {
            token_id: None,
            name: "open".to_string(),
            project: DEFAULT_PROJECT.to_string(),
        }
    }
}

/// The rate limiters: requests per token, failed authentications per address.
#[derive(Debug)]
pub struct Limiters {
    pub per_token: RateLimiter,
    pub failures: RateLimiter,
}

/// Is this server open right now: [`Access::OpenUntilTokens`] and no active
/// token in the store.
pub async fn is_open(state: &AppState) -> Result<bool, AppError> {
    if state.access == Access::TokensOnly {
        return Ok(false);
    }
    Ok(run_store(state, |s| s.active_tokens()).await? == 0)
}

/// The token of an `Authorization` header: `Some(Ok(token))` for `Bearer
/// <token>` (the scheme in any case), `Some(Err(()))` for any other value.
fn bearer(headers: &HeaderMap) -> Option<Result<String, ()>> {
    Some(bearer_token(headers.get(header::AUTHORIZATION)?.as_bytes()).ok_or(()))
}

/// The token of an `Authorization` header's value, `Bearer <token>` with the
/// scheme in any case; `None` for anything else. The fuzz target
/// `server_request` feeds it any bytes.
///
/// ```
/// use rema_server::auth::bearer_token;
/// assert_eq!(bearer_token(b"Bearer rema_x"), Some("rema_x".to_string()));
/// assert_eq!(bearer_token(b"Basic dXNlcjpwYXNz"), None);
/// ```
pub fn bearer_token(value: &[u8]) -> Option<String> {
    let v = std::str::from_utf8(value).ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}

/// Verifies the request's token (or lets it in open), without counting.
async fn identify(state: &AppState, headers: &HeaderMap) -> Result<Caller, AppError> {
    match bearer(headers) {
        None => {
            if is_open(state).await? {
                Ok(Caller::open())
            } else {
                Err(AppError::Unauthorized { presented: false })
            }
        }
        Some(Err(())) => Err(AppError::Unauthorized { presented: true }),
        Some(Ok(token)) => {
            let found = run_store(state, move |s| s.verify_token(&token)).await?;
            let info = found.ok_or(AppError::Unauthorized { presented: true })?;
            Ok(Caller {
                token_id: Some(info.id),
                name: info.name,
                project: info.project,
            })
        }
    }
}

/// The middleware: authenticate, rate-limit, run the route, audit.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let address = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let path = req
        .extensions()
        .get::<OriginalUri>()
        .map(|u| u.path().to_string())
        .unwrap_or_else(|| req.uri().path().to_string());
    let method = req.method().to_string();
    let key = address.as_deref().unwrap_or("unknown").to_string();

    let caller = match state.limiters.failures.check(&key) {
        Err(seconds) => Err(AppError::TooManyFailures { seconds }),
        Ok(()) => identify(&state, req.headers()).await.inspect_err(|e| {
            if matches!(e, AppError::Unauthorized { .. }) {
                let _ = state.limiters.failures.take(&key);
                tracing::warn!(address = %key, %path, "authentication failed");
            }
        }),
    };
    let caller = caller.and_then(|c| match &c.token_id {
        Some(id) => state
            .limiters
            .per_token
            .take(id)
            .map(|()| c.clone())
            .map_err(|seconds| AppError::RateLimited { seconds }),
        None => Ok(c),
    });
    let (caller, mut res) = match caller {
        Ok(c) => {
            req.extensions_mut().insert(c.clone());
            (Some(c), next.run(req).await)
        }
        Err(e) => (None, e.into_response()),
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));

    let status = res.status();
    let analysis_id = res
        .headers()
        .get(header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .unwrap_or(&path)
        .strip_prefix("/v1/analyses/")
        .and_then(|rest| rest.split('/').next())
        .filter(|id| !id.is_empty())
        .map(str::to_string);
    let outcome = match status.as_u16() {
        200..=399 => "ok",
        401 => "unauthorized",
        429 => "rate_limited",
        404 => "not_found",
        400..=499 => "refused",
        _ => "failed",
    };
    let event = AuditEvent {
        token_id: caller.as_ref().and_then(|c| c.token_id.clone()),
        token_name: caller.as_ref().map(|c| c.name.clone()),
        project: caller.map(|c| c.project),
        address,
        method,
        route: path,
        analysis_id,
        status: status.as_u16(),
        outcome: outcome.to_string(),
    };
    if let Err(e) = run_store(&state, move |s| s.record(&event)).await {
        tracing::error!(error = ?e, "the audit log could not be written");
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_read_in_any_case() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
            bearer(&m)
        };
        assert_eq!(bearer(&HeaderMap::new()), None);
        assert_eq!(h("Bearer abc"), Some(Ok("abc".into())));
        assert_eq!(h("bearer  abc "), Some(Ok("abc".into())));
        assert_eq!(h("Basic abc"), Some(Err(())));
        assert_eq!(h("abc"), Some(Err(())));
    }
}
