//! The challenge levels of the embedded store: held in memory, since one
//! process is the only replica there is; the same rules as Redis's
//! `levels.lua` (the highest unexpired offer holds), so the guard meets one
//! behaviour on every store.

use parking_lot::Mutex;
use std::collections::HashMap;

use jiff::Timestamp;

use crate::ids::SiteId;

/// Each site's raised levels, by name: `(level, expiry)`.
#[derive(Debug, Default)]
pub(super) struct SharedLevels(Mutex<HashMap<(SiteId, String), (u8, Timestamp)>>);

impl SharedLevels {
    pub(super) fn share(
        &self,
        site: &SiteId,
        raised: &[(String, u8)],
        until: Timestamp,
        now: Timestamp,
    ) -> Vec<(String, u8)> {
        let mut held = self.0.lock();
        for (name, level) in raised {
            let entry = held
                .entry((site.clone(), name.clone()))
                .or_insert((*level, until));
            if !(entry.1 > now && entry.0 > *level) {
                *entry = (*level, until);
            }
        }
        held.retain(|_, (_, expiry)| *expiry > now);
        let mut shared: Vec<(String, u8)> = held
            .iter()
            .filter(|((s, _), _)| s == site)
            .map(|((_, name), (level, _))| (name.clone(), *level))
            .collect();
        shared.sort();
        shared
    }
}
