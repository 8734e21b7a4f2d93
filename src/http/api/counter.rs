//! The counter's API: `POST /v1/hits`, `GET /v1/counter`, and the
//! `<noscript>` pixel `GET /v1/pixel.gif`.

use std::sync::Arc;

use http::{StatusCode, header};

use super::bodies::{CounterBody, HitRequest};
use super::{page_id, page_param};
use crate::counter::{Counter, CounterView, Hit, Uncounted};
use crate::http::client::Client;
use crate::http::error::ApiError;
use crate::http::identity::{Visitors, is_bot};
use crate::http::origin::Origins;
use crate::http::pages::Look;
use crate::http::respond::{
    Req, Response, bytes_response, json_object, json_response, media_type_is,
};
use crate::telemetry::{Refusal, Refusals};

/// A transparent 1×1 GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// What the counter's routes need.
pub struct CounterApi {
    pub counter: Arc<Counter>,
    pub visitors: Arc<Visitors>,
    pub origins: Arc<Origins>,
    pub refusals: Arc<Refusals>,
    /// The badge speaks the site's language.
    pub look: Arc<Look>,
}

fn render(view: &CounterView) -> Response {
    json_response(StatusCode::OK, &CounterBody::from(view))
}

impl CounterApi {
    /// Counts a page load. The body is optional; `text/plain` is accepted
    /// as well as `application/json` so a browser can send it without a
    /// CORS preflight.
    pub async fn post_hit(&self, req: Req, client: Client) -> Result<Response, ApiError> {
        let (parts, bytes) = req.into_parts();
        let page = if bytes.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            if !media_type_is(&parts.headers, &["application/json", "text/plain"]) {
                return Err(ApiError::UnsupportedMediaType {
                    expected: "application/json",
                });
            }
            let body: HitRequest = json_object(&bytes)?;
            body.page.as_deref().map(page_id).transpose()?
        };
        let (view, set_cookie) = self.count(&parts.headers, &parts.uri, client, page).await?;
        let mut response = render(&view);
        if let Some(cookie) = set_cookie {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
        Ok(response)
    }

    /// `GET /v1/pixel.gif[?page=…]`: counts a page load from a
    /// `<noscript>` image, for visitors without JavaScript.
    pub async fn pixel(&self, req: &Req, client: Client) -> Result<Response, ApiError> {
        let page = page_param(req.uri().query())?;
        let (_, set_cookie) = self.count(req.headers(), req.uri(), client, page).await?;
        let mut response = bytes_response(StatusCode::OK, "image/gif", "no-store", PIXEL);
        if let Some(cookie) = set_cookie {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
        Ok(response)
    }

    /// Counts a hit unless it is a bot's or a foreign page's; the counter,
    /// and the cookie to set.
    async fn count(
        &self,
        headers: &http::HeaderMap,
        uri: &http::Uri,
        client: Client,
        page: Option<crate::ids::PageId>,
    ) -> Result<(CounterView, Option<http::HeaderValue>), ApiError> {
        if is_bot(headers) {
            let view = self
                .counter
                .not_counted(Uncounted::Bot, page.as_ref())
                .await;
            return Ok((view, None));
        }
        if self.origins.foreign(headers, uri, &client) {
            self.refusals.note(Refusal::ForeignHit, "hit");
            let view = self
                .counter
                .not_counted(Uncounted::ForeignOrigin, page.as_ref())
                .await;
            return Ok((view, None));
        }
        let identity = self.visitors.identify(headers, &client).await?;
        let inherit = self.visitors.inherited(&identity, headers, &client).await;
        let view = self
            .counter
            .hit(Hit {
                visitor: identity.visitor,
                inherit,
                page,
            })
            .await;
        Ok((view, identity.set_cookie))
    }

    /// The counter, counting nothing.
    pub async fn get_counter(&self, req: &Req) -> Result<Response, ApiError> {
        let page = page_param(req.uri().query())?;
        Ok(render(&self.counter.view(page.as_ref()).await))
    }

    /// The counter as the badge shows it.
    pub async fn view(&self, page: Option<&crate::ids::PageId>) -> CounterView {
        self.counter.view(page).await
    }
}
