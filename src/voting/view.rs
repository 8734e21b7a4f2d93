//! A poll as one viewer sees it: whether they voted and what, and its
//! counts only when the poll's results visibility lets them see them.

use crate::ids::{PollId, VisitorKey};
use crate::poll::{PollStatus, Shown, Viewer};
use crate::store::{PollState, StoreError};

use super::Voting;

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

    pub fn visible(&self) -> bool {
        self.shown == Shown::Now
    }
}

impl Voting {
    /// A poll as `person` sees it (`None`: a visitor known only by address,
    /// who is never told what anyone chose).
    pub async fn view(
        &self,
        poll: &PollId,
        person: Option<&VisitorKey>,
    ) -> Result<Option<PollView>, StoreError> {
        let state = match person {
            Some(person) => self.state(poll, Some(person)).await?,
            None => self.results(poll).await?,
        };
        Ok(state.map(|state| {
            let viewer = if state.voted.is_some() {
                Viewer::Voter
            } else {
                Viewer::Visitor
            };
            PollView::of(state, viewer, self.now())
        }))
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

    /// Every poll an editor has not archived, as `person` sees it: open
    /// ones first (soonest to close first), then those coming up, then the
    /// closed ones (latest first).
    pub async fn archive(&self, person: Option<&VisitorKey>) -> Result<Vec<PollView>, StoreError> {
        let now = self.now();
        let mut views = Vec::new();
        let polls = self.store.list_polls(&self.site).await?;
        for poll in polls.iter().filter(|p| p.archived_at.is_none()) {
            if let Some(view) = self.view(&poll.id, person).await? {
                views.push(view);
            }
        }
        let rank = |v: &PollView| match v.state.poll.status(now) {
            PollStatus::Open => 0,
            PollStatus::NotYetOpen => 1,
            PollStatus::Closed => 2,
        };
        views.sort_by(|a, b| {
            let (pa, pb) = (&a.state.poll, &b.state.poll);
            rank(a).cmp(&rank(b)).then_with(|| match rank(a) {
                0 => pa.closes_at.cmp(&pb.closes_at),
                1 => pa.opens_at.cmp(&pb.opens_at),
                _ => pb.closes_at.cmp(&pa.closes_at),
            })
        });
        Ok(views)
    }
}
