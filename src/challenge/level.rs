//! How hard a challenge is: a small fixed table of levels, and the per-poll
//! setting that chooses between none, a fixed level and one that follows the
//! threat.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The largest secret number at each level (index = level). A solver tries
/// numbers from 0 up, so a level costs on average half its `maxnumber` in
/// SHA-256 hashes and never more than all of it; each level is about three
/// times the one below. Chosen from `bench/challenge/run.mjs` (results in
/// `bench/challenge/README.md`): the widget's solver does about 2.4 million
/// hashes a second on one core of the server it was measured on, and a
/// typical phone is taken as 4–6 times slower (400 000–600 000 a second).
/// So level 1 costs a phone under 0.1 s even at worst, level 2 (`on`) about
/// 0.1 s on average, and level 5 about 3 s on average and 5–7.5 s at worst.
/// Changing a value invalidates nothing: verification only needs the hash.
const MAXNUMBER: [u64; 6] = [0, 40_000, 120_000, 350_000, 1_000_000, 3_000_000];

/// A difficulty level: 0 (no challenge) to [`Level::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Level(u8);

impl Level {
    /// No challenge.
    pub const OFF: Level = Level(0);
    /// The lowest real level; where `auto` starts and what it falls back to.
    pub const MIN: Level = Level(1);
    /// The level a poll set to `on` always asks for.
    pub const ON: Level = Level(2);
    /// The highest level.
    pub const MAX: Level = Level(MAXNUMBER.len() as u8 - 1);

    /// The level numbered `n`, if there is one.
    pub fn new(n: u8) -> Option<Level> {
        (n <= Self::MAX.0).then_some(Level(n))
    }

    /// Its number, as metrics and logs show it.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// The largest secret number a challenge at this level may hide (0 when
    /// off: a challenge issued at level 0 is solved by the first try).
    pub fn maxnumber(self) -> u64 {
        MAXNUMBER[usize::from(self.0)]
    }

    /// One level harder, or the same at the top.
    pub fn raised(self) -> Level {
        Level(self.0.saturating_add(1).min(Self::MAX.0))
    }

    /// One level easier, but never below `floor`.
    pub fn lowered(self, floor: Level) -> Level {
        Level(self.0.saturating_sub(1).max(floor.0))
    }

    /// Every level, from [`Level::OFF`] to [`Level::MAX`].
    pub fn all() -> impl Iterator<Item = Level> {
        (0..=Self::MAX.0).map(Level)
    }
}

impl TryFrom<u8> for Level {
    type Error = String;

    fn try_from(n: u8) -> Result<Self, Self::Error> {
        Level::new(n).ok_or_else(|| format!("a level is 0 to {}", Level::MAX.0))
    }
}

impl From<Level> for u8 {
    fn from(level: Level) -> u8 {
        level.0
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A poll's challenge setting: `"off"` (the default), `"on"` (always the
/// level `TALLY_CHALLENGE_LEVEL` sets, [`Level::ON`] unless set) or `"auto"` (the level the difficulty controller keeps for
/// the poll, never below [`Level::MIN`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChallengeMode {
    #[default]
    Off,
    On,
    Auto,
}

impl ChallengeMode {
    pub fn is_off(&self) -> bool {
        *self == ChallengeMode::Off
    }

    /// Whether a ballot must carry a solved challenge.
    pub fn required(self) -> bool {
        self != ChallengeMode::Off
    }

    /// The level to issue at, given the level of `on` polls and the
    /// controller's level for the poll (only read in `auto`).
    pub fn level(self, on: Level, auto: Level) -> Level {
        match self {
            ChallengeMode::Off => Level::OFF,
            ChallengeMode::On => on,
            ChallengeMode::Auto => auto.max(Level::MIN),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_grow_and_stay_in_range() {
        let all: Vec<Level> = Level::all().collect();
        assert_eq!(all.first(), Some(&Level::OFF));
        assert_eq!(all.last(), Some(&Level::MAX));
        assert!(all.windows(2).all(|w| w[0].maxnumber() < w[1].maxnumber()));
        assert_eq!(Level::MAX.raised(), Level::MAX);
        assert_eq!(Level::MIN.lowered(Level::MIN), Level::MIN);
        assert_eq!(Level::OFF.lowered(Level::OFF), Level::OFF);
        assert_eq!(Level::new(Level::MAX.get() + 1), None);
        assert!(Level::MIN < Level::ON && Level::ON < Level::MAX);
    }

    #[test]
    fn levels_and_modes_read_as_settings_write_them() {
        assert_eq!(serde_json::to_string(&Level::ON).unwrap(), "2");
        assert_eq!(serde_json::from_str::<Level>("5").unwrap(), Level::MAX);
        assert!(serde_json::from_str::<Level>("9").is_err());
        assert_eq!(ChallengeMode::default(), ChallengeMode::Off);
        let mode: ChallengeMode = serde_json::from_str("\"auto\"").unwrap();
        assert_eq!(mode, ChallengeMode::Auto);
        assert_eq!(serde_json::to_string(&ChallengeMode::On).unwrap(), "\"on\"");
        assert!(serde_json::from_str::<ChallengeMode>("\"On\"").is_err());
    }

    #[test]
    fn modes_choose_the_level() {
        assert!(!ChallengeMode::Off.required());
        assert_eq!(ChallengeMode::Off.level(Level::ON, Level::MAX), Level::OFF);
        assert_eq!(ChallengeMode::On.level(Level::ON, Level::MAX), Level::ON);
        assert_eq!(ChallengeMode::On.level(Level::MAX, Level::MIN), Level::MAX);
        assert_eq!(ChallengeMode::Auto.level(Level::ON, Level::OFF), Level::MIN);
        assert_eq!(ChallengeMode::Auto.level(Level::ON, Level::MAX), Level::MAX);
    }
}
