//! The edge: routing, client address and identity, CORS, limits, and
//! rendering answers as JSON or HTML. It calls the domain (the counter, the
//! polls) and never the store; each route's handler holds only the domain
//! service it serves.
//!
//! - [`router`]: both listeners' route tables;
//! - [`public`] and [`ops`]: the two listeners' doors and dispatch;
//! - [`api`]: the JSON API by area, and its typed bodies;
//! - [`pages`]: tally's HTML pages and badge, from templates;
//! - [`console`]: the editors' console on the ops listener;
//! - [`error`]: every client-visible error, in one table;
//! - the rest: who asks ([`client`], [`identity`], [`origin`]), how much
//!   ([`limit`], [`admission`], [`auth`]), and the plumbing.

pub mod admission;
pub mod api;
mod assets;
pub mod auth;
pub mod client;
pub mod console;
pub mod error;
pub mod export;
pub mod i18n;
pub mod identity;
pub mod limit;
pub mod meters;
pub mod openapi;
pub mod ops;
pub mod origin;
pub mod pages;
pub mod public;
pub mod respond;
pub mod router;
pub mod server;
pub mod stream;
