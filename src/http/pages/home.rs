//! `GET /`: what this service is, with links to the demo, the polls and
//! the API document.

use http::StatusCode;
use maud::html;

use super::{Depth, Look};
use crate::http::i18n::text;
use crate::http::respond::{Req, Response};

/// `GET /`.
pub fn home_page(look: &Look, req: &Req) -> Response {
    let lang = look.lang(req.uri().query());
    let t = text(lang);
    let body = html! {
        h1 { (t.home_title) }
        p { (t.home_intro) }
        ul {
            li { a href="demo" { (t.home_demo) } }
            li { a href={ "polls?lang=" (lang.code()) } { (t.archive_title) } }
            li { a href="openapi.json" { (t.home_api) } }
        }
    };
    look.page(
        StatusCode::OK,
        look.layout(lang, Depth::Top, t.home_title, None, body),
    )
}
