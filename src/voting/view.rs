//! A poll as one viewer sees it (none while it is a draft): whether they
//! voted and what, and its counts only when the poll's results visibility
//! lets them see them.

use crate::ids::{PollId, VisitorKey};
use crate::poll::{Shown, Viewer};
use crate::store::{PollState, StoreError};

use super::{Listed, Order, Paging, Voting};

/// A poll as one viewer sees it. When `shown` is not [`Shown::Now`], the
/// counts are zeroed here, so no page or answer can show them by mistake.
#[derive(Debug, Clone)]
pub struct PollView {
    pub state: PollState,
    pub shown: Shown,
}

impl PollView {
    fn of(mut state: PollState, viewer: Viewer, now: jiff::Timestamp) -> Self {
        let shown = state.poll.results_shown(viewer, now);
        if shown != Shown::Now {
            state.votes.iter_mut().for_each(|v| *v = 0);
            state.voters = 0;
        }
        Self { state, shown }
    }

    /// `state` as the person it was read for sees it: a voter if it says
    /// what they chose.
    fn as_read(state: PollState, now: jiff::Timestamp) -> Self {
        let viewer = if state.voted.is_some() {
            Viewer::Voter
        } else {
            Viewer::Visitor
        };
        Self::of(state, viewer, now)
    }

    pub fn visible(&self) -> bool {
        self.shown == Shown::Now
    }
}

impl Voting {
    /// A poll, its counts and whether `visitor` voted, as the public may
    /// read it: a draft is no poll until an editor publishes it.
    pub async fn public_state(
        &self,
        poll: &PollId,
        visitor: Option<&VisitorKey>,
    ) -> Result<Option<PollState>, StoreError> {
        let state = self.state(poll, visitor).await?;
        Ok(state.filter(|s| !s.poll.draft))
    }

    /// A poll as `person` sees it (`None`: a visitor known only by address,
    /// who is never told what anyone chose); a draft is no poll.
    pub async fn view(
        &self,
        poll: &PollId,
        person: Option<&VisitorKey>,
    ) -> Result<Option<PollView>, StoreError> {
        let state = match person {
            Some(person) => self.public_state(poll, Some(person)).await?,
            None => self.results(poll).await?,
        };
        Ok(state.map(|state| PollView::as_read(state, self.now())))
    }

    /// A poll's results as `person` may see them, from the results kept at
    /// hand: the person's own ballot is looked up only when the poll shows
    /// its results to voters alone.
    pub async fn results_view(
        &self,
        poll: &PollId,
        person: Option<&VisitorKey>,
    ) -> Result<Option<PollView>, StoreError> {
        let Some(state) = self.results(poll).await? else {
            return Ok(None);
        };
        let now = self.now();
        let shown = state.poll.results_shown(Viewer::Visitor, now);
        if shown == Shown::AfterVote && person.is_some() {
            return self.view(poll, person).await;
        }
        Ok(Some(PollView::of(state, Viewer::Visitor, now)))
    }

    /// What a person who has just voted sees of `state`.
    pub fn voter_view(&self, state: PollState) -> PollView {
        PollView::of(state, Viewer::Voter, self.now())
    }

    /// A page of the polls an editor has not archived, as `person` sees
    /// them, in the archive's order ([`Order::Archive`]).
    pub async fn archive(
        &self,
        person: Option<&VisitorKey>,
        paging: Paging,
    ) -> Result<Listed<PollView>, StoreError> {
        let listed = self.list(Order::Archive, paging, person).await?;
        let now = self.now();
        Ok(listed.map(|state| PollView::as_read(state, now)))
    }
}
