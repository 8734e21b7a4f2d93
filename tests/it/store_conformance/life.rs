//! Conformance cases for a site's life: what a restore added is taken back
//! exactly (a poll it brought leaves with its days and voters); a site's
//! data is deleted whole, its neighbours' untouched (`xa-an-phu-2` begins
//! with `xa-an-phu`); merges' marks stand until cleared.

use tally::archive::check::Summary;
use tally::ids::{PollId, SiteId};
use tally::store::Store;
use tally::store::piece::{MergeMark, Period, Piece};

use super::{SITE, archived, ballot, day, poll, visitor};

/// Every piece of `site`, as its export sends them.
async fn exported(s: &dyn Store, site: &SiteId) -> Vec<Piece> {
    let (sink, mut pieces) = tokio::sync::mpsc::channel(4);
    let (sent, out) = tokio::join!(s.export(site, sink), async {
        let mut out = Vec::new();
        while let Some(piece) = pieces.recv().await {
            out.push(piece);
        }
        out
    });
    assert_eq!(sent.unwrap(), out.len() as u64);
    out
}

fn summary(pieces: &[Piece]) -> Summary {
    let mut summary = Summary::default();
    pieces.iter().for_each(|p| summary.add(p));
    summary
}

/// What a merge adds on top of [`archived`]: more of the same counts, a
/// page and a day of its own, and a poll of its own with a ballot.
fn merged() -> Vec<Piece> {
    let site = || "default".to_owned();
    let moved = PollId::parse("y-kien").unwrap();
    let mut other = poll(1, &["co", "khong"]);
    other.id = moved.clone();
    vec![
        Piece::Counters {
            site: site(),
            baseline: 0,
            visits: 7,
        },
        Piece::Bucket {
            site: site(),
            period: Period::Day(day("2026-11-28")),
            visits: 2,
        },
        Piece::Day {
            site: site(),
            day: day("2026-11-28"),
            visits: 4,
            imported: 0,
        },
        Piece::Day {
            site: site(),
            day: day("2026-11-29"),
            visits: 6,
            imported: 0,
        },
        Piece::Page {
            site: site(),
            page: "/a".into(),
            views: 2,
        },
        Piece::Page {
            site: site(),
            page: "/b".into(),
            views: 4,
        },
        Piece::PageDay {
            site: site(),
            day: day("2026-11-28"),
            page: "/b".into(),
            views: 4,
        },
        Piece::Poll {
            site: site(),
            poll: Box::new(other),
            counts: [("co".to_owned(), 1), ("_voters".to_owned(), 1)].into(),
        },
        Piece::PollDay {
            site: site(),
            poll: moved.clone(),
            day: day("2026-11-28"),
            option: "co".into(),
            ballots: 1,
        },
        Piece::Voter {
            site: site(),
            poll: moved,
            visitor: visitor(2).as_str().into(),
            record: "b2/0a|co".into(),
        },
    ]
}

pub(super) async fn what_a_restore_added_is_withdrawn_exactly(s: &dyn Store) {
    s.restore(&SITE, archived()).await.unwrap();
    s.restore(&SITE, merged()).await.unwrap();
    let moved = PollId::parse("y-kien").unwrap();
    assert!(s.poll_state(&SITE, &moved, None).await.unwrap().is_some());
    s.withdraw(&SITE, merged()).await.unwrap();
    let read = summary(&exported(s, &SITE).await);
    assert_eq!(
        summary(&archived()).differences(&read, "restored", "withdrawn"),
        Vec::<String>::new()
    );
    assert!(s.poll_state(&SITE, &moved, None).await.unwrap().is_none());
    assert!(s.ballots_by_day(&SITE, &moved).await.unwrap().is_empty());
    // Withdrawn, not deleted: no tombstone keeps it from coming back.
    assert!(!s.deleted(&SITE, &moved).await.unwrap());
    let polls: Vec<String> = s
        .list_polls(&SITE)
        .await
        .unwrap()
        .iter()
        .map(|p| p.id.to_string())
        .collect();
    assert_eq!(polls, ["danh-gia"]);
}

pub(super) async fn a_forgotten_site_keeps_nothing_and_its_neighbours_all(s: &dyn Store) {
    let (gone, kept) = (
        SiteId::parse("xa-an-phu").unwrap(),
        SiteId::parse("xa-an-phu-2").unwrap(),
    );
    for site in [&gone, &kept] {
        s.restore(site, archived()).await.unwrap();
        let cast = ballot(&visitor(7), 7, &["tot"], 50);
        s.cast(site, &cast).await.unwrap();
        s.append_audit(site, "{\"n\":3}").await.unwrap();
        s.mark_merge(site, &SITE, Some(MergeMark::Pending))
            .await
            .unwrap();
    }
    let before = summary(&exported(s, &kept).await);
    assert!(s.forget_site(&gone).await.unwrap() > 0);
    assert!(s.holding(&gone).await.unwrap().empty);
    assert!(s.list_polls(&gone).await.unwrap().is_empty());
    assert!(s.audit(&gone, 10).await.unwrap().is_empty());
    assert!(s.merges(&gone).await.unwrap().is_empty());
    let left = summary(&exported(s, &gone).await);
    assert_eq!(left.len(), summary(&exported(s, &SITE).await).len());
    assert_eq!(
        s.forget_site(&gone).await.unwrap(),
        0,
        "nothing left to forget"
    );
    let after = summary(&exported(s, &kept).await);
    assert_eq!(
        before.differences(&after, "before", "after"),
        Vec::<String>::new()
    );
    assert_eq!(s.merges(&kept).await.unwrap().len(), 1);
}

pub(super) async fn merge_marks_stand_until_cleared(s: &dyn Store) {
    let into = SiteId::parse("so-y-te").unwrap();
    let (a, b) = (
        SiteId::parse("xa-a").unwrap(),
        SiteId::parse("xa-b").unwrap(),
    );
    assert!(s.merges(&into).await.unwrap().is_empty());
    s.mark_merge(&into, &b, Some(MergeMark::Pending))
        .await
        .unwrap();
    s.mark_merge(&into, &a, Some(MergeMark::Writing))
        .await
        .unwrap();
    let marks = |m: Vec<(String, MergeMark)>| m;
    assert_eq!(
        marks(s.merges(&into).await.unwrap()),
        [
            ("xa-a".to_owned(), MergeMark::Writing),
            ("xa-b".to_owned(), MergeMark::Pending)
        ]
    );
    s.mark_merge(&into, &a, Some(MergeMark::Pending))
        .await
        .unwrap();
    s.mark_merge(&into, &b, None).await.unwrap();
    assert_eq!(
        s.merges(&into).await.unwrap(),
        [("xa-a".to_owned(), MergeMark::Pending)]
    );
    assert!(
        s.merges(&a).await.unwrap().is_empty(),
        "a mark is its site's"
    );
    // A mark is no state of the site's: an export does not carry it.
    let held = s.holding(&into).await.unwrap();
    assert!(held.empty, "{held:?}");
}

pub(super) async fn the_listing_keeps_each_sites_last_time(s: &dyn Store) {
    let (a, b) = (
        SiteId::parse("xa-a").unwrap(),
        SiteId::parse("xa-b").unwrap(),
    );
    let (first, later) = (super::ts(super::T0), super::ts(super::T0 + 60_000));
    assert!(s.listed_sites().await.unwrap().is_empty());
    s.list_sites(vec![b.clone(), a.clone()], first)
        .await
        .unwrap();
    s.list_sites(vec![b.clone()], later).await.unwrap();
    assert_eq!(
        s.listed_sites().await.unwrap(),
        [("xa-a".to_owned(), first), ("xa-b".to_owned(), later)]
    );
    s.forget_site(&a).await.unwrap();
    assert_eq!(
        s.listed_sites().await.unwrap(),
        [("xa-b".to_owned(), later)]
    );
}

pub(super) async fn defined_sites_are_created_once_and_replaced_in_place(s: &dyn Store) {
    let (a, b) = (
        SiteId::parse("xa-a").unwrap(),
        SiteId::parse("xa-b").unwrap(),
    );
    assert_eq!(s.sites_version().await.unwrap(), 0);
    assert!(s.defined_sites().await.unwrap().is_empty());
    // Replacing a site that was never defined is refused.
    assert!(!s.define_site(&a, "{}".into(), false).await.unwrap());
    assert_eq!(s.sites_version().await.unwrap(), 0);
    assert!(s.define_site(&b, r#"{"n":1}"#.into(), true).await.unwrap());
    assert!(s.define_site(&a, r#"{"n":2}"#.into(), true).await.unwrap());
    let after_two = s.sites_version().await.unwrap();
    assert!(after_two > 0);
    // A second creation of one id is refused and changes nothing.
    assert!(!s.define_site(&a, r#"{"n":3}"#.into(), true).await.unwrap());
    assert_eq!(s.sites_version().await.unwrap(), after_two);
    assert_eq!(
        s.defined_sites().await.unwrap(),
        [
            ("xa-a".to_owned(), r#"{"n":2}"#.to_owned()),
            ("xa-b".to_owned(), r#"{"n":1}"#.to_owned())
        ]
    );
    // A replacement moves the version on.
    assert!(s.define_site(&a, r#"{"n":4}"#.into(), false).await.unwrap());
    assert!(s.sites_version().await.unwrap() > after_two);
    assert_eq!(s.defined_sites().await.unwrap()[0].1, r#"{"n":4}"#);
    // A site's data forgotten is not its definition.
    s.forget_site(&a).await.unwrap();
    assert_eq!(s.defined_sites().await.unwrap().len(), 2);
    // A definition taken away moves the version on, once.
    let before = s.sites_version().await.unwrap();
    assert!(s.undefine_site(&a).await.unwrap());
    let after = s.sites_version().await.unwrap();
    assert!(after > before);
    assert!(!s.undefine_site(&a).await.unwrap());
    assert_eq!(s.sites_version().await.unwrap(), after);
    assert_eq!(
        s.defined_sites().await.unwrap(),
        [("xa-b".to_owned(), r#"{"n":1}"#.to_owned())]
    );
    // And it may be defined anew.
    assert!(s.define_site(&a, r#"{"n":5}"#.into(), true).await.unwrap());
}
