//! Reading a site's whole state out of Redis: each poll at one moment (its
//! counts, days and voters copied in one script, then read in pages: a
//! ballot is in both its counts and its voter's record, or in neither); the site's counters
//! and history found by a `SCAN` run inside a script keyed to the site's
//! slot (so a cluster runs it on the node that holds them) and read key by
//! key; a page's views with `HSCAN`.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use redis::Script;

use super::super::connection::{Connection, unavailable};
use super::poll::{SCAN_COUNT, export_poll, number, pairs, send};
use crate::calendar::{Day, Month};
use crate::ids::{PollId, SiteId};
use crate::store::keys;
use crate::store::piece::{Period, Piece, Sink, site_name};
use crate::store::{MOST_AUDIT_ENTRIES, StoreError};

/// One page of a `SCAN` for the site's keys, run where the site's slot is.
static SCAN_SITE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local r = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', ARGV[3]) \
         return r",
    )
});

/// Sends every piece of `site` into `sink`; says how many.
pub(super) async fn export(
    mut conn: Connection,
    site: &SiteId,
    sink: Sink,
) -> Result<u64, StoreError> {
    let mut sent = 0;
    let name = site_name(site);
    let (baseline, visits): (Option<String>, Option<String>) = redis::pipe()
        .get(keys::baseline(site))
        .get(keys::visits_total(site))
        .query_async(&mut conn)
        .await
        .map_err(unavailable)?;
    let counted = Piece::Counters {
        site: name.clone(),
        baseline: baseline.as_deref().map_or(0, number),
        visits: visits.as_deref().map_or(0, number),
    };
    send(&sink, counted, &mut sent).await?;
    let found = site_keys(&mut conn, site).await?;
    export_site(&mut conn, site, &found, &sink, &mut sent).await?;
    let mut polls: Vec<String> = redis::cmd("SMEMBERS")
        .arg(keys::poll_index(site))
        .query_async(&mut conn)
        .await
        .map_err(unavailable)?;
    polls.sort();
    for id in polls.iter().filter_map(|p| PollId::parse(p).ok()) {
        export_poll(&mut conn, site, &id, &sink, &mut sent).await?;
    }
    let mut deleted: Vec<String> = redis::cmd("SMEMBERS")
        .arg(keys::deleted_polls(site))
        .query_async(&mut conn)
        .await
        .map_err(unavailable)?;
    deleted.sort();
    for poll in deleted.iter().filter_map(|p| PollId::parse(p).ok()) {
        send(
            &sink,
            Piece::DeletedPoll {
                site: name.clone(),
                poll,
            },
            &mut sent,
        )
        .await?;
    }
    let audit: Vec<String> = redis::cmd("LRANGE")
        .arg(keys::audit(site))
        .arg(0)
        .arg(MOST_AUDIT_ENTRIES - 1)
        .query_async(&mut conn)
        .await
        .map_err(unavailable)?;
    for entry in audit.into_iter().rev() {
        send(
            &sink,
            Piece::Audit {
                site: name.clone(),
                entry,
            },
            &mut sent,
        )
        .await?;
    }
    Ok(sent)
}

/// The names of the site's counter buckets, history months and days'
/// pages, found by `SCAN` pages on the node of the site's slot.
async fn site_keys(conn: &mut Connection, site: &SiteId) -> Result<Vec<String>, StoreError> {
    let pattern = format!("tally:{{{site}}}:*");
    let (mut cursor, mut found) = ("0".to_owned(), Vec::new());
    loop {
        let (next, page): (String, Vec<String>) = SCAN_SITE
            .key(keys::visits_total(site))
            .arg(&cursor)
            .arg(&pattern)
            .arg(SCAN_COUNT)
            .invoke_async(conn)
            .await
            .map_err(unavailable)?;
        found.extend(page);
        if next == "0" {
            break;
        }
        cursor = next;
    }
    found.sort();
    found.dedup();
    Ok(found)
}

/// Buckets, the history's days, pages and days' pages.
async fn export_site(
    conn: &mut Connection,
    site: &SiteId,
    found: &[String],
    sink: &Sink,
    sent: &mut u64,
) -> Result<(), StoreError> {
    let name = site_name(site);
    let prefix = format!("tally:{{{site}}}:");
    let rest = |key: &'_ String| key[prefix.len()..].to_owned();
    let mut days: BTreeMap<Day, (u64, u64)> = BTreeMap::new();
    for key in found {
        let name_of = rest(key);
        let bucket = ["day", "week", "month"].iter().find_map(|what| {
            let start = name_of.strip_prefix(&format!("visits:{what}:"))?;
            Period::parse(what, start)
        });
        if let Some(period) = bucket {
            let visits: Option<String> = redis::cmd("GET")
                .arg(key)
                .query_async(conn)
                .await
                .map_err(unavailable)?;
            let visits = visits.as_deref().map_or(0, number);
            send(
                sink,
                Piece::Bucket {
                    site: name.clone(),
                    period,
                    visits,
                },
                sent,
            )
            .await?;
            continue;
        }
        let (month, imported) = match (
            name_of.strip_prefix("visits:days:"),
            name_of.strip_prefix("visits:imported:"),
        ) {
            (Some(m), _) => (m, false),
            (_, Some(m)) => (m, true),
            _ => continue,
        };
        let Ok(month) = month.parse::<Month>() else {
            continue;
        };
        let held: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(key)
            .query_async(conn)
            .await
            .map_err(unavailable)?;
        for (dd, n) in held {
            let Ok(day) = format!("{month}-{dd}").parse::<Day>() else {
                continue;
            };
            let entry = days.entry(day).or_default();
            if imported {
                entry.1 = number(&n);
            } else {
                entry.0 = number(&n);
            }
        }
    }
    for (day, (visits, imported)) in days {
        send(
            sink,
            Piece::Day {
                site: name.clone(),
                day,
                visits,
                imported,
            },
            sent,
        )
        .await?;
    }
    let pages = keys::page_views(site);
    let mut cursor = "0".to_owned();
    loop {
        let (next, flat): (String, Vec<String>) = redis::cmd("HSCAN")
            .arg(&pages)
            .arg(&cursor)
            .arg("COUNT")
            .arg(SCAN_COUNT)
            .query_async(conn)
            .await
            .map_err(unavailable)?;
        for (page, views) in pairs(flat) {
            send(
                sink,
                Piece::Page {
                    site: name.clone(),
                    page,
                    views: number(&views),
                },
                sent,
            )
            .await?;
        }
        if next == "0" {
            break;
        }
        cursor = next;
    }
    for key in found {
        let Some(day) = rest(key)
            .strip_prefix("pages:day:")
            .and_then(|d| d.parse::<Day>().ok())
        else {
            continue;
        };
        let flat: Vec<String> = redis::cmd("ZRANGE")
            .arg(key)
            .arg(0)
            .arg(-1)
            .arg("WITHSCORES")
            .query_async(conn)
            .await
            .map_err(unavailable)?;
        for (page, views) in pairs(flat) {
            let views = views.parse::<f64>().unwrap_or(0.0).max(0.0) as u64;
            send(
                sink,
                Piece::PageDay {
                    site: name.clone(),
                    day,
                    page,
                    views,
                },
                sent,
            )
            .await?;
        }
    }
    Ok(())
}
