//! Difficulty that follows the threat: a per-poll controller that compares
//! each poll's last window of ballots with its own recent normal, raises the
//! challenge level while they differ — for the network a flood comes from
//! when one does, for everyone when it comes from everywhere — and lowers
//! it when things calm down.
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
//! - **Fresh identities from one network**: at least 30 ballots from fresh
//!   identities, and the busiest network's share of them exceeds its normal
//!   by the same margin (a flood of made-up ids from one place, too small a
//!   part of the poll to move its own shares).
//!
//! Where the alarm is raised: **on the network** that explains it — the
//! busiest network for *one network*; the network with the most fresh
//! identities when it holds at least a quarter of them, for *fresh
//! identities*; the busiest network when it holds at least half the window,
//! for *rate* — so everyone else keeps the calm level; **on the whole poll**
//! when no network explains it (a flood from everywhere). Each alarm raises
//! one step per tick, up to [`Level::MAX`]; 5 calm ticks in a row lower a
//! poll or a network one step, never below [`Level::MIN`] (a network: never
//! below its poll, where it is forgotten). A ballot is asked the higher of
//! its poll's level and its network's ([`Controller::level_for`]).
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
//! their priors); a poll whose honest voters are mostly (three in four or
//! more) new visitors may climb a level in its first half hour, until its
//! normal share is learned; and a window of fewer than 30 ballots is judged
//! by its rate alone.
//!
//! Memory is bounded: `max_networks` counters per poll window and
//! `max_raised` raised networks per poll (past it, the poll is raised
//! instead); polls are the ones that exist and take ballots, each forgotten
//! when it closes or is deleted. Past `max_polls`, only polls at the calm
//! level with no raised network make room: a raised poll is never reset.

use std::collections::HashMap;

use jiff::Timestamp;

use super::level::Level;
use super::network::NetworkKey;
use super::watch::PollState;
use crate::ids::PollId;

/// The controller's thresholds; the defaults are the ones documented above.
#[derive(Debug, Clone, PartialEq)]
pub struct Tuning {
    pub max_polls: usize,
    pub max_networks: usize,
    /// Most networks of one poll with a level of their own.
    pub max_raised: usize,
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
            max_polls: 10_000,
            max_networks: 64,
            max_raised: 256,
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

/// A level change of one poll, or of one network's ballots in it, at one
/// tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub poll: PollId,
    /// The network whose level changed; `None`: the whole poll's.
    pub network: Option<NetworkKey>,
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
            state.observe(observation);
        }
    }

    /// Closes every poll's window at `now`: the level changes, sorted by poll.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Step> {
        let mut steps: Vec<Step> = Vec::new();
        for (poll, state) in &mut self.polls {
            for (network, from, to, reason) in state.tick(now, &self.tuning) {
                steps.push(Step {
                    poll: poll.clone(),
                    network,
                    from,
                    to,
                    reason,
                });
            }
        }
        steps.sort_by(|a, b| (&a.poll, a.network).cmp(&(&b.poll, b.network)));
        self.last_tick = Some(now);
        steps
    }

    /// The level `auto` asks of `poll` now, of every network without a
    /// level of its own ([`Level::MIN`] for a poll it does not know).
    pub fn level(&self, poll: &PollId) -> Level {
        self.polls.get(poll).map_or(Level::MIN, |s| s.level)
    }

    /// The level `auto` asks of a ballot in `poll` from `network`: the
    /// higher of the poll's and the network's.
    pub fn level_for(&self, poll: &PollId, network: NetworkKey) -> Level {
        self.polls.get(poll).map_or(Level::MIN, |s| {
            s.raised
                .get(&network)
                .map_or(s.level, |(level, _)| (*level).max(s.level))
        })
    }

    /// Every level above the calm one this controller asks: each poll's
    /// (network `None`) and each raised network's, for the store to share
    /// with the other replicas.
    pub fn raised(&self) -> Vec<(PollId, Option<NetworkKey>, Level)> {
        let mut raised = Vec::new();
        for (poll, state) in &self.polls {
            if state.level > Level::MIN {
                raised.push((poll.clone(), None, state.level));
            }
            for (network, (level, _)) in &state.raised {
                raised.push((poll.clone(), Some(*network), *level));
            }
        }
        raised
    }

    /// Drops what is known of `poll` (deleted or closed).
    pub fn forget(&mut self, poll: &PollId) {
        self.polls.remove(poll);
    }

    /// Every tracked poll and its level, for a gauge.
    pub fn levels(&self) -> impl Iterator<Item = (&PollId, Level)> {
        self.polls.iter().map(|(poll, state)| (poll, state.level))
    }

    /// How many polls and network counters are held: network counters
    /// never more than `max_networks` (twice, with the fresh ones) and
    /// raised networks never more than `max_raised`, per poll.
    pub fn footprint(&self) -> (usize, usize) {
        let networks = self
            .polls
            .values()
            .map(|s| s.window.networks.len() + s.window.fresh_networks.len() + s.raised.len())
            .sum();
        (self.polls.len(), networks)
    }

    /// Past `max_polls`, forgets the least recently voted poll that is
    /// calm (at [`Level::MIN`], no raised network): a raised poll stays.
    fn make_room(&mut self) {
        while self.polls.len() >= self.tuning.max_polls.max(1) {
            let oldest = self
                .polls
                .iter()
                .filter(|(_, state)| state.level == Level::MIN && state.raised.is_empty())
                .min_by_key(|(_, state)| state.last_seen)
                .map(|(poll, _)| poll.clone());
            match oldest {
                Some(poll) => self.polls.remove(&poll),
                None => return,
            };
        }
    }
}
