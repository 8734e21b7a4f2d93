//! Accepting connections: HTTP/1.1 and HTTP/2 on one listener, a cap on open
//! connections, header and idle timeouts, and a graceful drain at shutdown.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

use super::admission::Saturation;
use super::respond::Response;
use crate::config::Limits;
use crate::metrics::Metrics;

/// When a connection last finished a request, and how many it has open.
struct Activity {
    since: Instant,
    last_ms: AtomicU64,
    open: AtomicUsize,
}

impl Activity {
    fn touch(&self) {
        self.last_ms
            .store(self.since.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Option<Duration> {
        if self.open.load(Ordering::Relaxed) > 0 {
            return None;
        }
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        Some(self.since.elapsed().saturating_sub(last))
    }
}

/// Resolves once the connection has had no request open for `limit`.
async fn idle(activity: &Activity, limit: Duration) {
    let mut wait = limit;
    loop {
        tokio::time::sleep(wait).await;
        match activity.idle_for() {
            Some(idle) if idle >= limit => return,
            Some(idle) => wait = limit - idle,
            None => wait = limit,
        }
    }
}

/// Serves `listener` until `shutdown` turns true, then lets open requests
/// finish for up to `grace`. `at_cap` says while the listener sits at its
/// connection cap (new clients wait in the kernel's backlog meanwhile).
#[allow(clippy::too_many_arguments)]
pub async fn serve<M, S>(
    listener: TcpListener,
    name: &'static str,
    limits: Limits,
    metrics: Arc<Metrics>,
    make_service: M,
    mut shutdown: watch::Receiver<bool>,
    grace: Duration,
    at_cap: Arc<Saturation>,
) where
    M: Fn(SocketAddr) -> S,
    S: tower::Service<Request<Incoming>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // Hyper runs this clock whenever it waits for a request head, so a
        // slow-loris client and an idle keep-alive connection both go.
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
        .max_concurrent_streams(100)
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .keep_alive_timeout(Duration::from_secs(20));
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let open = metrics.connections.with_label_values(&[name]);
    loop {
        let permit = match Arc::clone(&permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                at_cap.begin();
                tokio::select! {
                    permit = Arc::clone(&permits).acquire_owned() => permit.expect("the semaphore is never closed"),
                    _ = shutdown.changed() => break,
                }
            }
        };
        at_cap.end();
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off briefly.
                    tracing::warn!(listener = name, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity {
            since: Instant::now(),
            last_ms: AtomicU64::new(0),
            open: AtomicUsize::new(0),
        });
        let inner = make_service(peer);
        let tracked = Arc::clone(&activity);
        let service = tower::service_fn(move |req: Request<Incoming>| {
            tracked.open.fetch_add(1, Ordering::Relaxed);
            let tracked = Arc::clone(&tracked);
            let call = inner.clone().oneshot(req);
            async move {
                let response = call.await;
                tracked.touch();
                tracked.open.fetch_sub(1, Ordering::Relaxed);
                response
            }
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let mut stop = shutdown.clone();
        let idle_limit = limits.idle_timeout;
        let open = open.clone();
        open.inc();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let mut closing = false;
            loop {
                tokio::select! {
                    ended = connection.as_mut() => {
                        if let Err(e) = ended {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                        break;
                    }
                    _ = stop.changed(), if !closing => {
                        connection.as_mut().graceful_shutdown();
                        closing = true;
                    }
                    _ = idle(&activity, idle_limit), if !closing => {
                        connection.as_mut().graceful_shutdown();
                        closing = true;
                    }
                }
            }
            open.dec();
            drop(permit);
        });
    }
    drop(listener);
    // Every connection holds a permit until it has closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(grace, permits.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(
            listener = name,
            "grace period over with connections still open"
        );
    }
}
