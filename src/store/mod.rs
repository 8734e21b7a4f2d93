//! Where state lives: one interface, two homes. [`redis`] keeps it in Redis
//! (standalone or Cluster) with one Lua script per operation; [`embedded`]
//! keeps it in a redb file on local disk. Both pass the same conformance
//! suite (`tests/store_conformance.rs`).
//!
//! Every operation is atomic. A visitor's hit touches only that visitor's
//! keys; the site-wide counters are written in batches (see
//! [`crate::counter`]), so no single key takes every hit.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use thiserror::Error;

use crate::calendar::Buckets;
use crate::config::StoreSettings;
use crate::ids::{AddressKey, OptionId, PageId, PageKey, PollId, SiteId, VisitId, VisitorKey};
use crate::poll::Poll;

pub mod embedded;
pub mod keys;
pub mod record;
pub mod redis;
pub mod timed;

/// The store could not do what was asked.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The store did not answer (down, unreachable, too slow).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store refused tally's credentials: a setting to fix, not a
    /// failure to wait out.
    #[error("store refused the credentials: {0}")]
    Credentials(String),
    /// The store answered something this version cannot read.
    #[error("unexpected data in the store: {0}")]
    Corrupt(String),
}

/// A visitor's hit, as the store sees it. The store applies
/// [`crate::counter::visit::touch`] to the visitor's state in one atomic step.
#[derive(Debug, Clone)]
pub struct Touch {
    pub visitor: VisitorKey,
    /// An address-hash identity in the visitor's slot whose live visit the
    /// visitor continues when it has no state of its own yet (a cookie
    /// issued to that address hash, coming back for the first time).
    pub inherit: Option<VisitorKey>,
    pub page: Option<PageKey>,
    pub at_ms: i64,
    /// The local day of `at_ms`, as `yyyymmdd`.
    pub day: u32,
    pub window_ms: i64,
    /// Most pages one visitor's state remembers.
    pub max_pages: u32,
    /// Random per hit: a touch sent again with the same id (its answer was
    /// lost) gets the answer the first one had, and changes nothing.
    pub id: u64,
}

/// What a hit turned out to be.
pub type TouchOutcome = crate::counter::visit::Verdict;

/// Counter increments gathered over a flush interval. `id` makes writing it
/// idempotent: a batch whose answer was lost can be sent again safely.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    pub id: String,
    pub visits: Vec<(Buckets, u64)>,
    pub page_views: Vec<(PageId, u64)>,
    /// Visits seen, with when (ms); they make up "online".
    pub seen: Vec<(VisitId, i64)>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.visits.is_empty() && self.page_views.is_empty() && self.seen.is_empty()
    }
}

/// What a counter read asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterQuery {
    pub today: String,
    pub yesterday: String,
    pub week: String,
    pub month: String,
    /// Visitors seen at or after this instant (ms) are online.
    pub online_since_ms: i64,
    pub pages: Vec<PageId>,
}

/// The site's counters as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CounterSnapshot {
    pub baseline: u64,
    /// Visits counted by tally (without the baseline).
    pub visits: u64,
    pub today: u64,
    pub yesterday: u64,
    pub this_week: u64,
    pub this_month: u64,
    pub online: u64,
    /// Views of the queried pages, in query order.
    pub pages: Vec<u64>,
    /// Distinct pages stored (what `TALLY_MAX_PAGES` caps).
    pub distinct_pages: u64,
    /// Page views of this batch not kept because of the distinct-page cap.
    pub views_dropped: u64,
}

/// A poll with its per-option counts (in `poll.options` order) and, when a
/// visitor was named, what that visitor chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollState {
    pub poll: Poll,
    pub votes: Vec<u64>,
    /// People who cast a ballot (with several choices, fewer than votes).
    pub voters: u64,
    pub voted: Option<Vec<OptionId>>,
}

impl PollState {
    /// Rebuilds the state from stored parts; counts for options the poll no
    /// longer has are ignored.
    pub fn from_counts(
        poll: Poll,
        counts: &HashMap<String, u64>,
        voted: Option<Vec<OptionId>>,
    ) -> Self {
        let votes = poll
            .options
            .iter()
            .map(|o| counts.get(o.id.as_str()).copied().unwrap_or(0))
            .collect();
        let voters = counts.get(VOTERS_FIELD).copied().unwrap_or(0);
        Self {
            poll,
            votes,
            voters,
            voted,
        }
    }
}

/// Beside the option ids in a poll's counts: how many people voted. Option
/// ids are `[a-z0-9-]`, so it cannot clash with one.
pub const VOTERS_FIELD: &str = "_voters";

/// How storing a poll definition went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutPoll {
    Created,
    Replaced,
    Unchanged,
    /// Refused: these options, which the new definition drops, hold ballots.
    Conflict(Vec<(OptionId, u64)>),
}

/// A ballot, checked at the edge against the poll's options.
#[derive(Debug, Clone)]
pub struct Ballot {
    /// Random per ballot; stored with the choices, so a ballot whose answer
    /// was lost can be recognised and retracted.
    pub id: u64,
    pub poll: PollId,
    /// A person: a cookie or first-party id, or a fresh id issued with
    /// this ballot. Never an address hash, which may be several people.
    pub visitor: VisitorKey,
    pub address: AddressKey,
    pub choices: Vec<OptionId>,
    pub at_ms: i64,
    /// The local day the per-address cap counts in.
    pub day: String,
    pub address_cap: u32,
    /// Wall-clock instant (ms since the Unix epoch) after which the store
    /// must refuse to count the ballot: the caller has given up waiting by
    /// then and answered 503, so counting it later would make that answer
    /// false.
    pub deadline_ms: i64,
}

/// The store's verdict on a ballot, by [`crate::poll::judge`]'s rules, in
/// the same atomic step that counts it.
pub use crate::poll::Verdict;

/// One interface, two homes.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// A short name for logs and metrics: `embedded`, `redis`, `redis-cluster`.
    fn kind(&self) -> &'static str;

    /// Answers when the store is reachable.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Records a hit on the visitor's own state and says whether it starts a
    /// visit and whether it is a new view of the page.
    async fn touch(&self, site: &SiteId, touch: &Touch) -> Result<TouchOutcome, StoreError>;

    /// Adds a batch of counter increments (once, however often it is sent)
    /// and reads the counters back, in one atomic step.
    async fn apply(
        &self,
        site: &SiteId,
        batch: Option<&Batch>,
        query: &CounterQuery,
        max_pages: u64,
    ) -> Result<CounterSnapshot, StoreError>;

    /// Views of `pages`, in order (0 for a page the store does not keep:
    /// a kept page has at least one view).
    async fn page_views(&self, site: &SiteId, pages: &[PageId]) -> Result<Vec<u64>, StoreError>;

    async fn set_baseline(&self, site: &SiteId, baseline: u64) -> Result<(), StoreError>;

    /// The key for hashing addresses on `day`: the stored one, or
    /// `candidate` if there is none yet. It is deleted once `lifetime` is
    /// over (Redis) or when the next day's key is made (embedded).
    async fn daily_key(
        &self,
        site: &SiteId,
        day: &str,
        candidate: [u8; 32],
        lifetime: std::time::Duration,
    ) -> Result<[u8; 32], StoreError>;

    /// Creates or replaces a poll. Dropping options that hold ballots is
    /// refused unless `force`; forced, their counts are deleted.
    async fn put_poll(
        &self,
        site: &SiteId,
        poll: &Poll,
        force: bool,
    ) -> Result<PutPoll, StoreError>;

    async fn list_polls(&self, site: &SiteId) -> Result<Vec<Poll>, StoreError>;

    async fn poll_state(
        &self,
        site: &SiteId,
        poll: &PollId,
        visitor: Option<&VisitorKey>,
    ) -> Result<Option<PollState>, StoreError>;

    /// Counts a ballot exactly once, or says why not, in one atomic step.
    /// `None` when the poll does not exist.
    async fn cast(
        &self,
        site: &SiteId,
        ballot: &Ballot,
    ) -> Result<Option<(Verdict, PollState)>, StoreError>;

    /// Undoes `ballot` if it was counted (it is recognised by its id), in
    /// one atomic step; says whether it was. For ballots whose caller was
    /// answered 503 though the store may have counted them.
    async fn retract(&self, site: &SiteId, ballot: &Ballot) -> Result<bool, StoreError>;

    /// Housekeeping that TTLs do not do by themselves (the embedded store
    /// deletes expired state here, a bounded slice at a time). Called every
    /// flush interval; each call is short.
    async fn maintain(&self, now_ms: i64) -> Result<(), StoreError>;

    /// Makes everything written so far durable (before exit).
    async fn sync(&self) -> Result<(), StoreError>;
}

/// Opens the store the settings name. `sync_every` bounds how long the
/// embedded store keeps a hit's write before making it durable.
pub async fn open(
    settings: &StoreSettings,
    redis_ca_file: Option<&std::path::Path>,
    timeout: std::time::Duration,
    sync_every: std::time::Duration,
) -> anyhow::Result<Arc<dyn Store>> {
    let ca = match redis_ca_file {
        Some(path) => Some(std::fs::read(path).map_err(|e| {
            anyhow::anyhow!("TALLY_REDIS_CA_FILE: cannot read {}: {e}", path.display())
        })?),
        None => None,
    };
    Ok(match settings {
        StoreSettings::Embedded { data_dir } => {
            Arc::new(embedded::EmbeddedStore::open(data_dir, sync_every)?)
        }
        StoreSettings::Redis { url } => Arc::new(redis::RedisStore::standalone(url, ca, timeout)?),
        StoreSettings::Cluster { nodes } => {
            Arc::new(redis::RedisStore::cluster(nodes, ca, timeout)?)
        }
    })
}
