//! `GET /v1/polls/{id}/events`: a poll's results as they change, as
//! server-sent events (`event: results`, the results body as data), for a
//! results view that updates by itself. At most one message per interval
//! (the flush interval, which is also how fresh the results it reads are),
//! and only when the results changed; a comment every 2 s keeps proxies
//! from closing an idle stream, and is how a stream whose client has gone
//! finds out (its write fails) and gives its place back. A stream ends
//! after `TALLY_STREAM_LIFETIME` (15 minutes unless set) and the browser's
//! `EventSource` reconnects. A client without `EventSource` reads
//! `GET /v1/polls/{id}/results` now and then instead.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use http::Uri;

use super::params::{FirstPartyId, Poll, PollSite, VisitorCookie};
use super::polls::{PollPath, PollsApi};
use crate::edge::client::Client;
use crate::edge::error::ApiError;
use crate::edge::extract::Headers;
use crate::edge::poll_json::ResultsBody;
use crate::edge::respond::Response;
use crate::edge::schema;
use crate::edge::stream::{Opened, event, keep_alive};
use crate::edge::visitor::reader;
use crate::ids::PollId;
use crate::poll::{Shown, Viewer};
use crate::refusals;
use crate::voting::Voting;

/// How often an idle stream says it is alive.
const KEEP_ALIVE: Duration = Duration::from_secs(2);

refusals!(EventsRefusals: [
    PollNotFound,
    SiteRequired,
    SiteNotFound,
    InvalidVisitor,
    results_hidden(),
    TooManyStreamsFromAddress { most: 8 },
    TooManyStreams,
    StoreUnavailable,
]);

/// Follow a poll's results live
///
/// Server-sent events (`text/event-stream`): a `results` event with the
/// results now, then one whenever ballots change them, at most one per
/// flush interval, and a comment every 2 s to keep the connection open.
/// Each event's data is the JSON of `GET /v1/polls/{id}/results`. A replica keeps at most
/// `TALLY_MAX_STREAMS` open (`503 too_many_streams` beyond it: read
/// `/results` again every few seconds instead), and at most
/// `TALLY_MAX_STREAMS_PER_ADDRESS` for one client address, an IPv6
/// client's /64 (`429 too_many_streams_from_address` beyond it); streams
/// end when the replica shuts down, and browsers reconnect by themselves.
#[utoipa::path(
    get, path = "/v1/polls/{id}/events", tag = "polls", operation_id = "getResultEvents",
    params(Poll, PollSite, VisitorCookie, FirstPartyId),
    responses(
        (status = 200, description = "The stream of results.", body = schema::ResultsEvent,
            content_type = "text/event-stream; charset=utf-8",
            headers(
                ("Cache-Control" = String, description = "`no-store`."),
                ("X-Accel-Buffering" = String, description = "`no`: a proxy passes events on as they come."),
            )),
        EventsRefusals,
    ),
)]
pub async fn get_events(
    State(api): State<Arc<PollsApi>>,
    PollPath(id): PollPath,
    client: Client,
    Headers(headers): Headers,
    uri: Uri,
) -> Result<Response, ApiError> {
    let person = reader(&headers)?;
    let voting = &api.named(&uri)?;
    let view = voting
        .view(&id, person.as_ref())
        .await?
        .ok_or(ApiError::PollNotFound)?;
    if !view.visible() {
        return Err(ApiError::ResultsHidden(view.shown));
    }
    let viewer = if view.state.voted.is_some() {
        Viewer::Voter
    } else {
        Viewer::Visitor
    };
    let (response, opened) = api.streams.open(client.ip)?;
    tokio::spawn(follow(
        Arc::clone(voting),
        id,
        viewer,
        api.live_interval,
        api.stream_lifetime,
        opened,
    ));
    Ok(response)
}

/// Sends the results, then each change, until the client leaves, the
/// results stop being visible to it, the stream's lifetime ends (the
/// browser's `EventSource` reconnects by itself, so long-lived streams
/// spread again over the replicas) or the replica shuts down.
async fn follow(
    voting: Arc<Voting>,
    id: PollId,
    viewer: Viewer,
    interval: Duration,
    lifetime: Duration,
    mut opened: Opened,
) {
    let ends = tokio::time::sleep(lifetime);
    tokio::pin!(ends);
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last: Option<(Vec<u64>, u64, String)> = None;
    let mut said = Instant::now();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = opened.closing.changed() => return,
            () = &mut ends => return,
        }
        let Ok(Some(state)) = voting.results(&id).await else {
            continue;
        };
        let now = voting.now();
        if state.poll.results_shown(viewer, now) != Shown::Now {
            return;
        }
        let body = ResultsBody::new(&state, now);
        let status = serde_json::to_string(&body.status).unwrap_or_default();
        let seen = (state.votes.clone(), state.voters, status);
        let message = if last.as_ref() != Some(&seen) {
            last = Some(seen);
            let data = serde_json::to_string(&body).unwrap_or_default();
            event("results", &data)
        } else if said.elapsed() >= KEEP_ALIVE {
            keep_alive()
        } else {
            continue;
        };
        if opened.sender.send(message).await.is_err() {
            return;
        }
        said = Instant::now();
    }
}
