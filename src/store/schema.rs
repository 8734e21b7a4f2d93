//! What a store says it is: the schema version that wrote it, what opening
//! it does about that, and the upgrade steps from each older version.
//!
//! Each store keeps one stamp (the embedded store in its `meta` table,
//! Redis under [`super::keys::schema`]). Opening a store reads it first,
//! before writing anything: an empty store is stamped; a store with data
//! and no stamp was written before stamps existed (version 0) and is
//! upgraded; an older stamp is upgraded step by step; a newer one is
//! refused, as this tally cannot know what it would read or write there.

use jiff::Timestamp;
use thiserror::Error;

/// The schema this tally reads and writes: its keys, tables and encodings.
/// Raise it with every change an older store needs a step for, and add the
/// step to each store's `upgrade` (`embedded/schema.rs`, `redis/schema.rs`)
/// and a fixture of the new version under `tests/fixtures/stores/`.
pub const SCHEMA: u32 = 1;

/// What a store said about itself, read before anything is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// Nothing in it: a new store.
    Empty,
    /// Data, and no stamp: written before stamps (version 0).
    Unstamped,
    /// A stamp.
    Stamped(u32),
}

/// What opening did about the stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// The store was empty and is now stamped.
    Stamped,
    /// The stamp was this tally's: nothing to do.
    Current,
    /// The store was upgraded in place from `from` (0: no stamp) to
    /// [`SCHEMA`], which the audit log records.
    Upgraded { from: u32 },
}

/// What to do with a store, from what it said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Write the stamp (an empty store).
    Stamp,
    Keep,
    /// Run the steps from `from` to [`SCHEMA`], then write the stamp and
    /// an audit entry.
    Upgrade {
        from: u32,
    },
    /// Written by a newer tally: touch nothing.
    Refuse {
        found: u32,
    },
}

impl Plan {
    pub fn for_store(found: Found) -> Self {
        match found {
            Found::Empty => Plan::Stamp,
            Found::Unstamped => Plan::Upgrade { from: 0 },
            Found::Stamped(v) if v == SCHEMA => Plan::Keep,
            Found::Stamped(v) if v < SCHEMA => Plan::Upgrade { from: v },
            Found::Stamped(found) => Plan::Refuse { found },
        }
    }

    /// What was done, once the plan is carried out.
    pub fn settled(self) -> Settled {
        match self {
            Plan::Stamp => Settled::Stamped,
            Plan::Upgrade { from } => Settled::Upgraded { from },
            Plan::Keep | Plan::Refuse { .. } => Settled::Current,
        }
    }
}

/// A store written by a newer tally; its message is the line the start
/// stops with.
#[derive(Debug, Error)]
#[error(
    "the store at {place} was written by schema {found}, newer than this tally's {SCHEMA}; \
     run a newer tally or restore from a backup"
)]
pub struct Newer {
    /// Where the store is: the file, or the Redis address (no password).
    pub place: String,
    pub found: u32,
}

/// The audit entry of an upgrade, in the audit log's format
/// ([`crate::audit::AuditEntry`]: its tests read it back).
pub fn upgrade_entry(from: u32, at: Timestamp) -> String {
    serde_json::json!({
        "at": at,
        "who": "tally",
        "action": "upgrade_store",
        "target": "store",
        "before": {"schema": from},
        "after": {"schema": SCHEMA},
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_newer_stamp_is_refused() {
        assert_eq!(Plan::for_store(Found::Empty), Plan::Stamp);
        assert_eq!(Plan::for_store(Found::Unstamped), Plan::Upgrade { from: 0 });
        assert_eq!(Plan::for_store(Found::Stamped(SCHEMA)), Plan::Keep);
        assert_eq!(
            Plan::for_store(Found::Stamped(SCHEMA + 1)),
            Plan::Refuse { found: SCHEMA + 1 }
        );
        assert_eq!(
            Plan::for_store(Found::Stamped(0)),
            Plan::Upgrade { from: 0 }
        );
    }

    #[test]
    fn a_newer_store_is_one_line_naming_both_versions() {
        let newer = Newer {
            place: "/data/tally.redb".into(),
            found: SCHEMA + 1,
        };
        assert_eq!(
            newer.to_string(),
            format!(
                "the store at /data/tally.redb was written by schema {}, newer than this \
                 tally's {SCHEMA}; run a newer tally or restore from a backup",
                SCHEMA + 1
            )
        );
    }
}
