//! Lists of polls, a page at a time: the polls' definitions are kept at
//! hand while the store's polls version stays (checked at most once per
//! results' freshness interval; dropped on this replica's own changes),
//! each list orders them, and only the page asked for has its states read —
//! in one store call, however long the list.

use std::cmp::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use parking_lot::Mutex;

use super::Voting;
use crate::ids::{PollId, SiteId, VisitorKey};
use crate::poll::{Poll, PollStatus};
use crate::store::{PollState, Store, StoreError};

/// Which part of a list to answer: at most `limit` polls from `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    offset: usize,
    limit: usize,
}

impl Paging {
    /// Polls on a page unless asked otherwise.
    pub const DEFAULT_LIMIT: usize = 50;
    /// Most polls on one page.
    pub const MOST_LIMIT: usize = 200;

    /// `None` unless `limit` is 1 to [`Paging::MOST_LIMIT`]. An offset past
    /// the end is a page without polls.
    pub fn new(offset: usize, limit: usize) -> Option<Self> {
        (1..=Self::MOST_LIMIT)
            .contains(&limit)
            .then_some(Self { offset, limit })
    }

    pub fn offset(self) -> usize {
        self.offset
    }

    pub fn limit(self) -> usize {
        self.limit
    }

    /// The page after this one in a list of `total`, if there is one.
    pub fn next(self, total: usize) -> Option<Self> {
        let offset = self.offset.checked_add(self.limit)?;
        (offset < total).then_some(Self { offset, ..self })
    }

    /// The page before this one in a list of `total`, if this is not the
    /// first: from past the end, the last full page.
    pub fn previous(self, total: usize) -> Option<Self> {
        (self.offset > 0).then(|| Self {
            offset: self.offset.min(total).saturating_sub(self.limit),
            ..self
        })
    }
}

impl Default for Paging {
    fn default() -> Self {
        Self {
            offset: 0,
            limit: Self::DEFAULT_LIMIT,
        }
    }
}

/// Which list, in which order. Ties are broken by id, so a poll keeps its
/// place from one page to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Every poll, by id: the admin API's list.
    ById,
    /// The public archive: the published polls an editor has not
    /// archived, open ones first (soonest to close first), then those
    /// coming up (soonest to open first), then the closed ones (latest
    /// first).
    Archive,
    /// The console's: drafts, open, scheduled, closed, then archived; by
    /// id within each group.
    Console,
}

impl Order {
    /// How many groups the list has.
    pub fn groups(self) -> usize {
        match self {
            Order::ById => 1,
            Order::Archive => 3,
            Order::Console => 5,
        }
    }

    /// The group `poll` falls in at `now`, or `None` when this list leaves
    /// it out.
    pub fn group(self, poll: &Poll, now: Timestamp) -> Option<usize> {
        let status = || match poll.status(now) {
            PollStatus::Open => 0,
            PollStatus::NotYetOpen => 1,
            PollStatus::Closed => 2,
        };
        match self {
            Order::ById => Some(0),
            Order::Archive if poll.draft => None,
            Order::Archive => poll.archived_at.is_none().then(status),
            Order::Console if poll.draft => Some(0),
            Order::Console if poll.archived_at.is_some() => Some(4),
            Order::Console => Some(status() + 1),
        }
    }

    /// The order of two polls of `group`.
    fn within(self, group: usize, a: &Poll, b: &Poll) -> Ordering {
        let by_date = match (self, group) {
            (Order::Archive, 0) => a.closes_at.cmp(&b.closes_at),
            (Order::Archive, 1) => a.opens_at.cmp(&b.opens_at),
            (Order::Archive, _) => b.closes_at.cmp(&a.closes_at),
            _ => Ordering::Equal,
        };
        by_date.then_with(|| a.id.cmp(&b.id))
    }

    /// The ids on the page `paging` names, in order, and how many polls
    /// each group holds.
    pub fn page(self, polls: &[Poll], now: Timestamp, paging: Paging) -> (Vec<PollId>, Vec<usize>) {
        let mut listed: Vec<(usize, &Poll)> = polls
            .iter()
            .filter_map(|p| Some((self.group(p, now)?, p)))
            .collect();
        let mut groups = vec![0; self.groups()];
        for (group, _) in &listed {
            groups[*group] += 1;
        }
        listed.sort_unstable_by(|(ga, a), (gb, b)| ga.cmp(gb).then_with(|| self.within(*ga, a, b)));
        let ids = listed
            .iter()
            .skip(paging.offset)
            .take(paging.limit)
            .map(|(_, p)| p.id.clone())
            .collect();
        (ids, groups)
    }
}

/// One page of a list, and the whole list's size.
#[derive(Debug, Clone)]
pub struct Listed<T> {
    pub items: Vec<T>,
    /// Polls in the whole list.
    pub total: usize,
    /// Polls in each of the list's groups (see [`Order::group`]).
    pub groups: Vec<usize>,
    pub paging: Paging,
}

impl<T> Listed<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Listed<U> {
        Listed {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            groups: self.groups,
            paging: self.paging,
        }
    }

    /// The page after this one, if there is one.
    pub fn next(&self) -> Option<Paging> {
        self.paging.next(self.total)
    }

    /// The page before this one, if this is not the first.
    pub fn previous(&self) -> Option<Paging> {
        self.paging.previous(self.total)
    }

    /// Which polls of the list this page holds, counted from 1: `(first,
    /// last)`, or `None` for a page without polls.
    pub fn range(&self) -> Option<(usize, usize)> {
        let first = self.paging.offset + 1;
        (!self.items.is_empty()).then(|| (first, self.paging.offset + self.items.len()))
    }
}

/// The polls' definitions as last read, for every list: reading them costs
/// the store one read per poll, so they are kept until the store's polls
/// version moves, which is checked at most once per `fresh`, or until this
/// replica changes a poll.
pub(super) struct Definitions {
    fresh: Duration,
    kept: Mutex<Kept>,
    /// One store read at a time: the lists that wait for it take its result.
    reading: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Kept {
    polls: Option<Read>,
    /// Counts this replica's changes, so a read that began before one is
    /// not kept after it.
    changes: u64,
}

/// Definitions read from the store.
struct Read {
    polls: Arc<Vec<Poll>>,
    /// The polls version they were read at.
    version: u64,
    /// When that version was last found current (when the read began).
    checked: Instant,
}

impl Definitions {
    pub(super) fn new(fresh: Duration) -> Self {
        Self {
            fresh,
            kept: Mutex::new(Kept::default()),
            reading: tokio::sync::Mutex::new(()),
        }
    }

    fn kept(&self) -> Option<Arc<Vec<Poll>>> {
        match &self.kept.lock().polls {
            Some(read) if read.checked.elapsed() < self.fresh => Some(Arc::clone(&read.polls)),
            _ => None,
        }
    }

    /// The definitions as of at most `fresh` ago (and after this replica's
    /// last change).
    async fn get(&self, store: &dyn Store, site: &SiteId) -> Result<Arc<Vec<Poll>>, StoreError> {
        if let Some(polls) = self.kept() {
            return Ok(polls);
        }
        let _turn = self.reading.lock().await;
        if let Some(polls) = self.kept() {
            return Ok(polls);
        }
        let (began, changes) = (Instant::now(), self.kept.lock().changes);
        // The version is read first: a change landing between the two
        // reads leaves the definitions kept under the older version, so
        // the next check reads them again.
        let version = store.polls_version(site).await?;
        if let Some(read) = self.kept.lock().polls.as_mut()
            && read.version == version
        {
            read.checked = began;
            return Ok(Arc::clone(&read.polls));
        }
        let polls = Arc::new(store.list_polls(site).await?);
        let mut kept = self.kept.lock();
        if kept.changes == changes {
            kept.polls = Some(Read {
                polls: Arc::clone(&polls),
                version,
                checked: began,
            });
        }
        Ok(polls)
    }

    /// Drops what is kept: this replica changed a poll.
    pub(super) fn forget(&self) {
        let mut kept = self.kept.lock();
        kept.changes += 1;
        kept.polls = None;
    }
}

impl Voting {
    /// One page of the list `order` names, with each poll's state as
    /// `person` sees it (what they chose, if they voted).
    pub async fn list(
        &self,
        order: Order,
        paging: Paging,
        person: Option<&VisitorKey>,
    ) -> Result<Listed<PollState>, StoreError> {
        let polls = self
            .definitions
            .get(self.store.as_ref(), &self.site)
            .await?;
        let (ids, groups) = order.page(&polls, self.now(), paging);
        // A poll deleted by another replica since its definition was read
        // is left out of this page.
        let items = self
            .store
            .poll_states(&self.site, &ids, person)
            .await?
            .into_iter()
            .flatten()
            .collect();
        Ok(Listed {
            items,
            total: groups.iter().sum(),
            groups,
            paging,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Order, Paging};
    use crate::poll::Poll;

    #[test]
    fn drafts_lead_the_console_and_stay_out_of_the_archive() {
        let now: jiff::Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
        let poll = |id: &str, draft: bool| -> Poll {
            serde_json::from_value(serde_json::json!({
                "id": id, "question": "?", "max_choices": 1, "draft": draft,
                "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
            }))
            .unwrap()
        };
        let polls = [poll("mo", false), poll("nhap", true)];
        let (ids, groups) = Order::Console.page(&polls, now, Paging::default());
        let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
        assert_eq!((ids, groups), (vec!["nhap", "mo"], vec![1, 1, 0, 0, 0]));
        let (ids, groups) = Order::Archive.page(&polls, now, Paging::default());
        assert_eq!((ids.len(), groups), (1, vec![1, 0, 0]));
        assert_eq!(Order::ById.page(&polls, now, Paging::default()).0.len(), 2);
    }

    #[test]
    fn pages_lead_to_their_neighbours_within_the_list() {
        let page = |offset| Paging::new(offset, 50).unwrap();
        assert_eq!(page(0).previous(120), None);
        assert_eq!(page(0).next(120), Some(page(50)));
        assert_eq!(page(100).next(120), None);
        assert_eq!(page(100).previous(120), Some(page(50)));
        assert_eq!(page(30).previous(120), Some(page(0)));
        // From past the end, back to the last full page.
        assert_eq!(page(500).previous(120), Some(page(70)));
        assert_eq!(page(usize::MAX).next(usize::MAX), None);
        assert_eq!(Paging::new(0, 0), None);
        assert_eq!(Paging::new(0, Paging::MOST_LIMIT + 1), None);
    }
}
