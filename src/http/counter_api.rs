//! `POST /v1/hits` and `GET /v1/counter`.

use http::{StatusCode, header};
use serde::{Deserialize, Serialize};

use super::client::Client;
use super::error::ApiError;
use super::identity::{identify, inherited, is_bot};
use super::origin;
use super::respond::{Req, Response, json_object, json_response, media_type_is};
use crate::app::App;
use crate::counter::{CounterView, Hit};
use crate::ids::PageId;
use crate::telemetry::Refusal;

#[derive(Deserialize)]
struct HitBody {
    #[serde(default)]
    page: Option<String>,
}

fn page_id(raw: &str) -> Result<PageId, ApiError> {
    PageId::parse(raw).map_err(|e| ApiError::InvalidPage(e.to_string()))
}

/// Counts a page load. The body is optional; `text/plain` is accepted as
/// well as `application/json` so a browser can send it without a CORS
/// preflight.
pub async fn post_hit(app: &App, req: Req, client: Client) -> Result<Response, ApiError> {
    let (parts, bytes) = req.into_parts();
    let page = if bytes.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        if !media_type_is(&parts.headers, &["application/json", "text/plain"]) {
            return Err(ApiError::UnsupportedMediaType {
                expected: "application/json",
            });
        }
        let body: HitBody = json_object(&bytes)?;
        body.page.as_deref().map(page_id).transpose()?
    };
    if is_bot(&parts.headers) {
        app.metrics.hits.with_label_values(&["bot"]).inc();
        return Ok(render(&app.counter.view(page.as_ref()).await));
    }
    if origin::foreign(
        &parts.headers,
        &parts.uri,
        &client,
        &app.settings.allowed_origins,
    ) {
        app.metrics
            .hits
            .with_label_values(&["foreign_origin"])
            .inc();
        app.refusals.note(Refusal::ForeignHit, "/v1/hits");
        return Ok(render(&app.counter.view(page.as_ref()).await));
    }
    let identity = identify(&app.privacy, &parts.headers, &client).await?;
    let inherit = inherited(&app.privacy, &identity, &parts.headers, &client).await;
    let view = app
        .counter
        .hit(Hit {
            visitor: identity.visitor,
            inherit,
            page,
        })
        .await;
    let mut response = render(&view);
    if let Some(cookie) = identity.set_cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// The counter, counting nothing.
pub async fn get_counter(app: &App, query: Option<&str>) -> Result<Response, ApiError> {
    let page = page_param(query)?;
    Ok(render(&app.counter.view(page.as_ref()).await))
}

/// The `page` query parameter, if present.
fn page_param(query: Option<&str>) -> Result<Option<PageId>, ApiError> {
    let Some(query) = query else { return Ok(None) };
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "page")
        .map(|(_, value)| page_id(&value))
        .transpose()
}

/// The counter's JSON shape.
#[derive(Serialize)]
struct CounterBody<'a> {
    total: u64,
    today: u64,
    yesterday: u64,
    this_week: u64,
    this_month: u64,
    online: u64,
    stale: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<PageBody<'a>>,
}

#[derive(Serialize)]
struct PageBody<'a> {
    id: &'a PageId,
    views: u64,
}

/// The counter as JSON.
fn render(view: &CounterView) -> Response {
    let t = &view.totals;
    let body = CounterBody {
        total: t.total,
        today: t.today,
        yesterday: t.yesterday,
        this_week: t.this_week,
        this_month: t.this_month,
        online: t.online,
        stale: view.stale,
        page: view.page.as_ref().map(|id| PageBody {
            id,
            views: t.page_views,
        }),
    };
    json_response(StatusCode::OK, &body)
}
