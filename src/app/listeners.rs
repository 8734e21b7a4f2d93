//! The two listeners, assembled: each one's routes with their state, its
//! finished API document, and the door in front (the public one with rate
//! limits, CORS, turns and bodies read first; the ops one plain).

use std::sync::Arc;

use crate::config::Settings;
use crate::counter::{Counter, Counters};
use crate::edge::admission::{Admission, Saturation};
use crate::edge::auth::{Admins, SignIn};
use crate::edge::doc::Document;
use crate::edge::door::{Door, Render, Table};
use crate::edge::limit::RateLimits;
use crate::edge::meters::RouteMeters;
use crate::edge::origin::{CorsOrigins, Origins};
use crate::edge::respond::Response;
use crate::edge::stream::Streams;
use crate::editing::{Editing, Editings};
use crate::history::{History, IMPORT_ANSWERED_WITHIN};
use crate::identity::Visitors;
use crate::metrics::Metrics;
use crate::ops::admin::AdminApi;
use crate::ops::console::Console;
use crate::ops::health::Health;
use crate::ops::{self, Ops, OpsParts};
use crate::public::counter::CounterApi;
use crate::public::pages::Look;
use crate::public::polls::PollsApi;
use crate::public::{self, Public, PublicParts, cors_layer};
use crate::sessions::Sessions;
use crate::sites::Sites;
use crate::telemetry::Refusals;
use crate::voting::Votings;

/// A listener's routes behind its door.
pub struct Listener {
    pub door: Arc<Door>,
}

/// What both listeners share: the public listener's limits and streams,
/// which the ops listener reports on.
pub struct Shared {
    pub metrics: Arc<Metrics>,
    pub refusals: Arc<Refusals>,
    pub admission: Arc<Admission>,
    pub rate_limits: Arc<RateLimits>,
    pub streams: Arc<Streams>,
    pub public_at_cap: Arc<Saturation>,
}

impl Shared {
    pub fn new(settings: &Settings, metrics: &Arc<Metrics>, sites: &Sites) -> Self {
        Self {
            metrics: Arc::clone(metrics),
            refusals: Arc::new(Refusals::default()),
            admission: Arc::new(Admission::new(settings.limits.max_in_flight)),
            rate_limits: Arc::new(
                RateLimits::new(
                    settings.rate_limit,
                    settings.vote_rate_limit,
                    settings.global_rate_limit,
                    settings.rate_limit_keys,
                )
                .with_sites(sites.all().into_iter().filter_map(|def| {
                    let names = std::iter::once(&def.id).chain(&def.aliases);
                    Some((names.cloned().collect(), def.rate_limit?))
                })),
            ),
            streams: Arc::new(Streams::new(
                settings.max_streams,
                settings.max_streams_per_address,
                metrics.live_streams.clone(),
            )),
            public_at_cap: Arc::new(Saturation::default()),
        }
    }
}

/// The door of a listener and its routes.
struct DoorParts {
    listener: &'static str,
    table: Table,
    render: Render,
    secure: fn(&mut Response),
}

fn door(settings: &Settings, shared: &Shared, parts: DoorParts) -> Door {
    Door {
        listener: parts.listener,
        meters: RouteMeters::new(parts.listener, parts.table.templates()),
        table: parts.table,
        trusted_proxies: settings.trusted_proxies.clone(),
        limits: settings.limits.clone(),
        slow_routes: Vec::new(),
        rate_limits: None,
        admission: None,
        read_body: false,
        cors: None,
        render: parts.render,
        secure: parts.secure,
        metrics: Arc::clone(&shared.metrics),
        refusals: Arc::clone(&shared.refusals),
        log_addresses: settings.log_addresses,
    }
}

/// The public listener.
pub fn public(
    settings: &Settings,
    shared: &Shared,
    counters: &Arc<Counters>,
    votings: &Arc<Votings>,
    visitors: Arc<Visitors>,
    cors: Arc<CorsOrigins>,
) -> Listener {
    // Every site's pages may call tally, besides TALLY_ALLOWED_ORIGINS.
    let mut allowed = settings.allowed_origins.clone();
    for origin in counters.sites().origins() {
        if !allowed.contains(&origin) {
            allowed.push(origin);
        }
    }
    cors.serve(&counters.sites().origins());
    let origins = Arc::new(Origins::new(allowed).with_more(Arc::clone(&cors)));
    let look = Arc::new(Look::new(
        settings.portal.clone(),
        settings.timezone.clone(),
        Arc::clone(&origins),
    ));
    let state = Public::new(PublicParts {
        counter: Arc::new(CounterApi {
            counters: Arc::clone(counters),
            visitors: Arc::clone(&visitors),
            refusals: Arc::clone(&shared.refusals),
            look: Arc::clone(&look),
        }),
        polls: Arc::new(PollsApi {
            votings: Arc::clone(votings),
            visitors,
            origins,
            refusals: Arc::clone(&shared.refusals),
            look: Arc::clone(&look),
            streams: Arc::clone(&shared.streams),
            form_votes_per_address: settings.form_votes_per_address,
            live_interval: settings.flush_interval,
            stream_lifetime: settings.stream_lifetime,
        }),
        document: Arc::new(Document::new("public, max-age=300")),
    });
    let document = Arc::clone(&state.document);
    let (table, routes) = public::routes().finish(state);
    document.keep(&crate::openapi::public(routes));
    let parts = DoorParts {
        listener: "public",
        table,
        render: public::render(look),
        secure: public::secure,
    };
    let door = Door {
        rate_limits: Some((Arc::clone(&shared.rate_limits), public::strict())),
        admission: Some(Arc::clone(&shared.admission)),
        read_body: true,
        cors: Some(cors_layer(cors)),
        ..door(settings, shared, parts)
    };
    Listener {
        door: Arc::new(door),
    }
}

/// The domain services the ops listener serves.
pub struct Services<'a> {
    pub counter: &'a Arc<Counter>,
    pub counters: &'a Arc<Counters>,
    pub editing: Arc<Editing>,
    pub editings: Arc<Editings>,
    pub history: Arc<History>,
    pub sessions: Arc<Sessions>,
    pub backups: Arc<crate::archive::Backups>,
    pub retention: Arc<crate::retention::Retention>,
    pub book: Arc<crate::site_book::SiteBook>,
}

/// The ops listener.
pub fn ops(settings: &Settings, shared: &Shared, services: Services<'_>) -> Listener {
    let admins = Admins::new(settings.admin_token.as_ref(), &settings.admin_tokens);
    // One count of wrong tokens, whether guessed at the console or the API.
    let sign_in = Arc::new(SignIn::new(
        admins,
        Arc::clone(&shared.metrics),
        settings.log_addresses,
    ));
    let console = Console {
        sessions: services.sessions,
        counter: Arc::clone(services.counter),
        counters: Arc::clone(services.counters),
        editing: Arc::clone(&services.editing),
        editings: Arc::clone(&services.editings),
        history: Arc::clone(&services.history),
        sign_in: Arc::clone(&sign_in),
        lang: settings.portal.lang,
        tz: settings.timezone.clone(),
        public_url: settings.public_url.clone(),
        retention: Arc::clone(&services.retention),
        book: Arc::clone(&services.book),
    };
    let state = Ops::new(OpsParts {
        console: Arc::new(console),
        admin: Arc::new(AdminApi {
            editing: services.editing,
            editings: services.editings,
            history: services.history,
            sign_in,
            lang: settings.portal.lang,
            backups: services.backups,
            counters: Arc::clone(services.counters),
            retention: services.retention,
            book: services.book,
        }),
        health: Arc::new(Health {
            counter: Arc::clone(services.counter),
            admission: Arc::clone(&shared.admission),
            public_at_cap: Arc::clone(&shared.public_at_cap),
            rate_limits: Arc::clone(&shared.rate_limits),
            metrics: Arc::clone(&shared.metrics),
        }),
        document: Arc::new(Document::new("no-store")),
    });
    let document = Arc::clone(&state.document);
    let (table, routes) = ops::routes().finish(state);
    document.keep(&crate::openapi::ops(routes));
    let parts = DoorParts {
        listener: "ops",
        table,
        render: ops::render(),
        secure: ops::secure,
    };
    // An import is bounded by its own deadline, not a request's.
    let slow_routes = ["/admin/history/import", "/admin/console/import"]
        .into_iter()
        .map(|route| (route, IMPORT_ANSWERED_WITHIN))
        .collect();
    let door = Door {
        slow_routes,
        ..door(settings, shared, parts)
    };
    Listener {
        door: Arc::new(door),
    }
}
