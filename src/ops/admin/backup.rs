//! The admin API's backup: the deployment's whole state as one export
//! (`docs/backup.md`), streamed as the store is read, never held whole.
//! The running process serves it: no other may open the embedded file.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use http::{HeaderValue, header};
use tokio_stream::wrappers::ReceiverStream;

use super::{AdminApi, Operate, Signed};
use crate::edge::error::ApiError;
use crate::edge::respond::Response;
use crate::refusals;

refusals!(BackupRefusals: [AdminDisabled, Unauthorized,
    ForbiddenRole, locked_out(), StoreUnavailable]);

/// A backup of the whole state
///
/// Every site's counters, history, pages, polls with their ballots' voter
/// records and tombstones, and the audit log, as gzip'd JSON Lines
/// (`tally-export`, described in docs/backup.md). `tally backup` fetches
/// it, checks that it is whole and writes it to a file; `tally restore`
/// reads it into an empty store of any kind. It needs an admin whose role
/// reaches every site. A stream that breaks off ends
/// without its `end` line, so a cut download is never taken for a whole one.
#[utoipa::path(
    get, path = "/admin/backup", tag = "admin", operation_id = "getBackup",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The export, gzip'd JSON Lines: a header, one line per record, an end line counting them.", content(
            (String = "application/gzip"),
        )), BackupRefusals),
)]
pub async fn get_backup(
    State(api): State<Arc<AdminApi>>,
    signed: Signed<Operate>,
) -> Result<Response, ApiError> {
    // The export carries every site: a grant must reach each of them (a
    // grant on the primary site does not reach another root's sites).
    if !api.counters.sites().reaches_all(&signed.grant) {
        tracing::info!(who = %signed.who, "admin API: backup refused, a site out of reach");
        return Err(ApiError::ForbiddenRole);
    }
    api.backups.ready().await?;
    let (cut, chunks) = api.backups.stream();
    let mut response = Response::new(Body::from_stream(ReceiverStream::new(chunks)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/gzip"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let name = format!(
        "attachment; filename=\"tally-{}.jsonl.gz\"",
        cut.strftime("%Y%m%dT%H%M%SZ")
    );
    if let Ok(value) = HeaderValue::from_str(&name) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
