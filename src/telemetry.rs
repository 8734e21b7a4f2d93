//! Logs: JSON lines or human-readable text on stderr, filtered by
//! `TALLY_LOG` (default `info`; `debug` adds one line per request).

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber, writing what `filter` (`TALLY_LOG`)
/// lets through; a filter that cannot be read means `info`. Call once, early.
pub fn init(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour only for a person at a terminal: a log file or collector
    // would get escape codes.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
        LogFormat::Text => builder.init(),
    }
}

/// A kind of refused request, as the log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A ballot or form post from a page outside `TALLY_ALLOWED_ORIGINS`.
    OriginNotAllowed,
    /// A hit from such a page: answered, not counted.
    ForeignHit,
    RateLimited,
    /// `TALLY_VOTES_PER_ADDRESS` reached.
    AddressCap,
    /// A ballot without a valid challenge solution, or with a spent one.
    Challenge,
}

impl Refusal {
    const ALL: [Refusal; 5] = [
        Self::OriginNotAllowed,
        Self::ForeignHit,
        Self::RateLimited,
        Self::AddressCap,
        Self::Challenge,
    ];

    fn index(self) -> usize {
        Self::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }

    fn message(self) -> &'static str {
        match self {
            Self::OriginNotAllowed => "refused: the page's origin is not allowed",
            Self::ForeignHit => "not counted: a hit from a page whose origin is not allowed",
            Self::RateLimited => "refused: over the rate limit",
            Self::AddressCap => "refused: the address reached its ballots for the day",
            Self::Challenge => "refused: a ballot without a valid challenge solution",
        }
    }
}

/// How often each kind of refusal is logged at most.
pub const REFUSAL_LOG_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Logs refusals at `info`, without addresses, at most once per kind per
/// [`REFUSAL_LOG_EVERY`], each line saying how many were not logged since
/// the last: a flood of refusals cannot flood the log.
pub struct Refusals {
    origin: std::time::Instant,
    last_ms: [std::sync::atomic::AtomicU64; Refusal::ALL.len()],
    unlogged: [std::sync::atomic::AtomicU64; Refusal::ALL.len()],
}

impl Default for Refusals {
    fn default() -> Self {
        Self {
            origin: std::time::Instant::now(),
            last_ms: Default::default(),
            unlogged: Default::default(),
        }
    }
}

impl Refusals {
    /// Notes one refusal of `kind` on `route` (a route template).
    pub fn note(&self, kind: Refusal, route: &'static str) {
        use std::sync::atomic::Ordering::Relaxed;
        let i = kind.index();
        let now = self.origin.elapsed().as_millis() as u64 + 1;
        let last = self.last_ms[i].load(Relaxed);
        let due = last == 0 || now - last >= REFUSAL_LOG_EVERY.as_millis() as u64;
        if due
            && self.last_ms[i]
                .compare_exchange(last, now, Relaxed, Relaxed)
                .is_ok()
        {
            let unlogged = self.unlogged[i].swap(0, Relaxed);
            tracing::info!(
                route,
                not_logged_since_last = unlogged,
                "{}",
                kind.message()
            );
        } else {
            self.unlogged[i].fetch_add(1, Relaxed);
        }
    }
}
