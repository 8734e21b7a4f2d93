//! One conformance suite that every store passes, case for case: the
//! embedded store and Redis (each test on its own private server).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use jiff::SignedDuration;
use jiff::Timestamp;
use tally::calendar::{Buckets, Day};
use tally::challenge::{ChallengeMode, Challenges, Level};
use tally::ids::{
    AddressKey, Attempt, BallotId, OptionId, PageId, PageKey, PollId, SiteId, VisitId, VisitorKey,
};
use tally::poll::{Poll, PollOption, PollSpec, Proof, Standing, judge};
use tally::store::{
    self, Ballot, BallotProof, Batch, CounterQuery, Import, Imported, Keep, PutPoll, Store, Touch,
    Verdict,
};

use crate::support::{Backend, Home};

mod drafts;
mod flushes;
mod life;
mod retention;
use drafts::*;
use flushes::*;
use life::*;
use retention::*;

const SITE: SiteId = SiteId::DEFAULT;
const WINDOW: i64 = 30 * 60 * 1000;
const T0: i64 = 1_800_000_000_000;

struct Subject {
    store: Arc<dyn Store>,
    _home: Home,
}

async fn subject(backend: Backend) -> Subject {
    let home = Home::open(backend).await;
    let store = home.open_store().await;
    Subject { store, _home: home }
}

fn visitor(n: u32) -> VisitorKey {
    let mut bytes = [0u8; 16];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    bytes[4] = 0x5a;
    VisitorKey::from_address_hash(bytes)
}

fn page(p: &str) -> PageId {
    PageId::parse(p).unwrap()
}

/// The local day of `T0` and the instants near it.
fn day(s: &str) -> Day {
    s.parse().unwrap()
}

/// `ms` milliseconds after `T0`, as an instant.
fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap()
}

fn today() -> Day {
    day("2027-01-15")
}
const MOST_PAGES: u32 = 512;

fn touch(v: &VisitorKey, p: Option<&str>, at: i64) -> Touch {
    static IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    Touch {
        visitor: v.clone(),
        inherit: None,
        page: p.map(|p| PageKey::of(&page(p))),
        at: ts(at),
        day: today(),
        window: SignedDuration::from_millis(WINDOW),
        max_pages: MOST_PAGES,
        id: IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
    }
}

/// A hit, reduced to what it counted: (new visit, new page view).
async fn counted(s: &dyn Store, t: &Touch) -> (bool, bool) {
    let o = s.touch(&SITE, t).await.unwrap();
    (o.new_visit, o.new_page_view)
}

fn outcome(new_visit: bool, new_page_view: bool) -> (bool, bool) {
    (new_visit, new_page_view)
}

fn buckets(d: &str) -> Buckets {
    Buckets::of(day(d))
}

fn query(pages: &[&str]) -> CounterQuery {
    CounterQuery {
        today: day("2026-11-28"),
        yesterday: day("2026-11-27"),
        week: day("2026-11-28").week(),
        month: day("2026-11-28").month(),
        online_since: ts(T0 - 5 * 60 * 1000),
        pages: pages.iter().map(|p| page(p)).collect(),
    }
}

fn id(s: &str) -> OptionId {
    OptionId::parse(s).unwrap()
}

fn poll(max_choices: u32, options: &[&str]) -> Poll {
    Poll::new(PollSpec {
        id: PollId::parse("danh-gia").unwrap(),
        question: "Bạn đánh giá như thế nào về cổng thông tin này?".into(),
        options: options
            .iter()
            .map(|o| PollOption {
                id: id(o),
                label: o.to_uppercase(),
            })
            .collect(),
        max_choices: Some(max_choices),
        opens_at: None,
        closes_at: None,
        results: Default::default(),
        challenge: Default::default(),
        archived_at: None,
        draft: false,
    })
    .unwrap()
}

fn ballot(v: &VisitorKey, address: u8, choices: &[&str], cap: u32) -> Ballot {
    static IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    Ballot {
        id: BallotId::parse(&format!(
            "{:032x}",
            IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ))
        .unwrap(),
        attempt: Attempt::fresh(),
        poll: PollId::parse("danh-gia").unwrap(),
        visitor: v.clone(),
        address: AddressKey::from_hash([address; 16]),
        choices: choices.iter().map(|c| id(c)).collect(),
        at: Some(ts(T0)),
        day: day("2026-11-28"),
        address_cap: cap,
        solved_cap: cap,
        networks: Vec::new(),
        proof: BallotProof::Missing,
    }
}

// ---- visits and page views --------------------------------------------

async fn a_first_hit_is_a_visit_and_a_reload_is_not(s: &dyn Store) {
    let v = visitor(1);
    assert_eq!(
        counted(s, &touch(&v, Some("/a"), T0)).await,
        outcome(true, true)
    );
    assert_eq!(
        counted(s, &touch(&v, Some("/a"), T0 + 1000)).await,
        outcome(false, false)
    );
    assert_eq!(
        counted(s, &touch(&v, Some("/b"), T0 + 2000)).await,
        outcome(false, true)
    );
    assert_eq!(
        counted(s, &touch(&v, None, T0 + 3000)).await,
        outcome(false, false)
    );
}

/// A visitor has a history once a hit of theirs is kept: an id never seen
/// has none (a ballot under it is watched as a fresh identity).
async fn a_visitor_is_known_once_a_hit_is_kept(s: &dyn Store) {
    let (seen, made_up) = (visitor(41), visitor(42));
    assert!(!s.visitor_known(&SITE, &seen, ts(T0)).await.unwrap());
    counted(s, &touch(&seen, Some("/a"), T0)).await;
    assert!(s.visitor_known(&SITE, &seen, ts(T0 + 1000)).await.unwrap());
    assert!(
        !s.visitor_known(&SITE, &made_up, ts(T0 + 1000))
            .await
            .unwrap()
    );
}

async fn the_window_runs_from_the_last_hit(s: &dyn Store) {
    let v = visitor(2);
    s.touch(&SITE, &touch(&v, Some("/a"), T0)).await.unwrap();
    // Active every half hour or less: one long visit. A page is viewed
    // again only when its own last view is a window old.
    assert_eq!(
        counted(s, &touch(&v, Some("/b"), T0 + 20 * 60_000)).await,
        outcome(false, true)
    );
    assert_eq!(
        counted(s, &touch(&v, Some("/a"), T0 + 29 * 60_000)).await,
        outcome(false, false)
    );
    assert_eq!(
        counted(s, &touch(&v, Some("/b"), T0 + 55 * 60_000)).await,
        outcome(false, true)
    );
    // Exactly a window of silence: a new visit.
    assert_eq!(
        counted(s, &touch(&v, Some("/a"), T0 + 85 * 60_000)).await,
        outcome(true, true)
    );
}

async fn a_late_replayed_hit_does_not_move_time_back(s: &dyn Store) {
    let v = visitor(3);
    s.touch(&SITE, &touch(&v, Some("/a"), T0 + 10 * 60_000))
        .await
        .unwrap();
    // A buffered hit from before arrives late: same visit.
    assert_eq!(
        counted(s, &touch(&v, Some("/a"), T0)).await,
        outcome(false, false)
    );
    // The window still counts from the later hit.
    assert_eq!(
        counted(s, &touch(&v, None, T0 + 39 * 60_000)).await,
        outcome(false, false)
    );
}

async fn a_hit_sent_again_gets_its_first_answer(s: &dyn Store) {
    let v = visitor(6);
    let first = touch(&v, Some("/a"), T0);
    assert_eq!(counted(s, &first).await, outcome(true, true));
    // Its answer was lost; it is sent again, even after later hits.
    s.touch(&SITE, &touch(&v, Some("/b"), T0 + 1000))
        .await
        .unwrap();
    assert_eq!(counted(s, &first).await, outcome(true, true));
    // Another hit at the same instant is a reload.
    let mut reload = touch(&v, Some("/a"), T0);
    reload.id += 1_000_000;
    assert_eq!(counted(s, &reload).await, outcome(false, false));
}

async fn a_new_cookie_continues_the_address_visitor(s: &dyn Store) {
    let by_address = visitor(4);
    let cookie = VisitorKey::from_cookie(&by_address.new_cookie_value([9; 16])).unwrap();
    let first = s
        .touch(&SITE, &touch(&by_address, Some("/a"), T0))
        .await
        .unwrap();
    assert!(first.new_visit && first.new_page_view);
    // The cookie comes back: it continues the address visitor's visit.
    let mut back = touch(&cookie, Some("/a"), T0 + 1000);
    back.inherit = Some(by_address.clone());
    let second = s.touch(&SITE, &back).await.unwrap();
    assert_eq!((second.new_visit, second.new_page_view), (false, false));
    assert_eq!(second.visit, first.visit, "one visit, so one person online");
    let mut third = touch(&cookie, Some("/b"), T0 + 2000);
    third.inherit = Some(by_address.clone());
    assert_eq!(counted(s, &third).await, outcome(false, true));
    // A visit that has ended is not continued.
    let stranger = VisitorKey::from_cookie(&by_address.new_cookie_value([8; 16])).unwrap();
    let mut late = touch(&stranger, Some("/a"), T0 + 2000 + WINDOW);
    late.inherit = Some(by_address);
    assert_eq!(counted(s, &late).await, outcome(true, true));
}

async fn a_visit_ends_at_local_midnight(s: &dyn Store) {
    let v = visitor(7);
    let first = s.touch(&SITE, &touch(&v, Some("/a"), T0)).await.unwrap();
    let mut after = touch(&v, Some("/a"), T0 + 60_000);
    after.day = day("2027-01-16");
    let next = s.touch(&SITE, &after).await.unwrap();
    assert!(next.new_visit, "a new day begins a new visit");
    assert!(!next.new_page_view, "the page was viewed a minute ago");
    assert_ne!(next.visit, first.visit);
}

async fn distinct_visitors_touch_concurrently(s: &dyn Store) {
    let touches: Vec<Touch> = (0..500)
        .map(|n| touch(&visitor(1000 + n), Some("/hot"), T0))
        .collect();
    let outcomes = join_all(touches.iter().map(|t| s.touch(&SITE, t))).await;
    assert!(
        outcomes
            .into_iter()
            .map(Result::unwrap)
            .all(|o| (o.new_visit, o.new_page_view) == outcome(true, true))
    );
}

async fn one_visitors_hits_at_once_count_one_visit_and_one_view(s: &dyn Store) {
    // A burst of reloads by one visitor while durable commits (each an
    // fsync on the embedded store) go on beside them: each hit is decided
    // against the one before, whether or not its record is written yet.
    let v = visitor(77);
    let hits: Vec<Touch> = (0..300)
        .map(|n| touch(&v, Some(if n % 2 == 0 { "/a" } else { "/b" }), T0 + n % 5))
        .collect();
    let syncs = join_all((0..6).map(|_| s.sync()));
    let (outcomes, synced) = tokio::join!(join_all(hits.iter().map(|t| s.touch(&SITE, t))), syncs);
    assert_eq!(synced.len(), 6);
    let outcomes: Vec<_> = outcomes.into_iter().map(Result::unwrap).collect();
    assert_eq!(outcomes.iter().filter(|o| o.new_visit).count(), 1);
    assert_eq!(outcomes.iter().filter(|o| o.new_page_view).count(), 2);
    assert!(outcomes.iter().all(|o| o.visit == outcomes[0].visit));
    // What was decided is what was kept.
    for p in ["/a", "/b"] {
        assert_eq!(
            counted(s, &touch(&v, Some(p), T0 + 10_000)).await,
            outcome(false, false)
        );
    }
    assert_eq!(
        counted(s, &touch(&v, Some("/c"), T0 + 10_000)).await,
        outcome(false, true)
    );
}

async fn a_visitor_remembers_a_bounded_number_of_pages(s: &dyn Store) {
    let v = visitor(5);
    let mut counted_views = 0;
    for n in 0..2000 {
        let o = s
            .touch(&SITE, &touch(&v, Some(&format!("/p/{n}")), T0 + n))
            .await
            .unwrap();
        counted_views += u32::from(o.new_page_view);
        assert_eq!(o.capped, n >= i64::from(MOST_PAGES), "page {n}");
    }
    // The first pages were counted; beyond the memory, no more (never a
    // view twice).
    assert_eq!(counted_views, MOST_PAGES);
    for n in [0, 1, 511, 600, 1999] {
        assert_eq!(
            counted(s, &touch(&v, Some(&format!("/p/{n}")), T0 + 3000)).await,
            outcome(false, false),
            "page {n}"
        );
    }
    // A window later the old pages make room again.
    let later = T0 + 3000 + WINDOW;
    assert_eq!(
        counted(s, &touch(&v, Some("/p/new"), later)).await,
        outcome(true, true)
    );
}

// ---- site counters ----------------------------------------------------

fn batch(id: &str) -> Batch {
    Batch {
        id: id.into(),
        visits: vec![(buckets("2026-11-28"), 3), (buckets("2026-11-27"), 2)],
        page_views: vec![(page("/a"), 4), (page("/b"), 1)],
        page_days: vec![
            (day("2026-11-28"), page("/a"), 3),
            (day("2026-11-27"), page("/a"), 1),
            (day("2026-11-28"), page("/b"), 1),
        ],
        seen: vec![(VisitId(10), ts(T0)), (VisitId(11), ts(T0 - 10 * 60_000))],
    }
}

fn keep(max_pages: u64) -> Keep {
    Keep {
        max_pages,
        top_pages: 2,
        page_days: 3,
    }
}

async fn a_batch_counts_once_however_often_it_is_sent(s: &dyn Store) {
    let q = query(&["/a", "/b", "/c"]);
    let first = s.apply(&SITE, &batch("r-1"), &q, &keep(100)).await.unwrap();
    let again = s.apply(&SITE, &batch("r-1"), &q, &keep(100)).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(first.visits, 5);
    assert_eq!(first.today, 3);
    assert_eq!(first.yesterday, 2);
    assert_eq!(first.this_week, 5);
    assert_eq!(first.this_month, 5);
    assert_eq!(first.pages, vec![4, 1, 0]);
    // Only visit 10 was seen in the last five minutes.
    assert_eq!(first.online, 1);
    assert_eq!(first.distinct_pages, 2);
    let next = s.apply(&SITE, &batch("r-2"), &q, &keep(100)).await.unwrap();
    assert_eq!(next.visits, 10);
    assert_eq!(next.pages, vec![8, 2, 0]);
    let views = s
        .page_views(&SITE, &[page("/b"), page("/c"), page("/a")])
        .await
        .unwrap();
    assert_eq!(views, vec![2, 0, 8]);
    assert!(s.page_views(&SITE, &[]).await.unwrap().is_empty());
    let read = s.read(&SITE, &q).await.unwrap();
    assert_eq!(
        read,
        CounterSnapshot {
            views_dropped: 0,
            ..next
        }
    );
}

use tally::store::CounterSnapshot;

/// A flush of many distinct pages and visitors, as a busy site makes (a
/// store may write it in several parts): counted once however often it is
/// sent, its pages capped, and a past day's pages trimmed to the top.
async fn a_large_batch_counts_once_however_often_it_is_sent(s: &dyn Store) {
    const PAGES: u64 = 700;
    const VISITS: u64 = 2_500;
    let name = |i: u64| format!("/tin-tuc/{i}");
    let b = Batch {
        id: "big-1".into(),
        visits: vec![(buckets("2026-11-28"), VISITS)],
        // Page i has i + 1 views, on the day under way; the first 10 also
        // have views on the day before.
        page_views: (0..PAGES).map(|i| (page(&name(i)), i + 1)).collect(),
        page_days: (0..PAGES)
            .map(|i| (day("2026-11-28"), page(&name(i)), i + 1))
            .chain((0..10).map(|i| (day("2026-11-27"), page(&name(i)), i + 1)))
            .collect(),
        // Every other visit was seen more than five minutes ago.
        seen: (0..VISITS)
            .map(|v| (VisitId(1_000 + v), ts(T0 - (v % 2) as i64 * 10 * 60_000)))
            .collect(),
    };
    let names: Vec<String> = (0..PAGES).map(name).collect();
    let q = query(&names.iter().map(String::as_str).collect::<Vec<_>>());
    // At most 600 distinct pages: the last 100 are dropped.
    let first = s.apply(&SITE, &b, &q, &keep(600)).await.unwrap();
    let again = s.apply(&SITE, &b, &q, &keep(600)).await.unwrap();
    assert_eq!(first.visits, VISITS);
    assert_eq!(first.today, VISITS);
    assert_eq!(first.online, VISITS / 2);
    assert_eq!(first.distinct_pages, 600);
    let expected: Vec<u64> = (0..PAGES)
        .map(|i| if i < 600 { i + 1 } else { 0 })
        .collect();
    assert_eq!(first.pages, expected);
    assert_eq!(first.views_dropped, (601..=PAGES).sum::<u64>());
    assert_eq!(
        again,
        CounterSnapshot {
            views_dropped: 0,
            ..first.clone()
        },
        "sent again: nothing added, nothing dropped"
    );
    let days = [day("2026-11-27"), day("2026-11-28")];
    let by_day = s.pages_by_day(&SITE, &days, 1_000).await.unwrap();
    // The day before keeps its two most-read pages, the day under way
    // every page counted.
    assert_eq!(by_day[0], vec![(page(&name(9)), 10), (page(&name(8)), 9)]);
    assert_eq!(by_day[1].len(), 600);
    assert_eq!(by_day[1][0], (page(&name(599)), 600));
    let visits = s
        .visits_by_day(&SITE, day("2026-11-28"), day("2026-11-28"))
        .await
        .unwrap();
    assert_eq!(visits, vec![VISITS]);
}

async fn the_distinct_page_cap_holds(s: &dyn Store) {
    let q = query(&["/a", "/b", "/c"]);
    let mut b = Batch {
        id: "cap-1".into(),
        page_views: vec![(page("/a"), 1), (page("/b"), 1)],
        ..Batch::default()
    };
    s.apply(&SITE, &b, &q, &keep(2)).await.unwrap();
    b.id = "cap-2".into();
    b.page_views = vec![(page("/c"), 5), (page("/a"), 1)];
    let snap = s.apply(&SITE, &b, &q, &keep(2)).await.unwrap();
    assert_eq!(snap.pages, vec![2, 1, 0]);
    assert_eq!(snap.views_dropped, 5, "every view of the dropped page");
    assert_eq!(snap.distinct_pages, 2);
}

async fn online_forgets_visitors_after_five_minutes(s: &dyn Store) {
    let b = Batch {
        id: "on-1".into(),
        seen: vec![(VisitId(20), ts(T0)), (VisitId(21), ts(T0 - 60_000))],
        ..Batch::default()
    };
    let mut q = query(&[]);
    assert_eq!(s.apply(&SITE, &b, &q, &keep(100)).await.unwrap().online, 2);
    q.online_since = ts(T0 - 30_000);
    assert_eq!(s.read(&SITE, &q).await.unwrap().online, 1);
    q.online_since = ts(T0 + 1);
    assert_eq!(s.read(&SITE, &q).await.unwrap().online, 0);
}

async fn the_baseline_is_kept(s: &dyn Store) {
    s.set_baseline(&SITE, 7_582_803).await.unwrap();
    assert_eq!(
        s.read(&SITE, &query(&[])).await.unwrap().baseline,
        7_582_803
    );
}

async fn a_days_hashing_key_is_the_first_one_written(s: &dyn Store) {
    let first = s
        .daily_key(&SITE, day("2026-11-28"), [1; 32], Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(first, [1; 32]);
    assert_eq!(
        s.daily_key(&SITE, day("2026-11-28"), [2; 32], Duration::from_secs(3600))
            .await
            .unwrap(),
        [1; 32]
    );
    assert_eq!(
        s.daily_key(&SITE, day("2026-11-29"), [3; 32], Duration::from_secs(3600))
            .await
            .unwrap(),
        [3; 32]
    );
}

/// Raised challenge levels as replicas share them: the highest offer holds
/// until it expires, a lower one waits for it, an expired one is gone.
async fn shared_levels_keep_the_highest_until_it_expires(s: &dyn Store) {
    let level = |name: &str, level: u8| (name.to_string(), level);
    let share = async |site: &SiteId, offers: &[(String, u8)], until: i64, now: i64| {
        let mut got = s
            .share_levels(site, offers, ts(until), ts(now))
            .await
            .unwrap();
        got.sort();
        got
    };
    let a = level("poll", 3);
    let b = level("poll/c00002", 4);
    assert_eq!(
        share(&SITE, &[a.clone(), b.clone()], 90_000, 0).await,
        [a.clone(), b.clone()]
    );
    // Another replica, calmer: the higher levels hold; a new name joins.
    let c = level("other-poll", 2);
    let calmer = [level("poll", 2), c.clone()];
    assert_eq!(
        share(&SITE, &calmer, 100_000, 10_000).await,
        [c.clone(), a.clone(), b.clone()]
    );
    // Past 90 s the first offers lapse; the calmer replica's next offer
    // holds, until it lapses too.
    assert_eq!(share(&SITE, &[], 0, 95_000).await, std::slice::from_ref(&c));
    let again = [level("poll", 2)];
    assert_eq!(
        share(&SITE, &again, 185_000, 96_000).await,
        [c, level("poll", 2)]
    );
    assert_eq!(share(&SITE, &[], 0, 185_000).await, []);
}

// ---- polls --------------------------------------------------------------

async fn polls_are_created_replaced_and_listed(s: &dyn Store) {
    let p = poll(1, &["tot", "chua-tot"]);
    assert_eq!(
        s.put_poll(&SITE, &p, false).await.unwrap(),
        PutPoll::Created
    );
    assert_eq!(
        s.put_poll(&SITE, &p, false).await.unwrap(),
        PutPoll::Unchanged
    );
    let wider = poll(1, &["tot", "chua-tot", "binh-thuong"]);
    assert_eq!(
        s.put_poll(&SITE, &wider, false).await.unwrap(),
        PutPoll::Replaced
    );
    assert_eq!(s.list_polls(&SITE).await.unwrap(), vec![wider.clone()]);
    let state = s.poll_state(&SITE, &wider.id, None).await.unwrap().unwrap();
    assert_eq!(state.votes, vec![0, 0, 0]);
    assert!(
        s.poll_state(&SITE, &PollId::parse("khac").unwrap(), None)
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_page_of_poll_states_is_read_at_once(s: &dyn Store) {
    let named = |name: &str| {
        let mut p = poll(1, &["tot", "chua-tot"]);
        p.id = PollId::parse(name).unwrap();
        p
    };
    for name in ["mot", "hai", "ba"] {
        s.put_poll(&SITE, &named(name), false).await.unwrap();
    }
    let mut chosen = ballot(&visitor(90), 1, &["chua-tot"], 50);
    chosen.poll = named("hai").id;
    s.cast(&SITE, &chosen).await.unwrap().unwrap();
    let mut listed: Vec<String> = s
        .list_polls(&SITE)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id.to_string())
        .collect();
    listed.sort();
    assert_eq!(listed, ["ba", "hai", "mot"]);

    // In the order asked, a poll twice, one that does not exist as `None`,
    // each as `poll_state` reads it alone.
    let asked: Vec<PollId> = ["hai", "khong-co", "mot", "hai"]
        .iter()
        .map(|id| PollId::parse(id).unwrap())
        .collect();
    for person in [None, Some(visitor(90)), Some(visitor(91))] {
        let states = s.poll_states(&SITE, &asked, person.as_ref()).await.unwrap();
        let mut alone = Vec::new();
        for id in &asked {
            alone.push(s.poll_state(&SITE, id, person.as_ref()).await.unwrap());
        }
        assert_eq!(states, alone, "{person:?}");
    }
    let states = s
        .poll_states(&SITE, &asked, Some(&visitor(90)))
        .await
        .unwrap();
    let hai = states[0].as_ref().unwrap();
    assert_eq!((hai.votes.clone(), hai.voters), (vec![0, 1], 1));
    assert_eq!(hai.voted, Some(vec![id("chua-tot")]));
    assert!(states[1].is_none());
    assert_eq!(states[2].as_ref().unwrap().voted, None);
    assert!(s.poll_states(&SITE, &[], None).await.unwrap().is_empty());
}

async fn the_polls_version_moves_with_every_poll_change(s: &dyn Store) {
    let version = || async { s.polls_version(&SITE).await.unwrap() };
    let mut was = version().await;
    let p = poll(1, &["tot", "chua-tot"]);
    for change in ["created", "replaced", "deleted"] {
        match change {
            "created" => s.put_poll(&SITE, &p, false).await.map(drop),
            "replaced" => s
                .put_poll(&SITE, &poll(1, &["tot", "khac"]), false)
                .await
                .map(drop),
            _ => s.delete_poll(&SITE, &p.id).await.map(drop),
        }
        .unwrap();
        let now = version().await;
        assert!(now > was, "{change}: {was} then {now}");
        was = now;
    }
    // Ballots and reads leave the definitions, and the version, alone.
    s.put_poll(&SITE, &p, false).await.unwrap();
    let was = version().await;
    s.cast(&SITE, &ballot(&visitor(95), 1, &["tot"], 50))
        .await
        .unwrap()
        .unwrap();
    s.poll_states(&SITE, std::slice::from_ref(&p.id), None)
        .await
        .unwrap();
    s.list_polls(&SITE).await.unwrap();
    assert_eq!(version().await, was);
}

async fn dropping_options_with_ballots_needs_force(s: &dyn Store) {
    let p = poll(2, &["tot", "chua-tot", "binh-thuong"]);
    s.put_poll(&SITE, &p, false).await.unwrap();
    for (v, choices) in [
        (30, &["chua-tot"][..]),
        (31, &["tot"]),
        (32, &["tot", "chua-tot"]),
    ] {
        let (verdict, _) = s
            .cast(&SITE, &ballot(&visitor(v), 1, choices, 50))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(verdict, Verdict::Accepted);
    }
    let narrower = poll(2, &["tot", "binh-thuong"]);
    assert_eq!(
        s.put_poll(&SITE, &narrower, false).await.unwrap(),
        PutPoll::Conflict(vec![(id("chua-tot"), 2)])
    );
    // Nothing changed.
    let state = s.poll_state(&SITE, &p.id, None).await.unwrap().unwrap();
    assert_eq!(
        (state.poll, state.votes, state.voters),
        (p.clone(), vec![2, 2, 0], 3)
    );
    assert_eq!(
        s.put_poll(&SITE, &narrower, true).await.unwrap(),
        PutPoll::Replaced
    );
    // Forced, the dropped option's ballots go with it: the voter who chose
    // only it is a voter no more (and may vote again), the one who chose
    // it beside another keeps the other, and its days are gone.
    let state = s.poll_state(&SITE, &p.id, None).await.unwrap().unwrap();
    assert_eq!((state.votes, state.voters), (vec![2, 0], 2));
    let poll_id = &p.id;
    let mine = |v| async move {
        s.poll_state(&SITE, poll_id, Some(&visitor(v)))
            .await
            .unwrap()
            .unwrap()
            .voted
    };
    assert_eq!(mine(30).await, None);
    assert_eq!(mine(32).await, Some(vec![id("tot")]));
    let days = s.ballots_by_day(&SITE, &p.id).await.unwrap();
    assert!(
        days.iter().all(|(_, option, _)| option != "chua-tot"),
        "{days:?}"
    );
    let (verdict, state) = s
        .cast(&SITE, &ballot(&visitor(30), 1, &["binh-thuong"], 50))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        verdict,
        Verdict::Accepted,
        "a voter whose ballot went votes again"
    );
    assert_eq!((state.votes, state.voters), (vec![2, 1], 3));
    // Dropping an option without ballots needs no force.
    assert_eq!(
        s.put_poll(&SITE, &poll(1, &["tot", "binh-thuong", "khac"]), false)
            .await
            .unwrap(),
        PutPoll::Replaced
    );
    assert_eq!(
        s.put_poll(&SITE, &poll(1, &["tot", "binh-thuong"]), false)
            .await
            .unwrap(),
        PutPoll::Replaced
    );
}

async fn a_ballot_is_counted_once_per_visitor(s: &dyn Store) {
    s.put_poll(&SITE, &poll(1, &["tot", "chua-tot"]), false)
        .await
        .unwrap();
    let v = visitor(40);
    let (verdict, state) = s
        .cast(&SITE, &ballot(&v, 1, &["tot"], 50))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(verdict, Verdict::Accepted);
    assert_eq!(state.votes, vec![1, 0]);
    assert_eq!(state.voted, Some(vec![id("tot")]));
    let (verdict, state) = s
        .cast(&SITE, &ballot(&v, 1, &["chua-tot"], 50))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(verdict, Verdict::AlreadyVoted);
    assert_eq!(state.votes, vec![1, 0]);
    assert_eq!(state.voted, Some(vec![id("tot")]));
    let read = s
        .poll_state(&SITE, &state.poll.id, Some(&v))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.voted, Some(vec![id("tot")]));
    let other = s
        .poll_state(&SITE, &state.poll.id, Some(&visitor(41)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.voted, None);
}

async fn voters_are_counted_beside_votes(s: &dyn Store) {
    let p = poll(3, &["a", "b", "c"]);
    s.put_poll(&SITE, &p, false).await.unwrap();
    s.cast(&SITE, &ballot(&visitor(42), 1, &["a", "b"], 50))
        .await
        .unwrap();
    let (_, state) = s
        .cast(&SITE, &ballot(&visitor(43), 1, &["a", "b", "c"], 50))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.votes, vec![2, 2, 1]);
    assert_eq!(state.voters, 2);
    // Replacing the poll keeps the voters' count.
    let wider = poll(3, &["a", "b", "c", "d"]);
    assert_eq!(
        s.put_poll(&SITE, &wider, false).await.unwrap(),
        PutPoll::Replaced
    );
    let read = s.poll_state(&SITE, &p.id, None).await.unwrap().unwrap();
    assert_eq!((read.votes, read.voters), (vec![2, 2, 1, 0], 2));
}

async fn the_per_address_cap_holds_exactly(s: &dyn Store) {
    s.put_poll(&SITE, &poll(1, &["tot", "chua-tot"]), false)
        .await
        .unwrap();
    let ballots: Vec<Ballot> = (0..20)
        .map(|n| ballot(&visitor(100 + n), 7, &["tot"], 5))
        .collect();
    let verdicts = join_all(ballots.iter().map(|b| s.cast(&SITE, b))).await;
    let accepted = verdicts
        .into_iter()
        .filter(|r| r.as_ref().unwrap().as_ref().unwrap().0 == Verdict::Accepted)
        .count();
    assert_eq!(accepted, 5);
    // Another address, or another day, is not capped.
    assert_eq!(
        s.cast(&SITE, &ballot(&visitor(200), 8, &["tot"], 5))
            .await
            .unwrap()
            .unwrap()
            .0,
        Verdict::Accepted
    );
    let mut tomorrow = ballot(&visitor(201), 7, &["tot"], 5);
    tomorrow.day = day("2026-11-29");
    assert_eq!(
        s.cast(&SITE, &tomorrow).await.unwrap().unwrap().0,
        Verdict::Accepted
    );
    let state = s
        .poll_state(&SITE, &tomorrow.poll, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.votes, vec![7, 0]);
}

/// Addresses in one network share its cap: a /24's (or /56's) and, for
/// IPv6, the /48's, each counted beside the address's own.
async fn network_caps_hold_exactly(s: &dyn Store) {
    s.put_poll(&SITE, &poll(1, &["tot", "chua-tot"]), false)
        .await
        .unwrap();
    let network = |n: u8, cap: u32| (AddressKey::from_hash([n; 16]), cap);
    // Twenty addresses of one network capped at 6, and its site at 9.
    let ballots: Vec<Ballot> = (0..20)
        .map(|n| {
            let mut b = ballot(&visitor(300 + n), 100 + n as u8, &["tot"], 50);
            b.networks = vec![network(1, 6), network(2, 9)];
            b
        })
        .collect();
    let verdicts = join_all(ballots.iter().map(|b| s.cast(&SITE, b))).await;
    let accepted = verdicts
        .iter()
        .filter(|r| r.as_ref().unwrap().as_ref().unwrap().0 == Verdict::Accepted)
        .count();
    assert_eq!(accepted, 6, "the network's cap");
    // Another network of the same site: the site's cap, 9 in all.
    let mut accepted = 0;
    for n in 0..10 {
        let mut b = ballot(&visitor(400 + n), 150 + n as u8, &["tot"], 50);
        b.networks = vec![network(3, 6), network(2, 9)];
        if s.cast(&SITE, &b).await.unwrap().unwrap().0 == Verdict::Accepted {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 3, "the site's cap");
    // Another network and site, unaffected.
    let mut b = ballot(&visitor(499), 200, &["tot"], 50);
    b.networks = vec![network(4, 6), network(5, 9)];
    assert_eq!(
        s.cast(&SITE, &b).await.unwrap().unwrap().0,
        Verdict::Accepted
    );
    // The form, in a poll that asks for a challenge, under the same caps.
    let mut p = poll(1, &["tot", "chua-tot"]);
    p.id = PollId::parse("mang-co-thach-thuc").unwrap();
    p.challenge = ChallengeMode::On;
    s.put_poll(&SITE, &p, false).await.unwrap();
    let mut verdicts = Vec::new();
    for n in 0..4 {
        let mut b = ballot(&visitor(520 + n), 210 + n as u8, &["tot"], 50);
        b.poll = p.id.clone();
        b.proof = BallotProof::Form { cap: 5 };
        b.networks = vec![network(6, 2)];
        verdicts.push(s.cast(&SITE, &b).await.unwrap().unwrap().0);
    }
    assert_eq!(
        verdicts,
        [
            Verdict::Accepted,
            Verdict::Accepted,
            Verdict::AddressCapReached,
            Verdict::AddressCapReached
        ]
    );
}

/// On a poll that asks for a challenge, a ballot that brings a solution
/// has the solved cap per address; one from the form, its own, smaller.
async fn a_solved_ballot_has_the_solved_address_cap(s: &dyn Store) {
    let mut p = poll(1, &["tot", "chua-tot"]);
    p.id = PollId::parse("co-thach-thuc").unwrap();
    p.challenge = ChallengeMode::On;
    s.put_poll(&SITE, &p, false).await.unwrap();
    let challenges = Challenges::new([9; 32]);
    let mut verdicts = Vec::new();
    for n in 0..6 {
        let solution = challenges.issue(&p.id, Level::MIN, ts(T0)).solve().unwrap();
        let spend = challenges.verify(&p.id, &solution, ts(T0)).unwrap();
        let mut b = ballot(&visitor(600 + n), 60, &["tot"], 2);
        b.poll = p.id.clone();
        b.solved_cap = 4;
        b.proof = BallotProof::Solved(store::SpentSolution::of(spend, ts(T0)));
        verdicts.push(s.cast(&SITE, &b).await.unwrap().unwrap().0);
    }
    let accepted = verdicts.iter().filter(|&&v| v == Verdict::Accepted).count();
    assert_eq!(accepted, 4, "{verdicts:?}");
    assert_eq!(verdicts[4], Verdict::AddressCapReached);
    // The form, from another address: its own cap.
    let mut verdicts = Vec::new();
    for n in 0..3 {
        let mut b = ballot(&visitor(700 + n), 61, &["tot"], 2);
        b.poll = p.id.clone();
        b.solved_cap = 4;
        b.proof = BallotProof::Form { cap: 1 };
        verdicts.push(s.cast(&SITE, &b).await.unwrap().unwrap().0);
    }
    assert_eq!(
        verdicts,
        [
            Verdict::Accepted,
            Verdict::AddressCapReached,
            Verdict::AddressCapReached
        ]
    );
}

async fn concurrent_ballots_from_one_visitor_count_once(s: &dyn Store) {
    s.put_poll(&SITE, &poll(1, &["tot", "chua-tot"]), false)
        .await
        .unwrap();
    let v = visitor(50);
    let ballots: Vec<Ballot> = (0..200).map(|_| ballot(&v, 2, &["tot"], 1000)).collect();
    let verdicts = join_all(ballots.iter().map(|b| s.cast(&SITE, b))).await;
    let accepted = verdicts
        .into_iter()
        .filter(|r| r.as_ref().unwrap().as_ref().unwrap().0 == Verdict::Accepted)
        .count();
    assert_eq!(accepted, 1);
    let state = s
        .poll_state(&SITE, &ballots[0].poll, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.votes, vec![1, 0]);
}

/// One solved challenge buys one person's ballot: sent at once by a
/// thousand people with one ballot id, or with a thousand, it counts
/// exactly once; the person whose ballot spent it may still send that
/// ballot again (a retry after a lost answer), also once its first try was
/// retracted, and nobody else may.
async fn one_solution_counts_one_ballot_whoever_sends_it(s: &dyn Store) {
    let mut p = poll(1, &["tot", "chua-tot"]);
    p.challenge = ChallengeMode::On;
    s.put_poll(&SITE, &p, false).await.unwrap();
    let solved = |key: u8| {
        let challenges = Challenges::new([key; 32]);
        let spend = challenges
            .issue(&p.id, Level::MIN, ts(T0))
            .solve()
            .and_then(|solution| challenges.verify(&p.id, &solution, ts(T0)).ok())
            .unwrap();
        BallotProof::Solved(store::SpentSolution::of(spend, ts(T0)))
    };
    let cast_all = async |ballots: &[Ballot]| -> Vec<Verdict> {
        join_all(ballots.iter().map(|b| s.cast(&SITE, b)))
            .await
            .into_iter()
            .map(|r| r.unwrap().unwrap().0)
            .collect()
    };
    let crowd = |proof: BallotProof, id: Option<&BallotId>, first: u32| -> Vec<Ballot> {
        (0..1000u32)
            .map(|n| {
                let mut b = ballot(&visitor(first + n), (n % 200) as u8, &["tot"], u32::MAX);
                b.poll = p.id.clone();
                b.proof = proof;
                if let Some(id) = id {
                    b.id = id.clone();
                }
                b
            })
            .collect()
    };
    let accepted = |verdicts: &[Verdict]| {
        assert!(
            verdicts
                .iter()
                .all(|v| matches!(v, Verdict::Accepted | Verdict::ChallengeReplayed)),
            "{verdicts:?}"
        );
        verdicts.iter().filter(|v| **v == Verdict::Accepted).count()
    };
    let counts = async || {
        let state = s.poll_state(&SITE, &p.id, None).await.unwrap().unwrap();
        (state.votes[0], state.voters)
    };

    // A thousand people at once with one ballot id, then with their own.
    let shared = ballot(&visitor(0), 0, &[], 0).id;
    let verdicts = cast_all(&crowd(solved(1), Some(&shared), 3_000)).await;
    assert_eq!(accepted(&verdicts), 1, "one solution, one ballot id");
    let verdicts = cast_all(&crowd(solved(2), None, 4_000)).await;
    assert_eq!(accepted(&verdicts), 1, "one solution, a thousand ids");
    assert_eq!(counts().await, (2, 2));

    // A person spends a solution; a thousand others send their ballot id
    // with it while the person's retry (a new try) races them: only the
    // retry is that ballot, and it does not count twice.
    let proof = solved(3);
    let mut mine = ballot(&visitor(5_000), 1, &["tot"], u32::MAX);
    mine.poll = p.id.clone();
    mine.proof = proof;
    assert_eq!(
        cast_all(std::slice::from_ref(&mine)).await,
        [Verdict::Accepted]
    );
    let mut racing = crowd(proof, Some(&mine.id), 6_000);
    let mut retry = mine.clone();
    retry.attempt = Attempt::fresh();
    racing.insert(500, retry.clone());
    let verdicts = cast_all(&racing).await;
    assert_eq!(verdicts[500], Verdict::Accepted, "the spender's retry");
    assert_eq!(accepted(&verdicts), 1);
    assert_eq!(counts().await, (3, 3));

    // The retry's try is retracted (its caller heard 503): the person's
    // next try brings the same solution and counts; another's still not.
    assert!(s.retract(&SITE, &retry.retraction()).await.unwrap());
    assert_eq!(counts().await, (2, 2));
    let verdicts = cast_all(&crowd(proof, Some(&mine.id), 7_000)[..10]).await;
    assert_eq!(
        accepted(&verdicts),
        0,
        "a retracted ballot is not up for grabs"
    );
    let mut again = mine.clone();
    again.attempt = Attempt::fresh();
    assert_eq!(cast_all(&[again]).await, [Verdict::Accepted]);
    assert_eq!(counts().await, (3, 3));
}

async fn invalid_ballots_change_nothing(s: &dyn Store) {
    s.put_poll(&SITE, &poll(2, &["a", "b", "c"]), false)
        .await
        .unwrap();
    for choices in [&["a", "a"][..], &["d"], &["a", "b", "c"], &[]] {
        let (verdict, state) = s
            .cast(&SITE, &ballot(&visitor(60), 3, choices, 50))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(verdict, Verdict::InvalidChoice, "{choices:?}");
        assert_eq!(state.votes, vec![0, 0, 0]);
    }
    let (verdict, state) = s
        .cast(&SITE, &ballot(&visitor(60), 3, &["c", "a"], 50))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(verdict, Verdict::Accepted);
    assert_eq!(state.votes, vec![1, 0, 1]);
    assert_eq!(state.voted, Some(vec![id("c"), id("a")]));
    let mut unknown = ballot(&visitor(61), 3, &["a"], 50);
    unknown.poll = PollId::parse("khong-co").unwrap();
    assert!(s.cast(&SITE, &unknown).await.unwrap().is_none());
}

async fn ballots_respect_the_polls_window(s: &dyn Store) {
    let at = |ms: i64| Timestamp::from_millisecond(ms).unwrap();
    let mut p = poll(1, &["tot", "chua-tot"]);
    p.opens_at = Some(at(T0 + 1000));
    p.closes_at = Some(at(T0 + 2000));
    s.put_poll(&SITE, &p, false).await.unwrap();
    let mut b = ballot(&visitor(70), 4, &["tot"], 50);
    assert_eq!(
        s.cast(&SITE, &b).await.unwrap().unwrap().0,
        Verdict::NotYetOpen
    );
    b.at = Some(ts(T0 + 2000));
    assert_eq!(s.cast(&SITE, &b).await.unwrap().unwrap().0, Verdict::Closed);
    b.at = Some(ts(T0 + 1500));
    assert_eq!(
        s.cast(&SITE, &b).await.unwrap().unwrap().0,
        Verdict::Accepted
    );
}

/// One ballot, judged: whether its visitor voted before, how many ballots
/// its address cast that day, when it arrives (before, in or after the
/// poll's window), its choices, and the verdict.
struct Judged {
    voted_before: bool,
    from_address: u32,
    arrives: Window,
    choices: &'static [&'static str],
    /// The poll's challenge setting, and what the ballot brings.
    challenge: ChallengeMode,
    proof: Brings,
    verdict: Verdict,
}

/// What a ballot brings against a challenge.
#[derive(Clone, Copy, PartialEq)]
enum Brings {
    Nothing,
    Solution,
    /// A solution another ballot spent already.
    SpentSolution,
    /// A solution spent already by someone else's ballot that carried this
    /// ballot's id: one solution buys one person's ballot.
    SpentUnderItsId,
    /// A form post, under the form's cap of 1 per address.
    Form,
}

/// A case with the defaults of the table's first rows.
const CASE: Judged = Judged {
    voted_before: false,
    from_address: 0,
    arrives: Window::Open,
    choices: &["a"],
    challenge: ChallengeMode::Off,
    proof: Brings::Nothing,
    verdict: Verdict::Accepted,
};

#[derive(Clone, Copy)]
enum Window {
    Before,
    Open,
    After,
}

/// The ballot rules as one table of cases, which the rules themselves
/// (`poll::judge`) and every store must all follow: the embedded store runs
/// `judge`, Redis states the rules again in `ballot.lua`.
async fn the_ballot_rules_are_one_table(s: &dyn Store) {
    use Verdict::*;
    use Window::*;
    let cases = [
        Judged {
            voted_before: false,
            from_address: 0,
            arrives: Open,
            choices: &["a"],
            challenge: ChallengeMode::Off,
            proof: Brings::Nothing,
            verdict: Accepted,
        },
        Judged {
            voted_before: false,
            from_address: 0,
            arrives: Open,
            choices: &["a", "b"],
            challenge: ChallengeMode::Off,
            proof: Brings::Nothing,
            verdict: Accepted,
        },
        Judged {
            voted_before: true,
            from_address: 1,
            arrives: Open,
            choices: &["a"],
            challenge: ChallengeMode::Off,
            proof: Brings::Nothing,
            verdict: AlreadyVoted,
        },
        Judged {
            voted_before: true,
            from_address: 1,
            arrives: After,
            choices: &["a"],
            challenge: ChallengeMode::Off,
            proof: Brings::Nothing,
            verdict: AlreadyVoted,
        },
        Judged {
            voted_before: true,
            from_address: 1,
            arrives: Open,
            choices: &["x"],
            challenge: ChallengeMode::Off,
            proof: Brings::Nothing,
            verdict: AlreadyVoted,
        },
        Judged {
            voted_before: false,
            from_address: 0,
            arrives: Before,
            choices: &["a"],
            challenge: ChallengeMode::Off,
            proof: Brings::Nothing,
            verdict: NotYetOpen,
        },
        Judged {
            voted_before: false,
            from_address: 0,
            arrives: Before,
            choices: &["x"],
            challenge: ChallengeMode::Off,
            proof: Brings::Nothing,
            verdict: NotYetOpen,
        },
        Judged {
            voted_before: false,
            from_address: 0,
            arrives: After,
            choices: &["a"],
            challenge: ChallengeMode::Off,
            proof: Brings::Nothing,
            verdict: Closed,
        },
        Judged {
            voted_before: false,
            from_address: 2,
            arrives: After,
            choices: &[],
            challenge: ChallengeMode::Off,
            proof: Brings::Nothing,
            verdict: Closed,
        },
        Judged {
            voted_before: false,
            from_address: 0,
            arrives: Open,
            choices: &[],
            challenge: ChallengeMode::Off,
            proof: Brings::Nothing,
            verdict: InvalidChoice,
        },
        Judged {
            voted_before: false,
            from_address: 0,
            arrives: Open,
            choices: &["x"],
            challenge: ChallengeMode::Off,
            proof: Brings::Nothing,
            verdict: InvalidChoice,
        },
        Judged {
            voted_before: false,
            from_address: 0,
            arrives: Open,
            choices: &["a", "a"],
            challenge: ChallengeMode::Off,
            proof: Brings::Nothing,
            verdict: InvalidChoice,
        },
        Judged {
            voted_before: false,
            from_address: 0,
            arrives: Open,
            choices: &["a", "b", "c"],
            challenge: ChallengeMode::Off,
            proof: Brings::Nothing,
            verdict: InvalidChoice,
        },
        Judged {
            voted_before: false,
            from_address: 2,
            arrives: Open,
            choices: &["x"],
            challenge: ChallengeMode::Off,
            proof: Brings::Nothing,
            verdict: InvalidChoice,
        },
        Judged {
            voted_before: false,
            from_address: 2,
            arrives: Open,
            choices: &["a"],
            challenge: ChallengeMode::Off,
            proof: Brings::Nothing,
            verdict: AddressCapReached,
        },
        Judged {
            voted_before: false,
            from_address: 1,
            arrives: Open,
            choices: &["a"],
            challenge: ChallengeMode::Off,
            proof: Brings::Nothing,
            verdict: Accepted,
        },
        // A poll that asks for a challenge.
        Judged {
            challenge: ChallengeMode::On,
            verdict: ChallengeRequired,
            ..CASE
        },
        Judged {
            challenge: ChallengeMode::Auto,
            verdict: ChallengeRequired,
            ..CASE
        },
        Judged {
            challenge: ChallengeMode::On,
            voted_before: true,
            from_address: 1,
            verdict: AlreadyVoted,
            ..CASE
        },
        Judged {
            challenge: ChallengeMode::On,
            arrives: After,
            verdict: Closed,
            ..CASE
        },
        Judged {
            challenge: ChallengeMode::On,
            choices: &["x"],
            verdict: InvalidChoice,
            ..CASE
        },
        Judged {
            challenge: ChallengeMode::On,
            proof: Brings::Solution,
            verdict: Accepted,
            ..CASE
        },
        Judged {
            challenge: ChallengeMode::Auto,
            proof: Brings::SpentSolution,
            verdict: ChallengeReplayed,
            ..CASE
        },
        Judged {
            challenge: ChallengeMode::On,
            proof: Brings::SpentUnderItsId,
            verdict: ChallengeReplayed,
            ..CASE
        },
        Judged {
            challenge: ChallengeMode::On,
            proof: Brings::Solution,
            from_address: 2,
            verdict: AddressCapReached,
            ..CASE
        },
        Judged {
            challenge: ChallengeMode::On,
            proof: Brings::Form,
            verdict: Accepted,
            ..CASE
        },
        Judged {
            challenge: ChallengeMode::On,
            proof: Brings::Form,
            from_address: 1,
            verdict: AddressCapReached,
            ..CASE
        },
        // A poll that does not: what a ballot brings does not matter.
        Judged {
            proof: Brings::SpentSolution,
            verdict: Accepted,
            ..CASE
        },
        Judged {
            proof: Brings::Form,
            from_address: 1,
            verdict: Accepted,
            ..CASE
        },
    ];
    let cap = 2;
    for (n, case) in cases.iter().enumerate() {
        let mut p = poll(2, &["a", "b", "c"]);
        p.id = PollId::parse(&format!("bang-{n}")).unwrap();
        p.opens_at = Some(ts(T0 + 1_000));
        p.closes_at = Some(ts(T0 + 2_000));
        p.challenge = case.challenge;
        let at = ts(match case.arrives {
            Before => T0,
            Open => T0 + 1_500,
            After => T0 + 2_000,
        });
        let choices: Vec<OptionId> = case.choices.iter().map(|c| id(c)).collect();
        let spend = Challenges::new([n as u8; 32])
            .issue(&p.id, Level::MIN, ts(T0))
            .solve()
            .map(|solution| {
                Challenges::new([n as u8; 32])
                    .verify(&p.id, &solution, ts(T0))
                    .unwrap()
            })
            .unwrap();
        let (proof, standing) = match case.proof {
            Brings::Nothing => (BallotProof::Missing, Proof::Missing),
            Brings::Form => (BallotProof::Form { cap: 1 }, Proof::Form { cap: 1 }),
            Brings::Solution | Brings::SpentSolution | Brings::SpentUnderItsId => (
                BallotProof::Solved(store::SpentSolution::of(spend, ts(T0))),
                Proof::Solved {
                    spent_by_another: case.proof != Brings::Solution,
                },
            ),
        };
        let standing = Standing {
            already_voted: case.voted_before,
            from_address: case.from_address,
            address_cap: cap,
            solved_cap: cap,
            network_full: false,
            proof: standing,
        };
        let rules = judge(&p, at, &standing, &choices);
        assert_eq!(rules, case.verdict, "case {n}: the rules");

        s.put_poll(&SITE, &p, false).await.unwrap();
        let voter = visitor(500 + n as u32);
        let earlier: Vec<VisitorKey> = (0..case.from_address)
            .map(|i| {
                if i == 0 && case.voted_before {
                    voter.clone()
                } else {
                    visitor(900 + 10 * n as u32 + i)
                }
            })
            .collect();
        for v in &earlier {
            let mut b = ballot(v, 77, &["a"], cap);
            b.poll = p.id.clone();
            b.at = Some(ts(T0 + 1_500));
            // Counted whatever the challenge setting.
            b.proof = BallotProof::Form { cap: u32::MAX };
            assert_eq!(
                s.cast(&SITE, &b).await.unwrap().unwrap().0,
                Accepted,
                "case {n}: setting up"
            );
        }
        let mut b = ballot(&voter, 77, case.choices, cap);
        let mut spent_before = 0;
        if matches!(case.proof, Brings::SpentSolution | Brings::SpentUnderItsId) {
            // Another ballot, from another address, spent the solution.
            let mut other = ballot(&visitor(800 + n as u32), 78, &["a"], cap);
            if case.proof == Brings::SpentUnderItsId {
                other.id = b.id.clone();
            }
            other.poll = p.id.clone();
            other.at = Some(ts(T0 + 1_500));
            other.proof = proof;
            assert_eq!(
                s.cast(&SITE, &other).await.unwrap().unwrap().0,
                Accepted,
                "case {n}: spending the solution"
            );
            spent_before = 1;
        }
        b.poll = p.id.clone();
        b.at = Some(at);
        b.proof = proof;
        let (verdict, state) = s.cast(&SITE, &b).await.unwrap().unwrap();
        assert_eq!(verdict, case.verdict, "case {n}: the store");
        let counted: u64 = state.votes.iter().sum();
        let expected = u64::from(case.from_address)
            + spent_before
            + if verdict == Accepted {
                choices.len() as u64
            } else {
                0
            };
        assert_eq!(
            counted, expected,
            "case {n}: only an accepted ballot counts"
        );
    }
}

async fn a_retracted_try_that_arrives_late_is_not_counted(s: &dyn Store) {
    s.put_poll(&SITE, &poll(1, &["tot", "chua-tot"]), false)
        .await
        .unwrap();
    let late = ballot(&visitor(90), 5, &["tot"], 50);
    // Its caller heard 503; the retraction reaches the store first.
    assert!(!s.retract(&SITE, &late.retraction()).await.unwrap());
    assert!(
        s.cast(&SITE, &late).await.is_err(),
        "a fenced try is refused"
    );
    let state = s
        .poll_state(&SITE, &late.poll, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.votes, vec![0, 0]);
    assert_eq!(state.voted, None);
    // The voter's retry, a new try of the same ballot, counts.
    let mut retry = late.clone();
    retry.attempt = Attempt::fresh();
    let (verdict, state) = s.cast(&SITE, &retry).await.unwrap().unwrap();
    assert_eq!(verdict, Verdict::Accepted);
    assert_eq!(state.votes, vec![1, 0]);
}

async fn a_ballot_without_a_time_is_judged_by_the_stores_clock(s: &dyn Store) {
    let now = Timestamp::now();
    let mut closed = poll(1, &["tot", "chua-tot"]);
    closed.closes_at = Some(now - SignedDuration::from_secs(60));
    s.put_poll(&SITE, &closed, false).await.unwrap();
    let mut b = ballot(&visitor(92), 5, &["tot"], 50);
    b.at = None;
    assert_eq!(s.cast(&SITE, &b).await.unwrap().unwrap().0, Verdict::Closed);
    // Open again until a minute from now: the same clock lets it in.
    let mut open = poll(1, &["tot", "chua-tot"]);
    open.closes_at = Some(now + SignedDuration::from_secs(60));
    s.put_poll(&SITE, &open, false).await.unwrap();
    b.attempt = Attempt::fresh();
    assert_eq!(
        s.cast(&SITE, &b).await.unwrap().unwrap().0,
        Verdict::Accepted
    );
}

/// A draft takes no ballot (the rules' `NotYetOpen`, counting nothing),
/// whatever its dates say, until it is published.
async fn a_draft_takes_no_ballot_until_published(s: &dyn Store) {
    let mut draft = poll(1, &["tot", "chua-tot"]);
    draft.draft = true;
    s.put_poll(&SITE, &draft, false).await.unwrap();
    let b = ballot(&visitor(93), 5, &["tot"], 50);
    let (verdict, state) = s.cast(&SITE, &b).await.unwrap().unwrap();
    assert_eq!(
        (verdict, state.votes, state.voters),
        (Verdict::NotYetOpen, vec![0, 0], 0)
    );
    assert!(state.poll.draft);
    let listed = s.list_polls(&SITE).await.unwrap();
    assert!(listed.iter().any(|p| p.id == draft.id && p.draft));
    draft.draft = false;
    assert_eq!(
        s.put_poll(&SITE, &draft, false).await.unwrap(),
        PutPoll::Replaced
    );
    let mut again = b.clone();
    again.attempt = Attempt::fresh();
    let (verdict, state) = s.cast(&SITE, &again).await.unwrap().unwrap();
    assert_eq!((verdict, state.votes), (Verdict::Accepted, vec![1, 0]));
    assert!(!state.poll.draft);
}

async fn a_ballot_sent_again_has_one_fate(s: &dyn Store) {
    s.put_poll(&SITE, &poll(1, &["tot", "chua-tot"]), false)
        .await
        .unwrap();
    let voter = visitor(91);
    let first = ballot(&voter, 5, &["tot"], 50);
    assert_eq!(
        s.cast(&SITE, &first).await.unwrap().unwrap().0,
        Verdict::Accepted
    );
    // Its answer was lost (the caller heard 503); the voter sends it again
    // before the first try is retracted: the retry claims the ballot.
    let mut retry = first.clone();
    retry.attempt = Attempt::fresh();
    retry.choices = vec![id("chua-tot")];
    let (verdict, state) = s.cast(&SITE, &retry).await.unwrap().unwrap();
    assert_eq!(verdict, Verdict::Accepted, "the same ballot, not a 409");
    assert_eq!(state.votes, vec![1, 0], "counted once, as first chosen");
    assert_eq!(state.voted, Some(vec![id("tot")]));
    assert!(
        !s.retract(&SITE, &first.retraction()).await.unwrap(),
        "the first try no longer holds the record"
    );
    let state = s
        .poll_state(&SITE, &first.poll, Some(&voter))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.votes, vec![1, 0]);
    // Another ballot of the same voter is a second ballot: refused.
    let other = ballot(&voter, 5, &["tot"], 50);
    assert_eq!(
        s.cast(&SITE, &other).await.unwrap().unwrap().0,
        Verdict::AlreadyVoted
    );
    // The retry answered 503 as well: its retraction undoes the ballot.
    assert!(s.retract(&SITE, &retry.retraction()).await.unwrap());
    let state = s
        .poll_state(&SITE, &first.poll, Some(&voter))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.votes, vec![0, 0]);
    assert_eq!(state.voted, None);
}

async fn a_retracted_ballot_is_gone_and_others_stay(s: &dyn Store) {
    s.put_poll(&SITE, &poll(2, &["a", "b", "c"]), false)
        .await
        .unwrap();
    let cookie = visitor(95);
    let lost = ballot(&cookie, 9, &["a", "b"], 2);
    let kept = ballot(&visitor(96), 9, &["a"], 2);
    assert_eq!(
        s.cast(&SITE, &lost).await.unwrap().unwrap().0,
        Verdict::Accepted
    );
    assert_eq!(
        s.cast(&SITE, &kept).await.unwrap().unwrap().0,
        Verdict::Accepted
    );
    // Another ballot of the same visitor is not this one.
    let other = ballot(&cookie, 9, &["a", "b"], 2);
    assert!(!s.retract(&SITE, &other.retraction()).await.unwrap());
    assert!(s.retract(&SITE, &lost.retraction()).await.unwrap());
    assert!(
        !s.retract(&SITE, &lost.retraction()).await.unwrap(),
        "retracting is idempotent"
    );
    let state = s
        .poll_state(&SITE, &lost.poll, Some(&cookie))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.votes, vec![1, 0, 0]);
    assert_eq!(state.voted, None);
    // Its place under the address cap is free again.
    let mut again = ballot(&visitor(97), 9, &["c"], 2);
    again.poll = lost.poll.clone();
    assert_eq!(
        s.cast(&SITE, &again).await.unwrap().unwrap().0,
        Verdict::Accepted
    );
}

async fn housekeeping_keeps_what_is_still_needed(s: &dyn Store) {
    let v = visitor(80);
    s.touch(&SITE, &touch(&v, Some("/a"), T0)).await.unwrap();
    s.maintain(ts(T0 + 10 * 60_000)).await.unwrap();
    assert_eq!(
        counted(s, &touch(&v, Some("/a"), T0 + 20 * 60_000)).await,
        outcome(false, false)
    );
    s.sync().await.unwrap();
    s.ping().await.unwrap();
}

// ---- history --------------------------------------------------------------

/// A batch of `views` page views of `on`, seen on `today`.
async fn views_on(s: &dyn Store, id: &str, today: &str, on: &str, views: &[(&str, u64)]) {
    let b = Batch {
        id: id.into(),
        visits: vec![(buckets(on), 1)],
        page_views: views.iter().map(|(p, n)| (page(p), *n)).collect(),
        page_days: views.iter().map(|(p, n)| (day(on), page(p), *n)).collect(),
        ..Batch::default()
    };
    let mut q = query(&[]);
    q.today = day(today);
    q.yesterday = day(today).yesterday();
    s.apply(&SITE, &b, &q, &keep(100)).await.unwrap();
}

async fn history_keeps_each_days_visits_and_top_pages(s: &dyn Store) {
    views_on(
        s,
        "h-1",
        "2026-11-26",
        "2026-11-26",
        &[("/a", 1), ("/b", 5), ("/c", 3)],
    )
    .await;
    views_on(
        s,
        "h-2",
        "2026-11-27",
        "2026-11-27",
        &[("/a", 7), ("/b", 1), ("/c", 2)],
    )
    .await;
    // Sent again: counted once.
    views_on(
        s,
        "h-2",
        "2026-11-27",
        "2026-11-27",
        &[("/a", 7), ("/b", 1), ("/c", 2)],
    )
    .await;
    let days = [day("2026-11-26"), day("2026-11-27")];
    let pages = s.pages_by_day(&SITE, &days, 10).await.unwrap();
    // The day over keeps its two most-read pages; the day under way all.
    assert_eq!(pages[0], vec![(page("/b"), 5), (page("/c"), 3)]);
    assert_eq!(
        pages[1],
        vec![(page("/a"), 7), (page("/c"), 2), (page("/b"), 1)]
    );
    assert_eq!(
        s.pages_by_day(&SITE, &days[1..], 1).await.unwrap()[0],
        vec![(page("/a"), 7)]
    );
    // The next day, the day before keeps its two most-read pages.
    views_on(s, "h-3", "2026-11-28", "2026-11-28", &[("/d", 1)]).await;
    let pages = s.pages_by_day(&SITE, &days, 10).await.unwrap();
    assert_eq!(pages[0], vec![(page("/b"), 5), (page("/c"), 3)]);
    assert_eq!(pages[1], vec![(page("/a"), 7), (page("/c"), 2)]);
    // Three days on, the first is no longer kept.
    views_on(s, "h-4", "2026-11-29", "2026-11-29", &[("/d", 1)]).await;
    let pages = s.pages_by_day(&SITE, &days, 10).await.unwrap();
    assert!(pages[0].is_empty(), "{pages:?}");
    assert_eq!(pages[1], vec![(page("/a"), 7), (page("/c"), 2)]);
    let visits = s
        .visits_by_day(&SITE, day("2026-11-25"), day("2026-11-29"))
        .await
        .unwrap();
    assert_eq!(visits, vec![0, 1, 1, 1, 1]);
}

/// Days without a batch (a site idle for a few days, replicas stopped) do
/// not leave their past days' pages behind: the next batch removes every
/// day no longer kept, not only the one that has just gone.
async fn days_without_a_batch_leave_no_pages_behind(s: &dyn Store) {
    views_on(s, "g-1", "2026-11-20", "2026-11-20", &[("/a", 4)]).await;
    views_on(s, "g-2", "2026-11-21", "2026-11-21", &[("/b", 2)]).await;
    // Four days later, nothing written since (3 days are kept).
    views_on(s, "g-3", "2026-11-26", "2026-11-26", &[("/c", 1)]).await;
    let days = [day("2026-11-20"), day("2026-11-21"), day("2026-11-26")];
    let pages = s.pages_by_day(&SITE, &days, 10).await.unwrap();
    assert!(pages[0].is_empty() && pages[1].is_empty(), "{pages:?}");
    assert_eq!(pages[2], vec![(page("/c"), 1)]);
}

async fn a_pages_views_are_read_day_by_day(s: &dyn Store) {
    let views = [("/a", 4), ("/b", 5), ("/c", 3)];
    views_on(s, "p-1", "2026-11-26", "2026-11-26", &views).await;
    views_on(
        s,
        "p-2",
        "2026-11-27",
        "2026-11-27",
        &[("/a", 7), ("/c", 1)],
    )
    .await;
    let days = [day("2026-11-25"), day("2026-11-26"), day("2026-11-27")];
    let read = async |p: &str| s.page_by_day(&SITE, &page(p), &days).await.unwrap();
    assert_eq!(read("/a").await, vec![0, 4, 7]);
    // The day over keeps its two most-read pages: /c is gone from it.
    assert_eq!(read("/c").await, vec![0, 0, 1]);
    assert_eq!(read("/x").await, vec![0, 0, 0]);
    let none = s.page_by_day(&SITE, &page("/a"), &[]).await.unwrap();
    assert!(none.is_empty());
}

async fn an_imported_day_replaces_its_earlier_import(s: &dyn Store) {
    let today = day("2026-11-28");
    s.apply(&SITE, &batch("i-1"), &query(&[]), &keep(100))
        .await
        .unwrap();
    let rows = [(day("2020-02-29"), 40), (day("2026-11-27"), 8)];
    let import = |rows: &[(Day, u64)]| Import::new(rows.to_vec(), today, ts(T0));
    let first = s.import_visits(&SITE, &import(&rows)).await.unwrap();
    assert_eq!(
        first,
        Imported {
            days: 2,
            changed: 2,
            added: 48
        }
    );
    let again = s.import_visits(&SITE, &import(&rows)).await.unwrap();
    assert_eq!(
        again,
        Imported {
            days: 2,
            changed: 0,
            added: 0
        }
    );
    let fewer = s
        .import_visits(&SITE, &import(&[(day("2020-02-29"), 30)]))
        .await
        .unwrap();
    assert_eq!(
        fewer,
        Imported {
            days: 1,
            changed: 1,
            added: -10
        }
    );
    let read = s.read(&SITE, &query(&[])).await.unwrap();
    // The batch's 5 visits, and the imports: 30 + 8.
    assert_eq!(read.visits, 5 + 38);
    assert_eq!(read.yesterday, 2 + 8, "yesterday shows its import");
    assert_eq!(read.this_month, 5 + 8);
    let visits = s
        .visits_by_day(&SITE, day("2020-02-28"), day("2020-03-01"))
        .await
        .unwrap();
    assert_eq!(visits, vec![0, 30, 0]);
}

async fn an_import_is_settled_by_its_id(s: &dyn Store) {
    let today = day("2026-11-28");
    let rows = vec![(day("2019-05-01"), 70), (day("2019-06-30"), 9)];
    let applied = Import::new(rows.clone(), today, ts(T0));
    let imported = s.import_visits(&SITE, &applied).await.unwrap();
    // Applied: settling says what it did, however often it is asked.
    for _ in 0..2 {
        let settled = s.settle_import(&SITE, &applied.id, ts(T0)).await.unwrap();
        assert_eq!(settled, Some(imported));
    }
    // Never applied: settling abandons it for good, and it stays out.
    let late = Import::new(vec![(day("2019-05-01"), 700)], today, ts(T0));
    assert_eq!(
        s.settle_import(&SITE, &late.id, ts(T0)).await.unwrap(),
        None
    );
    assert!(s.import_visits(&SITE, &late).await.is_err());
    assert_eq!(
        s.settle_import(&SITE, &late.id, ts(T0)).await.unwrap(),
        None
    );
    let visits = s
        .visits_by_day(&SITE, day("2019-05-01"), day("2019-05-01"))
        .await
        .unwrap();
    assert_eq!(visits, vec![70]);
}

async fn a_polls_ballots_are_kept_per_day(s: &dyn Store) {
    let p = poll(2, &["tot", "chua-tot"]);
    s.put_poll(&SITE, &p, false).await.unwrap();
    let mut b = ballot(&visitor(90), 1, &["tot", "chua-tot"], 10);
    s.cast(&SITE, &b).await.unwrap();
    b = ballot(&visitor(91), 1, &["tot"], 10);
    b.day = day("2026-11-29");
    s.cast(&SITE, &b).await.unwrap();
    let retracted = ballot(&visitor(92), 1, &["chua-tot"], 10);
    s.cast(&SITE, &retracted).await.unwrap();
    assert!(s.retract(&SITE, &retracted.retraction()).await.unwrap());
    let mut days = s.ballots_by_day(&SITE, &p.id).await.unwrap();
    days.retain(|(_, _, n)| *n > 0);
    days.sort();
    assert_eq!(
        days,
        vec![
            (day("2026-11-28"), "_voters".into(), 1),
            (day("2026-11-28"), "chua-tot".into(), 1),
            (day("2026-11-28"), "tot".into(), 1),
            (day("2026-11-29"), "_voters".into(), 1),
            (day("2026-11-29"), "tot".into(), 1),
        ]
    );
}

async fn a_deleted_poll_takes_its_ballots(s: &dyn Store) {
    let p = poll(1, &["tot", "chua-tot"]);
    s.put_poll(&SITE, &p, false).await.unwrap();
    let v = visitor(93);
    s.cast(&SITE, &ballot(&v, 1, &["tot"], 10)).await.unwrap();
    let other = PollId::parse("con-lai").unwrap();
    assert!(!s.deleted(&SITE, &p.id).await.unwrap());
    assert!(s.delete_poll(&SITE, &p.id).await.unwrap());
    assert!(!s.delete_poll(&SITE, &p.id).await.unwrap());
    // A tombstone stays, for this poll only.
    assert!(s.deleted(&SITE, &p.id).await.unwrap());
    assert!(!s.deleted(&SITE, &other).await.unwrap());
    assert!(s.poll_state(&SITE, &p.id, None).await.unwrap().is_none());
    assert!(s.list_polls(&SITE).await.unwrap().is_empty());
    assert!(s.ballots_by_day(&SITE, &p.id).await.unwrap().is_empty());
    // Made again, it starts from nothing: the same visitor votes anew.
    s.put_poll(&SITE, &p, false).await.unwrap();
    let (verdict, state) = s
        .cast(&SITE, &ballot(&v, 1, &["chua-tot"], 10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(verdict, Verdict::Accepted);
    assert_eq!(state.votes, vec![0, 1]);
}

async fn the_audit_log_keeps_the_newest_first(s: &dyn Store) {
    for n in 0..5 {
        s.append_audit(&SITE, &format!("{{\"n\":{n}}}"))
            .await
            .unwrap();
    }
    assert_eq!(
        s.audit(&SITE, 3).await.unwrap(),
        vec![r#"{"n":4}"#, r#"{"n":3}"#, r#"{"n":2}"#]
    );
    assert_eq!(s.audit(&SITE, 100).await.unwrap().len(), 5);
    assert!(s.audit(&SITE, 0).await.unwrap().is_empty());
}

async fn sessions_are_kept_until_they_end_or_are_forgotten(s: &dyn Store) {
    let session = tally::store::Session {
        who: "lan".into(),
        started_at: ts(T0),
        expires_at: ts(T0 + 3_600_000),
        role: Some(tally::roles::Role::Editor),
        site: Some("so-y-te".into()),
    };
    let hash = "ab".repeat(32);
    assert_eq!(s.session(&SITE, &hash, ts(T0)).await.unwrap(), None);
    s.put_session(&SITE, &hash, &session, ts(T0)).await.unwrap();
    let found = s.session(&SITE, &hash, ts(T0 + 1000)).await.unwrap();
    assert_eq!(found.as_ref(), Some(&session));
    let other = "cd".repeat(32);
    assert_eq!(s.session(&SITE, &other, ts(T0)).await.unwrap(), None);
    // Past its end it is gone, whatever the store still holds.
    let late = s.session(&SITE, &hash, ts(T0 + 3_600_000)).await.unwrap();
    assert_eq!(late, None);
    // Renewed, it lasts longer; forgotten, it is gone.
    let renewed = tally::store::Session {
        expires_at: ts(T0 + 7_200_000),
        ..session
    };
    s.put_session(&SITE, &hash, &renewed, ts(T0 + 1000))
        .await
        .unwrap();
    let found = s.session(&SITE, &hash, ts(T0 + 3_600_000)).await.unwrap();
    assert_eq!(found, Some(renewed.clone()));
    s.end_session(&SITE, &hash).await.unwrap();
    assert_eq!(s.session(&SITE, &hash, ts(T0 + 1000)).await.unwrap(), None);
    // A record written before roles (none in it) reads back without one.
    let before_roles = tally::store::Session {
        role: None,
        ..renewed
    };
    s.put_session(&SITE, &other, &before_roles, ts(T0))
        .await
        .unwrap();
    let found = s.session(&SITE, &other, ts(T0 + 1000)).await.unwrap();
    assert_eq!(found.map(|f| f.role), Some(None));
}

// ---- archive ----------------------------------------------------------

/// Pieces of a small deployment, as an export carries them.
fn archived() -> Vec<store::piece::Piece> {
    use store::piece::{Period, Piece};
    let site = || "default".to_owned();
    let poll_id = PollId::parse("danh-gia").unwrap();
    vec![
        Piece::Counters {
            site: site(),
            baseline: 7_582_803,
            visits: 50,
        },
        Piece::Bucket {
            site: site(),
            period: Period::Day(day("2026-11-28")),
            visits: 7,
        },
        Piece::Bucket {
            site: site(),
            period: Period::Week(day("2026-11-28").week()),
            visits: 9,
        },
        Piece::Bucket {
            site: site(),
            period: Period::Month(day("2026-11-28").month()),
            visits: 11,
        },
        Piece::Day {
            site: site(),
            day: day("2024-02-29"),
            visits: 40,
            imported: 30,
        },
        Piece::Day {
            site: site(),
            day: day("2026-11-28"),
            visits: 10,
            imported: 0,
        },
        Piece::Page {
            site: site(),
            page: "/a".into(),
            views: 5,
        },
        Piece::PageDay {
            site: site(),
            day: day("2026-11-28"),
            page: "/a".into(),
            views: 3,
        },
        Piece::Poll {
            site: site(),
            poll: Box::new(poll(1, &["tot", "kem"])),
            counts: [("tot".to_owned(), 1), ("_voters".to_owned(), 1)].into(),
        },
        Piece::PollDay {
            site: site(),
            poll: poll_id.clone(),
            day: day("2026-11-28"),
            option: "tot".into(),
            ballots: 1,
        },
        Piece::Voter {
            site: site(),
            poll: poll_id,
            visitor: visitor(1).as_str().into(),
            record: "b1/0a|tot".into(),
        },
        Piece::DeletedPoll {
            site: site(),
            poll: PollId::parse("da-xoa").unwrap(),
        },
        Piece::Audit {
            site: site(),
            entry: "{\"n\":1}".into(),
        },
        Piece::Audit {
            site: site(),
            entry: "{\"n\":2}".into(),
        },
    ]
}

async fn what_is_restored_is_exported_piece_for_piece(s: &dyn Store) {
    use tally::archive::check::Summary;
    let held = s.holding(&SITE).await.unwrap();
    assert!(held.empty && held.restoring.is_none(), "{held:?}");
    s.mark_restore(&SITE, Some(T0)).await.unwrap();
    assert_eq!(s.holding(&SITE).await.unwrap().restoring, Some(T0));
    s.restore(&SITE, archived()).await.unwrap();
    s.mark_restore(&SITE, None).await.unwrap();
    let held = s.holding(&SITE).await.unwrap();
    assert!(!held.empty && held.restoring.is_none(), "{held:?}");

    let (sink, mut pieces) = tokio::sync::mpsc::channel(4);
    let (sent, exported) = tokio::join!(s.export(&SITE, sink), async {
        let mut out = Vec::new();
        while let Some(piece) = pieces.recv().await {
            out.push(piece);
        }
        out
    });
    assert_eq!(sent.unwrap(), exported.len() as u64);
    let (mut restored, mut read) = (Summary::default(), Summary::default());
    archived().iter().for_each(|p| restored.add(p));
    exported.iter().for_each(|p| read.add(p));
    assert_eq!(
        restored.differences(&read, "restored", "exported"),
        Vec::<String>::new()
    );
    // What the store's own reads make of it.
    let state = s
        .poll_state(
            &SITE,
            &PollId::parse("danh-gia").unwrap(),
            Some(&visitor(1)),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state.voted, Some(vec![id("tot")]));
    assert!(
        s.deleted(&SITE, &PollId::parse("da-xoa").unwrap())
            .await
            .unwrap()
    );
    assert_eq!(
        s.audit(&SITE, 10).await.unwrap(),
        ["{\"n\":2}", "{\"n\":1}"]
    );
    let days = s
        .visits_by_day(&SITE, day("2024-02-29"), day("2024-02-29"))
        .await
        .unwrap();
    assert_eq!(days, [40]);
}

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $case() {
                    let s = super::subject(super::Backend::Embedded).await;
                    super::$case(s.store.as_ref()).await;
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test]
                async fn $case() {
                    let s = super::subject(super::Backend::Redis).await;
                    super::$case(s.store.as_ref()).await;
                }
            )*
        }
        mod cluster {
            $(
                #[tokio::test]
                async fn $case() {
                    let s = super::subject(super::Backend::Cluster).await;
                    super::$case(s.store.as_ref()).await;
                }
            )*
        }
        /// Every case above runs against every store.
        #[test]
        fn the_suite_is_complete() {
            let cases: HashSet<&str> = [$(stringify!($case)),*].into_iter().collect();
            assert_eq!(cases.len(), [$(stringify!($case)),*].len());
        }
    };
}

conformance!(
    a_first_hit_is_a_visit_and_a_reload_is_not,
    the_window_runs_from_the_last_hit,
    a_late_replayed_hit_does_not_move_time_back,
    a_hit_sent_again_gets_its_first_answer,
    a_new_cookie_continues_the_address_visitor,
    a_visit_ends_at_local_midnight,
    distinct_visitors_touch_concurrently,
    one_visitors_hits_at_once_count_one_visit_and_one_view,
    a_visitor_remembers_a_bounded_number_of_pages,
    a_batch_counts_once_however_often_it_is_sent,
    a_large_batch_counts_once_however_often_it_is_sent,
    many_sites_flush_in_one_call_each_for_itself,
    the_distinct_page_cap_holds,
    online_forgets_visitors_after_five_minutes,
    the_baseline_is_kept,
    a_days_hashing_key_is_the_first_one_written,
    shared_levels_keep_the_highest_until_it_expires,
    a_visitor_is_known_once_a_hit_is_kept,
    polls_are_created_replaced_and_listed,
    a_page_of_poll_states_is_read_at_once,
    the_polls_version_moves_with_every_poll_change,
    dropping_options_with_ballots_needs_force,
    a_ballot_is_counted_once_per_visitor,
    voters_are_counted_beside_votes,
    the_per_address_cap_holds_exactly,
    network_caps_hold_exactly,
    a_solved_ballot_has_the_solved_address_cap,
    concurrent_ballots_from_one_visitor_count_once,
    one_solution_counts_one_ballot_whoever_sends_it,
    invalid_ballots_change_nothing,
    ballots_respect_the_polls_window,
    a_retracted_try_that_arrives_late_is_not_counted,
    a_ballot_sent_again_has_one_fate,
    a_draft_takes_no_ballot_until_published,
    a_ballot_without_a_time_is_judged_by_the_stores_clock,
    the_ballot_rules_are_one_table,
    a_retracted_ballot_is_gone_and_others_stay,
    housekeeping_keeps_what_is_still_needed,
    history_keeps_each_days_visits_and_top_pages,
    days_without_a_batch_leave_no_pages_behind,
    a_pages_views_are_read_day_by_day,
    an_imported_day_replaces_its_earlier_import,
    an_import_is_settled_by_its_id,
    a_polls_ballots_are_kept_per_day,
    a_deleted_poll_takes_its_ballots,
    the_audit_log_keeps_the_newest_first,
    sessions_are_kept_until_they_end_or_are_forgotten,
    what_is_restored_is_exported_piece_for_piece,
    old_audit_entries_go_oldest_first,
    a_closed_polls_voters_go_and_its_counts_stay,
    a_poll_with_ballots_does_not_go_back_to_draft,
    what_a_restore_added_is_withdrawn_exactly,
    a_forgotten_site_keeps_nothing_and_its_neighbours_all,
    merge_marks_stand_until_cleared,
    the_listing_keeps_each_sites_last_time,
    defined_sites_are_created_once_and_replaced_in_place,
);
