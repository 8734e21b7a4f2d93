//! Touches that arrive together travel together (one script over many
//! visitors on one server, a pipeline per node on a cluster), and each hit
//! still gets its own exact answer: many concurrent hits count as the same
//! hits one at a time would, and a hit sent again gets the same answer and
//! changes nothing. A flush of many pages is written to Redis in parts,
//! each at most once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use jiff::{SignedDuration, Timestamp};
use tally::calendar::{Buckets, Day};
use tally::ids::{PageId, PageKey, SiteId, VisitorKey};
use tally::store::{Batch, CounterQuery, Keep, Store, Touch, TouchOutcome as Verdict, keys};

use crate::support::{Backend, Home};

const SITE: SiteId = SiteId::DEFAULT;
const T0: i64 = 1_800_000_000_000;
const VISITORS: u32 = 300;
const PAGES: u32 = 4;

async fn open(backend: Backend) -> (Arc<dyn Store>, Home) {
    let home = Home::open(backend).await;
    (home.open_store().await, home)
}

fn visitor(n: u32) -> VisitorKey {
    // Spread over the slots (a key's slot comes from its first bytes).
    let mut bytes = [0u8; 16];
    bytes[..4].copy_from_slice(&n.wrapping_mul(2_654_435_761).to_be_bytes());
    bytes[4] = 0xb7;
    VisitorKey::from_address_hash(bytes)
}

/// Visitor `v`'s hit on page `p`, `k`-th of its hits on that page.
fn touch(v: u32, p: u32, k: u32) -> Touch {
    let page = PageId::parse(&format!("/tin-tuc/{p}")).unwrap();
    Touch {
        visitor: visitor(v),
        inherit: None,
        page: Some(PageKey::of(&page)),
        at: Timestamp::from_millisecond(T0 + i64::from(k * 1000 + p)).unwrap(),
        day: "2027-01-15".parse::<Day>().unwrap(),
        window: SignedDuration::from_mins(30),
        max_pages: 512,
        id: (u64::from(v) << 32) | u64::from(p << 8 | k) | 1 << 63,
    }
}

async fn all_at_once(store: &Arc<dyn Store>, touches: &[Touch]) -> Vec<Verdict> {
    join_all(touches.iter().map(|t| {
        let store = Arc::clone(store);
        let t = t.clone();
        async move { store.touch(&SITE, &t).await.expect("the store answers") }
    }))
    .await
}

async fn concurrent_hits_count_once_and_resends_change_nothing(backend: Backend) {
    let (store, _home) = open(backend).await;
    // Every visitor opens every page twice; all at once.
    let touches: Vec<Touch> = (0..VISITORS)
        .flat_map(|v| (0..PAGES).flat_map(move |p| (0..2).map(move |k| touch(v, p, k))))
        .collect();
    let first = all_at_once(&store, &touches).await;

    let mut visits: HashMap<u32, u32> = HashMap::new();
    let mut views: HashMap<(u32, u32), u32> = HashMap::new();
    let mut visit_of: HashMap<u32, u64> = HashMap::new();
    for (t, o) in touches.iter().zip(&first) {
        let v = (t.id >> 32 & 0x7fff_ffff) as u32;
        let p = (t.id >> 8 & 0xff) as u32;
        *visits.entry(v).or_default() += u32::from(o.new_visit);
        *views.entry((v, p)).or_default() += u32::from(o.new_page_view);
        let visit = *visit_of.entry(v).or_insert(o.visit.0);
        assert_eq!(visit, o.visit.0, "one visit per visitor");
    }
    assert_eq!(visits.len(), VISITORS as usize);
    assert!(visits.values().all(|n| *n == 1), "one new visit each");
    assert!(views.values().all(|n| *n == 1), "one view per page each");

    // Sent again (their answers lost), in another order: the same answers.
    let mut again: Vec<(Touch, Verdict)> = touches.into_iter().zip(first).collect();
    again.reverse();
    let (resent, expected): (Vec<Touch>, Vec<Verdict>) = again.into_iter().unzip();
    assert_eq!(all_at_once(&store, &resent).await, expected);

    // A later hit is not a new visit: the resends changed nothing.
    let mut late = touch(7, 0, 9);
    late.id = 42;
    let o = store.touch(&SITE, &late).await.unwrap();
    assert!(!o.new_visit && !o.new_page_view);
}

#[tokio::test]
async fn redis_concurrent_hits_count_once_and_resends_change_nothing() {
    concurrent_hits_count_once_and_resends_change_nothing(Backend::Redis).await;
}

#[tokio::test]
async fn cluster_concurrent_hits_count_once_and_resends_change_nothing() {
    concurrent_hits_count_once_and_resends_change_nothing(Backend::Cluster).await;
}

#[tokio::test]
async fn embedded_concurrent_hits_count_once_and_resends_change_nothing() {
    concurrent_hits_count_once_and_resends_change_nothing(Backend::Embedded).await;
}

/// A batch whose server went away fails every touch in it, and the next
/// touches go through once the server is back.
#[tokio::test]
async fn a_batch_to_a_stopped_server_fails_and_the_next_goes_through() {
    let (store, mut home) = open(Backend::Redis).await;
    let Home::Redis(server) = &mut home else {
        unreachable!()
    };
    let touches: Vec<Touch> = (0..50).map(|v| touch(v, 0, 0)).collect();
    all_at_once(&store, &touches).await;
    server.kill();
    let failed = join_all(touches.iter().map(|t| store.touch(&SITE, t))).await;
    assert!(failed.iter().all(Result::is_err));
    server.restart();
    let mut back = Vec::new();
    for _ in 0..50 {
        back = join_all(touches.iter().map(|t| store.touch(&SITE, t))).await;
        if back.iter().all(Result::is_ok) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back.iter().all(Result::is_ok), "the store answers again");
}

/// A batch of `pages` distinct pages, one view each, and one visit.
fn many_pages(id: &str, pages: u32) -> Batch {
    let day: Day = "2027-01-15".parse().unwrap();
    let page = |p: u32| PageId::parse(&format!("/tin-tuc/{p}")).unwrap();
    Batch {
        id: id.into(),
        visits: vec![(Buckets::of(day), 1)],
        page_views: (0..pages).map(|p| (page(p), 1)).collect(),
        page_days: (0..pages).map(|p| (day, page(p), 1)).collect(),
        ..Batch::default()
    }
}

fn query(pages: &[PageId]) -> CounterQuery {
    let day: Day = "2027-01-15".parse().unwrap();
    CounterQuery {
        today: day,
        yesterday: day.yesterday(),
        week: day.week(),
        month: day.month(),
        online_since: Timestamp::from_millisecond(T0).unwrap(),
        pages: pages.to_vec(),
    }
}

/// On Redis a flush of many pages is written in parts (so that no script
/// holds Redis long), each part at most once; and a batch that an earlier
/// version wrote whole is not written again in parts.
#[tokio::test]
async fn a_large_batch_is_written_in_parts_once() {
    let (store, home) = open(Backend::Redis).await;
    let Home::Redis(server) = &home else {
        unreachable!("a Redis home")
    };
    let keep = Keep {
        max_pages: 10_000,
        top_pages: 100,
        page_days: 90,
    };
    let big = many_pages("r1-7", 700);
    let pages: Vec<PageId> = big.page_views.iter().map(|(p, _)| p.clone()).collect();
    let first = store
        .apply(&SITE, &big, &query(&pages), &keep)
        .await
        .unwrap();
    assert_eq!(first.visits, 1);
    assert_eq!(first.pages, vec![1; 700]);
    let parts = server.cli(&["KEYS", &keys::batch(&SITE, "r1-7/*")]);
    assert_eq!(parts.lines().count(), 3, "700 pages in 3 parts: {parts}");
    // Each part sent again is ignored.
    let again = store
        .apply(&SITE, &big, &query(&pages), &keep)
        .await
        .unwrap();
    assert_eq!(again, first);

    // As an earlier version leaves a batch it wrote whole: its marker.
    server.cli(&["SET", &keys::batch(&SITE, "r0-9"), "1"]);
    let old = store
        .apply(&SITE, &many_pages("r0-9", 700), &query(&pages), &keep)
        .await
        .unwrap();
    assert_eq!(old, first, "a batch written whole is not written again");
}
