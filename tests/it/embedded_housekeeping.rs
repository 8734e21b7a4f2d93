//! The embedded store's housekeeping under the load an attack left behind.
//! In a test binary of its own, so no other test shares the two cores while
//! it measures how long writes wait.

use std::time::{Duration, Instant};

use futures::future::join_all;
use jiff::SignedDuration;

/// The embedded store grown as an attack grew it (tens of thousands of
/// expired visitors): housekeeping deletes them in slices, ten times as
/// often as a replica runs it, while hits go on and then ballots, with no ballot
/// refused and no write held up for long beside the same writes without
/// housekeeping.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_housekeeping_never_stalls_writes() {
    use std::sync::Arc;
    use tally::ids::{AddressKey, OptionId, PageId, PageKey, PollId, SiteId, VisitorKey};
    use tally::poll::{Poll, PollOption, PollSpec};
    use tally::store::{Ballot, Store, Touch};

    const SITE: SiteId = SiteId::DEFAULT;
    let t0: jiff::Timestamp = "2027-01-15T08:00:00Z".parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        tally::store::embedded::EmbeddedStore::open(dir.path(), Duration::from_secs(1)).unwrap(),
    );
    let touch = |n: u64, page: u64, at: jiff::Timestamp| Touch {
        visitor: VisitorKey::from_address_hash(u128::from(n).to_be_bytes()),
        inherit: None,
        page: Some(PageKey::of(&PageId::parse(&format!("/p/{page}")).unwrap())),
        at,
        day: "2027-01-15".parse().unwrap(),
        window: SignedDuration::from_mins(30),
        max_pages: 512,
        id: n << 8 | page,
    };
    // 40 000 visitors with 4 pages each, all two hours old.
    for chunk in 0..160u64 {
        let writes = (0..1000u64).map(|i| {
            let n = chunk * 250 + i / 4;
            let t = touch(n, i % 4, t0 - SignedDuration::from_hours(2));
            let store = Arc::clone(&store);
            async move { store.touch(&SITE, &t).await.unwrap() }
        });
        join_all(writes).await;
    }
    store
        .put_poll(
            &SITE,
            &Poll::new(PollSpec {
                id: PollId::parse("p").unwrap(),
                question: "Q?".into(),
                options: ["a", "b"]
                    .iter()
                    .map(|id| PollOption {
                        id: OptionId::parse(id).unwrap(),
                        label: id.to_uppercase(),
                    })
                    .collect(),
                max_choices: None,
                opens_at: None,
                closes_at: None,
                results: Default::default(),
                challenge: Default::default(),
                archived_at: None,
                draft: false,
            })
            .unwrap(),
            false,
        )
        .await
        .unwrap();
    let size_before = std::fs::metadata(dir.path().join("tally.redb"))
        .unwrap()
        .len();

    // 400 hits, one every 3 ms or so, and in the second half a ballot every
    // fourth: the slowest hit, the slowest ballot and how many ballots.
    // `from` keeps each run's visitors apart.
    let writes = async |from: u64| {
        let mut slowest_hit = Duration::ZERO;
        let mut slowest_ballot = Duration::ZERO;
        let mut ballots = 0;
        for n in from..from + 400 {
            let started = Instant::now();
            store
                .touch(&SITE, &touch(1_000_000 + n, 0, t0))
                .await
                .unwrap();
            slowest_hit = slowest_hit.max(started.elapsed());
            // Ballots (durable commits) in the second half only: in the
            // first, the slices' deletions are made durable by the periodic
            // sync alone, a second's worth at a time.
            if n - from >= 200 && n % 4 == 0 {
                let started = Instant::now();
                let ballot = Ballot {
                    id: tally::ids::BallotId::fresh(),
                    attempt: tally::ids::Attempt::fresh(),
                    poll: PollId::parse("p").unwrap(),
                    visitor: VisitorKey::from_cookie(&format!("{n:036x}")).unwrap(),
                    address: AddressKey::from_hash([1; 16]),
                    choices: vec![OptionId::parse("a").unwrap()],
                    at: Some(t0),
                    day: "2027-01-15".parse().unwrap(),
                    address_cap: 1000,
                    solved_cap: 1000,
                    networks: Vec::new(),
                    proof: tally::store::BallotProof::Missing,
                };
                let (verdict, _) = store
                    .cast(&SITE, &ballot)
                    .await
                    .expect("never 503")
                    .unwrap();
                assert_eq!(verdict, tally::store::Verdict::Accepted);
                slowest_ballot = slowest_ballot.max(started.elapsed());
                ballots += 1;
            }
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        (slowest_hit, slowest_ballot, ballots)
    };

    // First without housekeeping, on the same store: what a hit and a
    // ballot cost here and now, however loaded the machine.
    let (quiet_hit, quiet_ballot, quiet_ballots) = writes(0).await;
    assert_eq!(quiet_ballots, 50);

    let sweeping = {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            let (mut slowest, mut whole) = (Duration::ZERO, Duration::ZERO);
            for _ in 0..200 {
                let started = Instant::now();
                store.maintain(t0).await.unwrap();
                slowest = slowest.max(started.elapsed());
                whole += started.elapsed();
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            (slowest, whole)
        })
    };
    let (slowest_hit, slowest_ballot, ballots) = writes(10_000).await;
    let (slowest_sweep, whole_sweep) = sweeping.await.unwrap();
    println!(
        "housekeeping over 40 000 expired visitors ({size_before} bytes): 200 slices in {whole_sweep:?}, slowest {slowest_sweep:?}; \
         slowest hit {slowest_hit:?} (without housekeeping {quiet_hit:?}), \
         slowest of {ballots} ballots {slowest_ballot:?} (without housekeeping {quiet_ballot:?})"
    );
    // A slice at a time: 40 000 visitors take some 80 slices of 512, so
    // the slowest of the 200 calls is a small part of their sum (under a
    // twentieth when measured), where a sweep of the whole table in one
    // call would be most of it. Both are measured together, so a loaded
    // machine slows both; a fifth leaves room for one slow slice.
    assert!(
        slowest_sweep * 5 < whole_sweep,
        "a slice took {slowest_sweep:?} of the {whole_sweep:?} all 200 took"
    );
    // Never held up for long: the slowest write while housekeeping runs is
    // within ten times the slowest of the same writes without it, or 50 ms
    // more. A hit or ballot waiting for a whole sweep (the one writer busy
    // deleting 40 000 visitors) would be past both.
    let within = |quiet: Duration| (10 * quiet).max(quiet + Duration::from_millis(50));
    assert!(
        slowest_hit <= within(quiet_hit),
        "a hit waited {slowest_hit:?}, {quiet_hit:?} without housekeeping"
    );
    assert!(
        slowest_ballot <= within(quiet_ballot),
        "a ballot waited {slowest_ballot:?}, {quiet_ballot:?} without housekeeping"
    );
    assert_eq!(ballots, 50);
}
