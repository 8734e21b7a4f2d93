//! One portal as the domain sees it: its id (every stored key lives under
//! it), where its data lives, its calendar and its clock. The counter, the
//! polls and the address hashing each serve one site.

use std::sync::Arc;

use crate::calendar::Calendar;
use crate::clock::Clock;
use crate::ids::SiteId;
use crate::metrics::Metrics;
use crate::store::Store;

/// A portal served by this deployment, and what serving it takes.
#[derive(Clone)]
pub struct Site {
    pub id: SiteId,
    pub store: Arc<dyn Store>,
    pub calendar: Calendar,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<Metrics>,
}
