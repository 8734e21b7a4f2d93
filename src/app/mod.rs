//! The application: open the store, build the domain services and the two
//! listeners ([`listeners`]), serve until told to stop, then drain and
//! write what is waiting.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::calendar::Calendar;
use crate::clock::Clock;
use crate::config::{Settings, StoreSettings};
use crate::counter::{Counter, Counters};
use crate::edge::admission::Saturation;
use crate::edge::door;
use crate::edge::limit::RateLimits;
use crate::edge::origin::CorsOrigins;
use crate::edge::server;
use crate::edge::stream::Streams;
use crate::editing::Editings;
use crate::history::History;
use crate::identity::Visitors;
use crate::metrics::Metrics;
use crate::polls_file::read_polls_file;
use crate::privacy::Privacy;
use crate::retention::Retention;
use crate::sessions::Sessions;
use crate::site::Site;
use crate::site_book::{self, SiteBook};
use crate::sites::Sites;
use crate::store::piece::Holding;
use crate::store::timed::TimedStore;
use crate::store::{self, Store, StoreError};
use crate::voting::{Voting, Votings};

mod bootstrap;
mod listeners;
mod parts;

use bootstrap::Bootstrap;

pub use listeners::Listener;

/// A built application: the domain services and what each listener serves.
pub struct App {
    pub settings: Settings,
    /// The primary site's counter ([`Counters::primary`]).
    pub counter: Arc<Counter>,
    /// Every site's counter.
    pub counters: Arc<Counters>,
    /// The primary site's polls ([`Votings::primary`]).
    pub voting: Arc<Voting>,
    /// Every site's polls.
    pub votings: Arc<Votings>,
    pub public: Listener,
    pub ops: Listener,
    /// The public listener's live result streams, ended at shutdown.
    pub streams: Arc<Streams>,
    /// The public listener's rate limiters, purged on a schedule.
    pub rate_limits: Arc<RateLimits>,
    /// Whether the public listener sits at its connection cap.
    pub public_at_cap: Arc<Saturation>,
    /// The housekeeping that deletes what outlived its retention.
    pub retention: Arc<Retention>,
    /// The sites, the file's and those defined while tally runs.
    pub book: Arc<SiteBook>,
    /// The start's writes retried until the store answers, if it did not
    /// at start: stopped with the app, so it does not hold the app (and an
    /// embedded store's file) past its stop.
    retrying: std::sync::OnceLock<tokio::task::AbortHandle>,
}

/// How long the embedded store may hold a hit's write before making it
/// durable: with the flush interval, at most a second of answered hits is
/// lost to a crash (`kill -9`).
pub fn sync_interval(flush_interval: Duration) -> Duration {
    Duration::from_secs(1)
        .saturating_sub(flush_interval)
        .max(Duration::from_millis(100))
}

/// Opens the store the settings name, stopping the start on credentials
/// the store refuses (a setting to fix, where a store that is merely down
/// is waited for).
async fn open_store(settings: &Settings, sites: &Sites) -> anyhow::Result<Arc<dyn Store>> {
    let store = store::open::open_with(
        &settings.store,
        settings.redis_ca_file.as_deref(),
        settings.store_timeout,
        sync_interval(settings.flush_interval),
        settings.ballot_durability,
    )
    .await?;
    if let Err(StoreError::Credentials(why)) = store.ping().await {
        let setting = match settings.store {
            StoreSettings::Cluster { .. } => "TALLY_REDIS_CLUSTER_NODES",
            _ => "TALLY_REDIS_URL",
        };
        anyhow::bail!("{setting}: Redis refused the credentials: {why}");
    }
    // A store written by a newer tally: its one line stops the start. A
    // store that does not answer yet is settled by the bootstrap, when it
    // does.
    if let Err(StoreError::Corrupt(line)) = store.settle_schema().await {
        anyhow::bail!(line);
    }
    // A restore marks every site it writes; a store that does not answer
    // is not asked site after site.
    for site in sites.all() {
        match store.holding(&site.id).await {
            Ok(Holding {
                restoring: Some(cut),
                ..
            }) => anyhow::bail!(
                "the store holds an incomplete restore of site {} (of an export cut at {}): run \
                 `tally restore` into an emptied store before serving",
                site.id,
                crate::archive::restore::cut_time(cut)
            ),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Ok(store)
}

impl App {
    /// Opens the store, builds the services, and applies the start-up
    /// configuration (baseline, polls file).
    pub async fn build(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<Self>> {
        let sites = Arc::new(crate::sites::load_sites(&settings)?);
        let raw = open_store(&settings, &sites).await?;
        let metrics = Arc::new(Metrics::new(raw.kind()));
        let site = Site {
            id: sites.primary().id.clone(),
            store: Arc::new(TimedStore::new(
                raw,
                settings.store_timeout,
                Arc::clone(&metrics),
            )),
            calendar: Calendar::new(settings.timezone.clone()),
            clock,
            metrics: Arc::clone(&metrics),
        };
        let polls = match &settings.polls_file {
            Some(path) => read_polls_file(path, &sites)?,
            None => Vec::new(),
        };
        let counters = Arc::new(parts::counters(&settings, &site, &sites));
        let counter = Arc::clone(counters.primary());
        let votings = Arc::new(parts::votings(&settings, &site, &sites));
        let voting = Arc::clone(votings.primary());
        let history = Arc::new(History::new(
            site.clone(),
            settings.history_top_pages,
            settings.history_page_days,
        ));
        // Each site's changes go to its own audit log.
        let make_editing = parts::make_editing(&settings, &site);
        let editing = |voting: &Arc<Voting>| {
            let counter = counters
                .get(voting.site())
                .unwrap_or_else(|| Arc::clone(&counter));
            Arc::new(make_editing(voting, &counter))
        };
        let editings = Arc::new(Editings::new(
            editing(&voting),
            votings
                .all()
                .iter()
                .filter(|v| !Arc::ptr_eq(v, &voting))
                .map(editing),
        ));
        let editing = Arc::clone(editings.primary());
        let retention = Arc::new(
            Retention::new(site.clone(), &settings)
                .for_sites(votings.all().iter().map(|v| v.site().clone()))
                .listing(sites.names()),
        );
        let backups = Arc::new(crate::archive::Backups::new(site.clone(), &sites));
        let edge = listeners::Shared::new(&settings, &metrics, &sites);
        let cors = Arc::new(CorsOrigins::new(settings.allowed_origins.clone()));
        let book = Arc::new(SiteBook::new(
            Arc::clone(&site.store),
            Arc::clone(&site.clock),
            crate::sites::sites_defaults(&settings),
            site_book::Services {
                counters: Arc::clone(&counters),
                votings: Arc::clone(&votings),
                editings: Arc::clone(&editings),
                make_editing,
                rate_limits: Arc::clone(&edge.rate_limits),
                cors: Arc::clone(&cors),
                retention: Arc::clone(&retention),
                backups: Arc::clone(&backups),
            },
        ));
        // The sites defined through the admin API, served from the start;
        // a store that does not answer yet is read on the next beat.
        let read = book.reread().await;
        if let Err(e) = &read {
            tracing::warn!(error = %e, "the sites defined in the store were not read at start; they are served once it answers");
        }
        let sites = book.sites();
        // A role may be given on a site created through the admin API.
        if let Some(line) = crate::sites::unknown_token_site(&settings, &sites) {
            match read {
                Ok(()) => anyhow::bail!(line),
                Err(_) => anyhow::bail!(
                    "{line} (the store did not answer, so its sites could not be read)"
                ),
            }
        }
        let bootstrap = Bootstrap {
            store: Arc::clone(&site.store),
            baseline: settings.counter_baseline,
            site_baselines: counters
                .all()
                .iter()
                .filter(|c| !Arc::ptr_eq(c, &counter) || settings.counter_baseline.is_none())
                // A defined site's baseline is written when it is defined.
                .filter(|c| !sites.is_defined(c.site()))
                .filter_map(|c| Some((Arc::clone(c), sites.get(c.site())?.baseline?)))
                .filter(|_| sites.configured())
                .collect(),
            polls: polls
                .into_iter()
                .filter_map(|file| Some((editings.get(&file.site)?, file.polls)))
                .collect(),
            editing: Arc::clone(&editing),
            listed: sites.names(),
            clock: Arc::clone(&site.clock),
        };
        let sessions = Arc::new(Sessions::new(site.clone(), settings.console_idle));
        let visitors = Arc::new(Visitors::new(Arc::new(Privacy::new(site))));
        let public = listeners::public(&settings, &edge, &counters, &votings, visitors, cors);
        let ops = listeners::ops(
            &settings,
            &edge,
            listeners::Services {
                counter: &counter,
                counters: &counters,
                editing,
                editings,
                history,
                sessions,
                backups,
                retention: Arc::clone(&retention),
                book: Arc::clone(&book),
            },
        );
        let (streams, rate_limits, public_at_cap) =
            (edge.streams, edge.rate_limits, edge.public_at_cap);
        let app = Arc::new(Self {
            settings,
            counter,
            counters,
            voting,
            votings,
            public,
            ops,
            streams,
            rate_limits,
            public_at_cap,
            retention,
            book,
            retrying: std::sync::OnceLock::new(),
        });
        if let Err(e) = bootstrap.apply(&app).await {
            // Serve meanwhile (hits are buffered, counters read stale)
            // rather than crash-loop while the store comes up.
            tracing::warn!(error = %e, "store unavailable at start; the baseline and polls file will be written when it answers");
            let retry = tokio::spawn(bootstrap.retry(Arc::clone(&app)));
            let _ = app.retrying.set(retry.abort_handle());
        }
        Ok(app)
    }
}

/// Serves `app` on the two listeners until `shutdown` turns true; then stops
/// accepting, lets in-flight requests finish and writes every waiting hit,
/// all within the shutdown grace period.
pub async fn run(
    app: Arc<App>,
    public: TcpListener,
    ops: TcpListener,
    shutdown: watch::Receiver<bool>,
) {
    let grace = app.settings.shutdown_grace;
    let interval = app.settings.flush_interval;
    let flusher = tokio::spawn(Arc::clone(&app.counters).run(interval, shutdown.clone()));
    let purger = tokio::spawn(purge_limiters(
        Arc::clone(&app.rate_limits),
        shutdown.clone(),
    ));
    let retractor = tokio::spawn(Arc::clone(&app.votings).run(interval, shutdown.clone()));
    let sweeper = tokio::spawn(Arc::clone(&app.retention).run(shutdown.clone()));
    let reader = tokio::spawn(Arc::clone(&app.book).run(shutdown.clone()));
    let serve = |listener: TcpListener, name: &'static str, side: &Listener, at_cap| {
        let door = Arc::clone(&side.door);
        server::serve(
            listener,
            name,
            app.settings.limits.clone(),
            Arc::clone(&side.door.metrics),
            move |peer: SocketAddr| door::service(Arc::clone(&door), peer),
            shutdown.clone(),
            grace,
            at_cap,
        )
    };
    let public_server = serve(
        public,
        "public",
        &app.public,
        Arc::clone(&app.public_at_cap),
    );
    let ops_server = serve(ops, "ops", &app.ops, Arc::default());
    let mut stop = shutdown;
    let streams = Arc::clone(&app.streams);
    let stop_requested = tokio::spawn(async move {
        let _ = stop.changed().await;
        // Live streams would hold their connections open past the drain.
        streams.close();
        Instant::now()
    });
    tokio::join!(public_server, ops_server);
    if let Some(retry) = app.retrying.get() {
        retry.abort();
    }
    let _ = flusher.await;
    let _ = purger.await;
    let _ = retractor.await;
    let _ = sweeper.await;
    let _ = reader.await;
    // What is left of the grace period after the requests in flight.
    let deadline = stop_requested.await.unwrap_or_else(|_| Instant::now()) + grace;
    let deadline = deadline.max(Instant::now() + Duration::from_secs(1));
    app.counters.drain(deadline).await;
    app.votings.drain(deadline).await;
    tracing::info!("stopped");
}

/// Forgets idle client addresses every few seconds, so the limiters'
/// memory follows the live traffic.
async fn purge_limiters(limits: Arc<RateLimits>, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        limits.purge();
    }
}

/// A running instance, as tests and embedders hold it.
pub struct Running {
    pub app: Arc<App>,
    pub public_addr: SocketAddr,
    pub ops_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Running {
    /// Stops gracefully and waits until everything is written.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Binds the listeners the settings name and starts serving.
pub async fn start(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Running> {
    let public = TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("TALLY_LISTEN: cannot listen on {}", settings.listen))?;
    let ops = TcpListener::bind(settings.ops_listen)
        .await
        .with_context(|| format!("TALLY_OPS_LISTEN: cannot listen on {}", settings.ops_listen))?;
    let public_addr = public.local_addr()?;
    let ops_addr = ops.local_addr()?;
    let app = App::build(settings, clock).await?;
    let (stop, shutdown) = watch::channel(false);
    let task = tokio::spawn(run(Arc::clone(&app), public, ops, shutdown));
    Ok(Running {
        app,
        public_addr,
        ops_addr,
        stop,
        task,
    })
}
