//! `TALLY_BALLOT_DURABILITY`: what a ballot answered `201` waits for, and
//! the store it needs to promise that.

use std::time::Duration;

use super::{ConfigError, StoreSettings};

/// What a ballot answered `201` waits for beyond the Redis master's memory
/// (`TALLY_BALLOT_DURABILITY`). Each wait but `Store` has a deadline of a
/// quarter of `TALLY_STORE_TIMEOUT`; a ballot not confirmed by then is
/// answered 503, though the master counted it (it is then retracted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BallotDurability {
    /// `store`: no wait; what the store's own persistence gives (the
    /// embedded store fsyncs every ballot; Redis, its AOF policy).
    #[default]
    Store,
    /// `replica`: a replica received the ballot (`WAIT 1`).
    Replica,
    /// `fsync`: the master's append-only file has it on disk
    /// (`WAITAOF 1 0`, Redis 7.2 and later).
    Fsync,
    /// `replica+fsync`: the master's and a replica's append-only files
    /// have it on disk (`WAITAOF 1 1`, Redis 7.2 and later).
    ReplicaFsync,
}

/// The values as written, listed by `--help` without their docs (which
/// would turn the help into a page per setting).
impl clap::ValueEnum for BallotDurability {
    fn value_variants<'a>() -> &'a [Self] {
        &[Self::Store, Self::Replica, Self::Fsync, Self::ReplicaFsync]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}

impl BallotDurability {
    /// The setting's value, as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Store => "store",
            Self::Replica => "replica",
            Self::Fsync => "fsync",
            Self::ReplicaFsync => "replica+fsync",
        }
    }

    /// Whether a replica must confirm each ballot.
    pub fn needs_replica(self) -> bool {
        matches!(self, Self::Replica | Self::ReplicaFsync)
    }

    /// The longest a ballot waits for its confirmation: a quarter of the
    /// store timeout, so a ballot that reached the store promptly hears the
    /// confirmation's own verdict before the store call is given up.
    pub fn deadline(store_timeout: Duration) -> Duration {
        store_timeout / 4
    }

    /// `self`, if `store` can keep its promise.
    pub(super) fn on(self, store: &StoreSettings) -> Result<Self, ConfigError> {
        if self.needs_replica() && matches!(store, StoreSettings::Embedded { .. }) {
            return Err(ConfigError {
                setting: "TALLY_BALLOT_DURABILITY",
                reason: format!(
                    "{} needs Redis with a replica (TALLY_REDIS_URL or TALLY_REDIS_CLUSTER_NODES); \
                     the embedded store has none, and fsyncs every ballot already",
                    self.as_str()
                ),
            });
        }
        Ok(self)
    }
}
