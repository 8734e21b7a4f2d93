//! The console's forms for sites: *Thêm trang* (a new site, under a site
//! the editor's role reaches; a root for a province admin) and, for each
//! site created through the console or the admin API that the role
//! reaches, its settings. A site of the sites file is changed in the
//! file. A refused field is named beside it, the form kept as sent.

use maud::{Markup, html};

use super::fields::Fields;
use super::form::{CHALLENGES, VISIBILITIES};
use super::layout::{Frame, see_other};
use super::polls::{challenge_words, visibility_words};
use super::{Answer, Console, Editor, Failure};
use crate::edge::error::ApiError;
use crate::ids::SiteId;
use crate::roles::{Grant, Need, Role};
use crate::site_book::DefineError;
use crate::sites::{Invalid, SiteDef, SiteSpec, Sites};

/// A form sent back to its sender: what it said, and what was wrong.
pub(super) struct Posted {
    /// The site it changes; none, a new one.
    pub target: Option<SiteId>,
    pub spec: SiteSpec,
    /// The field at fault, and why (in the page's language).
    pub field: &'static str,
    pub error: String,
    /// Its deletion asked: the page asks to confirm it.
    pub deleting: bool,
}

/// What a field holds wrong, in the page's language: a sentence a
/// person reads, then the check's own words.
fn field_words(frame: &Frame, why: &Invalid) -> String {
    let said = match why.field {
        "id" => frame.t(
            "Mã gồm chữ thường không dấu, số và dấu gạch ngang (1–64 ký tự)",
            "An id is lowercase letters, digits and dashes (1 to 64)",
        ),
        "name" => frame.t(
            "Tên dài từ 1 đến 200 ký tự",
            "A name is 1 to 200 characters",
        ),
        "parent" => frame.t(
            "Trang trực thuộc phải là một trang có sẵn, không quá 6 cấp",
            "The parent must be a site, at most 6 levels deep",
        ),
        "origins" => frame.t(
            "Mỗi dòng một địa chỉ dạng https://ten-mien (không có đường dẫn)",
            "One address a line, https://host (no path)",
        ),
        "timezone" => frame.t(
            "Múi giờ theo tên IANA, ví dụ Asia/Ho_Chi_Minh; không đổi sau khi tạo",
            "An IANA time zone, e.g. Asia/Ho_Chi_Minh; it stays once created",
        ),
        "home" => frame.t(
            "Địa chỉ đầy đủ, ví dụ https://anphu.tinh.gov.vn/",
            "A full address, e.g. https://anphu.tinh.gov.vn/",
        ),
        "baseline" => frame.t("Một số nguyên không âm", "A whole number, 0 or more"),
        "rate_limit" => frame.t(
            "Dạng SỐ hoặc SỐ,SỐ (yêu cầu mỗi giây, đợt)",
            "RATE or RATE,BURST (requests a second, burst)",
        ),
        _ => frame.t("Giá trị không hợp lệ", "Not a valid value"),
    };
    format!("{said}: {why}")
}

/// The definition a form says.
fn spec_of(fields: &Fields) -> Result<SiteSpec, Invalid> {
    let text = |name: &str| fields.get(name).map(str::trim).unwrap_or("").to_owned();
    let given = |name: &str| Some(text(name)).filter(|v| !v.is_empty());
    let baseline = match given("baseline") {
        None => None,
        Some(n) => Some(n.parse::<u64>().map_err(|_| Invalid {
            field: "baseline",
            message: format!("{n:?} is not a whole number"),
        })?),
    };
    let pick = |name: &str| given(name).unwrap_or_default();
    Ok(SiteSpec {
        id: text("id"),
        name: text("name"),
        parent: given("parent"),
        origins: text("origins")
            .lines()
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_owned)
            .collect(),
        lang: given("lang"),
        timezone: given("timezone"),
        baseline,
        home: given("home"),
        challenge: CHALLENGES
            .iter()
            .find(|(_, code)| *code == pick("challenge"))
            .map_or_else(Default::default, |(m, _)| *m),
        results: VISIBILITIES
            .iter()
            .find(|(_, code)| *code == pick("results"))
            .map_or_else(Default::default, |(v, _)| *v),
        rate_limit: given("rate_limit"),
    })
}

/// Creates or changes the site the form says; back to the sites page,
/// at the site, or the page again with the field at fault named.
pub(super) async fn save(console: &Console, editor: &Editor, fields: &Fields) -> Answer {
    let frame = &editor.frame;
    let target = fields.get("site").and_then(|s| SiteId::parse(s).ok());
    let grant = Grant {
        role: editor.role,
        site: editor.site.clone(),
    };
    let refused = |spec: SiteSpec, field, error| Posted {
        target: target.clone(),
        spec,
        field,
        error,
        deleting: false,
    };
    if let (Some(site), Some(step)) = (&target, fields.get("delete")) {
        return delete(console, editor, site, step == "confirm", &grant).await;
    }
    let spec = match spec_of(fields) {
        Ok(spec) => spec,
        Err(why) => {
            let posted = refused(SiteSpec::default(), why.field, field_words(frame, &why));
            return super::sites::sites(console, editor, Some(&posted)).await;
        }
    };
    let done = match &target {
        Some(site) => {
            let sent = spec.clone();
            console.book.edit(site, sent, &editor.who, &grant).await
        }
        None => console.book.create(spec.clone(), &editor.who, &grant).await,
    };
    let posted = match done {
        Ok(def) => {
            let to = frame.link("/admin/console/sites");
            return Ok(see_other(&format!("{to}#site-{}", def.id)));
        }
        Err(DefineError::Invalid(why)) => refused(spec, why.field, field_words(frame, &why)),
        Err(DefineError::Taken(why)) => {
            let said = frame.t("Mã này đã được dùng", "This id is taken");
            refused(spec, "id", format!("{said}: {why}"))
        }
        Err(DefineError::Forbidden) => return Err(Failure::Refused(ApiError::ForbiddenRole)),
        Err(DefineError::NotFound) => return Err(Failure::Refused(ApiError::SiteNotFound)),
        Err(DefineError::Store(e)) => return Err(e.into()),
        Err(
            e @ (DefineError::InFile | DefineError::SitesFileRequired | DefineError::HasChildren),
        ) => {
            let error = ApiError::from(e).message(frame.lang);
            refused(spec, "", error)
        }
    };
    super::sites::sites(console, editor, Some(&posted)).await
}

/// Deletes `site` once `confirmed`; else the sites page asks to confirm
/// it. Back to the sites page, where it is listed as removed.
async fn delete(
    console: &Console,
    editor: &Editor,
    site: &SiteId,
    confirmed: bool,
    grant: &Grant,
) -> Answer {
    let frame = &editor.frame;
    let error = match confirmed {
        false => String::new(),
        true => match console.book.delete(site, &editor.who, grant).await {
            Ok(_) => {
                let to = frame.link("/admin/console/sites");
                return Ok(see_other(&format!("{to}#removed")));
            }
            Err(DefineError::Forbidden) => return Err(Failure::Refused(ApiError::ForbiddenRole)),
            Err(DefineError::NotFound) => return Err(Failure::Refused(ApiError::SiteNotFound)),
            Err(DefineError::Store(e)) => return Err(e.into()),
            Err(e) => ApiError::from(e).message(frame.lang),
        },
    };
    let sites = console.counters.sites();
    let Some(def) = sites.get(site) else {
        return Err(Failure::Refused(ApiError::SiteNotFound));
    };
    let posted = Posted {
        target: Some(site.clone()),
        spec: SiteSpec::of(def),
        field: "",
        deleting: error.is_empty(),
        error,
    };
    super::sites::sites(console, editor, Some(&posted)).await
}

/// A created site's delete button, or, its deletion asked, the question.
fn delete_form(frame: &Frame, def: &SiteDef, asked: bool) -> Markup {
    html! {
        form method="post" action=(frame.link("/admin/console/sites")) {
            (frame.csrf_field())
            input type="hidden" name="site" value=(def.id);
            @if asked {
                section.confirm role="alert" {
                    p { (frame.t(
                        "Xoá trang này? Trang thôi đếm ngay; số liệu được giữ 30 ngày trong danh sách trang đã gỡ, rồi bị xoá hẳn. Thêm lại trang cùng mã trong 30 ngày đó sẽ lấy lại toàn bộ số liệu.",
                        "Delete this site? It stops counting at once; its data is kept 30 days among the removed sites, then deleted for good. Adding a site of the same id within those days takes all its data back.",
                    )) }
                    input type="hidden" name="delete" value="confirm";
                    div.actions {
                        button type="submit" { (frame.t("Xoá trang", "Delete the site")) }
                        a.button.secondary href=(format!("{}#site-{}", frame.link("/admin/console/sites"), def.id)) { (frame.t("Không xoá", "Keep it")) }
                    }
                }
            } @else {
                input type="hidden" name="delete" value="ask";
                div.actions { button.secondary type="submit" { (frame.t("Xoá trang…", "Delete the site…")) } }
            }
        }
    }
}

/// The add form and each changeable site's form, for a role that may.
pub(super) fn forms(
    frame: &Frame,
    editor: &Editor,
    sites: &Sites,
    shown: &[&SiteDef],
    posted: Option<&Posted>,
) -> Markup {
    if !editor.role.may(Need::EditPolls) || !sites.configured() {
        return html! {};
    }
    let adding = posted.filter(|p| p.target.is_none());
    let blank = SiteSpec::default();
    let roots = editor.site.is_none() && editor.role == Role::Admin;
    let changeable: Vec<&&SiteDef> = shown.iter().filter(|d| sites.is_defined(&d.id)).collect();
    html! {
        h2 #add-site { (frame.t("Thêm trang", "Add a site")) }
        p { (frame.t(
            "Trang mới đếm ngay, trên mọi máy chủ trong vài giây, không cần khởi động lại. Các trang khai báo trong tệp trang thông tin (TALLY_SITES_FILE) được sửa trong tệp.",
            "A new site counts at once, on every server within seconds, without a restart. Sites declared in the sites file (TALLY_SITES_FILE) are changed in the file.",
        )) }
        (form(frame, "new", None, adding.map_or(&blank, |p| &p.spec), adding, shown, roots))
        @if !changeable.is_empty() {
            h2 #edit-sites { (frame.t("Sửa trang", "Change a site")) }
            @for def in changeable {
                @let mine = posted.filter(|p| p.target.as_ref() == Some(&def.id));
                @let spec = mine.map_or_else(|| SiteSpec::of(def), |p| SiteSpec { id: def.id.to_string(), ..p.spec.clone() });
                @let leaf = !sites.all().iter().any(|d| d.parent.as_ref() == Some(&def.id));
                details open[mine.is_some()] {
                    summary { (def.name) " (" code { (def.id) } ")" }
                    (form(frame, def.id.as_str(), Some(&def.id), &spec, mine.filter(|p| !p.deleting), shown, roots))
                    @if leaf { (delete_form(frame, def, mine.is_some_and(|p| p.deleting))) }
                }
            }
        }
    }
}

/// One site's form: `key` keeps its fields' ids apart from the others'.
fn form(
    frame: &Frame,
    key: &str,
    target: Option<&SiteId>,
    spec: &SiteSpec,
    posted: Option<&Posted>,
    parents: &[&SiteDef],
    roots: bool,
) -> Markup {
    let error = |field: &str| {
        posted
            .filter(|p| p.field == field)
            .map(|p| p.error.as_str())
    };
    let id = |field: &str| format!("{key}-{field}");
    let text = |field: &'static str, label: &str, value: &str, required: bool| {
        let err = error(field);
        let err_id = id(&format!("{field}-error"));
        html! {
            label for=(id(field)) { (label) }
            input id=(id(field)) name=(field) value=(value) required[required]
                aria-invalid=[err.map(|_| "true")] aria-describedby=[err.map(|_| err_id.as_str())];
            @if let Some(err) = err { p.error id=(err_id) role="alert" { (err) } }
        }
    };
    let general = posted.filter(|p| p.field.is_empty());
    html! {
        form method="post" action=(frame.link("/admin/console/sites")) {
            (frame.csrf_field())
            @if let Some(p) = general { p.error role="alert" { (p.error) } }
            @match target {
                Some(site) => {
                    input type="hidden" name="site" value=(site);
                }
                None => {
                    (text("id", frame.t("Mã trang (chữ thường không dấu, số, gạch ngang)", "Site id (lowercase letters, digits, dashes)"), &spec.id, true))
                }
            }
            (text("name", frame.t("Tên trang", "Name"), &spec.name, true))
            label for=(id("parent")) { (frame.t("Trực thuộc", "Parent")) }
            select id=(id("parent")) name="parent" {
                @if roots || spec.parent.is_none() {
                    option value="" selected[spec.parent.is_none()] { (frame.t("(không: trang gốc)", "(none: a root)")) }
                }
                @for def in parents.iter().filter(|d| Some(&d.id) != target) {
                    option value=(def.id) selected[spec.parent.as_deref() == Some(def.id.as_str())] { (def.name) " (" (def.id) ")" }
                }
            }
            @if let Some(err) = error("parent") { p.error role="alert" { (err) } }
            label for=(id("origins")) { (frame.t("Địa chỉ các trang được đếm (mỗi dòng một địa chỉ)", "Addresses of its pages that count (one a line)")) }
            textarea id=(id("origins")) name="origins" rows="2" aria-invalid=[error("origins").map(|_| "true")] { (spec.origins.join("\n")) }
            @if let Some(err) = error("origins") { p.error role="alert" { (err) } }
            label for=(id("lang")) { (frame.t("Ngôn ngữ", "Language")) }
            select id=(id("lang")) name="lang" {
                option value="vi" selected[spec.lang.as_deref() != Some("en")] { "Tiếng Việt" }
                option value="en" selected[spec.lang.as_deref() == Some("en")] { "English" }
            }
            @if target.is_none() {
                (text("timezone", frame.t("Múi giờ (để trống: múi giờ chung)", "Time zone (empty: the deployment's)"), spec.timezone.as_deref().unwrap_or(""), false))
            } @else {
                input type="hidden" name="timezone" value=(spec.timezone.as_deref().unwrap_or(""));
                p { (frame.t("Múi giờ", "Time zone")) ": " (spec.timezone.as_deref().unwrap_or("")) }
            }
            (text("home", frame.t("Trang chủ (liên kết quay về)", "Home page (the way back)"), spec.home.as_deref().unwrap_or(""), false))
            (text("baseline", frame.t("Số lượt truy cập trước khi dùng tally", "Visits counted before tally"), &spec.baseline.map(|b| b.to_string()).unwrap_or_default(), false))
            label for=(id("results")) { (frame.t("Công bố kết quả (câu hỏi mới)", "Show results (new polls)")) }
            select id=(id("results")) name="results" {
                @for (v, code) in VISIBILITIES { option value=(code) selected[spec.results == v] { (visibility_words(frame, v)) } }
            }
            label for=(id("challenge")) { (frame.t("Chống gửi phiếu tự động (câu hỏi mới)", "Protection against scripted ballots (new polls)")) }
            select id=(id("challenge")) name="challenge" {
                @for (m, code) in CHALLENGES { option value=(code) selected[spec.challenge == m] { (challenge_words(frame, m)) } }
            }
            (text("rate_limit", frame.t("Giới hạn yêu cầu mỗi giây (để trống: không)", "Requests a second (empty: none)"), spec.rate_limit.as_deref().unwrap_or(""), false))
            div.actions { button type="submit" { @match target {
                Some(_) => { (frame.t("Lưu", "Save")) }
                None => { (frame.t("Thêm trang", "Add the site")) }
            } } }
        }
    }
}
