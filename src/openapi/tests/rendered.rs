//! Bodies the code renders, one set for each schema the documents name.

use jiff::Timestamp;
use serde_json::Value;

use super::{ops, public};
use crate::edge::error::sample::sample_results;
use crate::edge::poll_json::{OptionBody, PollBody};
use crate::ids::{BallotId, OptionId, PageId, PollId};
use crate::ops::admin::bodies::{AdminPoll, AdminPolls, Baseline, Put};
use crate::ops::health::{Checks, ListenerCheck, Liveness, Readiness, Ready, StoreCheck};
use crate::poll::{PollStatus, Visibility};
use crate::public::bodies::{ArchiveBody, ArchivedPoll, CounterBody, PageViews, VotedBody};

pub(super) fn to_json(body: impl serde::Serialize) -> Value {
    serde_json::to_value(body).unwrap()
}

fn option(id: &str) -> OptionId {
    OptionId::parse(id).unwrap()
}

fn poll_body(voted: bool) -> PollBody {
    let labels = [
        ("rat-tot", "Rất tốt"),
        ("tot", "Tốt"),
        ("chua-tot", "Chưa tốt"),
    ];
    PollBody {
        id: PollId::parse("danh-gia-cong").unwrap(),
        question: "Bạn đánh giá như thế nào về cổng thông tin này?".into(),
        options: labels
            .iter()
            .map(|(id, label)| OptionBody {
                id: option(id),
                label: (*label).into(),
            })
            .collect(),
        max_choices: 1,
        opens_at: Some(Timestamp::UNIX_EPOCH.to_string()),
        closes_at: None,
        status: PollStatus::Open,
        time_zone: "Asia/Ho_Chi_Minh".into(),
        challenge: crate::challenge::ChallengeMode::Auto,
        results_visibility: Visibility::AfterVote,
        results_visible: voted,
        voted,
        choices: voted.then(|| vec![option("tot")]),
    }
}

fn admin_poll(result: Option<Put>) -> AdminPoll {
    AdminPoll {
        poll: poll_body(false),
        results: sample_results(),
        archived_at: result.is_none().then(|| "2026-12-02T17:37:47+07:00".into()),
        draft: result.is_some(),
        result,
    }
}

fn readiness(ready: bool) -> Readiness {
    Readiness {
        status: if ready { Ready::Ready } else { Ready::Unready },
        store: "redis",
        checks: Checks {
            store: if ready {
                StoreCheck::Ok
            } else {
                StoreCheck::Unavailable
            },
            public_listener: ListenerCheck::Serving,
        },
        store_error: (!ready).then(|| "store unavailable: connection refused".into()),
        waiting_for_a_turn: 0,
    }
}

/// Bodies the code renders for each schema an answer names.
pub(super) fn rendered(schema: &str) -> Vec<Value> {
    let counter = |page: Option<PageViews>| CounterBody {
        total: 7_582_803,
        today: 1204,
        yesterday: 3398,
        this_week: 9120,
        this_month: 40_213,
        last_week: 21_870,
        last_month: 96_402,
        online: 37,
        stale: false,
        page,
    };
    match schema {
        "Counter" => vec![
            to_json(counter(None)),
            to_json(counter(Some(PageViews {
                id: PageId::parse("/tin-tuc/thời-sự").unwrap(),
                views: 138,
            }))),
        ],
        "Poll" => vec![to_json(poll_body(false)), to_json(poll_body(true))],
        "Results" => vec![to_json(sample_results())],
        "VoteAccepted" => [Some(sample_results()), None]
            .into_iter()
            .map(|results| {
                to_json(VotedBody {
                    results,
                    voted: true,
                    choices: vec![option("rat-tot")],
                    ballot: BallotId::parse("3f2a9c0d4b1e8f7a6c5d4e3f2a1b0c9d").unwrap(),
                })
            })
            .collect(),
        "Archive" => vec![to_json(ArchiveBody {
            polls: vec![
                ArchivedPoll {
                    poll: poll_body(true),
                    results: Some(sample_results()),
                },
                ArchivedPoll {
                    poll: poll_body(false),
                    results: None,
                },
            ],
            total: 120,
            offset: 50,
            limit: 50,
        })],
        "AdminPoll" => [None, Some(Put::Created), Some(Put::Unchanged)]
            .into_iter()
            .map(|r| to_json(admin_poll(r)))
            .collect(),
        "AdminPolls" => vec![to_json(AdminPolls {
            polls: vec![admin_poll(None)],
            total: 1,
            offset: 0,
            limit: 200,
        })],
        "Baseline" => vec![to_json(Baseline {
            baseline: 7_582_803,
        })],
        "Readiness" => vec![to_json(readiness(true)), to_json(readiness(false))],
        "Liveness" => vec![to_json(Liveness { status: "ok" })],
        "Document" => vec![public(), ops()],
        "Challenge" => vec![to_json(crate::challenge::Challenges::new([7; 32]).issue(
            &PollId::parse("danh-gia-cong").unwrap(),
            crate::challenge::Level::ON,
            Timestamp::UNIX_EPOCH,
        ))],
        other => super::rendered_history::rendered(other)
            .unwrap_or_else(|| panic!("no rendered body for the schema {other}: add one here")),
    }
}
