//! The embedded store's one writer thread, with group commit.

use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use redb::{Database, Durability, WriteTransaction};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::store::StoreError;

/// Called with the commit's outcome; delivers a write's answer.
pub(super) type Deliver = Box<dyn FnOnce(Result<(), String>) + Send>;

/// Does a write's work in the shared transaction; says how to answer.
pub(super) type Work = Box<dyn FnOnce(&WriteTransaction) -> Result<Deliver, redb::Error> + Send>;

/// One write, run by the writer thread inside a shared transaction.
struct Job {
    durability: Durability,
    /// The hits' write-behind: may wait up to [`BEHIND_EVERY`] for a
    /// commit to join.
    behind: bool,
    run: Work,
    /// Its place in the bounded queue, given back once it has run (`None`:
    /// the write-behind, of which one at most is queued, see
    /// [`Writer::queue_behind`]).
    _place: Option<OwnedSemaphorePermit>,
}

/// Most writes committed together.
const MOST_JOBS_PER_COMMIT: usize = 1024;

/// Most often the hits' write-behind commits on its own. A commit has a
/// cost of its own whatever it carries, and under load one job's records
/// are decided while the last is committed: back to back, the writer spent
/// a quarter of the process's CPU committing. Held this long,
/// a job joins any commit that happens meanwhile (a ballot's, a flush's)
/// or has one of its own when the time is up. It changes no durability:
/// those records were fsynced by the next durable commit before, and are
/// now.
const BEHIND_EVERY: Duration = Duration::from_millis(5);

/// Most writes waiting for the writer; more wait for room (within the
/// store deadline), so a burst cannot grow the queue without bound.
const MOST_WAITING: usize = 4096;

/// The one writer: takes every write waiting, runs those that need no
/// fsync in one transaction and commits once (group commit), then those
/// that asked for durability in a second, durable one, which also makes the
/// first durable; an empty durable commit follows when the last durable
/// one is `sync_every` old. redb allows one write transaction at a time
/// anyway; sharing it turns a burst of hits into one commit instead of a
/// queue of them. The hits' write-behind job, alone and sooner than
/// [`BEHIND_EVERY`] after the last, is held until then or until another
/// write commits; the writer's stop commits it.
fn write_loop(db: Arc<Database>, jobs: mpsc::Receiver<Job>, sync_every: Duration) {
    let mut dirty_since: Option<Instant> = None;
    // The write-behind job held back, and when it is due.
    let mut held: Option<(Job, Instant)> = None;
    let mut last_behind = Instant::now();
    loop {
        let sync_wait = dirty_since.map_or(sync_every, |since| {
            sync_every.saturating_sub(since.elapsed())
        });
        let wait = held.as_ref().map_or(sync_wait, |(_, due)| {
            sync_wait.min(due.saturating_duration_since(Instant::now()))
        });
        let mut group = match jobs.recv_timeout(wait) {
            Ok(job) => vec![job],
            Err(mpsc::RecvTimeoutError::Timeout) => Vec::new(),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        while !group.is_empty() && group.len() < MOST_JOBS_PER_COMMIT {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let alone_and_early = matches!(group.as_slice(), [job] if job.behind)
            && held.is_none()
            && last_behind.elapsed() < BEHIND_EVERY;
        if alone_and_early {
            // Held until due, or until another write commits.
            held = group.pop().map(|job| (job, last_behind + BEHIND_EVERY));
        } else if let Some((job, due)) = held.take() {
            if group.is_empty() && Instant::now() < due {
                held = Some((job, due));
            } else {
                group.push(job);
            }
        }
        if group.iter().any(|j| j.behind) {
            last_behind = Instant::now();
        }
        if group.is_empty() {
            let due = dirty_since.is_some_and(|since| since.elapsed() >= sync_every);
            if due && commit(&db, Vec::new(), true).is_ok() {
                dirty_since = None;
            }
            continue;
        }
        // Writes that need no fsync are committed and answered before the
        // group's fsync (a ballot's, housekeeping's or the periodic one),
        // not after it.
        let (durable, quick): (Vec<Job>, Vec<Job>) = group
            .into_iter()
            .partition(|j| matches!(j.durability, Durability::Immediate));
        if !quick.is_empty() && commit(&db, quick, false).is_ok() {
            dirty_since.get_or_insert_with(Instant::now);
        }
        let due = dirty_since.is_some_and(|since| since.elapsed() >= sync_every);
        if (!durable.is_empty() || due) && commit(&db, durable, true).is_ok() {
            dirty_since = None;
        }
    }
    let rest: Vec<Job> = held.map(|(job, _)| job).into_iter().collect();
    if !rest.is_empty() || dirty_since.is_some() {
        let _ = commit(&db, rest, true);
    }
}

/// Runs `group` in one transaction and commits it; tells every job how it
/// went.
fn commit(db: &Database, group: Vec<Job>, durable: bool) -> Result<(), String> {
    let mut txn = db.begin_write().map_err(|e| {
        tracing::error!(error = %e, "embedded store: cannot begin a write");
        e.to_string()
    })?;
    let durability = if durable {
        Durability::Immediate
    } else {
        Durability::None
    };
    txn.set_durability(durability).map_err(|e| {
        tracing::error!(error = %e, "embedded store: cannot set durability");
        e.to_string()
    })?;
    let mut delivers = Vec::with_capacity(group.len());
    let mut failure = None;
    for job in group {
        if failure.is_some() {
            // Dropped unrun: its caller hears that it failed.
            continue;
        }
        match (job.run)(&txn) {
            Ok(deliver) => delivers.push(deliver),
            Err(e) => failure = Some(e.to_string()),
        }
    }
    let outcome = match failure {
        Some(why) => {
            let _ = txn.abort();
            Err(why)
        }
        None => txn.commit().map_err(|e| e.to_string()),
    };
    if let Err(why) = &outcome {
        tracing::error!(error = %why, "embedded store: write rolled back");
    }
    for deliver in delivers {
        deliver(outcome.clone());
    }
    outcome
}

/// The writer thread and the way to it.
pub(super) struct Writer {
    /// `None` only while dropping.
    jobs: Option<mpsc::Sender<Job>>,
    places: Arc<Semaphore>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer; writes that do not ask for durability are made
    /// durable within `sync_every`.
    pub(super) fn start(db: Arc<Database>, sync_every: Duration) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("tally-redb-writer".into())
            .spawn(move || write_loop(db, queue, sync_every))?;
        Ok(Self {
            jobs: Some(jobs),
            places: Arc::new(Semaphore::new(MOST_WAITING)),
            thread: Some(thread),
        })
    }

    /// Whether the writer thread still runs. One that died (a panic in a
    /// write) takes no more writes: the store is then not ready, and says
    /// so in the log at `error`.
    pub(super) fn alive(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Queues `run` in `place` without waiting for it: its `Deliver` hears
    /// how the commit went.
    fn queue(
        &self,
        place: OwnedSemaphorePermit,
        durability: Durability,
        run: Work,
    ) -> Result<(), StoreError> {
        self.send(Job {
            _place: Some(place),
            durability,
            behind: false,
            run,
        })
    }

    /// Queues the hits' write-behind job (one at a time, so without a
    /// place): committed within [`BEHIND_EVERY`], without an fsync.
    pub(super) fn queue_behind(&self, run: Work) -> Result<(), StoreError> {
        self.send(Job {
            _place: None,
            durability: Durability::None,
            behind: true,
            run,
        })
    }

    fn send(&self, job: Job) -> Result<(), StoreError> {
        self.jobs
            .as_ref()
            .ok_or_else(|| StoreError::Unavailable("embedded store: closing".into()))?
            .send(job)
            .map_err(|_| StoreError::Unavailable("embedded store: writer stopped".into()))
    }

    /// Runs `f` in a write transaction and answers once it is committed
    /// with at least `durability`. `f` must change nothing when it refuses
    /// (returns an answer that says so): it may share its transaction.
    pub(super) async fn write<T, F>(&self, durability: Durability, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction) -> Result<T, redb::Error> + Send + 'static,
    {
        let place = Arc::clone(&self.places)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Unavailable("embedded store: closing".into()))?;
        let (answer, answered) = oneshot::channel();
        self.queue(
            place,
            durability,
            Box::new(move |txn| {
                let value = f(txn)?;
                Ok(Box::new(move |committed: Result<(), String>| {
                    let _ = answer.send(committed.map(|()| value));
                }) as Deliver)
            }),
        )?;
        match answered.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(why)) => Err(StoreError::Unavailable(format!("embedded store: {why}"))),
            Err(_) => Err(StoreError::Unavailable(
                "embedded store: the write failed and was rolled back".into(),
            )),
        }
    }
}

impl Drop for Writer {
    /// Lets the writer finish what it has and waits for it, so the file is
    /// closed (and can be opened again) when the store is gone.
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::{ReadableDatabase, TableDefinition};

    const T: TableDefinition<&str, u64> = TableDefinition::new("t");

    fn put(key: &'static str, committed: mpsc::Sender<Result<(), String>>) -> Work {
        Box::new(move |txn| {
            txn.open_table(T)?.insert(key, 1)?;
            Ok(Box::new(move |outcome| {
                let _ = committed.send(outcome);
            }) as Deliver)
        })
    }

    fn has(db: &Database, key: &str) -> bool {
        let txn = db.begin_read().unwrap();
        txn.open_table(T)
            .is_ok_and(|t| t.get(key).unwrap().is_some())
    }

    #[test]
    fn a_held_write_behind_is_committed_durably_when_the_writer_stops() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let db = Arc::new(Database::create(&path).unwrap());
        let writer = Writer::start(Arc::clone(&db), Duration::from_secs(3600)).unwrap();
        let (committed, outcomes) = mpsc::channel();
        // Just after the writer started: held for BEHIND_EVERY.
        writer.queue_behind(put("behind", committed)).unwrap();
        drop(writer);
        assert_eq!(outcomes.try_recv(), Ok(Ok(())));
        drop(db);
        // Reopened: the stop's commit was durable.
        let db = Database::open(&path).unwrap();
        assert!(has(&db, "behind"));
    }

    #[test]
    fn a_write_behind_commits_beside_other_writes_and_alone() {
        let dir = tempfile::tempdir().unwrap();
        let db = Arc::new(Database::create(dir.path().join("db")).unwrap());
        let writer = Writer::start(Arc::clone(&db), Duration::from_secs(3600)).unwrap();
        let (committed, outcomes) = mpsc::channel();
        writer
            .queue_behind(put("behind", committed.clone()))
            .unwrap();
        writer
            .queue(
                Arc::clone(&writer.places).try_acquire_owned().unwrap(),
                Durability::None,
                put("other", committed.clone()),
            )
            .unwrap();
        // Both committed and answered, whether the other write found the
        // write-behind held or both came in one group.
        for _ in 0..2 {
            let outcome = outcomes.recv_timeout(Duration::from_secs(10));
            assert_eq!(outcome, Ok(Ok(())));
        }
        assert!(has(&db, "behind") && has(&db, "other"));
        // Alone, a write-behind still commits (when due), with no other
        // write to join.
        writer.queue_behind(put("alone", committed)).unwrap();
        assert_eq!(outcomes.recv_timeout(Duration::from_secs(10)), Ok(Ok(())));
        assert!(has(&db, "alone"));
    }

    #[tokio::test]
    async fn a_writer_that_died_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let db = Arc::new(Database::create(dir.path().join("db")).unwrap());
        let writer = Writer::start(db, Duration::from_secs(3600)).unwrap();
        assert!(writer.alive());
        let died = writer
            .write(Durability::None, |_| -> Result<(), redb::Error> {
                panic!("a write that panics")
            })
            .await;
        assert!(died.is_err());
        for _ in 0..100 {
            if !writer.alive() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(!writer.alive());
        assert!(writer.write(Durability::None, |_| Ok(())).await.is_err());
    }
}
