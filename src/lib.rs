//! tally counts a public web portal's visits and page views and runs its
//! site poll.
//!
//! Data flows one way: a request enters at the edge ([`http`]), which parses
//! it, identifies the visitor and applies limits; the domain ([`counter`],
//! [`poll`]) decides what it means; the [`store`] persists it atomically; the
//! edge renders the answer. [`app`] binds the listeners and runs it all until
//! shutdown.
#![forbid(unsafe_code)]

pub mod app;
pub mod audit;
pub mod calendar;
pub mod challenge;
pub mod clock;
pub mod config;
pub mod counter;
pub mod editing;
pub mod history;
pub mod http;
pub mod ids;
pub mod lang;
pub mod metrics;
pub mod poll;
pub mod privacy;
pub mod sessions;
pub mod site;
pub mod store;
pub mod telemetry;
pub mod visit;
pub mod voting;
