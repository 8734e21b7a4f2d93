//! `tally backup`: downloads a running tally's export from its ops
//! listener (`GET /admin/backup`) into a file beside the one asked for,
//! reads it back whole (gzip trailer, end line, record count), and only
//! then renames it into place: a broken download never leaves a file that
//! looks whole. Into a directory, the file is named from the export's cut
//! and older backups there can be pruned once the new one is whole.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use jiff::Timestamp;

use super::format::Header;
use super::restore::open;

/// Fetches `<from>/admin/backup` with `token` into `out`; says what the
/// export is and how many records it holds.
pub async fn backup(from: &str, token: &str, out: &Path) -> anyhow::Result<(Header, u64)> {
    let partial = partial_path(out);
    let found = fetch_whole(from, token, &partial).await?;
    std::fs::rename(&partial, out)
        .with_context(|| format!("{}: cannot move into place", out.display()))?;
    Ok(found)
}

/// Downloads the export into `partial` and reads it back whole; on any
/// failure removes `partial`.
async fn fetch_whole(from: &str, token: &str, partial: &Path) -> anyhow::Result<(Header, u64)> {
    let url = format!("{}/admin/backup", from.trim_end_matches('/'));
    let fetched = download(&url, token, partial).await;
    let checked = fetched.and_then(|()| verify(partial));
    if checked.is_err() {
        let _ = std::fs::remove_file(partial);
    }
    checked
}

/// How a backup written into a directory is named: `tally-<cut>.jsonl.gz`,
/// the cut in UTC to the second (`tally-2026-12-06T020000Z.jsonl.gz`), so
/// names sort as the cuts do.
pub fn backup_name(cut: Timestamp) -> String {
    format!("tally-{}.jsonl.gz", cut.strftime("%Y-%m-%dT%H%M%SZ"))
}

/// Whether `name` is one [`backup_name`] makes: only such files are pruned.
fn is_backup_name(name: &str) -> bool {
    let Some(cut) = name
        .strip_prefix("tally-")
        .and_then(|n| n.strip_suffix(".jsonl.gz"))
    else {
        return false;
    };
    let shape = "dddd-dd-ddTddddddZ";
    cut.len() == shape.len()
        && cut.chars().zip(shape.chars()).all(|(c, s)| match s {
            'd' => c.is_ascii_digit(),
            s => c == s,
        })
}

/// A backup kept in a directory: its file, the export, and the older
/// backups removed to keep the newest.
pub struct Kept {
    pub file: PathBuf,
    pub header: Header,
    pub records: u64,
    pub removed: Vec<PathBuf>,
}

/// Fetches `<from>/admin/backup` into `dir`, named from the export's cut;
/// once it is whole and in place, with `keep`, removes all but the newest
/// `keep` backups named so there (never the one just written). A backup
/// that fails removes nothing.
pub async fn backup_into(
    from: &str,
    token: &str,
    dir: &Path,
    keep: Option<usize>,
) -> anyhow::Result<Kept> {
    let partial = dir.join("tally-backup.jsonl.gz.partial");
    let (header, records) = fetch_whole(from, token, &partial).await?;
    let file = dir.join(backup_name(header.cut));
    std::fs::rename(&partial, &file)
        .with_context(|| format!("{}: cannot move into place", file.display()))?;
    // The renames are kept across a crash only once the directory is synced.
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("{}: cannot sync", dir.display()))?;
    let removed = match keep {
        Some(keep) => prune(dir, &file, keep)?,
        None => Vec::new(),
    };
    Ok(Kept {
        file,
        header,
        records,
        removed,
    })
}

/// Removes the backups in `dir` beyond the newest `keep`, counting `kept`
/// (just written) among them whatever its name sorts as.
fn prune(dir: &Path, kept: &Path, keep: usize) -> anyhow::Result<Vec<PathBuf>> {
    let listed =
        std::fs::read_dir(dir).with_context(|| format!("{}: cannot list", dir.display()))?;
    let mut older: Vec<PathBuf> = Vec::new();
    for entry in listed {
        let path = entry
            .with_context(|| format!("{}: cannot list", dir.display()))?
            .path();
        let named = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(is_backup_name);
        if named && path != kept && path.is_file() {
            older.push(path);
        }
    }
    older.sort_unstable_by(|a, b| b.cmp(a));
    let gone = older.split_off(keep.saturating_sub(1).min(older.len()));
    for path in &gone {
        std::fs::remove_file(path).with_context(|| format!("{}: cannot remove", path.display()))?;
    }
    Ok(gone)
}

/// `<out>.partial`, in the same directory (so the rename is atomic).
fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    out.with_file_name(name)
}

async fn download(url: &str, token: &str, to: &Path) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let mut response = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .with_context(|| format!("{url}: no answer"))?;
    if !response.status().is_success() {
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        bail!("{url}: {status}: {}", body.trim());
    }
    let mut file =
        std::fs::File::create(to).with_context(|| format!("{}: cannot create", to.display()))?;
    while let Some(chunk) = response
        .chunk()
        .await
        .with_context(|| format!("{url}: the download broke off"))?
    {
        file.write_all(&chunk)
            .with_context(|| format!("{}: cannot write", to.display()))?;
    }
    file.sync_all()
        .with_context(|| format!("{}: cannot write", to.display()))?;
    Ok(())
}

/// Reads the downloaded export to its end line.
fn verify(path: &Path) -> anyhow::Result<(Header, u64)> {
    let mut reader = open(path)?;
    let header = reader.header().clone();
    let mut records = 0;
    for piece in &mut reader {
        piece
            .with_context(|| format!("the download is not a whole export ({})", path.display()))?;
        records += 1;
    }
    Ok((header, records))
}
