//! Server-sent events: an answer that carries messages as they come, and
//! the bound on how many such streams a replica keeps open.
//!
//! A stream holds a permit from [`Streams`] for as long as it is open;
//! past `TALLY_MAX_STREAMS` a new one is refused at once (`503`), so open
//! streams cannot grow memory without bound. At shutdown every stream ends,
//! so the drain does not wait for clients that would never leave.

use std::convert::Infallible;
use std::sync::Arc;

use axum::response::IntoResponse;
use axum::response::sse::{Event, Sse};
use http::{HeaderValue, header};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;

use super::respond::Response;

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
    pub sender: mpsc::Sender<Event>,
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

    /// Opens a stream: the answer to send, and what its writer holds.
    /// `None` when `TALLY_MAX_STREAMS` are open already.
    pub fn open(&self) -> Option<(Response, Opened)> {
        let place = Arc::clone(&self.permits).try_acquire_owned().ok()?;
        let (sender, receiver) = mpsc::channel(8);
        let events = ReceiverStream::new(receiver).map(Ok::<_, Infallible>);
        let mut response = Sse::new(events).into_response();
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
pub fn event(name: &str, data: &str) -> Event {
    Event::default().event(name).data(data)
}

/// A comment line, which keeps idle proxies from closing the stream.
pub fn keep_alive() -> Event {
    Event::default().comment("keep-alive")
}
