//! What a store call answers when the store could not do what was asked.

use thiserror::Error;

/// The store could not do what was asked.
#[derive(Debug, Clone, Error)]
pub enum StoreError {
    /// The store did not answer (down, unreachable, too slow).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store refused tally's credentials: a setting to fix, not a
    /// failure to wait out.
    #[error("store refused the credentials: {0}")]
    Credentials(String),
    /// The store answered something this version cannot read.
    #[error("unexpected data in the store: {0}")]
    Corrupt(String),
}
