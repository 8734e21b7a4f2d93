//! The embedded store's tables and the small helpers every part uses.
//!
//! Keys are the Redis store's key strings, so the same key names the same
//! thing in both stores; a hash field is the key, `\x1f`, and the field.

use redb::{ReadableTable, Table, TableDefinition};

use crate::store::StoreError;

/// redb's page cache; the store's memory use is bounded by it.
pub(super) const CACHE_BYTES: usize = 16 * 1024 * 1024;

/// Visitor key → encoded [`crate::visit::VisitorState`] with its
/// expiry (see `visits.rs`).
pub(super) const VISITORS: TableDefinition<&str, &[u8]> = TableDefinition::new("visitor_state");
pub(super) const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("counters");
pub(super) const PAGES: TableDefinition<&str, u64> = TableDefinition::new("pages");
/// Batch marker → when it was applied (ms).
pub(super) const BATCHES: TableDefinition<&str, i64> = TableDefinition::new("batches");
pub(super) const HASH_KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("hash_keys");
pub(super) const POLLS: TableDefinition<&str, &str> = TableDefinition::new("polls");
pub(super) const POLL_COUNTS: TableDefinition<&str, u64> = TableDefinition::new("poll_counts");
pub(super) const VOTERS: TableDefinition<&str, &str> = TableDefinition::new("voters");
pub(super) const ADDRESS_BALLOTS: TableDefinition<&str, u32> =
    TableDefinition::new("address_ballots");
/// Marks that stand until they expire (ms), as Redis keys with a TTL do:
/// the fences of retracted tries at casting a ballot, and imports'
/// outcomes (`<outcome key>\x1f<outcome>`).
pub(super) const MARKS: TableDefinition<&str, i64> = TableDefinition::new("marks");
/// Spent challenges: key → `<remember until, ms>|<ballot id>/<visitor>`.
pub(super) const SPENT: TableDefinition<&str, &str> = TableDefinition::new("spent_challenges");
/// Editors' console sessions: key → `<expires, ms>|<session JSON>`.
pub(super) const SESSIONS: TableDefinition<&str, &str> = TableDefinition::new("sessions");

/// Each day's page views: `<day's pages key>\x1f<page>` → views (a past
/// day keeps only its most-read pages).
pub(super) const PAGE_DAYS: TableDefinition<&str, u64> = TableDefinition::new("page_days");
/// Audit entries: `<audit key>\x1f<sequence, 20 digits>` → JSON.
/// Tombstones of deleted polls: `<deleted-polls key>|<poll id>`.
pub(super) const DELETED_POLLS: TableDefinition<&str, u8> = TableDefinition::new("deleted_polls");
/// Who was online, per site: `(visit id, last seen ms)` pairs.
pub(super) const ONLINE: TableDefinition<&str, &[u8]> = TableDefinition::new("online");
pub(super) const AUDIT: TableDefinition<&str, &str> = TableDefinition::new("audit");
/// Sites defined through the admin API: site id → its definition (JSON).
pub(super) const SITE_DEFS: TableDefinition<&str, &str> = TableDefinition::new("site_defs");

/// Creates every table, so reads never meet a missing one.
pub(super) fn create_all(db: &redb::Database) -> Result<(), redb::Error> {
    let txn = db.begin_write()?;
    txn.open_table(VISITORS)?;
    txn.open_table(COUNTERS)?;
    txn.open_table(PAGES)?;
    txn.open_table(BATCHES)?;
    txn.open_table(HASH_KEYS)?;
    txn.open_table(POLLS)?;
    txn.open_table(POLL_COUNTS)?;
    txn.open_table(VOTERS)?;
    txn.open_table(ADDRESS_BALLOTS)?;
    txn.open_table(MARKS)?;
    txn.open_table(SPENT)?;
    txn.open_table(PAGE_DAYS)?;
    txn.open_table(AUDIT)?;
    txn.open_table(DELETED_POLLS)?;
    txn.open_table(ONLINE)?;
    txn.open_table(SESSIONS)?;
    txn.open_table(SITE_DEFS)?;
    txn.commit()?;
    Ok(())
}

/// A hash field's key.
pub(super) fn field(container: &str, name: &str) -> String {
    format!("{container}\x1f{name}")
}

pub(super) fn err(e: impl Into<redb::Error>) -> StoreError {
    StoreError::Unavailable(format!("embedded store: {}", e.into()))
}

/// Entries whose key starts with `prefix`, with their values turned into
/// owned ones by `own`.
pub(super) fn with_prefix<V, T>(
    table: &impl ReadableTable<&'static str, V>,
    prefix: &str,
    own: impl Fn(V::SelfType<'_>) -> T,
) -> Result<Vec<(String, T)>, redb::Error>
where
    V: redb::Value + 'static,
{
    let mut out = Vec::new();
    for entry in table.range(prefix..)? {
        let (k, v) = entry?;
        if !k.value().starts_with(prefix) {
            break;
        }
        out.push((k.value().to_owned(), own(v.value())));
    }
    Ok(out)
}

/// Adds `n` (which may be negative) to a counter, never below zero nor
/// past `u64::MAX`; returns the new value.
pub(super) fn add(table: &mut Table<&str, u64>, key: &str, n: i64) -> Result<u64, redb::Error> {
    let was = read_u64(table, key)?;
    let now = if n >= 0 {
        was.saturating_add(n.unsigned_abs())
    } else {
        was.saturating_sub(n.unsigned_abs())
    };
    table.insert(key, now)?;
    Ok(now)
}

pub(super) fn read_u64(
    table: &impl ReadableTable<&'static str, u64>,
    key: &str,
) -> Result<u64, redb::Error> {
    Ok(table.get(key)?.map_or(0, |v| v.value()))
}
