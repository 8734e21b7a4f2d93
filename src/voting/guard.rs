//! The ballot box's guard: challenges issued and checked, and the level of
//! each `auto` poll, which follows its traffic.
//!
//! The signing key is `TALLY_CHALLENGE_KEY` when set, else one the store
//! keeps for every replica (made by the first that asks), so a challenge
//! issued by one replica is accepted by another. Levels are this replica's:
//! each sees its share of a poll's ballots, and the shares look alike
//! behind a load balancer. Every replica shares the levels it raised
//! through the store ([`Store::share_levels`], at most every
//! [`SHARE_EVERY`], each kept for [`SHARED_FOR`]) and asks the highest
//! level any replica asks: a flood seen by one binds all within seconds.
//!
//! A level is asked of a ballot where it comes from: the poll's level, or
//! its network's when the controller raised that network. The level is
//! checked again when the ballot arrives, against the network it arrives
//! from: a solution below it is refused (`challenge_too_easy`), so a level
//! raised after a challenge was issued, or a challenge fetched from a calm
//! network, buys nothing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use parking_lot::Mutex;

use jiff::Timestamp;
use tokio::sync::OnceCell;

use crate::challenge::{
    Challenge, ChallengeError, ChallengeMode, Challenges, Controller, Level, NetworkKey,
    Observation, Solution, Spend, Tuning,
};
use crate::ids::{PollId, SiteId, random};
use crate::metrics::Metrics;
use crate::poll::Poll;
use crate::store::{Store, StoreError};

/// The name the store keeps the shared signing key under.
const KEY_NAME: &str = "challenge";

pub struct Guard {
    /// `TALLY_CHALLENGE_KEY`, when set.
    configured: Option<[u8; 32]>,
    /// The level of `on` polls.
    on: Level,
    challenges: OnceCell<Challenges>,
    controller: Mutex<Controller>,
    /// When the controller last looked at the polls' traffic.
    last_tick: Mutex<Option<Timestamp>>,
    /// The levels every replica raised, by [`level_name`], as last read
    /// from the store, and when they were read.
    shared: Mutex<(Option<Timestamp>, HashMap<String, Level>)>,
    metrics: Arc<Metrics>,
}

/// How often a replica offers its raised levels and reads the others'.
pub const SHARE_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_secs(10);
/// How long a shared level holds unless offered again: a replica that
/// stops offering it (calm again, or gone) lets it lapse within this.
pub const SHARED_FOR: jiff::SignedDuration = jiff::SignedDuration::from_secs(90);

/// The name a level is shared under: the poll's id, or `<poll>/<network>`.
fn level_name(poll: &PollId, network: Option<NetworkKey>) -> String {
    match network {
        Some(network) => format!("{poll}/{}", network.name()),
        None => poll.to_string(),
    }
}

/// How often the levels are set: once a minute of the domain's clock,
/// looked at when a ballot is counted or a challenge issued.
const TICK: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

impl Guard {
    pub fn new(configured: Option<[u8; 32]>, on: Level, metrics: Arc<Metrics>) -> Self {
        Self {
            configured,
            on,
            challenges: OnceCell::new(),
            controller: Mutex::new(Controller::new(Tuning::default())),
            last_tick: Mutex::new(None),
            shared: Mutex::new((None, HashMap::new())),
            metrics,
        }
    }

    fn controller(&self) -> parking_lot::MutexGuard<'_, Controller> {
        self.controller.lock()
    }

    /// The challenges, once their key is known.
    async fn challenges(
        &self,
        store: &dyn Store,
        site: &SiteId,
    ) -> Result<&Challenges, StoreError> {
        self.challenges
            .get_or_try_init(|| async {
                let key = match self.configured {
                    Some(key) => key,
                    None => store.secret(site, KEY_NAME, random()).await?,
                };
                Ok(Challenges::new(key))
            })
            .await
    }

    /// The level asked now of a ballot in `poll` from `network`: `off`
    /// polls the easiest (nothing checks it), `on` polls the configured
    /// level, `auto` polls the highest of this controller's level for the
    /// poll and the network and any replica's.
    fn level(&self, poll: &Poll, network: NetworkKey) -> Level {
        let auto = match poll.challenge {
            ChallengeMode::Auto => self.auto_level(&poll.id, Some(network)),
            _ => Level::MIN,
        };
        poll.challenge.level(self.on, auto).max(Level::MIN)
    }

    /// The `auto` level of `poll` for `network` (`None`: for every network
    /// without a level of its own), this replica's or another's.
    fn auto_level(&self, poll: &PollId, network: Option<NetworkKey>) -> Level {
        let own = match network {
            Some(network) => self.controller().level_for(poll, network),
            None => self.controller().level(poll),
        };
        let shared = self.shared.lock();
        let of = |network| {
            shared
                .1
                .get(&level_name(poll, network))
                .copied()
                .unwrap_or(Level::MIN)
        };
        let poll_level = own.max(of(None));
        match network {
            Some(_) => poll_level.max(of(network)),
            None => poll_level,
        }
    }

    /// Whether form ballots (which solve nothing) are paused in `poll` for
    /// `client`: the poll asks for a challenge and its level, or the
    /// client's network's, is raised above the calm one.
    pub async fn form_paused(
        &self,
        store: &dyn Store,
        site: &SiteId,
        poll: &Poll,
        client: IpAddr,
        now: Timestamp,
    ) -> bool {
        self.share_if_due(store, site, poll, now).await;
        poll.challenge == ChallengeMode::Auto
            && self.level(poll, NetworkKey::from(client)) > Level::MIN
    }

    /// A challenge for a ballot in `poll` from `client`, at the level asked
    /// of it now.
    pub async fn issue(
        &self,
        store: &dyn Store,
        site: &SiteId,
        poll: &Poll,
        client: IpAddr,
        now: Timestamp,
    ) -> Result<Challenge, StoreError> {
        self.tick_if_due(now);
        self.share_if_due(store, site, poll, now).await;
        let level = self.level(poll, NetworkKey::from(client));
        let challenge = self
            .challenges(store, site)
            .await?
            .issue(&poll.id, level, now);
        self.metrics
            .challenges_issued
            .with_label_values(&[&level.get().to_string()])
            .inc();
        if poll.challenge == ChallengeMode::Auto {
            let poll_level = self.auto_level(&poll.id, None);
            self.metrics
                .challenge_level
                .with_label_values(&[poll.id.as_str()])
                .set(i64::from(poll_level.get()));
        }
        Ok(challenge)
    }

    /// Checks a solution sent with a ballot in `poll` from `client` (the
    /// compact form, `<salt><number>.<signature>`): it must hold and be at
    /// least at the level asked of that ballot now.
    pub async fn check(
        &self,
        store: &dyn Store,
        site: &SiteId,
        poll: &Poll,
        solution: &str,
        client: IpAddr,
        now: Timestamp,
    ) -> Result<Result<Spend, ChallengeError>, StoreError> {
        let challenges = self.challenges(store, site).await?;
        self.share_if_due(store, site, poll, now).await;
        let checked = Solution::parse_compact(solution)
            .and_then(|solution| challenges.verify(&poll.id, &solution, now))
            .and_then(|spend| {
                if poll.challenge.required()
                    && spend.level < self.level(poll, NetworkKey::from(client))
                {
                    Err(ChallengeError::TooEasy)
                } else {
                    Ok(spend)
                }
            });
        if let Err(e) = checked {
            self.refused(e.code());
        }
        Ok(checked)
    }

    /// Offers this replica's raised levels to the store and reads every
    /// replica's, once per [`SHARE_EVERY`], when `poll` is one whose level
    /// they set (`auto`). A store that does not answer leaves the levels
    /// read last (and the ballot's own store call fails on its own).
    async fn share_if_due(&self, store: &dyn Store, site: &SiteId, poll: &Poll, now: Timestamp) {
        if poll.challenge != ChallengeMode::Auto {
            return;
        }
        {
            let mut shared = self.shared.lock();
            match shared.0 {
                Some(at) if now.duration_since(at) < SHARE_EVERY && now >= at => return,
                _ => shared.0 = Some(now),
            }
        }
        let raised: Vec<(String, u8)> = self
            .controller()
            .raised()
            .into_iter()
            .map(|(poll, network, level)| (level_name(&poll, network), level.get()))
            .collect();
        let until = now.checked_add(SHARED_FOR).unwrap_or(Timestamp::MAX);
        match store.share_levels(site, &raised, until, now).await {
            Ok(levels) => {
                let levels = levels
                    .into_iter()
                    .filter_map(|(name, level)| Some((name, Level::new(level)?)))
                    .collect();
                self.shared.lock().1 = levels;
            }
            Err(e) => tracing::warn!(error = %e, "challenge levels not shared"),
        }
    }

    /// Counts a ballot refused for its challenge.
    pub fn refused(&self, code: &str) {
        self.metrics
            .challenge_failures
            .with_label_values(&[code])
            .inc();
    }

    /// A counted ballot, for the levels of `auto` polls: whether its voter
    /// came with an identity of their own, and from which network.
    pub fn observe(&self, poll: &PollId, fresh_identity: bool, client: IpAddr, at: Timestamp) {
        self.tick_if_due(at);
        self.controller().observe(
            poll,
            Observation {
                fresh_identity,
                network: NetworkKey::from(client),
                at,
            },
        );
    }

    fn tick_if_due(&self, now: Timestamp) {
        let due = {
            let mut last = self.last_tick.lock();
            match *last {
                Some(at) if now.duration_since(at) < TICK => false,
                Some(_) => {
                    *last = Some(now);
                    true
                }
                None => {
                    *last = Some(now);
                    false
                }
            }
        };
        if due {
            self.tick(now);
        }
    }

    /// Once a minute: raises or lowers levels, each step logged and counted.
    fn tick(&self, now: Timestamp) {
        let steps = self.controller().tick(now);
        for step in steps {
            tracing::warn!(
                poll = %step.poll,
                from = step.from.get(),
                to = step.to.get(),
                reason = step.reason.as_str(),
                "challenge level changed"
            );
            self.metrics
                .challenge_steps
                .with_label_values(&[step.poll.as_str(), step.reason.as_str()])
                .inc();
        }
        let controller = self.controller();
        for (poll, level) in controller.levels() {
            self.metrics
                .challenge_level
                .with_label_values(&[poll.as_str()])
                .set(i64::from(level.get()));
        }
    }

    /// Forgets a poll that is no more.
    pub fn forget(&self, poll: &PollId) {
        self.controller().forget(poll);
        let _ = self
            .metrics
            .challenge_level
            .remove_label_values(&[poll.as_str()]);
    }
}

impl super::Voting {
    /// A challenge for a ballot in `poll` from `client`; `None` when there
    /// is no such poll.
    pub async fn challenge(
        &self,
        poll: &PollId,
        client: IpAddr,
    ) -> Result<Option<Challenge>, StoreError> {
        let Some(state) = self.results(poll).await? else {
            return Ok(None);
        };
        let challenge = self
            .guard
            .issue(
                self.store.as_ref(),
                &self.site,
                &state.poll,
                client,
                self.clock.now(),
            )
            .await?;
        Ok(Some(challenge))
    }

    /// Checks a solution sent with a ballot in `poll` from `client`. A poll
    /// that does not exist is left for the ballot to find.
    pub async fn check_solution(
        &self,
        poll: &PollId,
        solution: &str,
        client: IpAddr,
    ) -> Result<Option<Result<Spend, ChallengeError>>, StoreError> {
        let Some(state) = self.results(poll).await? else {
            return Ok(None);
        };
        self.guard
            .check(
                self.store.as_ref(),
                &self.site,
                &state.poll,
                solution,
                client,
                self.clock.now(),
            )
            .await
            .map(Some)
    }

    /// Whether form ballots in `poll` from `client` are paused now (see
    /// [`Guard::form_paused`]).
    pub async fn form_paused(&self, poll: &PollId, client: IpAddr) -> Result<bool, StoreError> {
        let Some(state) = self.results(poll).await? else {
            return Ok(false);
        };
        Ok(self
            .guard
            .form_paused(
                self.store.as_ref(),
                &self.site,
                &state.poll,
                client,
                self.clock.now(),
            )
            .await)
    }
}
