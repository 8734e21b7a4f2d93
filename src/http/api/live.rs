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

use std::time::{Duration, Instant};

use super::bodies::ResultsBody;
use super::polls::{PollsApi, poll_id};
use crate::http::error::ApiError;
use crate::http::identity::reader;
use crate::http::respond::{Req, Response};
use crate::http::stream::{Opened, event, keep_alive};
use crate::ids::PollId;
use crate::poll::{Shown, Viewer};
use crate::voting::Voting;
use std::sync::Arc;

/// How often an idle stream says it is alive.
const KEEP_ALIVE: Duration = Duration::from_secs(2);

impl PollsApi {
    pub async fn events(&self, req: &Req, id: Option<&str>) -> Result<Response, ApiError> {
        let id = poll_id(id)?;
        let person = reader(req.headers())?;
        let view = self
            .voting
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
        let (response, opened) = self.streams.open().ok_or(ApiError::TooManyStreams)?;
        tokio::spawn(follow(
            Arc::clone(&self.voting),
            id,
            viewer,
            self.live_interval,
            self.stream_lifetime,
            opened,
        ));
        Ok(response)
    }
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
