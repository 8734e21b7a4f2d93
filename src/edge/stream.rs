//! Server-sent events: an answer that carries messages as they come, and
//! the bounds on how many such streams a replica keeps open.
//!
//! A stream holds a permit from [`Streams`] for as long as it is open;
//! past `TALLY_MAX_STREAMS` a new one is refused at once (`503`), so open
//! streams cannot grow memory without bound. One client address (an IPv6
//! client's /64) holds at most `TALLY_MAX_STREAMS_PER_ADDRESS` of them
//! (`429` beyond), so no one address takes every place. At shutdown every
//! stream ends, so the drain does not wait for clients that would never
//! leave.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;

use axum::response::IntoResponse;
use axum::response::sse::{Event, Sse};
use http::{HeaderValue, header};
use parking_lot::Mutex;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;

use super::error::ApiError;
use super::respond::Response;
use crate::privacy::network;

/// The open streams of this replica.
pub struct Streams {
    permits: Arc<Semaphore>,
    /// Streams open per client network; an entry lives while one is open.
    held: Arc<Mutex<HashMap<[u8; 16], usize>>>,
    per_address: usize,
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
    _address: AddressPlace,
    gauge: prometheus::IntGauge,
}

/// One of an address's places, given back when dropped.
struct AddressPlace {
    held: Arc<Mutex<HashMap<[u8; 16], usize>>>,
    network: [u8; 16],
}

impl Drop for AddressPlace {
    fn drop(&mut self) {
        let mut held = self.held.lock();
        if let Some(n) = held.get_mut(&self.network) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.network);
            }
        }
    }
}

impl Drop for Opened {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

impl Streams {
    /// At most `max` streams, `per_address` of them for one client
    /// network.
    pub fn new(max: usize, per_address: usize, gauge: prometheus::IntGauge) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max)),
            held: Arc::default(),
            per_address,
            closing: watch::channel(false).0,
            gauge,
        }
    }

    /// Opens a stream for a client at `ip`: the answer to send, and what
    /// its writer holds. Refused when the client's network holds its share
    /// (`429`) or `TALLY_MAX_STREAMS` are open already (`503`).
    pub fn open(&self, ip: IpAddr) -> Result<(Response, Opened), ApiError> {
        let address = self.take_address_place(ip)?;
        let place = Arc::clone(&self.permits)
            .try_acquire_owned()
            .map_err(|_| ApiError::TooManyStreams)?;
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
            _address: address,
            gauge: self.gauge.clone(),
        };
        Ok((response, opened))
    }

    /// One of the places of `ip`'s network, if it has one left.
    fn take_address_place(&self, ip: IpAddr) -> Result<AddressPlace, ApiError> {
        let network = network(ip);
        let mut held = self.held.lock();
        let n = held.entry(network).or_insert(0);
        if *n >= self.per_address {
            return Err(ApiError::TooManyStreamsFromAddress {
                most: self.per_address,
            });
        }
        *n += 1;
        Ok(AddressPlace {
            held: Arc::clone(&self.held),
            network,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn streams(max: usize, per_address: usize) -> Streams {
        let gauge = prometheus::IntGauge::new("streams", "open streams").unwrap();
        Streams::new(max, per_address, gauge)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn one_address_at_its_share_leaves_places_for_others() {
        let streams = streams(10, 2);
        let mut open = Vec::new();
        for _ in 0..2 {
            open.push(streams.open(ip("198.51.100.7")).unwrap());
        }
        assert!(matches!(
            streams.open(ip("198.51.100.7")),
            Err(ApiError::TooManyStreamsFromAddress { most: 2 })
        ));
        // The same IPv6 /64 is one address; another /64 is not.
        open.push(streams.open(ip("2001:db8:0:1::1")).unwrap());
        open.push(streams.open(ip("2001:db8:0:1::2")).unwrap());
        assert!(streams.open(ip("2001:db8:0:1:ffff::3")).is_err());
        open.push(streams.open(ip("2001:db8:0:2::1")).unwrap());
        open.push(streams.open(ip("203.0.113.9")).unwrap());
        // A stream that ends gives its place back; nothing is kept for an
        // address with none open.
        open.remove(0);
        assert!(streams.open(ip("198.51.100.7")).is_ok());
        open.clear();
        assert!(streams.held.lock().is_empty());
    }

    #[test]
    fn the_replica_bound_still_holds_and_a_refusal_keeps_no_place() {
        let streams = streams(2, 8);
        let _a = streams.open(ip("198.51.100.7")).unwrap();
        let _b = streams.open(ip("198.51.100.8")).unwrap();
        assert!(matches!(
            streams.open(ip("198.51.100.9")),
            Err(ApiError::TooManyStreams)
        ));
        assert_eq!(streams.held.lock().len(), 2);
    }
}
