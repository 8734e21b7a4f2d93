//! A full disk under the embedded store, on a small tmpfs, with hits and
//! ballots flowing: the replica says it is not ready and why, refuses
//! ballots with 503 (counting none of them), stays quiet in CPU and log,
//! and heals by itself when space returns; every ballot answered 201 is in
//! the results, also after `kill -9` and a restart.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::Value;

use crate::support::{BROWSER, Binary, cookie, eventually};

const POLL: &str = "danh-gia-cong";
const OPTIONS: [&str; 4] = ["rat-tot", "tot", "binh-thuong", "chua-tot"];

/// A tmpfs of its own, unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. `16m`); says why not where this
    /// machine cannot (not root, no `mount`, a sandbox).
    fn mount(size: &str) -> Result<Self, String> {
        let uid = Command::new("id")
            .arg("-u")
            .output()
            .map_err(|e| e.to_string())?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            return Err("not running as root".into());
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| e.to_string())?;
        if !mounted.status.success() {
            return Err(String::from_utf8_lossy(&mounted.stderr).trim().to_owned());
        }
        Ok(Self { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file until the disk is full.
    fn fill(&self) -> PathBuf {
        use std::io::Write as _;
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = vec![0xa5u8; 64 * 1024];
        while file.write_all(&chunk).is_ok() {}
        let _ = file.sync_all();
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.path()).status();
    }
}

/// What the traffic saw.
#[derive(Default)]
struct Seen {
    /// Ballots answered 201, by option.
    accepted: [u64; 4],
    refused: u64,
    /// Answers other than 201 and 503 (none expected).
    odd: Vec<u16>,
}

impl Seen {
    fn answered(&self) -> u64 {
        self.accepted.iter().sum::<u64>() + self.refused
    }
}

/// Hits and ballots, each from a new visitor and address, every 20 ms
/// until `stop`.
async fn traffic(public: String, seen: Arc<Mutex<Seen>>, stop: Arc<AtomicBool>) {
    let http = reqwest::Client::new();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut n: u32 = 0;
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        n += 1;
        let address = format!("10.{}.{}.{}", n >> 16 & 255, n >> 8 & 255, n & 255);
        let _ = http
            .post(format!("{public}/v1/hits"))
            .header("user-agent", BROWSER)
            .header("content-type", "application/json")
            .header("x-forwarded-for", &address)
            .body(format!(r#"{{"page":"/tin-tuc/{n}"}}"#))
            .send()
            .await;
        let option = n as usize % OPTIONS.len();
        let answer = http
            .post(format!("{public}/v1/polls/{POLL}/votes"))
            .header("user-agent", BROWSER)
            .header("content-type", "application/json")
            .header("cookie", format!("tally_vid={}", cookie()))
            .header("x-forwarded-for", &address)
            .body(format!(r#"{{"options":["{}"]}}"#, OPTIONS[option]))
            .send()
            .await;
        let Ok(answer) = answer else { continue };
        let mut seen = seen.lock();
        match answer.status().as_u16() {
            201 => seen.accepted[option] += 1,
            503 => seen.refused += 1,
            other => seen.odd.push(other),
        }
    }
}

async fn readyz(http: &reqwest::Client, ops: &str) -> (u16, Value) {
    let answer = http.get(format!("{ops}/readyz")).send().await.unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap())
}

/// Votes per option in the public results.
async fn results(http: &reqwest::Client, public: &str) -> [u64; 4] {
    let poll: Value = http
        .get(format!("{public}/v1/polls/{POLL}/results"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    OPTIONS.map(|id| {
        let options = poll["options"].as_array();
        let option = options.and_then(|o| o.iter().find(|o| o["id"] == id));
        let votes = option.and_then(|o| o["votes"].as_u64());
        votes.unwrap_or_else(|| panic!("no votes for {id} in {poll}"))
    })
}

fn lines(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .count()
}

async fn start(data: &Path, log: &Path) -> Binary {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let polls = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/polls.toml");
    let env = [
        ("TALLY_DATA_DIR", data.display().to_string()),
        ("TALLY_POLLS_FILE", polls.to_owned()),
        ("TALLY_TRUSTED_PROXIES", "127.0.0.1/32".to_owned()),
        ("TALLY_LOG", "info".to_owned()),
    ];
    Binary::start_logging(&env, log).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_makes_the_store_unready_quietly_and_it_heals_when_space_returns() {
    let disk = match Tmpfs::mount("24m") {
        Ok(disk) => disk,
        Err(why) => {
            eprintln!("skipped: cannot mount a tmpfs here ({why})");
            return;
        }
    };
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("tally.log");
    let tally = start(disk.path(), &log).await;
    let http = reqwest::Client::new();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let flowing = tokio::spawn(traffic(
        tally.public.clone(),
        Arc::clone(&seen),
        Arc::clone(&stop),
    ));
    eventually(
        Duration::from_secs(10),
        "a ballot answered 201",
        async || (seen.lock().accepted.iter().sum::<u64>() > 0).then_some(()),
    )
    .await;

    // The disk fills up: the store says it is not ready, and why.
    let (lines_before, cpu_before, since) = (lines(&log), tally.cpu_seconds(), Instant::now());
    let filler = disk.fill();
    let why = eventually(Duration::from_secs(20), "/readyz 503", async || {
        let (status, body) = readyz(&http, &tally.ops).await;
        (status == 503).then_some(body)
    })
    .await;
    assert_eq!(why["checks"]["store"], "unavailable");
    let store_error = why["store_error"].as_str().unwrap_or_default();
    assert!(store_error.contains("No space left on device"), "{why}");

    // While it stays full: ballots refused, few log lines, little CPU.
    let answered_before = seen.lock().answered();
    let accepted_before = seen.lock().accepted;
    let mut readiness_checks = 0;
    while seen.lock().answered() < answered_before + 250 {
        let (status, _) = readyz(&http, &tally.ops).await;
        assert_eq!(status, 503, "ready although the disk is full");
        readiness_checks += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (lines_during, cpu_during) = (lines(&log) - lines_before, tally.cpu_seconds() - cpu_before);
    let wall = since.elapsed().as_secs_f64();
    eprintln!(
        "full disk for {wall:.1}s: {lines_during} log lines, {cpu_during:.2}s of CPU ({:.0}%), {readiness_checks} readiness checks, {} ballots refused",
        100.0 * cpu_during / wall,
        seen.lock().refused
    );
    assert_eq!(
        seen.lock().accepted,
        accepted_before,
        "a ballot answered 201 on a full disk"
    );
    assert!(
        lines_during as f64 <= 10.0 * wall,
        "{lines_during} log lines in {wall:.1}s"
    );
    assert!(
        cpu_during < 0.5 * wall,
        "{cpu_during:.2}s of CPU in {wall:.1}s"
    );
    let metrics = http
        .get(format!("{}/metrics", tally.ops))
        .send()
        .await
        .unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(metrics.contains("\ntally_store_writable 0\n"), "{metrics}");
    assert!(!metrics.contains("\ntally_store_write_failures_total 0\n"));

    // Space returns: ready again and writing, without a restart.
    std::fs::remove_file(filler).unwrap();
    let freed = Instant::now();
    eventually(
        Duration::from_secs(30),
        "/readyz 200 after space returned",
        async || (readyz(&http, &tally.ops).await.0 == 200).then_some(()),
    )
    .await;
    eprintln!(
        "ready {:.1}s after space returned",
        freed.elapsed().as_secs_f64()
    );
    let accepted = seen.lock().accepted.iter().sum::<u64>();
    eventually(
        Duration::from_secs(10),
        "a ballot answered 201 again",
        async || (seen.lock().accepted.iter().sum::<u64>() > accepted).then_some(()),
    )
    .await;
    let counter = |http: reqwest::Client, public: String| async move {
        let counter: Value = http
            .get(format!("{public}/v1/counter"))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        Some((counter["total"].as_u64()?, counter["stale"] == false))
    };
    let (total, _) = counter(http.clone(), tally.public.clone()).await.unwrap();
    eventually(Duration::from_secs(10), "hits counted again", async || {
        let (now, fresh) = counter(http.clone(), tally.public.clone()).await?;
        (fresh && now > total).then_some(())
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    flowing.await.unwrap();

    // Every ballot answered 201 counts, and none answered 503 does: in
    // this process, and after kill -9 and a restart.
    let seen = std::mem::take(&mut *seen.lock());
    assert!(seen.odd.is_empty(), "unexpected answers: {:?}", seen.odd);
    assert!(seen.refused > 0);
    assert_eq!(results(&http, &tally.public).await, seen.accepted);
    drop(tally);
    let tally = start(disk.path(), &log).await;
    assert_eq!(results(&http, &tally.public).await, seen.accepted);
}
