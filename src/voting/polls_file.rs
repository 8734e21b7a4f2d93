//! `TALLY_POLLS_FILE`: reading and checking it, and storing its polls.

use std::path::Path;

use anyhow::Context as _;
use serde::Deserialize;

use super::Voting;
use crate::poll::{Poll, PollSpec, PollStatus};
use crate::store::{PutPoll, StoreError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PollsFile {
    #[serde(default)]
    polls: Vec<PollSpec>,
}

impl Voting {
    /// Stores the polls of `TALLY_POLLS_FILE`. Storing the same polls
    /// again changes nothing; a poll an editor closed is not reopened;
    /// dropping options that hold ballots is refused.
    pub async fn install(&self, polls: &[Poll]) -> Result<(), InstallError> {
        let now = self.clock.now();
        for poll in polls {
            let mut poll = poll.clone();
            if let Some(stored) = self.state(&poll.id, None).await? {
                let closed_by_editor = stored.poll.status(now) == PollStatus::Closed
                    && poll.status(now) == PollStatus::Open;
                if closed_by_editor {
                    poll.closes_at = stored.poll.closes_at;
                }
            }
            if let PutPoll::Conflict(orphans) = self.put(&poll, false).await? {
                let held: Vec<String> = orphans
                    .iter()
                    .map(|(o, n)| format!("{o} ({n} ballots)"))
                    .collect();
                return Err(InstallError::Conflict(anyhow::anyhow!(
                    "TALLY_POLLS_FILE: poll {} would drop options that hold ballots: {}; replace it through the admin API with force=true",
                    poll.id,
                    held.join(", ")
                )));
            }
        }
        Ok(())
    }
}

/// Why the polls file could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Conflict(anyhow::Error),
}

/// Reads and checks `TALLY_POLLS_FILE` (TOML, or JSON when it ends in
/// `.json`). Any problem names the setting and stops the start.
pub fn read_polls_file(path: &Path) -> anyhow::Result<Vec<Poll>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("TALLY_POLLS_FILE: cannot read {}", path.display()))?;
    let file: PollsFile = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text)
            .with_context(|| format!("TALLY_POLLS_FILE: {} is not valid", path.display()))?
    } else {
        toml::from_str(&text)
            .with_context(|| format!("TALLY_POLLS_FILE: {} is not valid", path.display()))?
    };
    file.polls
        .into_iter()
        .map(|spec| {
            let id = spec.id.clone();
            Poll::new(spec).with_context(|| format!("TALLY_POLLS_FILE: poll {id}"))
        })
        .collect()
}
