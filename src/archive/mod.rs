//! A deployment's whole state, moved and kept: the export format
//! ([`format`]), written as a stream from a running store ([`export`]),
//! fetched from a running tally ([`fetch`]), read back into a store
//! ([`restore`]) and compared count for count ([`check`]); one site's
//! pieces added into another's ([`merge`]). What it carries and what the
//! cut guarantees: `docs/backup.md`.

pub mod check;
pub mod fetch;
pub mod format;
pub mod merge;
pub mod restore;

use std::sync::Arc;

use bytes::Bytes;
use jiff::Timestamp;
use tokio::sync::mpsc;

use crate::ids::SiteId;
use crate::site::Site;
use crate::sites::Sites;
use crate::store::piece::{Piece, SINK_DEPTH};
use crate::store::{Store, StoreError};
use format::{Header, Writer};

/// Compressed bytes gathered before they are handed to the stream.
const CHUNK_BYTES: usize = 64 * 1024;

/// Exports of a running deployment, every site of it, for the ops
/// listener.
pub struct Backups {
    /// The primary site: its store and clock serve every site's export.
    site: Site,
    /// Every site served, in id order: what an export carries.
    /// Swapped whole when a site is created while tally runs.
    sites: arc_swap::ArcSwap<Vec<SiteId>>,
    /// The served sites created through the admin API: id, definition.
    defined: arc_swap::ArcSwap<Vec<(String, String)>>,
}

impl Backups {
    pub fn new(site: Site, sites: &Sites) -> Self {
        let backups = Self {
            site,
            sites: arc_swap::ArcSwap::from_pointee(Vec::new()),
            defined: arc_swap::ArcSwap::from_pointee(Vec::new()),
        };
        backups.serve(sites);
        backups
    }

    /// Carries every one of `sites` from now on.
    pub fn serve(&self, sites: &Sites) {
        let ids = sites.all().into_iter().map(|def| def.id.clone()).collect();
        self.sites.store(Arc::new(ids));
        let defined = sites
            .all()
            .into_iter()
            .filter(|def| sites.is_defined(&def.id))
            .filter_map(|def| {
                let json = serde_json::to_string(&crate::sites::SiteSpec::of(def)).ok()?;
                Some((def.id.to_string(), json))
            });
        self.defined.store(Arc::new(defined.collect()));
    }

    /// Whether the store answers, so an export that cannot begin is
    /// refused before its answer does.
    pub async fn ready(&self) -> Result<(), StoreError> {
        self.site.store.ping().await
    }

    /// The export, cut now: its cut and its stream.
    pub fn stream(&self) -> (Timestamp, mpsc::Receiver<std::io::Result<Bytes>>) {
        let cut = self.site.clock.now();
        let store = Arc::clone(&self.site.store);
        let sites = self.sites.load().to_vec();
        let names: Vec<&str> = sites.iter().map(SiteId::as_str).collect();
        let header = Header::new(store.kind(), cut, &names).with_defined(&self.defined.load());
        (cut, export(store, sites, header))
    }
}

/// Pieces an export works through between rests.
const PACE_PIECES: u32 = 64;

/// An export works a third of the time at most: after each
/// [`PACE_PIECES`] pieces it rests twice as long as they took, so reading
/// the store and compressing leave the cores to the requests (a backup
/// takes three times as long, and the traffic's p99 during it stays under
/// twice its p99 without: `tests/it/backup_load.rs`).
struct Pace {
    since: std::time::Instant,
    pieces: u32,
}

impl Pace {
    fn new() -> Self {
        Self {
            since: std::time::Instant::now(),
            pieces: 0,
        }
    }

    fn step(&mut self) {
        self.pieces += 1;
        if self.pieces == PACE_PIECES {
            std::thread::sleep(2 * self.since.elapsed());
            *self = Self::new();
        }
    }
}

/// The export of `sites` as a stream of compressed chunks, made as it is
/// read: `header` (listing the sites, and the definitions of those
/// created through the admin API) first, then each site's pieces follow, one
/// site after another. The store sends pieces into a bounded queue, so
/// memory holds a few hundred pieces and one chunk, whatever the store's
/// size or the number of sites. A failure ends the stream with an error,
/// before the end line: what was received then reads as a cut file.
pub fn export(
    store: Arc<dyn Store>,
    sites: Vec<SiteId>,
    header: Header,
) -> mpsc::Receiver<std::io::Result<Bytes>> {
    let (chunks, out) = mpsc::channel(4);
    let (sink, mut pieces) = mpsc::channel::<Piece>(SINK_DEPTH);

    let reading = tokio::spawn(async move {
        let mut sent = 0;
        for site in &sites {
            sent += store.export(site, sink.clone()).await?;
        }
        Ok::<_, StoreError>(sent)
    });
    // Encoding and compressing is the export's heaviest work: it runs on a
    // thread of its own, not on the workers that answer requests.
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let failed = |why: String| std::io::Error::other(why);
        let mut writer = match Writer::new(Vec::new(), &header) {
            Ok(writer) => writer,
            Err(e) => {
                let _ = chunks.blocking_send(Err(e));
                return;
            }
        };
        let mut written = 0;
        let mut pace = Pace::new();
        while let Some(piece) = pieces.blocking_recv() {
            written += 1;
            pace.step();
            if let Err(e) = writer.piece(&piece) {
                let _ = chunks.blocking_send(Err(e));
                return;
            }
            if writer.get_mut().len() >= CHUNK_BYTES {
                let chunk = Bytes::from(std::mem::take(writer.get_mut()));
                if chunks.blocking_send(Ok(chunk)).is_err() {
                    // The client went away; the store's next send fails.
                    return;
                }
            }
        }
        let last = match runtime.block_on(reading) {
            Ok(Ok(sent)) if sent == written => writer.finish().map(Bytes::from),
            Ok(Ok(sent)) => Err(failed(format!(
                "the store sent {sent} pieces, {written} arrived"
            ))),
            Ok(Err(e)) => Err(failed(format!("export: {e}"))),
            Err(e) => Err(failed(format!("export task: {e}"))),
        };
        if let Err(e) = &last {
            tracing::error!(error = %e, "export failed; the stream ends without its end line");
        }
        let _ = chunks.blocking_send(last);
    });
    out
}
