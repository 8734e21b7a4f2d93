//! The HTTP edge's kit, shared by both listeners: accepting connections
//! ([`server`]), the door every request passes ([`door`]: client address,
//! limits, CORS, the body, a turn, refusals rendered, security headers,
//! metrics), every client-visible error in one table ([`error`]), the words
//! of every message ([`text`]), and what a request says about its client
//! ([`client`], [`visitor`], [`origin`], [`auth`] with its [`throttle`]). The listeners' own
//! routes live in [`crate::public`] and [`crate::ops`].

pub mod admission;
pub mod auth;
pub mod client;
pub mod doc;
pub mod door;
pub mod error;
pub mod extract;
pub mod limit;
pub mod meters;
pub mod origin;
pub mod paging;
pub mod poll_json;
pub mod respond;
pub mod routes;
pub mod schema;
pub mod server;
pub mod stream;
pub mod text;
pub mod throttle;
pub mod visitor;
