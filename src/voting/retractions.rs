//! Tries at casting a ballot answered 503 that the store may have counted.
//!
//! A ballot can reach the store, be counted, and lose its answer on the
//! way back (Redis killed between writing and replying, a reply slower than
//! the store timeout). Its caller heard 503 `store_unavailable`, so that try
//! must not count: it waits here and is retracted once the store answers
//! again. Retracting fences the try off, so one that reaches the store
//! later still does not count, and undoes it only if it holds the voter's
//! record: a retry of the same ballot that was answered claims it.
//!
//! What waits is written to a journal under `TALLY_DATA_DIR` (appended and
//! synced before the 503 is sent), so a restart, even `kill -9`, does not
//! forget it: the next start takes the journals it finds and retracts them.

use std::collections::VecDeque;
use std::sync::Arc;

use parking_lot::Mutex;

use tokio::task::JoinSet;

use crate::ids::SiteId;
use crate::metrics::Metrics;
use crate::store::{Retraction, Store};

mod journal;

pub use journal::Journal;

/// Most tries waiting; beyond it the oldest is dropped (and logged), as
/// memory must stay bounded through a long outage.
const MOST_WAITING: usize = 100_000;
/// Retractions tried per round.
const PER_ROUND: usize = 1_000;
/// Retractions tried at once: the store sends those that arrive together
/// together.
const AT_ONCE: usize = 64;

pub struct Retractions {
    waiting: Mutex<VecDeque<Retraction>>,
    /// Held across a journal write and the change of `waiting` it records,
    /// so a rewrite never drops an append.
    journal: tokio::sync::Mutex<Option<Arc<Journal>>>,
    metrics: Arc<Metrics>,
}

impl Retractions {
    /// Retractions journalled under `journal` (none: memory only), with
    /// those a previous run left there waiting already (and in this run's
    /// journal).
    pub fn new(journal: Option<Journal>, metrics: Arc<Metrics>) -> Self {
        let left = journal.as_ref().map(Journal::take_left).unwrap_or_default();
        if !left.is_empty() {
            tracing::warn!(
                waiting = left.len(),
                "retractions left by an earlier run; retracting them when the store answers"
            );
        }
        Self {
            waiting: Mutex::new(left.into_iter().collect()),
            journal: tokio::sync::Mutex::new(journal.map(Arc::new)),
            metrics,
        }
    }

    fn waiting(&self) -> parking_lot::MutexGuard<'_, VecDeque<Retraction>> {
        self.waiting.lock()
    }

    /// Keeps `retraction` until the store takes it: in the journal first,
    /// so it is kept before its caller hears 503.
    pub async fn push(&self, retraction: Retraction) {
        let journal = self.journal.lock().await;
        if let Some(journal) = journal.as_ref() {
            let (journal, entry) = (Arc::clone(journal), retraction.clone());
            let _ = tokio::task::spawn_blocking(move || journal.append(&entry)).await;
        }
        let mut waiting = self.waiting();
        if waiting.len() >= MOST_WAITING
            && let Some(dropped) = waiting.pop_front()
        {
            tracing::error!(poll = %dropped.poll, "retraction queue full: a ballot answered 503 may stay counted");
        }
        waiting.push_back(retraction);
        self.metrics.retractions_waiting.set(waiting.len() as i64);
    }

    pub fn is_empty(&self) -> bool {
        self.waiting().is_empty()
    }

    pub fn len(&self) -> usize {
        self.waiting().len()
    }

    /// Tries the waiting retractions, oldest first, [`AT_ONCE`] at a time,
    /// until one fails; then the journal holds what still waits.
    pub async fn work(&self, store: &Arc<dyn Store>, site: &SiteId) {
        let mut done = 0;
        while done < PER_ROUND {
            let tries: Vec<Retraction> = {
                let mut waiting = self.waiting();
                let n = waiting.len().min(AT_ONCE);
                waiting.drain(..n).collect()
            };
            if tries.is_empty() {
                break;
            }
            let mut running = JoinSet::new();
            for (i, retraction) in tries.iter().enumerate() {
                let (store, site, retraction) =
                    (Arc::clone(store), site.clone(), retraction.clone());
                running.spawn(async move { (i, store.retract(&site, &retraction).await) });
            }
            let mut answers = vec![None; tries.len()];
            while let Some(joined) = running.join_next().await {
                if let Ok((i, Ok(retracted))) = joined {
                    answers[i] = Some(retracted);
                }
            }
            let mut failed = Vec::new();
            for (retraction, answer) in tries.into_iter().zip(answers) {
                match answer {
                    Some(retracted) => {
                        done += 1;
                        if retracted {
                            tracing::warn!(poll = %retraction.poll, "a ballot answered 503 had been counted; retracted");
                            self.metrics.ballots_retracted.inc();
                        }
                    }
                    None => failed.push(retraction),
                }
            }
            if !failed.is_empty() {
                let mut waiting = self.waiting();
                while let Some(retraction) = failed.pop() {
                    waiting.push_front(retraction);
                }
                break;
            }
        }
        self.metrics.retractions_waiting.set(self.len() as i64);
        if done > 0 {
            self.rewrite().await;
        }
    }

    /// Writes the journal anew with what waits now.
    async fn rewrite(&self) {
        let journal = self.journal.lock().await;
        if let Some(journal) = journal.as_ref() {
            let journal = Arc::clone(journal);
            let waiting: Vec<Retraction> = self.waiting().iter().cloned().collect();
            let _ = tokio::task::spawn_blocking(move || journal.rewrite(&waiting)).await;
        }
    }
}
