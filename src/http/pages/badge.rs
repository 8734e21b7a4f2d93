//! `GET /v1/counter.svg[?page=…&lang=…]`: the counter as an image, for
//! pages that cannot run scripts. Counts nothing.

use http::StatusCode;
use maud::html;

use crate::http::api::counter::CounterApi;
use crate::http::api::page_param;
use crate::http::error::ApiError;
use crate::http::i18n::text;
use crate::http::respond::{Req, Response, bytes_response};

/// The badge: a label and a number on the portal's red.
pub async fn badge(api: &CounterApi, req: &Req) -> Result<Response, ApiError> {
    let query = req.uri().query();
    let page = page_param(query)?;
    let lang = api.look.lang(query);
    let t = text(lang);
    let view = api.view(page.as_ref()).await;
    let (label, value) = match page {
        Some(_) => (t.views, view.totals.page_views),
        None => (t.visits, view.totals.total),
    };
    let number = lang.number(value);
    // Rough text widths: ~7 px a character at 12 px.
    let left = 12 + 7 * label.chars().count();
    let right = 12 + 7 * number.chars().count();
    let svg = html! {
        svg xmlns="http://www.w3.org/2000/svg" width=(left + right) height="22" role="img" aria-label={ (label) ": " (number) } {
            title { (label) ": " (number) }
            rect width=(left) height="22" fill="#555" {}
            rect x=(left) width=(right) height="22" fill="#b5121b" {}
            g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="12" {
                text x="6" y="15" { (label) }
                text x=(left + 6) y="15" { (number) }
            }
        }
    };
    Ok(bytes_response(
        StatusCode::OK,
        "image/svg+xml",
        "no-store",
        svg.into_string(),
    ))
}
