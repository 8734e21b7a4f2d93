//! `GET /`: what this service is, with links to the demo, the polls and
//! the API document.

use std::sync::Arc;

use axum::extract::State;
use http::{StatusCode, Uri};
use maud::html;

use super::poll::carry;
use super::{Depth, named_site};
use crate::edge::respond::Response;
use crate::edge::schema;
use crate::edge::text::text;
use crate::public::params::Lang;
use crate::public::polls::PollsApi;

/// What this service is
///
/// A small page: what this service is, with links to the demonstration
/// page, the archive of polls and this document. In the site's language.
#[utoipa::path(
    get, path = "/", tag = "pages", operation_id = "getHome",
    params(Lang),
    responses(
        (status = 200, description = "The page.", body = schema::HtmlPage,
            content_type = "text/html; charset=utf-8",
            headers(
                ("Cache-Control" = String, description = "`no-store`."),
                ("Content-Security-Policy" = inline(schema::PageCsp), description = "No script, no inline style; the portal's stylesheet and logo when set; framed only by this service and `TALLY_ALLOWED_ORIGINS`."),
                ("Referrer-Policy" = String, description = "`same-origin`."),
            )),
    ),
)]
pub async fn get_home(State(api): State<Arc<PollsApi>>, uri: Uri) -> Response {
    let look = &api.look;
    let lang = look.lang(uri.query());
    let t = text(lang);
    let site = named_site(uri.query());
    let body = html! {
        h1 { (t.home_title) }
        p { (t.home_intro) }
        ul {
            li { a href="demo" { (t.home_demo) } }
            li { a href={ "polls?" (carry(lang, site.as_ref(), None)) } { (t.archive_title) } }
            li { a href="openapi.json" { (t.home_api) } }
        }
    };
    look.page(
        StatusCode::OK,
        look.layout(lang, site.as_ref(), Depth::Top, t.home_title, None, body),
    )
}
