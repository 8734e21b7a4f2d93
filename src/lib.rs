//! tally counts a public web portal's visits and page views and runs its
//! site poll.
//!
//! Data flows one way: a request enters at a listener ([`public`] or
//! [`ops`]) through the edge's door ([`edge`]), which parses it, resolves
//! its client and applies limits; the domain ([`counter`], [`poll`],
//! [`voting`], [`identity`]) decides what it means; the [`store`] persists
//! it atomically; the listener renders the answer. [`app`] binds the
//! listeners and runs it all until shutdown.
#![forbid(unsafe_code)]

pub mod app;
pub mod archive;
pub mod audit;
pub mod calendar;
pub mod challenge;
pub mod clock;
pub mod config;
pub mod counter;
pub mod damage;
pub mod edge;
pub mod editing;
pub mod history;
pub mod identity;
pub mod ids;
pub mod lang;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod pacing;
pub mod poll;
pub mod polls_file;
pub mod privacy;
pub mod public;
pub mod retention;
pub mod roles;
pub mod sessions;
pub mod site;
pub mod site_book;
pub mod sites;
pub mod store;
pub mod telemetry;
pub mod visit;
pub mod voting;
