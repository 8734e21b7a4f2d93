//! How poll records are written as strings, the same in both stores: a
//! poll's definition is JSON, a voter's record `<ballot id>|<option ids>`,
//! an address-hashing key 64 hex digits.

use crate::ids::OptionId;
use crate::poll::Poll;
use crate::store::StoreError;

/// A voter's record: the ballot's id, so a ballot can be recognised, and
/// its choices.
pub fn voter_record(ballot: u64, choices: &[OptionId]) -> String {
    let ids: Vec<&str> = choices.iter().map(OptionId::as_str).collect();
    format!("{ballot}|{}", ids.join(","))
}

/// The choices of `record` if it is ballot `ballot`'s.
pub fn choices_of_ballot(record: &str, ballot: u64) -> Option<&str> {
    let (id, choices) = record.split_once('|')?;
    (id.parse() == Ok(ballot)).then_some(choices)
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
    if stored.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(stored.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(key)
}
