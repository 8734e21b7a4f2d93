//! Conformance case for many sites' flushes in one store call: each site's
//! batch counted once, for that site alone, as `apply` and `read` count
//! and read one site's.

use tally::ids::SiteId;
use tally::store::{Batch, CounterSnapshot, SiteFlush, Store};

use super::{batch, buckets, keep, page, query};

/// Sites enough to spread over every node of a three-master cluster.
const SITES: usize = 9;

fn site(i: usize) -> SiteId {
    SiteId::parse(&format!("xa-{i}")).unwrap()
}

/// Site `i`'s flush: even sites write a batch with the same id (each site
/// keeps its own markers), site 1 only reads, site 3 writes more pages
/// than a Redis call takes at once, the others write a batch of their own.
fn flushes() -> Vec<SiteFlush> {
    let q = query(&["/a", "/b", "/c"]);
    (0..SITES)
        .map(|i| {
            let batch = match i {
                1 => None,
                3 => Some(Batch {
                    id: "many".into(),
                    visits: vec![(buckets("2026-11-28"), 7)],
                    page_views: (0..700).map(|p| (page(&format!("/p/{p}")), 1)).collect(),
                    page_days: Vec::new(),
                    seen: Vec::new(),
                }),
                i if i % 2 == 0 => Some(batch("same")),
                i => Some(batch(&format!("own-{i}"))),
            };
            SiteFlush {
                site: site(i),
                batch,
                query: q.clone(),
                keep: keep(600),
            }
        })
        .collect()
}

pub async fn many_sites_flush_in_one_call_each_for_itself(s: &dyn Store) {
    let flushes = flushes();
    let first: Vec<CounterSnapshot> = s
        .apply_sites(&flushes)
        .await
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(first.len(), SITES);
    for (i, snapshot) in first.iter().enumerate() {
        let (visits, pages, distinct) = match i {
            1 => (0, vec![0, 0, 0], 0),
            3 => (7, vec![0, 0, 0], 600),
            _ => (5, vec![4, 1, 0], 2),
        };
        assert_eq!(snapshot.visits, visits, "site {i}");
        assert_eq!(snapshot.pages, pages, "site {i}");
        assert_eq!(snapshot.distinct_pages, distinct, "site {i}");
        assert_eq!(
            snapshot.views_dropped,
            if i == 3 { 100 } else { 0 },
            "site {i}"
        );
    }
    // Sent again (an answer lost): nothing counts twice, nothing is
    // dropped again; and each site reads alone what the call answered.
    let again = s.apply_sites(&flushes).await.unwrap();
    for (i, (snapshot, flush)) in again.into_iter().zip(&flushes).enumerate() {
        let snapshot = snapshot.unwrap();
        let expected = CounterSnapshot {
            views_dropped: 0,
            ..first[i].clone()
        };
        assert_eq!(snapshot, expected, "site {i} sent again");
        let read = s.read(&flush.site, &flush.query).await.unwrap();
        assert_eq!(read, expected, "site {i} read alone");
    }
    // A site that was not in the call has nothing.
    let other = s.read(&site(SITES), &flushes[0].query).await.unwrap();
    assert_eq!(other.visits, 0);
    // No sites: no answers.
    assert!(s.apply_sites(&[]).await.unwrap().is_empty());
}
