//! The embedded store's one writer thread, with group commit.

use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use redb::{Database, Durability, WriteTransaction};
use tokio::sync::oneshot;

use crate::store::StoreError;

/// Called with the commit's outcome; delivers a write's answer.
type Deliver = Box<dyn FnOnce(Result<(), String>) + Send>;

/// Does a write's work in the shared transaction; says how to answer.
type Work = Box<dyn FnOnce(&WriteTransaction) -> Result<Deliver, redb::Error> + Send>;

/// One write, run by the writer thread inside a shared transaction.
struct Job {
    durability: Durability,
    run: Work,
}

/// Most writes committed together.
const MOST_JOBS_PER_COMMIT: usize = 1024;

/// The one writer: takes every write waiting, runs them in one transaction
/// and commits once (group commit), durably if any of them asked for it.
/// redb allows one write transaction at a time anyway; sharing it turns a
/// burst of hits into one commit instead of a queue of them.
fn write_loop(db: Arc<Database>, jobs: mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MOST_JOBS_PER_COMMIT {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let durable = group
            .iter()
            .any(|j| matches!(j.durability, Durability::Immediate));
        let mut txn = match db.begin_write() {
            Ok(txn) => txn,
            Err(e) => {
                tracing::error!(error = %e, "embedded store: cannot begin a write");
                continue;
            }
        };
        let durability = if durable {
            Durability::Immediate
        } else {
            Durability::None
        };
        if let Err(e) = txn.set_durability(durability) {
            tracing::error!(error = %e, "embedded store: cannot set durability");
            continue;
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
    }
}

/// The writer thread and the way to it.
pub(super) struct Writer {
    /// `None` only while dropping.
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub(super) fn start(db: Arc<Database>) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("tally-redb-writer".into())
            .spawn(move || write_loop(db, queue))?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Runs `f` in a write transaction and answers once it is committed
    /// with at least `durability`. `f` must change nothing when it refuses
    /// (returns an answer that says so): it may share its transaction.
    pub(super) async fn write<T, F>(&self, durability: Durability, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction) -> Result<T, redb::Error> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job = Job {
            durability,
            run: Box::new(move |txn| {
                let value = f(txn)?;
                Ok(Box::new(move |committed: Result<(), String>| {
                    let _ = answer.send(committed.map(|()| value));
                }) as Deliver)
            }),
        };
        self.jobs
            .as_ref()
            .ok_or_else(|| StoreError::Unavailable("embedded store: closing".into()))?
            .send(job)
            .map_err(|_| StoreError::Unavailable("embedded store: writer stopped".into()))?;
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
