//! Both listeners' OpenAPI documents, assembled from their annotated
//! handlers (each route's own answers and refusals are declared beside
//! it): this module adds what a document says of the whole listener — its
//! title, tags and servers, and what its door does to every operation (the
//! refusals of `405`, rate limits, timeouts and bodies; the bearer scheme
//! on the ops listener). Only the application's assembly uses it.

use http::Method;
use utoipa::OpenApi as _;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{OpenApi, PathItem};

use crate::edge::doc::{self, Refusal};
use crate::edge::error::{ApiError, ErrorBody, ErrorDetailSchema, sample};
use crate::edge::poll_json::{OptionBody, OptionResultBody};
use crate::edge::schema;

#[cfg(test)]
mod tests;

/// The public listener's document, around its routes' operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "tally",
        description = include_str!("public.md"),
    ),
    servers((url = "/", description = "This service (the public listener)")),
    tags(
        (name = "counter", description = "Hits, visits and page views (*Số lượt truy cập*, *Lượt xem*)."),
        (name = "polls", description = "The site poll as JSON (*Bình chọn*)."),
        (name = "pages", description = "The poll and its results as HTML that works without JavaScript."),
        (name = "assets", description = "The embeddable widget, its demonstration page, the stylesheets and the icon."),
        (name = "meta", description = "This document."),
    ),
    // Parameters, and lists whose bounds are the domain's, name their
    // schemas without registering them.
    components(schemas(
        ErrorBody, ErrorDetailSchema, schema::VisitorCookie, schema::VisitorId, schema::SiteId,
        OptionBody, OptionResultBody,
    )),
)]
struct PublicApi;

/// The ops listener's document, around its routes' operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "tally (ops)",
        description = include_str!("ops.md"),
    ),
    servers((url = "/", description = "This service (the ops listener)")),
    tags(
        (name = "operations", description = "Prometheus and Kubernetes."),
        (name = "admin", description = "Polls, the counter's baseline, history, exports, import and the audit log, for editors (bearer token)."),
        (name = "meta", description = "This document."),
    ),
    components(schemas(
        ErrorBody, ErrorDetailSchema, OptionBody, OptionResultBody, schema::PollSpecOption,
        schema::SiteId,
    )),
)]
struct OpsApi;

/// The operations of a document: `(template, method)`, `HEAD` left out.
fn operations(api: &OpenApi) -> Vec<(String, Method)> {
    let mut found = Vec::new();
    for (template, item) in &api.paths.paths {
        for method in methods(item) {
            found.push((template.clone(), method));
        }
    }
    found
}

fn methods(item: &PathItem) -> Vec<Method> {
    [
        (Method::GET, item.get.is_some()),
        (Method::POST, item.post.is_some()),
        (Method::PUT, item.put.is_some()),
        (Method::DELETE, item.delete.is_some()),
        (Method::PATCH, item.patch.is_some()),
    ]
    .into_iter()
    .filter_map(|(method, has)| has.then_some(method))
    .collect()
}

/// The `Allow` of a path: its methods, `HEAD` beside `GET`.
fn allow(api: &OpenApi, template: &str) -> String {
    let Some(item) = api.paths.paths.get(template) else {
        return String::new();
    };
    let mut allowed = Vec::new();
    for method in methods(item) {
        allowed.push(method.to_string());
        if method == Method::GET {
            allowed.push("HEAD".to_owned());
        }
    }
    allowed.join(", ")
}

/// The public document: `routes` (the routes' own operations) inside
/// the listener's description, with the door's refusals on every
/// operation.
pub fn public(routes: OpenApi) -> OpenApi {
    let mut api = PublicApi::openapi();
    api.merge(routes);
    crate::public::assets::document_versioned(&mut api);
    doc::absent_is_not_null(&mut api);
    for (template, method) in operations(&api) {
        let page = crate::public::PAGES.contains(&template.as_str());
        let mut all = vec![
            Refusal {
                error: sample::method_not_allowed(&allow(&api, &template)),
                as_page: page,
            },
            Refusal {
                error: sample::rate_limited(),
                as_page: page,
            },
            // Read before a route is chosen, and timed: always JSON.
            Refusal {
                error: ApiError::RequestTimeout,
                as_page: false,
            },
        ];
        if method == Method::POST {
            for error in [sample::payload_too_large(), sample::invalid_body()] {
                all.push(Refusal {
                    error,
                    as_page: false,
                });
            }
        }
        doc::refuse(&mut api, &template, &method, &all);
        doc::on_every_answer(&mut api, &template, &method, doc::public_headers());
    }
    api
}

/// The ops document: `routes` inside the listener's description, with
/// `405` on every operation and the bearer scheme the admin routes name.
pub fn ops(routes: OpenApi) -> OpenApi {
    let mut api = OpsApi::openapi();
    api.merge(routes);
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    doc::absent_is_not_null(&mut api);
    for (template, method) in operations(&api) {
        let refusal = Refusal {
            error: sample::method_not_allowed(&allow(&api, &template)),
            as_page: false,
        };
        doc::refuse(&mut api, &template, &method, &[refusal]);
    }
    api
}

/// Both documents as the listeners serve them, for tests and tools.
pub fn documents() -> (OpenApi, OpenApi) {
    (
        public(crate::public::routes().document()),
        ops(crate::ops::routes().document()),
    )
}
