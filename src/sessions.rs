//! Editors' console sessions: a random 256-bit id given to the browser, only
//! its hash kept in the store (so every replica knows it, and a leaked
//! store names no usable session), ending after a while unused
//! (`TALLY_CONSOLE_IDLE`, 8 hours by default) or [`LONGEST`] after signing
//! in, whichever comes first, or on signing out.
//! Time is the domain's clock, so tests can move past the end.

use jiff::{SignedDuration, Timestamp};

use crate::ids::{SiteId, hex, random};
use crate::roles::Role;
use crate::site::Site;
use crate::store::{Session, StoreError};

/// A session ends this long after signing in, however busy.
pub const LONGEST: SignedDuration = SignedDuration::from_hours(12);
/// A session's end is pushed back at most this often (or a quarter of the
/// idle time, if shorter), so reading pages does not write to the store on
/// every request.
const RENEW_EVERY: SignedDuration = SignedDuration::from_mins(5);

/// A session id as the browser holds it: 64 lowercase hex digits.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId(String);

impl SessionId {
    /// Reads an id; anything but 64 lowercase hex digits is no id.
    pub fn parse(text: &str) -> Option<Self> {
        (text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the store keys the session by.
    fn hash(&self) -> String {
        hex(blake3::hash(self.0.as_bytes()).as_bytes())
    }
}

impl std::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionId(…)")
    }
}

/// One site's console sessions.
pub struct Sessions {
    site: Site,
    idle: SignedDuration,
}

impl Sessions {
    /// Sessions that end after `idle` unused (at most [`LONGEST`]).
    pub fn new(site: Site, idle: std::time::Duration) -> Self {
        let idle = SignedDuration::try_from(idle)
            .unwrap_or(LONGEST)
            .min(LONGEST);
        Self { site, idle }
    }

    pub fn now(&self) -> Timestamp {
        self.site.clock.now()
    }

    /// Signs `who`, holding `role` on `site` (none: every site), in: a new
    /// session, and its id for the cookie.
    pub async fn start(
        &self,
        who: &str,
        role: Role,
        site: Option<&SiteId>,
    ) -> Result<(SessionId, Session), StoreError> {
        let id = SessionId(hex(&random::<32>()));
        let now = self.now();
        let session = Session {
            who: who.to_owned(),
            started_at: now,
            expires_at: end_of(now, now, self.idle),
            role: Some(role),
            site: site.map(ToString::to_string),
        };
        self.site
            .store
            .put_session(&self.site.id, &id.hash(), &session, now)
            .await?;
        Ok((id, session))
    }

    /// The live session `id` names, its end pushed back as it is used.
    ///
    /// A session written before roles (no role in its record) is ended and
    /// read as none: its editor signs in again and gets their token's role
    /// now. Reading it as admin would keep a token since made `viewer` an
    /// admin for up to [`LONGEST`] after the upgrade; one sign-in is the
    /// smaller cost.
    pub async fn find(&self, id: &SessionId) -> Result<Option<Session>, StoreError> {
        let now = self.now();
        let hash = id.hash();
        let Some(mut session) = self.site.store.session(&self.site.id, &hash, now).await? else {
            return Ok(None);
        };
        if session.role.is_none() {
            self.site.store.end_session(&self.site.id, &hash).await?;
            return Ok(None);
        }
        let renewed = end_of(session.started_at, now, self.idle);
        if renewed.duration_since(session.expires_at) >= RENEW_EVERY.min(self.idle / 4) {
            session.expires_at = renewed;
            self.site
                .store
                .put_session(&self.site.id, &hash, &session, now)
                .await?;
        }
        Ok(Some(session))
    }

    /// Signs out: the session ends for every replica.
    pub async fn end(&self, id: &SessionId) -> Result<(), StoreError> {
        self.site.store.end_session(&self.site.id, &id.hash()).await
    }

    pub fn site(&self) -> &SiteId {
        &self.site.id
    }
}

/// When a session started at `started` and used at `now` ends.
fn end_of(started: Timestamp, now: Timestamp, idle: SignedDuration) -> Timestamp {
    let idle = now.saturating_add(idle).unwrap_or(Timestamp::MAX);
    let longest = started.saturating_add(LONGEST).unwrap_or(Timestamp::MAX);
    idle.min(longest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_ends_idle_or_at_its_longest() {
        let start: Timestamp = "2026-12-01T01:00:00Z".parse().unwrap();
        let idle = SignedDuration::from_hours(8);
        assert_eq!(end_of(start, start, idle), start + idle);
        let late = start + SignedDuration::from_hours(10);
        assert_eq!(end_of(start, late, idle), start + LONGEST);
    }

    #[test]
    fn a_record_from_before_roles_reads_without_one_and_is_written_alike() {
        let old = r#"{"who":"lan","started_at":"2026-12-01T01:00:00Z","expires_at":"2026-12-01T09:00:00Z"}"#;
        let session: Session = serde_json::from_str(old).unwrap();
        assert_eq!(session.role, None);
        assert_eq!(serde_json::to_string(&session).unwrap(), old);
        let viewer = Session {
            role: Some(Role::Viewer),
            ..session
        };
        let json = serde_json::to_string(&viewer).unwrap();
        assert!(json.ends_with(r#","role":"viewer"}"#), "{json}");
        assert_eq!(serde_json::from_str::<Session>(&json).unwrap(), viewer);
    }

    #[test]
    fn only_64_hex_digits_are_an_id() {
        assert!(SessionId::parse(&"a".repeat(64)).is_some());
        assert!(SessionId::parse(&"a".repeat(63)).is_none());
        assert!(SessionId::parse(&"A".repeat(64)).is_none());
        assert!(SessionId::parse(&format!("{}g", "a".repeat(63))).is_none());
    }
}
