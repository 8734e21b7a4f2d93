//! What one hit means for one visitor: a new visit, a new page view, or
//! neither. Pure rules on the visitor's remembered state. The embedded store
//! runs them as they are; the Redis store's `touch.lua` states them again
//! for Redis, and the store conformance suite pins both to the same cases.
//!
//! - A hit starts a new visit after `window` without hits, or when the local
//!   day has changed since the visit began (visits end at midnight, so a
//!   visit is always counted on the day its visitor is seen online).
//! - A hit is a new page view when the visitor has not hit that page within
//!   `window` (counted from their previous hit on it: reloading never adds).
//! - A visitor remembers at most `max_pages` pages. When full, pages not hit
//!   within the window are forgotten; if none is, a new page is not counted
//!   (`capped`): one visitor opening hundreds of pages in half an hour is a
//!   crawler, and the rule only ever counts fewer views, never more.
//! - A hit sent again with the same id (its answer was lost) gets the answer
//!   it had: the visit it began and the page view it counted carry its id.

use jiff::{SignedDuration, Timestamp};

use crate::calendar::Day;
use crate::ids::{PageKey, VisitId};

/// A remembered hit on one page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSeen {
    pub page: PageKey,
    /// The visitor's latest hit on the page.
    pub last: Timestamp,
    /// The hit that counted the page's current view.
    pub counted_by: u64,
}

/// What is remembered of a visitor between hits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorState {
    /// The latest hit.
    pub last: Timestamp,
    /// The current visit (the id of the hit that began it).
    pub visit: VisitId,
    /// The local day the current visit began.
    pub day: Day,
    pub pages: Vec<PageSeen>,
}

/// One hit, as the rules see it.
#[derive(Debug, Clone, Copy)]
pub struct HitFacts {
    pub id: u64,
    pub at: Timestamp,
    /// The local day of `at`.
    pub day: Day,
    pub page: Option<PageKey>,
}

/// The rules' parameters.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub window: SignedDuration,
    pub max_pages: usize,
}

/// What a hit turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub new_visit: bool,
    pub new_page_view: bool,
    /// The visit the hit belongs to.
    pub visit: VisitId,
    /// The page was new to the visitor but their memory was full.
    pub capped: bool,
}

impl VisitorState {
    /// Whether a visit begun as this state says still runs at `hit`: it
    /// may then be continued by another identity of the same person.
    pub fn is_live_at(&self, hit: &HitFacts, rules: Rules) -> bool {
        hit.at.duration_since(self.last) < rules.window && self.day == hit.day
    }

    /// Until when the state is still needed.
    pub fn expires_at(&self, rules: Rules) -> Timestamp {
        self.last
            .saturating_add(rules.window + EXPIRY_SLACK)
            .unwrap_or(Timestamp::MAX)
    }
}

/// Slack on every visitor's expiry, for clock skew between replicas.
pub const EXPIRY_SLACK: SignedDuration = SignedDuration::from_secs(60);

/// Applies `hit` to a visitor's state (`None`: never seen, or forgotten).
/// `inherited` is the state of another identity of the same person that a
/// visitor without state of its own continues when its visit is live.
pub fn touch(
    state: Option<VisitorState>,
    inherited: Option<VisitorState>,
    hit: &HitFacts,
    rules: Rules,
) -> (VisitorState, Verdict) {
    let state = state.or_else(|| inherited.filter(|s| s.is_live_at(hit, rules)));
    let (mut state, new_visit) = match state {
        None => (
            VisitorState {
                last: hit.at,
                visit: VisitId(hit.id),
                day: hit.day,
                pages: Vec::new(),
            },
            true,
        ),
        Some(mut s) => {
            let resent = s.visit == VisitId(hit.id);
            let idle = hit.at.duration_since(s.last) >= rules.window;
            let new_day = s.day != hit.day && hit.at >= s.last;
            let new_visit = resent || idle || new_day;
            if new_visit && !resent {
                s.visit = VisitId(hit.id);
                s.day = hit.day;
            }
            s.last = s.last.max(hit.at);
            (s, new_visit)
        }
    };
    let (new_page_view, capped) = match hit.page {
        None => (false, false),
        Some(page) => see_page(&mut state.pages, page, hit, rules),
    };
    let verdict = Verdict {
        new_visit,
        new_page_view,
        visit: state.visit,
        capped,
    };
    (state, verdict)
}

/// Notes a hit on `page`; says whether it is a new view and whether the
/// visitor's page memory was too full to count it.
fn see_page(
    pages: &mut Vec<PageSeen>,
    page: PageKey,
    hit: &HitFacts,
    rules: Rules,
) -> (bool, bool) {
    if let Some(seen) = pages.iter_mut().find(|p| p.page == page) {
        if seen.counted_by == hit.id {
            return (true, false);
        }
        let new_view = hit.at.duration_since(seen.last) >= rules.window;
        if new_view {
            seen.counted_by = hit.id;
        }
        seen.last = seen.last.max(hit.at);
        return (new_view, false);
    }
    if pages.len() >= rules.max_pages {
        pages.retain(|p| hit.at.duration_since(p.last) < rules.window);
    }
    if pages.len() >= rules.max_pages {
        return (false, true);
    }
    pages.push(PageSeen {
        page,
        last: hit.at,
        counted_by: hit.id,
    });
    (true, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: Rules = Rules {
        window: SignedDuration::from_mins(30),
        max_pages: 3,
    };

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    /// A hit `ms` milliseconds into the day.
    fn hit(id: u64, ms: i64, page: Option<u64>) -> HitFacts {
        HitFacts {
            id,
            at: Timestamp::from_millisecond(1_800_000_000_000 + ms).unwrap(),
            day: day("2026-11-28"),
            page: page.map(PageKey),
        }
    }

    const WINDOW_MS: i64 = 30 * 60_000;

    fn run(state: Option<VisitorState>, h: HitFacts) -> (VisitorState, Verdict) {
        touch(state, None, &h, RULES)
    }

    #[test]
    fn a_reload_is_neither_a_visit_nor_a_view() {
        let (s, v) = run(None, hit(1, 0, Some(7)));
        assert!(v.new_visit && v.new_page_view);
        assert_eq!(v.visit, VisitId(1));
        let (_, v) = run(Some(s), hit(2, 1000, Some(7)));
        assert!(!v.new_visit && !v.new_page_view);
        assert_eq!(v.visit, VisitId(1));
    }

    #[test]
    fn a_visit_ends_at_midnight() {
        let (s, _) = run(None, hit(1, 0, None));
        let mut next = hit(2, 60_000, None);
        next.day = day("2026-11-29");
        let (s, v) = run(Some(s), next);
        assert!(v.new_visit);
        assert_eq!((s.visit, s.day), (VisitId(2), day("2026-11-29")));
    }

    #[test]
    fn a_resent_hit_gets_its_first_answer() {
        let first = hit(1, 0, Some(7));
        let (s, _) = run(None, first);
        let (s, _) = run(Some(s), hit(2, 1000, Some(8)));
        let (_, v) = run(Some(s), first);
        assert!(v.new_visit && v.new_page_view);
    }

    #[test]
    fn a_full_memory_forgets_old_pages_or_counts_no_more() {
        let mut s = None;
        for page in 0..3 {
            let (next, v) = run(s, hit(page + 1, page as i64, Some(page)));
            assert!(v.new_page_view);
            s = Some(next);
        }
        let (s2, v) = run(s.clone(), hit(9, 10, Some(99)));
        assert!(v.capped && !v.new_page_view);
        assert_eq!(s2.pages.len(), 3);
        // A page hit again after the memory filled is still remembered.
        let (_, v) = run(Some(s2), hit(10, 11, Some(0)));
        assert!(!v.new_page_view && !v.capped);
        // Later, with the old pages out of the window, room is made.
        let later = WINDOW_MS + 5;
        let (s3, v) = run(s, hit(11, later, Some(99)));
        assert!(v.new_visit && v.new_page_view && !v.capped);
        assert!(s3.pages.len() <= 3);
    }

    #[test]
    fn a_live_inherited_visit_is_continued_and_a_stale_one_is_not() {
        let (hashed, _) = run(None, hit(1, 0, Some(7)));
        let (_, v) = touch(None, Some(hashed.clone()), &hit(2, 1000, Some(7)), RULES);
        assert!(!v.new_visit && !v.new_page_view);
        assert_eq!(v.visit, VisitId(1));
        let late = hit(3, WINDOW_MS, Some(7));
        let (_, v) = touch(None, Some(hashed), &late, RULES);
        assert!(v.new_visit && v.new_page_view);
        assert_eq!(v.visit, VisitId(3));
    }
}
