//! The editors' side in the embedded store: the audit log (numbered
//! entries, the newest [`MOST_AUDIT_ENTRIES`] kept) and console sessions
//! (one entry per session, `<expires, ms>|<session JSON>`, checked for
//! expiry on read and deleted by housekeeping once expired).

use async_trait::async_trait;
use jiff::Timestamp;
use redb::{Durability, ReadTransaction, WriteTransaction};

use super::EmbeddedStore;
use super::tables::{AUDIT, COUNTERS, SESSIONS, add, field};
use crate::ids::SiteId;
use crate::store::{Admin, MOST_AUDIT_ENTRIES, Session, StoreError, keys};

#[async_trait]
impl Admin for EmbeddedStore {
    async fn append_audit(&self, site: &SiteId, entry: &str) -> Result<(), StoreError> {
        let (site, entry) = (site.clone(), entry.to_owned());
        self.write(Durability::Immediate, move |txn| {
            append_entry(txn, &site, &entry)
        })
        .await
    }

    async fn audit(&self, site: &SiteId, limit: usize) -> Result<Vec<String>, StoreError> {
        let list = keys::audit(site);
        self.read_txn(move |txn| {
            let (start, end) = (field(&list, ""), field(&list, "~"));
            txn.open_table(AUDIT)?
                .range(start.as_str()..end.as_str())?
                .rev()
                .take(limit.min(MOST_AUDIT_ENTRIES))
                .map(|entry| entry.map(|(_, v)| v.value().to_owned()))
                .collect::<Result<_, _>>()
                .map_err(Into::into)
        })
        .await
    }

    async fn put_session(
        &self,
        site: &SiteId,
        hash: &str,
        session: &Session,
        _now: Timestamp,
    ) -> Result<(), StoreError> {
        let key = keys::session(site, hash);
        let record = encode(session)?;
        self.write(Durability::Immediate, move |txn| put(txn, &key, &record))
            .await
    }

    async fn session(
        &self,
        site: &SiteId,
        hash: &str,
        now: Timestamp,
    ) -> Result<Option<Session>, StoreError> {
        let key = keys::session(site, hash);
        let found = self.read_txn(move |txn| get(txn, &key)).await?;
        alive(found, now)
    }

    async fn end_session(&self, site: &SiteId, hash: &str) -> Result<(), StoreError> {
        let key = keys::session(site, hash);
        self.write(Durability::Immediate, move |txn| remove(txn, &key))
            .await
    }
}

/// Appends `entry` to `site`'s audit log in `txn`, dropping the oldest
/// past [`MOST_AUDIT_ENTRIES`].
pub(super) fn append_entry(
    txn: &WriteTransaction,
    site: &SiteId,
    entry: &str,
) -> Result<(), redb::Error> {
    let list = keys::audit(site);
    let seq = add(&mut txn.open_table(COUNTERS)?, &list, 1)?;
    let mut audit = txn.open_table(AUDIT)?;
    audit.insert(field(&list, &format!("{seq:020}")).as_str(), entry)?;
    if let Some(old) = seq.checked_sub(MOST_AUDIT_ENTRIES as u64) {
        audit.remove(field(&list, &format!("{old:020}")).as_str())?;
    }
    Ok(())
}

/// The entry kept for `session`.
fn encode(session: &Session) -> Result<String, StoreError> {
    let json = serde_json::to_string(session)
        .map_err(|e| StoreError::Corrupt(format!("session record: {e}")))?;
    Ok(format!("{}|{json}", session.expires_at.as_millisecond()))
}

/// When an entry expires (ms), `None` if it cannot be read.
pub(super) fn expires_ms(record: &str) -> Option<i64> {
    record.split_once('|')?.0.parse().ok()
}

fn put(txn: &WriteTransaction, key: &str, record: &str) -> Result<(), redb::Error> {
    txn.open_table(SESSIONS)?.insert(key, record)?;
    Ok(())
}

fn get(txn: &ReadTransaction, key: &str) -> Result<Option<String>, redb::Error> {
    Ok(txn
        .open_table(SESSIONS)?
        .get(key)?
        .map(|v| v.value().to_owned()))
}

fn remove(txn: &WriteTransaction, key: &str) -> Result<(), redb::Error> {
    txn.open_table(SESSIONS)?.remove(key)?;
    Ok(())
}

/// The session in an entry, unless it expired by `now`.
fn alive(record: Option<String>, now: Timestamp) -> Result<Option<Session>, StoreError> {
    let Some(record) = record else {
        return Ok(None);
    };
    let json = record
        .split_once('|')
        .map(|(_, json)| json)
        .ok_or_else(|| StoreError::Corrupt("session record without expiry".into()))?;
    let session: Session = serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt(format!("session record: {e}")))?;
    Ok((session.expires_at > now).then_some(session))
}
