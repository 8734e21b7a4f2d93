//! The Redis store's schema stamp (`tally:schema`): read before anything
//! is written, once per process; then the upgrade steps, the stamp (a
//! compare-and-set, so of replicas starting together one stamps and the
//! others find it stamped) and, by the replica that stamped, the upgrade's
//! audit entry. The stamp and the audit log are in different slots: a
//! crash between the two leaves the store upgraded without its entry,
//! never an entry for an upgrade not made.

use std::sync::LazyLock;

use jiff::Timestamp;
use redis::Script;

use super::connection::{Connection, RedisStore, corrupt, unavailable};
use crate::ids::SiteId;
use crate::store::schema::{Found, Newer, Plan, SCHEMA, Settled, upgrade_entry};
use crate::store::{Admin, StoreError, keys};

/// Sets `KEYS[1]` to `ARGV[2]` if it holds `ARGV[1]` (`''`: no stamp);
/// answers 1 if it did.
static STAMP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 0 end \
         redis.call('SET', KEYS[1], ARGV[2]) return 1",
    )
});

// Raising SCHEMA needs a step below from the version before.
const _: () = assert!(SCHEMA == 1, "add the upgrade step to `step`");

/// Brings a store of `version` to `version + 1`.
async fn step(_conn: &mut Connection, version: u32) -> Result<(), StoreError> {
    match version {
        // A store written before stamps has this release's keys and
        // encodings: the stamp is the whole change.
        0 => Ok(()),
        _ => Err(corrupt(format!("no upgrade step from schema {version}"))),
    }
}

impl RedisStore {
    /// Settles the stamp once: later calls answer what the first did. A
    /// store from a newer tally is [`StoreError::Corrupt`] with the line
    /// to stop on.
    pub(super) async fn settle_schema_once(&self) -> Result<Settled, StoreError> {
        self.schema.get_or_try_init(|| self.settle()).await.copied()
    }

    async fn settle(&self) -> Result<Settled, StoreError> {
        let mut conn = self.connection().await?;
        let plan = Plan::for_store(self.found(&mut conn).await?);
        let expected = match plan {
            Plan::Refuse { found } => return Err(self.newer(found)),
            Plan::Keep => return Ok(Settled::Current),
            Plan::Stamp | Plan::Upgrade { from: 0 } => String::new(),
            Plan::Upgrade { from } => from.to_string(),
        };
        if let Plan::Upgrade { from } = plan {
            for version in from..SCHEMA {
                step(&mut conn, version).await?;
            }
        }
        let stamped: bool = STAMP
            .key(keys::schema())
            .arg(expected)
            .arg(SCHEMA)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        if !stamped {
            // Another replica settled it meanwhile.
            return match self.found(&mut conn).await? {
                Found::Stamped(SCHEMA) => Ok(Settled::Current),
                Found::Stamped(found) if found > SCHEMA => Err(self.newer(found)),
                other => Err(corrupt(format!(
                    "schema stamp changed under tally: {other:?}"
                ))),
            };
        }
        if let Plan::Upgrade { from } = plan {
            let entry = upgrade_entry(from, Timestamp::now());
            self.append_audit(&SiteId::DEFAULT, &entry).await?;
        }
        Ok(plan.settled())
    }

    /// The stamp, or whether the deployment's site holds anything: its
    /// lasting keys share one slot, so one `EXISTS` asks.
    async fn found(&self, conn: &mut Connection) -> Result<Found, StoreError> {
        let stamp: Option<String> = redis::cmd("GET")
            .arg(keys::schema())
            .query_async(conn)
            .await
            .map_err(unavailable)?;
        if let Some(stamp) = stamp {
            return stamp.parse().map(Found::Stamped).map_err(|_| {
                corrupt(format!(
                    "the store at {} has a schema stamp this tally cannot read ({stamp:?}); \
                     restore from a backup",
                    self.place
                ))
            });
        }
        let site = SiteId::DEFAULT;
        let lasting = [
            keys::visits_total(&site),
            keys::baseline(&site),
            keys::poll_index(&site),
            keys::deleted_polls(&site),
            keys::polls_version(&site),
            keys::page_views(&site),
            keys::audit(&site),
            keys::online(&site),
        ];
        let present: u64 = redis::cmd("EXISTS")
            .arg(&lasting)
            .query_async(conn)
            .await
            .map_err(unavailable)?;
        Ok(if present > 0 {
            Found::Unstamped
        } else {
            Found::Empty
        })
    }

    fn newer(&self, found: u32) -> StoreError {
        corrupt(
            Newer {
                place: self.place.clone(),
                found,
            }
            .to_string(),
        )
    }
}
