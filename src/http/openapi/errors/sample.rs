//! Samples of the errors that carry a value.

use super::*;

pub fn method_not_allowed(allow: &'static str) -> ApiError {
    ApiError::MethodNotAllowed { allow }
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
