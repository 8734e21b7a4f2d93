//! Polls through the store: reading them, casting ballots, managing them and
//! loading them from `TALLY_POLLS_FILE`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use jiff::Timestamp;

use crate::calendar::Calendar;
use crate::clock::Clock;
use crate::ids::{AddressKey, Attempt, BallotId, OptionId, PollId, SiteId, VisitorKey};
use crate::metrics::Metrics;
use crate::poll::{ChoiceError, Poll};
use crate::privacy::NetworkKind;
use crate::site::Site;
use crate::store::{Ballot, BallotProof, PollState, PutPoll, Store, StoreError, Verdict};

mod guard;
mod listing;
mod retractions;
mod sites;
mod view;
use guard::Guard;
use listing::Definitions;
pub use listing::{Listed, Order, Paging};
use retractions::{Journal, Retractions};
pub use sites::{KnownPolls, Votings};
pub use view::PollView;

/// Who casts a ballot.
#[derive(Debug, Clone)]
pub struct Voter {
    /// A person (see [`crate::store::Ballot::visitor`]).
    pub visitor: VisitorKey,
    pub address: AddressKey,
    /// The address's networks, hashed, as the network caps count them.
    pub networks: Vec<(NetworkKind, AddressKey)>,
    /// Whether the visitor came without an identity of their own (the id
    /// was issued with this ballot), for the levels of `auto` polls.
    pub fresh: bool,
    /// The client's address (never stored), for the same.
    pub client: std::net::IpAddr,
}

/// What became of a ballot: the verdict, the poll as the store answered
/// with it, and the choices the ballot carried.
#[derive(Debug)]
pub struct Vote {
    pub verdict: Verdict,
    pub state: PollState,
    pub choices: Vec<OptionId>,
    /// The ballot's id, for the voter to send again with a retry.
    pub ballot: BallotId,
}

impl Vote {
    /// Why the choices were refused, for an [`Verdict::InvalidChoice`].
    pub fn choice_error(&self) -> ChoiceError {
        self.state
            .poll
            .check_choices(&self.choices)
            .err()
            .unwrap_or(ChoiceError::NoChoice)
    }
}

/// Settings the poll service needs.
#[derive(Debug, Clone)]
pub struct VotingSettings {
    pub votes_per_address: u32,
    /// On a poll asking a challenge, per address, for solved ballots.
    pub solved_votes_per_address: u32,
    /// Per IPv4 /24 and IPv6 /56.
    pub votes_per_network: u32,
    /// Per IPv6 /48.
    pub votes_per_ipv6_site: u32,
    /// How old results shown to readers may be.
    pub results_fresh: Duration,
    /// Where retractions are journalled (`None`: memory only).
    pub journal_dir: Option<std::path::PathBuf>,
    /// `TALLY_CHALLENGE_KEY`, when set; else the store keeps one.
    pub challenge_key: Option<[u8; 32]>,
    /// The level of polls whose challenge is `on` (`TALLY_CHALLENGE_LEVEL`).
    pub challenge_level: crate::challenge::Level,
    /// The poll ids ballot metrics are labelled by, shared by every site.
    pub known_polls: KnownPolls,
}

/// The poll service.
pub struct Voting {
    store: Arc<dyn Store>,
    site: SiteId,
    calendar: Calendar,
    clock: Arc<dyn Clock>,
    votes_per_address: u32,
    solved_votes_per_address: u32,
    votes_per_network: u32,
    votes_per_ipv6_site: u32,
    metrics: Arc<Metrics>,
    /// [`VotingSettings::known_polls`].
    known: KnownPolls,
    /// Recent results, served to readers for up to `results_fresh`.
    results: Mutex<HashMap<PollId, (Instant, PollState)>>,
    results_fresh: Duration,
    /// The polls' definitions, for lists: as fresh as results.
    definitions: Definitions,
    retractions: Retractions,
    guard: Guard,
}

/// Most poll ids remembered for metric labels.
const MOST_KNOWN_POLLS: usize = 1000;

impl Voting {
    pub fn new(site: Site, settings: VotingSettings) -> Self {
        let Site {
            id: site,
            store,
            calendar,
            clock,
            metrics,
        } = site;
        Self {
            results: Mutex::new(HashMap::new()),
            results_fresh: settings.results_fresh,
            definitions: Definitions::new(settings.results_fresh),
            votes_per_address: settings.votes_per_address,
            solved_votes_per_address: settings.solved_votes_per_address,
            votes_per_network: settings.votes_per_network,
            votes_per_ipv6_site: settings.votes_per_ipv6_site,
            store,
            site,
            calendar,
            clock,
            guard: Guard::new(
                settings.challenge_key,
                settings.challenge_level,
                Arc::clone(&metrics),
            ),
            retractions: Retractions::new(
                settings.journal_dir.as_deref().and_then(Journal::open),
                Arc::clone(&metrics),
            ),
            metrics,
            known: settings.known_polls,
        }
    }

    /// The site whose polls these are.
    pub fn site(&self) -> &SiteId {
        &self.site
    }

    /// Ballots answered 503 waiting to be retracted.
    pub fn waiting(&self) -> usize {
        self.retractions.len()
    }

    /// Retracts the ballots answered 503 that wait ([`Votings::run`]).
    pub async fn retract_waiting(&self) {
        self.retractions.work(&self.store, &self.site).await;
    }

    /// Retracts what waits, trying until `deadline`. Used at shutdown.
    pub async fn drain(&self, deadline: std::time::Instant) {
        while !self.retractions.is_empty() && std::time::Instant::now() < deadline {
            self.retractions.work(&self.store, &self.site).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if !self.retractions.is_empty() {
            tracing::error!(
                waiting = self.retractions.len(),
                "shutting down with ballots answered 503 not yet retracted"
            );
        }
    }

    /// Counts a refused ballot for the poll named in a request, which may
    /// not exist: unknown names share the label `unknown`.
    pub fn count_refused(&self, poll: &str, result: &str) {
        let known = PollId::parse(poll).is_ok_and(|id| self.known.contains(&id));
        self.count(if known { poll } else { "unknown" }, result);
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The portal's time zone, by its IANA name.
    pub fn zone_name(&self) -> &str {
        self.calendar.zone_name()
    }

    /// Seconds until the next local midnight, when per-day caps reset.
    pub fn seconds_until_tomorrow(&self) -> u64 {
        self.calendar.until_tomorrow(self.clock.now()).as_secs()
    }

    /// A poll, its counts, and whether `visitor` voted.
    pub async fn state(
        &self,
        poll: &PollId,
        visitor: Option<&VisitorKey>,
    ) -> Result<Option<PollState>, StoreError> {
        let state = self.store.poll_state(&self.site, poll, visitor).await?;
        if state.is_some() {
            self.known.remember(poll);
        }
        Ok(state)
    }

    /// A poll and its counts for readers of results: at most
    /// `results_fresh` old (the counter's flush interval), so a popular
    /// results page costs the store a few reads a second. A draft is no
    /// poll to them.
    pub async fn results(&self, poll: &PollId) -> Result<Option<PollState>, StoreError> {
        if let Some((at, state)) = self.results.lock().get(poll)
            && at.elapsed() < self.results_fresh
        {
            return Ok(Some(state.clone()));
        }
        let state = self.public_state(poll, None).await?;
        if let Some(state) = &state {
            self.keep_results(state, true);
        }
        Ok(state)
    }

    /// Keeps results read from the store (`fresh`), or seen in a ballot's
    /// answer if they are not older than what is kept: ballots answered
    /// concurrently may come back out of order, and counts only grow
    /// between the store reads that set them right.
    fn keep_results(&self, state: &PollState, fresh: bool) {
        let mut results = self.results.lock();
        let total: u64 = state.votes.iter().sum();
        let newer = match results.get(&state.poll.id) {
            Some((_, kept)) => fresh || total >= kept.votes.iter().sum::<u64>(),
            None => results.len() < MOST_KNOWN_POLLS,
        };
        if newer {
            let mut state = state.clone();
            state.voted = None;
            results.insert(state.poll.id.clone(), (Instant::now(), state));
        }
    }

    fn forget_results(&self, poll: &PollId) {
        self.results.lock().remove(poll);
    }

    /// Casts a ballot, judged and counted by the store in one atomic step.
    /// `None` when there is no such poll.
    pub async fn vote(
        &self,
        poll: &PollId,
        voter: Voter,
        choices: Vec<OptionId>,
        id: BallotId,
        proof: BallotProof,
    ) -> Result<Option<Vote>, StoreError> {
        let now = self.clock.now();
        let (voter_fresh, voter_client) = (voter.fresh, voter.client);
        let ballot = Ballot {
            id,
            attempt: Attempt::fresh(),
            poll: poll.clone(),
            visitor: voter.visitor,
            address: voter.address,
            choices,
            at: self.clock.judges_ballots().then_some(now),
            day: self.calendar.day(now),
            address_cap: self.votes_per_address,
            solved_cap: self.solved_votes_per_address,
            networks: voter
                .networks
                .into_iter()
                .map(|(kind, network)| {
                    let cap = match kind {
                        NetworkKind::Network => self.votes_per_network,
                        NetworkKind::Site => self.votes_per_ipv6_site,
                    };
                    (network, cap)
                })
                .collect(),
            proof,
        };
        let cast = self.store.cast(&self.site, &ballot).await;
        let Some((verdict, state)) = (match cast {
            Ok(cast) => cast,
            Err(e) => {
                // The caller hears 503. The store may have counted the
                // ballot all the same (its answer lost on the way back), so
                // this try is journalled, then retracted once the store
                // answers again.
                self.count_refused(poll.as_str(), "unavailable");
                self.retractions.push(ballot.retraction()).await;
                return Err(e);
            }
        }) else {
            return Ok(None);
        };
        if state.poll.draft {
            // The store judged it not yet open and counted nothing; to the
            // public a draft is no poll at all.
            return Ok(None);
        }
        self.known.remember(poll);
        self.keep_results(&state, false);
        let result = match verdict {
            Verdict::Accepted => "accepted",
            Verdict::AlreadyVoted => "duplicate",
            Verdict::AddressCapReached => "address_cap",
            Verdict::NotYetOpen | Verdict::Closed => "closed",
            Verdict::InvalidChoice => "invalid",
            Verdict::ChallengeRequired | Verdict::ChallengeReplayed => "challenge",
        };
        match verdict {
            Verdict::Accepted => {
                // In an `auto` poll, an id the client chose (a made-up
                // `Tally-Visitor`) is a fresh identity until it has a
                // history: a hit whose state is kept. A store that does
                // not answer here leaves the ballot watched as known.
                let watched = state.poll.challenge == crate::challenge::ChallengeMode::Auto;
                let fresh = voter_fresh
                    || (watched
                        && !self
                            .store
                            .visitor_known(&self.site, &ballot.visitor, now)
                            .await
                            .unwrap_or(true));
                self.guard
                    .observe(poll, fresh, voter_client, self.clock.now());
            }
            Verdict::ChallengeRequired => self.guard.refused("challenge_required"),
            Verdict::ChallengeReplayed => self.guard.refused("challenge_replayed"),
            _ => {}
        }
        self.count(poll.as_str(), result);
        Ok(Some(Vote {
            verdict,
            state,
            choices: ballot.choices,
            ballot: ballot.id,
        }))
    }

    /// Counts a ballot outcome for a poll that exists (bounded labels).
    fn count(&self, poll: &str, result: &str) {
        self.metrics
            .ballots
            .with_label_values(&[poll, result])
            .inc();
    }

    /// Creates or replaces a poll.
    pub async fn put(&self, poll: &Poll, force: bool) -> Result<PutPoll, StoreError> {
        let put = self.store.put_poll(&self.site, poll, force).await;
        self.forget_results(&poll.id);
        self.definitions.forget();
        put
    }

    /// Closes a poll now (it stays readable). `None` if there is no such poll.
    pub async fn close(&self, id: &PollId) -> Result<Option<PollState>, StoreError> {
        let Some(state) = self.state(id, None).await? else {
            return Ok(None);
        };
        let closed = state.poll.closed_at(self.clock.now());
        self.put(&closed, false).await?;
        // Its ballots are over: its level is no longer needed.
        self.guard.forget(id);
        self.state(id, None).await
    }

    /// Deletes a poll and its ballots; says whether it existed.
    pub async fn delete(&self, id: &PollId) -> Result<bool, StoreError> {
        let deleted = self.store.delete_poll(&self.site, id).await;
        self.forget_results(id);
        self.definitions.forget();
        self.guard.forget(id);
        deleted
    }

    /// Whether an editor deleted this poll (its tombstone is kept).
    pub async fn deleted(&self, id: &PollId) -> Result<bool, StoreError> {
        self.store.deleted(&self.site, id).await
    }
}
