//! Test support: private `redis-server` processes on free ports, and the
//! real app on port 0 with a clock the test controls.
#![allow(dead_code)]

pub mod console;
pub mod gate;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde_json::Value;
use tally::app::{self, Running};
use tally::clock::{Clock, DriftedClock, ManualClock};
use tally::config::{Rate, Settings, StoreSettings};
use tempfile::TempDir;

/// Runs each named `async fn case(backend: Backend)` as a test against the
/// embedded store, a private Redis and the shared Redis Cluster.
#[allow(unused_macros)]
macro_rules! on_every_store {
    ($($case:ident),* $(,)?) => {
        mod embedded { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() { super::$case(super::Backend::Embedded).await }
        )* }
        mod redis { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() { super::$case(super::Backend::Redis).await }
        )* }
        mod cluster { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() { super::$case(super::Backend::Cluster).await }
        )* }
    };
}

/// `GET url` answered with JSON.
pub async fn get_json(http: &reqwest::Client, url: impl reqwest::IntoUrl) -> Value {
    let response = http.get(url).send().await.expect("answered");
    response.json().await.expect("a JSON answer")
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A private `redis-server`, killed on drop. Never the one on 6379.
pub struct RedisServer {
    pub port: u16,
    child: Option<Child>,
    dir: TempDir,
    extra: Vec<String>,
}

impl RedisServer {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts with extra `redis-server` arguments (e.g. persistence).
    pub fn start_with(extra: &[&str]) -> Self {
        Self::start_on(free_port(), extra)
    }

    /// Starts on a given port (one a client already points at).
    pub fn start_on(port: u16, extra: &[&str]) -> Self {
        let mut server = Self {
            port,
            child: None,
            dir: TempDir::new().expect("temp dir"),
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (the test command installs it)");
        self.child = Some(child);
        wait_for_redis(self.port);
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL) and waits for it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and directory.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Runs a redis-cli command against this server.
    pub fn cli(&self, args: &[&str]) -> String {
        redis_cli(self.port, args)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn redis_cli(port: u16, args: &[&str]) -> String {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .expect("redis-cli must be installed");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn wait_for_redis(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
            if s.write_all(b"PING\r\n").is_ok() {
                let mut buf = [0u8; 16];
                // PONG, or a refusal from a server that wants a password:
                // either way it is up.
                if let Ok(n) = s.read(&mut buf)
                    && (buf[..n].starts_with(b"+PONG") || buf[..n].starts_with(b"-NOAUTH"))
                {
                    return;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("redis-server on port {port} did not come up");
}

/// A Redis Cluster of three masters on free ports, started once per test
/// binary. Each node runs under a small shell watchdog that stops it when
/// the test process is gone, so no node outlives the tests.
pub struct RedisCluster {
    pub ports: Vec<u16>,
    /// The watchdogs: they end with the nodes, when the test process ends.
    _watchdogs: Vec<Child>,
    _dir: TempDir,
}

impl RedisCluster {
    fn start() -> Self {
        Self::start_with(3, 0)
    }

    /// A cluster of its own: `masters` masters with `replicas` each.
    pub fn start_with(masters: usize, replicas: usize) -> Self {
        let dir = TempDir::new().expect("temp dir");
        let ports: Vec<u16> = (0..masters * (1 + replicas)).map(|_| free_port()).collect();
        let me = std::process::id();
        let mut watchdogs = Vec::new();
        for port in &ports {
            let node_dir = dir.path().join(port.to_string());
            std::fs::create_dir_all(&node_dir).unwrap();
            let server = format!(
                "redis-server --port {port} --bind 127.0.0.1 --save '' --appendonly no \
                 --cluster-enabled yes --cluster-config-file nodes-{port}.conf \
                 --cluster-node-timeout 2000 --dir {dir}",
                dir = node_dir.display()
            );
            let watchdog = format!(
                "{server} >/dev/null 2>&1 & r=$!; trap 'kill $r' TERM; \
                 while kill -0 {me} 2>/dev/null && kill -0 $r 2>/dev/null; do sleep 0.5; done; kill $r 2>/dev/null"
            );
            let child = Command::new("sh")
                .args(["-c", &watchdog])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("sh and redis-server");
            watchdogs.push(child);
            wait_for_redis(*port);
        }
        let nodes: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&nodes)
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
            .output()
            .expect("redis-cli");
        assert!(
            created.status.success(),
            "{}",
            String::from_utf8_lossy(&created.stdout)
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while !ports
            .iter()
            .all(|p| redis_cli(*p, &["cluster", "info"]).contains("cluster_state:ok"))
        {
            assert!(Instant::now() < deadline, "the cluster did not become ok");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self {
            ports,
            _watchdogs: watchdogs,
            _dir: dir,
        }
    }

    /// Seed node URLs.
    pub fn nodes(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect()
    }

    /// The cluster for this test binary, emptied, held until the guard
    /// drops: tests that use it take turns.
    pub async fn acquire() -> ClusterGuard {
        static CLUSTER: std::sync::OnceLock<RedisCluster> = std::sync::OnceLock::new();
        static TURN: std::sync::OnceLock<tokio::sync::Mutex<()>> = std::sync::OnceLock::new();
        let turn = TURN
            .get_or_init(|| tokio::sync::Mutex::new(()))
            .lock()
            .await;
        let cluster = CLUSTER.get_or_init(RedisCluster::start);
        for port in &cluster.ports {
            redis_cli(*port, &["flushall"]);
        }
        ClusterGuard {
            nodes: cluster
                .ports
                .iter()
                .map(|p| format!("redis://127.0.0.1:{p}"))
                .collect(),
            _turn: turn,
        }
    }
}

/// A turn on the shared cluster.
pub struct ClusterGuard {
    pub nodes: Vec<String>,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// Which store a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Embedded,
    Redis,
    Cluster,
}

/// Where a backend keeps its state; lives as long as the test needs it,
/// across restarts of the app.
pub enum Home {
    Embedded(TempDir),
    Redis(RedisServer),
    Cluster(ClusterGuard),
}

impl Home {
    pub fn new(backend: Backend) -> Self {
        match backend {
            Backend::Embedded => Home::Embedded(TempDir::new().expect("temp dir")),
            Backend::Redis => Home::Redis(RedisServer::start()),
            Backend::Cluster => panic!("use Home::open for the cluster"),
        }
    }

    /// Like `new`, for every backend (the cluster is shared, so waiting
    /// for its turn is async).
    pub async fn open(backend: Backend) -> Self {
        match backend {
            Backend::Cluster => Home::Cluster(RedisCluster::acquire().await),
            other => Self::new(other),
        }
    }

    /// The environment that points the real binary at this store.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        match self.store_settings() {
            StoreSettings::Embedded { data_dir } => {
                vec![("TALLY_DATA_DIR", data_dir.display().to_string())]
            }
            StoreSettings::Redis { url } => vec![("TALLY_REDIS_URL", url)],
            StoreSettings::Cluster { nodes } => {
                vec![("TALLY_REDIS_CLUSTER_NODES", nodes.join(","))]
            }
        }
    }

    /// The store on this home, opened as a replica opens it.
    pub async fn open_store(&self) -> Arc<dyn tally::store::Store> {
        tally::store::open::open(
            &self.store_settings(),
            None,
            Duration::from_secs(5),
            Duration::from_secs(1),
        )
        .await
        .expect("store opens")
    }

    pub fn store_settings(&self) -> StoreSettings {
        match self {
            Home::Embedded(dir) => StoreSettings::Embedded {
                data_dir: PathBuf::from(dir.path()),
            },
            Home::Redis(server) => StoreSettings::Redis { url: server.url() },
            Home::Cluster(guard) => StoreSettings::Cluster {
                nodes: guard.nodes.clone(),
            },
        }
    }
}

/// The real binary, started with `env`, on free ports.
pub struct Binary {
    child: Child,
    pub public: String,
    pub ops: String,
}

impl Binary {
    pub async fn start(env: &[(&str, String)]) -> Self {
        // Free ports are free when chosen, not when bound: a test beside
        // this one may take one first, and this tally then stops at start
        // (its listener's one line). New ports, up to three times.
        for _ in 0..2 {
            if let Some(binary) = Self::spawn_ready(env, Stdio::null()).await {
                return binary;
            }
        }
        Self::spawn_ready(env, Stdio::null())
            .await
            .expect("tally stopped at start three times")
    }

    /// Like `start`, with the binary's log (stderr) going to `log`.
    pub async fn start_logging(env: &[(&str, String)], log: impl Into<Stdio>) -> Self {
        Self::spawn_ready(env, log)
            .await
            .expect("tally stopped at start (its log says why)")
    }

    /// Starts the binary on two free ports and waits until both answer;
    /// `None` if it stopped first.
    async fn spawn_ready(env: &[(&str, String)], log: impl Into<Stdio>) -> Option<Self> {
        let public = free_port();
        // Two ports chosen one after the other may be the same one.
        let ops = std::iter::repeat_with(free_port)
            .find(|p| *p != public)
            .expect("another free port");
        // Tests send bursts from one address; `env` may set its own limits.
        let child = Command::new(env!("CARGO_BIN_EXE_tally"))
            .env("TALLY_RATE_LIMIT", "1000000,1000000")
            .env("TALLY_VOTE_RATE_LIMIT", "1000000,1000000")
            .env("TALLY_GLOBAL_RATE_LIMIT", "1000000,1000000")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("TALLY_LISTEN", format!("127.0.0.1:{public}"))
            .env("TALLY_OPS_LISTEN", format!("127.0.0.1:{ops}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the tally binary");
        let mut binary = Self {
            child,
            public: format!("http://127.0.0.1:{public}"),
            ops: format!("http://127.0.0.1:{ops}"),
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            // Checked first: a port taken by another process would answer
            // for a tally that is not running.
            if binary
                .child
                .try_wait()
                .expect("the child's status")
                .is_some()
            {
                return None;
            }
            // The ops listener's own answer: the public one has no /healthz.
            let ops_up = http
                .get(format!("{}/healthz", binary.ops))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ops_up
                && tokio::net::TcpStream::connect(("127.0.0.1", public))
                    .await
                    .is_ok()
                && binary
                    .child
                    .try_wait()
                    .expect("the child's status")
                    .is_none()
            {
                return Some(binary);
            }
            assert!(Instant::now() < deadline, "tally did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The process's resident memory, in KiB.
    pub fn resident_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the process is alive");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
            .expect("VmRSS in /proc")
    }

    /// The CPU time the process has used so far (user and system), in
    /// seconds, from `/proc/<pid>/stat`.
    pub fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .expect("the process is alive");
        // Fields after the command name, which is in parentheses: utime
        // and stime are the 14th and 15th fields of the line.
        let after = &stat[stat.rfind(')').expect("a command name") + 2..];
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        let per_second = Command::new("getconf").arg("CLK_TCK").output();
        let per_second: f64 = per_second
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
            .unwrap_or(100.0);
        ticks as f64 / per_second
    }

    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    pub async fn wait(mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "tally did not exit in time");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The instant tests start at: noon in Hồ Chí Minh City.
pub fn noon() -> Timestamp {
    "2026-11-27T12:00:00+07:00".parse().unwrap()
}

/// The real app on port 0, with a manual clock.
pub struct TestApp {
    pub running: Option<Running>,
    _scratch: TempDir,
    pub clock: Arc<ManualClock>,
    pub base: String,
    pub ops: String,
    pub http: reqwest::Client,
}

impl TestApp {
    pub async fn start(home: &Home, tweak: impl FnOnce(&mut Settings)) -> Self {
        Self::start_at(home, Arc::new(ManualClock::new(noon())), tweak).await
    }

    pub async fn start_at(
        home: &Home,
        clock: Arc<ManualClock>,
        tweak: impl FnOnce(&mut Settings),
    ) -> Self {
        Self::start_full(home.store_settings(), clock, tweak).await
    }

    /// On a store the test set up itself.
    pub async fn start_with_store(store: StoreSettings, tweak: impl FnOnce(&mut Settings)) -> Self {
        Self::start_full(store, Arc::new(ManualClock::new(noon())), tweak).await
    }

    /// An app whose clock is the real one off by `drift` (`clock` is then
    /// not its clock).
    pub async fn start_drifted(
        store: StoreSettings,
        drift: jiff::SignedDuration,
        tweak: impl FnOnce(&mut Settings),
    ) -> Self {
        let app_clock: Arc<dyn Clock> = Arc::new(DriftedClock(drift));
        Self::start_clocked(store, Arc::new(ManualClock::new(noon())), app_clock, tweak).await
    }

    async fn start_full(
        store: StoreSettings,
        clock: Arc<ManualClock>,
        tweak: impl FnOnce(&mut Settings),
    ) -> Self {
        let app_clock: Arc<dyn Clock> = clock.clone();
        Self::start_clocked(store, clock, app_clock, tweak).await
    }

    async fn start_clocked(
        store: StoreSettings,
        clock: Arc<ManualClock>,
        app_clock: Arc<dyn Clock>,
        tweak: impl FnOnce(&mut Settings),
    ) -> Self {
        // Local disk (spill files) next to the embedded store, or of its own.
        let scratch = TempDir::new().expect("temp dir");
        let data_dir = match &store {
            StoreSettings::Embedded { data_dir } => data_dir.clone(),
            _ => scratch.path().to_path_buf(),
        };
        let mut settings = Settings::for_tests(data_dir);
        settings.store = store;
        // Tests send bursts from one address; those about limits set their own.
        let generous = Rate {
            per_second: 1_000_000,
            burst: 1_000_000,
        };
        settings.rate_limit = generous;
        settings.vote_rate_limit = generous;
        settings.global_rate_limit = generous;
        // A debug build running several tests on two cores is far slower
        // than production; what these tests check is exactness, not speed.
        settings.store_timeout = Duration::from_secs(3);
        tweak(&mut settings);
        let running = app::start(settings, app_clock).await.expect("app starts");
        let base = format!("http://{}", running.public_addr);
        let ops = format!("http://{}", running.ops_addr);
        Self {
            running: Some(running),
            _scratch: scratch,
            clock,
            base,
            ops,
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(64)
                .build()
                .unwrap(),
        }
    }

    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `POST /v1/hits` as a browser with `cookie` (if any) on `page`.
    pub async fn hit(&self, cookie: Option<&str>, page: Option<&str>) -> reqwest::Response {
        let mut req = self
            .http
            .post(self.url("/v1/hits"))
            .header("user-agent", BROWSER)
            .header("content-type", "application/json");
        if let Some(c) = cookie {
            req = req.header("cookie", format!("tally_vid={c}"));
        }
        let body = match page {
            Some(p) => serde_json::json!({ "page": p }).to_string(),
            None => String::new(),
        };
        req.body(body).send().await.expect("hit answered")
    }

    /// A hit's JSON answer, asserting 200.
    pub async fn hit_json(&self, cookie: Option<&str>, page: Option<&str>) -> Value {
        let response = self.hit(cookie, page).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// `POST /v1/polls/{poll}/votes` as a browser with a visitor cookie,
    /// from a (forwarded) address.
    pub async fn vote(
        &self,
        poll: &str,
        visitor: &str,
        address: &str,
        options: Value,
    ) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/v1/polls/{poll}/votes")))
            .header("user-agent", BROWSER)
            .header("content-type", "application/json")
            .header("cookie", format!("tally_vid={visitor}"))
            .header("x-forwarded-for", address)
            .body(serde_json::json!({ "options": options }).to_string())
            .send()
            .await
            .expect("ballot answered")
    }

    /// `GET /v1/polls/{poll}` as the visitor with cookie `visitor` sees it.
    pub async fn poll_for(&self, poll: &str, visitor: &str) -> Value {
        let response = self
            .http
            .get(self.url(&format!("/v1/polls/{poll}")))
            .header("cookie", format!("tally_vid={visitor}"))
            .send()
            .await
            .expect("poll answered");
        response.json().await.expect("a JSON poll")
    }

    /// The ops listener's `/metrics`.
    pub async fn metrics(&self) -> String {
        let response = self.http.get(format!("{}/metrics", self.ops)).send().await;
        response
            .expect("metrics answered")
            .text()
            .await
            .expect("metrics text")
    }

    /// One unlabelled sample of `/metrics` (NaN when absent).
    pub async fn metric(&self, name: &str) -> f64 {
        self.metrics()
            .await
            .lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    }

    /// `GET /v1/counter[?page=]`.
    pub async fn counter(&self, page: Option<&str>) -> Value {
        let mut req = self.http.get(self.url("/v1/counter"));
        if let Some(p) = page {
            req = req.query(&[("page", p)]);
        }
        let response = req.send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// The counter once nothing is waiting for the store (`stale` is false):
    /// under heavy load some hits may have waited in the outage buffer.
    pub async fn settled_counter(&self, page: Option<&str>) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let counter = self.counter(page).await;
            if counter["stale"] == false || Instant::now() > deadline {
                return counter;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until two more flushes have completed than when called: one
    /// of them started after the call, so whatever this replica had
    /// recorded before it is in the store, and its counters were read back.
    pub async fn flushed(&self) {
        const FLUSHES: &str = "tally_batch_flush_duration_seconds_count";
        let before = self.metric(FLUSHES).await;
        // A quiet site's hits wait a few ticks: every site's are written.
        let called = Instant::now();
        let written = || {
            self.running
                .as_ref()
                .is_none_or(|r| r.app.counters.written_since(called))
        };
        eventually(
            Duration::from_secs(15),
            "two flushes after what was recorded, every site's written",
            async || (self.metric(FLUSHES).await >= before + 2.0 && written()).then_some(()),
        )
        .await
    }

    /// Waits until the counter's `total` reaches `expected` (another
    /// replica's flush), or gives up after a few seconds.
    pub async fn counter_eventually(&self, field: &str, expected: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let counter = self.counter(None).await;
            if counter[field] == expected || Instant::now() > deadline {
                return counter;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            // Best effort when a test panics before stopping.
            drop(running);
        }
    }
}

/// Calls `check` every 50 ms until it gives `Some`, and returns that value;
/// panics saying `what` did not happen if it has not within `within`.
pub async fn eventually<T>(
    within: Duration,
    what: &str,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A browser's User-Agent.
pub const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";

/// A fresh, well-formed visitor cookie value.
pub fn cookie() -> String {
    let mut bytes = [0u8; 18];
    getrandom::fill(&mut bytes).expect("randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `tally_vid` value a response sets, if any.
pub fn set_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("tally_vid="))
        .map(|v| v.split(';').next().unwrap_or("").to_string())
}
