//! A listener's routes as they are declared: documented operations (a
//! handler with its `#[utoipa::path]`, through `routes!`) and pages for
//! people, each template noted once, so the door can match a request's
//! route before the router does and name it in metrics and logs.

use parking_lot::Mutex;
use std::collections::HashSet;

use axum::Router;
use axum::routing::MethodRouter;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

use super::error::ApiError;

/// A listener's routes as they are declared: documented ones (a handler
/// with its `#[utoipa::path]`, through `routes!`) and pages for people
/// (the console), each template noted once for matching and metrics.
pub struct Routes<S> {
    router: OpenApiRouter<S>,
    templates: Vec<&'static str>,
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Self {
            router: OpenApiRouter::new(),
            templates: Vec::new(),
        }
    }
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    /// Documented operations, all on one path.
    pub fn api(mut self, routes: UtoipaMethodRouter<S>) -> Self {
        self.templates
            .extend(routes.1.paths.keys().map(|p| intern(p)));
        self.router = self.router.routes(routes);
        self
    }

    /// A page for people, left out of the API document.
    pub fn page(mut self, template: &'static str, route: MethodRouter<S>) -> Self {
        self.templates.push(template);
        self.router = self.router.route(template, route);
        self
    }

    /// The document of the documented routes, without building a router.
    pub fn document(self) -> OpenApi {
        self.router.into_openapi()
    }

    /// The router, its document, and the templates it answers.
    pub fn finish(self, state: S) -> (Router, OpenApi, Vec<&'static str>) {
        let (router, api) = self
            .router
            .fallback(|| async { ApiError::NotFound })
            .with_state(state)
            .split_for_parts();
        (router, api, self.templates)
    }
}

/// A template as a label forever: metrics and logs name routes by their
/// template, and templates are few (each interned once per process).
fn intern(template: &str) -> &'static str {
    static INTERNED: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut interned = INTERNED.lock();
    let set = interned.get_or_insert_with(HashSet::new);
    match set.get(template) {
        Some(kept) => kept,
        None => {
            let kept: &'static str = Box::leak(template.to_owned().into_boxed_str());
            set.insert(kept);
            kept
        }
    }
}

/// The templates of a listener, matched once per request.
pub struct Templates {
    router: matchit::Router<usize>,
    templates: Vec<&'static str>,
}

impl Templates {
    pub fn new(templates: &[&'static str]) -> Self {
        let mut router = matchit::Router::new();
        for (i, template) in templates.iter().enumerate() {
            // The same template with other methods is one route.
            let _ = router.insert(*template, i);
        }
        Self {
            router,
            templates: templates.to_vec(),
        }
    }

    /// The template `path` matches, and its index; `unmatched` otherwise.
    pub(super) fn at(&self, path: &str) -> (&'static str, Option<usize>) {
        match self.router.at(path) {
            Ok(found) => (self.templates[*found.value], Some(*found.value)),
            Err(_) => ("unmatched", None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_once_and_name_the_rest_unmatched() {
        let t = Templates::new(&["/v1/polls/{id}", "/v1/polls/{id}/votes", "/v1/polls/{id}"]);
        assert_eq!(t.at("/v1/polls/x/votes"), ("/v1/polls/{id}/votes", Some(1)));
        assert_eq!(t.at("/v1/polls/x"), ("/v1/polls/{id}", Some(0)));
        assert_eq!(t.at("/nope"), ("unmatched", None));
        assert!(std::ptr::eq(intern("/a"), intern(&String::from("/a"))));
    }
}
