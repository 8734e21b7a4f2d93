//! A poll's results: each option's votes and its share, in tenths of a
//! percent that add up to exactly 100.0.

use serde::Serialize;

use super::Poll;
use crate::ids::OptionId;

/// One option's share of the ballots.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionResult {
    pub id: OptionId,
    pub label: String,
    pub votes: u64,
    /// One decimal; the options' percents add up to exactly 100.0 when there
    /// are votes.
    pub percent: f64,
    #[serde(skip)]
    pub tenths: u32,
}

/// A poll's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Results {
    pub total_votes: u64,
    pub options: Vec<OptionResult>,
}

impl Results {
    /// Results from per-option ballot counts (`votes` follows `poll.options`).
    pub fn new(poll: &Poll, votes: &[u64]) -> Self {
        let tenths = largest_remainder_tenths(votes);
        let options = poll
            .options
            .iter()
            .zip(votes)
            .zip(tenths)
            .map(|((option, &votes), tenths)| OptionResult {
                id: option.id.clone(),
                label: option.label.clone(),
                votes,
                percent: f64::from(tenths) / 10.0,
                tenths,
            })
            .collect();
        Self {
            total_votes: votes.iter().sum(),
            options,
        }
    }
}

/// Shares in tenths of a percent that add up to exactly 1000 (when any vote
/// exists), by the largest-remainder method: everyone gets the floor of their
/// exact share, and the tenths left over go to the largest remainders (ties
/// to the option listed first).
pub fn largest_remainder_tenths(votes: &[u64]) -> Vec<u32> {
    let total: u128 = votes.iter().map(|&v| u128::from(v)).sum();
    if total == 0 {
        return vec![0; votes.len()];
    }
    let exact: Vec<(u128, u128)> = votes
        .iter()
        .map(|&v| {
            let scaled = u128::from(v) * 1000;
            (scaled / total, scaled % total)
        })
        .collect();
    let mut tenths: Vec<u32> = exact.iter().map(|&(q, _)| q as u32).collect();
    let given: u32 = tenths.iter().sum();
    let mut order: Vec<usize> = (0..votes.len()).collect();
    order.sort_by(|&a, &b| exact[b].1.cmp(&exact[a].1).then(a.cmp(&b)));
    for &i in order.iter().take((1000 - given) as usize) {
        tenths[i] += 1;
    }
    tenths
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::PollId;
    use crate::poll::{PollOption, PollSpec};
    use proptest::prelude::*;

    fn four() -> Poll {
        let option = |id: &str, label: &str| PollOption {
            id: OptionId::parse(id).unwrap(),
            label: label.into(),
        };
        Poll::new(PollSpec {
            id: PollId::parse("danh-gia").unwrap(),
            question: "Bạn đánh giá như thế nào về cổng thông tin này?".into(),
            options: vec![
                option("rat-tot", "Rất tốt"),
                option("tot", "Tốt"),
                option("binh-thuong", "Bình thường"),
                option("chua-tot", "Chưa tốt"),
            ],
            max_choices: None,
            opens_at: None,
            closes_at: None,
            results: Default::default(),
            challenge: Default::default(),
            archived_at: None,
            draft: false,
        })
        .unwrap()
    }

    #[test]
    fn thirds_round_to_exactly_one_hundred() {
        assert_eq!(largest_remainder_tenths(&[1, 1, 1]), vec![334, 333, 333]);
        assert_eq!(largest_remainder_tenths(&[0, 0]), vec![0, 0]);
        assert_eq!(largest_remainder_tenths(&[2, 1]), vec![667, 333]);
        let poll = four();
        let results = Results::new(&poll, &[3, 1, 1, 1]);
        assert_eq!(results.total_votes, 6);
        let percents: Vec<f64> = results.options.iter().map(|o| o.percent).collect();
        assert_eq!(percents, vec![50.0, 16.7, 16.7, 16.6]);
    }

    proptest! {
        #[test]
        fn percents_always_sum_to_one_thousand_tenths(votes in proptest::collection::vec(0u64..1_000_000, 2..=20)) {
            let tenths = largest_remainder_tenths(&votes);
            let total: u64 = votes.iter().sum();
            let sum: u32 = tenths.iter().sum();
            prop_assert_eq!(sum, if total == 0 { 0 } else { 1000 });
            for (v, t) in votes.iter().zip(&tenths) {
                // Each share is within one tenth of its exact value.
                let exact = *v as f64 * 1000.0 / total.max(1) as f64;
                prop_assert!((f64::from(*t) - exact).abs() < 1.0);
            }
        }
    }
}
