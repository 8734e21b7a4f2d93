//! Ballots answered 503 that the store may have counted anyway.
//!
//! A ballot can reach the store, be counted, and lose its answer on the
//! way back (Redis killed between writing and replying, a reply slower than
//! the deadline). Its caller heard 503 `store_unavailable`, so it must not
//! count: it waits here and is retracted once the store answers again.
//! Retracting a ballot that was never counted changes nothing.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::ids::SiteId;
use crate::metrics::Metrics;
use crate::store::{Ballot, Store};

/// Most ballots waiting; beyond it the oldest is dropped (and logged), as
/// memory must stay bounded through a long outage.
const MOST_WAITING: usize = 100_000;
/// Retractions tried per round.
const PER_ROUND: usize = 1_000;

pub struct Retractions {
    waiting: Mutex<VecDeque<Ballot>>,
    metrics: Arc<Metrics>,
}

impl Retractions {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self {
            waiting: Mutex::new(VecDeque::new()),
            metrics,
        }
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, VecDeque<Ballot>> {
        self.waiting.lock().expect("retractions lock")
    }

    pub fn push(&self, ballot: Ballot) {
        let mut waiting = self.waiting();
        if waiting.len() >= MOST_WAITING
            && let Some(dropped) = waiting.pop_front()
        {
            tracing::error!(poll = %dropped.poll, "retraction queue full: a ballot answered 503 may stay counted");
        }
        waiting.push_back(ballot);
        self.metrics.retractions_waiting.set(waiting.len() as i64);
    }

    pub fn is_empty(&self) -> bool {
        self.waiting().is_empty()
    }

    pub fn len(&self) -> usize {
        self.waiting().len()
    }

    /// Tries the waiting retractions, oldest first, until one fails.
    pub async fn work(&self, store: &dyn Store, site: &SiteId) {
        for _ in 0..PER_ROUND {
            let Some(ballot) = self.waiting().pop_front() else {
                break;
            };
            match store.retract(site, &ballot).await {
                Ok(retracted) => {
                    if retracted {
                        tracing::warn!(poll = %ballot.poll, "a ballot answered 503 had been counted; retracted");
                        self.metrics.ballots_retracted.inc();
                    }
                }
                Err(_) => {
                    self.waiting().push_front(ballot);
                    break;
                }
            }
        }
        self.metrics.retractions_waiting.set(self.len() as i64);
    }
}
