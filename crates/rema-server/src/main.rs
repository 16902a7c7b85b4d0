//! `rema-server`: opens the store, binds the router of `rema_server::app` and
//! serves it until SIGTERM or Ctrl-C. On the signal it stops accepting
//! connections and lets in-flight requests finish. `rema-server token …`
//! manages the API tokens and `rema-server audit-log` prints the audit log.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use rema_server::store::{AuditEntry, DEFAULT_PROJECT};
use rema_server::{app, Access, AppState, Limits, Store};

/// The rema meta-analysis engine over HTTP.
///
/// Serves the JSON API (POST /v1/analyses, GET and DELETE /v1/analyses/{id},
/// GET /v1/analyses, GET /v1/audit-log, GET /openapi.json, GET /healthz) and
/// a web page at /. Every analysis is stored in a SQLite file (created on
/// first start, WAL mode). Every flag can also be set from the environment
/// variable shown. The API and its security are documented in docs/SERVER.md.
///
/// Every /v1 request needs `Authorization: Bearer <token>` once a token
/// exists (`rema-server token create`). Without one, the server runs open on
/// a loopback address only, and refuses to start on any other address unless
/// --insecure-open is given.
///
/// Examples:
///   rema-server
///   rema-server token create --name alice --project trial-a
///   rema-server --bind 0.0.0.0:8443 --db /var/lib/rema/rema.db \
///       --tls-cert /etc/rema/cert.pem --tls-key /etc/rema/key.pem
///   REMA_BIND=127.0.0.1:9000 REMA_COMPUTE_TIMEOUT_SECS=10 rema-server
///   RUST_LOG=debug rema-server        # more logging (tracing, to stderr)
#[derive(Debug, Parser)]
#[command(
    name = "rema-server",
    version,
    about,
    verbatim_doc_comment,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: Args,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create, list and revoke API tokens (stored as SHA-256 hashes in the database).
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Print the audit log, newest first: when, token, address, method, route,
    /// analysis, status, outcome.
    AuditLog {
        /// SQLite file of the server.
        #[arg(long, env = "REMA_DB", default_value = "rema.db")]
        db: PathBuf,
        /// Only this project's entries.
        #[arg(long)]
        project: Option<String>,
        /// How many entries.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

#[derive(Debug, Subcommand)]
enum TokenAction {
    /// Create a token and print it once on stdout; only its hash is kept.
    Create {
        /// A name for the token (who or what uses it), unique among active tokens.
        #[arg(long)]
        name: String,
        /// The project whose analyses the token sees.
        #[arg(long, default_value = DEFAULT_PROJECT)]
        project: String,
        /// SQLite file of the server.
        #[arg(long, env = "REMA_DB", default_value = "rema.db")]
        db: PathBuf,
    },
    /// List the tokens: id, name, project, created, revoked.
    List {
        /// SQLite file of the server.
        #[arg(long, env = "REMA_DB", default_value = "rema.db")]
        db: PathBuf,
    },
    /// Revoke a token by id or name; it is refused from the next request on.
    Revoke {
        /// The token's id (from `token list`) or its name.
        token: String,
        /// SQLite file of the server.
        #[arg(long, env = "REMA_DB", default_value = "rema.db")]
        db: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
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
    /// Requests per minute one token may send; more are answered 429 with
    /// Retry-After (0: no limit).
    #[arg(long, env = "REMA_RATE_LIMIT_PER_MINUTE", default_value_t = Limits::default().rate_limit_per_minute)]
    rate_limit_per_minute: u32,
    /// Failed authentications per minute from one address before its
    /// requests are answered 429 (0: no limit).
    #[arg(long, env = "REMA_AUTH_FAILURES_PER_MINUTE", default_value_t = Limits::default().auth_failures_per_minute)]
    auth_failures_per_minute: u32,
    /// Analyses one project may hold; more are answered 409 (0: no cap).
    #[arg(long, env = "REMA_MAX_ANALYSES_PER_PROJECT", default_value_t = Limits::default().max_analyses_per_project)]
    max_analyses_per_project: u64,
    /// Delete analyses (and audit-log entries) older than this many days, at
    /// start and every hour. Unset: keep everything.
    #[arg(long, env = "REMA_RETAIN_DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    retain_days: Option<u32>,
    /// Serve without authentication on a non-loopback address when no token
    /// exists: anyone who can reach the address can read, change and delete
    /// every analysis. Only behind a proxy that authenticates.
    #[arg(long, env = "REMA_INSECURE_OPEN")]
    insecure_open: bool,
    /// Origin allowed to call the API from a browser page (CORS), e.g.
    /// https://review.example.org; repeat or separate with commas. Unset:
    /// no cross-origin access.
    #[arg(long, env = "REMA_CORS_ORIGIN", value_delimiter = ',')]
    cors_origin: Vec<String>,
    /// PEM certificate chain: serve HTTPS (with --tls-key).
    #[arg(long, env = "REMA_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "REMA_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
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
            rate_limit_per_minute: self.rate_limit_per_minute,
            auth_failures_per_minute: self.auth_failures_per_minute,
            max_analyses_per_project: self.max_analyses_per_project,
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
    let cli = Cli::parse();
    match cli.command {
        None => serve(cli.serve).await,
        Some(command) => admin(command),
    }
}

fn open_store(db: &std::path::Path) -> anyhow::Result<Store> {
    Store::open(db).with_context(|| format!("cannot open the database {}", db.display()))
}

/// `token …` and `audit-log`.
fn admin(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Token { action } => match action {
            TokenAction::Create { name, project, db } => {
                let t = open_store(&db)?.create_token(&name, &project)?;
                eprintln!(
                    "token `{}` (id {}) for project `{}` created; it is printed once, below: keep it secret",
                    t.info.name, t.info.id, t.info.project
                );
                println!("{}", t.token);
            }
            TokenAction::List { db } => {
                println!("id            name                 project              created                   revoked");
                for t in open_store(&db)?.tokens()? {
                    println!(
                        "{:<13} {:<20} {:<20} {:<25} {}",
                        t.id,
                        t.name,
                        t.project,
                        t.created_at,
                        t.revoked_at.as_deref().unwrap_or("-")
                    );
                }
            }
            TokenAction::Revoke { token, db } => {
                let t = open_store(&db)?.revoke_token(&token)?;
                eprintln!("token `{}` (id {}) revoked", t.name, t.id);
            }
        },
        Command::AuditLog { db, project, limit } => {
            let (entries, total) = open_store(&db)?.audit_log(project.as_deref(), limit, 0)?;
            for AuditEntry { at, event: e } in entries {
                let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
                println!(
                    "{} {} {} {} {} {} {} {} {}",
                    at,
                    or_dash(&e.token_name),
                    or_dash(&e.project),
                    or_dash(&e.address),
                    e.method,
                    e.route,
                    or_dash(&e.analysis_id),
                    e.status,
                    e.outcome
                );
            }
            eprintln!("{total} entries in all");
        }
    }
    Ok(())
}

async fn serve(args: Args) -> anyhow::Result<()> {
    let limits = args.limits()?;
    let header_timeout = args.header_timeout()?;
    let cors_origins = args
        .cors_origin
        .iter()
        .map(|o| rema_server::web::parse_origin(o.trim()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("--cors-origin: {e}"))?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(rema_server::tls::acceptor(cert, key)?),
        _ => None,
    };
    let store = open_store(&args.db)?;
    if let Some(days) = args.retain_days {
        remove_old(&store, days);
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(&args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?
        .collect();
    let loopback = !addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback());
    let tokens = store.active_tokens()?;
    anyhow::ensure!(
        loopback || tokens > 0 || args.insecure_open,
        "refusing to listen on {} without authentication: create a token first \
         (rema-server token create --name NAME --db {}), or pass --insecure-open to serve \
         without authentication (anyone who can reach the address can read, change and delete \
         every analysis)",
        args.bind,
        args.db.display()
    );
    let listener = tokio::net::TcpListener::bind(&args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let bound = listener.local_addr()?;
    tracing::info!(
        bind = %bound,
        db = %args.db.display(),
        tls = tls.is_some(),
        ?limits,
        ?header_timeout,
        "rema-server listening"
    );
    if tokens > 0 {
        tracing::info!(
            active_tokens = tokens,
            "authentication: bearer tokens required on /v1"
        );
    } else if loopback || args.insecure_open {
        tracing::warn!(
            "authentication: open mode: no token is configured, so anyone who can connect to {bound} \
             can read, change and delete every analysis; create a token (rema-server token create) \
             to require one"
        );
    }
    if !loopback && tls.is_none() {
        tracing::warn!(
            "serving plain HTTP on a non-loopback address: tokens and data cross the network \
             unencrypted unless a TLS proxy is in front (docs/SERVER.md), or use --tls-cert/--tls-key"
        );
    }
    let mut state = AppState::new(store.clone(), limits);
    state.access = if loopback || args.insecure_open {
        Access::OpenUntilTokens
    } else {
        Access::TokensOnly
    };
    state.cors_origins = cors_origins.into();
    if let Some(days) = args.retain_days {
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(3600));
            every.tick().await;
            loop {
                every.tick().await;
                let store = store.clone();
                let _ = tokio::task::spawn_blocking(move || remove_old(&store, days)).await;
            }
        });
    }
    rema_server::serve::serve(listener, app(state), header_timeout, tls, shutdown_signal()).await;
    tracing::info!("rema-server stopped");
    Ok(())
}

/// Applies `--retain-days`, logging what it removed.
fn remove_old(store: &Store, days: u32) {
    match store.remove_older_than(days) {
        Ok((analyses, entries)) => {
            tracing::info!(
                days,
                analyses,
                audit_entries = entries,
                "retention: removed older data"
            )
        }
        Err(e) => tracing::error!(error = %e, "retention: removing older data failed"),
    }
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
