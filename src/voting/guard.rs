//! The ballot box's guard: challenges issued and checked, and the level of
//! each `auto` poll, which follows its traffic.
//!
//! The signing key is `TALLY_CHALLENGE_KEY` when set, else one the store
//! keeps for every replica (made by the first that asks), so a challenge
//! issued by one replica is accepted by another. Levels are this replica's:
//! each sees its share of a poll's ballots, and the shares look alike
//! behind a load balancer.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use tokio::sync::OnceCell;

use crate::challenge::{
    Challenge, ChallengeError, Challenges, Controller, Level, NetworkKey, Observation, Solution,
    Spend, Tuning,
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
    metrics: Arc<Metrics>,
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
            metrics,
        }
    }

    fn controller(&self) -> std::sync::MutexGuard<'_, Controller> {
        self.controller.lock().expect("challenge controller lock")
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

    /// A challenge for a ballot in `poll`, at the level its setting says
    /// (an `off` poll gets the easiest: nothing checks it).
    pub async fn issue(
        &self,
        store: &dyn Store,
        site: &SiteId,
        poll: &Poll,
        now: Timestamp,
    ) -> Result<Challenge, StoreError> {
        self.tick_if_due(now);
        let auto = self.controller().level(&poll.id);
        let level = poll.challenge.level(self.on, auto).max(Level::MIN);
        let challenge = self
            .challenges(store, site)
            .await?
            .issue(&poll.id, level, now);
        self.metrics
            .challenges_issued
            .with_label_values(&[&level.get().to_string()])
            .inc();
        if poll.challenge == crate::challenge::ChallengeMode::Auto {
            self.metrics
                .challenge_level
                .with_label_values(&[poll.id.as_str()])
                .set(i64::from(level.get()));
        }
        Ok(challenge)
    }

    /// Checks a solution sent with a ballot in `poll` (the compact form,
    /// `<salt><number>.<signature>`).
    pub async fn check(
        &self,
        store: &dyn Store,
        site: &SiteId,
        poll: &PollId,
        solution: &str,
        now: Timestamp,
    ) -> Result<Result<Spend, ChallengeError>, StoreError> {
        let challenges = self.challenges(store, site).await?;
        let checked = Solution::parse_compact(solution)
            .and_then(|solution| challenges.verify(poll, &solution, now));
        if let Err(e) = checked {
            self.refused(e.code());
        }
        Ok(checked)
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
            let mut last = self.last_tick.lock().expect("challenge tick lock");
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
    /// A challenge for a ballot in `poll`; `None` when there is no such poll.
    pub async fn challenge(&self, poll: &PollId) -> Result<Option<Challenge>, StoreError> {
        let Some(state) = self.results(poll).await? else {
            return Ok(None);
        };
        let challenge = self
            .guard
            .issue(
                self.store.as_ref(),
                &self.site,
                &state.poll,
                self.clock.now(),
            )
            .await?;
        Ok(Some(challenge))
    }

    /// Checks a solution sent with a ballot in `poll`.
    pub async fn check_solution(
        &self,
        poll: &PollId,
        solution: &str,
    ) -> Result<Result<Spend, ChallengeError>, StoreError> {
        self.guard
            .check(
                self.store.as_ref(),
                &self.site,
                poll,
                solution,
                self.clock.now(),
            )
            .await
    }
}
