//! Issuing and verifying challenges: a signed, expiring puzzle that costs a
//! browser a moment and a ballot-stuffing script that moment per ballot.

use hmac::{Hmac, KeyInit, Mac};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use thiserror::Error;

use super::level::Level;
use super::salt;
use super::solution::Solution;
use crate::ids::PollId;

/// How long a challenge stays solvable: long enough to read the question
/// and decide, short enough that spent solutions are soon forgotten.
pub const DEFAULT_TTL: SignedDuration = SignedDuration::from_mins(10);
/// How long past its expiry the store remembers a spent solution, so that a
/// replica whose clock runs behind the store's (by less than this) cannot be
/// fooled into a second acceptance after the store has forgotten the first.
pub const CLOCK_SKEW_GRACE: SignedDuration = SignedDuration::from_mins(5);
/// The only algorithm, named as clients expect it.
pub const ALGORITHM: &str = "SHA-256";

/// The challenge key: a 32-byte HMAC-SHA256 key, the same on every replica.
#[derive(Clone)]
pub struct Challenges {
    mac: Hmac<Sha256>,
    ttl: SignedDuration,
}

/// A challenge as `GET /v1/polls/{id}/challenge` answers it. Find `number`
/// in `0..=maxnumber` with `hex(SHA-256(salt + decimal(number))) ==
/// challenge`, then send it back as a [`Solution`] before `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// Always `"SHA-256"`.
    pub algorithm: String,
    /// 64 hex digits: SHA-256 of the salt followed by the secret number.
    pub challenge: String,
    /// Opaque to clients; hashed as its bytes, before the number's digits.
    pub salt: String,
    /// The secret number is at most this.
    pub maxnumber: u64,
    /// 64 hex digits: HMAC-SHA256 of `challenge` (its hex digits).
    pub signature: String,
    /// After this, solutions are refused as expired.
    pub expires_at: Timestamp,
    /// The difficulty, for the widget's timing report and for metrics.
    pub level: Level,
}

/// A solution accepted by [`Challenges::verify`]: what the store must
/// remember, atomically with the ballot, so that it is accepted only once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spend {
    /// Names the challenge: 16 random bytes from its salt.
    pub id: SpendId,
    /// The level it was solved at.
    pub level: Level,
    /// When the challenge expired or will expire.
    pub expires_at: Timestamp,
    /// Until when to remember the spend: `expires_at` plus [`CLOCK_SKEW_GRACE`].
    pub remember_until: Timestamp,
}

/// A spent challenge's fixed-size name; `Display` gives 32 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpendId(pub(crate) [u8; 16]);

impl SpendId {
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl std::fmt::Display for SpendId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::ids::hex(&self.0))
    }
}

/// Why a solution was refused. Each has a stable code for the HTTP error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ChallengeError {
    /// Not a solution this service could have issued (wrong shape, sizes,
    /// digits or salt format).
    #[error("the challenge solution is malformed")]
    Malformed,
    /// The signature or the hash does not match: forged, altered or wrong.
    #[error("the challenge solution is not valid")]
    Invalid,
    /// A genuine solution whose challenge has expired.
    #[error("the challenge has expired")]
    Expired,
    /// A genuine solution to another poll's challenge.
    #[error("the challenge was issued for another poll")]
    OtherPoll,
    /// A genuine solution below the level asked of the ballot now (raised
    /// since it was issued, or asked of the network it comes from).
    #[error("the challenge is easier than the level asked now")]
    TooEasy,
}

impl ChallengeError {
    /// The error code clients and metrics see.
    pub fn code(self) -> &'static str {
        match self {
            ChallengeError::Malformed => "challenge_malformed",
            ChallengeError::Invalid => "challenge_invalid",
            ChallengeError::Expired => "challenge_expired",
            ChallengeError::OtherPoll => "challenge_other_poll",
            ChallengeError::TooEasy => "challenge_too_easy",
        }
    }
}

/// A challenge key from a setting's text: SHA-256 of it, domain-separated.
/// The text should hold at least 128 bits of entropy (for example 32 random
/// hex digits); the hash adds none.
pub fn key_from_secret(secret: &str) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(b"tally challenge key v1\0");
    hash.update(secret.as_bytes());
    hash.finalize().into()
}

/// The key a site other than the primary signs its challenges with, from
/// the configured `key`: a solution to one site's poll is no solution to
/// another site's poll of the same id.
pub fn site_key(key: [u8; 32], site: &crate::ids::SiteId) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(b"tally challenge site key v1\0");
    hash.update(key);
    hash.update(site.as_str().as_bytes());
    hash.finalize().into()
}

impl Challenges {
    /// Challenges signed with `key`, valid for [`DEFAULT_TTL`].
    pub fn new(key: [u8; 32]) -> Self {
        // HMAC pads a key shorter than SHA-256's 64-byte block with zeros
        // (RFC 2104); doing it here spares a fallible constructor.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&key);
        Self {
            mac: Hmac::new(&block.into()),
            ttl: DEFAULT_TTL,
        }
    }

    /// The same key, with challenges valid for `ttl` (at least a minute).
    pub fn with_ttl(mut self, ttl: SignedDuration) -> Self {
        self.ttl = ttl.max(SignedDuration::from_mins(1));
        self
    }

    /// A fresh challenge for `poll` at `level`. Stores nothing.
    pub fn issue(&self, poll: &PollId, level: Level, now: Timestamp) -> Challenge {
        let mut random = [0u8; salt::RANDOM_BYTES];
        fill_random(&mut random);
        let expires_at = Timestamp::from_second(now.as_second().saturating_add(self.ttl.as_secs()))
            .unwrap_or(Timestamp::MAX);
        let salt = salt::encode(poll, expires_at, level, &random);
        let maxnumber = level.maxnumber();
        let digest = hash(&salt, uniform(maxnumber));
        let challenge = crate::ids::hex(&digest);
        let signature = crate::ids::hex(&self.sign(&challenge));
        Challenge {
            algorithm: ALGORITHM.to_owned(),
            challenge,
            salt,
            maxnumber,
            signature,
            expires_at,
            level,
        }
    }

    /// Checks a solution for `poll` at `now`: the hash and signature first
    /// (in constant time), then the poll, then the expiry. On success, the
    /// caller records the [`Spend`] with the ballot, atomically, and refuses
    /// a spend already recorded.
    pub fn verify(
        &self,
        poll: &PollId,
        solution: &Solution,
        now: Timestamp,
    ) -> Result<Spend, ChallengeError> {
        let parts = salt::parse(solution.salt()).ok_or(ChallengeError::Malformed)?;
        let digest = hash(solution.salt(), solution.number());
        let hash_ok = solution
            .challenge()
            .map_or(subtle::Choice::from(1), |claimed| claimed.ct_eq(&digest));
        let signed_ok = self
            .sign(&crate::ids::hex(&digest))
            .ct_eq(solution.signature());
        if !bool::from(hash_ok & signed_ok) {
            return Err(ChallengeError::Invalid);
        }
        if parts.poll != poll.as_str() {
            return Err(ChallengeError::OtherPoll);
        }
        if now >= parts.expires_at {
            return Err(ChallengeError::Expired);
        }
        Ok(Spend {
            id: parts.id,
            level: parts.level,
            expires_at: parts.expires_at,
            remember_until: parts
                .expires_at
                .checked_add(CLOCK_SKEW_GRACE)
                .unwrap_or(Timestamp::MAX),
        })
    }

    fn sign(&self, challenge_hex: &str) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(challenge_hex.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for Challenges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Challenges")
            .field("key", &"<redacted>")
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl Challenge {
    /// Solves it as the widget does, trying every number from 0: up to
    /// `maxnumber + 1` hashes. For tests and tools; `None` if unsolvable.
    pub fn solve(&self) -> Option<Solution> {
        let target = crate::ids::from_hex::<32>(&self.challenge)?;
        let signature = crate::ids::from_hex::<32>(&self.signature)?;
        let number = (0..=self.maxnumber).find(|&n| hash(&self.salt, n) == target)?;
        Solution::new(&self.salt, number, signature).ok()
    }
}

/// SHA-256 of the salt's bytes followed by the number's decimal digits.
pub(crate) fn hash(salt: &str, number: u64) -> [u8; 32] {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = number;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let mut hash = Sha256::new();
    hash.update(salt.as_bytes());
    hash.update(&digits[at..]);
    hash.finalize().into()
}

/// A number drawn uniformly from `0..=max`, so the work is bounded by `max`
/// and its average is half of it.
fn uniform(max: u64) -> u64 {
    let Some(span) = max.checked_add(1) else {
        return random_u64();
    };
    // 2^64 - threshold is a multiple of span: below it, `% span` is unbiased.
    let threshold = span.wrapping_neg() % span;
    loop {
        let draw = random_u64();
        if draw >= threshold {
            return draw % span;
        }
    }
}

fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    fill_random(&mut bytes);
    u64::from_le_bytes(bytes)
}

fn fill_random(bytes: &mut [u8]) {
    getrandom::fill(bytes).expect("the operating system provides randomness");
}
