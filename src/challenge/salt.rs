//! The salt: which poll a challenge is for, until when, at what level, and
//! random digits, padded so the salt fills whole SHA-256 blocks.
//!
//! `<poll>.<expiry, Unix seconds>.<level>.<random hex>.` — for example
//! `danh-gia-cong.1764680400.2.9f3c…e1.`. Clients treat it as opaque. The
//! random part is at least 32 hex digits (its first 32 are the spend id) and
//! as long as it takes for the salt to be a multiple of 64 bytes, so a solver
//! hashes the salt once and each number in one block. The final `.` keeps the
//! salt and the number apart: no digit can move from one to the other.

use jiff::Timestamp;

use super::level::Level;
use super::proof::SpendId;
use crate::ids::PollId;

/// The longest salt accepted: a 64-byte poll id's salt is 128 bytes; the rest
/// is room for expiry times past the year 2286.
pub(crate) const MAX_LEN: usize = 192;
/// Random bytes drawn for a salt: enough for the longest padding.
pub(crate) const RANDOM_BYTES: usize = 48;
const MIN_RANDOM_DIGITS: usize = 32;
const BLOCK: usize = 64;

/// What a well-formed salt says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parts<'a> {
    pub poll: &'a str,
    pub expires_at: Timestamp,
    pub level: Level,
    pub id: SpendId,
}

/// The salt for `poll`, padded with `random`'s hex digits.
pub(crate) fn encode(
    poll: &PollId,
    expires_at: Timestamp,
    level: Level,
    random: &[u8; RANDOM_BYTES],
) -> String {
    let mut salt = format!("{poll}.{}.{level}.", expires_at.as_second());
    let fixed = salt.len() + MIN_RANDOM_DIGITS + 1;
    let digits = fixed.next_multiple_of(BLOCK) - fixed + MIN_RANDOM_DIGITS;
    salt.push_str(&crate::ids::hex(random)[..digits]);
    salt.push('.');
    salt
}

/// The parts of a salt this service wrote, or `None` for anything else.
/// Allocates nothing.
pub(crate) fn parse(salt: &str) -> Option<Parts<'_>> {
    if salt.len() > MAX_LEN {
        return None;
    }
    let mut fields = salt.strip_suffix('.')?.split('.');
    let (poll, expiry, level, random) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    if fields.next().is_some() || !is_poll_id(poll) {
        return None;
    }
    let expires_at = Timestamp::from_second(number(expiry, 12)?.try_into().ok()?).ok()?;
    let level = Level::new(number(level, 2)?.try_into().ok()?)?;
    if random.len() < MIN_RANDOM_DIGITS
        || !random
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    let id = SpendId(crate::ids::from_hex(random.get(..MIN_RANDOM_DIGITS)?)?);
    Some(Parts {
        poll,
        expires_at,
        level,
        id,
    })
}

/// The same rule as [`PollId`]'s, without making one.
fn is_poll_id(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Up to `most` decimal digits, no sign, no leading zero.
fn number(text: &str, most: usize) -> Option<u64> {
    let canonical = !text.starts_with('0') || text == "0";
    if text.is_empty() || text.len() > most || !canonical {
        return None;
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).unwrap()
    }

    #[test]
    fn salts_fill_whole_blocks_and_parse_back() {
        for len in [1, 13, 17, 18, 40, 64] {
            let poll = PollId::parse(&"p".repeat(len)).unwrap();
            let salt = encode(&poll, at(1_764_680_400), Level::ON, &[0xab; RANDOM_BYTES]);
            assert_eq!(salt.len() % BLOCK, 0, "{salt}");
            assert!(salt.len() <= 128);
            let parts = parse(&salt).unwrap();
            assert_eq!(parts.poll, poll.as_str());
            assert_eq!(parts.expires_at, at(1_764_680_400));
            assert_eq!(parts.level, Level::ON);
            assert_eq!(parts.id, SpendId([0xab; 16]));
        }
    }

    #[test]
    fn anything_else_is_refused() {
        let good = format!("poll.1764680400.2.{}.", "a".repeat(32));
        assert!(parse(&good).is_some());
        for bad in [
            String::new(),
            good.trim_end_matches('.').to_owned(),
            format!("poll.1764680400.2.{}.", "a".repeat(31)),
            format!("poll.1764680400.2.{}.", "A".repeat(32)),
            format!("poll.01764680400.2.{}.", "a".repeat(32)),
            format!("poll.+1764680400.2.{}.", "a".repeat(32)),
            format!("poll.1764680400.9.{}.", "a".repeat(32)),
            format!("Poll.1764680400.2.{}.", "a".repeat(32)),
            format!("poll.1764680400.2.x.{}.", "a".repeat(32)),
            format!("poll.1764680400.2.{}.", "a".repeat(200)),
            format!(".1764680400.2.{}.", "a".repeat(32)),
        ] {
            assert_eq!(parse(&bad), None, "{bad}");
        }
    }
}
