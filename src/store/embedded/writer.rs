//! The embedded store's one writer thread, with group commit. It also
//! owns the database file after a disk error (`heal.rs`).

use std::path::PathBuf;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use redb::{Durability, WriteTransaction};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use super::current::Current;
use super::heal::{Disk, is_disk_error};
use crate::store::StoreError;

/// Called with the commit's outcome; delivers a write's answer.
pub(super) type Deliver = Box<dyn FnOnce(Result<(), String>) + Send>;

/// Does a write's work in the shared transaction; says how to answer.
pub(super) type Work = Box<dyn FnOnce(&WriteTransaction) -> Result<Deliver, redb::Error> + Send>;

/// One write, run by the writer thread inside a shared transaction.
struct Job {
    durability: Durability,
    /// The hits' write-behind: held up to [`BEHIND_EVERY`].
    behind: bool,
    /// The write-behind goes now, held or not: the hits' decided records
    /// are filling their room.
    hurry: bool,
    run: Work,
    /// Its place in the bounded queue, given back once it has run (`None`:
    /// the write-behind, of which one at most is queued, see
    /// [`Writer::queue_behind`]).
    _place: Option<OwnedSemaphorePermit>,
}

/// Most writes committed together.
const MOST_JOBS_PER_COMMIT: usize = 1024;

/// How long the hits' write-behind is held after the last one went. A
/// visitor hit again meanwhile is written once, whatever the number of
/// hits: a reader of 500 pages (a 12 KiB record) hit a hundred times in a
/// second costs one record written, not a hundred, and a visitor of one
/// page the same. It is held through other writes' commits (a flush's, a
/// ballot's, housekeeping's), never longer than the sync interval (a sync
/// that falls due takes it), and goes at once when the decided records
/// fill their room (`decided.rs`) or the writer stops. It changes no
/// durability: the sync interval counts from the moment a job is held.
///
/// Held 100 ms, and joining every other commit, a hit at 500 pages cost
/// 23–25 µs of CPU against 20 at 1 page; held to the sync interval, see
/// `bench/README.md` ("A visitor's pages").
const BEHIND_EVERY: Duration = Duration::from_secs(1);

/// Most writes waiting for the writer; more wait for room (within the
/// store deadline), so a burst cannot grow the queue without bound.
const MOST_WAITING: usize = 4096;

/// The one writer: takes every write waiting, runs those that need no
/// fsync in one transaction and commits once (group commit), then those
/// that asked for durability in a second, durable one, which also makes the
/// first durable; an empty durable commit follows when the last durable
/// one is `sync_every` old. redb allows one write transaction at a time
/// anyway; sharing it turns a burst of hits into one commit instead of a
/// queue of them. The hits' write-behind job, sooner than
/// [`BEHIND_EVERY`] after the last, is held until then, until the sync
/// falls due or until it is hurried; the writer's stop commits it. After a disk error,
/// writes are refused until the file is open again ([`Disk::heal`]).
fn write_loop(mut disk: Disk, jobs: mpsc::Receiver<Job>, sync_every: Duration) {
    let hold = BEHIND_EVERY.min(sync_every);
    let mut dirty_since: Option<Instant> = None;
    // The write-behind job held back.
    let mut held: Option<Held> = None;
    let mut last_behind = Instant::now();
    loop {
        if disk.failing() {
            // What was committed without an fsync went with the database.
            (held, dirty_since) = (None, None);
            if !disk.heal(&jobs) {
                break;
            }
            continue;
        }
        let sync_wait = dirty_since.map_or(sync_every, |since| {
            sync_every.saturating_sub(since.elapsed())
        });
        let wait = held.as_ref().map_or(sync_wait, |h| {
            sync_wait.min(h.due.saturating_duration_since(Instant::now()))
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
        let now = Instant::now();
        let hurry = group.iter().any(|j| j.hurry);
        if let Some(at) = group.iter().position(|j| j.behind)
            && held.is_none()
            && !hurry
            && now < last_behind + hold
        {
            // Held until due; its records wait from now, and the sync
            // interval counts from here.
            let job = group.remove(at);
            let due = last_behind + hold;
            held = Some(Held {
                job,
                due,
                since: now,
            });
            dirty_since.get_or_insert(now);
        }
        if let Some(h) = held.take() {
            let sync_due = dirty_since.is_some_and(|since| since.elapsed() >= sync_every);
            if hurry || sync_due || now >= h.due {
                group.push(h.job);
            } else {
                held = Some(h);
            }
        }
        if group.iter().any(|j| j.behind) {
            last_behind = now;
        }
        // Still dirty after a durable commit: what the held job will write.
        let held_since = held.as_ref().map(|h| h.since);
        if group.is_empty() {
            let due = dirty_since.is_some_and(|since| since.elapsed() >= sync_every);
            if due && commit(&mut disk, Vec::new(), true).is_ok() {
                dirty_since = held_since;
            }
            continue;
        }
        // Writes that need no fsync are committed and answered before the
        // group's fsync (a ballot's, housekeeping's or the periodic one),
        // not after it.
        let (durable, quick): (Vec<Job>, Vec<Job>) = group
            .into_iter()
            .partition(|j| matches!(j.durability, Durability::Immediate));
        if !quick.is_empty() && commit(&mut disk, quick, false).is_ok() {
            dirty_since.get_or_insert_with(Instant::now);
        }
        let due = dirty_since.is_some_and(|since| since.elapsed() >= sync_every);
        if (!durable.is_empty() || due) && commit(&mut disk, durable, true).is_ok() {
            dirty_since = held_since;
        }
    }
    let rest: Vec<Job> = held.map(|h| h.job).into_iter().collect();
    if !rest.is_empty() || dirty_since.is_some() {
        let _ = commit(&mut disk, rest, true);
    }
}

/// The write-behind job held back, when it is due, and since when it
/// waits.
struct Held {
    job: Job,
    due: Instant,
    since: Instant,
}

/// Runs `group` in one transaction and commits it; tells every job how it
/// went. A disk error gives the database up ([`Disk::failed`]).
fn commit(disk: &mut Disk, group: Vec<Job>, durable: bool) -> Result<(), String> {
    let writes = group.len();
    let Some(db) = disk.db() else {
        // Dropped unrun: their callers hear that writes fail.
        disk.refused(writes);
        return Err("writes fail".into());
    };
    let mut txn = match db.begin_write() {
        Ok(txn) => txn,
        Err(e) => {
            let why = e.to_string();
            disk.failed(e.into(), writes);
            return Err(why);
        }
    };
    let durability = if durable {
        Durability::Immediate
    } else {
        Durability::None
    };
    if let Err(e) = txn.set_durability(durability) {
        let e = redb::Error::from(e);
        disk.rolled_back(&e);
        return Err(e.to_string());
    }
    let mut delivers = Vec::with_capacity(group.len());
    let mut failure = None;
    for job in group {
        if failure.is_some() {
            // Dropped unrun: its caller hears that it failed.
            continue;
        }
        match (job.run)(&txn) {
            Ok(deliver) => delivers.push(deliver),
            Err(e) => failure = Some(e),
        }
    }
    let outcome = match failure {
        Some(e) => {
            let _ = txn.abort();
            let why = e.to_string();
            if is_disk_error(&e) {
                disk.failed(e, writes);
            } else {
                disk.rolled_back(&e);
            }
            Err(why)
        }
        None => txn.commit().map_err(|e| {
            let why = e.to_string();
            disk.failed(e.into(), writes);
            why
        }),
    };
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
    current: Arc<Current>,
}

impl Writer {
    /// Starts the writer of `current`, the database in the file `path`;
    /// writes that do not ask for durability are made durable within
    /// `sync_every`.
    pub(super) fn start(
        current: Arc<Current>,
        path: PathBuf,
        sync_every: Duration,
    ) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel();
        let disk = Disk::new(path, Arc::clone(&current));
        let thread = std::thread::Builder::new()
            .name("tally-redb-writer".into())
            .spawn(move || write_loop(disk, queue, sync_every))?;
        Ok(Self {
            jobs: Some(jobs),
            places: Arc::new(Semaphore::new(MOST_WAITING)),
            thread: Some(thread),
            current,
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
            hurry: false,
            run,
        })
    }

    /// Queues the hits' write-behind job (one at a time, so without a
    /// place): committed within [`BEHIND_EVERY`], without an fsync, or at
    /// once if `hurry`.
    pub(super) fn queue_behind(&self, run: Work, hurry: bool) -> Result<(), StoreError> {
        self.send(Job {
            _place: None,
            durability: Durability::None,
            behind: true,
            hurry,
            run,
        })
    }

    /// Sends the write-behind job held, if one is, to be committed now.
    pub(super) fn hurry_behind(&self) -> Result<(), StoreError> {
        self.send(Job {
            _place: None,
            durability: Durability::None,
            behind: false,
            hurry: true,
            run: Box::new(|_| Ok(Box::new(|_| {}) as Deliver)),
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
        if let Err(refused) = self.current.writable() {
            self.current.refused(1);
            return Err(refused);
        }
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
            Ok(Err(_)) | Err(_) if self.current.writable().is_err() => Err(self.current.refusal()),
            Ok(Err(why)) => Err(StoreError::Unavailable(format!("embedded store: {why}"))),
            Err(_) => Err(self.current.refusal()),
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
mod tests;
