//! The pieces of a site's state an export carries, the same from every
//! store: each is one line of the export (see `docs/backup.md`), and the
//! store reads and writes them as its keys hold them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::calendar::{Day, Month, Week};
use crate::ids::{PollId, SiteId};
use crate::poll::Poll;

/// Where exported pieces go, in order: a bounded queue, so a slow reader
/// holds the export back instead of letting it pile up in memory.
pub type Sink = tokio::sync::mpsc::Sender<Piece>;

/// Pieces a sink holds at most before the store waits for its reader.
pub const SINK_DEPTH: usize = 256;

/// One piece of state. Counts are as the store keeps them; a restore adds
/// them (into an empty store, adding is setting).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Piece {
    /// The site's baseline and the visits tally counted, all time.
    Counters {
        site: String,
        baseline: u64,
        visits: u64,
    },
    /// Visits in a day, week or month as the counters show them (kept
    /// about 400 days on Redis, for good on the embedded store).
    Bucket {
        site: String,
        #[serde(flatten)]
        period: Period,
        visits: u64,
    },
    /// A day of the history: its visits, imported ones included, and how
    /// many of them were imported from a previous counter.
    Day {
        site: String,
        day: Day,
        visits: u64,
        #[serde(default, skip_serializing_if = "is_zero")]
        imported: u64,
    },
    /// A page's views, all time.
    Page {
        site: String,
        page: String,
        views: u64,
    },
    /// A page's views on a day whose most-read pages are kept.
    PageDay {
        site: String,
        day: Day,
        page: String,
        views: u64,
    },
    /// A poll: its definition (state, schedule, archive, visibility) and
    /// its counts per option, `_voters` being the people who voted.
    Poll {
        site: String,
        poll: Box<Poll>,
        counts: BTreeMap<String, u64>,
    },
    /// A poll's ballots on a local day for an option (or `_voters`).
    PollDay {
        site: String,
        poll: PollId,
        day: Day,
        option: String,
        ballots: u64,
    },
    /// The record that keeps one ballot per voter, as stored: the keyed
    /// visitor id (never a raw address) and `<ballot>/<try>|<options>`.
    Voter {
        site: String,
        poll: PollId,
        visitor: String,
        record: String,
    },
    /// A poll an editor deleted: a polls file does not bring it back.
    DeletedPoll { site: String, poll: PollId },
    /// An audit entry (JSON, as stored), oldest first.
    Audit { site: String, entry: String },
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A counter bucket: `{"period": "day", "start": "2026-11-28"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "period", content = "start", rename_all = "snake_case")]
pub enum Period {
    Day(Day),
    Week(Week),
    Month(Month),
}

impl Period {
    /// The bucket a key names: `day`, `week` or `month`, and its start as
    /// the key writes it.
    pub fn parse(what: &str, start: &str) -> Option<Self> {
        match what {
            "day" => start.parse().ok().map(Period::Day),
            "week" => start.parse().ok().map(Period::Week),
            "month" => start.parse().ok().map(Period::Month),
            _ => None,
        }
    }
}

impl Piece {
    /// The site the piece belongs to.
    pub fn site(&self) -> &str {
        match self {
            Piece::Counters { site, .. }
            | Piece::Bucket { site, .. }
            | Piece::Day { site, .. }
            | Piece::Page { site, .. }
            | Piece::PageDay { site, .. }
            | Piece::Poll { site, .. }
            | Piece::PollDay { site, .. }
            | Piece::Voter { site, .. }
            | Piece::DeletedPoll { site, .. }
            | Piece::Audit { site, .. } => site,
        }
    }
}

/// What a store holds of a site before a restore writes into it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Holding {
    /// Nothing of the site is kept yet (what a new store holds).
    pub empty: bool,
    /// A restore began and did not finish: the cut (ms) of the export it
    /// was writing.
    pub restoring: Option<i64>,
}

/// The mark a merge of one site into another leaves on the site merged
/// into (`tally merge-site`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeMark {
    /// Its pieces are being written: a merge that stopped here was cut
    /// off, and what it wrote is not known.
    Writing,
    /// Written, and neither confirmed nor undone: the merged site's own
    /// data is still kept.
    Pending,
}

impl MergeMark {
    /// As the store keeps it.
    pub fn code(self) -> u64 {
        match self {
            MergeMark::Writing => 1,
            MergeMark::Pending => 2,
        }
    }

    /// From the store; anything else reads as cut off, the cautious case.
    pub fn from_code(code: u64) -> Self {
        match code {
            2 => MergeMark::Pending,
            _ => MergeMark::Writing,
        }
    }
}

/// The site of a piece written by an export: its id as a string.
pub fn site_name(site: &SiteId) -> String {
    site.as_str().to_owned()
}
