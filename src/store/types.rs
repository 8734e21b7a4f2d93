//! What the store reads and writes: hits, batches of counter increments,
//! counter snapshots, polls and ballots.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};

use crate::calendar::{Buckets, Day, Month, Week};
use crate::challenge::{Spend, SpendId};
use crate::ids::{
    AddressKey, Attempt, BallotId, OptionId, PageId, PageKey, PollId, SiteId, VisitId, VisitorKey,
};
use crate::poll::Poll;

/// A visitor's hit, as the store sees it. The store applies
/// [`crate::visit::touch`] to the visitor's state in one atomic step.
#[derive(Debug, Clone)]
pub struct Touch {
    pub visitor: VisitorKey,
    /// An address-hash identity in the visitor's slot whose live visit the
    /// visitor continues when it has no state of its own yet (a cookie
    /// issued to that address hash, coming back for the first time).
    pub inherit: Option<VisitorKey>,
    pub page: Option<PageKey>,
    pub at: Timestamp,
    /// The local day of `at`.
    pub day: Day,
    pub window: SignedDuration,
    /// Most pages one visitor's state remembers.
    pub max_pages: u32,
    /// Random per hit: a touch sent again with the same id (its answer was
    /// lost) gets the answer the first one had, and changes nothing.
    pub id: u64,
}

/// What a hit turned out to be.
pub type TouchOutcome = crate::visit::Verdict;

/// Counter increments gathered over a flush interval. `id` makes writing it
/// idempotent: a batch whose answer was lost can be sent again safely.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    pub id: String,
    pub visits: Vec<(Buckets, u64)>,
    pub page_views: Vec<(PageId, u64)>,
    /// The same views by local day, for the history of the most-read
    /// pages.
    pub page_days: Vec<(Day, PageId, u64)>,
    /// Visits seen, with when; they make up "online".
    pub seen: Vec<(VisitId, Timestamp)>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.visits.is_empty() && self.page_views.is_empty() && self.seen.is_empty()
    }
}

/// What the counters keep of pages: every page's views up to `max_pages`
/// distinct pages, and for `page_days` days each day's `top_pages`
/// most-read pages (the day under way keeps every page it counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keep {
    pub max_pages: u64,
    pub top_pages: u32,
    pub page_days: u32,
}

/// Which of `day`'s buckets the counters read on `today` (a sum of 1 the
/// day, 2 the week, 4 the month): an imported day changes those too.
pub fn shown_buckets(day: Day, today: Day) -> u8 {
    let mut shown = 0;
    if day == today || day == today.yesterday() {
        shown |= 1;
    }
    if day.week() == today.week() {
        shown |= 2;
    }
    if day.month() == today.month() {
        shown |= 4;
    }
    shown
}

/// Most audit entries kept; older ones are dropped.
pub const MOST_AUDIT_ENTRIES: usize = 10_000;

/// What a counter read asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterQuery {
    pub today: Day,
    pub yesterday: Day,
    pub week: Week,
    pub month: Month,
    /// Visits seen at or after this instant are online.
    pub online_since: Timestamp,
    pub pages: Vec<PageId>,
}

/// One site's part of a flush: its batch to add, if it has one (once,
/// however often it is sent), and the counters to read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFlush {
    pub site: SiteId,
    pub batch: Option<Batch>,
    pub query: CounterQuery,
    pub keep: Keep,
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
    /// Refused: the new definition takes a published poll that holds
    /// ballots back to draft. Checked in the same atomic step as the write,
    /// so a ballot cast meanwhile cannot end up in a draft.
    DraftWithBallots,
}

impl PutPoll {
    /// Why a backup's `poll`, written over what the store holds, cannot be
    /// restored: every store's restore refuses the same two cases alike.
    pub fn restore_refusal(&self, poll: &PollId) -> Option<String> {
        match self {
            PutPoll::Conflict(_) => {
                Some(format!("poll {poll}: its options differ from the store's"))
            }
            PutPoll::DraftWithBallots => Some(format!(
                "poll {poll}: a draft in the backup, published with ballots in the store"
            )),
            PutPoll::Created | PutPoll::Replaced | PutPoll::Unchanged => None,
        }
    }
}

/// A ballot, checked at the edge against the poll's options.
#[derive(Debug, Clone)]
pub struct Ballot {
    /// As its voter names it: cast again with the same id (a retry after
    /// a lost answer), it is the same ballot, with the same fate.
    pub id: BallotId,
    /// This try at casting it. The voter's record names the last try that
    /// cast or claimed the ballot, so a retraction undoes only its own.
    pub attempt: Attempt,
    pub poll: PollId,
    /// A person: a cookie or first-party id, or a fresh id issued with
    /// this ballot. Never an address hash, which may be several people.
    pub visitor: VisitorKey,
    pub address: AddressKey,
    pub choices: Vec<OptionId>,
    /// When the ballot is judged (opening and closing times). `None`: at
    /// the store's own "now", so replicas whose clocks disagree with the
    /// store's, or with each other, give the same verdict.
    pub at: Option<Timestamp>,
    /// The local day the per-address cap counts in.
    pub day: Day,
    pub address_cap: u32,
    /// On a poll that asks for a challenge, the per-address cap of a
    /// ballot that brings a solution (each one cost work): a school or an
    /// office behind one address votes.
    pub solved_cap: u32,
    /// The networks the address is in ([`crate::privacy::networks`]),
    /// hashed, each with its cap per poll and day.
    pub networks: Vec<(AddressKey, u32)>,
    /// Its proof of work, for a poll that asks for one.
    pub proof: BallotProof,
}

/// A ballot's proof of work, as the edge found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BallotProof {
    /// A solved challenge, checked: the store accepts it for one ballot,
    /// remembering it with that ballot's id for as long as it could be
    /// sent again.
    Solved(SpentSolution),
    /// A form post from a page without JavaScript: on a poll that asks for
    /// a challenge, counted under `cap` ballots per address and day.
    Form {
        cap: u32,
    },
    Missing,
}

/// A solution the store remembers once spent: for a duration, not until
/// an instant, so the store's clock and the replica's need not agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpentSolution {
    pub id: SpendId,
    pub remember_for: std::time::Duration,
}

impl SpentSolution {
    /// `spend`, checked at `now` by the replica's clock.
    pub fn of(spend: Spend, now: Timestamp) -> Self {
        let left = spend.remember_until.duration_since(now);
        Self {
            id: spend.id,
            remember_for: std::time::Duration::try_from(left)
                .unwrap_or_default()
                .max(std::time::Duration::from_secs(1)),
        }
    }
}

impl Ballot {
    /// What undoes this try if the store counted it.
    pub fn retraction(&self) -> Retraction {
        Retraction {
            ballot: self.id.clone(),
            attempt: self.attempt,
            poll: self.poll.clone(),
            visitor: self.visitor.clone(),
            address: self.address.clone(),
            day: self.day,
        }
    }
}

/// A try at casting a ballot whose caller heard 503: the store may have
/// counted it all the same (the answer lost on the way back), so it is
/// undone if it was, and fenced off if it has not arrived yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retraction {
    pub ballot: BallotId,
    pub attempt: Attempt,
    pub poll: PollId,
    pub visitor: VisitorKey,
    pub address: AddressKey,
    /// The day the ballot's per-address count was made in.
    pub day: Day,
}

/// How long a retraction's fence stands: a try that reaches the store
/// later than this after its caller gave up is not a thing networks do.
pub const FENCE_TTL_SECS: u64 = 86_400;

/// The store's verdict on a ballot, by [`crate::poll::judge`]'s rules, in
/// the same atomic step that counts it.
pub use crate::poll::Verdict;

/// An editor's signed-in console session, as the store keeps it (under
/// the hash of its id, never the id itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Session {
    /// The admin token's name, as the audit log says who.
    pub who: String,
    /// When the editor signed in: the session ends a fixed time after.
    pub started_at: Timestamp,
    /// When the session ends unless used again before.
    pub expires_at: Timestamp,
    /// The token's role when the editor signed in. A record written before
    /// roles has none, and is read as no session (see
    /// [`crate::sessions::Sessions::find`]); none is also written as the
    /// record was then, so a test can make one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<crate::roles::Role>,
    /// The site the token's role is given on (none: every site), so that
    /// a change of it ends the session as a change of role does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
}

/// Whether a store's own disk takes writes. The embedded store's may
/// refuse them after a disk error (a full disk) until it has opened its
/// file again; a Redis store has no disk of its own here and always says
/// yes (its outages are operations that fail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskHealth {
    pub writable: bool,
    /// Writes the disk did not take since the start: commits that failed
    /// on it, and writes refused while the file was opened again.
    pub refused: u64,
}

impl Default for DiskHealth {
    fn default() -> Self {
        Self {
            writable: true,
            refused: 0,
        }
    }
}
