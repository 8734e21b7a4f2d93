//! Difficulty that follows the threat: a per-poll controller that compares
//! each poll's last window of ballots with its own recent normal, raises the
//! challenge level while they differ and lowers it when things calm down.
//!
//! Pure and clock-injected: [`Controller::observe`] takes one observation
//! per counted ballot, [`Controller::tick`] closes the window (call it once a
//! minute) and returns the level changes, for the log and metrics.
//!
//! At each tick, for each poll, with `n` ballots in the window:
//!
//! - **Rate**: `n >= 20` and the window's ballots per minute are at least 4×
//!   the normal rate, taken as at least 6 a minute (so a quiet poll does not
//!   panic at a handful of ballots). Armed once the poll has 10 minutes of
//!   history in this process.
//! - **Fresh identities**: `n >= 30` and the share of ballots from visitors
//!   never seen before exceeds its normal by at least 0.25, and by so much
//!   that honest traffic would show it less than once in 65 million windows
//!   (Chernoff's bound: `n·KL(share ‖ normal) >= 18`).
//! - **One network**: `n >= 30` and the share of the busiest /24 (IPv4) or
//!   /48 (IPv6) exceeds its normal by the same margin.
//!
//! Any of them raises the level one step per tick, up to [`Level::MAX`];
//! 5 calm ticks in a row lower it one step, never below [`Level::MIN`].
//!
//! The normal is learned from the windows themselves: the rate as the mean
//! of the windows seen during the first hour, then as an exponentially
//! weighted average over about an hour; the two shares over the last ~30
//! windows that had `n >= 30`, starting from priors of 0.6 fresh and 0.1 for
//! the busiest network that weigh as 4 windows. A window that raised an alarm
//! teaches it four times slower and no more than up to the rate's threshold
//! (or the normal share plus 0.25), so a flood does not become the new
//! normal within its first hours, while a lasting honest change (a poll put
//! on the home page) is accepted in a few.
//!
//! What it cannot see: a flood already running when the process starts is
//! the rate rule's first normal (the share rules still judge it against
//! their priors, and stuffing needs a fresh identity per ballot); a poll
//! whose honest voters are mostly (three in four or more) new visitors may
//! climb a level in its first half hour, until its normal share is learned; and a
//! window of fewer than 30 ballots is judged by its rate alone.
//!
//! Memory is bounded: at most `max_polls` polls (the least recently voted
//! one is forgotten first) and `max_networks` counters per poll window.

use std::collections::HashMap;

use jiff::Timestamp;

use super::level::Level;
use super::network::{NetworkKey, TopNetworks};
use super::normal::{Normal, Reading};
use crate::ids::PollId;

/// The controller's thresholds; the defaults are the ones documented above.
#[derive(Debug, Clone, PartialEq)]
pub struct Tuning {
    pub max_polls: usize,
    pub max_networks: usize,
    /// Time constant of the normal rate, in minutes.
    pub baseline_minutes: f64,
    /// History needed, in minutes, before the rate rule judges a poll.
    pub warmup_minutes: f64,
    /// The normal rate is taken as at least this many ballots a minute.
    pub rate_floor: f64,
    /// A window this many times the normal rate raises the level.
    pub rate_factor: f64,
    /// Fewest ballots in a window for the rate rule.
    pub min_ballots: u32,
    /// Fewest ballots in a window for the share rules (and to learn shares).
    pub min_share_ballots: u32,
    /// Smallest departure of a share from its normal that counts.
    pub min_departure: f64,
    /// How improbable the window's share must be under the normal: at least
    /// this many nats of surprise (`n·KL(share ‖ normal)`; 18 is a chance
    /// below e⁻¹⁸, one in 65 million, by Chernoff's bound).
    pub surprise: f64,
    pub fresh_prior: f64,
    pub network_prior: f64,
    /// Calm ticks in a row before the level falls one step.
    pub calm_ticks: u32,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            max_polls: 64,
            max_networks: 64,
            baseline_minutes: 60.0,
            warmup_minutes: 10.0,
            rate_floor: 6.0,
            rate_factor: 4.0,
            min_ballots: 20,
            min_share_ballots: 30,
            min_departure: 0.25,
            surprise: 18.0,
            fresh_prior: 0.6,
            network_prior: 0.1,
            calm_ticks: 5,
        }
    }
}

/// One counted ballot, as the controller sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// The ballot's visitor had never been seen before it.
    pub fresh_identity: bool,
    /// The client's network.
    pub network: NetworkKey,
    pub at: Timestamp,
}

/// Why a level changed; `as_str` is the metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    Rate,
    FreshIdentities,
    OneNetwork,
    Calm,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Rate => "rate",
            Reason::FreshIdentities => "fresh_identities",
            Reason::OneNetwork => "one_network",
            Reason::Calm => "calm",
        }
    }
}

/// A level change of one poll at one tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub poll: PollId,
    pub from: Level,
    pub to: Level,
    pub reason: Reason,
}

/// The per-poll levels of `auto` mode. Not thread-safe by itself: keep it
/// behind a mutex (each call is short and allocates only for a new poll).
#[derive(Debug)]
pub struct Controller {
    tuning: Tuning,
    polls: HashMap<PollId, PollState>,
    last_tick: Option<Timestamp>,
}

#[derive(Debug)]
struct PollState {
    level: Level,
    last_seen: Timestamp,
    calm: u32,
    window: Window,
    normal: Normal,
}

#[derive(Debug)]
struct Window {
    start: Timestamp,
    ballots: u32,
    fresh: u32,
    networks: TopNetworks,
}

impl Controller {
    pub fn new(tuning: Tuning) -> Self {
        Self {
            tuning,
            polls: HashMap::new(),
            last_tick: None,
        }
    }

    /// Counts one ballot for `poll`.
    pub fn observe(&mut self, poll: &PollId, observation: Observation) {
        if !self.polls.contains_key(poll) {
            self.make_room();
            let start = self.last_tick.unwrap_or(observation.at);
            let state = PollState::new(start, &self.tuning);
            self.polls.insert(poll.clone(), state);
        }
        if let Some(state) = self.polls.get_mut(poll) {
            state.last_seen = state.last_seen.max(observation.at);
            let window = &mut state.window;
            window.ballots = window.ballots.saturating_add(1);
            window.fresh = window
                .fresh
                .saturating_add(u32::from(observation.fresh_identity));
            window.networks.add(observation.network);
        }
    }

    /// Closes every poll's window at `now`: the level changes, sorted by poll.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Step> {
        let mut steps: Vec<Step> = self
            .polls
            .iter_mut()
            .filter_map(|(poll, state)| {
                let (from, to, reason) = state.tick(now, &self.tuning)?;
                Some(Step {
                    poll: poll.clone(),
                    from,
                    to,
                    reason,
                })
            })
            .collect();
        steps.sort_by(|a, b| a.poll.cmp(&b.poll));
        self.last_tick = Some(now);
        steps
    }

    /// The level `auto` asks of `poll` now ([`Level::MIN`] for a poll it
    /// does not know).
    pub fn level(&self, poll: &PollId) -> Level {
        self.polls.get(poll).map_or(Level::MIN, |s| s.level)
    }

    /// Drops what is known of `poll` (deleted or closed).
    pub fn forget(&mut self, poll: &PollId) {
        self.polls.remove(poll);
    }

    /// Every tracked poll and its level, for a gauge.
    pub fn levels(&self) -> impl Iterator<Item = (&PollId, Level)> {
        self.polls.iter().map(|(poll, state)| (poll, state.level))
    }

    /// How many polls and network counters are held: never more than
    /// `max_polls` and `max_polls × max_networks`.
    pub fn footprint(&self) -> (usize, usize) {
        let networks = self.polls.values().map(|s| s.window.networks.len()).sum();
        (self.polls.len(), networks)
    }

    fn make_room(&mut self) {
        while self.polls.len() >= self.tuning.max_polls.max(1) {
            let oldest = self
                .polls
                .iter()
                .min_by_key(|(_, state)| state.last_seen)
                .map(|(poll, _)| poll.clone());
            match oldest {
                Some(poll) => self.polls.remove(&poll),
                None => return,
            };
        }
    }
}

impl PollState {
    fn new(start: Timestamp, tuning: &Tuning) -> Self {
        Self {
            level: Level::MIN,
            last_seen: start,
            calm: 0,
            window: Window {
                start,
                ballots: 0,
                fresh: 0,
                networks: TopNetworks::new(tuning.max_networks),
            },
            normal: Normal::new(tuning),
        }
    }

    fn tick(&mut self, now: Timestamp, tuning: &Tuning) -> Option<(Level, Level, Reason)> {
        // A window shorter than 10 s (a first tick, a clock step) is read as
        // 10 s long; a longer one than an hour as an hour.
        let seconds = now.duration_since(self.window.start).as_secs_f64();
        let minutes = seconds.clamp(10.0, 3600.0) / 60.0;
        let ballots = f64::from(self.window.ballots);
        let reading = Reading {
            ballots,
            rate: ballots / minutes,
            fresh: f64::from(self.window.fresh) / ballots.max(1.0),
            network: f64::from(self.window.networks.top()) / ballots.max(1.0),
        };
        let alarm = self.normal.alarm(&reading, tuning);
        self.normal
            .learn(&reading, minutes, alarm.is_some(), tuning);
        self.window.start = now;
        self.window.ballots = 0;
        self.window.fresh = 0;
        self.window.networks.clear();

        let from = self.level;
        if let Some(reason) = alarm {
            self.calm = 0;
            self.level = from.raised();
            return (self.level != from).then_some((from, self.level, reason));
        }
        self.calm += 1;
        if self.calm >= tuning.calm_ticks && from > Level::MIN {
            self.calm = 0;
            self.level = from.lowered(Level::MIN);
            return Some((from, self.level, Reason::Calm));
        }
        None
    }
}
