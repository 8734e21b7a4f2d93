//! The console's page shell and answers: the document around each page
//! (navigation, language switch, sign-out), its stylesheet, its security
//! headers (a policy that lets in nothing but the console's own stylesheet
//! and its one small script, which keeps live results current), redirects
//! and error pages.

use http::{HeaderValue, StatusCode, header};
use maud::{DOCTYPE, Markup, html};

use super::words::{Lang, tr};
use crate::edge::respond::{Response, bytes_response};
use crate::edge::text::text;
use crate::ids::SiteId;
use crate::roles::{Need, Role};

/// Only the console's own stylesheet and script (no inline script or
/// style), no frames, nothing from elsewhere; forms post only here.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                      connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
                      base-uri 'none'";

const STYLESHEET: &str = include_str!("console.css");
/// Live results without reloading the page (a page that reloads itself
/// would move focus and cannot be paused: WCAG 2.2.1), a poll form's
/// rows moved in place, and column charts read with the keyboard.
const SCRIPT: &str = include_str!("console.js");

/// What a page needs to link to its neighbours: the language asked for in
/// the URL (kept on every link), and the CSRF token of a signed-in editor.
#[derive(Debug, Clone)]
pub struct Frame {
    pub lang: Lang,
    /// `Some` when `?lang=` was given: links keep it.
    pub asked: Option<Lang>,
    pub who: Option<String>,
    /// The signed-in editor's role: the page shows only what it may do.
    pub role: Option<Role>,
    /// The site the editor's role is given on, when it is below the
    /// primary one: the pages show its sites only, and the menu's polls
    /// are its own.
    pub sites_only: Option<SiteId>,
    /// The site a poll page acts on, when it is not the primary one: the
    /// links and forms to poll pages keep it ([`Frame::site_link`]).
    pub site: Option<SiteId>,
    pub csrf: Option<String>,
}

impl Frame {
    /// `path` with the asked language kept.
    pub fn link(&self, path: &str) -> String {
        match self.asked {
            Some(lang) => {
                let sep = if path.contains('?') { '&' } else { '?' };
                format!("{path}{sep}lang={}", lang.code())
            }
            None => path.to_owned(),
        }
    }

    /// `path`, a poll page's, on the page's site and in the asked language.
    pub fn site_link(&self, path: &str) -> String {
        self.link(&on_site(path, self.site.as_ref()))
    }

    /// This page in `lang`, on the page's site.
    fn in_lang(&self, lang: Lang) -> String {
        match &self.site {
            Some(site) => format!("?site={site}&lang={}", lang.code()),
            None => format!("?lang={}", lang.code()),
        }
    }

    /// Whether the signed-in editor may do what `need` asks, so the page
    /// shows its button (the server checks again when it is pressed).
    pub fn may(&self, need: Need) -> bool {
        self.role.is_some_and(|role| role.may(need))
    }

    /// A text in the page's language.
    pub fn t(&self, vi: &'static str, en: &'static str) -> &'static str {
        tr(self.lang, vi, en)
    }

    /// The hidden field every form of a signed-in page carries.
    pub fn csrf_field(&self) -> Markup {
        html! {
            @if let Some(token) = &self.csrf {
                input type="hidden" name="csrf" value=(token);
            }
        }
    }

    /// A page: title, navigation when signed in, `body`. `script`: the
    /// page loads the console's script (a `#live` part it keeps current,
    /// or a poll form whose rows it moves without a round trip).
    pub fn page(&self, title: &str, script: bool, body: Markup) -> Markup {
        let other = match self.lang {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        };
        html! {
            (DOCTYPE)
            html lang=(self.lang.code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " — " (self.t("Quản trị tally", "tally console")) }
                    link rel="stylesheet" href="/admin/console.css";
                    @if script {
                        script src="/admin/console.js" defer {}
                    }
                }
                body {
                    header.top {
                        a.brand href=(self.link("/admin/")) { (self.t("Quản trị", "Console")) }
                        @if self.who.is_some() {
                            nav aria-label=(self.t("Các trang quản trị", "Console pages")) {
                                ul {
                                    li { a href=(self.link("/admin/")) { (self.t("Tổng quan", "Dashboard")) } }
                                    @if let Some(site) = &self.sites_only {
                                        li { a href=(self.link(&on_site("/admin/console/polls", Some(site)))) { (self.t("Bình chọn", "Polls")) } }
                                        li { a href=(self.link(&on_site("/admin/console/audit", Some(site)))) { (self.t("Nhật ký", "Audit log")) } }
                                        li { a href=(self.link("/admin/console/sites")) { (self.t("Các trang thông tin", "Sites")) } }
                                    } @else {
                                    li { a href=(self.link("/admin/console/polls")) { (self.t("Bình chọn", "Polls")) } }
                                    li { a href=(self.link("/admin/console/history")) { (self.t("Lượt truy cập", "Visits")) } }
                                    li { a href=(self.link("/admin/console/audit")) { (self.t("Nhật ký", "Audit log")) } }
                                    @if self.may(Need::EditPolls) {
                                        li { a href=(self.link("/admin/console/import")) { (self.t("Bộ đếm cũ", "Previous counter")) } }
                                    }
                                    }
                                }
                            }
                        }
                        a.lang href=(self.in_lang(other)) lang=(other.code()) hreflang=(other.code()) {
                            (tr(other, "Tiếng Việt", "English"))
                        }
                        @if let Some(who) = &self.who {
                            form.signout method="post" action=(self.link("/admin/sign-out")) {
                                (self.csrf_field())
                                button type="submit" {
                                    (self.t("Đăng xuất", "Sign out")) " (" (who) ")"
                                }
                            }
                        }
                    }
                    main id="main" { (body) }
                }
            }
        }
    }
}

/// `path` naming `site` in its query (nothing added for none).
pub fn on_site(path: &str, site: Option<&SiteId>) -> String {
    match site {
        Some(site) => {
            let sep = if path.contains('?') { '&' } else { '?' };
            format!("{path}{sep}site={site}")
        }
        None => path.to_owned(),
    }
}

/// Answers with a console page and its security headers.
pub fn html_response(status: StatusCode, markup: Markup) -> Response {
    let mut response = bytes_response(
        status,
        "text/html; charset=utf-8",
        "no-store",
        markup.into_string(),
    );
    secure(&mut response);
    response
}

/// The headers every console answer carries.
pub fn secure(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

/// The stylesheet.
pub fn stylesheet() -> Response {
    let mut response = bytes_response(
        StatusCode::OK,
        "text/css; charset=utf-8",
        "public, max-age=300",
        STYLESHEET,
    );
    secure(&mut response);
    response
}

/// The live results' script.
pub fn script() -> Response {
    let mut response = bytes_response(
        StatusCode::OK,
        "text/javascript; charset=utf-8",
        "public, max-age=300",
        SCRIPT,
    );
    secure(&mut response);
    response
}

/// `303 See Other` to `location` (after a form, or to sign in).
pub fn see_other(location: &str) -> Response {
    let mut response = bytes_response(
        StatusCode::SEE_OTHER,
        "text/plain; charset=utf-8",
        "no-store",
        "",
    );
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    secure(&mut response);
    response
}

/// An error page: what went wrong in words (with the shared error code,
/// when the refusal has one), and where to go next.
pub fn error_page(
    frame: &Frame,
    status: StatusCode,
    message: &str,
    code: Option<&str>,
) -> Response {
    let title = frame.t("Không thể thực hiện", "Something went wrong");
    let body = html! {
        h1 { (title) }
        p role="alert" { (message) }
        @if let Some(code) = code {
            p { (text(frame.lang).error_code) ": " code { (code) } }
        }
        p {
            @if frame.who.is_some() {
                a href=(frame.link("/admin/")) { (frame.t("Về trang tổng quan", "Back to the dashboard")) }
            } @else {
                a href=(frame.link("/admin/sign-in")) { (frame.t("Đăng nhập", "Sign in")) }
            }
        }
    };
    html_response(status, frame.page(title, false, body))
}
