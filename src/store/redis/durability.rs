//! What a ballot answered `201` waits for beyond the master's memory
//! (`TALLY_BALLOT_DURABILITY`): after the ballot script counts it, `WAIT`
//! for a replica or `WAITAOF` for an fsynced append-only file, on the
//! connection that wrote it, for at most a quarter of the store timeout.
//!
//! Both commands block the connection they are sent on (a multiplexed
//! connection answers in order, so everything queued behind a wait waits
//! too) and count only the writes made on it. So ballots that wait have
//! connections of their own, one ballot on each at a time
//! ([`super::connection::Lane`]): hits never queue behind a wait, and no wait
//! is satisfied by someone else's writes. On a cluster they come from a
//! second cluster client, and the wait goes to the master of the poll's slot.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use redis::{Cmd, Value};

use super::connection::{Connection, Lane, RedisStore, corrupt, unavailable};
use crate::config::BallotDurability;
use crate::poll::Verdict;
use crate::store::StoreError;

/// The promise ballots wait for, and the connection they wait on.
pub(super) struct Durability {
    mode: BallotDurability,
    deadline: Duration,
    /// `None` when ballots wait for nothing and share the store's connection.
    lane: Option<Lane>,
    /// The server was seen to have `WAITAOF` and an append-only file.
    supported: AtomicBool,
    /// The last ballot went unconfirmed (logged once until one is again).
    failing: AtomicBool,
}

/// Why a server was not seen able to keep the promise.
enum Refusal {
    /// It cannot: a setting to change, not an outage to wait out.
    Unable(String),
    Unreachable(StoreError),
}

impl Durability {
    /// `lane` is used only if `mode` waits for something.
    pub(super) fn new(mode: BallotDurability, store_timeout: Duration, lane: Lane) -> Self {
        Self {
            mode,
            deadline: BallotDurability::deadline(store_timeout).max(Duration::from_millis(1)),
            lane: (mode != BallotDurability::Store).then_some(lane),
            supported: AtomicBool::new(!uses_waitaof(mode)),
            failing: AtomicBool::new(false),
        }
    }

    /// `WAIT` or `WAITAOF` with the deadline; `None` for `store`.
    fn command(&self) -> Option<Cmd> {
        // `WAIT replicas ms` or `WAITAOF local replicas ms`.
        let (name, counts): (&str, &[u8]) = match self.mode {
            BallotDurability::Store => return None,
            BallotDurability::Replica => ("WAIT", &[1]),
            BallotDurability::Fsync => ("WAITAOF", &[1, 0]),
            BallotDurability::ReplicaFsync => ("WAITAOF", &[1, 1]),
        };
        let mut wait = redis::cmd(name);
        for n in counts {
            wait.arg(*n);
        }
        // Never 0 ms, which would wait for ever.
        wait.arg(self.deadline.as_millis().max(1) as u64);
        Some(wait)
    }

    /// Whether an answer to [`Self::command`] keeps the promise: `WAIT`
    /// answers the replicas that have the writes, `WAITAOF` the local and
    /// replica append-only files that fsynced them.
    fn kept(&self, reply: &Value) -> Result<bool, StoreError> {
        let count = |v: &Value| match v {
            Value::Int(n) => Ok(*n),
            _ => Err(corrupt("WAIT answered something else")),
        };
        Ok(match (self.mode, reply) {
            (BallotDurability::Store, _) => true,
            (BallotDurability::Replica, n) => count(n)? >= 1,
            (mode, Value::Array(acks)) if acks.len() == 2 => {
                let (local, replicas) = (count(&acks[0])?, count(&acks[1])?);
                local >= 1 && (replicas >= 1 || !mode.needs_replica())
            }
            _ => {
                return Err(corrupt("WAITAOF answered something else"));
            }
        })
    }

    /// Asks the server whether it has `WAITAOF` and an append-only file
    /// (a `WAITAOF` that waits 1 ms for nothing refuses at once otherwise).
    async fn probe(&self, conn: &mut Connection) -> Result<(), Refusal> {
        if !uses_waitaof(self.mode) {
            return Ok(());
        }
        let setting = self.mode.as_str();
        let info = redis::cmd("COMMAND")
            .arg("INFO")
            .arg("WAITAOF")
            .query_async::<Value>(conn)
            .await;
        let known = match info {
            // `[nil]` from a server that does not know the command.
            Ok(Value::Array(entries)) => entries.first().is_some_and(|e| *e != Value::Nil),
            Ok(_) => false,
            Err(e) => return Err(Refusal::Unreachable(unavailable(e))),
        };
        if !known {
            let version = server_version(conn).await;
            return Err(Refusal::Unable(format!(
                "{setting} needs WAITAOF (Redis 7.2 or later), and the server{version} \
                 does not have it; use replica, or store"
            )));
        }
        let refusal = match redis::cmd("WAITAOF")
            .arg(1)
            .arg(0)
            .arg(1)
            .query_async::<Value>(conn)
            .await
        {
            Ok(reply) => first_refusal(&reply),
            Err(e) if e.code().is_some() => Some(e.to_string()),
            Err(e) => return Err(Refusal::Unreachable(unavailable(e))),
        };
        match refusal {
            None => Ok(()),
            Some(why) => Err(Refusal::Unable(format!(
                "{setting}: the server cannot fsync ballots ({why}); it needs appendonly yes"
            ))),
        }
    }

    fn confirmed(&self) {
        if self.failing.swap(false, Ordering::Relaxed) {
            tracing::info!(
                durability = self.mode.as_str(),
                "ballots are confirmed again"
            );
        }
    }

    fn unconfirmed(&self, why: &str) {
        if !self.failing.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                durability = self.mode.as_str(),
                deadline_ms = self.deadline.as_millis() as u64,
                error = why,
                "ballots are not confirmed: they are answered 503 and retracted until they are"
            );
        }
    }
}

fn uses_waitaof(mode: BallotDurability) -> bool {
    matches!(
        mode,
        BallotDurability::Fsync | BallotDurability::ReplicaFsync
    )
}

/// The first error among the answers of one or every master.
fn first_refusal(reply: &Value) -> Option<String> {
    match reply {
        Value::ServerError(e) => Some(e.details().unwrap_or("refused").to_owned()),
        Value::Map(answers) => answers.iter().find_map(|(_, v)| first_refusal(v)),
        _ => None,
    }
}

/// ` (Redis 7.0.15)`, or nothing when the server does not say.
async fn server_version(conn: &mut Connection) -> String {
    let info: Result<String, _> = redis::cmd("INFO").arg("server").query_async(conn).await;
    info.ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("redis_version:"))
                .map(|v| format!(" (Redis {})", v.trim()))
        })
        .unwrap_or_default()
}

impl RedisStore {
    /// The connection a ballot is cast on: the ballots' own when they wait
    /// for a promise, else the store's.
    pub(super) async fn ballot_connection(&self) -> Result<Connection, StoreError> {
        let Some(lane) = &self.durability.lane else {
            return self.connection().await;
        };
        let mut conn = lane.connection().await?;
        if !self.durability.supported.load(Ordering::Relaxed) {
            // Not known at start (the server did not answer then): asked
            // before the ballot is counted, so a refusal counts nothing.
            match self.durability.probe(&mut conn).await {
                Ok(()) => self.durability.supported.store(true, Ordering::Relaxed),
                Err(Refusal::Unable(why)) => {
                    tracing::error!("TALLY_BALLOT_DURABILITY={why}");
                    return Err(StoreError::Unavailable(why));
                }
                Err(Refusal::Unreachable(e)) => return Err(e),
            }
        }
        Ok(conn)
    }

    /// Waits until an accepted ballot, just counted on `conn` in the slot of
    /// `slot_key`, is kept as `TALLY_BALLOT_DURABILITY` promises. If it is
    /// not within the deadline, the ballot stays counted on the master and
    /// this answers [`StoreError::Unavailable`], so the caller answers 503
    /// and retracts it, as for any ballot the store may have counted.
    pub(super) async fn confirm_ballot(
        &self,
        conn: &mut Connection,
        slot_key: &str,
        verdict: Verdict,
    ) -> Result<(), StoreError> {
        let durability = &self.durability;
        let Some(wait) = durability
            .command()
            .filter(|_| verdict == Verdict::Accepted)
        else {
            return Ok(());
        };
        let reply = match conn {
            Connection::Ballots(dedicated) => dedicated.to_master_of(slot_key, wait).await,
            other => wait.query_async::<Value>(other).await,
        };
        // The ballot is counted: whatever stands in the way of its
        // confirmation (no answer, a refusal such as a failover's `MOVED` or
        // `CLUSTERDOWN`, an answer that cannot be read) leaves it
        // unconfirmed, to be answered 503 and retracted — never a 500.
        let kept = match reply.map_err(|e| e.to_string()).and_then(|reply| {
            durability
                .kept(&reply)
                .map_err(|e| format!("{e} ({reply:?})"))
        }) {
            Ok(kept) => kept,
            Err(e) => {
                let why = format!("the ballot was counted, and its confirmation failed: {e}");
                durability.unconfirmed(&why);
                return Err(StoreError::Unavailable(why));
            }
        };
        if kept {
            durability.confirmed();
            return Ok(());
        }
        let why = format!(
            "the ballot was counted on the master but not confirmed ({}) within {:?}",
            durability.mode.as_str(),
            durability.deadline
        );
        durability.unconfirmed(&why);
        Err(StoreError::Unavailable(why))
    }

    /// At start: whether the server can keep the promise. A server that
    /// cannot stops the start, naming the setting; one that does not answer
    /// yet is asked again before the first ballot.
    pub async fn check_durability(&self) -> anyhow::Result<()> {
        let durability = &self.durability;
        let Some(lane) = &durability.lane else {
            return Ok(());
        };
        let asked = async {
            let mut conn = lane.connection().await.map_err(Refusal::Unreachable)?;
            durability.probe(&mut conn).await.map(|()| conn)
        };
        let answered = match tokio::time::timeout(self.timeout, asked).await {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(Refusal::Unable(why))) => anyhow::bail!("TALLY_BALLOT_DURABILITY: {why}"),
            Ok(Err(Refusal::Unreachable(e))) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {:?}", self.timeout)),
        };
        let mut conn = match answered {
            Ok(conn) => conn,
            Err(why) => {
                tracing::warn!(
                    error = why,
                    "Redis does not answer yet: TALLY_BALLOT_DURABILITY is checked before the first ballot"
                );
                return Ok(());
            }
        };
        durability.supported.store(true, Ordering::Relaxed);
        let single = matches!(&conn, Connection::Ballots(d) if d.is_single());
        if durability.mode.needs_replica() && single {
            let info: Result<String, _> = redis::cmd("INFO")
                .arg("replication")
                .query_async(&mut conn)
                .await;
            let replicas = info.ok().and_then(|text| {
                text.lines()
                    .find_map(|l| l.strip_prefix("connected_slaves:"))
                    .and_then(|n| n.trim().parse::<u32>().ok())
            });
            if replicas == Some(0) {
                tracing::warn!(
                    durability = durability.mode.as_str(),
                    "Redis has no replica connected: ballots are answered 503 until one is"
                );
            }
        }
        Ok(())
    }
}
