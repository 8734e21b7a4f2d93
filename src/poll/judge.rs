//! The ballot rules, stated once: what becomes of a ballot, given the poll
//! and what the store knows of the ballot's standing.

use jiff::Timestamp;

use super::{Poll, PollStatus};
use crate::ids::OptionId;

/// What becomes of a ballot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    AlreadyVoted,
    AddressCapReached,
    NotYetOpen,
    Closed,
    InvalidChoice,
    /// The poll asks for a solved challenge and the ballot brought none.
    ChallengeRequired,
    /// The ballot's solution was spent already: by another ballot, or by
    /// this ballot's id cast by someone else.
    ChallengeReplayed,
}

/// A ballot's proof of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// A solved challenge (checked at the edge); the store says whether it
    /// was spent already by anything but this ballot of this person (a
    /// retry, which may bring it again).
    Solved { spent_by_another: bool },
    /// A form post from a page without JavaScript, which cannot solve a
    /// challenge: on a poll that asks for one it counts under `cap` ballots
    /// per address and day instead of the usual cap.
    Form { cap: u32 },
    /// None.
    Missing,
}

/// What the store knows of a ballot when it judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// This person's record holds another ballot.
    pub already_voted: bool,
    /// Ballots counted from the ballot's address on its day.
    pub from_address: u32,
    pub address_cap: u32,
    /// The address cap of a ballot that brings a solution, in a poll that
    /// asks for one.
    pub solved_cap: u32,
    /// One of the address's networks is at its cap for the day.
    pub network_full: bool,
    pub proof: Proof,
}

/// The ballot rules, in the order they apply: a person who voted is told so
/// first; then the poll must be published (a draft is not yet open) and
/// open, the choices valid, the challenge met
/// where the poll asks for one, and the address and its networks under
/// their caps for the day.
/// The embedded store runs this function; the Redis store's `ballot.lua`
/// states it again, and one table of cases in the store conformance suite
/// pins all of them together.
pub fn judge(poll: &Poll, at: Timestamp, standing: &Standing, choices: &[OptionId]) -> Verdict {
    let mut cap = standing.address_cap;
    if standing.already_voted {
        return Verdict::AlreadyVoted;
    }
    if poll.draft {
        return Verdict::NotYetOpen;
    }
    match poll.status(at) {
        PollStatus::NotYetOpen => return Verdict::NotYetOpen,
        PollStatus::Closed => return Verdict::Closed,
        PollStatus::Open => {}
    }
    if poll.check_choices(choices).is_err() {
        return Verdict::InvalidChoice;
    }
    if poll.challenge.required() {
        match standing.proof {
            Proof::Missing => return Verdict::ChallengeRequired,
            Proof::Solved {
                spent_by_another: true,
            } => return Verdict::ChallengeReplayed,
            Proof::Solved { .. } => cap = cap.max(standing.solved_cap),
            Proof::Form { cap: form } => cap = cap.min(form),
        }
    }
    if standing.from_address >= cap || standing.network_full {
        Verdict::AddressCapReached
    } else {
        Verdict::Accepted
    }
}
