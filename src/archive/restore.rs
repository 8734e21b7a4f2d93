//! Reading an export into a store: the whole file is read and checked
//! first (a cut or newer file writes nothing), the store must be empty
//! (or, merging, share no poll's ballots and no day of history with the
//! file), and a mark stands in the store from before the first piece to
//! after the last, so a restore that died half-way is seen as such.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};

use super::check::{Summary, store_summary};
use super::format::{Header, Reader};
use crate::calendar::Day;
use crate::ids::{OptionId, PageId, PollId, SiteId};
use crate::store::Store;
use crate::store::piece::Piece;

/// Pieces written in one store call.
const BATCH: usize = 1_000;

/// Conflicts listed before the rest are only counted.
const MOST_SHOWN: usize = 10;

/// An export, opened.
pub fn open(path: &Path) -> anyhow::Result<Reader<BufReader<File>>> {
    let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    Reader::new(BufReader::new(file)).with_context(|| path.display().to_string())
}

/// What a whole, readable export holds, for refusing a merge that would
/// count something twice.
#[derive(Debug, Default)]
pub struct Facts {
    pub header: Option<Header>,
    pub pieces: u64,
    pub baseline: u64,
    pub polls_with_ballots: BTreeSet<PollId>,
    pub days: BTreeSet<Day>,
}

/// Reads the whole file, checking every piece: refuses a cut file, a
/// newer format, a site this tally does not serve and a malformed id.
pub fn survey(path: &Path, site: &SiteId) -> anyhow::Result<Facts> {
    let mut reader = open(path)?;
    let mut facts = Facts {
        header: Some(reader.header().clone()),
        ..Facts::default()
    };
    for piece in &mut reader {
        let piece = piece.with_context(|| path.display().to_string())?;
        check_piece(&piece, site)
            .with_context(|| format!("{}: record {}", path.display(), facts.pieces + 1))?;
        facts.pieces += 1;
        match &piece {
            Piece::Counters { baseline, .. } => facts.baseline += baseline,
            Piece::Day { day, visits, .. } if *visits > 0 => {
                facts.days.insert(*day);
            }
            Piece::Poll { poll, counts, .. } if counts.get("_voters").is_some_and(|n| *n > 0) => {
                facts.polls_with_ballots.insert(poll.id.clone());
            }
            _ => {}
        }
    }
    Ok(facts)
}

/// A piece whose strings become keys must be what tally itself writes.
fn check_piece(piece: &Piece, site: &SiteId) -> anyhow::Result<()> {
    if piece.site() != site.as_str() {
        bail!("site {:?}: this tally serves only {site}", piece.site());
    }
    let option_or_voters = |o: &str| o == "_voters" || OptionId::parse(o).is_ok();
    match piece {
        Piece::Page { page, .. } | Piece::PageDay { page, .. } => {
            PageId::parse(page).map_err(|e| anyhow::anyhow!("page {page:?}: {e}"))?;
        }
        Piece::Poll { counts, .. } => {
            if let Some(bad) = counts.keys().find(|o| !option_or_voters(o)) {
                bail!("option {bad:?} is not an option id");
            }
        }
        Piece::PollDay { option, .. } if !option_or_voters(option) => {
            bail!("option {option:?} is not an option id");
        }
        Piece::Voter {
            visitor, record, ..
        } => {
            let fits = |s: &str, most: usize| {
                !s.is_empty() && s.len() <= most && s.bytes().all(|b| b.is_ascii_graphic())
            };
            if !fits(visitor, 128) || !fits(record, 4096) {
                bail!("a voter's record that tally does not write");
            }
        }
        _ => {}
    }
    Ok(())
}

/// Restores `path` into `store`; says how many pieces it wrote.
pub async fn restore(
    store: Arc<dyn Store>,
    site: SiteId,
    path: &Path,
    merge: bool,
) -> anyhow::Result<u64> {
    let facts = survey(path, &site)?;
    let holding = store.holding(&site).await?;
    if let Some(cut) = holding.restoring {
        bail!(
            "the store holds an incomplete restore (of an export cut at {}): empty it (a new \
             TALLY_DATA_DIR, or an emptied Redis) and restore again",
            cut_time(cut)
        );
    }
    if !holding.empty {
        if !merge {
            bail!(
                "the store is not empty: a restore writes into an empty store (--merge adds into \
                 this one, refused if anything would be counted twice)"
            );
        }
        let held = store_summary(Arc::clone(&store), site.clone()).await?;
        let conflicts = conflicts(&facts, &held, &site);
        if !conflicts.is_empty() {
            let more = conflicts.len().saturating_sub(MOST_SHOWN);
            let mut why = conflicts
                .into_iter()
                .take(MOST_SHOWN)
                .collect::<Vec<_>>()
                .join("; ");
            if more > 0 {
                why.push_str(&format!("; and {more} more"));
            }
            bail!("a merge would count twice: {why}");
        }
    }
    let cut = facts.header.as_ref().map_or(0, |h| h.cut.as_millisecond());
    store.mark_restore(&site, Some(cut)).await?;
    let mut batch = Vec::with_capacity(BATCH);
    let mut written = 0;
    for piece in open(path)? {
        batch.push(piece?);
        if batch.len() == BATCH {
            written += batch.len() as u64;
            store.restore(&site, std::mem::take(&mut batch)).await?;
        }
    }
    written += batch.len() as u64;
    store.restore(&site, batch).await?;
    store.mark_restore(&site, None).await?;
    Ok(written)
}

/// What a merge of `facts` into a store holding `held` would count twice.
fn conflicts(facts: &Facts, held: &Summary, site: &SiteId) -> Vec<String> {
    let mut out = Vec::new();
    if facts.baseline > 0 && held.count(&format!("{site} baseline")) > 0 {
        out.push("both have a baseline".to_owned());
    }
    for poll in &facts.polls_with_ballots {
        if held.count(&format!("{site} poll {poll} _voters")) > 0 {
            out.push(format!("poll {poll} has ballots in both"));
        }
    }
    for day in &facts.days {
        if held.count(&format!("{site} history {day}")) > 0 {
            out.push(format!("day {day} has visits in both"));
        }
    }
    out
}

/// A cut (ms) as people read it.
pub fn cut_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
}
