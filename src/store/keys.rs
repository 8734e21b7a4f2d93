//! The Redis key schema, in one place.
//!
//! Every key starts `tally:{<slot>}` where the braces hold the Redis Cluster
//! hash tag, and every slot begins with the site, so `tally:{default*`
//! matches one portal's whole state. Three kinds of slot:
//!
//! - `{site}`: the site-wide counters, written in batches by each replica;
//! - `{site/v/<tag>}`: a visitor's state, spread over the cluster by the
//!   first four hex digits of the visitor key (a new cookie shares the tag of
//!   the address hash it continues, so both sit in one slot);
//! - `{site/p/<poll>}`: one poll's definition, counts, voters and
//!   per-address caps, so a ballot is one script in one slot.
//!
//! Three keys are the deployment's, not a site's, each read and written
//! alone: `tally:schema`, the schema version that wrote the store
//! ([`super::schema`]), `tally:sites`, when the sites file last listed
//! each site ([`listed_sites`]), and `tally:site-defs`, the sites defined
//! through the admin API ([`defined_sites`]).

use crate::calendar::{Day, Month, Week};
use crate::ids::{PollId, SiteId, VisitorKey};

fn site_key(site: &SiteId, rest: &str) -> String {
    format!("tally:{{{site}}}:{rest}")
}

/// The schema version that wrote the store (a number). Outside every
/// site's slot, and never in a script with other keys.
pub fn schema() -> String {
    "tally:schema".to_owned()
}

/// Hash: site id → when a start last found it in the sites file (ms), so
/// a site the file no longer lists is known, and purged on time. Outside
/// every site's slot.
pub fn listed_sites() -> String {
    "tally:sites".to_owned()
}

/// Hash: site id → the definition of a site made through the admin API
/// or the console (JSON), and `#version`, moved on by each write (an id
/// never holds `#`). Outside every site's slot, one key, so a write and
/// its version are one script.
pub fn defined_sites() -> String {
    "tally:site-defs".to_owned()
}

/// [`defined_sites`]' field counting its writes.
pub const DEFINED_VERSION: &str = "#version";

/// Visits counted by tally, all time.
pub fn visits_total(site: &SiteId) -> String {
    site_key(site, "visits:total")
}

/// Visits on a local day (`…:visits:day:2026-11-28`).
pub fn visits_day(site: &SiteId, day: Day) -> String {
    site_key(site, &format!("visits:day:{day}"))
}

/// Visits in a week (`…:visits:week:2026-11-23`, its Monday).
pub fn visits_week(site: &SiteId, week: Week) -> String {
    site_key(site, &format!("visits:week:{week}"))
}

/// Visits in a month (`…:visits:month:2026-11`).
pub fn visits_month(site: &SiteId, month: Month) -> String {
    site_key(site, &format!("visits:month:{month}"))
}

/// Hash, kept for good: day of the month (`01`…`31`) → visits that day,
/// imported ones included (`…:visits:days:2026-11`).
pub fn visits_days(site: &SiteId, month: Month) -> String {
    site_key(site, &format!("visits:days:{month}"))
}

/// Hash: day of the month → visits imported from a previous counter,
/// so that importing a day again replaces its import.
pub fn imported_days(site: &SiteId, month: Month) -> String {
    site_key(site, &format!("visits:imported:{month}"))
}

/// Hash, for minutes: an import's days (month → `dd=visits dd=visits …`)
/// staged before one script switches them in.
pub fn import_stage(site: &SiteId, id: &str) -> String {
    site_key(site, &format!("imports:staged:{id}"))
}

/// An import's outcome, kept for a day: what it did, or that it was
/// abandoned before it was applied.
pub fn import_outcome(site: &SiteId, id: &str) -> String {
    site_key(site, &format!("imports:outcome:{id}"))
}

/// Sorted set: page id → views on a local day (a past day keeps only its
/// most-read pages).
pub fn pages_day(site: &SiteId, day: Day) -> String {
    site_key(site, &format!("pages:day:{day}"))
}

/// Hash: a site merged into this one → its [`crate::store::piece::MergeMark`]
/// code, while the merge stands.
pub fn merges(site: &SiteId) -> String {
    site_key(site, "merges")
}

/// List of audit entries (JSON), newest first.
pub fn audit(site: &SiteId) -> String {
    site_key(site, "audit")
}

/// Hash: page id → views.
pub fn page_views(site: &SiteId) -> String {
    site_key(site, "pages")
}

/// Sorted set: visitor → last seen (ms).
pub fn online(site: &SiteId) -> String {
    site_key(site, "online")
}

/// Visits counted before tally.
pub fn baseline(site: &SiteId) -> String {
    site_key(site, "baseline")
}

/// Marks a counter batch as applied, so a resent batch is not counted twice.
pub fn batch(site: &SiteId, id: &str) -> String {
    site_key(site, &format!("batch:{id}"))
}

/// What every day's hashing key begins with.
pub fn daily_key_prefix(site: &SiteId) -> String {
    site_key(site, "hashkey:")
}

/// The key that hashes addresses on `day`.
pub fn daily_key(site: &SiteId, day: Day) -> String {
    site_key(site, &format!("hashkey:{day}"))
}

/// A key the replicas share, kept for good (the challenges' signing key).
pub fn secret(site: &SiteId, name: &str) -> String {
    site_key(site, &format!("secret:{name}"))
}

/// The challenge levels the replicas raised, with their expiry (a hash).
pub fn levels(site: &SiteId) -> String {
    site_key(site, "challenge:levels")
}

/// An editor's console session, by the hash of its id (with a TTL).
pub fn session(site: &SiteId, hash: &str) -> String {
    site_key(site, &format!("session:{hash}"))
}

/// Set of poll ids.
pub fn poll_index(site: &SiteId) -> String {
    site_key(site, "polls")
}

/// Counter: moves whenever a poll is created, replaced or deleted (see
/// [`crate::store::Polls::polls_version`]).
pub fn polls_version(site: &SiteId) -> String {
    site_key(site, "polls-version")
}

/// Set of the ids of polls an editor deleted (tombstones, kept for good).
pub fn deleted_polls(site: &SiteId) -> String {
    site_key(site, "deleted-polls")
}

/// Hash: a visitor's last hit (`t`) and last view of each page (`p:<page>`).
pub fn visitor(site: &SiteId, visitor: &VisitorKey) -> String {
    format!("tally:{{{site}/v/{}}}:{visitor}", visitor.slot_tag())
}

/// The keys of one poll, all in the poll's slot.
pub struct PollKeys {
    /// Hash: `def` (JSON), `opens`, `closes` (ms, empty if none), `max`,
    /// `options` (comma-separated ids).
    pub meta: String,
    /// Hash: option id → ballots.
    pub counts: String,
    /// Hash: visitor → chosen option ids (comma-separated).
    pub voters: String,
    /// Hash: `<day>|<option id or _voters>` → ballots that day.
    pub days: String,
    /// Hash: address hash → ballots that day.
    pub addresses_prefix: String,
    prefix: String,
}

impl PollKeys {
    pub fn new(site: &SiteId, poll: &PollId) -> Self {
        let prefix = format!("tally:{{{site}/p/{poll}}}");
        Self {
            meta: format!("{prefix}:meta"),
            counts: format!("{prefix}:counts"),
            voters: format!("{prefix}:voters"),
            days: format!("{prefix}:days"),
            addresses_prefix: format!("{prefix}:addr:"),
            prefix,
        }
    }

    /// The fence of a retracted try at casting a ballot: while it stands,
    /// the try does not count if it arrives.
    pub fn fence(&self, attempt: crate::ids::Attempt) -> String {
        format!("{}:fence:{}", self.prefix, attempt.to_hex())
    }

    /// A spent challenge: the ballot and the person that spent it
    /// (`<ballot id>/<visitor>`), until it can no longer be sent.
    pub fn spent(&self, id: &crate::challenge::SpendId) -> String {
        format!("{}:spent:{id}", self.prefix)
    }

    /// Ballots per address hash on `day`.
    pub fn addresses(&self, day: Day) -> String {
        format!("{}{day}", self.addresses_prefix)
    }
}

/// The Redis Cluster hash slot of a key, as the cluster computes it:
/// CRC16 (XMODEM) of its hash tag if it has one, else of the whole key,
/// mod 16 384.
pub fn slot(key: &[u8]) -> u16 {
    let tagged = key.iter().position(|&b| b == b'{').and_then(|open| {
        let rest = &key[open + 1..];
        let close = rest.iter().position(|&b| b == b'}')?;
        (close > 0).then(|| &rest[..close])
    });
    crc16(tagged.unwrap_or(key)) % 16_384
}

fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in bytes {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(key: &str) -> u16 {
        super::slot(key.as_bytes())
    }

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    #[test]
    fn slot_matches_redis_reference_values() {
        // Values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
        assert_eq!(slot("123456789"), 0x31C3);
        assert_eq!(slot("foo"), 12182);
        assert_eq!(slot("{user1000}.following"), slot("{user1000}.followers"));
        assert_eq!(slot("foo{}{bar}"), slot("foo{}{bar}"));
        assert_ne!(slot("foo{}{bar}"), slot("bar"));
    }

    #[test]
    fn site_counters_share_one_slot() {
        let site = SiteId::DEFAULT;
        let s = slot(&visits_total(&site));
        for key in [
            visits_day(&site, day("2026-11-28")),
            visits_week(&site, day("2026-11-28").week()),
            visits_month(&site, day("2026-11-28").month()),
            page_views(&site),
            online(&site),
            baseline(&site),
            batch(&site, "r1-7"),
            daily_key(&site, day("2026-11-28")),
            poll_index(&site),
            visits_days(&site, day("2026-11-28").month()),
            imported_days(&site, day("2026-11-28").month()),
            import_stage(&site, "0123456789abcdef"),
            import_outcome(&site, "0123456789abcdef"),
            pages_day(&site, day("2026-11-28")),
            audit(&site),
        ] {
            assert_eq!(slot(&key), s, "{key}");
        }
    }

    #[test]
    fn an_address_visitor_and_its_new_cookie_share_a_slot() {
        let site = SiteId::DEFAULT;
        let by_address = VisitorKey::from_address_hash([0x5a; 16]);
        let cookie = VisitorKey::from_cookie(&by_address.new_cookie_value([1; 16])).unwrap();
        assert_eq!(
            slot(&visitor(&site, &by_address)),
            slot(&visitor(&site, &cookie))
        );
    }

    #[test]
    fn a_polls_keys_share_one_slot() {
        let keys = PollKeys::new(&SiteId::DEFAULT, &PollId::parse("danh-gia").unwrap());
        let s = slot(&keys.meta);
        assert_eq!(slot(&keys.counts), s);
        assert_eq!(slot(&keys.voters), s);
        assert_eq!(slot(&keys.days), s);
        assert_eq!(slot(&keys.addresses(day("2026-11-28"))), s);
    }
}
