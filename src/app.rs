//! The application: open the store, build the domain services and the two
//! listeners' handlers, serve until told to stop, then drain and write what
//! is waiting.

use std::convert::Infallible;
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
use crate::counter::{Counter, CounterSettings};
use crate::editing::Editing;
use crate::history::History;
use crate::http::admission::Admission;
use crate::http::api::admin::AdminApi;
use crate::http::api::counter::CounterApi;
use crate::http::api::polls::PollsApi;
use crate::http::auth::{Admins, Throttle};
use crate::http::console::Console;
use crate::http::identity::Visitors;
use crate::http::limit::RateLimits;
use crate::http::meters::RouteMeters;
use crate::http::ops::{self, Health, Ops};
use crate::http::origin::Origins;
use crate::http::pages::Look;
use crate::http::public::{self, Door, Public, cors_layer};
use crate::http::router::PUBLIC;
use crate::http::server;
use crate::http::stream::Streams;
use crate::ids::SiteId;
use crate::metrics::Metrics;
use crate::poll::Poll;
use crate::privacy::Privacy;
use crate::sessions::Sessions;
use crate::site::Site;
use crate::store::timed::TimedStore;
use crate::store::{self, Store, StoreError};
use crate::telemetry::Refusals;
use crate::voting::{InstallError, Voting, VotingSettings, read_polls_file};

/// A built application: the domain services and what each listener serves.
pub struct App {
    pub settings: Settings,
    pub counter: Arc<Counter>,
    pub voting: Arc<Voting>,
    pub public: Arc<Public>,
    pub ops: Arc<Ops>,
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
async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let store = store::open_with(
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
    Ok(store)
}

impl App {
    /// Opens the store, builds the services, and applies the start-up
    /// configuration (baseline, polls file).
    pub async fn build(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<Self>> {
        let raw = open_store(&settings).await?;
        let metrics = Arc::new(Metrics::new(raw.kind()));
        let site = Site {
            id: SiteId::DEFAULT,
            store: Arc::new(TimedStore::new(
                raw,
                settings.store_timeout,
                Arc::clone(&metrics),
            )),
            calendar: Calendar::new(settings.timezone.clone()),
            clock,
            metrics: Arc::clone(&metrics),
        };
        let bootstrap = Bootstrap {
            baseline: settings.counter_baseline,
            polls: match &settings.polls_file {
                Some(path) => read_polls_file(path)?,
                None => Vec::new(),
            },
        };
        let counter = Arc::new(Counter::new(
            site.clone(),
            CounterSettings {
                visit_window: settings.visit_window,
                max_pages: settings.max_pages,
                top_pages: settings.history_top_pages,
                page_days: settings.history_page_days,
                hit_buffer: settings.hit_buffer,
                page_cache: settings.page_cache,
                spill_dir: Some(settings.data_dir.join("spill")),
            },
        ));
        let voting = Arc::new(Voting::new(
            site.clone(),
            VotingSettings {
                votes_per_address: settings.votes_per_address,
                results_fresh: settings.flush_interval,
                journal_dir: Some(settings.data_dir.join("retractions")),
                challenge_key: settings
                    .challenge_key
                    .as_ref()
                    .map(|k| crate::challenge::key_from_secret(k.expose())),
                challenge_level: settings.challenge_level,
            },
        ));
        let history = Arc::new(History::new(
            site.clone(),
            settings.history_top_pages,
            settings.history_page_days,
        ));
        let editing = Arc::new(Editing::new(&voting, &counter, &site));
        let sessions = Arc::new(Sessions::new(site.clone(), settings.console_idle));
        let visitors = Arc::new(Visitors::new(Arc::new(Privacy::new(site))));
        let origins = Arc::new(Origins::new(settings.allowed_origins.clone()));
        let look = Arc::new(Look::new(
            settings.portal.clone(),
            settings.timezone.clone(),
            Arc::clone(&origins),
        ));
        let refusals = Arc::new(Refusals::default());
        let admission = Arc::new(Admission::new(settings.limits.max_in_flight));
        let rate_limits = Arc::new(RateLimits::new(
            settings.rate_limit,
            settings.vote_rate_limit,
            settings.global_rate_limit,
            settings.rate_limit_keys,
        ));
        let public = Arc::new(Public {
            counter: CounterApi {
                counter: Arc::clone(&counter),
                visitors: Arc::clone(&visitors),
                origins: Arc::clone(&origins),
                refusals: Arc::clone(&refusals),
                look: Arc::clone(&look),
            },
            polls: PollsApi {
                voting: Arc::clone(&voting),
                visitors,
                origins,
                refusals: Arc::clone(&refusals),
                look: Arc::clone(&look),
                streams: Arc::new(Streams::new(
                    settings.max_streams,
                    metrics.live_streams.clone(),
                )),
                form_votes_per_address: settings.form_votes_per_address,
                live_interval: settings.flush_interval,
                stream_lifetime: settings.stream_lifetime,
            },
            door: Door {
                rate_limits: Arc::clone(&rate_limits),
                admission: Arc::clone(&admission),
                at_cap: Arc::default(),
                trusted_proxies: settings.trusted_proxies.clone(),
                limits: settings.limits.clone(),
                cors: cors_layer(&settings.allowed_origins),
                look,
                metrics: Arc::clone(&metrics),
                meters: RouteMeters::new("public", PUBLIC.iter().map(|(t, _, _)| *t)),
                refusals,
                log_addresses: settings.log_addresses,
            },
        });
        let admins = Admins::new(settings.admin_token.as_ref(), &settings.admin_tokens);
        // One count of wrong tokens, whether guessed at the console or the API.
        let throttle = Arc::new(Throttle::default());
        let console = Console {
            sessions,
            voting: Arc::clone(&voting),
            counter: Arc::clone(&counter),
            editing: Arc::clone(&editing),
            history: Arc::clone(&history),
            admins: admins.clone(),
            throttle: Arc::clone(&throttle),
            metrics: Arc::clone(&metrics),
            lang: settings.portal.lang,
            tz: settings.timezone.clone(),
        };
        let ops = Arc::new(Ops {
            console,
            admin: AdminApi {
                editing,
                history,
                admins,
                throttle,
                metrics: Arc::clone(&metrics),
                log_addresses: settings.log_addresses,
            },
            health: Health {
                counter: Arc::clone(&counter),
                admission,
                public_at_cap: Arc::clone(&public.door.at_cap),
            },
            rate_limits,
            metrics,
            trusted_proxies: settings.trusted_proxies.clone(),
        });
        let app = Arc::new(Self {
            settings,
            counter,
            voting,
            public,
            ops,
        });
        match bootstrap.apply(&app).await {
            Ok(()) => {}
            Err(InstallError::Conflict(e)) => return Err(e),
            Err(InstallError::Store(e)) => {
                // Serve meanwhile (hits are buffered, counters read stale)
                // rather than crash-loop while the store comes up.
                tracing::warn!(error = %e, "store unavailable at start; the baseline and polls file will be written when it answers");
                tokio::spawn(bootstrap.retry(Arc::clone(&app)));
            }
        }
        Ok(app)
    }
}

/// What the settings ask to be written at start.
struct Bootstrap {
    baseline: Option<u64>,
    polls: Vec<Poll>,
}

impl Bootstrap {
    async fn apply(&self, app: &App) -> Result<(), InstallError> {
        if let Some(baseline) = self.baseline {
            app.counter.set_baseline(baseline).await?;
        }
        app.voting.install(&self.polls).await?;
        if !self.polls.is_empty() {
            tracing::info!(polls = self.polls.len(), "polls file installed");
        }
        Ok(())
    }

    async fn retry(self, app: Arc<App>) {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            match self.apply(&app).await {
                Ok(()) => return,
                Err(InstallError::Store(_)) => {}
                Err(InstallError::Conflict(e)) => {
                    tracing::error!(error = format!("{e:#}"), "polls file not installed");
                    return;
                }
            }
        }
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
    let flusher = tokio::spawn(Arc::clone(&app.counter).run(interval, shutdown.clone()));
    let purger = tokio::spawn(purge_limiters(
        Arc::clone(&app.ops.rate_limits),
        shutdown.clone(),
    ));
    let retractor = tokio::spawn(Arc::clone(&app.voting).run(interval, shutdown.clone()));
    let public_handlers = Arc::clone(&app.public);
    let public_server = server::serve(
        public,
        "public",
        app.settings.limits.clone(),
        Arc::clone(&app.ops.metrics),
        move |peer: SocketAddr| public::service(Arc::clone(&public_handlers), peer),
        shutdown.clone(),
        grace,
        Arc::clone(&app.public.door.at_cap),
    );
    let ops_handlers = Arc::clone(&app.ops);
    let ops_server = server::serve(
        ops,
        "ops",
        app.settings.limits.clone(),
        Arc::clone(&app.ops.metrics),
        move |peer: SocketAddr| {
            let handlers = Arc::clone(&ops_handlers);
            tower::service_fn(move |req| {
                let handlers = Arc::clone(&handlers);
                async move { Ok::<_, Infallible>(ops::handle(&handlers, req, peer).await) }
            })
        },
        shutdown.clone(),
        grace,
        Arc::default(),
    );
    let mut stop = shutdown;
    let streams = Arc::clone(&app.public.polls.streams);
    let stop_requested = tokio::spawn(async move {
        let _ = stop.changed().await;
        // Live streams would hold their connections open past the drain.
        streams.close();
        Instant::now()
    });
    tokio::join!(public_server, ops_server);
    let _ = flusher.await;
    let _ = purger.await;
    let _ = retractor.await;
    // What is left of the grace period after the requests in flight.
    let deadline = stop_requested.await.unwrap_or_else(|_| Instant::now()) + grace;
    let deadline = deadline.max(Instant::now() + Duration::from_secs(1));
    app.counter.drain(deadline).await;
    app.voting.drain(deadline).await;
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
