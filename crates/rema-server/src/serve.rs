//! The accept loop: HTTP/1.1 connections served with hyper, with a timeout
//! on reading a request's headers, and a graceful shutdown.
//!
//! `axum::serve` sets no timer on hyper's connection builder, so hyper's
//! header-read timeout never applies there and a client that trickles its
//! headers one byte at a time holds a connection (and a task) forever. This
//! loop sets the timer: a connection whose request headers have not all
//! arrived within `header_timeout` is closed. (The body has its own limit,
//! `Limits::body_timeout`, enforced by the handlers with a 408.)
//!
//! Each request carries the client's address (`ConnectInfo<SocketAddr>`)
//! for the rate limit of failed authentications and the audit log. With a
//! TLS acceptor each connection is a TLS connection, whose handshake must
//! also finish within `header_timeout`.

use std::future::Future;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::{Extension, Router};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::Layer;

/// Serves `router` on `listener` until `shutdown` completes, then stops
/// accepting, lets in-flight requests finish and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    header_timeout: Duration,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: say so and
                        // give the system a moment rather than spin.
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let service = TowerToHyperService::new(
                    Extension(ConnectInfo(peer)).layer(router.clone()),
                );
                match &tls {
                    None => {
                        let conn = builder.serve_connection(TokioIo::new(stream), service);
                        let conn = graceful.watch(conn);
                        tokio::spawn(async move {
                            if let Err(e) = conn.await {
                                tracing::debug!(error = %e, "connection closed with an error");
                            }
                        });
                    }
                    Some(acceptor) => {
                        let handshake = acceptor.accept(stream);
                        let (builder, watcher) = (builder.clone(), graceful.watcher());
                        tokio::spawn(async move {
                            let stream = match tokio::time::timeout(header_timeout, handshake).await {
                                Ok(Ok(stream)) => stream,
                                Ok(Err(e)) => {
                                    tracing::debug!(error = %e, %peer, "TLS handshake failed");
                                    return;
                                }
                                Err(_) => {
                                    tracing::debug!(%peer, "TLS handshake timed out");
                                    return;
                                }
                            };
                            let conn = builder.serve_connection(TokioIo::new(stream), service);
                            if let Err(e) = watcher.watch(conn).await {
                                tracing::debug!(error = %e, "connection closed with an error");
                            }
                        });
                    }
                }
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    graceful.shutdown().await;
}
