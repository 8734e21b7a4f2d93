//! Who may see a poll's results, and when. A consultation may have to keep
//! its running tally from those who have not voted yet, or from everyone
//! until it closes: each poll says so.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Poll, PollStatus};

/// A poll's results visibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// To everyone, at any time.
    #[default]
    Always,
    /// To those who voted; to everyone once the poll is closed.
    AfterVote,
    /// To everyone once the poll is closed.
    AfterClose,
    /// To the editors only.
    Never,
}

impl Visibility {
    pub fn is_always(&self) -> bool {
        *self == Visibility::Always
    }
}

/// Who asks to see results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// An editor, through the admin API.
    Editor,
    /// A person who has voted in this poll.
    Voter,
    /// Anyone else: a person who has not voted, or a visitor known only by
    /// address (who is never told what a person did).
    Visitor,
}

/// Whether a viewer may see the results now, and if not, when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Now,
    /// Once they have voted.
    AfterVote,
    /// Once the poll closes (at that time, if it is set).
    AfterClose(Option<Timestamp>),
    /// Never: only the editors see them.
    Never,
}

impl Poll {
    /// Whether `viewer` may see this poll's results at `now`.
    pub fn results_shown(&self, viewer: Viewer, now: Timestamp) -> Shown {
        let closed = self.status(now) == PollStatus::Closed;
        match (self.results, viewer) {
            (_, Viewer::Editor) | (Visibility::Always, _) => Shown::Now,
            (Visibility::AfterVote, Viewer::Voter) => Shown::Now,
            (Visibility::AfterVote | Visibility::AfterClose, _) if closed => Shown::Now,
            (Visibility::AfterVote, Viewer::Visitor) => Shown::AfterVote,
            (Visibility::AfterClose, _) => Shown::AfterClose(self.closes_at),
            (Visibility::Never, _) => Shown::Never,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{OptionId, PollId};
    use crate::poll::{PollOption, PollSpec};

    fn poll(results: Visibility) -> Poll {
        let option = |id: &str| PollOption {
            id: OptionId::parse(id).unwrap(),
            label: id.to_uppercase(),
        };
        Poll::new(PollSpec {
            id: PollId::parse("p").unwrap(),
            question: "Q?".into(),
            options: vec![option("a"), option("b")],
            max_choices: None,
            opens_at: None,
            closes_at: Some("2026-12-31T00:00:00+07:00".parse().unwrap()),
            results,
            challenge: Default::default(),
            archived_at: None,
            draft: false,
        })
        .unwrap()
    }

    #[test]
    fn each_mode_shows_the_results_to_whom_it_says_when_it_says() {
        let open: Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
        let closed: Timestamp = "2027-01-01T00:00:00Z".parse().unwrap();
        let closes = Some("2026-12-31T00:00:00+07:00".parse().unwrap());
        use Viewer::*;
        use Visibility::*;
        let cases = [
            (Always, Visitor, open, Shown::Now),
            (AfterVote, Visitor, open, Shown::AfterVote),
            (AfterVote, Voter, open, Shown::Now),
            (AfterVote, Visitor, closed, Shown::Now),
            (AfterClose, Voter, open, Shown::AfterClose(closes)),
            (AfterClose, Visitor, closed, Shown::Now),
            (Never, Voter, closed, Shown::Never),
            (Never, Editor, open, Shown::Now),
            (AfterClose, Editor, open, Shown::Now),
        ];
        for (mode, viewer, at, shown) in cases {
            assert_eq!(
                poll(mode).results_shown(viewer, at),
                shown,
                "{mode:?} {viewer:?}"
            );
        }
    }
}
