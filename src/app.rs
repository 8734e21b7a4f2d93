//! The application: open the store, bind the listeners, serve until told to
//! stop, then drain and write what is waiting.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower_http::cors::CorsLayer;

use crate::calendar::Calendar;
use crate::clock::Clock;
use crate::config::{Settings, StoreSettings};
use crate::counter::{Counter, CounterSettings};
use crate::http::admission::{Admission, Saturation};
use crate::http::auth::Throttle;
use crate::http::limit::RateLimits;
use crate::http::{cors_layer, handle_ops, public_service, server};
use crate::ids::SiteId;
use crate::metrics::Metrics;
use crate::poll::Poll;
use crate::privacy::Privacy;
use crate::store::timed::TimedStore;
use crate::store::{self, Store, StoreError};
use crate::telemetry::Refusals;
use crate::voting::{InstallError, Voting, VotingSettings, read_polls_file};

/// Everything a request may need; shared by all connections.
pub struct App {
    pub settings: Settings,
    pub site: SiteId,
    pub clock: Arc<dyn Clock>,
    pub calendar: Calendar,
    pub store: Arc<dyn Store>,
    pub counter: Arc<Counter>,
    pub privacy: Privacy,
    pub voting: Arc<Voting>,
    pub metrics: Arc<Metrics>,
    pub(crate) cors: CorsLayer,
    pub(crate) limits: RateLimits,
    /// Turns of request handling (`TALLY_MAX_IN_FLIGHT`).
    pub(crate) admission: Admission,
    /// While the public listener sits at `TALLY_MAX_CONNECTIONS`.
    pub(crate) public_at_cap: Arc<Saturation>,
    /// Failed admin sign-ins per address.
    pub(crate) admin_throttle: Throttle,
    pub(crate) refusals: Refusals,
}

impl App {
    /// Opens the store and applies the start-up configuration (baseline).
    pub async fn build(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<Self>> {
        let raw = store::open(
            &settings.store,
            settings.redis_ca_file.as_deref(),
            settings.store_timeout,
            sync_interval(settings.flush_interval),
        )
        .await?;
        // Wrong credentials are a setting to fix: stop now, naming it. A
        // store that is merely down is waited for.
        if let Err(StoreError::Credentials(why)) = raw.ping().await {
            let setting = match settings.store {
                StoreSettings::Cluster { .. } => "TALLY_REDIS_CLUSTER_NODES",
                _ => "TALLY_REDIS_URL",
            };
            anyhow::bail!("{setting}: Redis refused the credentials: {why}");
        }
        let metrics = Arc::new(Metrics::new(raw.kind()));
        let store: Arc<dyn Store> = Arc::new(TimedStore::new(
            raw,
            settings.store_timeout,
            Arc::clone(&metrics),
        ));
        let site = SiteId::DEFAULT;
        let calendar = Calendar::new(settings.timezone.clone());
        let bootstrap = Bootstrap {
            baseline: settings.counter_baseline,
            polls: match &settings.polls_file {
                Some(path) => read_polls_file(path)?,
                None => Vec::new(),
            },
        };
        let counter = Arc::new(Counter::new(
            Arc::clone(&store),
            site.clone(),
            calendar.clone(),
            Arc::clone(&clock),
            CounterSettings {
                visit_window: settings.visit_window,
                max_pages: settings.max_pages,
                hit_buffer: settings.hit_buffer,
                spill_dir: Some(settings.data_dir.join("spill")),
            },
            Arc::clone(&metrics),
        ));
        let privacy = Privacy::new(
            Arc::clone(&store),
            site.clone(),
            calendar.clone(),
            Arc::clone(&clock),
        );
        let voting = Arc::new(Voting::new(
            Arc::clone(&store),
            site.clone(),
            calendar.clone(),
            Arc::clone(&clock),
            VotingSettings {
                votes_per_address: settings.votes_per_address,
                store_timeout: settings.store_timeout,
                results_fresh: settings.flush_interval,
            },
            Arc::clone(&metrics),
        ));
        let app = Arc::new(Self {
            cors: cors_layer(&settings.allowed_origins),
            admission: Admission::new(settings.limits.max_in_flight),
            public_at_cap: Arc::default(),
            admin_throttle: Throttle::default(),
            refusals: Refusals::default(),
            limits: RateLimits::new(
                settings.rate_limit,
                settings.vote_rate_limit,
                settings.global_rate_limit,
                settings.rate_limit_keys,
            ),
            settings,
            site,
            clock,
            calendar,
            store,
            counter,
            privacy,
            voting,
            metrics,
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

    /// Client addresses the lenient and the strict rate limiter track.
    pub fn rate_limiter_keys(&self) -> (usize, usize) {
        self.limits.keys()
    }

    /// Seconds until the next local midnight, when per-day caps reset.
    pub fn seconds_until_tomorrow(&self) -> u64 {
        self.calendar.until_tomorrow(self.clock.now()).as_secs()
    }
}

/// How long the embedded store may hold a hit's write before making it
/// durable: with the flush interval, at most a second of answered hits is
/// lost to a crash (`kill -9`).
pub fn sync_interval(flush_interval: std::time::Duration) -> std::time::Duration {
    std::time::Duration::from_secs(1)
        .saturating_sub(flush_interval)
        .max(std::time::Duration::from_millis(100))
}

/// What the settings ask to be written at start.
struct Bootstrap {
    baseline: Option<u64>,
    polls: Vec<Poll>,
}

impl Bootstrap {
    async fn apply(&self, app: &App) -> Result<(), InstallError> {
        if let Some(baseline) = self.baseline {
            app.store.set_baseline(&app.site, baseline).await?;
        }
        app.voting.install(&self.polls).await?;
        if !self.polls.is_empty() {
            tracing::info!(polls = self.polls.len(), "polls file installed");
        }
        Ok(())
    }

    async fn retry(self, app: Arc<App>) {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
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
    let shutdown_copy = shutdown.clone();
    let flusher =
        tokio::spawn(Arc::clone(&app.counter).run(app.settings.flush_interval, shutdown.clone()));
    let purger = tokio::spawn(purge_limiters(Arc::clone(&app), shutdown.clone()));
    let retractor =
        tokio::spawn(Arc::clone(&app.voting).run(app.settings.flush_interval, shutdown.clone()));
    let public_app = Arc::clone(&app);
    let public_server = server::serve(
        public,
        "public",
        app.settings.limits.clone(),
        Arc::clone(&app.metrics),
        move |peer: SocketAddr| public_service(Arc::clone(&public_app), peer),
        shutdown.clone(),
        grace,
        Arc::clone(&app.public_at_cap),
    );
    let ops_app = Arc::clone(&app);
    let ops_server = server::serve(
        ops,
        "ops",
        app.settings.limits.clone(),
        Arc::clone(&app.metrics),
        move |peer: SocketAddr| {
            let app = Arc::clone(&ops_app);
            tower::service_fn(move |req| {
                let app = Arc::clone(&app);
                async move { Ok::<_, Infallible>(handle_ops(&app, req, peer).await) }
            })
        },
        shutdown,
        grace,
        Arc::default(),
    );
    let mut stop = shutdown_copy;
    let stop_requested = tokio::spawn(async move {
        let _ = stop.changed().await;
        Instant::now()
    });
    tokio::join!(public_server, ops_server);
    let _ = flusher.await;
    let _ = purger.await;
    let _ = retractor.await;
    // What is left of the grace period after the requests in flight.
    let deadline = stop_requested.await.unwrap_or_else(|_| Instant::now()) + grace;
    let deadline = deadline.max(Instant::now() + std::time::Duration::from_secs(1));
    app.counter.drain(deadline).await;
    app.voting.drain(deadline).await;
    tracing::info!("stopped");
}

/// Forgets idle client addresses every few seconds, so the limiters'
/// memory follows the live traffic.
async fn purge_limiters(app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(10));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        app.limits.purge();
        let (lenient, strict) = app.limits.keys();
        app.metrics
            .limiter_keys
            .with_label_values(&["lenient"])
            .set(lenient as i64);
        app.metrics
            .limiter_keys
            .with_label_values(&["strict"])
            .set(strict as i64);
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
