//! One poll of a Redis export at one moment — its counts, days and voters
//! copied in one script, then read in pages — and the reply helpers the
//! site's reader shares.

use std::collections::HashSet;
use std::sync::LazyLock;

use redis::Script;

use super::super::connection::{Connection, unavailable};
use crate::ids::{PollId, SiteId};
use crate::store::StoreError;
use crate::store::keys::PollKeys;
use crate::store::piece::{Piece, Sink, site_name};
use crate::store::record::parse_poll;

/// A poll at one moment, in one script: its definition returned, its
/// counts, days and voters copied under snapshot keys of its slot (KEYS 5
/// to 7; gone after ARGV 1 seconds should the export die) to be read in
/// pages. A `COPY` holds Redis a third as long as returning the voters
/// would (4 ms for 10 000 voters, against 11), and other commands run
/// between the pages.
static POLL_SNAPSHOT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "for i = 2, 4 do \
           if redis.call('COPY', KEYS[i], KEYS[i + 3], 'REPLACE') == 1 then \
             redis.call('EXPIRE', KEYS[i + 3], ARGV[1]) end \
         end \
         return redis.call('HGET', KEYS[1], 'def') or ''",
    )
});

/// How long a poll's snapshot outlives an export that died (s).
const SNAPSHOT_TTL_SECS: u64 = 3_600;

/// Keys a `SCAN` page looks at.
pub(super) const SCAN_COUNT: u32 = 1_000;

pub(super) async fn send(sink: &Sink, piece: Piece, sent: &mut u64) -> Result<(), StoreError> {
    *sent += 1;
    sink.send(piece)
        .await
        .map_err(|_| StoreError::Unavailable("the export's reader went away".into()))
}

/// Flat `[field, value, …]` pairs.
pub(super) fn pairs(flat: Vec<String>) -> impl Iterator<Item = (String, String)> {
    let mut it = flat.into_iter();
    std::iter::from_fn(move || Some((it.next()?, it.next()?)))
}

pub(super) fn number(s: &str) -> u64 {
    s.parse::<i64>().map_or(0, |n| n.max(0).unsigned_abs())
}

/// One poll at one moment: its snapshot taken in one script, then read.
pub(super) async fn export_poll(
    conn: &mut Connection,
    site: &SiteId,
    id: &PollId,
    sink: &Sink,
    sent: &mut u64,
) -> Result<(), StoreError> {
    let k = PollKeys::new(site, id);
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).map_err(|e| StoreError::Unavailable(e.to_string()))?;
    let nonce = u64::from_le_bytes(nonce);
    let snapshot = [&k.counts, &k.days, &k.voters].map(|key| format!("{key}:export:{nonce:016x}"));
    let def: String = POLL_SNAPSHOT
        .key(&k.meta)
        .key(&k.counts)
        .key(&k.days)
        .key(&k.voters)
        .key(&snapshot[0])
        .key(&snapshot[1])
        .key(&snapshot[2])
        .arg(SNAPSHOT_TTL_SECS)
        .invoke_async(conn)
        .await
        .map_err(unavailable)?;
    let read = read_snapshot(conn, site, id, &def, &snapshot, sink, sent).await;
    for key in &snapshot {
        // Best effort: the keys expire anyway.
        let _: Result<(), _> = redis::cmd("UNLINK").arg(key).query_async(conn).await;
    }
    read
}

/// A poll's snapshot sent as pieces: counts and days whole, voters by
/// `HSCAN` pages (a page may repeat a field, so each is sent once).
async fn read_snapshot(
    conn: &mut Connection,
    site: &SiteId,
    id: &PollId,
    def: &str,
    snapshot: &[String; 3],
    sink: &Sink,
    sent: &mut u64,
) -> Result<(), StoreError> {
    if def.is_empty() {
        return Ok(());
    }
    let name = site_name(site);
    let [counts, days, voters] = snapshot;
    let (counts, days): (Vec<String>, Vec<String>) = redis::pipe()
        .hgetall(counts)
        .hgetall(days)
        .query_async(conn)
        .await
        .map_err(unavailable)?;
    let poll = Box::new(parse_poll(def)?);
    let counts = pairs(counts).map(|(o, n)| (o, number(&n))).collect();
    send(
        sink,
        Piece::Poll {
            site: name.clone(),
            poll,
            counts,
        },
        sent,
    )
    .await?;
    for (field, n) in pairs(days) {
        let Some((day, option)) = field.split_once('|') else {
            continue;
        };
        let Ok(day) = day.parse() else { continue };
        let piece = Piece::PollDay {
            site: name.clone(),
            poll: id.clone(),
            day,
            option: option.to_owned(),
            ballots: number(&n),
        };
        send(sink, piece, sent).await?;
    }
    let (mut cursor, mut seen) = ("0".to_owned(), HashSet::new());
    loop {
        let (next, flat): (String, Vec<String>) = redis::cmd("HSCAN")
            .arg(voters)
            .arg(&cursor)
            .arg("COUNT")
            .arg(SCAN_COUNT)
            .query_async(conn)
            .await
            .map_err(unavailable)?;
        for (visitor, record) in pairs(flat) {
            if !seen.insert(visitor.clone()) {
                continue;
            }
            let piece = Piece::Voter {
                site: name.clone(),
                poll: id.clone(),
                visitor,
                record,
            };
            send(sink, piece, sent).await?;
        }
        if next == "0" {
            return Ok(());
        }
        cursor = next;
    }
}
