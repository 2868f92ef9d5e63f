//! The console's accept loop: its own over hyper rather than
//! `axum::serve`, which sets no header timeout and cannot tell a
//! connection's requests which connection they came on. Plain TCP or TLS
//! (`tls`), the handshake held to the headers' deadline.

use std::time::Duration;

use axum::Router;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::{HEADER_READ_TIMEOUT, connections};

/// Serves HTTP/1.1 on `listener` until `stop`, then lets each connection
/// finish its request (see [`RunningConsole::shutdown`] for how long).
/// Unlike `axum::serve`, headers must arrive within
/// [`HEADER_READ_TIMEOUT`], and connections are admitted by
/// [`connections::Connections`]: accepted at once, at most
/// [`MAX_CONNECTIONS_PER_ADDRESS`] per client address and
/// [`MAX_CONNECTIONS`] in all, the oldest of those no request of which
/// passed the token check dropped for a new one past
/// [`MAX_UNAUTHENTICATED_CONNECTIONS`] or the total.
/// A connection's byte stream: the socket, or TLS over it.
trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}

impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Stream for T {}

pub(crate) async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: Router,
    stop: CancellationToken,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let admitted = connections::Connections::new(connections::ConnectionLimits::DEFAULT);
    let tasks = TaskTracker::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, most likely: a pause, not a
                    // loop that spins on the same error.
                    tracing::warn!(action = "console_accept", status = "failed", error = %error);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = stop.cancelled() => break,
        };
        // None: closed at once (dropped here).
        let Some(connection) = admitted.admit(peer.ip()) else {
            continue;
        };
        let trust = connection.trust_handle();
        let routes = hyper_util::service::TowerToHyperService::new(app.clone());
        // Each request carries its connection, for the token check.
        let service = hyper::service::service_fn(
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(trust.clone());
                hyper::service::Service::call(&routes, request)
            },
        );
        let stop = stop.clone();
        let tls = tls.clone();
        tasks.spawn(async move {
            let dropped = connection.dropped();
            let stream: Box<dyn Stream> = match tls {
                None => Box::new(stream),
                // The handshake is held to the headers' deadline: a client
                // that never finishes it (or speaks plain HTTP) holds no
                // task for ever. A failed one is the client's: logged by
                // nobody, as a malformed request would be.
                Some(acceptor) => {
                    let handshake = tokio::select! {
                        done = tokio::time::timeout(HEADER_READ_TIMEOUT, acceptor.accept(stream)) => done,
                        () = dropped.cancelled() => return,
                        () = stop.cancelled() => return,
                    };
                    match handshake {
                        Ok(Ok(stream)) => Box::new(stream),
                        _ => return,
                    }
                }
            };
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT);
            let served = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let mut served = std::pin::pin!(served);
            tokio::select! {
                _ = served.as_mut() => return,
                // Made room for a newer one: the socket closes here.
                () = dropped.cancelled() => return,
                () = stop.cancelled() => served.as_mut().graceful_shutdown(),
            }
            let _ = served.await;
            drop(connection);
        });
    }
    tasks.close();
    tasks.wait().await;
}
