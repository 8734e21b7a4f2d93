//! A listener's routes as they are declared: documented operations (a
//! handler with its `#[utoipa::path]`, through [`endpoints!`]) and pages
//! for people, each template noted once; and from them, the [`Table`] the
//! door answers from.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::Request;
use axum::handler::Handler;
use http::Method;
use parking_lot::Mutex;
use std::collections::HashSet;
use utoipa::openapi::{OpenApi, PathItem};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

use super::respond::Response;

mod table;
pub use table::{Matched, Missed, Table};

/// What a handler answers, later.
pub type Reply = Pin<Box<dyn Future<Output = Response> + Send>>;

/// A handler, its state still to be given.
type Unbound<S> = Arc<dyn Fn(Request, S) -> Reply + Send + Sync>;

/// A handler with its state.
type Call = Box<dyn Fn(Request) -> Reply + Send + Sync>;

/// Documented operations on one path, as [`endpoints!`] declares them:
/// each handler with its document.
pub struct Endpoints<S> {
    docs: Vec<UtoipaMethodRouter<S>>,
    handlers: Vec<(String, Method, Unbound<S>)>,
}

impl<S: Clone + Send + Sync + 'static> Default for Endpoints<S> {
    fn default() -> Self {
        Self {
            docs: Vec::new(),
            handlers: Vec::new(),
        }
    }
}

impl<S: Clone + Send + Sync + 'static> Endpoints<S> {
    /// `handler`, answering what `doc` (its `routes!`) says: its path and
    /// methods.
    pub fn with<H, T>(mut self, doc: UtoipaMethodRouter<S>, handler: H) -> Self
    where
        H: Handler<T, S, Future = Reply>,
        T: 'static,
    {
        let unbound: Unbound<S> = Arc::new(move |req, state| handler.clone().call(req, state));
        for (path, item) in &doc.1.paths {
            for method in methods(item) {
                self.handlers
                    .push((path.clone(), method, Arc::clone(&unbound)));
            }
        }
        self.docs.push(doc);
        self
    }

    /// The same operations under other templates (`rename` of each).
    pub fn renamed(mut self, rename: impl Fn(&str) -> String) -> Self {
        for doc in &mut self.docs {
            for (template, item) in std::mem::take(&mut doc.1.paths) {
                doc.1.paths.insert(rename(&template), item);
            }
        }
        for (template, _, _) in &mut self.handlers {
            *template = rename(template);
        }
        self
    }
}

/// Handlers with their documents (`#[utoipa::path]`), each answering the
/// path and methods its document declares.
macro_rules! endpoints {
    ($($handler:path),+ $(,)?) => {
        $crate::edge::routes::Endpoints::default()
            $(.with(::utoipa_axum::routes!($handler), $handler))+
    };
}
pub(crate) use endpoints;

/// The methods a documented path item answers.
fn methods(item: &PathItem) -> Vec<Method> {
    [
        (&item.get, Method::GET),
        (&item.head, Method::HEAD),
        (&item.post, Method::POST),
        (&item.put, Method::PUT),
        (&item.delete, Method::DELETE),
        (&item.patch, Method::PATCH),
        (&item.options, Method::OPTIONS),
        (&item.trace, Method::TRACE),
    ]
    .into_iter()
    .filter(|(operation, _)| operation.is_some())
    .map(|(_, method)| method)
    .collect()
}

/// A listener's routes as they are declared: documented ones (through
/// [`endpoints!`]) and pages for people (the console), left out of the
/// document.
pub struct Routes<S> {
    document: OpenApiRouter<S>,
    handlers: Vec<(&'static str, Method, Unbound<S>)>,
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Self {
            document: OpenApiRouter::new(),
            handlers: Vec::new(),
        }
    }
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    /// Documented operations, all on one path.
    pub fn api(mut self, endpoints: Endpoints<S>) -> Self {
        for doc in endpoints.docs {
            self.document = self.document.routes(doc);
        }
        self.handlers.extend(
            endpoints
                .handlers
                .into_iter()
                .map(|(template, method, call)| (intern(&template), method, call)),
        );
        self
    }

    /// A page for people, answering `methods`, left out of the document.
    pub fn page(
        mut self,
        template: &'static str,
        methods: &[Method],
        handler: impl Fn(Request, S) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let unbound: Unbound<S> = Arc::new(handler);
        for method in methods {
            self.handlers
                .push((template, method.clone(), Arc::clone(&unbound)));
        }
        self
    }

    /// The document of the documented routes.
    pub fn document(self) -> OpenApi {
        self.document.into_openapi()
    }

    /// The table the door answers from, and the document.
    pub fn finish(self, state: S) -> (Table, OpenApi) {
        let handlers = self
            .handlers
            .into_iter()
            .map(|(template, method, unbound)| {
                let state = state.clone();
                let call: Call = Box::new(move |req| unbound(req, state.clone()));
                (template, method, call)
            });
        (Table::new(handlers), self.document.into_openapi())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_is_interned_once() {
        assert!(std::ptr::eq(intern("/a"), intern(&String::from("/a"))));
    }
}
