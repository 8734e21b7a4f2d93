//! The console's sites: each site of the province the editor's role
//! reaches, in its tree (a site under its parent), its visits today and in
//! all, a link to its polls, and the embed code of its counter (the widget
//! naming the site); to an editor whose role reaches every site, the
//! sites the sites file no longer names, with the day their data goes;
//! each site's visits per day as a spreadsheet, for the ministry's
//! figures. And which pages an editor whose role is given on one site
//! may open.

use std::sync::Arc;

use futures_util::StreamExt as _;
use http::StatusCode;
use jiff::Timestamp;
use maud::{Markup, html};

use super::layout::{Frame, html_response, on_site};
use super::site_form::{Posted, forms};
use super::words::when;
use super::{Answer, Console, Editor, Page};
use crate::counter::Counter;
use crate::ids::SiteId;
use crate::ops::export::Form;
use crate::ops::sheets::{self, Reader};
use crate::retention::Retention;
use crate::sites::SiteDef;

impl Page {
    /// Whether the page serves an editor whose role is given on any site
    /// (showing them their own sites); a poll page speaks of the site its
    /// query names ([`Page::on_site`]), the others of the primary site,
    /// which the editor's role must reach.
    pub(super) fn any_site(self) -> bool {
        matches!(
            self,
            Page::Dashboard
                | Page::Sites
                | Page::SitesSheet { .. }
                | Page::SignIn
                | Page::SignOut
                | Page::Stylesheet
                | Page::Script
        )
    }
}

impl Editor {
    /// Whether the editor's role reaches `site`.
    pub(super) fn reaches(&self, console: &Console, site: &SiteId) -> bool {
        self.site
            .as_ref()
            .is_none_or(|scope| console.counters.sites().covers(scope, site))
    }

    /// Whether the editor's role reaches the primary site (its polls,
    /// history and audit log).
    pub(super) fn reaches_primary(&self, console: &Console) -> bool {
        console.reaches_primary(self.site.as_ref())
    }
}

impl Console {
    /// Whether a role given on `scope` (none: every site) reaches the
    /// primary site.
    pub(super) fn reaches_primary(&self, scope: Option<&SiteId>) -> bool {
        let sites = self.counters.sites();
        scope.is_none_or(|scope| sites.covers(scope, &sites.primary().id))
    }
}

/// Counters read at once for the page.
const READS_AT_ONCE: usize = 16;

/// The embed code of `site`'s counter, served from `base`.
fn snippet(base: &str, site: &SiteDef) -> String {
    format!(
        "<script src=\"{base}/widget.js\" data-site=\"{}\" async></script>\n\
         <div data-tally=\"counter\"></div>",
        site.id
    )
}

/// The sites page.
pub(super) async fn sites(console: &Console, editor: &Editor, posted: Option<&Posted>) -> Answer {
    let frame = &editor.frame;
    let sites = console.counters.sites();
    // Each site below its parent: ordered by the ids from its root down.
    let mut defs = sites.all();
    defs.retain(|def| editor.reaches(console, &def.id));
    let path = |def: &SiteDef| {
        let chain = sites.chain(&def.id);
        chain
            .iter()
            .rev()
            .map(|id| id.as_str())
            .collect::<Vec<_>>()
            .join("\u{1}")
    };
    defs.sort_by_cached_key(|def| path(def));
    let counters: Vec<Arc<Counter>> = defs
        .iter()
        .filter_map(|def| console.counters.get(&def.id))
        .collect();
    let views: Vec<_> = futures_util::stream::iter(
        counters
            .into_iter()
            .map(|counter| async move { counter.view(None).await }),
    )
    .buffered(READS_AT_ONCE)
    .collect()
    .await;
    let figures: Vec<_> = defs.iter().zip(views).collect();
    // A removed site has no place in the tree: shown to a role reaching
    // every site only.
    let grant = crate::roles::Grant {
        role: editor.role,
        site: editor.site.clone(),
    };
    let removed = match sites.reaches_all(&grant) {
        true => Some(console.retention.removed().await?),
        false => None,
    };
    let n = |v: u64| frame.lang.number(v);
    let title = frame.t("Các trang thông tin", "Sites");
    let body = html! {
        h1 { (title) }
        p { (frame.t(
            "Số liệu của mỗi trang gồm cả các trang trực thuộc. Lượt truy cập từng ngày của mọi trang, 30 ngày qua:",
            "Each site's figures include the sites below it. Every site's visits per day, the last 30 days:",
        )) " "
            a href=(frame.link("/admin/console/sites/days.xlsx")) download { "Excel" } " · "
            a href=(frame.link("/admin/console/sites/days.csv")) download { "CSV" }
        }
        div.table-wrap { table {
            caption { (title) }
            thead { tr {
                th scope="col" { (frame.t("Trang", "Site")) }
                th scope="col" { (frame.t("Mã", "Id")) }
                th scope="col" { (frame.t("Trực thuộc", "Parent")) }
                th scope="col" { (frame.t("Hôm nay", "Today")) }
                th scope="col" { (frame.t("Tổng số lượt truy cập", "Total visits")) }
                th scope="col" { (frame.t("Bình chọn", "Polls")) }
            } }
            tbody { @for (def, view) in &figures { tr id={ "site-" (def.id) } {
                th scope="row" {
                    @for _ in 1..sites.chain(&def.id).len() { "— " }
                    (def.name)
                }
                td { code { (def.id) } }
                td { @if let Some(parent) = &def.parent { code { (parent) } } }
                td { (n(view.totals.today)) }
                td { (n(view.totals.total)) }
                td { a href=(frame.link(&on_site("/admin/console/polls", Some(&def.id)))) {
                    (frame.t("Các cuộc bình chọn", "Its polls"))
                } }
            } } }
        } }
        @if let Some(removed) = removed.as_ref().filter(|r| !r.is_empty()) {
            (removed_sites(frame, &console.tz, removed))
        }
        (forms(frame, editor, &sites, &defs, posted))
        h2 #embed { (frame.t("Mã nhúng bộ đếm của từng trang", "Each site's counter embed code")) }
        (embed(frame, console.public_url.as_deref(), &defs))
    };
    let status = match posted {
        Some(p) if p.deleting => StatusCode::OK,
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    Ok(html_response(status, frame.page(title, false, body)))
}

/// The sites the store keeps that the sites file no longer names, each
/// with when the file last named it and when its data goes.
fn removed_sites(
    frame: &Frame,
    tz: &jiff::tz::TimeZone,
    removed: &[(String, Timestamp)],
) -> Markup {
    let title = frame.t(
        "Trang đã gỡ khỏi tệp các trang",
        "Sites removed from the sites file",
    );
    html! {
        h2 #removed { (title) }
        p { (frame.t(
            "Số liệu của các trang này vẫn được giữ 30 ngày kể từ lần cuối tệp các trang (TALLY_SITES_FILE) còn ghi chúng. Ghi trang trở lại tệp trước ngày xóa thì mọi số liệu của nó trở lại; sau ngày đó, dữ liệu bị xóa hẳn.",
            "The data of these sites is kept 30 days after the sites file (TALLY_SITES_FILE) last named them. Put a site back in the file before its day and every count comes back; after it, its data is deleted for good.",
        )) }
        div.table-wrap { table {
            caption { (title) }
            thead { tr {
                th scope="col" { (frame.t("Mã", "Id")) }
                th scope="col" { (frame.t("Lần cuối có trong tệp", "Last in the file")) }
                th scope="col" { (frame.t("Xóa hẳn từ", "Deleted from")) }
            } }
            tbody { @for (id, listed) in removed { tr {
                th scope="row" { code { (id) } }
                td { (when(*listed, tz)) }
                td { (when(Retention::purged_at(*listed), tz)) }
            } } }
        } }
    }
}

fn embed(frame: &Frame, public_url: Option<&str>, defs: &[&SiteDef]) -> Markup {
    html! {
        @match public_url {
            Some(base) => {
                p { (frame.t(
                    "Dán đoạn mã của trang vào các trang của nó, nơi bộ đếm cần hiện ra; chỉ các trang thuộc địa chỉ đã khai báo của trang đó mới được đếm.",
                    "Paste a site's code into its pages, where the counter should appear; only pages at the addresses given for that site are counted.",
                )) }
                @for def in defs {
                    h3 { (def.name) }
                    pre { code { (snippet(base, def)) } }
                }
            }
            None => {
                p { (frame.t(
                    "Chưa có địa chỉ công khai của tally: nhờ người quản trị hệ thống đặt TALLY_PUBLIC_URL (ví dụ https://tally.portal.gov.vn) để trang này hiện mã nhúng.",
                    "tally's public address is not set: ask whoever runs it to set TALLY_PUBLIC_URL (e.g. https://tally.portal.gov.vn) and this page shows the embed code.",
                )) }
            }
        }
    }
}

/// Every site's visits on each of the last 30 days, as a spreadsheet.
pub(super) async fn sites_sheet(console: &Console, editor: &Editor, xlsx: bool) -> Answer {
    let to = console.history.today();
    let from = to.days_before(29);
    let mut rows = console.counters.visits_per_day(from, to).await?;
    rows.retain(|row| editor.reaches(console, &row.site.id));
    let days: Vec<_> = from.through(to).collect();
    let reader = Reader::Person(editor.frame.lang);
    let sheet = sheets::site_days(&rows, &days, from, to, reader);
    let mut response = sheet.response(Form::for_people(editor.frame.lang, xlsx));
    super::layout::secure(&mut response);
    Ok(response)
}
