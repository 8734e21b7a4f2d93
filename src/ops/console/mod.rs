//! The editors' console at `/admin/` on the ops listener: HTML pages,
//! rendered on the server, to sign in with an admin token and then manage
//! polls and read the counter's figures without curl. Everything works
//! without script; one small same-origin script keeps a poll's results
//! current while its page is open.
//!
//! - [`session`]: cookie and CSRF tokens; [`sign_in`]: the token's check;
//! - [`layout`]: the page shell, stylesheet, security headers, errors;
//! - [`dashboard`], [`list`], [`polls`], [`form`], [`save`], [`history`],
//!   [`sites`]: pages; [`picked`]: the history's picked span ([`range`]);
//!   [`import`]: the previous counter's history, previewed before written;
//! - [`chart`]: SVG charts with their numbers as tables.

mod audit;
mod changes;
mod chart;
mod dashboard;
mod embed;
mod failure;
mod fields;
mod form;
mod history;
mod import;
mod layout;
mod list;
mod picked;
mod polls;
mod range;
mod resume;
mod routes;
mod save;
mod session;
mod sign_in;
mod site_form;
mod site_polls;
mod sites;
mod starts;
mod words;

use std::sync::Arc;

use axum::extract::Request;
use http::{Method, StatusCode};
use jiff::tz::TimeZone;

pub use self::failure::Failure;
pub use self::fields::Fields;
use self::layout::{Frame, error_page, see_other};
pub use self::routes::{PAGES, Takes, route, send_to_console};
use self::words::Lang;
use crate::counter::Counter;
use crate::edge::auth::SignIn;
use crate::edge::client::Client;
use crate::edge::error::ApiError;
use crate::edge::respond::{Response, query_param, read_body};
use crate::editing::{Editing, Editings};
use crate::history::History;
use crate::ids::SiteId;
use crate::roles::{Need, Role};
use crate::sessions::{SessionId, Sessions};

/// Console forms are small (a poll, or a pasted CSV of a few years).
const MOST_FORM_BYTES: usize = 512 * 1024;

/// A console page, as the ops route table names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Page {
    Dashboard,
    Stylesheet,
    Script,
    SignIn,
    SignOut,
    Polls,
    NewPoll,
    Poll,
    EditPoll,
    ClosePoll,
    ReopenPoll,
    /// Opens a scheduled poll now.
    OpenPoll,
    /// Publishes a draft.
    PublishPoll,
    ArchivePoll,
    DeletePoll,
    /// A poll's results as a spreadsheet (`.xlsx` when true, else CSV).
    PollResults {
        xlsx: bool,
    },
    History,
    /// Visits per day or per month as a spreadsheet.
    HistorySheet {
        months: bool,
        xlsx: bool,
    },
    Audit,
    Import,
    /// The province's sites; [`Page::SitesSheet`], their visits per day.
    Sites,
    SitesSheet {
        xlsx: bool,
    },
}

/// What the console needs.
pub struct Console {
    pub sessions: Arc<Sessions>,
    pub counter: Arc<Counter>,
    /// Every site's counter.
    pub counters: Arc<crate::counter::Counters>,
    /// Every change, recorded in the audit log under the editor's name:
    /// the primary site's (its baseline, imports, audit log).
    pub editing: Arc<Editing>,
    /// Each site's changes to its polls, recorded in the same log.
    pub editings: Arc<Editings>,
    pub history: Arc<History>,
    /// The tokens, and wrong ones counted with the admin API's; none set,
    /// the console, as the admin API, is off.
    pub sign_in: Arc<SignIn>,
    pub lang: Lang,
    pub tz: TimeZone,
    /// Where portal pages reach tally (`TALLY_PUBLIC_URL`), for embed code.
    pub public_url: Option<String>,
    /// Which sites the store keeps that the sites file no longer names.
    pub retention: Arc<crate::retention::Retention>,
    /// The sites, and their creation and changes.
    pub book: Arc<crate::site_book::SiteBook>,
}

/// A signed-in request: who, their role, its session, and the page's
/// frame.
pub struct Editor {
    pub who: String,
    pub role: Role,
    /// The site the role is given on; none, every site.
    pub site: Option<SiteId>,
    pub id: SessionId,
    pub frame: Frame,
}

/// A page's answer, or why not.
pub type Answer = Result<Response, Failure>;

impl Console {
    fn frame(&self, query: Option<&str>) -> Frame {
        let asked = query_param(query, "lang").and_then(|v| Lang::from_tag(&v));
        Frame {
            lang: asked.unwrap_or(self.lang),
            asked,
            who: None,
            role: None,
            sites_only: None,
            site: None,
            csrf: None,
        }
    }

    /// Answers a console request (its method already checked), refusing
    /// an editor whose role may not do what the page `need`s.
    pub async fn handle(
        &self,
        page: Page,
        need: Need,
        id: Option<&str>,
        req: Request,
        client: Client,
    ) -> Response {
        let mut frame = self.frame(req.uri().query());
        // What the page before did (`?done=closed`), for a notice.
        let done = query_param(req.uri().query(), "done");
        let query = req.uri().query().map(str::to_owned);
        match page {
            Page::Stylesheet => return layout::stylesheet(),
            Page::Script => return layout::script(),
            _ => {}
        }
        if self.sign_in.is_off() {
            return error_page(
                &frame,
                StatusCode::NOT_FOUND,
                frame.t(
                    "Trang quản trị chưa được bật: hãy đặt TALLY_ADMIN_TOKEN hoặc TALLY_ADMIN_TOKENS.",
                    "The console is off: set TALLY_ADMIN_TOKEN or TALLY_ADMIN_TOKENS.",
                ),
                None,
            );
        }
        let (parts, body) = req.into_parts();
        let form = if parts.method == Method::POST {
            if !session::origin_is_own(&parts.headers, client.https) {
                return Failure::Forbidden(
                    "Biểu mẫu này không được gửi từ trang quản trị.",
                    "This form was not sent from the console.",
                )
                .answer(&frame);
            }
            match read_body(&parts.headers, body, MOST_FORM_BYTES).await {
                Ok(bytes) => Some(bytes),
                Err(e @ ApiError::PayloadTooLarge { .. }) => {
                    return Failure::Refused(e).answer(&frame);
                }
                Err(_) => {
                    return Failure::Invalid(
                        frame
                            .t("Không đọc được biểu mẫu.", "The form could not be read.")
                            .into(),
                    )
                    .answer(&frame);
                }
            }
        } else {
            None
        };
        if page == Page::SignIn {
            return sign_in::sign_in(self, &frame, form, client).await;
        }
        let mut editor = match self.editor(&parts.headers, frame.clone()).await {
            Ok(Some(editor)) => editor,
            Ok(None) if form.is_none() => return see_other(&frame.link("/admin/sign-in")),
            Ok(None) => {
                let kept = form
                    .as_deref()
                    .and_then(|form| resume::Kept::of_post(page, &parts.uri, &parts.headers, form));
                if let Some(kept) = kept {
                    return sign_in::ended(&frame, &kept);
                }
                return Failure::Forbidden(
                    "Phiên làm việc đã hết hạn hoặc đã đăng xuất. Vui lòng đăng nhập lại.",
                    "Your session has ended or you signed out. Please sign in again.",
                )
                .answer(&frame);
            }
            Err(e) => return e.answer(&frame),
        };
        frame = editor.frame.clone();
        if !editor.role.may(need) {
            tracing::info!(who = %editor.who, role = %editor.role, ?page, "console: refused by role");
            return Failure::Refused(ApiError::ForbiddenRole).answer(&frame);
        }
        // A poll page acts on the site its query names, other pages on
        // the primary site.
        let on = match self.site_polls(query.as_deref().filter(|_| page.on_site())) {
            Ok(on) => on,
            Err(failure) => return failure.answer(&frame),
        };
        // The one check of every signed-in page: before its form is read.
        if !(page.any_site() || editor.reaches(self, &on.site)) {
            tracing::info!(who = %editor.who, role = %editor.role, site = %on.site, ?page, "console: refused by site");
            return Failure::Refused(ApiError::ForbiddenRole).answer(&frame);
        }
        if on.site != self.counters.sites().primary().id {
            editor.frame.site = Some(on.site.clone());
            frame = editor.frame.clone();
        }
        let fields = match form {
            Some(bytes) => match Fields::read(&parts.headers, bytes).await {
                Some(fields) => Some(fields),
                None => {
                    return Failure::Invalid(
                        frame
                            .t("Không đọc được biểu mẫu.", "The form could not be read.")
                            .into(),
                    )
                    .answer(&frame);
                }
            },
            None => None,
        };
        if let Some(fields) = &fields
            && !session::csrf_matches(&editor.id, fields.get("csrf"))
        {
            return Failure::Forbidden(
                "Biểu mẫu thiếu mã xác nhận (CSRF) hợp lệ; không có gì thay đổi. Hãy tải lại trang và thử lại.",
                "The form lacks a valid confirmation (CSRF) token; nothing changed. Reload the page and try again.",
            )
            .answer(&frame);
        }
        let answer = match (page, fields) {
            (Page::SignOut, Some(_)) => self.sign_out(&editor, client).await,
            (Page::Dashboard, _) => dashboard::dashboard(self, &editor).await,
            (Page::History, _) => history::history(self, &editor, query.as_deref()).await,
            (Page::HistorySheet { months, xlsx }, _) => {
                history::history_sheet(self, &editor, months, xlsx).await
            }
            (Page::Audit, _) => audit::audit(self, &editor, &on, query.as_deref()).await,
            (Page::Sites, None) => sites::sites(self, &editor, None).await,
            (Page::Sites, Some(f)) => site_form::save(self, &editor, &f).await,
            (Page::SitesSheet { xlsx }, _) => sites::sites_sheet(self, &editor, xlsx).await,
            (Page::Import, fields) => import::import(self, &editor, fields).await,
            (Page::Polls, None) => list::list(self, &editor, &on, parts.uri.query()).await,
            (Page::Polls, Some(f)) => save::save(&editor, &on, None, &f).await,
            (Page::NewPoll, _) => starts::new_poll(&editor, &on, query.as_deref()).await,
            (Page::Poll, _) => polls::detail(self, &editor, &on, id, done.as_deref()).await,
            (Page::PollResults { xlsx }, _) => polls::results_sheet(&editor, &on, id, xlsx).await,
            (Page::EditPoll, None) => form::edit_poll(&editor, &on, id).await,
            (Page::EditPoll, Some(f)) => save::save(&editor, &on, id, &f).await,
            (Page::ClosePoll | Page::ReopenPoll | Page::OpenPoll | Page::PublishPoll, Some(f)) => {
                polls::act(&editor, &on, page, id, &f).await
            }
            (Page::ArchivePoll | Page::DeletePoll, None) => {
                polls::confirm(&editor, &on, page, id).await
            }
            (Page::ArchivePoll | Page::DeletePoll, Some(f)) => {
                polls::act(&editor, &on, page, id, &f).await
            }
            _ => Err(Failure::NOT_FOUND),
        };
        answer.unwrap_or_else(|failure| failure.answer(&frame))
    }

    /// The signed-in editor the request's cookie names, if any.
    async fn editor(
        &self,
        headers: &http::HeaderMap,
        frame: Frame,
    ) -> Result<Option<Editor>, Failure> {
        let Some(id) = session::session_cookie(headers) else {
            return Ok(None);
        };
        let Some(found) = self.sessions.find(&id).await? else {
            return Ok(None);
        };
        // `find` reads a record without a role as no session. A session
        // whose name no longer has its role (the settings changed since it
        // signed in: the token removed, or given another role) ends.
        let Some(role) = found.role else {
            return Ok(None);
        };
        let site = found.site.as_deref().and_then(|s| SiteId::parse(s).ok());
        if !self.sign_in.holds(&found.who, role, site.as_ref()) {
            self.sessions.end(&id).await?;
            return Ok(None);
        }
        let sites = self.counters.sites();
        let frame = Frame {
            who: Some(found.who.clone()),
            role: Some(role),
            sites_only: site
                .clone()
                .filter(|s| !sites.covers(s, &sites.primary().id)),
            csrf: Some(session::csrf_token(&id)),
            ..frame
        };
        Ok(Some(Editor {
            who: found.who,
            role,
            site,
            id,
            frame,
        }))
    }
}
