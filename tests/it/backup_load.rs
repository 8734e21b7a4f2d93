//! Backup under load, on every store: while hits and ballots from many
//! distinct visitors flow at a steady rate, `tally backup` runs again and
//! again; each export has no torn ballot (every ballot is in its option
//! counts, its day and its voter record, or in none), its counts lie
//! between the source's before the backup began and after it ended (and
//! on the embedded store, which reads one transaction, agree with each
//! other exactly); the last one restores into an empty store that `tally
//! check` finds equal and that serves the same results. The traffic's p99
//! while a backup runs stays under twice its p99 in the quiet stretch
//! after it, in the median of four rounds of the same run. `scripts/test`
//! runs these alone, after the other tests: a neighbouring test's load in
//! one phase and not the other would decide the ratio.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tally::archive::format::{Header, Writer};
use tally::archive::restore::open;
use tally::calendar::Day;
use tally::ids::PollId;
use tally::store::piece::{Period, Piece};
use tempfile::TempDir;

use crate::support::{Backend, Home, TestApp, cookie, noon};

const TOKEN: &str = "load-admin-token-5c0d2a9e71b84f36";

/// The poll that was there before (its voters make each export's read of
/// it as long as a real poll's), and the one opened for the traffic.
const OLD_POLL: &str = "lon";
const NEW_POLL: &str = "moi";
const POLLS: [&str; 2] = [OLD_POLL, NEW_POLL];
/// Voters of the old poll, all for `tot`, on `OLD_DAY`.
const OLD_VOTERS: u64 = 10_000;
const OLD_DAY: &str = "2026-11-20";

/// Senders, and the time between one's requests: 4 × 100 a second.
const SENDERS: usize = 4;
const EVERY: Duration = Duration::from_millis(10);
/// Backups taken under the traffic, each followed by as long without.
const ROUNDS: usize = 4;
/// The p99 a backup's may be compared against, at least (a quiet debug
/// build on an idle machine answers in well under this).
const FLOOR: Duration = Duration::from_millis(5);
/// Requests sent during one round's backups, at the least: a p99 needs
/// 100 samples (a few more, for requests counted as sent just before the
/// backup began).
const DURING_SAMPLES: u64 = 110;

async fn tally(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tally"));
    command
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    tokio::task::spawn_blocking(move || command.output().expect("the tally binary"))
        .await
        .unwrap()
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The state before the traffic: three years of history, a page, and the
/// old poll with its voters, restored from an export so that it is quick.
fn before(dir: &Path) -> PathBuf {
    let path = dir.join("before.jsonl.gz");
    let site = || "default".to_owned();
    let header = Header::new("embedded", noon(), &["default"]);
    let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut writer = Writer::new(file, &header).unwrap();
    let mut put = |piece: Piece| writer.piece(&piece).unwrap();
    put(Piece::Counters {
        site: site(),
        baseline: 7_582_803,
        visits: 0,
    });
    let last: Day = "2026-11-26".parse().unwrap();
    for day in last.days_before(3 * 365).through(last) {
        put(Piece::Day {
            site: site(),
            day,
            visits: 4_000,
            imported: 4_000,
        });
    }
    let spec = json!({"id": OLD_POLL, "question": "Bạn đánh giá thế nào?",
        "options": [{"id": "tot", "label": "Tốt"}, {"id": "kem", "label": "Kém"}]});
    let poll = tally::poll::Poll::new(serde_json::from_value(spec).unwrap()).unwrap();
    let counts = [
        ("tot".to_owned(), OLD_VOTERS),
        ("_voters".to_owned(), OLD_VOTERS),
    ];
    put(Piece::Poll {
        site: site(),
        poll: Box::new(poll),
        counts: counts.into(),
    });
    for option in ["tot", "_voters"] {
        put(Piece::PollDay {
            site: site(),
            poll: PollId::parse(OLD_POLL).unwrap(),
            day: OLD_DAY.parse().unwrap(),
            option: option.to_owned(),
            ballots: OLD_VOTERS,
        });
    }
    for i in 0..OLD_VOTERS {
        put(Piece::Voter {
            site: site(),
            poll: PollId::parse(OLD_POLL).unwrap(),
            visitor: format!("c.{i:036x}"),
            record: format!("{i:032x}/00|tot"),
        });
    }
    let mut out = writer.finish().unwrap();
    std::io::Write::flush(&mut out).unwrap();
    path
}

/// What the senders have done: hits and each poll's ballots sent (before
/// the request left) and answered as counted.
#[derive(Default)]
struct Tally {
    hits_sent: AtomicU64,
    hits_counted: AtomicU64,
    ballots_sent: [AtomicU64; 2],
    ballots_counted: [AtomicU64; 2],
}

/// The figures at a moment: visits (one per hit: every hit is a new
/// visitor) and each poll's ballots.
#[derive(Debug, Clone, Copy)]
struct Figures {
    visits: u64,
    ballots: [u64; 2],
}

impl Figures {
    fn total(&self) -> u64 {
        self.visits + self.ballots.iter().sum::<u64>()
    }
}

impl Tally {
    fn counted(&self) -> Figures {
        Figures {
            visits: self.hits_counted.load(Ordering::SeqCst),
            ballots: [0, 1].map(|i| self.ballots_counted[i].load(Ordering::SeqCst)),
        }
    }

    fn sent(&self) -> Figures {
        Figures {
            visits: self.hits_sent.load(Ordering::SeqCst),
            ballots: [0, 1].map(|i| self.ballots_sent[i].load(Ordering::SeqCst)),
        }
    }
}

/// One request: when it left and when its answer came.
type Sample = (Instant, Instant);

/// One sender: a request every `EVERY`, three hits for a ballot, each from
/// a visitor never seen before, until `stop`.
async fn send(
    app: Arc<TestApp>,
    n: usize,
    tally: Arc<Tally>,
    samples: Arc<Mutex<Vec<Sample>>>,
    stop: Arc<AtomicBool>,
) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut k = 0;
    while !stop.load(Ordering::SeqCst) {
        tick.tick().await;
        k += 1;
        let i = k * SENDERS + n;
        let visitor = cookie();
        let began = Instant::now();
        if k.is_multiple_of(4) {
            let which = (k / 4) % 2;
            let address = format!("10.{}.{}.{}", n, (i / 256) % 256, i % 256);
            let option = if i.is_multiple_of(3) { "kem" } else { "tot" };
            tally.ballots_sent[which].fetch_add(1, Ordering::SeqCst);
            let response = app
                .vote(POLLS[which], &visitor, &address, json!([option]))
                .await;
            assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
            tally.ballots_counted[which].fetch_add(1, Ordering::SeqCst);
        } else {
            tally.hits_sent.fetch_add(1, Ordering::SeqCst);
            let page = format!("/tin-tuc/{}", i % 50);
            let response = app.hit(Some(visitor.as_str()), Some(&page)).await;
            assert_eq!(response.status(), 200);
            tally.hits_counted.fetch_add(1, Ordering::SeqCst);
        }
        samples.lock().unwrap().push((began, Instant::now()));
    }
}

fn p99(mut latencies: Vec<Duration>) -> Duration {
    assert!(latencies.len() >= 100, "{} samples", latencies.len());
    latencies.sort_unstable();
    latencies[latencies.len() * 99 / 100]
}

/// A backup taken under the traffic: its file, the source's figures
/// counted before it began and sent by its end, and when it ran.
struct Round {
    file: PathBuf,
    counted: Figures,
    sent: Figures,
    ran: (Instant, Instant),
}

/// An export read whole: the site's figures and each poll's.
#[derive(Default, Debug)]
struct Read {
    visits: u64,
    buckets: Vec<u64>,
    today: u64,
    views: u64,
    counts: BTreeMap<String, BTreeMap<String, u64>>,
    days: BTreeMap<String, BTreeMap<String, u64>>,
    voters: BTreeMap<String, u64>,
    chosen: BTreeMap<String, BTreeMap<String, u64>>,
}

fn read(file: &Path) -> Read {
    let today: Day = "2026-11-27".parse().unwrap();
    let mut read = Read::default();
    for piece in open(file).unwrap() {
        match piece.unwrap() {
            Piece::Counters { visits, .. } => read.visits = visits,
            Piece::Bucket { period, visits, .. } => {
                let now = [
                    ("day", "2026-11-27"),
                    ("week", "2026-11-23"),
                    ("month", "2026-11"),
                ]
                .map(|(what, start)| Period::parse(what, start));
                if now.contains(&Some(period)) {
                    read.buckets.push(visits);
                }
            }
            Piece::Day { day, visits, .. } if day == today => read.today = visits,
            Piece::Page { views, .. } => read.views += views,
            Piece::Poll { poll, counts, .. } => {
                read.counts.insert(poll.id.to_string(), counts);
            }
            Piece::PollDay {
                poll,
                option,
                ballots,
                ..
            } => {
                let days = read.days.entry(poll.to_string()).or_default();
                *days.entry(option).or_default() += ballots;
            }
            Piece::Voter { poll, record, .. } => {
                *read.voters.entry(poll.to_string()).or_default() += 1;
                let (_, options) = record.split_once('|').expect("a voter record");
                let chosen = read.chosen.entry(poll.to_string()).or_default();
                for option in options.split(',') {
                    *chosen.entry(option.to_owned()).or_default() += 1;
                }
            }
            _ => {}
        }
    }
    read
}

/// No torn ballot, and every count between the source's at the
/// backup's start and at its end.
fn check_round(backend: Backend, round: &Round) {
    let read = read(&round.file);
    let (low, high) = (round.counted, round.sent);
    for (i, poll) in POLLS.iter().enumerate() {
        let counts = &read.counts[*poll];
        let voters = read.voters[*poll];
        let mut options = counts.clone();
        let people = options.remove("_voters").unwrap_or(0);
        // Every ballot in its option's count, its voter record and its
        // day, or in none of them.
        assert_eq!(people, voters, "{poll}: _voters against voter records");
        assert_eq!(
            options, read.chosen[*poll],
            "{poll}: counts against records"
        );
        assert_eq!(&read.days[*poll], counts, "{poll}: days against counts");
        let before = if *poll == OLD_POLL { OLD_VOTERS } else { 0 };
        assert!(
            before + low.ballots[i] <= people && people <= before + high.ballots[i],
            "{poll}: {people} voters, not within {}..={}",
            before + low.ballots[i],
            before + high.ballots[i]
        );
    }
    let within = |what: &str, n: u64| {
        assert!(
            low.visits <= n && n <= high.visits,
            "{what}: {n}, not within {}..={}",
            low.visits,
            high.visits
        );
    };
    within("visits", read.visits);
    within("today's visits", read.today);
    within("page views", read.views);
    assert_eq!(read.buckets.len(), 3, "{read:?}");
    for n in &read.buckets {
        within("a bucket", *n);
    }
    if backend == Backend::Embedded {
        // One read transaction: one moment of the file, every counter
        // agreeing with every other.
        for n in read.buckets.iter().chain([&read.today, &read.views]) {
            assert_eq!(*n, read.visits, "{read:?}");
        }
    }
}

/// `GET /admin/backup` into `file`, as it streams.
async fn download(app: &TestApp, file: &Path) {
    let mut response = app
        .http
        .get(format!("{}/admin/backup", app.ops))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut out = std::fs::File::create(file).unwrap();
    while let Some(chunk) = response.chunk().await.unwrap() {
        std::io::Write::write_all(&mut out, &chunk).unwrap();
    }
}

async fn start(home: &Home) -> TestApp {
    TestApp::start(home, |s| {
        s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        s.votes_per_address = 1_000_000;
        s.votes_per_network = 1_000_000;
        s.votes_per_ipv6_site = 1_000_000;
    })
    .await
}

/// One store's test at a time: each measures its own backups' cost, not
/// the others'.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn backup_under_load(backend: Backend) {
    let _turn = TURN.lock().await;
    let dir = TempDir::new().unwrap();
    let home = Home::open(backend).await;
    let restored = tally(
        &["restore", "--file", before(dir.path()).to_str().unwrap()],
        &home.env(),
    )
    .await;
    assert!(restored.status.success(), "{}", said(&restored));
    let app = Arc::new(start(&home).await);
    let spec = json!({"question": "Trang có dễ dùng không?",
        "options": [{"id": "tot", "label": "Có"}, {"id": "kem", "label": "Không"}]});
    let created = app
        .http
        .put(format!("{}/admin/polls/{NEW_POLL}", app.ops))
        .bearer_auth(TOKEN)
        .json(&spec)
        .send()
        .await
        .unwrap();
    assert!(
        created.status().is_success(),
        "{}",
        created.text().await.unwrap()
    );

    let (tally_, samples) = (Arc::new(Tally::default()), Arc::new(Mutex::new(Vec::new())));
    let stop = Arc::new(AtomicBool::new(false));
    let senders: Vec<_> = (0..SENDERS)
        .map(|n| {
            let sending = send(
                Arc::clone(&app),
                n,
                Arc::clone(&tally_),
                Arc::clone(&samples),
                Arc::clone(&stop),
            );
            tokio::spawn(sending)
        })
        .collect();
    let (mut rounds, mut quiet_until) = (Vec::new(), Vec::new());
    for n in 0..ROUNDS {
        // What was counted before this is in the store once two flushes
        // have passed; the traffic meanwhile is the quiet part.
        let counted = tally_.counted();
        app.flushed().await;
        let file = dir.path().join(format!("round-{n}.jsonl.gz"));
        let (began, before) = (Instant::now(), tally_.sent().total());
        // A backup over before 100 requests were sent beside it is taken
        // again, into the same file, so that the p99 during backups is read
        // from enough samples however fast the machine is. The file is the
        // last backup's: its cut still lies between `counted` and `sent`.
        loop {
            download(&app, &file).await;
            if tally_.sent().total() - before >= DURING_SAMPLES {
                break;
            }
        }
        let ended = Instant::now();
        let sent = tally_.sent();
        rounds.push(Round {
            file,
            counted,
            sent,
            ran: (began, ended),
        });
        // As many requests without a backup as there were during it, so
        // both p99s are read from as many samples.
        let enough = sent.total() + (sent.total() - before);
        while tally_.sent().total() < enough {
            tokio::time::sleep(EVERY).await;
        }
        quiet_until.push(Instant::now());
    }
    app.flushed().await;
    stop.store(true, Ordering::SeqCst);
    for sender in senders {
        sender.await.unwrap();
    }

    // Latency, round by round: the requests sent while its backup ran
    // against those sent in the quiet stretch after it (by when a request
    // left: one slow for another reason is not the more likely to count as
    // "during" for being slow). A backup that holds traffic up does so in
    // every round; a stall of the machine's own lands in one, so the
    // median round is what is held to the bound.
    let samples = samples.lock().unwrap().clone();
    let within = |from: Instant, to: Instant| -> Vec<Duration> {
        samples
            .iter()
            .filter(|(began, _)| *began >= from && *began < to)
            .map(|(began, ended)| *ended - *began)
            .collect()
    };
    let mut ratios: Vec<(f64, Duration, Duration)> = rounds
        .iter()
        .zip(&quiet_until)
        .map(|(r, until)| {
            let (during, quiet) = (p99(within(r.ran.0, r.ran.1)), p99(within(r.ran.1, *until)));
            (
                during.as_secs_f64() / quiet.max(FLOOR).as_secs_f64(),
                during,
                quiet,
            )
        })
        .collect();
    let took: Vec<Duration> = rounds.iter().map(|r| r.ran.1 - r.ran.0).collect();
    eprintln!("{backend:?}: backups took {took:?}; p99 during / without, by round: {ratios:?}");
    ratios.sort_by(|a, b| a.0.total_cmp(&b.0));
    let median = ratios[ROUNDS / 2];
    assert!(
        median.0 < 2.0,
        "{backend:?}: the median round's p99 was {:?} during a backup, {:?} without: {ratios:?}",
        median.1,
        median.2
    );

    for round in &rounds {
        check_round(backend, round);
    }
    Arc::into_inner(app)
        .expect("the senders are done")
        .stop()
        .await;
    drop(home);

    // The last export restores into an empty store of another kind, which
    // holds it count for count and serves its results.
    let last = read(&rounds[ROUNDS - 1].file);
    let file = rounds[ROUNDS - 1].file.to_str().unwrap();
    let to = match backend {
        Backend::Embedded => Backend::Redis,
        _ => Backend::Embedded,
    };
    let target = Home::open(to).await;
    let restored = tally(&["restore", "--file", file], &target.env()).await;
    assert!(restored.status.success(), "{}", said(&restored));
    let checked = tally(&["check", "--file", file], &target.env()).await;
    assert!(
        checked.status.success() && said(&checked).starts_with("no difference"),
        "{}",
        said(&checked)
    );
    let app = start(&target).await;
    for poll in POLLS {
        let results: Value = app
            .http
            .get(app.url(&format!("/v1/polls/{poll}/results")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let counts = &last.counts[poll];
        assert_eq!(
            results["total_voters"], counts["_voters"],
            "{poll}: {results}"
        );
        for option in results["options"].as_array().unwrap() {
            let id = option["id"].as_str().unwrap();
            let held = counts.get(id).copied().unwrap_or(0);
            assert_eq!(option["votes"], held, "{poll} {id}: {results}");
        }
    }
    app.stop().await;
}

on_every_store!(backup_under_load);
