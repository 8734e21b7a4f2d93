//! Editing a poll's options as an editor's form sends them: rows of labels,
//! each carrying the id of the option it was drawn for. Ballots belong to
//! option ids, so this is where the rule lives that keeps every ballot with
//! its answer, however the rows were moved or retyped:
//!
//! 1. a row whose label is an existing option's (compared as people read
//!    it: case, spacing and Unicode form aside) takes that option, wherever
//!    the row now stands — so labels retyped one row down take their
//!    ballots with them, and no ballot follows a row to another answer;
//! 2. a row that carries an option not taken by rule 1 renames it;
//! 3. every other row is a new option, with an id made from its label.
//!
//! Options no row takes are removed. Renaming or removing an option that
//! holds ballots is a change the editor confirms, in words, before it is
//! saved ([`OptionsEdit::needs_confirmation`]).

use std::collections::HashSet;
use std::fmt;

use unicode_normalization::UnicodeNormalization;

use super::{MAX_OPTIONS, PollOption};
use crate::ids::OptionId;

/// One row of the form: the label typed, and the option the row was drawn
/// for, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub label: String,
    pub carried: Option<OptionId>,
}

/// What an edit does to one option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionChange {
    Added {
        id: OptionId,
        label: String,
    },
    Renamed {
        id: OptionId,
        from: String,
        to: String,
        votes: u64,
    },
    Removed {
        id: OptionId,
        label: String,
        votes: u64,
    },
}

impl OptionChange {
    /// Whether the change touches ballots already cast.
    pub fn touches_ballots(&self) -> bool {
        match self {
            OptionChange::Added { .. } => false,
            OptionChange::Renamed { votes, .. } | OptionChange::Removed { votes, .. } => *votes > 0,
        }
    }
}

/// The options an edit leaves, and what it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionsEdit {
    /// In the rows' order.
    pub options: Vec<PollOption>,
    /// Renames and additions in the rows' order, then removals.
    pub changes: Vec<OptionChange>,
    /// Whether the options' order changed.
    pub reordered: bool,
}

/// Why the rows cannot be options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowsError {
    /// Two rows read the same (the label as typed first).
    DuplicateLabel(String),
    /// More rows than a poll may have options.
    TooMany,
}

impl fmt::Display for RowsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowsError::DuplicateLabel(label) => write!(f, "the label '{label}' appears twice"),
            RowsError::TooMany => write!(f, "a poll has at most {MAX_OPTIONS} options"),
        }
    }
}

impl OptionsEdit {
    /// Whether the editor must confirm the changes before they are saved:
    /// a rename or a removal of an option that holds ballots.
    pub fn needs_confirmation(&self) -> bool {
        self.changes.iter().any(OptionChange::touches_ballots)
    }

    /// What a confirmation names: the changes that touch ballots, so a
    /// confirmation given for one set of changes is not taken for another.
    pub fn confirmation(&self) -> String {
        let mut parts = Vec::new();
        for change in self.changes.iter().filter(|c| c.touches_ballots()) {
            match change {
                OptionChange::Renamed { id, to, votes, .. } => {
                    parts.push(format!("rename:{id}:{votes}:{}", key(to)));
                }
                OptionChange::Removed { id, votes, .. } => {
                    parts.push(format!("remove:{id}:{votes}"))
                }
                OptionChange::Added { .. } => {}
            }
        }
        parts.join("\n")
    }

    /// Options removed with their ballots.
    pub fn removed(&self) -> impl Iterator<Item = (&OptionId, u64)> {
        self.changes.iter().filter_map(|c| match c {
            OptionChange::Removed { id, votes, .. } => Some((id, *votes)),
            _ => None,
        })
    }
}

/// A label as people read it: Unicode NFC, lowercase, single spaces. Two
/// labels with the same key are the same answer.
pub fn key(label: &str) -> String {
    label
        .nfc()
        .collect::<String>()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The options `rows` make of the options `before` (holding `votes`, in
/// the same order). Empty rows are ignored.
pub fn edit_options(
    before: &[PollOption],
    votes: &[u64],
    rows: &[Row],
) -> Result<OptionsEdit, RowsError> {
    let rows: Vec<(&Row, String)> = rows
        .iter()
        .map(|row| (row, row.label.trim().nfc().collect::<String>()))
        .filter(|(_, label)| !label.is_empty())
        .collect();
    if rows.len() > MAX_OPTIONS {
        return Err(RowsError::TooMany);
    }
    let mut seen = HashSet::new();
    for (_, label) in &rows {
        if !seen.insert(key(label)) {
            return Err(RowsError::DuplicateLabel(label.clone()));
        }
    }
    let votes_of = |i: usize| votes.get(i).copied().unwrap_or(0);
    let index_of = |id: &OptionId| before.iter().position(|o| &o.id == id);

    // Rule 1: a label that is an existing option's takes that option.
    let mut taken: Vec<Option<usize>> = rows
        .iter()
        .map(|(_, label)| before.iter().position(|o| key(&o.label) == key(label)))
        .collect();
    // Rule 2: a row carrying an option nobody took by its label renames it.
    for (i, (row, _)) in rows.iter().enumerate() {
        if taken[i].is_some() {
            continue;
        }
        let carried = row.carried.as_ref().and_then(index_of);
        if let Some(at) = carried
            && !taken.contains(&Some(at))
        {
            taken[i] = Some(at);
        }
    }
    // Rule 3: the rest are new, with ids no option has or had here.
    let mut used: HashSet<OptionId> = before.iter().map(|o| o.id.clone()).collect();
    let mut options = Vec::with_capacity(rows.len());
    let mut changes = Vec::new();
    for ((_, label), at) in rows.iter().zip(&taken) {
        let option = match at {
            Some(at) => {
                let old = &before[*at];
                if old.label != *label {
                    changes.push(OptionChange::Renamed {
                        id: old.id.clone(),
                        from: old.label.clone(),
                        to: label.clone(),
                        votes: votes_of(*at),
                    });
                }
                PollOption {
                    id: old.id.clone(),
                    label: label.clone(),
                }
            }
            None => {
                let id = fresh_id(label, &used);
                used.insert(id.clone());
                changes.push(OptionChange::Added {
                    id: id.clone(),
                    label: label.clone(),
                });
                PollOption {
                    id,
                    label: label.clone(),
                }
            }
        };
        options.push(option);
    }
    for (at, old) in before.iter().enumerate() {
        if !taken.contains(&Some(at)) {
            changes.push(OptionChange::Removed {
                id: old.id.clone(),
                label: old.label.clone(),
                votes: votes_of(at),
            });
        }
    }
    let kept: Vec<usize> = taken.iter().flatten().copied().collect();
    let reordered = kept.windows(2).any(|w| w[0] > w[1]);
    Ok(OptionsEdit {
        options,
        changes,
        reordered,
    })
}

/// An id for a new option, from its label as a slug ("Rất tốt" →
/// `rat-tot`), made unique among `used` with a number.
pub fn fresh_id(label: &str, used: &HashSet<OptionId>) -> OptionId {
    let mut slug = String::new();
    for c in label.nfd() {
        let c = match c {
            'đ' | 'Đ' => 'd',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            c if unicode_normalization::char::is_combining_mark(c) => continue,
            _ => '-',
        };
        if c != '-' || !(slug.is_empty() || slug.ends_with('-')) {
            slug.push(c);
        }
        if slug.len() >= 48 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    let base = if slug.is_empty() { "o" } else { slug };
    (1..)
        .map(|n| match n {
            1 if base != "o" => base.to_owned(),
            n => format!("{base}-{n}"),
        })
        .filter_map(|candidate| OptionId::parse(&candidate).ok())
        .find(|id| !used.contains(id))
        .expect("some numbered id is free")
}

#[cfg(test)]
mod tests;
