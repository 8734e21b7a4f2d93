//! The outage buffer replayed when the store returns: hits decided many at
//! once (the store batches touches that arrive together), so a full buffer
//! drains in seconds rather than one round trip per hit.
//!
//! Hits of one visitor stay in order: a wave takes the first waiting hit
//! of each visitor (and of each identity a hit may continue), and leaves
//! the others, in order, for the next wave.

use std::collections::{HashSet, VecDeque};

use tokio::task::JoinSet;

use super::{Counter, PendingHit, REPLAY_PER_FLUSH};
use crate::ids::VisitorKey;

/// Buffered hits looked at for one wave.
const SCAN: usize = 4_096;
/// Most hits decided at once.
const WAVE: usize = 1_024;

impl Counter {
    /// Decides buffered hits now that the store answers again, oldest first.
    pub(super) async fn replay(&self) {
        let mut done = 0;
        while done < REPLAY_PER_FLUSH {
            let wave = self.next_wave();
            if wave.is_empty() {
                break;
            }
            done += wave.len();
            if !self.decide(wave).await {
                break;
            }
        }
        self.metrics
            .hit_buffer
            .set(self.state().buffer.len() as i64);
    }

    /// Takes from the buffer's front the hits that can be decided together.
    fn next_wave(&self) -> Vec<PendingHit> {
        let mut state = self.state();
        let mut seen: HashSet<VisitorKey> = HashSet::new();
        let (mut wave, mut later) = (Vec::new(), VecDeque::new());
        while wave.len() < WAVE && wave.len() + later.len() < SCAN {
            let Some(hit) = state.buffer.pop_front() else {
                break;
            };
            let keys = std::iter::once(&hit.hit.visitor).chain(hit.hit.inherit.as_ref());
            let free = keys.clone().all(|k| !seen.contains(k));
            seen.extend(keys.cloned());
            if free {
                wave.push(hit);
            } else {
                later.push_back(hit);
            }
        }
        while let Some(hit) = later.pop_back() {
            state.buffer.push_front(hit);
        }
        wave
    }

    /// Decides `wave` at once; puts back, in order, what the store did not
    /// take (touches are exact by hit id, so sending one again is safe).
    /// Whether every hit was decided.
    async fn decide(&self, wave: Vec<PendingHit>) -> bool {
        let mut touches = JoinSet::new();
        for (i, pending) in wave.iter().enumerate() {
            let (store, site) = (self.store.clone(), self.site.clone());
            let touch = self.touch_of(pending);
            touches.spawn(async move { (i, store.touch(&site, &touch).await) });
        }
        let mut outcomes = vec![None; wave.len()];
        while let Some(joined) = touches.join_next().await {
            if let Ok((i, Ok(outcome))) = joined {
                outcomes[i] = Some(outcome);
            }
        }
        let mut failed = Vec::new();
        for (buffered, outcome) in wave.into_iter().zip(outcomes) {
            match outcome {
                // Admitted without a look-up: the flush counts what the
                // page cap drops.
                Some(outcome) => self.record(&buffered.hit, buffered.at, outcome, true),
                None => failed.push(buffered),
            }
        }
        if failed.is_empty() {
            return true;
        }
        let mut state = self.state();
        state.store_ok = false;
        while let Some(hit) = failed.pop() {
            state.buffer.push_front(hit);
        }
        false
    }
}
