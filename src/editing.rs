//! What editors change, each change noted in the audit log with who made
//! it: polls created, saved as drafts, published, replaced, closed,
//! reopened, archived and deleted, and the counter's baseline. The admin API and the console both change
//! things only through here.

use std::sync::Arc;

use jiff::Timestamp;
use serde_json::{Value, json};
use thiserror::Error;

use crate::audit::{Action, Audit, AuditEntry};
use crate::counter::Counter;
use crate::ids::{PollId, SiteId};
use crate::poll::Poll;
use crate::retention::reopen_refused_from;
use crate::store::{PollState, PutPoll, StoreError};
use crate::voting::Voting;

/// Why a change was refused.
#[derive(Debug, Error)]
pub enum EditError {
    #[error("no such poll")]
    NotFound,
    /// Reopening with a closing time that has passed.
    #[error("the new closing time must be in the future")]
    ClosesInThePast,
    /// Reopening a poll closed so long ago that its voter records are (or
    /// are about to be) deleted: its voters could vote a second time.
    #[error(
        "the poll closed too long ago to reopen: its voter records are deleted TALLY_VOTER_DAYS \
         after the close (a reopen is refused from the day before), and its voters could then \
         vote twice"
    )]
    VotersForgotten,
    /// Turning a published poll that holds ballots back into a draft.
    #[error("the poll has ballots: it cannot go back to draft")]
    DraftWithBallots,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Every change an editor makes.
pub struct Editing {
    pub voting: Arc<Voting>,
    pub counter: Arc<Counter>,
    pub audit: Arc<Audit>,
    /// Days after a poll closes that its voter records are kept.
    voter_days: u32,
}

/// Every site's [`Editing`].
pub struct Editings {
    by_site: arc_swap::ArcSwap<std::collections::HashMap<SiteId, Arc<Editing>>>,
    primary: Arc<Editing>,
}

impl Editings {
    /// `primary` and every other site's, each on its own polls.
    pub fn new(primary: Arc<Editing>, others: impl IntoIterator<Item = Arc<Editing>>) -> Self {
        let mut by_site: std::collections::HashMap<SiteId, Arc<Editing>> = others
            .into_iter()
            .map(|e| (e.voting.site().clone(), e))
            .collect();
        by_site.insert(primary.voting.site().clone(), Arc::clone(&primary));
        Self {
            by_site: arc_swap::ArcSwap::from_pointee(by_site),
            primary,
        }
    }

    /// The changes to `site`'s polls.
    pub fn get(&self, site: &SiteId) -> Option<Arc<Editing>> {
        self.by_site.load().get(site).cloned()
    }

    /// Adds the changes of a site created while tally runs, unless its
    /// site has some already.
    pub fn add(&self, editing: Arc<Editing>) {
        self.by_site.rcu(|now| {
            let mut by_site = (**now).clone();
            by_site
                .entry(editing.voting.site().clone())
                .or_insert_with(|| Arc::clone(&editing));
            by_site
        });
    }

    pub fn primary(&self) -> &Arc<Editing> {
        &self.primary
    }
}

/// A poll as the audit log keeps it: its definition and its counts.
fn recorded(state: &PollState) -> Value {
    let votes: serde_json::Map<String, Value> = state
        .poll
        .options
        .iter()
        .zip(&state.votes)
        .map(|(o, n)| (o.id.as_str().to_owned(), json!(n)))
        .collect();
    json!({ "poll": state.poll, "votes": votes, "voters": state.voters })
}

/// Whether anyone voted in the poll.
pub(crate) fn holds_ballots(state: &PollState) -> bool {
    state.voters > 0 || state.votes.iter().any(|&n| n > 0)
}

impl Editing {
    /// Changes through `voting` and `counter` (one site's), noted in
    /// `audit`, that site's audit log.
    pub fn new(
        voting: &Arc<Voting>,
        counter: &Arc<Counter>,
        audit: Arc<Audit>,
        voter_days: u32,
    ) -> Self {
        Self {
            voter_days,
            voting: Arc::clone(voting),
            counter: Arc::clone(counter),
            audit,
        }
    }

    pub(crate) async fn note(
        &self,
        who: &str,
        action: Action,
        target: &PollId,
        before: Option<&PollState>,
        after: Option<&PollState>,
    ) {
        self.audit
            .record(AuditEntry {
                at: self.voting.now(),
                who: who.to_owned(),
                action,
                target: target.as_str().to_owned(),
                before: before.map(recorded),
                after: after.map(recorded),
            })
            .await;
    }

    /// Refuses to let `after` take ballots if `before` closed so long ago
    /// that its voter records are (or are about to be) deleted.
    fn voters_still_known(
        &self,
        before: Option<&Poll>,
        after: &Poll,
        now: Timestamp,
    ) -> Result<(), EditError> {
        let Some(closes) = before.and_then(|p| p.closes_at) else {
            return Ok(());
        };
        let takes_ballots = after.closes_at.is_none_or(|t| t > closes);
        if takes_ballots && now >= reopen_refused_from(closes, self.voter_days) {
            return Err(EditError::VotersForgotten);
        }
        Ok(())
    }

    async fn existing(&self, id: &PollId) -> Result<PollState, EditError> {
        self.voting
            .state(id, None)
            .await?
            .ok_or(EditError::NotFound)
    }

    /// Creates or replaces a poll (see [`Voting::put`]), as a draft or
    /// published as `poll` says; a published poll that holds ballots does
    /// not go back to draft.
    pub async fn put(&self, who: &str, poll: &Poll, force: bool) -> Result<PutPoll, EditError> {
        let before = self.voting.state(&poll.id, None).await?;
        let now = self.voting.now();
        self.voters_still_known(before.as_ref().map(|b| &b.poll), poll, now)?;
        let was_draft = before.as_ref().map(|b| b.poll.draft);
        let put = self.voting.put(poll, force).await?;
        let action = match (&put, was_draft, poll.draft) {
            (PutPoll::DraftWithBallots, ..) => return Err(EditError::DraftWithBallots),
            (PutPoll::Unchanged | PutPoll::Conflict(_), ..) => return Ok(put),
            (_, _, true) => Action::SaveDraft,
            (PutPoll::Replaced, Some(true), false) => Action::PublishPoll,
            (PutPoll::Created, ..) => Action::CreatePoll,
            (PutPoll::Replaced, ..) => Action::ReplacePoll,
        };
        let after = self.voting.state(&poll.id, None).await?;
        self.note(who, action, &poll.id, before.as_ref(), after.as_ref())
            .await;
        Ok(put)
    }

    /// Publishes a draft: from now on it is public and follows its dates
    /// (one whose opening is ahead is scheduled, not open). A published
    /// poll stays as it is.
    pub async fn publish(&self, who: &str, id: &PollId) -> Result<PollState, EditError> {
        let before = self.existing(id).await?;
        if !before.poll.draft {
            return Ok(before);
        }
        let poll = Poll {
            draft: false,
            ..before.poll.clone()
        };
        self.voting.put(&poll, false).await?;
        let after = self.existing(id).await?;
        self.note(who, Action::PublishPoll, id, Some(&before), Some(&after))
            .await;
        Ok(after)
    }

    /// Takes a published poll back to draft, out of the public's sight;
    /// refused once it holds ballots. A draft stays as it is.
    pub async fn unpublish(&self, who: &str, id: &PollId) -> Result<PollState, EditError> {
        let before = self.existing(id).await?;
        if before.poll.draft {
            return Ok(before);
        }
        let poll = Poll {
            draft: true,
            ..before.poll.clone()
        };
        // The store refuses in the same atomic step as the write, so a
        // ballot cast while this runs cannot end up in a draft.
        if self.voting.put(&poll, false).await? == PutPoll::DraftWithBallots {
            return Err(EditError::DraftWithBallots);
        }
        let after = self.existing(id).await?;
        self.note(who, Action::SaveDraft, id, Some(&before), Some(&after))
            .await;
        Ok(after)
    }

    /// Opens a scheduled poll now, before its planned opening; its end
    /// stays as planned.
    pub async fn open_now(&self, who: &str, id: &PollId) -> Result<PollState, EditError> {
        let now = self.voting.now();
        let before = self.existing(id).await?;
        let mut poll = before.poll.clone();
        if poll.opens_at.is_none_or(|t| t <= now) {
            return Ok(before);
        }
        poll.opens_at = None;
        self.voting.put(&poll, false).await?;
        let after = self.existing(id).await?;
        self.note(who, Action::OpenPoll, id, Some(&before), Some(&after))
            .await;
        Ok(after)
    }

    /// Closes a poll now; its results stay.
    pub async fn close(&self, who: &str, id: &PollId) -> Result<PollState, EditError> {
        let before = self.existing(id).await?;
        let after = self.voting.close(id).await?.ok_or(EditError::NotFound)?;
        if after.poll != before.poll {
            self.note(who, Action::ClosePoll, id, Some(&before), Some(&after))
                .await;
        }
        Ok(after)
    }

    /// Opens a closed (or archived) poll again, until `closes_at`, else
    /// the end its close set aside if still ahead, else with no end; one
    /// closed before its planned opening waits for it again (see
    /// [`Poll::reopened_at`]). Its ballots stay.
    pub async fn reopen(
        &self,
        who: &str,
        id: &PollId,
        closes_at: Option<Timestamp>,
    ) -> Result<PollState, EditError> {
        let now = self.voting.now();
        if closes_at.is_some_and(|t| t <= now) {
            return Err(EditError::ClosesInThePast);
        }
        let before = self.existing(id).await?;
        let poll = before.poll.reopened_at(now, closes_at);
        self.voters_still_known(Some(&before.poll), &poll, now)?;
        self.voting.put(&poll, false).await?;
        let after = self.existing(id).await?;
        self.note(who, Action::ReopenPoll, id, Some(&before), Some(&after))
            .await;
        Ok(after)
    }

    /// Closes a poll and sets it aside: left out of the public lists, its
    /// results kept and still readable.
    pub async fn archive(&self, who: &str, id: &PollId) -> Result<PollState, EditError> {
        let before = self.existing(id).await?;
        if before.poll.archived_at.is_some() {
            return Ok(before);
        }
        let now = self.voting.now();
        let mut poll = before.poll.closed_at(now);
        poll.archived_at = Some(now);
        self.voting.put(&poll, false).await?;
        let after = self.existing(id).await?;
        self.note(who, Action::ArchivePoll, id, Some(&before), Some(&after))
            .await;
        Ok(after)
    }

    /// Deletes a poll and every ballot cast in it, for good. Its definition
    /// and counts stay in the audit log.
    pub async fn delete(&self, who: &str, id: &PollId) -> Result<PollState, EditError> {
        let before = self.existing(id).await?;
        self.voting.delete(id).await?;
        self.note(who, Action::DeletePoll, id, Some(&before), None)
            .await;
        Ok(before)
    }

    /// Sets the visits counted before tally.
    pub async fn set_baseline(&self, who: &str, baseline: u64) -> Result<(), EditError> {
        self.counter.set_baseline(baseline).await?;
        self.audit
            .record(AuditEntry {
                at: self.voting.now(),
                who: who.to_owned(),
                action: Action::SetBaseline,
                target: "counter".into(),
                before: None,
                after: Some(json!({ "baseline": baseline })),
            })
            .await;
        Ok(())
    }
}
