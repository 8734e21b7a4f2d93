//! Where state lives: one interface, two homes. [`redis`] keeps it in Redis
//! (standalone or Cluster) with one Lua script per operation; [`embedded`]
//! keeps it in a redb file on local disk. Both pass the same conformance
//! suite (`tests/it/store_conformance.rs`).
//!
//! The operations are grouped by concern, one trait each ([`Visits`],
//! [`Counters`], [`Shared`], [`Polls`], [`History`], [`Admin`], [`Archive`],
//! [`Life`], [`Defined`], [`Upkeep`], [`Retention`]), each store's in its file of the same name (`redis/polls.rs`, `embedded/polls.rs`, …): `grep "impl Polls
//! for"` finds the code. [`Store`] is every concern together.
//!
//! Every operation is atomic. A visitor's hit touches only that visitor's
//! keys; the site-wide counters are written in batches (see
//! [`crate::counter`]), so no single key takes every hit.

use async_trait::async_trait;
use jiff::Timestamp;

use crate::calendar::Day;
use crate::ids::{PageId, PollId, SiteId, VisitorKey};
use crate::poll::Poll;
pub mod embedded;
mod error;
mod import;
pub mod keys;
pub mod open;
pub mod piece;
pub mod record;
pub mod redis;
pub mod schema;
pub mod timed;
mod types;

pub use error::StoreError;
pub use import::*;
pub use types::*;

/// How long an export or a restore's batch may take: far longer than a
/// request's store timeout, as a whole site's state streams through it.
pub const ARCHIVE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(6 * 3600);

/// The store's operations, stated once and grouped by concern: this defines
/// one trait per concern (each implemented in the matching file of each
/// store), the list of operation names the metrics use, and the timing
/// wrapper [`timed::TimedStore`], which gives every call a deadline and a
/// measurement.
macro_rules! operations {
    ($(
        $(#[$trait_doc:meta])*
        pub trait $concern:ident {
            $(
                $(#[$doc:meta])*
                async fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty;
            )*
        }
    )*) => {
        $(
            $(#[$trait_doc])*
            #[async_trait]
            pub trait $concern: Send + Sync + 'static {
                $(
                    $(#[$doc])*
                    async fn $name(&self $(, $arg: $ty)*) -> Result<$ret, StoreError>;
                )*
            }

            #[async_trait]
            impl $concern for timed::TimedStore {
                $(
                    async fn $name(&self $(, $arg: $ty)*) -> Result<$ret, StoreError> {
                        self.timed(stringify!($name), self.inner().$name($($arg),*)).await
                    }
                )*
            }
        )*

        /// Every store operation, as the `operation` label names it.
        pub const OPERATIONS: &[&str] = &[$($(stringify!($name),)*)*];
    };
}

operations! {
    /// The store's own health and upkeep.
    pub trait Upkeep {
        /// Answers when the store is reachable.
        async fn ping(&self) -> ();

        /// Reads the store's schema stamp and does what it asks
        /// ([`schema`]), once: later calls answer what the first did. A
        /// store written by a newer tally is `Corrupt`, with the line to
        /// stop on.
        async fn settle_schema(&self) -> schema::Settled;

        /// Housekeeping that TTLs do not do by themselves (the embedded store deletes
        /// expired state here, a bounded slice at a time). Called every flush interval.
        async fn maintain(&self, now: Timestamp) -> ();

        /// Makes everything written so far durable (before exit).
        async fn sync(&self) -> ();
    }

    /// Each visitor's own state: what one hit decides.
    pub trait Visits {
        /// Records a hit on the visitor's own state and says whether it starts
        /// a visit and whether it is a new view of the page.
        async fn touch(&self, site: &SiteId, touch: &Touch) -> TouchOutcome;

        /// Whether `visitor` has a history here at `now`: the state of a hit
        /// still kept (a visit within its window). A ballot under an id
        /// without one is watched as a fresh identity.
        async fn visitor_known(&self, site: &SiteId, visitor: &VisitorKey, now: Timestamp) -> bool;
    }

    /// The site's counters and pages' views.
    pub trait Counters {
        /// Adds a batch of counter increments (once, however often it is
        /// sent) and reads the counters back, in one atomic step.
        async fn apply(
            &self,
            site: &SiteId,
            batch: &Batch,
            query: &CounterQuery,
            keep: &Keep,
        ) -> CounterSnapshot;

        /// Reads the counters.
        async fn read(&self, site: &SiteId, query: &CounterQuery) -> CounterSnapshot;

        /// Many sites' flushes in one call, each as `apply` (or `read`,
        /// without a batch) does it, answered in order: one round trip to
        /// one Redis server, a pipeline per node of a cluster, one write
        /// transaction embedded.
        async fn apply_sites(&self, flushes: &[SiteFlush]) -> Vec<Result<CounterSnapshot, StoreError>>;

        /// Views of `pages`, in order (0 for a page the store does not keep:
        /// a kept page has at least one view).
        async fn page_views(&self, site: &SiteId, pages: &[PageId]) -> Vec<u64>;

        async fn set_baseline(&self, site: &SiteId, baseline: u64) -> ();
    }

    /// What the replicas share: keys, secrets and challenge levels.
    pub trait Shared {
        /// The key for hashing addresses on `day`: the stored one, or
        /// `candidate` if there is none yet. It is deleted once `lifetime` is
        /// over (Redis) or when the next day's key is made (embedded).
        async fn daily_key(
            &self,
            site: &SiteId,
            day: Day,
            candidate: [u8; 32],
            lifetime: std::time::Duration,
        ) -> [u8; 32];

        /// A 32-byte key the replicas share, kept for good: the stored one, or
        /// `candidate` if there is none yet.
        async fn secret(&self, site: &SiteId, name: &str, candidate: [u8; 32]) -> [u8; 32];

        /// Shares this replica's raised challenge levels, each `(name, level)`
        /// in force until `until`, and answers every replica's still in force
        /// at `now`. A name's level is the highest offered and not expired;
        /// a lower offer waits for the higher one to expire.
        async fn share_levels(
            &self,
            site: &SiteId,
            raised: &[(String, u8)],
            until: Timestamp,
            now: Timestamp,
        ) -> Vec<(String, u8)>;
    }

    /// Polls, their ballots and their voters.
    pub trait Polls {
        /// Creates or replaces a poll. Dropping options that hold ballots is
        /// refused unless `force` (their counts then go); one with ballots never returns to draft.
        async fn put_poll(&self, site: &SiteId, poll: &Poll, force: bool) -> PutPoll;

        /// Every poll's definition, in no particular order.
        async fn list_polls(&self, site: &SiteId) -> Vec<Poll>;

        /// A number that moves whenever a poll is created, replaced or
        /// deleted (by any replica): a list keeps the definitions it read
        /// until it does, so checking costs one read, not one per poll.
        async fn polls_version(&self, site: &SiteId) -> u64;

        async fn poll_state(
            &self,
            site: &SiteId,
            poll: &PollId,
            visitor: Option<&VisitorKey>,
        ) -> Option<PollState>;

        /// The states of `polls`, in their order (`None` for one that does
        /// not exist), read at once: a page of a list costs one read, not
        /// one per poll.
        async fn poll_states(
            &self,
            site: &SiteId,
            polls: &[PollId],
            visitor: Option<&VisitorKey>,
        ) -> Vec<Option<PollState>>;

        /// Counts a ballot exactly once, or says why not, in one atomic step.
        /// `None` when the poll does not exist.
        async fn cast(&self, site: &SiteId, ballot: &Ballot) -> Option<(Verdict, PollState)>;

        /// Undoes a try at casting a ballot if that try is what the voter's
        /// record holds (a later try of the same ballot may have claimed it),
        /// and fences the try off should it arrive later, in one atomic step;
        /// says whether a count was undone. For ballots whose caller was
        /// answered 503 though the store may have counted them.
        async fn retract(&self, site: &SiteId, retraction: &Retraction) -> bool;

        /// Deletes a poll with its ballots, leaving a tombstone (kept for
        /// good); says whether it existed.
        async fn delete_poll(&self, site: &SiteId, poll: &PollId) -> bool;

        /// Whether `poll` was deleted (its tombstone is kept), so a polls
        /// file does not bring it back.
        async fn deleted(&self, site: &SiteId, poll: &PollId) -> bool;
    }

    /// What happened on each day.
    pub trait History {
        /// Visits on each day from `from` to `to`, both included (imported
        /// ones too), in order.
        async fn visits_by_day(&self, site: &SiteId, from: Day, to: Day) -> Vec<u64>;

        /// The most-read pages of each of `days` (at most `limit` each, most
        /// read first): what the history keeps of them.
        async fn pages_by_day(
            &self,
            site: &SiteId,
            days: &[Day],
            limit: u32,
        ) -> Vec<Vec<(PageId, u64)>>;

        /// `page`'s views on each of `days`, in order: 0 on a day that did
        /// not keep it (after a day ends only its most-read pages stay).
        async fn page_by_day(&self, site: &SiteId, page: &PageId, days: &[Day]) -> Vec<u64>;

        /// A poll's ballots per local day: `(day, option id or "_voters",
        /// count)`, in no order.
        async fn ballots_by_day(&self, site: &SiteId, poll: &PollId) -> Vec<(Day, String, u64)>;

        /// Folds a previous counter's daily visits into the history and the
        /// total, every day or none, in one atomic step: a day imported
        /// again replaces its earlier import, so importing the same file
        /// twice changes nothing. The outcome is kept under the import's id;
        /// the deadline is [`IMPORT_DEADLINE`], not the store timeout.
        async fn import_visits(&self, site: &SiteId, import: &Import) -> Imported;

        /// What became of import `id` when its call failed or ran out of
        /// time: what it did if it was applied; `None` if it was not, and
        /// then it never will be (fenced off in the same step, so a try
        /// still on its way changes nothing). `at` is now.
        async fn settle_import(&self, site: &SiteId, id: &str, at: Timestamp) -> Option<Imported>;
    }

    /// The editors' side: the audit log and console sessions.
    pub trait Admin {
        /// Adds an entry to the audit log (the newest [`MOST_AUDIT_ENTRIES`]
        /// are kept).
        async fn append_audit(&self, site: &SiteId, entry: &str) -> ();

        /// The newest `limit` audit entries, newest first.
        async fn audit(&self, site: &SiteId, limit: usize) -> Vec<String>;

        /// Keeps an editor's console session under the hash of its id, until
        /// `session.expires_at` (replacing one kept under that hash); `now`
        /// turns that moment into a time to live.
        async fn put_session(
            &self,
            site: &SiteId,
            hash: &str,
            session: &Session,
            now: Timestamp,
        ) -> ();

        /// The session kept under `hash`, unless it expired by `now`.
        async fn session(&self, site: &SiteId, hash: &str, now: Timestamp) -> Option<Session>;

        /// Forgets the session kept under `hash` (signing out).
        async fn end_session(&self, site: &SiteId, hash: &str) -> ();
    }

    /// Deleting what outlived its retention (`src/retention.rs`).
    pub trait Retention {
        /// Deletes up to `most` audit entries written before `before`,
        /// oldest first; says how many.
        async fn prune_audit(&self, site: &SiteId, before: Timestamp, most: u32) -> u64;

        /// Deletes a poll's voter records if it closed at or before
        /// `closed_by` (its counts stay), in one step; says how many.
        async fn forget_voters(&self, site: &SiteId, poll: &PollId, closed_by: Timestamp) -> u64;
    }

    /// A site's whole state, read out and written back (`tally backup`,
    /// `restore`, `check`; see `docs/backup.md`).
    pub trait Archive {
        /// Sends every piece of the site's state into `sink`, in the order
        /// of [`piece::Piece`]'s kinds, and says how many. The embedded
        /// store reads it in one read transaction; Redis reads each poll
        /// (counts, voters, days) in one script and the rest in pages. The
        /// deadline is [`ARCHIVE_DEADLINE`].
        async fn export(&self, site: &SiteId, sink: piece::Sink) -> u64;

        /// Adds `pieces` to the store (a restore into an empty store sets
        /// them); the deadline is [`ARCHIVE_DEADLINE`].
        async fn restore(&self, site: &SiteId, pieces: Vec<piece::Piece>) -> ();

        /// Whether the site holds anything yet, and the mark of a restore
        /// that did not finish.
        async fn holding(&self, site: &SiteId) -> piece::Holding;

        /// Sets the mark of a restore under way (`Some(cut, ms)`), written
        /// before its first piece, or removes it (`None`) after its last.
        async fn mark_restore(&self, site: &SiteId, cut: Option<i64>) -> ();
    }

    /// What a site's life needs beyond the sites file: a merge taken back,
    /// a site's data deleted, the marks of merges (`tally merge-site`; see
    /// `docs/sites.md`).
    pub trait Life {
        /// Takes back what [`Archive::restore`] of `pieces` added: each
        /// count less by the piece's (never below zero), and a poll's
        /// definition dropped with its counts, days and voters (its
        /// `PollDay` and `Voter` pieces go with it); audit entries and
        /// tombstones are left. The deadline is [`ARCHIVE_DEADLINE`].
        async fn withdraw(&self, site: &SiteId, pieces: Vec<piece::Piece>) -> ();

        /// Deletes every key of the site (on Redis Cluster, on every node)
        /// and its line in [`Life::listed_sites`]; says how many keys. The
        /// deadline is [`ARCHIVE_DEADLINE`].
        async fn forget_site(&self, site: &SiteId) -> u64;

        /// Sets the mark of `from`'s merge into `into`, or clears it.
        async fn mark_merge(
            &self,
            into: &SiteId,
            from: &SiteId,
            mark: Option<piece::MergeMark>,
        ) -> ();

        /// The merges into `into` that stand (not confirmed nor undone),
        /// by the id merged, in id order.
        async fn merges(&self, into: &SiteId) -> Vec<(String, piece::MergeMark)>;

        /// Records that the sites file lists each of `sites` at `at` (done
        /// at every start), so a site it no longer lists is known.
        async fn list_sites(&self, sites: Vec<SiteId>, at: Timestamp) -> ();

        /// Every site a start has listed, with when it was last listed, in
        /// id order ([`Life::forget_site`] takes a site off).
        async fn listed_sites(&self) -> Vec<(String, Timestamp)>;
    }

    /// Sites defined through the admin API and the console, beside the
    /// sites file's, so every replica and every start serves them.
    pub trait Defined {
        /// Writes `site`'s definition (JSON, as `crate::sites` writes it):
        /// a new site when `new`, refused (`false`) if the id holds one
        /// already; else a replacement of the one it holds, refused if it
        /// holds none. Each write moves [`Defined::sites_version`] on.
        async fn define_site(&self, site: &SiteId, definition: String, new: bool) -> bool;

        /// Takes `site`'s definition away, its data kept (`false`: none held); moves the version on.
        async fn undefine_site(&self, site: &SiteId) -> bool;

        /// Every site defined, with its definition, in id order.
        async fn defined_sites(&self) -> Vec<(String, String)>;

        /// Moves on with every definition written (0 before the first): a
        /// replica asks it, cheaply, before reading them all again.
        async fn sites_version(&self) -> u64;
    }
}

/// One interface, two homes: every concern, and a name.
pub trait Store:
    Upkeep + Visits + Counters + Shared + Polls + History + Admin + Archive + Life + Defined + Retention
{
    /// A short name for logs and metrics: `embedded`, `redis`,
    /// `redis-cluster`.
    fn kind(&self) -> &'static str;

    /// Whether the store's own disk takes writes now.
    fn disk(&self) -> DiskHealth {
        DiskHealth::default()
    }
}

impl Store for timed::TimedStore {
    fn kind(&self) -> &'static str {
        self.inner().kind()
    }

    fn disk(&self) -> DiskHealth {
        self.inner().disk()
    }
}
