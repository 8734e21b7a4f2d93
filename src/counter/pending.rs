//! Counter increments a replica has gathered but not yet written, and the
//! arithmetic that adds them to what the store last said.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::calendar::{Buckets, Day, Period};
use crate::ids::{PageId, VisitId};
use crate::store::{Batch, CounterSnapshot};

/// Most distinct pages one batch carries; more wait for the next batch.
pub const MOST_PAGES_PER_BATCH: usize = 10_000;
/// Most visits one batch marks as seen; beyond it "online" undercounts
/// until the next batch rather than memory growing.
pub const MOST_SEEN_PER_BATCH: usize = 50_000;

/// Increments not yet handed to the store.
#[derive(Debug, Default)]
pub struct Pending {
    visits: HashMap<Buckets, u64>,
    pages: HashMap<PageId, u64>,
    /// The same views by local day.
    page_days: HashMap<(Day, PageId), u64>,
    /// Visits seen, with when, and whether they began here.
    seen: HashMap<VisitId, (Timestamp, bool)>,
    /// How many of `seen` began here.
    new_visitors: u64,
    /// Hits recorded since the last batch was taken.
    hits: u64,
}

impl Pending {
    pub fn is_empty(&self) -> bool {
        self.visits.is_empty() && self.pages.is_empty() && self.seen.is_empty()
    }

    /// Distinct pages with views waiting.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Hits recorded since the last batch was taken.
    pub fn hits(&self) -> u64 {
        self.hits
    }

    pub fn has_page(&self, page: &PageId) -> bool {
        self.pages.contains_key(page)
    }

    /// Adds one counted hit (a new view of `page` on a local day). Returns
    /// false if a cap kept part of it out.
    pub fn record(
        &mut self,
        buckets: Option<Buckets>,
        page: Option<(&PageId, Day)>,
        seen: Option<(VisitId, Timestamp)>,
    ) -> bool {
        let new_visit = buckets.is_some();
        self.hits += 1;
        if let Some(b) = buckets {
            *self.visits.entry(b).or_default() += 1;
        }
        let mut kept = true;
        if let Some((page, day)) = page {
            if let Some(n) = self.pages.get_mut(page) {
                *n += 1;
            } else if self.pages.len() < MOST_PAGES_PER_BATCH {
                self.pages.insert(page.clone(), 1);
            } else {
                kept = false;
            }
            if kept {
                *self.page_days.entry((day, page.clone())).or_default() += 1;
            }
        }
        if let Some((visit, at)) = seen {
            if let Some(entry) = self.seen.get_mut(&visit) {
                entry.0 = entry.0.max(at);
                if new_visit && !entry.1 {
                    entry.1 = true;
                    self.new_visitors += 1;
                }
            } else if self.seen.len() < MOST_SEEN_PER_BATCH {
                self.seen.insert(visit, (at, new_visit));
                self.new_visitors += u64::from(new_visit);
            }
        }
        kept
    }

    /// Moves everything into a batch with the given id.
    pub fn take_batch(&mut self, id: String) -> InFlight {
        let taken = std::mem::take(self);
        let mut visits: Vec<_> = taken.visits.into_iter().collect();
        visits.sort();
        let batch = Batch {
            id,
            visits,
            page_views: taken.pages.iter().map(|(p, n)| (p.clone(), *n)).collect(),
            page_days: taken
                .page_days
                .into_iter()
                .map(|((day, page), n)| (day, page, n))
                .collect(),
            seen: taken
                .seen
                .into_iter()
                .map(|(visit, (at, _))| (visit, at))
                .collect(),
        };
        InFlight {
            batch,
            pages: taken.pages,
            new_visitors: taken.new_visitors,
        }
    }
}

/// A batch handed to the store and not yet acknowledged. Readers still add
/// it to what the store last said.
#[derive(Debug, Clone)]
pub struct InFlight {
    pub batch: Batch,
    /// The batch's page views, for lookups.
    pages: HashMap<PageId, u64>,
    /// Visits that began in the batch: certainly not yet in the stored
    /// "online" set.
    pub new_visitors: u64,
}

impl InFlight {
    /// A batch sent again as it is (spilled by an earlier run).
    pub fn resent(batch: Batch) -> Self {
        Self {
            pages: batch.page_views.iter().cloned().collect(),
            new_visitors: 0,
            batch,
        }
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    pub fn has_page(&self, page: &PageId) -> bool {
        self.pages.contains_key(page)
    }
}

/// Adds increments not yet in the store to `t`.
fn add_increments<'a>(
    t: &mut Totals,
    visits: impl Iterator<Item = (&'a Buckets, &'a u64)>,
    page_views: u64,
    new_visitors: u64,
    now: &Period,
) {
    for (b, &n) in visits {
        t.total += n;
        if b.day == now.now.day {
            t.today += n;
        } else if b.day == now.yesterday {
            t.yesterday += n;
        }
        if b.week == now.now.week {
            t.this_week += n;
        }
        if b.month == now.now.month {
            t.this_month += n;
        }
    }
    t.page_views += page_views;
    t.online += new_visitors;
}

/// The counter as a visitor sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub total: u64,
    pub today: u64,
    pub yesterday: u64,
    pub this_week: u64,
    pub this_month: u64,
    pub online: u64,
    pub page_views: u64,
}

/// Adds what the store said (as of `stored_period`) to the increments still
/// in flight and pending, for the period `now`. Store values of a period
/// that has ended are not carried into the new one.
pub fn compose(
    stored: &CounterSnapshot,
    stored_period: &Period,
    stored_page_views: u64,
    inflight: Option<&InFlight>,
    pending: &Pending,
    page: Option<&PageId>,
    now: &Period,
) -> Totals {
    let mut t = Totals {
        total: stored.baseline + stored.visits,
        online: stored.online,
        page_views: stored_page_views,
        ..Totals::default()
    };
    if stored_period.now.day == now.now.day {
        t.today = stored.today;
        t.yesterday = stored.yesterday;
    } else if stored_period.now.day == now.yesterday {
        t.yesterday = stored.today;
    }
    if stored_period.now.week == now.now.week {
        t.this_week = stored.this_week;
    }
    if stored_period.now.month == now.now.month {
        t.this_month = stored.this_month;
    }
    let views_of =
        |pages: &HashMap<PageId, u64>| page.and_then(|p| pages.get(p)).copied().unwrap_or(0);
    if let Some(inflight) = inflight {
        let visits = inflight.batch.visits.iter().map(|(b, n)| (b, n));
        add_increments(
            &mut t,
            visits,
            views_of(&inflight.pages),
            inflight.new_visitors,
            now,
        );
    }
    add_increments(
        &mut t,
        pending.visits.iter(),
        views_of(&pending.pages),
        pending.new_visitors,
        now,
    );
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buckets(day: &str) -> Buckets {
        Buckets::of(day.parse().unwrap())
    }

    fn period(day: &str, yesterday: &str) -> Period {
        Period {
            now: buckets(day),
            yesterday: yesterday.parse().unwrap(),
        }
    }

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(ms).unwrap()
    }

    fn visitor(n: u8) -> VisitId {
        VisitId(u64::from(n))
    }

    #[test]
    fn pending_increments_add_to_the_stored_counts() {
        let page = PageId::parse("/tin-tuc/1").unwrap();
        let mut pending = Pending::default();
        let day = "2026-11-28".parse().unwrap();
        pending.record(
            Some(buckets("2026-11-28")),
            Some((&page, day)),
            Some((visitor(1), at(10))),
        );
        pending.record(None, Some((&page, day)), Some((visitor(1), at(20))));
        pending.record(
            Some(buckets("2026-11-28")),
            None,
            Some((visitor(2), at(30))),
        );
        let stored = CounterSnapshot {
            baseline: 1000,
            visits: 10,
            today: 4,
            yesterday: 6,
            this_week: 10,
            this_month: 10,
            online: 3,
            ..CounterSnapshot::default()
        };
        let now = period("2026-11-28", "2026-11-27");
        let t = compose(&stored, &now, 5, None, &pending, Some(&page), &now);
        assert_eq!(
            t,
            Totals {
                total: 1012,
                today: 6,
                yesterday: 6,
                this_week: 12,
                this_month: 12,
                online: 5,
                page_views: 7,
            }
        );
    }

    #[test]
    fn a_batch_in_flight_still_counts_until_the_store_has_it() {
        let mut pending = Pending::default();
        pending.record(
            Some(buckets("2026-11-28")),
            None,
            Some((visitor(1), at(10))),
        );
        let inflight = pending.take_batch("r-1".into());
        assert_eq!(inflight.new_visitors, 1);
        assert!(pending.is_empty());
        let now = period("2026-11-28", "2026-11-27");
        let t = compose(
            &CounterSnapshot::default(),
            &now,
            0,
            Some(&inflight),
            &pending,
            None,
            &now,
        );
        assert_eq!(t.total, 1);
        assert_eq!(t.today, 1);
        assert_eq!(t.online, 1);
    }

    #[test]
    fn at_midnight_today_becomes_yesterday() {
        let stored = CounterSnapshot {
            today: 9,
            yesterday: 4,
            this_week: 20,
            this_month: 30,
            ..CounterSnapshot::default()
        };
        let before = period("2026-11-28", "2026-11-27");
        let after = period("2026-11-29", "2026-11-28");
        let t = compose(&stored, &before, 0, None, &Pending::default(), None, &after);
        assert_eq!((t.today, t.yesterday, t.this_week), (0, 9, 20));
    }

    #[test]
    fn distinct_pages_per_batch_are_capped() {
        let mut pending = Pending::default();
        let day = "2026-11-28".parse().unwrap();
        for i in 0..MOST_PAGES_PER_BATCH {
            let page = PageId::parse(&format!("/p/{i}")).unwrap();
            assert!(pending.record(None, Some((&page, day)), None));
        }
        let one_more = PageId::parse("/p/extra").unwrap();
        assert!(!pending.record(None, Some((&one_more, day)), None));
        let batch = pending.take_batch("b".into()).batch;
        assert_eq!(batch.page_views.len(), MOST_PAGES_PER_BATCH);
        assert_eq!(batch.page_days.len(), MOST_PAGES_PER_BATCH);
    }
}
