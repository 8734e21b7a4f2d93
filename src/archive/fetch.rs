//! `tally backup`: downloads a running tally's export from its ops
//! listener (`GET /admin/backup`) into a file beside the one asked for,
//! reads it back whole (gzip trailer, end line, record count), and only
//! then renames it into place: a broken download never leaves a file that
//! looks whole.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::format::Header;
use super::restore::open;

/// Fetches `<from>/admin/backup` with `token` into `out`; says what the
/// export is and how many records it holds.
pub async fn backup(from: &str, token: &str, out: &Path) -> anyhow::Result<(Header, u64)> {
    let url = format!("{}/admin/backup", from.trim_end_matches('/'));
    let partial = partial_path(out);
    let fetched = download(&url, token, &partial).await;
    let checked = fetched.and_then(|()| verify(&partial));
    match checked {
        Ok(found) => {
            std::fs::rename(&partial, out)
                .with_context(|| format!("{}: cannot move into place", out.display()))?;
            Ok(found)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
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
