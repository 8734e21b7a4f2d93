//! The difficulty controller under simulated traffic: steady honest voting
//! never raises the level; floods by rate or by fresh identities from
//! everywhere raise the poll's level within a few ticks, and floods from one
//! network raise that network's alone; calm brings them back; memory stays
//! bounded whatever arrives, and never at the cost of a raised poll.

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

use super::sim::{FLOODING, HONEST, SCHOOL, Sim, Traffic};
use crate::challenge::{Controller, Level, NetworkKey, Observation, Reason, Step, Tuning};
use crate::ids::PollId;

#[test]
fn steady_honest_traffic_never_raises_the_level() {
    for per_minute in [0.2, 3.0, 10.0, 60.0, 300.0] {
        let mut sim = Sim::new(7);
        let steps = sim.minutes(
            24 * 60,
            Traffic {
                per_minute,
                ..HONEST
            },
        );
        assert_eq!(steps, [], "{per_minute} a minute");
        assert_eq!(sim.level(), Level::MIN);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn honest_traffic_of_any_shape_never_raises(
        seed in any::<u64>(),
        per_minute in 0.1f64..120.0,
        fresh in 0.05f64..0.7,
    ) {
        let mut sim = Sim::new(seed);
        let steps = sim.minutes(6 * 60, Traffic { per_minute, fresh, ..HONEST });
        prop_assert_eq!(steps, &[] as &[Step]);
    }
}

/// Two honest hours, then a flood: the level rises at the first tick of the
/// flood and keeps rising, for the flood's reason.
fn flood_raises(flood: Traffic, reason: Reason) -> Sim {
    let mut sim = Sim::new(11);
    assert_eq!(
        sim.minutes(
            120,
            Traffic {
                per_minute: 40.0,
                ..HONEST
            }
        ),
        []
    );
    let steps = sim.minutes(3, flood).to_vec();
    assert_eq!(steps.len(), 3, "one step a tick: {steps:?}");
    assert!(
        steps
            .iter()
            .all(|s| s.reason == reason && s.to == s.from.raised())
    );
    assert_eq!(sim.level().get(), Level::MIN.get() + 3);
    sim.minutes(10, flood);
    assert_eq!(sim.level(), Level::MAX, "it stays up while the flood lasts");
    sim
}

#[test]
fn a_flood_of_ballots_raises_the_level() {
    flood_raises(
        Traffic {
            per_minute: 400.0,
            ..HONEST
        },
        Reason::Rate,
    );
}

#[test]
fn a_flood_of_fresh_identities_raises_the_level() {
    let flood = Traffic {
        per_minute: 60.0,
        fresh: 0.9,
        ..HONEST
    };
    flood_raises(flood, Reason::FreshIdentities);
}

/// Two honest hours, then a flood from one network: that network's level
/// rises one step a tick (for its share of the ballots or of the fresh
/// identities, `reason` among them) and stays up while it lasts; the
/// poll's, and so every other network's, stays calm.
fn flood_from_one_network_raises_it(flood: Traffic, reason: Reason) -> Sim {
    let mut sim = Sim::new(13);
    let honest = Traffic {
        per_minute: 40.0,
        ..HONEST
    };
    assert_eq!(sim.minutes(120, honest), []);
    let steps = sim.minutes(3, flood).to_vec();
    assert_eq!(steps.len(), 3, "one step a tick: {steps:?}");
    let by_network = [Reason::OneNetwork, Reason::FreshIdentities];
    assert!(
        steps.iter().all(|s| s.network == Some(FLOODING)
            && by_network.contains(&s.reason)
            && s.to == s.from.raised()),
        "{steps:?}"
    );
    assert!(steps.iter().any(|s| s.reason == reason), "{steps:?}");
    sim.minutes(10, flood);
    assert_eq!(sim.controller.level_for(&sim.poll, FLOODING), Level::MAX);
    assert_eq!(sim.level(), Level::MIN, "the poll stays calm");
    assert_eq!(sim.controller.level_for(&sim.poll, SCHOOL), Level::MIN);
    sim
}

#[test]
fn a_flood_from_one_network_raises_that_network() {
    // Identities with a history (cookies kept), from one /24.
    let flood = Traffic {
        per_minute: 100.0,
        fresh: 0.4,
        one_network: 0.6,
        network_fresh: Some(0.0),
    };
    flood_from_one_network_raises_it(flood, Reason::OneNetwork);
}

#[test]
fn fresh_identities_flooding_from_one_network_raise_that_network() {
    // Random first-party ids from one /24, at a share of the ballots a
    // busy network may well have: the fresh ones give it away.
    let flood = Traffic {
        per_minute: 80.0,
        fresh: 0.4,
        one_network: 0.35,
        network_fresh: Some(1.0),
    };
    let mut sim = flood_from_one_network_raises_it(flood, Reason::FreshIdentities);
    // Calm again: the network comes back down, then is forgotten.
    let honest = Traffic {
        per_minute: 40.0,
        ..HONEST
    };
    let steps = sim.minutes(60, honest).to_vec();
    assert!(
        steps
            .iter()
            .all(|s| s.reason == Reason::Calm && s.network == Some(FLOODING))
    );
    assert_eq!(sim.controller.level_for(&sim.poll, FLOODING), Level::MIN);
    assert!(
        sim.controller.raised().is_empty(),
        "{:?}",
        sim.controller.raised()
    );
}

#[test]
fn other_polls_never_reset_a_raised_one() {
    let mut sim = Sim::new(17);
    sim.controller = Controller::new(Tuning {
        max_polls: 64,
        ..Tuning::default()
    });
    sim.minutes(
        120,
        Traffic {
            per_minute: 40.0,
            ..HONEST
        },
    );
    sim.minutes(
        3,
        Traffic {
            per_minute: 400.0,
            ..HONEST
        },
    );
    let raised = sim.level();
    assert!(raised > Level::MIN);
    // A ballot in each of 65 other polls, as an attacker would cast them.
    let at = sim.at(30);
    for i in 0..65 {
        let other = PollId::parse(&format!("khac-{i}")).unwrap();
        let observation = Observation {
            fresh_identity: true,
            network: FLOODING,
            at,
        };
        sim.controller.observe(&other, observation);
    }
    assert_eq!(sim.level(), raised, "the raised poll is kept");
    assert!(sim.controller.footprint().0 <= 65);
}

#[test]
fn calm_brings_the_level_back_one_step_at_a_time() {
    let mut sim = flood_raises(
        Traffic {
            per_minute: 400.0,
            ..HONEST
        },
        Reason::Rate,
    );
    let honest = Traffic {
        per_minute: 40.0,
        ..HONEST
    };
    let steps = sim.minutes(60, honest).to_vec();
    let down = (Level::MAX.get() - Level::MIN.get()) as usize;
    assert_eq!(steps.len(), down, "{steps:?}");
    assert!(
        steps
            .iter()
            .all(|s| s.reason == Reason::Calm && s.to == s.from.lowered(Level::MIN))
    );
    assert_eq!(sim.level(), Level::MIN);
    // The flood did not become the normal: a second one is caught at once.
    let again = sim
        .minutes(
            1,
            Traffic {
                per_minute: 400.0,
                ..HONEST
            },
        )
        .to_vec();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].reason, Reason::Rate);
}

#[test]
fn a_quiet_poll_does_not_panic_at_a_few_ballots() {
    let mut sim = Sim::new(3);
    sim.minutes(
        120,
        Traffic {
            per_minute: 0.5,
            ..HONEST
        },
    );
    // Fifteen ballots in a minute is 30 times normal, but under the floor.
    assert_eq!(
        sim.minutes(
            1,
            Traffic {
                per_minute: 15.0,
                ..HONEST
            }
        ),
        []
    );
}

#[test]
fn memory_stays_bounded_under_millions_of_networks_and_many_polls() {
    let tuning = Tuning {
        max_polls: 64,
        ..Tuning::default()
    };
    let mut controller = Controller::new(tuning.clone());
    let start = Timestamp::from_second(1_764_640_800).unwrap();
    let poll = PollId::parse("danh-gia-cong").unwrap();
    for i in 0..2_000_000u32 {
        let [_, a, b, c] = i.to_be_bytes();
        let network = if i % 2 == 0 {
            NetworkKey::V4([a, b, c])
        } else {
            NetworkKey::V6([a, b, c, a, b, c])
        };
        let at = start + SignedDuration::from_millis(i64::from(i / 10));
        controller.observe(
            &poll,
            Observation {
                fresh_identity: false,
                network,
                at,
            },
        );
        if i % 500_000 == 0 {
            controller.tick(at);
        }
        assert!(controller.footprint().1 <= 2 * tuning.max_networks + tuning.max_raised);
    }
    for i in 0..1000 {
        let other = PollId::parse(&format!("poll-{i}")).unwrap();
        let at = start + SignedDuration::from_secs(i);
        let network = NetworkKey::V4([1, 2, 3]);
        controller.observe(
            &other,
            Observation {
                fresh_identity: true,
                network,
                at,
            },
        );
    }
    let (polls, networks) = controller.footprint();
    assert_eq!(polls, tuning.max_polls);
    assert!(networks <= tuning.max_polls * (2 * tuning.max_networks + tuning.max_raised));
    let newest = PollId::parse("poll-999").unwrap();
    assert!(
        controller.levels().any(|(p, _)| *p == newest),
        "the least recent go first"
    );
    controller.forget(&newest);
    assert_eq!(controller.footprint().0, tuning.max_polls - 1);
}
