//! Samples of every refusal a client can see, one of each (those that
//! carry a value with a likely one): what the API documents show and what
//! the tests render.

use super::{AlreadyVotedDetail, ApiError, HeldOption, PollConflictDetail};
use crate::challenge::ChallengeError;
use crate::config::MAX_BASELINE;
use crate::edge::poll_json::{OptionResultBody, PercentBase, ResultsBody};
use crate::ids::{IdError, OptionId, PAGE_ID_MAX_BYTES, PollId};
use crate::poll::{BadCharacter, PollError, PollStatus, TextField};

/// The largest body the public listener reads by default
/// (`TALLY_MAX_BODY_BYTES`), as the samples say it.
const DEFAULT_MAX_BODY_BYTES: usize = 4096;
/// The largest admin body.
pub const ADMIN_MAX_BODY_BYTES: usize = 64 * 1024;

fn option(id: &str) -> OptionId {
    OptionId::parse(id).expect("a sample option id is well formed")
}

/// Sample results of the site poll.
pub fn sample_results() -> ResultsBody {
    let options = [
        ("rat-tot", "Rất tốt", 5, 41.7),
        ("tot", "Tốt", 4, 33.3),
        ("binh-thuong", "Bình thường", 2, 16.7),
        ("chua-tot", "Chưa tốt", 1, 8.3),
    ];
    ResultsBody {
        poll: PollId::parse("danh-gia-cong").expect("a sample poll id is well formed"),
        question: "Bạn đánh giá như thế nào về cổng thông tin này?".into(),
        status: PollStatus::Open,
        total_votes: 12,
        total_voters: 12,
        percent_base: PercentBase::Votes,
        options: options
            .into_iter()
            .map(|(id, label, votes, percent)| OptionResultBody {
                id: option(id),
                label: label.into(),
                votes,
                percent,
            })
            .collect(),
    }
}

/// One of each error a client can see.
pub fn every() -> Vec<ApiError> {
    use ApiError::*;
    let all = vec![
        NotFound,
        method_not_allowed("GET, HEAD"),
        invalid_json(),
        invalid_body(),
        invalid_page(),
        invalid_query(),
        InvalidVisitor,
        unsupported_media_type("application/json"),
        payload_too_large(),
        RequestTimeout,
        PollNotFound,
        SiteNotFound,
        SiteRequired,
        ForeignOrigin,
        invalid_option(),
        too_many_choices(),
        closed(),
        not_yet_open(),
        already_voted(),
        address_limit(),
        results_hidden(),
        ChallengeRequired,
        ChallengeReplayed,
        ChallengeFailed(ChallengeError::Malformed),
        ChallengeFailed(ChallengeError::Invalid),
        ChallengeFailed(ChallengeError::Expired),
        ChallengeFailed(ChallengeError::OtherPoll),
        ChallengeFailed(ChallengeError::TooEasy),
        FormPaused,
        OriginNotAllowed,
        OriginRequired,
        rate_limited(),
        StoreUnavailable,
        TooManyStreams,
        TooManyStreamsFromAddress { most: 8 },
        Unauthorized,
        ForbiddenRole,
        locked_out(),
        AdminDisabled,
        invalid_poll(),
        invalid_character(),
        invalid_baseline(),
        invalid_import(),
        ImportUnsettled,
        poll_has_ballots(),
        PublishedWithBallots,
        invalid_site(),
        site_taken(),
        SiteInFile,
        SiteHasChildren,
        SitesFileRequired,
        Internal,
    ];
    debug_assert!(all.iter().all(sampled));
    all
}

/// Every variant, without a wildcard: a new error does not compile until
/// it is sampled in [`every`] and listed here.
fn sampled(error: &ApiError) -> bool {
    use ApiError::*;
    match error {
        NotFound
        | MethodNotAllowed { .. }
        | InvalidJson(_)
        | InvalidBody(_)
        | InvalidPage(_)
        | InvalidQuery(_)
        | InvalidVisitor
        | UnsupportedMediaType { .. }
        | PayloadTooLarge { .. }
        | RequestTimeout
        | PollNotFound
        | SiteNotFound
        | SiteRequired
        | ForeignOrigin
        | InvalidOption(_)
        | TooManyChoices { .. }
        | PollClosed { .. }
        | AlreadyVoted(_)
        | ResultsHidden(_)
        | TooManyStreams
        | TooManyStreamsFromAddress { .. }
        | ChallengeRequired
        | ChallengeReplayed
        | ChallengeFailed(_)
        | FormPaused
        | AddressLimit { .. }
        | OriginNotAllowed
        | OriginRequired
        | RateLimited { .. }
        | StoreUnavailable
        | Unauthorized
        | ForbiddenRole
        | SignInLockedOut { .. }
        | AdminDisabled
        | InvalidPoll(_)
        | InvalidCharacter(_)
        | InvalidBaseline(_)
        | InvalidImport(_)
        | ImportUnsettled
        | PollConflict(_)
        | PublishedWithBallots
        | InvalidSite(_)
        | SiteTaken(_)
        | SiteInFile
        | SiteHasChildren
        | SitesFileRequired
        | Internal => true,
    }
}

/// Every error code, once each, in the table's order.
pub fn codes() -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = Vec::new();
    for error in every() {
        if !codes.contains(&error.code()) {
            codes.push(error.code());
        }
    }
    codes
}

pub fn method_not_allowed(allow: &str) -> ApiError {
    ApiError::MethodNotAllowed {
        allow: allow.to_owned(),
    }
}

pub fn invalid_json() -> ApiError {
    ApiError::InvalidJson("expected a JSON object".into())
}

pub fn invalid_body() -> ApiError {
    ApiError::InvalidBody("the body could not be read: connection reset".into())
}

pub fn invalid_page() -> ApiError {
    let too_long = IdError::TooLong {
        max: PAGE_ID_MAX_BYTES,
    };
    ApiError::InvalidPage(too_long.to_string())
}

pub fn invalid_query() -> ApiError {
    ApiError::InvalidQuery("unknown parameter".into())
}

pub fn unsupported_media_type(expected: &'static str) -> ApiError {
    ApiError::UnsupportedMediaType { expected }
}

pub fn payload_too_large() -> ApiError {
    ApiError::PayloadTooLarge {
        limit: DEFAULT_MAX_BODY_BYTES,
    }
}

pub fn admin_payload_too_large() -> ApiError {
    ApiError::PayloadTooLarge {
        limit: ADMIN_MAX_BODY_BYTES,
    }
}

pub fn invalid_option() -> ApiError {
    ApiError::InvalidOption("'rat-xau' is not an option of this poll".into())
}

pub fn too_many_choices() -> ApiError {
    ApiError::TooManyChoices { max: 3 }
}

pub fn closed() -> ApiError {
    ApiError::PollClosed {
        not_yet_open: false,
    }
}

pub fn not_yet_open() -> ApiError {
    ApiError::PollClosed { not_yet_open: true }
}

pub fn already_voted() -> ApiError {
    ApiError::AlreadyVoted(Box::new(AlreadyVotedDetail {
        choices: vec![option("rat-tot")],
        results: Some(sample_results()),
    }))
}

pub fn address_limit() -> ApiError {
    ApiError::AddressLimit {
        retry_after_secs: 43_200,
    }
}

pub fn rate_limited() -> ApiError {
    ApiError::RateLimited {
        retry_after_secs: 1,
        limit: 20,
    }
}

pub fn locked_out() -> ApiError {
    ApiError::SignInLockedOut {
        retry_after_secs: 900,
    }
}

pub fn invalid_poll() -> ApiError {
    ApiError::InvalidPoll(PollError::OptionCount.to_string())
}

pub fn invalid_character() -> ApiError {
    ApiError::InvalidCharacter(BadCharacter {
        field: TextField::Label {
            position: 2,
            id: option("tot"),
        },
        character: '\u{202E}',
    })
}

pub fn invalid_baseline() -> ApiError {
    ApiError::InvalidBaseline(format!(
        "baseline must be a whole number from 0 to {MAX_BASELINE}"
    ))
}

pub fn invalid_import() -> ApiError {
    ApiError::InvalidImport("line 2: this day is in the file twice".into())
}

pub fn results_hidden() -> ApiError {
    ApiError::ResultsHidden(crate::poll::Shown::AfterClose(
        "2027-06-30T10:00:00Z".parse().ok(),
    ))
}

pub fn poll_has_ballots() -> ApiError {
    ApiError::PollConflict(PollConflictDetail {
        options: vec![HeldOption {
            id: option("chua-tot"),
            votes: 1,
        }],
    })
}

pub fn invalid_site() -> ApiError {
    ApiError::InvalidSite(
        "name: name must be 1 to 200 characters, without control characters".into(),
    )
}

pub fn site_taken() -> ApiError {
    ApiError::SiteTaken("xa-an-phu is a site".into())
}
