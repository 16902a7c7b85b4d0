//! rema-server: the rema engine over HTTP.
//!
//! The server is a function: [`app`] builds the router, so tests drive it with
//! `tower::ServiceExt::oneshot` and no socket. `main.rs` binds it.
//!
//! - `routes/`: the routes of `/v1` (`analyses.rs`, `audit.rs`, `log.rs`)
//!   and their router [`routes::v1`], with their request and response types;
//! - `auth.rs`: the middleware of `/v1`: bearer tokens, projects, rate
//!   limits and the audit log; `limit.rs` the token buckets it uses.
//! - `web.rs`: the web page and the security headers of every response.
//! - `tls.rs`: TLS (rustls) from PEM files.
//! - `extract.rs`: JSON bodies under the caps, errors naming the field.
//! - `error.rs`: [`AppError`], the one place errors become JSON responses.
//! - `store/`: the SQLite store of analyses, tokens and the audit log.
//! - `rows.rs`: studies sent as JSON objects instead of CSV.
//! - `plots.rs`: the extension point for the forest plot.
//! - `openapi.rs`: the OpenAPI document, generated from the types.
//! - `web/index.html`: the web page, compiled into the binary.
//!
//! The CPU-heavy analysis runs on tokio's blocking pool, a bounded number at a
//! time, under a deadline ([`Limits`]), so a long analysis never stalls
//! `/healthz` or the other requests.

pub mod auth;
pub mod error;
pub mod extract;
pub mod limit;
pub mod openapi;
pub mod plots;
pub mod routes;
pub mod rows;
pub mod serve;
pub mod store;
pub mod tls;
pub mod web;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tokio::sync::Semaphore;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa::ToSchema;

pub use auth::{Access, Caller};
pub use error::AppError;
pub use plots::ForestRenderer;
pub use store::Store;

/// The configurable caps. Every one is a flag and an environment variable of
/// the binary (see `rema-server --help`).
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Largest request body in bytes (413 above it).
    pub max_body_bytes: usize,
    /// Largest number of studies (rows) in one analysis.
    pub max_studies: usize,
    /// Largest number of permutations a spec may ask for.
    pub max_permutations: u64,
    /// Largest number of bootstrap replicates a spec may ask for.
    pub max_bootstrap: u64,
    /// Deadline of one analysis: waiting for a worker plus computing.
    pub compute_timeout: Duration,
    /// Analyses computed at the same time (blocking threads).
    pub compute_workers: usize,
    /// Requests to `/v1` in flight at once; more are answered 503.
    pub max_in_flight: usize,
    /// Time a client has to send the whole request body once the headers are
    /// in (408 past it), so a client trickling its body cannot hold a
    /// connection and a request slot for ever.
    pub body_timeout: Duration,
    /// Requests per minute one token may send (429 above; 0: no limit).
    /// Requests let in without a token (open mode) are not limited.
    pub rate_limit_per_minute: u32,
    /// Failed authentications per minute from one address before its
    /// requests are answered 429 (0: no limit).
    pub auth_failures_per_minute: u32,
    /// Analyses one project may hold (409 `project_full` above; 0: no cap).
    pub max_analyses_per_project: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 8 * 1024 * 1024,
            max_studies: 10_000,
            max_permutations: 100_000,
            max_bootstrap: 100_000,
            compute_timeout: Duration::from_secs(30),
            compute_workers: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            max_in_flight: 1024,
            body_timeout: Duration::from_secs(30),
            rate_limit_per_minute: 600,
            auth_failures_per_minute: 10,
            max_analyses_per_project: 100_000,
        }
    }
}

/// Shared state of the service; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub limits: Arc<Limits>,
    /// Slots of the compute pool ([`Limits::compute_workers`]).
    pub compute: Arc<Semaphore>,
    /// Slots of requests in flight ([`Limits::max_in_flight`]).
    pub in_flight: Arc<Semaphore>,
    /// Draws forest plots (rema-plot by default); `None` answers 404.
    pub forest: Option<ForestRenderer>,
    /// Whether requests without a token are let in while no token exists
    /// ([`Access::OpenUntilTokens`] by default).
    pub access: Access,
    /// The per-token and per-address rate limiters.
    pub limiters: Arc<auth::Limiters>,
    /// Origins allowed to call the API from a browser (CORS); empty: none.
    pub cors_origins: Arc<[HeaderValue]>,
}

impl AppState {
    pub fn new(store: Store, limits: Limits) -> AppState {
        AppState {
            compute: Arc::new(Semaphore::new(limits.compute_workers.max(1))),
            in_flight: Arc::new(Semaphore::new(limits.max_in_flight.max(1))),
            limiters: Arc::new(auth::Limiters {
                per_token: limit::RateLimiter::new(limits.rate_limit_per_minute),
                failures: limit::RateLimiter::new(limits.auth_failures_per_minute),
            }),
            limits: Arc::new(limits),
            store,
            forest: plots::default_renderer(),
            access: Access::OpenUntilTokens,
            cors_origins: Arc::new([]),
        }
    }

    /// An in-memory store and the default limits, for tests.
    pub fn in_memory() -> AppState {
        AppState::new(
            Store::in_memory().expect("an in-memory SQLite database opens"),
            Limits::default(),
        )
    }
}

/// The router of every route: `/v1` behind [`auth::authenticate`] and the
/// in-flight limit, every response with [`web::security_headers`], and CORS
/// for [`AppState::cors_origins`] when there are any.
pub fn app(state: AppState) -> Router {
    let v1 = routes::v1()
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limit_in_flight,
        ));
    let cors = (!state.cors_origins.is_empty()).then(|| web::cors(&state.cors_origins));
    let router = Router::new()
        .route("/", get(web::index))
        .route("/app.js", get(web::script))
        .route("/app.css", get(web::style))
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(openapi::openapi_json))
        .nest("/v1", v1)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.limits.max_body_bytes))
        .layer(CatchPanicLayer::custom(|_| {
            AppError::internal("a handler panicked").into_response()
        }))
        .layer(middleware::from_fn(web::security_headers))
        .layer(TraceLayer::new_for_http())
        .with_state(state);
    match cors {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

/// Refuses `/v1` requests beyond [`Limits::max_in_flight`] with 503 at once,
/// rather than queueing them without bound.
async fn limit_in_flight(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match state.in_flight.clone().try_acquire_owned() {
        Ok(permit) => {
            let res = next.run(req).await;
            drop(permit);
            res
        }
        Err(_) => AppError::Overloaded.into_response(),
    }
}

/// The body of `GET /healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// The version of rema.
    pub version: String,
    /// `token` when `/v1` needs a bearer token, `open` when it lets anyone
    /// in (no token configured, on a loopback address or `--insecure-open`).
    pub access: String,
}

/// Health check; says whether the API needs a token.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, AppError> {
    let open = auth::is_open(&state).await?;
    Ok(Json(Health {
        status: "ok".to_string(),
        version: rema_data::VERSION.to_string(),
        access: if open { "open" } else { "token" }.to_string(),
    }))
}

async fn not_found() -> AppError {
    AppError::NotFound {
        message: "no such route; see GET /openapi.json".to_string(),
    }
}

pub(crate) async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}

/// Runs `f` on the blocking pool when a compute slot is free, under the
/// compute deadline. A computation that outlives the deadline keeps its slot
/// until it ends, so timed-out work cannot pile up beyond the pool.
pub async fn run_compute<T, F>(state: &AppState, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    run_cancellable(state, move |_| f()).await
}

/// [`run_compute`] for work that can stop early: `f` gets a flag that is set
/// when the deadline passes (rema-core's `Hooks::cancel`, checked between
/// blocks of resampling iterations), so an analysis past its deadline stops
/// and frees its slot instead of running to the end.
pub async fn run_cancellable<T, F>(state: &AppState, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&AtomicBool) -> T + Send + 'static,
{
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    let limit = state.limits.compute_timeout;
    let deadline = tokio::time::Instant::now() + limit;
    let permit = tokio::time::timeout_at(deadline, state.compute.clone().acquire_owned())
        .await
        .map_err(|_| AppError::Busy {
            seconds: limit.as_secs_f64(),
        })?
        .map_err(AppError::internal)?;
    let task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        f(&flag)
    });
    match tokio::time::timeout_at(deadline, task).await {
        Err(_) => {
            cancel.store(true, Ordering::Relaxed);
            Err(AppError::Timeout {
                seconds: limit.as_secs_f64(),
            })
        }
        Ok(Err(join)) => Err(AppError::internal(format!("compute task failed: {join}"))),
        Ok(Ok(v)) => Ok(v),
    }
}

/// Runs a blocking store call on the blocking pool.
pub async fn run_store<T, F>(state: &AppState, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> rusqlite::Result<T> + Send + 'static,
{
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|e| AppError::internal(format!("store task failed: {e}")))?
        .map_err(|e| AppError::internal(format!("store: {e}")))
}

/// A status code and JSON body, for handlers that answer 201.
pub(crate) fn created<T: Serialize>(location: String, body: T) -> Response {
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response()
}
