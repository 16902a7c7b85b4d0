//! `rema-server`: opens the store, binds the router of `rema_server::app` and
//! serves it until SIGTERM or Ctrl-C. On the signal it stops accepting
//! connections and lets in-flight requests finish.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use rema_server::{app, AppState, Limits, Store};

/// The rema meta-analysis engine over HTTP.
///
/// Serves the JSON API (POST /v1/analyses, GET /v1/analyses/{id}, GET
/// /v1/analyses, GET /openapi.json, GET /healthz) and a web page at /.
/// Every analysis is stored in a SQLite file (created on first start, WAL
/// mode). Every flag can also be set from the environment variable shown.
/// The API is documented in docs/SERVER.md.
///
/// Examples:
///   rema-server
///   rema-server --bind 0.0.0.0:8080 --db /var/lib/rema/rema.db
///   REMA_BIND=127.0.0.1:9000 REMA_COMPUTE_TIMEOUT_SECS=10 rema-server
///   RUST_LOG=debug rema-server        # more logging (tracing, to stderr)
#[derive(Debug, Parser)]
#[command(name = "rema-server", version, about, verbatim_doc_comment)]
struct Args {
    /// Address to listen on (port 0 picks a free port; the log says which).
    #[arg(long, env = "REMA_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    /// SQLite file of stored analyses (created on first start).
    #[arg(long, env = "REMA_DB", default_value = "rema.db")]
    db: PathBuf,
    /// Largest request body in bytes; larger bodies are answered 413.
    #[arg(long, env = "REMA_MAX_BODY_BYTES", default_value_t = Limits::default().max_body_bytes)]
    max_body_bytes: usize,
    /// Largest number of studies in one analysis (422 above it).
    #[arg(long, env = "REMA_MAX_STUDIES", default_value_t = Limits::default().max_studies)]
    max_studies: usize,
    /// Largest number of permutations a request may ask for (422 above it).
    #[arg(long, env = "REMA_MAX_PERMUTATIONS", default_value_t = Limits::default().max_permutations)]
    max_permutations: u64,
    /// Largest number of bootstrap replicates a request may ask for (422 above it).
    #[arg(long, env = "REMA_MAX_BOOTSTRAP", default_value_t = Limits::default().max_bootstrap)]
    max_bootstrap: u64,
    /// Deadline of one analysis in seconds, waiting included (503 past it).
    #[arg(long, env = "REMA_COMPUTE_TIMEOUT_SECS", default_value_t = Limits::default().compute_timeout.as_secs_f64())]
    compute_timeout_secs: f64,
    /// Analyses computed at the same time (default: the number of CPUs).
    #[arg(long, env = "REMA_COMPUTE_WORKERS", default_value_t = Limits::default().compute_workers)]
    compute_workers: usize,
    /// Requests to /v1 in flight at once; more are answered 503 at once.
    #[arg(long, env = "REMA_MAX_IN_FLIGHT", default_value_t = Limits::default().max_in_flight)]
    max_in_flight: usize,
    /// Seconds a client has to send the request body once its headers are
    /// in; a slower client is answered 408 and disconnected.
    #[arg(long, env = "REMA_BODY_TIMEOUT_SECS", default_value_t = Limits::default().body_timeout.as_secs_f64())]
    body_timeout_secs: f64,
    /// Seconds a client has to send a request's headers; a connection whose
    /// headers are not all in by then is closed.
    #[arg(long, env = "REMA_HEADER_TIMEOUT_SECS", default_value_t = 30.0)]
    header_timeout_secs: f64,
}

impl Args {
    fn header_timeout(&self) -> anyhow::Result<Duration> {
        Duration::try_from_secs_f64(self.header_timeout_secs)
            .ok()
            .filter(|d| !d.is_zero() && d.as_secs() <= 86_400)
            .context("--header-timeout-secs must be a positive number of seconds, at most 86400")
    }

    fn limits(&self) -> anyhow::Result<Limits> {
        let compute_timeout = Duration::try_from_secs_f64(self.compute_timeout_secs)
            .ok()
            .filter(|d| !d.is_zero() && d.as_secs() <= 86_400)
            .context(
                "--compute-timeout-secs must be a positive number of seconds, at most 86400",
            )?;
        let body_timeout = Duration::try_from_secs_f64(self.body_timeout_secs)
            .ok()
            .filter(|d| !d.is_zero() && d.as_secs() <= 86_400)
            .context("--body-timeout-secs must be a positive number of seconds, at most 86400")?;
        anyhow::ensure!(
            self.compute_workers > 0,
            "--compute-workers must be at least 1"
        );
        anyhow::ensure!(self.max_in_flight > 0, "--max-in-flight must be at least 1");
        Ok(Limits {
            max_body_bytes: self.max_body_bytes,
            max_studies: self.max_studies,
            max_permutations: self.max_permutations,
            max_bootstrap: self.max_bootstrap,
            compute_timeout,
            compute_workers: self.compute_workers,
            max_in_flight: self.max_in_flight,
            body_timeout,
        })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .init();
    let args = Args::parse();
    let limits = args.limits()?;
    let header_timeout = args.header_timeout()?;
    let store = Store::open(&args.db)
        .with_context(|| format!("cannot open the database {}", args.db.display()))?;
    let listener = tokio::net::TcpListener::bind(&args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    tracing::info!(
        bind = %listener.local_addr()?,
        db = %args.db.display(),
        ?limits,
        ?header_timeout,
        "rema-server listening"
    );
    rema_server::serve::serve(
        listener,
        app(AppState::new(store, limits)),
        header_timeout,
        shutdown_signal(),
    )
    .await;
    tracing::info!("rema-server stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: refusing new connections, finishing in-flight requests");
}
