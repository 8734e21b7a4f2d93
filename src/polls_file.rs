//! `TALLY_POLLS_FILE`: reading and checking it, and seeding the store with
//! its polls. The file seeds; editors decide. At each start it creates the
//! polls that do not exist and updates those it wrote and no editor has
//! changed since; a poll an editor changed, archived, closed or deleted is
//! left as the editor left it. A poll may be declared a draft (`draft =
//! true`): public once the file or an editor publishes it; the file does
//! not take a published poll that holds ballots back to draft. A poll is
//! the primary site's, or the site's its `site` names. Once the file reads
//! well, nothing in it can stop a start: a poll it cannot write is logged
//! and left to the editors. Every change it makes is in its site's audit
//! log, made by [`POLLS_FILE`].

use std::path::Path;

use anyhow::{Context as _, bail};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::audit::Action;
use crate::editing::{Editing, holds_ballots};
use crate::ids::SiteId;
use crate::poll::{Poll, PollSpec};
use crate::sites::Sites;
use crate::store::{PollState, PutPoll, StoreError};

/// Who the audit log says made the polls file's changes.
pub const POLLS_FILE: &str = "polls-file";

/// The file as written: each poll a table, read as a poll's definition
/// once its `site` is taken out.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PollsFile {
    #[serde(default)]
    polls: Vec<Map<String, Value>>,
}

/// What seeding did with one poll of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seeded {
    Created,
    Updated,
    /// Already as the file says.
    Unchanged,
    /// An editor changed it since the file wrote it (or wrote it
    /// themselves): theirs stands.
    EditorsVersion,
    /// An editor deleted it: it stays deleted.
    Deleted,
    /// The file's version would drop options that hold ballots: left as
    /// it is, for an editor to decide.
    WouldDropBallots(Vec<(String, u64)>),
    /// The file's version is a draft and the poll, published, holds
    /// ballots: left published, for an editor to decide.
    WouldHideBallots,
}

impl Editing {
    /// Seeds the store with the polls of `TALLY_POLLS_FILE` (see the
    /// module's rules) and says what became of each. Only the store being
    /// unavailable fails it; seeding again changes nothing.
    pub async fn seed(&self, polls: &[Poll]) -> Result<Vec<Seeded>, StoreError> {
        let mut seeded = Vec::with_capacity(polls.len());
        for poll in polls {
            let outcome = self.seed_one(poll).await?;
            match &outcome {
                Seeded::Created | Seeded::Updated | Seeded::Unchanged => {}
                Seeded::EditorsVersion => tracing::info!(
                    site = %self.voting.site(),
                    poll = %poll.id,
                    "polls file: an editor changed this poll; the editor's version stays"
                ),
                Seeded::Deleted => tracing::info!(
                    site = %self.voting.site(),
                    poll = %poll.id,
                    "polls file: an editor deleted this poll; it stays deleted"
                ),
                Seeded::WouldDropBallots(held) => tracing::warn!(
                    site = %self.voting.site(),
                    poll = %poll.id,
                    options = ?held,
                    "polls file: its version would drop options that hold ballots; the poll is left as it is for an editor to change in the console"
                ),
                Seeded::WouldHideBallots => tracing::warn!(
                    site = %self.voting.site(),
                    poll = %poll.id,
                    "polls file: its version is a draft but the published poll holds ballots; the poll stays published"
                ),
            }
            seeded.push(outcome);
        }
        Ok(seeded)
    }

    async fn seed_one(&self, poll: &Poll) -> Result<Seeded, StoreError> {
        let fingerprint = poll.fingerprint();
        let from_file = Poll {
            from_file: Some(fingerprint.clone()),
            ..poll.clone()
        };
        let Some(stored) = self.voting.state(&poll.id, None).await? else {
            if self.voting.deleted(&poll.id).await? {
                return Ok(Seeded::Deleted);
            }
            return self.file_writes(&from_file, None, Action::CreatePoll).await;
        };
        let stored_print = stored.poll.fingerprint();
        if stored.poll.from_file.is_none() && stored_print == fingerprint {
            // Written before the file's polls were marked (or by an editor
            // exactly as the file says): the file takes it on, unchanged.
            self.voting.put(&from_file, false).await?;
            return Ok(Seeded::Unchanged);
        }
        if !stored.poll.as_file_wrote_it() {
            return Ok(Seeded::EditorsVersion);
        }
        if stored_print == fingerprint {
            return Ok(Seeded::Unchanged);
        }
        if poll.draft && !stored.poll.draft && holds_ballots(&stored) {
            return Ok(Seeded::WouldHideBallots);
        }
        self.file_writes(&from_file, Some(&stored), Action::ReplacePoll)
            .await
    }

    /// Writes the file's version of a poll over `before` (the state just
    /// read), noted in the audit log.
    async fn file_writes(
        &self,
        poll: &Poll,
        before: Option<&PollState>,
        action: Action,
    ) -> Result<Seeded, StoreError> {
        match self.voting.put(poll, false).await? {
            PutPoll::Conflict(held) => Ok(Seeded::WouldDropBallots(
                held.into_iter()
                    .map(|(option, n)| (option.as_str().to_owned(), n))
                    .collect(),
            )),
            PutPoll::DraftWithBallots => Ok(Seeded::WouldHideBallots),
            PutPoll::Unchanged => Ok(Seeded::Unchanged),
            PutPoll::Created | PutPoll::Replaced => {
                let after = self.voting.state(&poll.id, None).await?;
                self.note(POLLS_FILE, action, &poll.id, before, after.as_ref())
                    .await;
                Ok(if action == Action::CreatePoll {
                    Seeded::Created
                } else {
                    Seeded::Updated
                })
            }
        }
    }
}

/// The polls the file gives one site.
#[derive(Debug, Clone)]
pub struct SitePolls {
    pub site: SiteId,
    pub polls: Vec<Poll>,
}

/// Reads and checks `TALLY_POLLS_FILE` (TOML, or JSON when it ends in
/// `.json`): each poll is the primary site's unless its `site` names
/// another of `sites`. Any problem names the setting and stops the start.
pub fn read_polls_file(path: &Path, sites: &Sites) -> anyhow::Result<Vec<SitePolls>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("TALLY_POLLS_FILE: cannot read {}", path.display()))?;
    let file: PollsFile = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text)
            .with_context(|| format!("TALLY_POLLS_FILE: {} is not valid", path.display()))?
    } else {
        toml::from_str(&text)
            .with_context(|| format!("TALLY_POLLS_FILE: {} is not valid", path.display()))?
    };
    let mut by_site: Vec<SitePolls> = Vec::new();
    for (n, mut entry) in file.polls.into_iter().enumerate() {
        let what = match entry.get("id") {
            Some(Value::String(id)) => format!("poll {id}"),
            _ => format!("poll {}", n + 1),
        };
        let site = match entry.remove("site") {
            None => sites.primary().id.clone(),
            Some(Value::String(site)) => SiteId::parse(&site)
                .ok()
                .filter(|id| sites.get(id).is_some())
                .with_context(|| {
                    format!(
                        "TALLY_POLLS_FILE: {what}: its site {site:?} is not a site{}",
                        if sites.configured() {
                            " of TALLY_SITES_FILE"
                        } else {
                            " (without TALLY_SITES_FILE the one site is default)"
                        }
                    )
                })?,
            Some(_) => bail!("TALLY_POLLS_FILE: {what}: site must be a site's id, in quotes"),
        };
        let spec: PollSpec = serde_json::from_value(Value::Object(entry))
            .with_context(|| format!("TALLY_POLLS_FILE: {what}"))?;
        let id = spec.id.clone();
        let poll = Poll::new(spec).with_context(|| format!("TALLY_POLLS_FILE: poll {id}"))?;
        match by_site.iter_mut().find(|s| s.site == site) {
            Some(found) => found.polls.push(poll),
            None => by_site.push(SitePolls {
                site,
                polls: vec![poll],
            }),
        }
    }
    Ok(by_site)
}
