//! The embedded store's schema stamp (the `meta` table): read before
//! anything is written; then the upgrade steps, the stamp and the upgrade's
//! audit entry in one transaction, so a crash leaves the store as it was or
//! upgraded, never half.

use jiff::Timestamp;
use redb::{
    Database, ReadableDatabase, ReadableTableMetadata, TableDefinition, TableError,
    WriteTransaction,
};

use super::admin;
use super::tables;
use crate::ids::SiteId;
use crate::store::schema::{Found, Newer, Plan, SCHEMA, Settled, upgrade_entry};

/// The store's own facts: `schema` → the version that wrote it.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const STAMP: &str = "schema";

/// One upgrade step: brings a store of version `i` to `i + 1`. The array's
/// length is [`SCHEMA`], so raising it without a step does not compile.
type Step = fn(&WriteTransaction) -> Result<(), redb::Error>;
const STEPS: [Step; SCHEMA as usize] = [stamp_only];

/// 0 → 1: a store written before stamps has this release's tables and
/// encodings; the stamp is the whole change.
fn stamp_only(_: &WriteTransaction) -> Result<(), redb::Error> {
    Ok(())
}

/// Reads the stamp of the store in `db` (at `place`) and does what it
/// asks: stamps an empty store, upgrades an older one (recorded in
/// `site`'s audit log at `now`), or refuses a newer one without writing.
/// Every table exists afterwards, unless refused.
pub(super) fn settle(
    db: &Database,
    place: &str,
    site: &SiteId,
    now: Timestamp,
) -> Result<Result<Settled, Newer>, redb::Error> {
    let plan = Plan::for_store(found(db)?);
    if let Plan::Refuse { found } = plan {
        return Ok(Err(Newer {
            place: place.to_owned(),
            found,
        }));
    }
    tables::create_all(db)?;
    if plan == Plan::Keep {
        return Ok(Ok(Settled::Current));
    }
    let txn = db.begin_write()?;
    if let Plan::Upgrade { from } = plan {
        for step in &STEPS[from as usize..] {
            step(&txn)?;
        }
        admin::append_entry(&txn, site, &upgrade_entry(from, now))?;
    }
    txn.open_table(META)?.insert(STAMP, u64::from(SCHEMA))?;
    txn.commit()?;
    Ok(Ok(plan.settled()))
}

/// The stamp, or whether any table holds data.
fn found(db: &Database) -> Result<Found, redb::Error> {
    let txn = db.begin_read()?;
    match txn.open_table(META) {
        Ok(meta) => {
            if let Some(v) = meta.get(STAMP)? {
                return Ok(Found::Stamped(u32::try_from(v.value()).unwrap_or(u32::MAX)));
            }
        }
        Err(TableError::TableDoesNotExist(_)) => {}
        Err(e) => return Err(e.into()),
    }
    for table in txn.list_tables()? {
        if !txn.open_untyped_table(table)?.is_empty()? {
            return Ok(Found::Unstamped);
        }
    }
    Ok(Found::Empty)
}
