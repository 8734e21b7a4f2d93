//! What a decided hit adds to the increments waiting for the next flush:
//! to its own site's, and to every ancestor's (the roll-up), each in its
//! own calendar; and where a hit waits while the store is away.

use std::sync::Arc;

use jiff::Timestamp;

use super::pending::InFlight;
use super::{Counter, Hit, ONLINE_WINDOW, PendingHit};
use crate::ids::{PageId, VisitId};
use crate::metrics::DropReason;
use crate::store::TouchOutcome;

impl Counter {
    /// Adds what a decided hit counts to the increments waiting for the
    /// next flush, here and at every ancestor. `kept`: a new page view
    /// fits under `TALLY_MAX_PAGES`.
    pub(super) fn record(&self, hit: &Hit, at: Timestamp, outcome: TouchOutcome, kept: bool) {
        let buckets = outcome.new_visit.then(|| self.calendar.buckets(at));
        let page = hit.page.as_ref().filter(|_| outcome.new_page_view && kept);
        if outcome.new_page_view && !kept {
            self.metrics.views_dropped(DropReason::SiteCap, 1);
        }
        if outcome.capped {
            self.metrics.views_dropped(DropReason::VisitorCap, 1);
        }
        // Online counts visits: one person is one, whichever identity
        // their hits carried.
        let seen = self.seen(outcome.visit, at);
        if outcome.new_visit {
            self.metrics.visits.inc();
        }
        if page.is_some() {
            self.metrics.page_views.inc();
        }
        let page = page.map(|p| (p, self.calendar.day(at)));
        if !self.state().pending.record(buckets, page, seen) {
            self.metrics.views_dropped(DropReason::BatchCap, 1);
        }
        for ancestor in self.ancestors.load().iter() {
            ancestor.rolled_up(outcome.new_visit, outcome.visit, at);
        }
    }

    /// The sites whose figures include this one's, nearest first.
    pub fn ancestor_sites(&self) -> Vec<crate::ids::SiteId> {
        let ancestors = self.ancestors.load();
        ancestors.iter().map(|c| c.site().clone()).collect()
    }

    /// From now on, this site's hits count for `ancestors` (nearest
    /// first): the site was moved. What it counted before stays with the
    /// sites it was counted for.
    pub fn count_for(&self, ancestors: Vec<Arc<Counter>>) {
        self.ancestors.store(Arc::new(ancestors));
    }

    /// A descendant's hit, as this site's figures include it: its visit
    /// (in this site's calendar) and its visitor online. Its page is the
    /// descendant's own and stays there.
    fn rolled_up(&self, new_visit: bool, visit: VisitId, at: Timestamp) {
        let buckets = new_visit.then(|| self.calendar.buckets(at));
        let seen = self.seen(visit, at);
        self.state().pending.record(buckets, None, seen);
    }

    /// The visit as "online" sees it, if it is recent enough to count.
    fn seen(&self, visit: VisitId, at: Timestamp) -> Option<(VisitId, Timestamp)> {
        let online_since = self.clock.now() - ONLINE_WINDOW;
        (at >= online_since).then_some((visit, at))
    }

    /// Whether a new view of `page` will be kept under `TALLY_MAX_PAGES`,
    /// so the answer shows what is stored: near the cap, a page the store
    /// lacks is looked up. Across replicas a view admitted here may still
    /// be dropped by the flush (and counted in the metric).
    pub(super) async fn page_admitted(&self, page: &PageId) -> bool {
        {
            let state = self.state();
            let waiting = state.pending.page_count()
                + state.inflight.as_ref().map_or(0, InFlight::page_count);
            let room = state.stored.distinct_pages + (waiting as u64) < self.settings.max_pages;
            let known = state.pending.has_page(page)
                || state.inflight.as_ref().is_some_and(|f| f.has_page(page))
                || state.pages.holds(page);
            if room || known {
                return true;
            }
        }
        match self
            .store
            .page_views(&self.site, std::slice::from_ref(page))
            .await
        {
            Ok(views) => {
                let n = views.first().copied().unwrap_or(0);
                self.state().pages.insert(page.clone(), n);
                n > 0
            }
            // Cannot tell: the flush counts what it drops.
            Err(_) => true,
        }
    }

    pub(super) fn buffer(&self, pending: PendingHit) {
        let mut state = self.state();
        state.store_ok = false;
        if state.buffer.len() < self.settings.hit_buffer {
            state.buffer.push_back(pending);
            self.metrics.hit_outcomes[2].inc();
        } else {
            self.metrics.hit_buffer_dropped.inc();
        }
        self.metrics.hit_buffer.set(state.buffer.len() as i64);
    }
}
