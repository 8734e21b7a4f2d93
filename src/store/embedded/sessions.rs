//! Editors' console sessions in the embedded store: one entry per session,
//! `<expires, ms>|<session JSON>`, checked for expiry on read and deleted
//! by housekeeping once expired.

use jiff::Timestamp;
use redb::{Durability, ReadTransaction, WriteTransaction};

use super::EmbeddedStore;
use super::tables::SESSIONS;
use crate::store::{Session, StoreError};

impl EmbeddedStore {
    pub(super) async fn keep_session(
        &self,
        key: String,
        session: &Session,
    ) -> Result<(), StoreError> {
        let record = encode(session)?;
        self.write(Durability::Immediate, move |txn| put(txn, &key, &record))
            .await
    }

    pub(super) async fn find_session(
        &self,
        key: String,
        now: Timestamp,
    ) -> Result<Option<Session>, StoreError> {
        let found = self.read_txn(move |txn| get(txn, &key)).await?;
        alive(found, now)
    }

    pub(super) async fn forget_session(&self, key: String) -> Result<(), StoreError> {
        self.write(Durability::Immediate, move |txn| remove(txn, &key))
            .await
    }
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
