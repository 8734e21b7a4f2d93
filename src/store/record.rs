//! How poll records are written as strings, the same in both stores: a
//! poll's definition is JSON, a voter's record
//! `<ballot id>/<attempt>|<option ids>`, a spent challenge's spender
//! `<ballot id>/<visitor>`, an address-hashing key 64 hex digits.

use crate::ids::{Attempt, BallotId, OptionId, VisitorKey};
use crate::poll::Poll;
use crate::store::StoreError;

/// A voter's record: the ballot's id, so a retry of it is recognised; the
/// try that last cast or claimed it, so a retraction undoes only its own;
/// and the choices.
pub fn voter_record(ballot: &BallotId, attempt: Attempt, choices: &[OptionId]) -> String {
    let ids: Vec<&str> = choices.iter().map(OptionId::as_str).collect();
    format!("{ballot}/{}|{}", attempt.to_hex(), ids.join(","))
}

/// Who spent a challenge's solution: the ballot and the person casting it,
/// `<ballot id>/<visitor>`. A solution buys one counted ballot: a retry of
/// that ballot by that person may bring it again, and nobody else may,
/// whatever ballot id they send.
pub fn spender(ballot: &BallotId, visitor: &VisitorKey) -> String {
    format!("{ballot}/{visitor}")
}

/// The record's ballot id, try and choices (records written before tries
/// were kept have no try).
fn parts(record: &str) -> Option<(&str, &str, &str)> {
    let (tag, choices) = record.split_once('|')?;
    let (ballot, attempt) = tag.split_once('/').unwrap_or((tag, ""));
    Some((ballot, attempt, choices))
}

/// The choices of `record` if it is ballot `ballot`'s, whichever try.
pub fn choices_of_ballot<'r>(record: &'r str, ballot: &BallotId) -> Option<&'r str> {
    let (id, _, choices) = parts(record)?;
    (id == ballot.as_str()).then_some(choices)
}

/// The choices of `record` if try `attempt` of ballot `ballot` holds it.
pub fn choices_of_attempt<'r>(
    record: &'r str,
    ballot: &BallotId,
    attempt: Attempt,
) -> Option<&'r str> {
    let (id, tried, choices) = parts(record)?;
    (id == ballot.as_str() && tried == attempt.to_hex()).then_some(choices)
}

/// Parses a voter's record (`<ballot id>|<option ids>`); `None` for ''.
pub fn choices(stored: &str) -> Option<Vec<OptionId>> {
    if stored.is_empty() {
        return None;
    }
    let ids = stored.split_once('|').map_or(stored, |(_, ids)| ids);
    Some(
        ids.split(',')
            .filter_map(|id| OptionId::parse(id).ok())
            .collect(),
    )
}

pub fn parse_poll(def: &str) -> Result<Poll, StoreError> {
    serde_json::from_str(def).map_err(|e| StoreError::Corrupt(format!("stored poll: {e}")))
}

pub fn parse_key(stored: &str) -> Option<[u8; 32]> {
    crate::ids::from_hex(stored)
}
