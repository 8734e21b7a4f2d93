//! Polls in Redis: each operation one script in the poll's slot
//! (`put_poll.lua`, `poll_state.lua`, `ballot.lua`, `retract.lua`); a list
//! reads its polls' keys concurrently, since they live in different slots.

use std::collections::HashMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt, stream};
use jiff::Timestamp;
use redis::{Script, Value};

use crate::challenge::ChallengeMode;

use super::connection::{Connection, RedisStore, corrupt, unavailable};
use crate::ids::{OptionId, PollId, SiteId, VisitorKey};
use crate::poll::Poll;
use crate::store::keys::{self, PollKeys};
use crate::store::record::{choices, parse_poll};
use crate::store::{
    Ballot, BallotProof, FENCE_TTL_SECS, PollState, Polls, PutPoll, Retraction, StoreError, Verdict,
};

static BALLOT: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/ballot.lua")));
static PUT_POLL: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/put_poll.lua")));
static POLL_STATE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/poll_state.lua")));
static RETRACT: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/retract.lua")));

/// Reads of a list (definitions, a page's states) in flight at once on one
/// connection: enough to fill the pipe, few enough not to flood Redis.
const READS_AT_ONCE: usize = 256;

/// Per-address ballot counts outlive their day by a day.
const ADDRESS_COUNT_TTL_SECS: u64 = 2 * 86_400;

#[async_trait]
impl Polls for RedisStore {
    async fn put_poll(
        &self,
        site: &SiteId,
        poll: &Poll,
        force: bool,
    ) -> Result<PutPoll, StoreError> {
        let mut conn = self.connection().await?;
        let k = PollKeys::new(site, &poll.id);
        let def = serde_json::to_string(poll).map_err(|e| corrupt(e.to_string()))?;
        let options: Vec<&str> = poll.option_ids().map(OptionId::as_str).collect();
        let reply: Vec<String> = PUT_POLL
            .key(&k.meta)
            .key(&k.counts)
            .key(&k.voters)
            .key(&k.days)
            .arg(def)
            .arg(
                poll.opens_at
                    .map_or(String::new(), |t| t.as_millisecond().to_string()),
            )
            .arg(
                poll.closes_at
                    .map_or(String::new(), |t| t.as_millisecond().to_string()),
            )
            .arg(poll.max_choices)
            .arg(options.join(","))
            .arg(if force { "1" } else { "0" })
            .arg(challenge_mode(poll.challenge))
            .arg(if poll.draft { "1" } else { "0" })
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        let outcome = match reply.first().map(String::as_str) {
            Some("created") => PutPoll::Created,
            Some("replaced") => PutPoll::Replaced,
            Some("unchanged") => PutPoll::Unchanged,
            Some("draft_with_ballots") => return Ok(PutPoll::DraftWithBallots),
            Some("conflict") => {
                let orphans = reply[1..]
                    .chunks(2)
                    .filter_map(|pair| {
                        let id = OptionId::parse(pair.first()?).ok()?;
                        Some((id, pair.get(1)?.parse().ok()?))
                    })
                    .collect();
                return Ok(PutPoll::Conflict(orphans));
            }
            _ => return Err(corrupt("poll script answered something unknown")),
        };
        // The index and the version live in the site's slot, so they are a
        // second step; a poll is written before it is listed. The version
        // moves even when nothing changed: a put sent again after this step
        // failed makes up for it.
        redis::pipe()
            .atomic()
            .cmd("SADD")
            .arg(keys::poll_index(site))
            .arg(poll.id.as_str())
            .ignore()
            .cmd("INCR")
            .arg(keys::polls_version(site))
            .ignore()
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(outcome)
    }

    async fn list_polls(&self, site: &SiteId) -> Result<Vec<Poll>, StoreError> {
        let mut conn = self.connection().await?;
        let ids: Vec<String> = redis::cmd("SMEMBERS")
            .arg(keys::poll_index(site))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        let ids: Vec<PollId> = ids.iter().filter_map(|id| PollId::parse(id).ok()).collect();
        // Each poll's definition lives in its own slot: one `HGET` each,
        // sent together on the multiplexed connection (or to each node of
        // a cluster) rather than one round trip after another.
        let reads: Vec<_> = ids
            .iter()
            .map(|id| {
                let (mut conn, meta) = (conn.clone(), PollKeys::new(site, id).meta);
                async move {
                    redis::cmd("HGET")
                        .arg(meta)
                        .arg("def")
                        .query_async::<Option<String>>(&mut conn)
                        .await
                        .map_err(unavailable)
                }
            })
            .collect();
        let defs: Vec<Option<String>> = stream::iter(reads)
            .buffered(READS_AT_ONCE)
            .try_collect()
            .await?;
        // A poll deleted since the index was read has no definition.
        defs.iter().flatten().map(|def| parse_poll(def)).collect()
    }

    async fn polls_version(&self, site: &SiteId) -> Result<u64, StoreError> {
        let mut conn = self.connection().await?;
        let version: Option<u64> = redis::cmd("GET")
            .arg(keys::polls_version(site))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(version.unwrap_or(0))
    }

    async fn poll_state(
        &self,
        site: &SiteId,
        poll: &PollId,
        visitor: Option<&VisitorKey>,
    ) -> Result<Option<PollState>, StoreError> {
        let mut conn = self.connection().await?;
        read_state(&mut conn, site, poll, visitor).await
    }

    async fn poll_states(
        &self,
        site: &SiteId,
        polls: &[PollId],
        visitor: Option<&VisitorKey>,
    ) -> Result<Vec<Option<PollState>>, StoreError> {
        let conn = self.connection().await?;
        let reads: Vec<_> = polls
            .iter()
            .map(|poll| {
                let mut conn = conn.clone();
                async move { read_state(&mut conn, site, poll, visitor).await }
            })
            .collect();
        stream::iter(reads)
            .buffered(READS_AT_ONCE)
            .try_collect()
            .await
    }

    async fn cast(
        &self,
        site: &SiteId,
        ballot: &Ballot,
    ) -> Result<Option<(Verdict, PollState)>, StoreError> {
        let mut conn = self.ballot_connection().await?;
        let k = PollKeys::new(site, &ballot.poll);
        let mut call = BALLOT.key(&k.meta);
        call.key(&k.counts)
            .key(&k.voters)
            .key(k.addresses(ballot.day))
            .key(k.fence(ballot.attempt))
            .key(&k.days)
            .key(match &ballot.proof {
                BallotProof::Solved(spent) => k.spent(&spent.id),
                _ => k.meta.clone(),
            })
            .arg(ballot.at.map_or(0, Timestamp::as_millisecond))
            .arg(ballot.visitor.as_str())
            .arg(ballot.address.as_str())
            .arg(ballot.address_cap)
            .arg(ADDRESS_COUNT_TTL_SECS)
            .arg(ballot.id.as_str())
            .arg(ballot.attempt.to_hex());
        let (proof, until, form_cap) = match ballot.proof {
            BallotProof::Solved(spent) => ("solved", spent.remember_for.as_millis(), 0),
            BallotProof::Form { cap } => ("form", 0, cap),
            BallotProof::Missing => ("missing", 0, 0),
        };
        call.arg(proof)
            .arg(until)
            .arg(form_cap)
            .arg(ballot.day.to_string())
            .arg(ballot.solved_cap)
            .arg(ballot.networks.len());
        for (network, cap) in &ballot.networks {
            call.arg(network.as_str()).arg(cap);
        }
        for choice in &ballot.choices {
            call.arg(choice.as_str());
        }
        let reply: Value = call.invoke_async(&mut conn).await.map_err(unavailable)?;
        let Value::Array(parts) = reply else {
            return Ok(None);
        };
        if let [fenced] = parts.as_slice()
            && text(fenced)? == "fenced"
        {
            return Err(StoreError::Unavailable(
                "the ballot reached Redis after it was retracted and was not counted".into(),
            ));
        }
        let [verdict, def, voted, counts] = parts.as_slice() else {
            return Err(corrupt("ballot script answered the wrong shape"));
        };
        let verdict = match text(verdict)?.as_str() {
            "accepted" => Verdict::Accepted,
            "already_voted" => Verdict::AlreadyVoted,
            "address_cap" => Verdict::AddressCapReached,
            "not_yet_open" => Verdict::NotYetOpen,
            "closed" => Verdict::Closed,
            "invalid_choice" => Verdict::InvalidChoice,
            "challenge_required" => Verdict::ChallengeRequired,
            "challenge_replayed" => Verdict::ChallengeReplayed,
            other => return Err(corrupt(format!("unknown ballot verdict {other:?}"))),
        };
        self.confirm_ballot(&mut conn, &k.meta, verdict).await?;
        Ok(Some((verdict, poll_state(def, voted, counts)?)))
    }

    async fn retract(&self, site: &SiteId, retraction: &Retraction) -> Result<bool, StoreError> {
        // On the ballots' connection, and kept as ballots are: a master
        // lost after retracting but before its replica had the retraction
        // would bring the ballot back.
        let mut conn = self.ballot_connection().await?;
        let k = PollKeys::new(site, &retraction.poll);
        let retracted: i64 = RETRACT
            .key(&k.counts)
            .key(&k.voters)
            .key(k.addresses(retraction.day))
            .key(k.fence(retraction.attempt))
            .key(&k.days)
            .arg(retraction.visitor.as_str())
            .arg(retraction.ballot.as_str())
            .arg(retraction.attempt.to_hex())
            .arg(retraction.address.as_str())
            .arg(FENCE_TTL_SECS)
            .arg(retraction.day.to_string())
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        // The fence is written either way, so it is kept either way; not
        // kept, the retraction stays queued and is made again (it is
        // idempotent).
        self.confirm_ballot(&mut conn, &k.meta, Verdict::Accepted)
            .await?;
        Ok(retracted == 1)
    }

    async fn delete_poll(&self, site: &SiteId, poll: &PollId) -> Result<bool, StoreError> {
        let mut conn = self.connection().await?;
        remove_poll(&mut conn, site, poll, true).await
    }

    async fn deleted(&self, site: &SiteId, poll: &PollId) -> Result<bool, StoreError> {
        let mut conn = self.connection().await?;
        redis::cmd("SISMEMBER")
            .arg(keys::deleted_polls(site))
            .arg(poll.as_str())
            .query_async(&mut conn)
            .await
            .map_err(unavailable)
    }
}

/// A poll's challenge setting as the ballot script reads it.
fn challenge_mode(mode: ChallengeMode) -> &'static str {
    match mode {
        ChallengeMode::Off => "off",
        ChallengeMode::On => "on",
        ChallengeMode::Auto => "auto",
    }
}

fn text(value: &Value) -> Result<String, StoreError> {
    match value {
        Value::BulkString(bytes) => {
            String::from_utf8(bytes.clone()).map_err(|_| corrupt("stored text is not UTF-8"))
        }
        Value::SimpleString(s) => Ok(s.clone()),
        Value::Int(n) => Ok(n.to_string()),
        Value::Nil => Ok(String::new()),
        _ => Err(corrupt("expected text from the store")),
    }
}

/// A poll's state by `poll_state.lua`, in the poll's slot.
async fn read_state(
    conn: &mut Connection,
    site: &SiteId,
    poll: &PollId,
    visitor: Option<&VisitorKey>,
) -> Result<Option<PollState>, StoreError> {
    let k = PollKeys::new(site, poll);
    let reply: Value = POLL_STATE
        .key(&k.meta)
        .key(&k.counts)
        .key(&k.voters)
        .arg(visitor.map_or("", VisitorKey::as_str))
        .invoke_async(conn)
        .await
        .map_err(unavailable)?;
    let Value::Array(parts) = reply else {
        return Ok(None);
    };
    match parts.as_slice() {
        [def, voted, counts] => Ok(Some(poll_state(def, voted, counts)?)),
        _ => Err(corrupt("poll state script answered the wrong shape")),
    }
}

fn poll_state(def: &Value, voted: &Value, counts: &Value) -> Result<PollState, StoreError> {
    let poll = parse_poll(&text(def)?)?;
    let voted = choices(&text(voted)?);
    let Value::Array(flat) = counts else {
        return Err(corrupt("poll counts are not a list"));
    };
    let mut map = HashMap::with_capacity(flat.len() / 2);
    for pair in flat.chunks(2) {
        if let [id, n] = pair {
            let n = text(n)?
                .parse()
                .map_err(|_| corrupt("poll count is not a number"))?;
            map.insert(text(id)?, n);
        }
    }
    Ok(PollState::from_counts(poll, &map, voted))
}

/// Deletes a poll's definition, counts, voters and days, and takes it off
/// the site's index; with `tombstone`, keeps its id among the deleted (a
/// polls file does not bring it back). Says whether it held anything.
/// Per-address counts, fences and spent challenges expire by themselves.
pub(super) async fn remove_poll(
    conn: &mut Connection,
    site: &SiteId,
    poll: &PollId,
    tombstone: bool,
) -> Result<bool, StoreError> {
    let k = PollKeys::new(site, poll);
    let removed: u64 = redis::cmd("DEL")
        .arg(&k.meta)
        .arg(&k.counts)
        .arg(&k.voters)
        .arg(&k.days)
        .query_async(conn)
        .await
        .map_err(unavailable)?;
    // The index and the tombstones live in the site's slot: one more step.
    let mut pipe = redis::pipe();
    pipe.atomic()
        .cmd("SREM")
        .arg(keys::poll_index(site))
        .arg(poll.as_str())
        .ignore();
    if tombstone {
        pipe.cmd("SADD")
            .arg(keys::deleted_polls(site))
            .arg(poll.as_str())
            .ignore();
    }
    pipe.cmd("INCR")
        .arg(keys::polls_version(site))
        .ignore()
        .query_async::<()>(conn)
        .await
        .map_err(unavailable)?;
    Ok(removed > 0)
}
