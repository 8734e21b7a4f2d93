//! The domain's identifiers. Each one's only constructor checks it, so past
//! the edge nothing re-checks a string.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use thiserror::Error;

/// Why an identifier was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum IdError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} bytes")]
    TooLong { max: usize },
    #[error("may contain only a-z, 0-9 and '-'")]
    BadCharacter,
    #[error("must not contain control characters")]
    ControlCharacter,
}

/// A portal served by this deployment. Every stored key lives under one, so a
/// deployment can serve several portals without migrating data.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SiteId(Cow<'static, str>);

impl SiteId {
    /// The site of a deployment without a sites file.
    pub const DEFAULT: SiteId = SiteId(Cow::Borrowed("default"));
    /// Longest site id: `[a-z0-9-]{1,64}`.
    pub const MAX_LEN: usize = 64;

    pub fn parse(value: &str) -> Result<Self, IdError> {
        slug(value, Self::MAX_LEN)?;
        Ok(Self(Cow::Owned(value.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn slug(value: &str, max: usize) -> Result<(), IdError> {
    if value.is_empty() {
        return Err(IdError::Empty);
    }
    if value.len() > max {
        return Err(IdError::TooLong { max });
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(IdError::BadCharacter);
    }
    Ok(())
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(value: &str) -> Result<Self, IdError> {
                let check: fn(&str) -> Result<(), IdError> = $check;
                check(value)?;
                Ok(Self(value.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_id!(
    /// A poll: `[a-z0-9-]{1,64}`.
    PollId,
    |v| slug(v, 64)
);

string_id!(
    /// One option of a poll: `[a-z0-9-]{1,64}`.
    OptionId,
    |v| slug(v, 64)
);

string_id!(
    /// A page of the portal, as the widget names it (usually its path): 1 to
    /// 256 bytes, no control characters.
    PageId,
    |v| {
        if v.is_empty() {
            return Err(IdError::Empty);
        }
        if v.len() > PAGE_ID_MAX_BYTES {
            return Err(IdError::TooLong {
                max: PAGE_ID_MAX_BYTES,
            });
        }
        if v.chars().any(char::is_control) {
            return Err(IdError::ControlCharacter);
        }
        Ok(())
    }
);

string_id!(
    /// A ballot as its voter names it (the widget, or the form's hidden
    /// field): 16 to 64 lowercase hex digits. Sent again, it is the same
    /// ballot, so a retry after a lost answer has one fate.
    BallotId,
    |v| {
        if v.len() < 16 {
            return Err(IdError::Empty);
        }
        if v.len() > 64 {
            return Err(IdError::TooLong { max: 64 });
        }
        if !v.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(IdError::BadCharacter);
        }
        Ok(())
    }
);

impl BallotId {
    /// A fresh id, for a ballot whose voter named none.
    pub fn fresh() -> Self {
        Self(hex(&random::<16>()))
    }
}

/// One try at casting a ballot: random, so a retraction can name the try
/// it undoes and keep it from counting if it reaches the store later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Attempt(pub u64);

impl Attempt {
    pub fn fresh() -> Self {
        Self(random_id())
    }

    /// 16 hex digits, as the store keeps it.
    pub fn to_hex(self) -> String {
        hex(&self.0.to_be_bytes())
    }
}

/// The longest page id accepted, in bytes.
pub const PAGE_ID_MAX_BYTES: usize = 256;

/// Who a visitor is, as far as counting and voting go. Three sources, all
/// stored the same way:
///
/// - the `tally_vid` cookie and the first-party id the widget keeps in the
///   portal's own storage (`Tally-Visitor`): `c.` + 36 hex digits, a person;
/// - a keyed hash of address and User-Agent (`a.` + 32 hex digits), which
///   several people behind one address may share. Never a raw address.
///
/// The first four hex digits are the visitor's *slot tag*: a cookie issued to
/// a visitor first known by an address hash starts with that hash's tag, so
/// both keys live in the same Redis Cluster slot and one script can carry the
/// visit over from one to the other.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VisitorKey(String);

/// Hex digits in a visitor id: a 4-digit slot tag and 128 random bits.
pub const VISITOR_ID_HEX_LEN: usize = 36;

impl VisitorKey {
    /// The person named by a `tally_vid` cookie or a first-party id, if the
    /// value is well formed.
    pub fn from_cookie(value: &str) -> Option<Self> {
        let ok = value.len() == VISITOR_ID_HEX_LEN
            && value
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| Self(format!("c.{value}")))
    }

    /// The visitor known only by a keyed hash of address and User-Agent.
    pub fn from_address_hash(hash: [u8; 16]) -> Self {
        Self(format!("a.{}", hex(&hash)))
    }

    /// A fresh visitor id for a visitor known so far as `self`, sharing its
    /// slot tag. `random` supplies the 128 random bits.
    pub fn new_cookie_value(&self, random: [u8; 16]) -> String {
        format!("{}{}", self.slot_tag(), hex(&random))
    }

    /// The id as a cookie carries it (without the `c.`); `None` for an
    /// address hash, which is never handed to a client.
    pub fn cookie_value(&self) -> Option<&str> {
        self.0.strip_prefix("c.")
    }

    /// Whether this names one person (a cookie or first-party id) rather
    /// than an address hash that several people may share.
    pub fn is_person(&self) -> bool {
        self.0.starts_with("c.")
    }

    /// Rebuilds a key as [`Self::as_str`] wrote it; `None` if it is not one.
    pub fn from_stored(value: &str) -> Option<Self> {
        match value.split_once('.') {
            Some(("c", rest)) => Self::from_cookie(rest),
            Some(("a", rest))
                if rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                Some(Self(value.to_owned()))
            }
            _ => None,
        }
    }

    /// The four hex digits that choose this visitor's Redis Cluster slot.
    pub fn slot_tag(&self) -> &str {
        &self.0[2..6]
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VisitorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One visit: the id of the hit that began it. "Online" counts visits, not
/// identities, so a person whose identity changes mid-visit (address hash,
/// then cookie) is still one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VisitId(pub u64);

impl VisitId {
    /// 16 hex digits, as the store keeps it.
    pub fn to_hex(self) -> String {
        hex(&self.0.to_be_bytes())
    }
}

/// A page as a visitor's memory keeps it: 64 bits of its hash. A collision
/// (about one in 10^19 per pair) can only hide a view, never add one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PageKey(pub u64);

impl PageKey {
    pub fn of(page: &PageId) -> Self {
        let hash = blake3::hash(page.as_str().as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&hash.as_bytes()[..8]);
        Self(u64::from_be_bytes(first))
    }

    /// 16 hex digits, as the store keeps it.
    pub fn to_hex(self) -> String {
        hex(&self.0.to_be_bytes())
    }
}

/// A client address as the store may see it: a keyed hash, hex-encoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AddressKey(String);

impl AddressKey {
    pub fn from_hash(hash: [u8; 16]) -> Self {
        Self(hex(&hash))
    }

    /// As [`Self::as_str`] wrote it: 32 lowercase hex digits.
    pub fn from_stored(value: &str) -> Option<Self> {
        (value.len() == 32
            && value
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .then(|| Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A random number for an id that must not repeat (a hit's, a ballot
/// try's) but is never a secret: from the thread's generator, seeded by the
/// operating system, so it costs no system call as [`random`] does.
pub fn random_id() -> u64 {
    rand::random()
}

/// Fresh random bytes from the operating system.
pub fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    bytes
}

/// `bytes` as lowercase hex digits.
pub(crate) fn hex(bytes: &[u8]) -> String {
    // Into a buffer of its own length: `hex::encode` gathers its digits
    // one `char` at a time, which on a hit's path cost more than the hash.
    let mut digits = vec![0; bytes.len() * 2];
    ::hex::encode_to_slice(bytes, &mut digits).expect("the buffer holds two digits a byte");
    String::from_utf8(digits).expect("hex digits are ASCII")
}

/// Exactly `2 * N` lowercase hex digits as `N` bytes; anything else
/// (uppercase included: each value has one spelling) is `None`.
pub(crate) fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut out = [0u8; N];
    ::hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests;
