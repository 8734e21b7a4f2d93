//! `tally merge-site`: one site's stored counts added into another's
//! ([`plan`] says what goes where), kept in a journal (an export of what
//! was written), marked on the target until confirmed (the merged site's
//! own data then deleted) or undone (the journal's counts taken back).
//! See `docs/sites.md`, "A site's life".

pub mod plan;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use jiff::Timestamp;
use serde_json::json;

use super::format::{Header, Writer};
use super::restore::open;
use crate::audit::{Action, AuditEntry};
use crate::ids::SiteId;
use crate::sites::Sites;
use crate::store::Store;
use crate::store::piece::{MergeMark, Piece, SINK_DEPTH};
pub use plan::Plan;

/// Who the audit log says acted: the operator at the command line.
const WHO: &str = "cli";

/// What a merge did, for its report.
#[derive(Debug)]
pub struct Merged {
    pub journal: PathBuf,
    pub written: u64,
    /// The merged site's baseline, added to the target's.
    pub baseline: u64,
}

/// Where a merge's journal goes unless the operator names a file.
pub fn default_journal(data_dir: &Path, plan: &Plan, at: Timestamp) -> PathBuf {
    let stamp = at.strftime("%Y-%m-%dT%H%M%SZ");
    data_dir
        .join("merges")
        .join(format!("{}-into-{}-{stamp}.jsonl.gz", plan.from, plan.into))
}

/// Every piece of `site`, read in one export.
async fn export(store: &Arc<dyn Store>, site: &SiteId) -> anyhow::Result<Vec<Piece>> {
    let (sink, mut pieces) = tokio::sync::mpsc::channel(SINK_DEPTH);
    let reading = {
        let (store, site) = (Arc::clone(store), site.clone());
        tokio::spawn(async move { store.export(&site, sink).await })
    };
    let mut out = Vec::new();
    while let Some(piece) = pieces.recv().await {
        out.push(piece);
    }
    reading.await??;
    Ok(out)
}

/// The merge's entry: who, what, and the plan (read back by an undo).
fn entry(action: Action, plan: &Plan, at: Timestamp) -> AuditEntry {
    let gains: Vec<&str> = plan.gains.iter().map(SiteId::as_str).collect();
    AuditEntry {
        at,
        who: WHO.into(),
        action,
        target: plan.from.to_string(),
        before: None,
        after: Some(json!({ "into": plan.into.as_str(), "gains": gains })),
    }
}

/// Keeps `entry` in the log of `into`, the target site, where its editors
/// read it, and in the primary site's, where the province's admins read
/// the province's changes.
async fn record(
    store: &Arc<dyn Store>,
    served: &Sites,
    into: &SiteId,
    entry: &AuditEntry,
) -> anyhow::Result<()> {
    let json = serde_json::to_string(entry)?;
    let primary = &served.primary().id;
    if into != primary {
        store.append_audit(into, &json).await?;
    }
    store.append_audit(primary, &json).await?;
    Ok(())
}

/// Refuses a merge that would stand on a restore or another merge left
/// half done, or repeat one that stands.
async fn admit(store: &Arc<dyn Store>, plan: &Plan) -> anyhow::Result<()> {
    for site in [&plan.from, &plan.into] {
        if store.holding(site).await?.restoring.is_some() {
            bail!("the store holds an incomplete restore of site {site}: finish it first");
        }
    }
    for (from, mark) in store.merges(&plan.into).await? {
        if from == plan.from.as_str() {
            bail!(
                "{from} is merged into {} already ({}): confirm or undo that merge first",
                plan.into,
                words(mark)
            );
        }
        if mark == MergeMark::Writing {
            bail!(
                "a merge of {from} into {} was cut off while writing",
                plan.into
            );
        }
    }
    Ok(())
}

fn words(mark: MergeMark) -> &'static str {
    match mark {
        MergeMark::Writing => "cut off while writing",
        MergeMark::Pending => "pending",
    }
}

/// Refuses the merge, before anything is written, when a poll id of the
/// merged site is one of the target's (live or deleted): two polls cannot
/// become one.
async fn polls_apart(store: &Arc<dyn Store>, plan: &Plan, pieces: &[Piece]) -> anyhow::Result<()> {
    let held: Vec<String> = store
        .list_polls(&plan.into)
        .await?
        .into_iter()
        .map(|poll| poll.id.to_string())
        .collect();
    for piece in pieces {
        let Piece::Poll { poll, .. } = piece else {
            continue;
        };
        if held.contains(&poll.id.to_string()) || store.deleted(&plan.into, &poll.id).await? {
            bail!(
                "poll {} is on both {} and {}: nothing was written; an editor deletes one of \
                 them (a backup keeps its results) before the merge",
                poll.id,
                plan.from,
                plan.into
            );
        }
    }
    Ok(())
}

/// Writes the journal whole (beside as FILE.partial, renamed once synced),
/// before the store is touched: its first piece is the merge's entry.
fn write_journal(
    path: &Path,
    kind: &str,
    at: Timestamp,
    entry: &AuditEntry,
    pieces: &[Piece],
) -> anyhow::Result<()> {
    if path.exists() {
        bail!("--journal {}: the file exists", path.display());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    }
    let mut sites: Vec<&str> = pieces.iter().map(Piece::site).collect();
    sites.dedup();
    let into = entry.after.as_ref().and_then(|a| a["into"].as_str());
    let mut named: Vec<&str> = into.into_iter().chain(sites).collect();
    named.sort_unstable();
    named.dedup();
    let partial = path.with_extension("partial");
    let file = std::fs::File::create(&partial).with_context(|| partial.display().to_string())?;
    let mut writer = Writer::new(
        std::io::BufWriter::new(file),
        &Header::new(kind, at, &named),
    )?;
    writer.piece(&Piece::Audit {
        site: into.unwrap_or_default().to_owned(),
        entry: serde_json::to_string(entry)?,
    })?;
    for piece in pieces {
        writer.piece(piece)?;
    }
    let file = writer.finish()?.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    std::fs::rename(&partial, path).with_context(|| path.display().to_string())?;
    Ok(())
}

/// `pieces` by the site each is written to.
fn by_site(pieces: Vec<Piece>) -> anyhow::Result<BTreeMap<SiteId, Vec<Piece>>> {
    let mut out: BTreeMap<SiteId, Vec<Piece>> = BTreeMap::new();
    for piece in pieces {
        out.entry(SiteId::parse(piece.site())?)
            .or_default()
            .push(piece);
    }
    Ok(out)
}

/// Merges `plan.from` into `plan.into`: refuses (writing nothing) what
/// cannot be merged, writes the journal, marks the target, adds the
/// pieces site by site, marks the merge pending and records it.
pub async fn merge(
    store: Arc<dyn Store>,
    served: &Sites,
    plan: &Plan,
    journal: &Path,
    at: Timestamp,
) -> anyhow::Result<Merged> {
    admit(&store, plan).await?;
    let exported = export(&store, &plan.from).await?;
    polls_apart(&store, plan, &exported).await?;
    let baseline = exported
        .iter()
        .map(|p| match p {
            Piece::Counters { baseline, .. } => *baseline,
            _ => 0,
        })
        .sum();
    let pieces = plan.pieces(exported);
    let entry = entry(Action::MergeSite, plan, at);
    write_journal(journal, store.kind(), at, &entry, &pieces)?;
    let written = pieces.len() as u64;
    store
        .mark_merge(&plan.into, &plan.from, Some(MergeMark::Writing))
        .await?;
    for (site, pieces) in by_site(pieces)? {
        store.restore(&site, pieces).await?;
    }
    store
        .mark_merge(&plan.into, &plan.from, Some(MergeMark::Pending))
        .await?;
    store.sync().await?;
    record(&store, served, &plan.into, &entry).await?;
    Ok(Merged {
        journal: journal.to_owned(),
        written,
        baseline,
    })
}

/// The plan a journal's first piece, the merge's entry, names.
fn journal_plan(entry: &str) -> anyhow::Result<Plan> {
    let entry: AuditEntry = serde_json::from_str(entry)?;
    let after = entry.after.unwrap_or_default();
    let site = |v: &serde_json::Value| SiteId::parse(v.as_str().unwrap_or_default());
    let gains = after["gains"]
        .as_array()
        .map(|all| all.iter().map(site).collect::<Result<Vec<_>, _>>())
        .transpose()?
        .unwrap_or_default();
    if entry.action != Action::MergeSite {
        bail!("its first record is not a merge's");
    }
    Ok(Plan {
        from: SiteId::parse(&entry.target)?,
        into: site(&after["into"])?,
        gains,
    })
}

/// Reads a journal whole: the merge it records and the pieces it wrote.
pub fn read_journal(path: &Path) -> anyhow::Result<(Plan, Vec<Piece>)> {
    let at = || format!("--journal {}", path.display());
    let mut pieces = open(path)?
        .collect::<Result<Vec<_>, _>>()
        .with_context(at)?;
    if pieces.is_empty() {
        bail!("{}: not a merge's journal", at());
    }
    let Piece::Audit { entry, .. } = pieces.remove(0) else {
        bail!("{}: not a merge's journal", at());
    };
    let plan = journal_plan(&entry).with_context(|| format!("{}: not a merge's journal", at()))?;
    Ok((plan, pieces))
}

/// The mark of `plan`'s merge, refusing when there is none standing.
async fn standing(store: &Arc<dyn Store>, plan: &Plan) -> anyhow::Result<MergeMark> {
    let marks = store.merges(&plan.into).await?;
    match marks.iter().find(|(from, _)| from == plan.from.as_str()) {
        Some((_, mark)) => Ok(*mark),
        None => bail!(
            "no merge of {} into {} stands (undone or confirmed already)",
            plan.from,
            plan.into
        ),
    }
}

/// Takes a pending merge back by its journal: each count it added is
/// taken off again (what was counted into the target since stays there),
/// and the polls it moved leave the target (they stayed with the merged
/// site). Refused when a moved poll took ballots on the target since: the
/// undo would take those voters' ballots away.
pub async fn undo(store: Arc<dyn Store>, served: &Sites, journal: &Path) -> anyhow::Result<Plan> {
    let (plan, pieces) = read_journal(journal)?;
    if standing(&store, &plan).await? == MergeMark::Writing {
        bail!(
            "the merge of {} into {} was cut off while writing: what it wrote is not known, so \
             it cannot be taken back; restore the backup taken before it",
            plan.from,
            plan.into
        );
    }
    let now = export(&store, &plan.into).await?;
    for piece in &pieces {
        let Piece::Poll { poll, counts, .. } = piece else {
            continue;
        };
        let moved = counts.get("_voters").copied().unwrap_or(0);
        let held = now.iter().find_map(|p| match p {
            Piece::Poll {
                poll: held, counts, ..
            } if held.id == poll.id => Some(counts.get("_voters").copied().unwrap_or(0)),
            _ => None,
        });
        if held.is_some_and(|held| held != moved) {
            bail!(
                "poll {} took ballots on {} since the merge: an undo would take them away; \
                 confirm the merge instead",
                poll.id,
                plan.into
            );
        }
    }
    for (site, pieces) in by_site(pieces)? {
        store.withdraw(&site, pieces).await?;
    }
    store.mark_merge(&plan.into, &plan.from, None).await?;
    store.sync().await?;
    let undone = entry(Action::UndoMerge, &plan, Timestamp::now());
    record(&store, served, &plan.into, &undone).await?;
    Ok(plan)
}

/// Confirms a pending merge: the merged site's own data is deleted.
/// Refused while the sites file still serves it as a site (its counter
/// would start again from nothing).
pub async fn confirm(
    store: Arc<dyn Store>,
    served: &Sites,
    plan: &Plan,
    at: Timestamp,
) -> anyhow::Result<u64> {
    if served.get(&plan.from).is_some() {
        bail!(
            "{} is still a site of the sites file: make it an alias of {} (or remove it) first",
            plan.from,
            plan.into
        );
    }
    if standing(&store, plan).await? == MergeMark::Writing {
        bail!(
            "the merge of {} into {} was cut off while writing: restore the backup taken before it",
            plan.from,
            plan.into
        );
    }
    let removed = store.forget_site(&plan.from).await?;
    store.mark_merge(&plan.into, &plan.from, None).await?;
    store.sync().await?;
    let confirmed = entry(Action::ConfirmMerge, plan, at);
    record(&store, served, &plan.into, &confirmed).await?;
    Ok(removed)
}
