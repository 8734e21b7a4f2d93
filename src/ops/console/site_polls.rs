//! The site a poll page acts on: the one its `?site=` names, as the admin
//! API's poll routes take it, or the primary site when none is named. The
//! editor's role must reach it; its polls, its changes (audited) and its
//! time zone are the page's. And the picker that moves the polls list from
//! one site to another.

use std::sync::Arc;

use jiff::tz::TimeZone;
use maud::{Markup, html};

use super::layout::Frame;
use super::{Console, Editor, Failure, Page};
use crate::edge::error::ApiError;
use crate::edge::respond::query_param;
use crate::editing::Editing;
use crate::ids::{PollId, SiteId};
use crate::store::PollState;
use crate::voting::Voting;

/// A site's polls, as a poll page acts on them.
pub(super) struct SitePolls {
    pub site: SiteId,
    /// Its changes, each noted in the audit log (`<site>/<poll>` for a
    /// site other than the primary one); its polls, `editing.voting`.
    pub editing: Arc<Editing>,
    /// Its zone, in which the forms' times are typed and shown.
    pub tz: TimeZone,
}

impl Page {
    /// Whether the page acts on a site's polls, the site its `?site=`
    /// names.
    pub(super) fn on_site(self) -> bool {
        matches!(
            self,
            Page::Polls
                | Page::NewPoll
                | Page::Poll
                | Page::EditPoll
                | Page::ClosePoll
                | Page::ReopenPoll
                | Page::OpenPoll
                | Page::PublishPoll
                | Page::ArchivePoll
                | Page::DeletePoll
                | Page::PollResults { .. }
                | Page::Audit
        )
    }
}

impl Console {
    /// The polls of the site `query`'s `site` names (the primary site's
    /// when it names none); a site that is not one is not found.
    pub(super) fn site_polls(&self, query: Option<&str>) -> Result<SitePolls, Failure> {
        let sites = self.counters.sites();
        let primary = &sites.primary().id;
        let site = match query_param(query, "site") {
            Some(name) => SiteId::parse(&name)
                .ok()
                .filter(|id| sites.get(id).is_some())
                .ok_or(Failure::Refused(ApiError::SiteNotFound))?,
            None => primary.clone(),
        };
        let editing = self
            .editings
            .get(&site)
            .ok_or(Failure::Refused(ApiError::SiteNotFound))?;
        // The primary site's times are in `TALLY_TIMEZONE`, as before sites.
        let tz = match (&site == primary, sites.get(&site)) {
            (false, Some(def)) => def.timezone.clone(),
            _ => self.tz.clone(),
        };
        Ok(SitePolls { site, editing, tz })
    }
}

impl SitePolls {
    pub fn voting(&self) -> &Voting {
        &self.editing.voting
    }

    /// The poll a path names, or not found.
    pub async fn state(&self, id: Option<&str>) -> Result<PollState, Failure> {
        let id = id
            .and_then(|id| PollId::parse(id).ok())
            .ok_or(Failure::NOT_FOUND)?;
        self.voting()
            .state(&id, None)
            .await?
            .ok_or(Failure::NOT_FOUND)
    }
}

/// A choice of the sites the editor's role reaches, when it reaches more
/// than one: a plain form that opens the page at `action` (the polls list,
/// the audit log) of the site picked, its button saying `button`.
pub(super) fn picker(
    console: &Console,
    editor: &Editor,
    on: &SitePolls,
    action: &str,
    button: (&'static str, &'static str),
) -> Markup {
    let sites = console.counters.sites();
    let mut defs = sites.all();
    defs.retain(|def| editor.reaches(console, &def.id));
    if !sites.configured() || defs.len() < 2 {
        return html! {};
    }
    let frame: &Frame = &editor.frame;
    html! {
        form.site-picker method="get" action=(action) {
            label for="site" { (frame.t("Trang thông tin", "Site")) }
            select #site name="site" {
                @for def in &defs {
                    option value=(def.id) selected[def.id == on.site] { (def.name) }
                }
            }
            @if let Some(lang) = frame.asked {
                input type="hidden" name="lang" value=(lang.code());
            }
            " " button.secondary type="submit" { (frame.t(button.0, button.1)) }
        }
    }
}
