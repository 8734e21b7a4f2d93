//! Simulated traffic for the difficulty controller: a seeded random source
//! and minute-by-minute ballots from honest voters, a school and a flooding
//! network, ticking the controller after each minute.

use jiff::Timestamp;

use crate::challenge::{Controller, Level, NetworkKey, Observation, Step, Tuning};
use crate::ids::PollId;

/// A small deterministic random source (xorshift64*), so runs repeat.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// A Poisson draw with mean `mean` (Knuth's method; means here are small).
    pub(super) fn poisson(&mut self, mean: f64) -> u32 {
        let limit = (-mean).exp();
        let (mut k, mut product) = (0, 1.0);
        loop {
            product *= (self.next() >> 11) as f64 / (1u64 << 53) as f64;
            if product <= limit {
                return k;
            }
            k += 1;
        }
    }
}

/// Minute-by-minute traffic to one poll, ticking after each minute.
pub(super) struct Sim {
    pub(super) controller: Controller,
    pub(super) poll: PollId,
    pub(super) rng: Rng,
    pub(super) minute: i64,
    pub(super) steps: Vec<Step>,
}

/// Who votes in one minute: on average `per_minute` ballots, `fresh` of them
/// from new visitors, `one_network` of them from a single /24 and the rest
/// from a few thousand networks (5 % of them from a school's).
#[derive(Clone, Copy)]
pub(super) struct Traffic {
    pub(super) per_minute: f64,
    pub(super) fresh: f64,
    pub(super) one_network: f64,
    /// Of the single network's ballots, the share from fresh identities
    /// (the others follow `fresh`).
    pub(super) network_fresh: Option<f64>,
}

pub(super) const HONEST: Traffic = Traffic {
    per_minute: 10.0,
    fresh: 0.4,
    one_network: 0.0,
    network_fresh: None,
};

/// The network a flood comes from, and one that only votes honestly.
pub(super) const FLOODING: NetworkKey = NetworkKey::V4([203, 0, 113]);
pub(super) const SCHOOL: NetworkKey = NetworkKey::V4([10, 20, 30]);

impl Sim {
    pub(super) fn new(seed: u64) -> Self {
        Self {
            controller: Controller::new(Tuning::default()),
            poll: PollId::parse("danh-gia-cong").unwrap(),
            rng: Rng(seed | 1),
            minute: 0,
            steps: Vec::new(),
        }
    }

    pub(super) fn at(&self, second: i64) -> Timestamp {
        Timestamp::from_second(1_764_640_800 + self.minute * 60 + second).unwrap()
    }

    pub(super) fn minutes(&mut self, count: u32, traffic: Traffic) -> &[Step] {
        let first = self.steps.len();
        for _ in 0..count {
            let ballots = self.rng.poisson(traffic.per_minute);
            for i in 0..ballots {
                let flooding = self.rng.chance(traffic.one_network);
                let network = if flooding {
                    FLOODING
                } else if self.rng.chance(0.05) {
                    SCHOOL
                } else {
                    let n = self.rng.next() % 3000;
                    NetworkKey::V4([100, (n / 256) as u8, (n % 256) as u8])
                };
                let fresh = match traffic.network_fresh {
                    Some(share) if flooding => share,
                    _ => traffic.fresh,
                };
                let observation = Observation {
                    fresh_identity: self.rng.chance(fresh),
                    network,
                    at: self.at(i64::from(i) * 60 / i64::from(ballots)),
                };
                self.controller.observe(&self.poll, observation);
            }
            self.minute += 1;
            let steps = self.controller.tick(self.at(0));
            self.steps.extend(steps);
        }
        &self.steps[first..]
    }

    pub(super) fn level(&self) -> Level {
        self.controller.level(&self.poll)
    }
}
