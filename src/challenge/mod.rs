//! Ballot challenges: a self-hosted proof of work that a browser solves in a
//! moment and that makes every ballot cost a script the same moment.
//!
//! The protocol (the idea of ALTCHA's first version, built here):
//!
//! 1. `GET /v1/polls/{id}/challenge` answers a [`Challenge`]: a `salt`, a
//!    `maxnumber`, the `challenge` = hex SHA-256(`salt` + a secret number
//!    drawn uniformly from `0..=maxnumber`), its `signature` = hex
//!    HMAC-SHA256(key, `challenge`), and `expires_at`. Nothing is stored.
//! 2. The widget tries numbers from 0 until the hash matches (on average
//!    half of `maxnumber` hashes, never more than all of them) and sends the
//!    [`Solution`] with the ballot, best as the compact string
//!    `<salt><number>.<signature>`.
//! 3. [`Challenges::verify`] recomputes the hash, checks the signature in
//!    constant time, the poll named in the salt and the expiry, and answers
//!    a [`Spend`]: the store records it with the ballot, atomically, until
//!    [`Spend::remember_until`], so each solution counts once.
//!
//! How hard: a [`Level`] from a small table, chosen per poll by its
//! [`ChallengeMode`] — `off`, `on` (a fixed level) or `auto` (the
//! [`Controller`]'s level, which follows the poll's traffic).

mod difficulty;
mod level;
mod network;
mod normal;
mod proof;
mod salt;
mod solution;
mod watch;

pub use difficulty::{Controller, Observation, Reason, Step, Tuning};
pub use level::{ChallengeMode, Level};
pub use network::NetworkKey;
pub use proof::{
    ALGORITHM, CLOCK_SKEW_GRACE, Challenge, ChallengeError, Challenges, DEFAULT_TTL, Spend,
    SpendId, key_from_secret, site_key,
};
pub use solution::{MAX_COMPACT_LEN, Solution};

#[cfg(test)]
mod tests;
