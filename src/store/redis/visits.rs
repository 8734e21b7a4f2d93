//! Hits' touches that arrive together travel together: one round trip to
//! Redis carries every touch that queued while the previous one was on the
//! wire, instead of one script call and one round trip per hit.
//!
//! The batch is not held back by a timer: the first touch goes at once, and
//! the ones that arrive while [`IN_FLIGHT`] batches are on the wire wait for
//! the next, up to [`MOST_PER_BATCH`]. So a quiet server answers a lone hit
//! as fast as before, and a busy one pays one round trip for many hits.
//! (tokio's timers tick in milliseconds, so a delay of a few hundred
//! microseconds cannot be had from them; gathering what queued while a
//! batch was on the wire needs no timer.)
//!
//! On one server a batch is one call of `touch.lua` run over many visitors
//! (one atomic script). On a cluster a script may only touch one slot, so a
//! batch is split by node and each node gets one pipeline
//! ([`super::cluster_touches`]). Each hit is answered only when its own touch is decided;
//! touches are exact by hit id, so one whose batch failed may be sent again.

use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use jiff::Timestamp;
use redis::{FromRedisValue, Script, Value};
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::cluster_touches;
use super::connection::{Connection, RedisStore, corrupt, unavailable};
use super::nodes::Nodes;
use crate::ids::{PageKey, SiteId, VisitId, VisitorKey};
use crate::store::{StoreError, Touch, TouchOutcome, Visits, keys};
use crate::visit::EXPIRY_SLACK;

/// One visitor's touch.
pub(super) static TOUCH: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/touch.lua")));

/// `touch.lua` over many visitors in one call (one server only: the keys
/// span many slots). ARGV: the number of touches, then per touch its
/// number of keys (1 or 2) and `touch.lua`'s seven arguments.
static TOUCH_MANY: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "local function touch(KEYS, ARGV)\n{}\nend\n{}",
        include_str!("lua/touch.lua"),
        r#"
local out, k, a = {}, 0, 2
for i = 1, tonumber(ARGV[1]) do
  local n = tonumber(ARGV[a])
  local keys = {KEYS[k + 1]}
  if n == 2 then keys[2] = KEYS[k + 2] end
  out[i] = touch(keys, {unpack(ARGV, a + 1, a + 7)})
  k = k + n
  a = a + 8
end
return out
"#
    ))
});

/// Most touches in one batch: a script over more would hold Redis for
/// longer than a round trip is worth.
const MOST_PER_BATCH: usize = 64;
/// Batches on the wire at once; touches arriving meanwhile wait for the
/// next batch (and make it bigger).
const IN_FLIGHT: usize = 2;
/// Touches waiting for a batch; a hit beyond this waits for room.
const QUEUE: usize = 4_096;

/// A touch, as the scripts take it.
pub(super) struct Call {
    pub key: String,
    pub inherit: Option<String>,
    pub args: [Vec<u8>; 7],
}

impl Call {
    fn new(site: &SiteId, touch: &Touch) -> Self {
        let arg = |s: String| s.into_bytes();
        Self {
            key: keys::visitor(site, &touch.visitor),
            inherit: touch.inherit.as_ref().map(|i| keys::visitor(site, i)),
            args: [
                arg(touch.at.as_millisecond().to_string()),
                arg((touch.window.as_millis() as i64).to_string()),
                arg(touch.day.code().to_string()),
                arg(touch.page.map_or(String::new(), PageKey::to_hex)),
                arg(touch.max_pages.to_string()),
                arg(touch.id.to_string()),
                arg((EXPIRY_SLACK.as_millis() as i64).to_string()),
            ],
        }
    }

    /// This touch alone, as one `touch.lua` call.
    pub(super) async fn alone(&self, conn: &mut Connection) -> Result<TouchOutcome, StoreError> {
        let mut call = TOUCH.key(&self.key);
        if let Some(inherit) = &self.inherit {
            call.key(inherit);
        }
        for arg in &self.args {
            call.arg(arg.as_slice());
        }
        let value: Value = call.invoke_async(conn).await.map_err(unavailable)?;
        outcome(value)
    }
}

/// A touch waiting for its batch, and where its answer goes.
pub(super) struct Job {
    pub call: Call,
    pub reply: oneshot::Sender<Result<TouchOutcome, StoreError>>,
}

/// The queue of touches and the task that sends them in batches.
pub(super) struct Touches {
    queue: mpsc::Sender<Job>,
}

impl Touches {
    /// Starts the task sending batches on `conn`; it ends when the store
    /// is dropped.
    pub(super) fn start(conn: Connection, nodes: Arc<Nodes>) -> Self {
        let (queue, jobs) = mpsc::channel(QUEUE);
        tokio::spawn(run(jobs, conn, nodes));
        Self { queue }
    }
}

#[async_trait]
impl Visits for RedisStore {
    /// Decides `touch` in the next batch.
    async fn touch(&self, site: &SiteId, touch: &Touch) -> Result<TouchOutcome, StoreError> {
        let touches = self
            .touches
            .get_or_try_init(|| async {
                let nodes = Arc::clone(&self.nodes);
                self.connection().await.map(|c| Touches::start(c, nodes))
            })
            .await?;
        let (reply, answer) = oneshot::channel();
        let job = Job {
            call: Call::new(site, touch),
            reply,
        };
        touches
            .queue
            .send(job)
            .await
            .map_err(|_| StoreError::Unavailable("the touch batcher stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("a touch batch was dropped".into()))?
    }

    /// Whether `visitor`'s state is kept (its key expires with the visit).
    async fn visitor_known(
        &self,
        site: &SiteId,
        visitor: &VisitorKey,
        _now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut conn = self.connection().await?;
        redis::cmd("EXISTS")
            .arg(keys::visitor(site, visitor))
            .query_async::<bool>(&mut conn)
            .await
            .map_err(unavailable)
    }
}

async fn run(mut jobs: mpsc::Receiver<Job>, conn: Connection, nodes: Arc<Nodes>) {
    let lanes = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some(first) = jobs.recv().await {
        // Wait for a lane before gathering: what arrives meanwhile joins.
        let Ok(lane) = Arc::clone(&lanes).acquire_owned().await else {
            return;
        };
        let mut batch = Vec::with_capacity(MOST_PER_BATCH);
        batch.push(first);
        while batch.len() < MOST_PER_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut conn = conn.clone();
        let nodes = Arc::clone(&nodes);
        tokio::spawn(async move {
            match &mut conn {
                Connection::Cluster(_) => cluster_touches::send(&mut conn, &nodes, batch).await,
                _ => send_one_script(&mut conn, batch).await,
            }
            drop(lane);
        });
    }
}

/// One server: the whole batch in one script call.
async fn send_one_script(conn: &mut Connection, batch: Vec<Job>) {
    if let [_] = batch.as_slice() {
        let job = batch.into_iter().next().expect("one job");
        let _ = job.reply.send(job.call.alone(conn).await);
        return;
    }
    let mut call = TOUCH_MANY.prepare_invoke();
    call.arg(batch.len());
    for job in &batch {
        call.key(&job.call.key);
        if let Some(inherit) = &job.call.inherit {
            call.key(inherit);
        }
        call.arg(1 + usize::from(job.call.inherit.is_some()));
        for arg in &job.call.args {
            call.arg(arg.as_slice());
        }
    }
    match call.invoke_async::<Vec<Value>>(conn).await {
        Ok(values) if values.len() == batch.len() => {
            for (job, value) in batch.into_iter().zip(values) {
                let _ = job.reply.send(outcome(value));
            }
        }
        Ok(_) => fail(batch, || {
            corrupt("the touch script answered the wrong count")
        }),
        Err(e) => {
            let why = unavailable(e);
            fail(batch, || clone_error(&why));
        }
    }
}

fn fail(batch: Vec<Job>, why: impl Fn() -> StoreError) {
    for job in batch {
        let _ = job.reply.send(Err(why()));
    }
}

fn clone_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(s) => StoreError::Unavailable(s.clone()),
        StoreError::Credentials(s) => StoreError::Credentials(s.clone()),
        StoreError::Corrupt(s) => StoreError::Corrupt(s.clone()),
    }
}

/// `touch.lua`'s answer: new visit, new page view, visit id, capped.
pub(super) fn outcome(value: Value) -> Result<TouchOutcome, StoreError> {
    let (new_visit, new_page_view, visit, capped): (i64, i64, String, i64) =
        FromRedisValue::from_redis_value(value).map_err(|e| corrupt(e.to_string()))?;
    let visit = visit
        .parse()
        .map_err(|_| corrupt("a visitor's visit id is not a number"))?;
    Ok(TouchOutcome {
        new_visit: new_visit == 1,
        new_page_view: new_page_view == 1,
        visit: VisitId(visit),
        capped: capped == 1,
    })
}
