//! The admin API on the ops listener, behind `Authorization: Bearer
//! <token>` (one of `TALLY_ADMIN_TOKENS`, or `TALLY_ADMIN_TOKEN`): polls
//! ([`polls`]), the history, exports, import and audit log ([`history`]).
//! Every change goes through [`Editing`], which notes who made it.

mod answers;
pub mod backup;
pub mod baseline;
pub mod bodies;
pub mod define;
pub mod drafts;
pub mod history;
mod params;
pub mod polls;
pub mod signed;
pub mod sites;

use std::sync::Arc;

use http::HeaderMap;

use crate::edge::auth::{Refused, SignIn};
use crate::edge::client::Client;
use crate::edge::error::ApiError;
use crate::edge::extract::Param;
use crate::edge::poll_json::{PollBody, ResultsBody};
use crate::edge::respond::{json_object, media_type_is, read_body};
use crate::editing::{EditError, Editing, Editings};
use crate::history::{History, HistoryError};
use crate::ids::{PollId, SiteId};
use crate::poll::Viewer;
use crate::roles::Grant;
use crate::store::PollState;
use bodies::{AdminPoll, Put};
pub use signed::{EditPolls, EditSites, Named, Operate, Read, ReadSites, Signed};

/// Admin bodies carry whole polls: more room than a hit's.
pub const MAX_ADMIN_BODY: usize = 64 * 1024;

/// What the admin routes need.
pub struct AdminApi {
    /// The primary site's changes (its history, imports, audit log).
    pub editing: Arc<Editing>,
    /// Each site's changes to its polls.
    pub editings: Arc<Editings>,
    pub history: Arc<History>,
    /// The tokens, and wrong ones counted with the console's; none set,
    /// the admin API is off.
    pub sign_in: Arc<SignIn>,
    /// The site's language, for spreadsheets written for people.
    pub lang: crate::edge::text::Lang,
    /// Exports of the whole state.
    pub backups: Arc<crate::archive::Backups>,
    /// Every site's counter: the sites and their figures.
    pub counters: Arc<crate::counter::Counters>,
    /// What is kept, and until when: the removed sites' data.
    pub retention: Arc<crate::retention::Retention>,
    /// The sites, and their creation and changes.
    pub book: Arc<crate::site_book::SiteBook>,
}

/// A poll's id from the path, read after the token is checked.
pub type PollPath = Param;

/// The poll a path names; a malformed id names no poll.
pub fn poll_id(Param(raw): PollPath) -> Result<PollId, ApiError> {
    raw.and_then(|raw| PollId::parse(&raw).ok())
        .ok_or(ApiError::PollNotFound)
}

impl AdminApi {
    /// Whose bearer token the request carries, and its role. A correct
    /// token is always accepted; a wrong one from an address that sent too
    /// many is answered `429` with when to try again. Handlers do not call
    /// this: they take a [`Signed`], which also checks the role.
    fn authenticate(
        &self,
        headers: &HeaderMap,
        client: Client,
    ) -> Result<(String, Grant), ApiError> {
        if self.sign_in.is_off() {
            return Err(ApiError::AdminDisabled);
        }
        // No token at all is not a guess.
        if !headers.contains_key(http::header::AUTHORIZATION) {
            return Err(ApiError::Unauthorized);
        }
        match self.sign_in.bearer(headers, client.ip, "admin API") {
            Ok(holder) => Ok((
                holder.name.to_owned(),
                Grant {
                    role: holder.role,
                    site: holder.site.cloned(),
                },
            )),
            Err(Refused::Wrong) => Err(ApiError::Unauthorized),
            Err(Refused::TooSoon(wait)) => Err(ApiError::SignInLockedOut {
                retry_after_secs: wait.as_secs().max(1),
            }),
        }
    }

    /// A poll as editors read it: times with the portal's offset, to the
    /// second.
    pub fn admin_poll(&self, state: &PollState, result: Option<Put>) -> AdminPoll {
        let now = self.editing.voting.now();
        let calendar = self.history.calendar();
        let mut poll = PollBody::new(state, now, Viewer::Editor, calendar.zone_name());
        poll.opens_at = state.poll.opens_at.map(|t| calendar.local(t));
        poll.closes_at = state.poll.closes_at.map(|t| calendar.local(t));
        AdminPoll {
            poll,
            results: ResultsBody::new(state, now),
            archived_at: state.poll.archived_at.map(|t| calendar.local(t)),
            draft: state.poll.draft,
            result,
        }
    }

    /// The changes to `site`'s polls (a site its [`Signed`] found).
    pub fn polls_of(&self, site: &SiteId) -> Result<Arc<Editing>, ApiError> {
        self.editings.get(site).ok_or(ApiError::SiteNotFound)
    }

    /// A poll of `site`.
    pub async fn state(&self, site: &SiteId, id: &PollId) -> Result<PollState, ApiError> {
        self.polls_of(site)?
            .voting
            .state(id, None)
            .await?
            .ok_or(ApiError::PollNotFound)
    }
}

impl From<EditError> for ApiError {
    fn from(e: EditError) -> Self {
        match e {
            EditError::NotFound => ApiError::PollNotFound,
            EditError::ClosesInThePast | EditError::VotersForgotten => {
                ApiError::InvalidPoll(e.to_string())
            }
            EditError::DraftWithBallots => ApiError::PublishedWithBallots,
            EditError::Store(e) => e.into(),
        }
    }
}

impl From<HistoryError> for ApiError {
    fn from(e: HistoryError) -> Self {
        match e {
            HistoryError::Span(why) => ApiError::InvalidQuery(why),
            HistoryError::Import(why) => ApiError::InvalidImport(why.to_string()),
            HistoryError::Store(e) => e.into(),
            HistoryError::Unsettled(e) => {
                tracing::warn!(error = %e, "history import: outcome unknown");
                ApiError::ImportUnsettled
            }
        }
    }
}

/// An admin request's JSON object body.
pub async fn json_body(
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<serde_json::Value, ApiError> {
    let bytes = read_body(headers, body, MAX_ADMIN_BODY).await?;
    if !media_type_is(headers, &["application/json"]) {
        return Err(ApiError::UnsupportedMediaType {
            expected: "application/json",
        });
    }
    json_object(&bytes)
}
