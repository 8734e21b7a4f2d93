//! Server-sent events: a response body that carries messages as they come,
//! and the bound on how many such streams a replica keeps open.
//!
//! A stream holds a permit from [`Streams`] for as long as it is open;
//! past `TALLY_MAX_STREAMS` a new one is refused at once (`503`), so open
//! streams cannot grow memory without bound. At shutdown every stream ends,
//! so the drain does not wait for clients that would never leave.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use http_body::Frame;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};

use super::respond::{Body, Response};

/// The body of an event stream: whatever its sender sends, until it stops.
pub struct EventStream(mpsc::Receiver<Bytes>);

impl http_body::Body for EventStream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|message| message.map(|b| Ok(Frame::data(b))))
    }
}

/// The open streams of this replica.
pub struct Streams {
    permits: Arc<Semaphore>,
    closing: watch::Sender<bool>,
    /// `tally_live_streams`.
    gauge: prometheus::IntGauge,
}

/// What a stream's writer holds: its place among the open streams, the
/// way to its client, and word of shutdown.
pub struct Opened {
    pub sender: mpsc::Sender<Bytes>,
    pub closing: watch::Receiver<bool>,
    _place: OwnedSemaphorePermit,
    gauge: prometheus::IntGauge,
}

impl Drop for Opened {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

impl Streams {
    pub fn new(max: usize, gauge: prometheus::IntGauge) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max)),
            closing: watch::channel(false).0,
            gauge,
        }
    }

    /// Opens a stream: the response to send, and what its writer holds.
    /// `None` when `TALLY_MAX_STREAMS` are open already.
    pub fn open(&self) -> Option<(Response, Opened)> {
        let place = Arc::clone(&self.permits).try_acquire_owned().ok()?;
        let (sender, receiver) = mpsc::channel(8);
        let mut response = http::Response::new(Body::Events(EventStream(receiver)));
        *response.status_mut() = StatusCode::OK;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream; charset=utf-8"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        // Proxies that buffer answers (nginx) would hold the events back.
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
        self.gauge.inc();
        let opened = Opened {
            sender,
            closing: self.closing.subscribe(),
            _place: place,
            gauge: self.gauge.clone(),
        };
        Some((response, opened))
    }

    /// Ends every stream, now and from now on (at shutdown).
    pub fn close(&self) {
        self.permits.close();
        let _ = self.closing.send(true);
    }
}

/// One event: its name and its data (one line of JSON).
pub fn event(name: &str, data: &str) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

/// A comment line, which keeps idle proxies from closing the stream.
pub fn keep_alive() -> Bytes {
    Bytes::from_static(b": keep-alive\n\n")
}
