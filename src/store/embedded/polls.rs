//! Polls in the embedded store: each function is one atomic step inside a
//! write transaction, mirroring the Redis scripts; a list's states are one
//! read transaction.

use std::collections::HashMap;

use async_trait::async_trait;
use redb::{Durability, ReadableTable, WriteTransaction};

use super::tables::{
    ADDRESS_BALLOTS, COUNTERS, DELETED_POLLS, POLL_COUNTS, POLLS, VOTERS, add, field, read_u64,
    with_prefix,
};
use super::{EmbeddedStore, ballots};
use crate::ids::{OptionId, PollId, SiteId, VisitorKey};
use crate::poll::Poll;
use crate::store::keys::{self, PollKeys};
use crate::store::record::{choices, parse_poll};
use crate::store::{
    Ballot, PollState, Polls, PutPoll, Retraction, StoreError, VOTERS_FIELD, Verdict,
};

pub(super) fn poll_state_in(
    polls: &impl ReadableTable<&'static str, &'static str>,
    counts: &impl ReadableTable<&'static str, u64>,
    voters: &impl ReadableTable<&'static str, &'static str>,
    k: &PollKeys,
    visitor: Option<&VisitorKey>,
) -> Result<Option<PollState>, redb::Error> {
    let Some(def) = polls.get(k.meta.as_str())? else {
        return Ok(None);
    };
    let poll = parse_poll(def.value()).map_err(|e| redb::Error::Corrupted(e.to_string()))?;
    let prefix = field(&k.counts, "");
    let counted: HashMap<String, u64> = with_prefix(counts, &prefix, |n| n)?
        .into_iter()
        .map(|(key, n)| (key[prefix.len()..].to_owned(), n))
        .collect();
    let voted = match visitor {
        Some(v) => voters
            .get(field(&k.voters, v.as_str()).as_str())?
            .and_then(|c| choices(c.value())),
        None => None,
    };
    Ok(Some(PollState::from_counts(poll, &counted, voted)))
}

/// Writes `poll` under `k`, moving the site's polls version (`version`).
pub(super) fn put(
    txn: &WriteTransaction,
    k: &PollKeys,
    version: &str,
    poll: &Poll,
    force: bool,
) -> Result<PutPoll, redb::Error> {
    let def = serde_json::to_string(&poll).map_err(|e| redb::Error::Corrupted(e.to_string()))?;
    let mut polls = txn.open_table(POLLS)?;
    let mut counts = txn.open_table(POLL_COUNTS)?;
    let old = polls.get(k.meta.as_str())?.map(|v| v.value().to_owned());
    if old.as_deref() == Some(def.as_str()) {
        return Ok(PutPoll::Unchanged);
    }
    let prefix = field(&k.counts, "");
    // Checked inside this write transaction, as `put_poll.lua` does in its
    // script: a ballot cannot land between the check and the write.
    if poll.draft
        && let Some(old) = &old
    {
        let was = parse_poll(old).map_err(|e| redb::Error::Corrupted(e.to_string()))?;
        if !was.draft
            && with_prefix(&counts, &prefix, |n| n)?
                .iter()
                .any(|(_, n)| *n > 0)
        {
            return Ok(PutPoll::DraftWithBallots);
        }
    }
    let dropped: Vec<(String, u64)> = with_prefix(&counts, &prefix, |n| n)?
        .into_iter()
        .filter(|(key, _)| {
            let name = &key[prefix.len()..];
            name != VOTERS_FIELD && !poll.option_ids().any(|id| id.as_str() == name)
        })
        .collect();
    let orphans: Vec<_> = dropped
        .iter()
        .filter(|(_, n)| *n > 0)
        .filter_map(|(key, n)| Some((OptionId::parse(&key[prefix.len()..]).ok()?, *n)))
        .collect();
    if !orphans.is_empty() && !force {
        return Ok(PutPoll::Conflict(orphans));
    }
    for (key, _) in &dropped {
        counts.remove(key.as_str())?;
    }
    if !orphans.is_empty() {
        let gone: Vec<&str> = dropped
            .iter()
            .map(|(key, _)| &key[prefix.len()..])
            .collect();
        drop_ballots_for(txn, k, &mut counts, &gone)?;
    }
    polls.insert(k.meta.as_str(), def.as_str())?;
    add(&mut txn.open_table(COUNTERS)?, version, 1)?;
    let outcome = if old.is_some() {
        PutPoll::Replaced
    } else {
        PutPoll::Created
    };
    Ok(outcome)
}

/// The ballots of options a forced replace drops go with them, as in
/// `put_poll.lua`: their choice leaves every voter's record, a voter left
/// with none is no longer a voter, and their days are forgotten.
fn drop_ballots_for(
    txn: &WriteTransaction,
    k: &PollKeys,
    counts: &mut redb::Table<&'static str, u64>,
    gone: &[&str],
) -> Result<(), redb::Error> {
    let mut voters = txn.open_table(VOTERS)?;
    let records = with_prefix(&voters, &field(&k.voters, ""), str::to_owned)?;
    let mut no_longer = 0;
    for (key, record) in records {
        let Some((tag, chosen)) = record.split_once('|') else {
            continue;
        };
        let kept: Vec<&str> = chosen.split(',').filter(|id| !gone.contains(id)).collect();
        if kept.len() == chosen.split(',').count() {
            continue;
        }
        if kept.is_empty() {
            voters.remove(key.as_str())?;
            no_longer += 1;
        } else {
            let record = format!("{tag}|{}", kept.join(","));
            voters.insert(key.as_str(), record.as_str())?;
        }
    }
    add(counts, &field(&k.counts, VOTERS_FIELD), -no_longer)?;
    let days = field(&k.days, "");
    for (key, _) in with_prefix(&*counts, &days, |n| n)? {
        let option = key[days.len()..].split_once('|').map(|(_, o)| o);
        if option.is_some_and(|o| gone.contains(&o)) {
            counts.remove(key.as_str())?;
        }
    }
    Ok(())
}

#[async_trait]
impl Polls for EmbeddedStore {
    async fn put_poll(
        &self,
        site: &SiteId,
        poll: &Poll,
        force: bool,
    ) -> Result<PutPoll, StoreError> {
        let (k, version) = (PollKeys::new(site, &poll.id), keys::polls_version(site));
        let poll = poll.clone();
        self.write(Durability::Immediate, move |txn| {
            put(txn, &k, &version, &poll, force)
        })
        .await
    }

    async fn list_polls(&self, site: &SiteId) -> Result<Vec<Poll>, StoreError> {
        let prefix = format!("tally:{{{site}/p/");
        let defs = self
            .read_txn(move |txn| with_prefix(&txn.open_table(POLLS)?, &prefix, str::to_owned))
            .await?;
        defs.into_iter().map(|(_, def)| parse_poll(&def)).collect()
    }

    async fn polls_version(&self, site: &SiteId) -> Result<u64, StoreError> {
        let key = keys::polls_version(site);
        self.read_txn(move |txn| read_u64(&txn.open_table(COUNTERS)?, &key))
            .await
    }

    async fn poll_state(
        &self,
        site: &SiteId,
        poll: &PollId,
        visitor: Option<&VisitorKey>,
    ) -> Result<Option<PollState>, StoreError> {
        let k = PollKeys::new(site, poll);
        let visitor = visitor.cloned();
        self.read_txn(move |txn| {
            poll_state_in(
                &txn.open_table(POLLS)?,
                &txn.open_table(POLL_COUNTS)?,
                &txn.open_table(VOTERS)?,
                &k,
                visitor.as_ref(),
            )
        })
        .await
    }

    async fn poll_states(
        &self,
        site: &SiteId,
        polls: &[PollId],
        visitor: Option<&VisitorKey>,
    ) -> Result<Vec<Option<PollState>>, StoreError> {
        let keys: Vec<PollKeys> = polls.iter().map(|p| PollKeys::new(site, p)).collect();
        let visitor = visitor.cloned();
        self.read_txn(move |txn| {
            let (polls, counts, voters) = (
                txn.open_table(POLLS)?,
                txn.open_table(POLL_COUNTS)?,
                txn.open_table(VOTERS)?,
            );
            keys.iter()
                .map(|k| poll_state_in(&polls, &counts, &voters, k, visitor.as_ref()))
                .collect()
        })
        .await
    }

    async fn cast(
        &self,
        site: &SiteId,
        ballot: &Ballot,
    ) -> Result<Option<(Verdict, PollState)>, StoreError> {
        let k = PollKeys::new(site, &ballot.poll);
        let ballot = ballot.clone();
        let cast = self
            .write(Durability::Immediate, move |txn| {
                ballots::cast(txn, &k, &ballot)
            })
            .await?;
        match cast {
            ballots::Cast::Judged(verdict, state) => Ok(Some((verdict, *state))),
            ballots::Cast::NoPoll => Ok(None),
            ballots::Cast::Fenced => Err(StoreError::Unavailable(
                "the ballot arrived after it was retracted and was not counted".into(),
            )),
        }
    }

    async fn retract(&self, site: &SiteId, retraction: &Retraction) -> Result<bool, StoreError> {
        let k = PollKeys::new(site, &retraction.poll);
        let retraction = retraction.clone();
        self.write(Durability::Immediate, move |txn| {
            ballots::retract(txn, &k, &retraction)
        })
        .await
    }

    async fn delete_poll(&self, site: &SiteId, poll: &PollId) -> Result<bool, StoreError> {
        let k = PollKeys::new(site, poll);
        let tombstone = field(&keys::deleted_polls(site), poll.as_str());
        let version = keys::polls_version(site);
        self.write(Durability::Immediate, move |txn| {
            let existed = txn.open_table(POLLS)?.remove(k.meta.as_str())?.is_some();
            let mut counts = txn.open_table(POLL_COUNTS)?;
            for prefix in [field(&k.counts, ""), field(&k.days, "")] {
                for (key, _) in with_prefix(&counts, &prefix, |_| ())? {
                    counts.remove(key.as_str())?;
                }
            }
            let mut voters = txn.open_table(VOTERS)?;
            for (key, _) in with_prefix(&voters, &field(&k.voters, ""), |_| ())? {
                voters.remove(key.as_str())?;
            }
            let mut addresses = txn.open_table(ADDRESS_BALLOTS)?;
            for (key, _) in with_prefix(&addresses, &k.addresses_prefix, |_| ())? {
                addresses.remove(key.as_str())?;
            }
            txn.open_table(DELETED_POLLS)?
                .insert(tombstone.as_str(), 1)?;
            add(&mut txn.open_table(COUNTERS)?, &version, 1)?;
            Ok(existed)
        })
        .await
    }

    async fn deleted(&self, site: &SiteId, poll: &PollId) -> Result<bool, StoreError> {
        let tombstone = field(&keys::deleted_polls(site), poll.as_str());
        self.read_txn(move |txn| {
            Ok(txn
                .open_table(DELETED_POLLS)?
                .get(tombstone.as_str())?
                .is_some())
        })
        .await
    }
}
