//! A solution as a ballot carries it: an object `{"salt", "number",
//! "signature", "challenge"?}` or the compact string
//! `<salt><number>.<signature>`. Every field is length-checked before it is
//! decoded, so hostile input costs no more than its own bytes.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::proof::ChallengeError;
use super::salt;

/// The longest compact solution: a salt, 20 digits, a dot, 64 hex digits.
pub const MAX_COMPACT_LEN: usize = salt::MAX_LEN + 20 + 1 + 64;

/// A solved challenge, well-formed but not yet verified: see
/// [`Challenges::verify`](super::Challenges::verify).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solution {
    salt: String,
    number: u64,
    signature: [u8; 32],
    challenge: Option<[u8; 32]>,
}

impl Solution {
    /// A solution from its parts; `signature` as bytes.
    pub fn new(salt: &str, number: u64, signature: [u8; 32]) -> Result<Self, ChallengeError> {
        if salt.len() > salt::MAX_LEN || !salt.ends_with('.') {
            return Err(ChallengeError::Malformed);
        }
        Ok(Self {
            salt: salt.to_owned(),
            number,
            signature,
            challenge: None,
        })
    }

    /// Reads the compact form `<salt><number>.<signature>`, what the widget
    /// sends: the salt exactly as issued (it ends with `.`), the number in
    /// decimal, a dot, the signature's 64 hex digits.
    pub fn parse_compact(text: &str) -> Result<Self, ChallengeError> {
        let malformed = ChallengeError::Malformed;
        if text.len() > MAX_COMPACT_LEN {
            return Err(malformed);
        }
        let (message, signature) = text.rsplit_once('.').ok_or(malformed)?;
        let signature = crate::ids::from_hex::<32>(signature).ok_or(malformed)?;
        let digits_at = message.rfind('.').ok_or(malformed)? + 1;
        let (salt, digits) = message.split_at(digits_at);
        Self::new(salt, decimal(digits).ok_or(malformed)?, signature)
    }

    /// The compact form, as [`Solution::parse_compact`] reads it.
    pub fn to_compact(&self) -> String {
        format!(
            "{}{}.{}",
            self.salt,
            self.number,
            crate::ids::hex(&self.signature)
        )
    }

    pub fn salt(&self) -> &str {
        &self.salt
    }

    pub fn number(&self) -> u64 {
        self.number
    }

    pub(crate) fn signature(&self) -> &[u8; 32] {
        &self.signature
    }

    /// The challenge the client claims to have solved, if it sent one
    /// (verification recomputes it anyway).
    pub(crate) fn challenge(&self) -> Option<&[u8; 32]> {
        self.challenge.as_ref()
    }
}

/// 1 to 20 decimal digits with no sign, as a `u64`.
fn decimal(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl Serialize for Solution {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut object = serializer.serialize_struct("Solution", 3)?;
        object.serialize_field("salt", &self.salt)?;
        object.serialize_field("number", &self.number)?;
        object.serialize_field("signature", &crate::ids::hex(&self.signature))?;
        object.end()
    }
}

impl<'de> Deserialize<'de> for Solution {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SolutionVisitor)
    }
}

struct SolutionVisitor;

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Field {
    Salt,
    Number,
    Signature,
    Challenge,
    #[serde(other)]
    Other,
}

/// A string refused, before it is copied, when longer than `N` bytes.
struct Bounded<const N: usize>(String);

impl<'de, const N: usize> Deserialize<'de> for Bounded<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BoundedVisitor<const N: usize>;
        impl<const N: usize> Visitor<'_> for BoundedVisitor<N> {
            type Value = Bounded<N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a string of at most {N} bytes")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                if text.len() > N {
                    return Err(E::invalid_length(text.len(), &self));
                }
                Ok(Bounded(text.to_owned()))
            }
        }
        deserializer.deserialize_str(BoundedVisitor::<N>)
    }
}

/// 64 hex digits as 32 bytes, or a serde error.
fn digest<'de, A: MapAccess<'de>>(map: &mut A) -> Result<[u8; 32], A::Error> {
    let Bounded::<64>(text) = map.next_value()?;
    crate::ids::from_hex::<32>(&text)
        .ok_or_else(|| de::Error::custom("expected 64 lowercase hex digits"))
}

impl<'de> Visitor<'de> for SolutionVisitor {
    type Value = Solution;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a challenge solution: {\"salt\", \"number\", \"signature\"} or its compact string",
        )
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Solution, E> {
        Solution::parse_compact(text).map_err(E::custom)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Solution, A::Error> {
        let (mut salt, mut number, mut signature, mut challenge) = (None, None, None, None);
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Salt => salt = Some(map.next_value::<Bounded<{ salt::MAX_LEN }>>()?.0),
                Field::Number => number = Some(map.next_value::<u64>()?),
                Field::Signature => signature = Some(digest(&mut map)?),
                Field::Challenge => challenge = Some(digest(&mut map)?),
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let salt = salt.ok_or_else(|| de::Error::missing_field("salt"))?;
        let number = number.ok_or_else(|| de::Error::missing_field("number"))?;
        let signature = signature.ok_or_else(|| de::Error::missing_field("signature"))?;
        let mut solution = Solution::new(&salt, number, signature).map_err(de::Error::custom)?;
        solution.challenge = challenge;
        Ok(solution)
    }
}
