//! The poll's schemas: its status, results visibility and challenge
//! setting, a challenge, a ballot's id, and a poll as an editor defines it.

use utoipa::ToSchema;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Ref, Type};

use super::{OptionId, PollId, string};
use crate::challenge::Level;
use crate::poll::{self, MAX_LABEL_CHARS, MAX_OPTIONS, MAX_QUESTION_CHARS, MIN_OPTIONS};

// `crate::poll::PollStatus`, as it serializes.
/// Whether the poll takes ballots now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PollStatus {
    NotYetOpen,
    Open,
    Closed,
}

impl From<poll::PollStatus> for PollStatus {
    /// Exhaustive: a new status fails to compile until it is described.
    fn from(status: poll::PollStatus) -> Self {
        match status {
            poll::PollStatus::NotYetOpen => PollStatus::NotYetOpen,
            poll::PollStatus::Open => PollStatus::Open,
            poll::PollStatus::Closed => PollStatus::Closed,
        }
    }
}

// `crate::poll::Visibility`, as it serializes.
/// Who may see the poll's results, and when: `always` (everyone),
/// `after_vote` (a person once they voted, everyone once the poll closed),
/// `after_close` (everyone once the poll closed), `never` (editors
/// only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Always,
    AfterVote,
    AfterClose,
    Never,
}

impl From<poll::Visibility> for Visibility {
    /// Exhaustive: a new mode fails to compile until it is described.
    fn from(v: poll::Visibility) -> Self {
        match v {
            poll::Visibility::Always => Visibility::Always,
            poll::Visibility::AfterVote => Visibility::AfterVote,
            poll::Visibility::AfterClose => Visibility::AfterClose,
            poll::Visibility::Never => Visibility::Never,
        }
    }
}

described!(
    /// [`crate::ids::BallotId`].
    BallotId,
    string(
        "A ballot's id, chosen by the voter's browser: 16 to 64 lowercase hex digits. \
         Sent again with a retry, it is the same ballot, with one fate."
    )
    .pattern(Some("^[0-9a-f]{16,64}$"))
    .examples(["3f2a9c0d4b1e8f7a6c5d4e3f2a1b0c9d"])
);

// `crate::challenge::Challenge`, as it serializes.
/// A proof of work for one ballot.
#[derive(ToSchema)]
#[allow(
    dead_code,
    reason = "a description: never built, its fields never read"
)]
pub struct Challenge {
    /// Always `SHA-256`.
    #[schema(example = "SHA-256")]
    algorithm: String,
    /// 64 hex digits: SHA-256 of `salt` followed by the secret number.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    challenge: String,
    /// Opaque; hashed as its bytes, before the number's digits.
    salt: String,
    /// The secret number is at most this.
    maxnumber: u64,
    /// 64 hex digits, sent back with the solution.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    signature: String,
    /// After this, a solution is refused (`403 challenge_expired`).
    #[schema(format = DateTime)]
    expires_at: String,
    /// 1 (easiest) to 5 (hardest).
    #[schema(schema_with = level)]
    level: u8,
}

/// Whether ballots must carry a solved challenge: `off`, `on` (a fixed
/// level) or `auto` (a level that follows the poll's traffic).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChallengeMode {
    Off,
    On,
    Auto,
}

/// One option of a poll definition.
#[derive(ToSchema)]
#[schema(as = PollSpecOption)]
#[allow(
    dead_code,
    reason = "a description: never built, its fields never read"
)]
pub struct PollSpecOption {
    #[schema(value_type = OptionId)]
    id: String,
    /// 1 to 200 characters.
    #[schema(schema_with = label)]
    label: String,
}

// `crate::poll::PollSpec`, as it deserializes.
/// A poll as an editor defines it. Unknown fields are refused.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(
    dead_code,
    reason = "a description: never built, its fields never read"
)]
pub struct PollSpec {
    /// Required by `POST /admin/polls`. `PUT /admin/polls/{id}` names the
    /// poll in its path: there it may be left out, and must otherwise be
    /// the path's.
    #[schema(value_type = PollId, required = false)]
    id: String,
    /// 1 to 500 characters.
    #[schema(schema_with = question)]
    question: String,
    /// 2 to 20 options, each id once.
    #[schema(schema_with = spec_options)]
    options: Vec<PollSpecOption>,
    /// How many options one ballot may choose: 1 (the default) to the
    /// number of options.
    #[schema(schema_with = spec_max_choices)]
    max_choices: Option<u32>,
    /// When ballots start being taken (RFC 3339); before `closes_at`.
    #[schema(value_type = Option<String>, format = DateTime)]
    opens_at: Option<String>,
    /// When ballots stop being taken (RFC 3339).
    #[schema(value_type = Option<String>, format = DateTime)]
    closes_at: Option<String>,
    /// Who may see the results (default `always`).
    #[schema(value_type = Option<Visibility>)]
    results: Option<String>,
    /// Whether ballots must carry a solved challenge (default `off`).
    #[schema(value_type = Option<ChallengeMode>)]
    challenge: Option<String>,
    /// When the poll was archived (RFC 3339): closed and left out of the
    /// public lists. Set by `POST /admin/polls/{id}/archive`.
    #[schema(value_type = Option<String>, format = DateTime)]
    archived_at: Option<String>,
    /// `true`: saved as a draft, not public and taking no ballots until
    /// published (`POST /admin/polls/{id}/publish`, or this field `false`);
    /// absent or `false`, published. A published poll that holds ballots
    /// cannot go back to draft (`409 published_with_ballots`).
    draft: Option<bool>,
}

/// A challenge's level: 1 to [`Level::MAX`].
fn level() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(int32()))
        .description(Some("1 (easiest) to 5 (hardest)."))
        .minimum(Some(Level::MIN.get()))
        .maximum(Some(Level::MAX.get()))
}

/// An option's label.
fn label() -> ObjectBuilder {
    string("1 to 200 characters.")
        .min_length(Some(1))
        .max_length(Some(MAX_LABEL_CHARS))
        .examples(["Tốt"])
}

/// A poll's question.
fn question() -> ObjectBuilder {
    string("1 to 500 characters.")
        .min_length(Some(1))
        .max_length(Some(MAX_QUESTION_CHARS))
}

/// A poll definition's options.
fn spec_options() -> ArrayBuilder {
    ArrayBuilder::new()
        .description(Some("2 to 20 options, each id once."))
        .items(Ref::from_schema_name("PollSpecOption"))
        .min_items(Some(MIN_OPTIONS))
        .max_items(Some(MAX_OPTIONS))
}

/// How many options a ballot may choose.
pub fn max_choices() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(int32()))
        .description(Some("How many options one ballot may choose."))
        .minimum(Some(1))
        .maximum(Some(MAX_OPTIONS as u64))
}

/// A poll's options as it is shown: 2 to [`MAX_OPTIONS`].
pub fn shown_options(item: &'static str) -> ArrayBuilder {
    ArrayBuilder::new()
        .items(Ref::from_schema_name(item))
        .min_items(Some(MIN_OPTIONS))
        .max_items(Some(MAX_OPTIONS))
}

/// How many options a ballot may choose, as a definition may leave it out.
fn spec_max_choices() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            Type::Integer,
            Type::Null,
        ]))
        .format(Some(int32()))
        .description(Some(
            "How many options one ballot may choose: 1 (the default) to the\nnumber of options.",
        ))
        .minimum(Some(1))
        .maximum(Some(MAX_OPTIONS as u64))
}

fn int32() -> utoipa::openapi::SchemaFormat {
    utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int32)
}
