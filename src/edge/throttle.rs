//! Wrong admin tokens counted per address (IPv6: its /64), to slow guessing
//! without ever locking anyone out: the table only says how long an address
//! should wait before its next *wrong* token. Whether a token is right is
//! decided before the table is asked, so nothing here can refuse it.
//!
//! An address's first [`FREE_FAILURES`] wrong tokens cost nothing; from
//! then on each one makes it wait [`FIRST_WAIT`], doubling with every
//! further wrong token up to [`LONGEST_WAIT`]. A wrong token sent before
//! the wait is over is answered "too soon" (and counted). An address's
//! failures are forgotten [`FAILURE_WINDOW`] after its last one (after the
//! wait that one imposed, if any), and when a correct token comes from it.
//!
//! The table holds at most [`MOST_TRACKED`] addresses. When it is full of
//! recent failures, addresses it does not know share one entry: a swarm of
//! addresses slows only its own wrong tokens (and those of other unknown
//! addresses), while memory stays bounded and correct tokens still pass.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::privacy::network;

/// Wrong tokens an address may send before it has to wait between them.
pub const FREE_FAILURES: u32 = 5;
/// An address's failures are forgotten this long after its last one, or
/// after the end of the wait that one imposed.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The wait after the [`FREE_FAILURES`]th wrong token.
pub const FIRST_WAIT: Duration = Duration::from_secs(30);
/// The longest wait, however many wrong tokens follow.
pub const LONGEST_WAIT: Duration = Duration::from_secs(15 * 60);
/// Most addresses tracked one by one.
pub const MOST_TRACKED: usize = 10_000;
/// At most one line of wrong tokens is logged this often.
pub const LOG_EVERY: Duration = Duration::from_secs(10);
/// A full table is swept of forgotten addresses at most this often, so a
/// flood of new addresses costs a sweep a second, not one per token.
const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// The entry addresses share when the table is full.
const SHARED: [u8; 16] = [0xff; 16];

/// What a wrong token from an address led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failed {
    /// The address's wrong tokens within the window, this one included.
    pub failures: u32,
    /// The address was still waiting: answer "too soon", with `wait`.
    pub too_soon: bool,
    /// How long the address should wait before its next wrong token.
    pub wait: Option<Duration>,
    /// The address has just begun to wait (its [`FREE_FAILURES`]th).
    pub began_waiting: bool,
    /// A log line is due: how many wrong tokens went unlogged before it.
    pub log: Option<u64>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last: Instant,
    wait_until: Option<Instant>,
}

struct Table {
    entries: HashMap<[u8; 16], Entry>,
    swept: Option<Instant>,
    logged: Option<Instant>,
    unlogged: u64,
}

/// Wrong admin tokens per address, for the console and the admin API alike.
pub struct Throttle(Mutex<Table>);

impl Default for Throttle {
    fn default() -> Self {
        Self(Mutex::new(Table {
            entries: HashMap::new(),
            swept: None,
            logged: None,
            unlogged: 0,
        }))
    }
}

impl Throttle {
    /// Notes a wrong token from `ip`.
    pub fn failed(&self, ip: IpAddr) -> Failed {
        self.failed_at(ip, Instant::now())
    }

    /// Forgets `ip`'s failures: a correct token came from it.
    pub fn succeeded(&self, ip: IpAddr) {
        self.0.lock().entries.remove(&network(ip));
    }

    /// [`Self::failed`] at `now`.
    pub fn failed_at(&self, ip: IpAddr, now: Instant) -> Failed {
        let mut table = self.0.lock();
        let key = table.key(network(ip), now);
        let fresh = Entry {
            failures: 0,
            last: now,
            wait_until: None,
        };
        let entry = table.entries.entry(key).or_insert(fresh);
        if forgotten(entry, now) {
            *entry = fresh;
        }
        let too_soon = entry.wait_until.is_some_and(|until| until > now);
        entry.failures = entry.failures.saturating_add(1);
        entry.last = now;
        let wait = wait_after(entry.failures);
        entry.wait_until = wait.map(|w| now + w);
        let failures = entry.failures;
        Failed {
            failures,
            too_soon,
            wait,
            began_waiting: failures == FREE_FAILURES,
            log: table.log_due(now),
        }
    }

    /// Addresses tracked now, the shared entry included.
    pub fn tracked(&self) -> usize {
        self.0.lock().entries.len()
    }
}

impl Table {
    /// The entry `key` counts in: its own, unless the table is full.
    fn key(&mut self, key: [u8; 16], now: Instant) -> [u8; 16] {
        if self.entries.len() < MOST_TRACKED || self.entries.contains_key(&key) {
            return key;
        }
        let due = self
            .swept
            .is_none_or(|at| now.duration_since(at) >= SWEEP_EVERY);
        if due {
            self.swept = Some(now);
            self.entries.retain(|_, e| !forgotten(e, now));
        }
        if self.entries.len() < MOST_TRACKED {
            key
        } else {
            SHARED
        }
    }

    fn log_due(&mut self, now: Instant) -> Option<u64> {
        let due = self
            .logged
            .is_none_or(|at| now.duration_since(at) >= LOG_EVERY);
        if due {
            self.logged = Some(now);
            Some(std::mem::take(&mut self.unlogged))
        } else {
            self.unlogged += 1;
            None
        }
    }
}

/// Quiet for a window since the last failure, or since the wait it imposed.
fn forgotten(entry: &Entry, now: Instant) -> bool {
    now.saturating_duration_since(entry.wait_until.unwrap_or(entry.last)) >= FAILURE_WINDOW
}

/// The wait the `failures`th wrong token imposes.
fn wait_after(failures: u32) -> Option<Duration> {
    let past = failures.checked_sub(FREE_FAILURES)?;
    let doubled = FIRST_WAIT.saturating_mul(1u32 << past.min(16));
    Some(doubled.min(LONGEST_WAIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn v4(n: u32) -> IpAddr {
        IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + n))
    }

    #[test]
    fn five_wrong_tokens_are_free_then_waits_double_up_to_the_bound() {
        let throttle = Throttle::default();
        let at = Instant::now();
        let guesser = ip("203.0.113.7");
        for n in 1..FREE_FAILURES {
            let failed = throttle.failed_at(guesser, at);
            assert_eq!(
                (failed.failures, failed.wait, failed.too_soon),
                (n, None, false)
            );
        }
        let fifth = throttle.failed_at(guesser, at);
        assert!(fifth.began_waiting && !fifth.too_soon);
        assert_eq!(fifth.wait, Some(FIRST_WAIT));
        // Too soon: answered so, counted, and the wait doubles.
        let early = throttle.failed_at(guesser, at + Duration::from_secs(1));
        assert!(early.too_soon && !early.began_waiting);
        assert_eq!(early.wait, Some(2 * FIRST_WAIT));
        // After the wait, a wrong token is a plain failure with a longer wait.
        let mut now = at + Duration::from_secs(1) + 2 * FIRST_WAIT;
        let mut waits = Vec::new();
        for _ in 0..8 {
            let failed = throttle.failed_at(guesser, now);
            assert!(!failed.too_soon);
            let wait = failed.wait.unwrap();
            waits.push(wait.as_secs());
            now += wait;
        }
        assert_eq!(waits, [120, 240, 480, 900, 900, 900, 900, 900]);
        // Another address is untouched.
        assert_eq!(throttle.failed_at(ip("203.0.113.8"), now).wait, None);
    }

    #[test]
    fn failures_are_forgotten_after_the_window_or_a_correct_token() {
        let throttle = Throttle::default();
        let at = Instant::now();
        let office = ip("203.0.113.7");
        for _ in 0..FREE_FAILURES {
            throttle.failed_at(office, at);
        }
        let almost = at + FIRST_WAIT + FAILURE_WINDOW - Duration::from_secs(1);
        assert_eq!(
            throttle.failed_at(office, almost).failures,
            FREE_FAILURES + 1
        );
        let quiet = almost + 2 * FIRST_WAIT + FAILURE_WINDOW;
        let later = throttle.failed_at(office, quiet);
        assert_eq!(
            (later.failures, later.wait, later.too_soon),
            (1, None, false)
        );
        for _ in 1..FREE_FAILURES {
            throttle.failed_at(office, quiet);
        }
        throttle.succeeded(office);
        assert_eq!(throttle.failed_at(office, quiet).failures, 1);
    }

    #[test]
    fn an_ipv6_slash_64_is_one_address() {
        let throttle = Throttle::default();
        let at = Instant::now();
        for host in 1..=FREE_FAILURES {
            throttle.failed_at(ip(&format!("2001:db8:1:2::{host}")), at);
        }
        assert!(throttle.failed_at(ip("2001:db8:1:2::99"), at).too_soon);
        assert_eq!(throttle.failed_at(ip("2001:db8:1:3::1"), at).failures, 1);
    }

    #[test]
    fn a_full_table_shares_one_entry_stays_bounded_and_recovers() {
        let throttle = Throttle::default();
        let at = Instant::now();
        for n in 0..MOST_TRACKED as u32 {
            assert_eq!(throttle.failed_at(v4(n), at).failures, 1);
        }
        assert_eq!(throttle.tracked(), MOST_TRACKED);
        // Known addresses keep their own count; unknown ones share one.
        assert_eq!(throttle.failed_at(v4(7), at).failures, 2);
        for n in 0..10_000u32 {
            throttle.failed_at(v4(1_000_000 + n), at + Duration::from_secs(2));
        }
        assert_eq!(throttle.tracked(), MOST_TRACKED + 1);
        assert_eq!(
            throttle.failed_at(v4(2_000_000), at).failures,
            10_001,
            "unknown addresses share one count"
        );
        // Once the failures are old, the table is swept and addresses
        // count one by one again.
        let later = at + FAILURE_WINDOW + Duration::from_secs(3);
        assert_eq!(throttle.failed_at(v4(3_000_000), later).failures, 1);
        assert_eq!(throttle.failed_at(v4(3_000_001), later).failures, 1);
        // Left: those two, and the shared entry until its wait is old too.
        assert_eq!(throttle.tracked(), 3);
    }

    #[test]
    fn at_most_one_line_is_due_per_interval_with_the_count_not_logged() {
        let throttle = Throttle::default();
        let at = Instant::now();
        assert_eq!(throttle.failed_at(v4(1), at).log, Some(0));
        for n in 0..1000 {
            assert_eq!(throttle.failed_at(v4(n), at + LOG_EVERY / 2).log, None);
        }
        assert_eq!(throttle.failed_at(v4(1), at + LOG_EVERY).log, Some(1000));
    }
}
