//! Reading an export into a store: the whole file is read and checked
//! first (a cut or newer file, or a site this tally does not serve, writes
//! nothing), each of the file's sites must be empty in the store (or,
//! merging, share no poll's ballots and no day of history with the file),
//! and a mark stands on each of them from before the first piece to after
//! the last, so a restore that died half-way is seen as such.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};

use super::check::{Summary, store_summary};
use super::format::{Header, Reader};
use crate::calendar::Day;
use crate::ids::{OptionId, PageId, PollId, SiteId};
use crate::sites::Sites;
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
    /// Each site the file holds (in its header or in a piece), in id order.
    pub sites: BTreeMap<SiteId, SiteFacts>,
}

/// What a whole, readable export holds of one site.
#[derive(Debug, Default)]
pub struct SiteFacts {
    pub baseline: u64,
    pub polls_with_ballots: BTreeSet<PollId>,
    pub days: BTreeSet<Day>,
}

/// Reads the whole file, checking every piece: refuses a cut file, a
/// newer format, a site `served` does not hold and a malformed id.
pub fn survey(path: &Path, served: &Sites) -> anyhow::Result<Facts> {
    let mut reader = open(path)?;
    let header = reader.header().clone();
    let mut facts = Facts::default();
    for entry in &header.sites {
        let site = served_site(&entry.id, served)
            .with_context(|| format!("{}: the header", path.display()))?;
        facts.sites.entry(site).or_default();
    }
    facts.header = Some(header);
    for piece in &mut reader {
        let piece = piece.with_context(|| path.display().to_string())?;
        let at = || format!("{}: record {}", path.display(), facts.pieces + 1);
        let site = served_site(piece.site(), served).with_context(at)?;
        check_piece(&piece).with_context(at)?;
        facts.pieces += 1;
        let of = facts.sites.entry(site).or_default();
        match &piece {
            Piece::Counters { baseline, .. } => of.baseline += baseline,
            Piece::Day { day, visits, .. } if *visits > 0 => {
                of.days.insert(*day);
            }
            Piece::Poll { poll, counts, .. } if counts.get("_voters").is_some_and(|n| *n > 0) => {
                of.polls_with_ballots.insert(poll.id.clone());
            }
            _ => {}
        }
    }
    Ok(facts)
}

/// The site a file names, if this tally serves it: a site it does not
/// serve would be written where nothing reads it.
fn served_site(name: &str, served: &Sites) -> anyhow::Result<SiteId> {
    let site = SiteId::parse(name).map_err(|e| anyhow::anyhow!("site {name:?}: {e}"))?;
    if served.get(&site).is_none() {
        if served.configured() {
            bail!(
                "site {name:?} is not one this tally serves: add it to the sites file \
                 (TALLY_SITES_FILE), or restore with the sites file the export was made with"
            );
        }
        bail!(
            "site {name:?} is not one this tally serves (only {}, without TALLY_SITES_FILE): set \
             TALLY_SITES_FILE to the sites file the export was made with",
            served.primary().id
        );
    }
    Ok(site)
}

/// A piece whose strings become keys must be what tally itself writes.
fn check_piece(piece: &Piece) -> anyhow::Result<()> {
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

/// Restores `path` into `store`, every site of it; says how many pieces
/// it wrote.
pub async fn restore(
    store: Arc<dyn Store>,
    served: &Sites,
    path: &Path,
    merge: bool,
) -> anyhow::Result<u64> {
    let facts = survey(path, served)?;
    for (site, of) in &facts.sites {
        admit(&store, site, of, merge).await?;
    }
    let cut = facts.header.as_ref().map_or(0, |h| h.cut.as_millisecond());
    // Every site is marked before the first piece is written, so a restore
    // that dies anywhere leaves each site it may have touched marked.
    for site in facts.sites.keys() {
        store.mark_restore(site, Some(cut)).await?;
    }
    let mut batch: Vec<Piece> = Vec::with_capacity(BATCH);
    let mut written = 0;
    for piece in open(path)? {
        let piece = piece?;
        let other_site = batch.first().is_some_and(|p| p.site() != piece.site());
        if batch.len() == BATCH || other_site {
            written += write(&store, std::mem::take(&mut batch)).await?;
        }
        batch.push(piece);
    }
    written += write(&store, batch).await?;
    for site in facts.sites.keys() {
        store.mark_restore(site, None).await?;
    }
    Ok(written)
}

/// Writes `batch`, pieces of one site; says how many.
async fn write(store: &Arc<dyn Store>, batch: Vec<Piece>) -> anyhow::Result<u64> {
    let Some(first) = batch.first() else {
        return Ok(0);
    };
    let site = SiteId::parse(first.site())?;
    let written = batch.len() as u64;
    store.restore(&site, batch).await?;
    Ok(written)
}

/// Whether the store may take the file's `site`: not half restored, and
/// empty (or, merging, holding nothing the file would count twice).
async fn admit(
    store: &Arc<dyn Store>,
    site: &SiteId,
    facts: &SiteFacts,
    merge: bool,
) -> anyhow::Result<()> {
    let holding = store.holding(site).await?;
    if let Some(cut) = holding.restoring {
        bail!(
            "the store holds an incomplete restore of site {site} (of an export cut at {}): empty \
             it (a new TALLY_DATA_DIR, or an emptied Redis) and restore again",
            cut_time(cut)
        );
    }
    if holding.empty {
        return Ok(());
    }
    if !merge {
        bail!(
            "the store is not empty (site {site}): a restore writes into an empty store (--merge \
             adds into this one, refused if anything would be counted twice)"
        );
    }
    let held = store_summary(Arc::clone(store), std::slice::from_ref(site)).await?;
    let conflicts = conflicts(facts, &held, site);
    if conflicts.is_empty() {
        return Ok(());
    }
    let more = conflicts.len().saturating_sub(MOST_SHOWN);
    let mut why = conflicts
        .into_iter()
        .take(MOST_SHOWN)
        .collect::<Vec<_>>()
        .join("; ");
    if more > 0 {
        why.push_str(&format!("; and {more} more"));
    }
    bail!("a merge would count twice (site {site}): {why}");
}

/// What a merge of `facts` into a store holding `held` would count twice.
fn conflicts(facts: &SiteFacts, held: &Summary, site: &SiteId) -> Vec<String> {
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
