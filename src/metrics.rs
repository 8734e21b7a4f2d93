//! Every Prometheus collector tally exports, registered in one place.
//!
//! Labels are bounded: a route template (never a raw path), a method from a
//! fixed list, a status class, a store operation, a ballot outcome and the id
//! of a poll that exists. Never a page, a visitor or an address.

use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Buckets for request and store latency, in seconds: 100 µs to 5 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Every outcome of a hit, as the `outcome` label names it.
pub const HIT_OUTCOMES: [&str; 6] = [
    "counted",
    "bot",
    "buffered",
    "foreign_origin",
    "no_site",
    "unknown_site",
];

/// Why a page view was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// `TALLY_MAX_PAGES` distinct pages are stored already.
    SiteCap,
    /// The visitor opened more distinct pages in one visit window than one
    /// visitor's state remembers.
    VisitorCap,
    /// More distinct pages in one flush interval than a batch carries.
    BatchCap,
}

impl DropReason {
    const ALL: [DropReason; 3] = [Self::SiteCap, Self::VisitorCap, Self::BatchCap];

    fn label(self) -> &'static str {
        match self {
            Self::SiteCap => "site_cap",
            Self::VisitorCap => "visitor_cap",
            Self::BatchCap => "batch_cap",
        }
    }
}

/// The collectors.
pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub connections: IntGaugeVec,
    pub hits: IntCounterVec,
    /// `hits`' series, looked up once: `counted`, `bot`, `buffered`,
    /// `foreign_origin`, `no_site`, `unknown_site` (as [`HIT_OUTCOMES`]).
    pub hit_outcomes: [IntCounter; 6],
    pub visits: IntCounter,
    pub page_views: IntCounter,
    page_views_dropped: IntCounterVec,
    pub ballots: IntCounterVec,
    pub rate_limited: IntCounterVec,
    pub store_duration: HistogramVec,
    pub store_errors: IntCounterVec,
    pub store_up: IntGauge,
    pub store_writable: IntGauge,
    pub store_write_failures: IntCounter,
    pub hit_buffer: IntGauge,
    pub hit_buffer_dropped: IntCounter,
    pub flush_duration: Histogram,
    pub retractions_waiting: IntGauge,
    pub ballots_retracted: IntCounter,
    pub limiter_keys: IntGaugeVec,
    pub admin_auth_failures: IntCounter,
    pub live_streams: IntGauge,
    pub admin_lockouts: IntCounter,
    pub challenges_issued: IntCounterVec,
    pub challenge_failures: IntCounterVec,
    pub challenge_level: IntGaugeVec,
    pub challenge_steps: IntCounterVec,
    /// Records the retention sweep deleted, by kind ([`RETENTION_KINDS`]).
    pub retention_deleted: IntCounterVec,
    pub retention_last_success: IntGauge,
    pub retention_failures: IntCounter,
    pub build_info: Gauge,
}

/// Every `kind` of `tally_retention_deleted_total`: what the hourly sweep
/// deletes (the rest expires by itself).
pub const RETENTION_KINDS: [&str; 3] = ["audit_entries", "voter_records", "sites"];

/// Every `code` of `tally_challenge_failures_total`.
pub const CHALLENGE_FAILURES: [&str; 7] = [
    "challenge_required",
    "challenge_malformed",
    "challenge_invalid",
    "challenge_expired",
    "challenge_other_poll",
    "challenge_replayed",
    "challenge_too_easy",
];

impl Metrics {
    /// Creates and registers every collector; `store` is the store's kind.
    pub fn new(store: &str) -> Self {
        let registry = Registry::new();
        let hits = IntCounterVec::new(
            Opts::new("tally_hits_total", "Hits received, by outcome: counted, bot (answered, not counted), buffered (store unavailable, counted later), foreign_origin (from a page that is not one of its site's origins: answered, not counted), no_site (sites are configured and it named none: refused) or unknown_site (it named a site that is not one: refused)."),
            &["outcome"],
        )
        .expect("valid metric");
        let m = Self {
            http_requests: IntCounterVec::new(
                Opts::new("tally_http_requests_total", "HTTP requests answered, by route template, method and status class."),
                &["listener", "route", "method", "status"],
            )
            .expect("valid metric"),
            http_duration: HistogramVec::new(
                HistogramOpts::new("tally_http_request_duration_seconds", "Time to answer an HTTP request, by route template and method.")
                    .buckets(LATENCY_BUCKETS.to_vec()),
                &["listener", "route", "method"],
            )
            .expect("valid metric"),
            connections: IntGaugeVec::new(
                Opts::new("tally_http_connections", "Open client connections, by listener."),
                &["listener"],
            )
            .expect("valid metric"),
            hit_outcomes: HIT_OUTCOMES.map(|outcome| hits.with_label_values(&[outcome])),
            hits,
            visits: IntCounter::new("tally_visits_total", "Visits counted by this replica.").expect("valid metric"),
            page_views: IntCounter::new("tally_page_views_total", "Page views counted by this replica.").expect("valid metric"),
            page_views_dropped: IntCounterVec::new(
                Opts::new("tally_page_views_dropped_total", "Page views not kept, by reason: site_cap (TALLY_MAX_PAGES distinct pages are stored), visitor_cap (one visitor opened more distinct pages in a visit window than are remembered), batch_cap (more distinct pages in a flush interval than a batch carries)."),
                &["reason"],
            )
            .expect("valid metric"),
            ballots: IntCounterVec::new(
                Opts::new("tally_ballots_total", "Ballots received, by poll and result: accepted, duplicate, address_cap, closed, invalid, rate_limited or unavailable."),
                &["poll", "result"],
            )
            .expect("valid metric"),
            rate_limited: IntCounterVec::new(
                Opts::new("tally_rate_limited_total", "Requests refused by the rate limiter, by route template."),
                &["route"],
            )
            .expect("valid metric"),
            store_duration: HistogramVec::new(
                HistogramOpts::new("tally_store_operation_duration_seconds", "Time a store operation took, by operation.")
                    .buckets(LATENCY_BUCKETS.to_vec()),
                &["operation"],
            )
            .expect("valid metric"),
            store_errors: IntCounterVec::new(
                Opts::new("tally_store_errors_total", "Store operations that failed or timed out, by operation."),
                &["operation"],
            )
            .expect("valid metric"),
            store_up: IntGauge::new("tally_store_up", "1 when the last store operation succeeded, 0 when it failed.").expect("valid metric"),
            store_writable: IntGauge::new("tally_store_writable", "0 while the embedded store's disk refuses writes (a full disk, an I/O error) and the store waits to open its file again, 1 otherwise (always 1 on Redis).").expect("valid metric"),
            store_write_failures: IntCounter::new("tally_store_write_failures_total", "Writes the embedded store's disk did not take: commits that failed on it, and writes refused until the file was opened again (always 0 on Redis).").expect("valid metric"),
            hit_buffer: IntGauge::new("tally_hit_buffer", "Hits held in memory while the store is unavailable, waiting to be written.").expect("valid metric"),
            hit_buffer_dropped: IntCounter::new("tally_hit_buffer_dropped_total", "Hits lost because the buffer (TALLY_HIT_BUFFER) was full.").expect("valid metric"),
            flush_duration: Histogram::with_opts(
                HistogramOpts::new("tally_batch_flush_duration_seconds", "Time to write a batch of counter increments and read the counters back.")
                    .buckets(LATENCY_BUCKETS.to_vec()),
            )
            .expect("valid metric"),
            retractions_waiting: IntGauge::new("tally_ballot_retractions_waiting", "Ballots answered 503 that the store may have counted, waiting to be retracted when it answers again.").expect("valid metric"),
            ballots_retracted: IntCounter::new("tally_ballots_retracted_total", "Ballots answered 503 that the store had counted after all, and that were retracted.").expect("valid metric"),
            limiter_keys: IntGaugeVec::new(
                Opts::new("tally_rate_limiter_keys", "Client addresses the rate limiter currently tracks, by limiter."),
                &["limiter"],
            )
            .expect("valid metric"),
            live_streams: IntGauge::new("tally_live_streams", "Live result streams (server-sent events) open on this replica.").expect("valid metric"),
            admin_auth_failures: IntCounter::new("tally_admin_auth_failures_total", "Admin requests refused for a missing or wrong token.").expect("valid metric"),
            admin_lockouts: IntCounter::new("tally_admin_lockouts_total", "Addresses made to wait between wrong admin tokens after too many (a correct token is never refused).").expect("valid metric"),
            challenges_issued: IntCounterVec::new(
                Opts::new("tally_challenges_issued_total", "Ballot challenges issued, by level (1 easiest to 5 hardest)."),
                &["level"],
            )
            .expect("valid metric"),
            challenge_failures: IntCounterVec::new(
                Opts::new("tally_challenge_failures_total", "Ballots refused for their challenge, by code: challenge_required (none), challenge_malformed, challenge_invalid (forged or wrong), challenge_expired, challenge_other_poll, challenge_replayed (a solution spent by another ballot), challenge_too_easy (below the level asked of the ballot's network now)."),
                &["code"],
            )
            .expect("valid metric"),
            challenge_level: IntGaugeVec::new(
                Opts::new("tally_challenge_level", "The challenge level this replica issues for an auto poll (1 easiest to 5 hardest)."),
                &["poll"],
            )
            .expect("valid metric"),
            challenge_steps: IntCounterVec::new(
                Opts::new("tally_challenge_level_changes_total", "Changes of an auto poll's challenge level, by poll and reason: rate, fresh_identities, one_network (raised) or calm (lowered)."),
                &["poll", "reason"],
            )
            .expect("valid metric"),
            retention_deleted: IntCounterVec::new(
                Opts::new("tally_retention_deleted_total", "Records the hourly retention sweep deleted once their time was over, by kind: audit_entries (TALLY_AUDIT_DAYS), voter_records (TALLY_VOTER_DAYS after a poll closed) or sites (a site the sites file has not named for 30 days, its data whole)."),
                &["kind"],
            )
            .expect("valid metric"),
            retention_last_success: IntGauge::new("tally_retention_last_success_timestamp_seconds", "When this replica's last retention sweep succeeded (Unix seconds); until its first, when the replica started.").expect("valid metric"),
            retention_failures: IntCounter::new("tally_retention_sweep_failures_total", "Retention sweeps that failed (a store error); the next is an hour later.").expect("valid metric"),
            build_info: Gauge::with_opts(
                Opts::new("tally_build_info", "Always 1; labels name the version and the store.")
                    .const_label("version", env!("CARGO_PKG_VERSION"))
                    .const_label("store", store),
            )
            .expect("valid metric"),
            registry,
        };
        m.build_info.set(1.0);
        m.store_up.set(1);
        m.store_writable.set(1);
        // Series that exist from the start read 0 instead of "no data", so
        // rates and alerts over them work before the first event.
        for reason in DropReason::ALL {
            m.page_views_dropped.with_label_values(&[reason.label()]);
        }
        for code in CHALLENGE_FAILURES {
            m.challenge_failures.with_label_values(&[code]);
        }
        for kind in RETENTION_KINDS {
            m.retention_deleted.with_label_values(&[kind]);
        }
        let collectors: Vec<Box<dyn prometheus::core::Collector>> = vec![
            Box::new(m.http_requests.clone()),
            Box::new(m.http_duration.clone()),
            Box::new(m.connections.clone()),
            Box::new(m.hits.clone()),
            Box::new(m.visits.clone()),
            Box::new(m.page_views.clone()),
            Box::new(m.page_views_dropped.clone()),
            Box::new(m.ballots.clone()),
            Box::new(m.rate_limited.clone()),
            Box::new(m.store_duration.clone()),
            Box::new(m.store_errors.clone()),
            Box::new(m.store_up.clone()),
            Box::new(m.store_writable.clone()),
            Box::new(m.store_write_failures.clone()),
            Box::new(m.hit_buffer.clone()),
            Box::new(m.hit_buffer_dropped.clone()),
            Box::new(m.flush_duration.clone()),
            Box::new(m.retractions_waiting.clone()),
            Box::new(m.ballots_retracted.clone()),
            Box::new(m.limiter_keys.clone()),
            Box::new(m.admin_auth_failures.clone()),
            Box::new(m.live_streams.clone()),
            Box::new(m.admin_lockouts.clone()),
            Box::new(m.challenges_issued.clone()),
            Box::new(m.challenge_failures.clone()),
            Box::new(m.challenge_level.clone()),
            Box::new(m.challenge_steps.clone()),
            Box::new(m.retention_deleted.clone()),
            Box::new(m.retention_last_success.clone()),
            Box::new(m.retention_failures.clone()),
            Box::new(m.build_info.clone()),
        ];
        for c in collectors {
            m.registry.register(c).expect("metric names are unique");
        }
        #[cfg(target_os = "linux")]
        m.registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::new(
                    std::process::id() as i32,
                    "tally",
                ),
            ))
            .expect("process metrics register once");
        m
    }

    /// Counts `n` page views not kept for `reason`.
    pub fn views_dropped(&self, reason: DropReason, n: u64) {
        if n > 0 {
            self.page_views_dropped
                .with_label_values(&[reason.label()])
                .inc_by(n);
        }
    }

    /// The exposition in Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding cannot fail");
        String::from_utf8(out).expect("text exposition is UTF-8")
    }
}

/// A status code's class label: `2xx` … `5xx`.
pub fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// A method label from a fixed set, so a client cannot invent labels.
pub fn method_label(method: &http::Method) -> &'static str {
    match *method {
        http::Method::GET => "GET",
        http::Method::HEAD => "HEAD",
        http::Method::POST => "POST",
        http::Method::PUT => "PUT",
        http::Method::DELETE => "DELETE",
        http::Method::OPTIONS => "OPTIONS",
        http::Method::PATCH => "PATCH",
        _ => "other",
    }
}
