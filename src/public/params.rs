//! The parameters the public routes share, as their documentation names
//! them: who is asking (cookie, first-party id), a ballot's origin, the
//! page a count is about, a page's language, the poll in the path.
#![allow(
    dead_code,
    reason = "descriptions: the documentation reads these, requests are parsed elsewhere"
)]

use utoipa::IntoParams;

use crate::edge::schema;

/// Who is asking, by the cookie this service issued.
#[derive(IntoParams)]
#[into_params(parameter_in = Cookie)]
pub struct VisitorCookie {
    /// The visitor cookie this service issued: 36 lowercase hex digits. Any
    /// other value is ignored, as if absent.
    #[param(value_type = Option<schema::VisitorCookie>)]
    tally_vid: Option<String>,
}

/// Who is asking, by the widget's first-party id.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct FirstPartyId {
    /// The widget's first-party visitor id (kept in the portal's own
    /// storage), believed after the cookie: 36 lowercase hex digits, sent
    /// once, taken exactly as sent. Anything else (spaces around it, a
    /// second value) is refused (`400 invalid_visitor`).
    #[param(rename = "Tally-Visitor", value_type = Option<schema::VisitorId>)]
    tally_visitor: Option<String>,
}

/// A ballot's origin.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct Origin {
    /// The page the ballot comes from, as a browser names it: it must be in
    /// `TALLY_ALLOWED_ORIGINS` or this service itself (else `403
    /// origin_not_allowed`). Without it the `Referer`'s origin is taken.
    #[param(rename = "Origin")]
    origin: Option<String>,
}

/// The page a count is about.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// A page of the portal; when named, the answer includes its views. The
    /// first `page` wins.
    #[param(value_type = Option<schema::PageId>)]
    page: Option<String>,
}

/// The site a count is of.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Site {
    /// The site, as the widget's `data-site` names it. Without sites
    /// (`TALLY_SITES_FILE`) it may be left out, or be `default`; with them
    /// it is required (`400 site_required`), must be one of them or one of
    /// a site's aliases, its old ids (`404 site_not_found`), and a hit
    /// counts only from one of that site's origins (from another page it
    /// is answered, not counted).
    #[param(value_type = Option<schema::SiteId>)]
    site: Option<String>,
}

/// The site whose polls a request is about.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PollSite {
    /// The site, as the widget's `data-site` names it; each site has its
    /// own polls (one poll id on two sites is two polls). Without sites
    /// (`TALLY_SITES_FILE`) it may be left out, or be `default`; with them
    /// it is required (`400 site_required`) and must be one of them or a
    /// site's alias (`404 site_not_found`); a ballot must come from one of
    /// that site's origins (from another page: `403 foreign_origin`, not counted).
    #[param(value_type = Option<schema::SiteId>)]
    site: Option<String>,
}

/// The language of a page or badge.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Lang {
    /// `vi` or `en` (a tag such as `vi-VN` counts by its primary subtag).
    /// Anything else is ignored: then the site's language
    /// (`TALLY_LANGUAGE`, Vietnamese unless set). `Accept-Language` is
    /// never followed: an English-language browser on a Vietnamese portal
    /// sees Vietnamese.
    lang: Option<String>,
}

/// The poll a route is about.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct Poll {
    /// The poll's id. A malformed id names no poll (`404 poll_not_found`).
    #[param(value_type = schema::PollId)]
    id: String,
}
