//! `rema-server`: binds the router of `rema_server::app` and serves it until
//! SIGTERM or Ctrl-C, letting in-flight requests finish.

use clap::Parser;

/// The rema engine over HTTP.
#[derive(Debug, Parser)]
#[command(name = "rema-server", version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "REMA_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    /// SQLite file of stored analyses (created on first start).
    #[arg(long, env = "REMA_DB", default_value = "rema.db")]
    db: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(&args.bind).await?;
    tracing::info!(bind = %listener.local_addr()?, db = %args.db, "rema-server listening");
    axum::serve(listener, rema_server::app(rema_server::AppState::default()))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
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
}
