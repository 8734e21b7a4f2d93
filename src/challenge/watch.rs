//! One poll as the difficulty controller watches it: the current window of
//! ballots, the normal learned from past windows, the poll's level and its
//! raised networks, and the tick that turns a window into level changes
//! (the rules are in [`super::difficulty`]).

use std::collections::HashMap;

use jiff::Timestamp;

use super::difficulty::{Observation, Reason, Tuning};
use super::level::Level;
use super::network::{NetworkKey, TopNetworks};
use super::normal::{Normal, Reading};

#[derive(Debug)]
pub(super) struct PollState {
    pub(super) level: Level,
    pub(super) last_seen: Timestamp,
    pub(super) calm: u32,
    pub(super) window: Window,
    pub(super) normal: Normal,
    /// Networks asked more than the poll, and their calm ticks.
    pub(super) raised: HashMap<NetworkKey, (Level, u32)>,
}

#[derive(Debug)]
pub(super) struct Window {
    pub(super) start: Timestamp,
    pub(super) ballots: u32,
    pub(super) fresh: u32,
    pub(super) networks: TopNetworks,
    /// The same, for ballots from fresh identities only.
    pub(super) fresh_networks: TopNetworks,
}

impl PollState {
    /// Counts one ballot in the window.
    pub(super) fn observe(&mut self, observation: Observation) {
        self.last_seen = self.last_seen.max(observation.at);
        let window = &mut self.window;
        window.ballots = window.ballots.saturating_add(1);
        window.fresh = window
            .fresh
            .saturating_add(u32::from(observation.fresh_identity));
        window.networks.add(observation.network);
        if observation.fresh_identity {
            window.fresh_networks.add(observation.network);
        }
    }

    pub(super) fn new(start: Timestamp, tuning: &Tuning) -> Self {
        Self {
            level: Level::MIN,
            last_seen: start,
            calm: 0,
            window: Window {
                start,
                ballots: 0,
                fresh: 0,
                networks: TopNetworks::new(tuning.max_networks),
                fresh_networks: TopNetworks::new(tuning.max_networks),
            },
            normal: Normal::new(tuning),
            raised: HashMap::new(),
        }
    }

    /// Closes the window: the level changes, the poll's (network `None`)
    /// and its networks'.
    pub(super) fn tick(
        &mut self,
        now: Timestamp,
        tuning: &Tuning,
    ) -> Vec<(Option<NetworkKey>, Level, Level, Reason)> {
        // A window shorter than 10 s (a first tick, a clock step) is read as
        // 10 s long; a longer one than an hour as an hour.
        let seconds = now.duration_since(self.window.start).as_secs_f64();
        let minutes = seconds.clamp(10.0, 3600.0) / 60.0;
        let ballots = f64::from(self.window.ballots);
        let fresh = f64::from(self.window.fresh);
        let reading = Reading {
            ballots,
            rate: ballots / minutes,
            fresh: fresh / ballots.max(1.0),
            network: f64::from(self.window.networks.top()) / ballots.max(1.0),
            fresh_ballots: fresh,
            fresh_network: f64::from(self.window.fresh_networks.top()) / fresh.max(1.0),
        };
        let alarm = self.normal.alarm(&reading, tuning);
        self.normal
            .learn(&reading, minutes, alarm.is_some(), tuning);
        let target = alarm.map(|reason| (reason, self.culprit(reason)));
        self.window.start = now;
        self.window.ballots = 0;
        self.window.fresh = 0;
        self.window.networks.clear();
        self.window.fresh_networks.clear();

        let mut steps = Vec::new();
        let raised_network = match target {
            Some((reason, Some(network)))
                if self.raised.len() < tuning.max_raised || self.raised.contains_key(&network) =>
            {
                let (level, calm) = self.raised.entry(network).or_insert((self.level, 0));
                let from = *level;
                *level = from.max(self.level).raised();
                *calm = 0;
                if *level != from {
                    steps.push((Some(network), from, *level, reason));
                }
                Some(network)
            }
            _ => None,
        };
        // The poll: raised by an alarm no network explains, calmer without.
        let from = self.level;
        match target {
            Some((reason, _)) if raised_network.is_none() => {
                self.calm = 0;
                self.level = from.raised();
                if self.level != from {
                    steps.push((None, from, self.level, reason));
                }
            }
            _ => {
                self.calm += 1;
                if self.calm >= tuning.calm_ticks && from > Level::MIN {
                    self.calm = 0;
                    self.level = from.lowered(Level::MIN);
                    steps.push((None, from, self.level, Reason::Calm));
                }
            }
        }
        // Every other raised network: calmer, then forgotten at its poll's.
        let poll = self.level;
        self.raised.retain(|network, (level, calm)| {
            if Some(*network) == raised_network {
                return true;
            }
            *calm += 1;
            if *calm >= tuning.calm_ticks {
                *calm = 0;
                let from = *level;
                *level = from.lowered(Level::MIN);
                steps.push((Some(*network), from, *level, Reason::Calm));
            }
            *level > poll
        });
        steps
    }

    /// The network that explains an alarm, if one does.
    fn culprit(&self, reason: Reason) -> Option<NetworkKey> {
        let window = &self.window;
        let (busiest, count) = window.networks.busiest()?;
        match reason {
            Reason::OneNetwork => Some(busiest),
            Reason::Rate => (2 * count >= window.ballots).then_some(busiest),
            Reason::FreshIdentities => {
                let (network, fresh) = window.fresh_networks.busiest()?;
                (4 * fresh >= window.fresh).then_some(network)
            }
            Reason::Calm => None,
        }
    }
}
