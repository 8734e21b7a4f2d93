//! A poll's normal traffic, learned from its own windows, and the rules that
//! say when a window departs from it (see [`super::difficulty`] for the
//! rules in words).

use super::difficulty::{Reason, Tuning};

#[derive(Debug)]
pub(crate) struct Normal {
    /// Minutes of history behind `rate`.
    minutes: f64,
    /// Ballots a minute.
    rate: f64,
    /// Shares of the ballots: from fresh identities, from the busiest
    /// network; and the busiest network's share of the fresh identities.
    fresh: f64,
    network: f64,
    fresh_network: f64,
    /// Windows the shares were learned from.
    share_windows: u32,
}

/// What one window showed.
pub(crate) struct Reading {
    pub ballots: f64,
    pub rate: f64,
    pub fresh: f64,
    pub network: f64,
    /// Ballots from fresh identities, and the busiest network's share of
    /// them.
    pub fresh_ballots: f64,
    pub fresh_network: f64,
}

impl Normal {
    /// No history yet: the shares' priors, no rate.
    pub(crate) fn new(tuning: &Tuning) -> Self {
        Self {
            minutes: 0.0,
            rate: 0.0,
            fresh: tuning.fresh_prior,
            network: tuning.network_prior,
            fresh_network: tuning.network_prior,
            share_windows: 0,
        }
    }

    fn rate_armed(&self, tuning: &Tuning) -> bool {
        self.minutes >= tuning.warmup_minutes
    }

    fn rate_threshold(&self, tuning: &Tuning) -> f64 {
        tuning.rate_factor * self.rate.max(tuning.rate_floor)
    }

    /// Whether `share` of `n` ballots departs clearly from `normal`: by at
    /// least `min_departure`, and so far that honest traffic with the normal
    /// share would show it less than once in e^`surprise` windows. Chernoff:
    /// P(share or more) ≤ exp(−n·KL(share ‖ normal)), whatever `n`; unlike
    /// standard errors, it holds in the small windows where alarms are cheap.
    fn departs(share: f64, normal: f64, n: f64, tuning: &Tuning) -> bool {
        if share < normal + tuning.min_departure {
            return false;
        }
        let (q, p) = (share.clamp(1e-9, 1.0 - 1e-9), normal.clamp(0.02, 0.98));
        let divergence = q * (q / p).ln() + (1.0 - q) * ((1.0 - q) / (1.0 - p)).ln();
        n * divergence >= tuning.surprise
    }

    pub(crate) fn alarm(&self, r: &Reading, tuning: &Tuning) -> Option<Reason> {
        let shares = r.ballots >= f64::from(tuning.min_share_ballots);
        if self.rate_armed(tuning)
            && r.ballots >= f64::from(tuning.min_ballots)
            && r.rate >= self.rate_threshold(tuning)
        {
            Some(Reason::Rate)
        } else if shares && Self::departs(r.fresh, self.fresh, r.ballots, tuning) {
            Some(Reason::FreshIdentities)
        } else if r.fresh_ballots >= f64::from(tuning.min_share_ballots)
            && Self::departs(r.fresh_network, self.fresh_network, r.fresh_ballots, tuning)
        {
            // New identities coming from one network more than they do.
            Some(Reason::FreshIdentities)
        } else if shares && Self::departs(r.network, self.network, r.ballots, tuning) {
            Some(Reason::OneNetwork)
        } else {
            None
        }
    }

    pub(crate) fn learn(&mut self, r: &Reading, minutes: f64, alarmed: bool, tuning: &Tuning) {
        let slow = if alarmed { 0.25 } else { 1.0 };
        // The mean of the windows so far, until the average's own memory
        // is the longer one; during the warm-up, every window as it was.
        let armed = self.rate_armed(tuning);
        let mean = minutes / (self.minutes + minutes);
        let ewma = 1.0 - (-minutes / tuning.baseline_minutes).exp();
        let alpha = if armed { slow } else { 1.0 } * mean.max(ewma);
        let rate = if armed {
            r.rate.min(self.rate_threshold(tuning))
        } else {
            r.rate
        };
        self.rate += alpha * (rate - self.rate);
        self.minutes = (self.minutes + minutes).min(1e9);
        if r.ballots < f64::from(tuning.min_share_ballots) {
            return;
        }
        // The priors weigh as 4 windows; then a memory of about 30 windows.
        self.share_windows = self.share_windows.saturating_add(1);
        let weight = f64::from(self.share_windows.saturating_add(4)).min(30.0);
        let alpha = slow / weight;
        let fresh = r.fresh.min(self.fresh + tuning.min_departure);
        let network = r.network.min(self.network + tuning.min_departure);
        self.fresh += alpha * (fresh - self.fresh);
        self.network += alpha * (network - self.network);
        if r.fresh_ballots >= f64::from(tuning.min_share_ballots) {
            let fresh_network = r
                .fresh_network
                .min(self.fresh_network + tuning.min_departure);
            self.fresh_network += alpha * (fresh_network - self.fresh_network);
        }
    }
}
