//! The body of every error answer: its code and message, and what some
//! refusals add (the recorded choice, the options that hold ballots, when
//! hidden results can be seen).

use jiff::Timestamp;
use serde::Serialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, ObjectBuilder, Ref, RefBuilder, Schema, Type,
};
use utoipa::{PartialSchema, ToSchema};

use crate::edge::poll_json::ResultsBody;
use crate::edge::schema::{self, string};
use crate::ids::OptionId;
use crate::poll::{Shown, Visibility};

/// What `409 already_voted` adds to the error.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AlreadyVoted)]
pub struct AlreadyVotedDetail {
    /// The choices recorded for this person.
    #[schema(value_type = Vec<schema::OptionId>)]
    pub choices: Vec<OptionId>,
    /// When the poll shows its results to its voters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<ResultsBody>,
}

/// What `403 results_hidden` adds to the error: when the results can be
/// seen.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ResultsHidden)]
pub struct HiddenDetail {
    #[schema(value_type = schema::Visibility)]
    pub results_visibility: Visibility,
    /// When the poll closes, if it is set (for `after_close`).
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub closes_at: Option<Timestamp>,
}

impl HiddenDetail {
    pub fn of(shown: Shown) -> Self {
        let (results_visibility, closes_at) = match shown {
            Shown::AfterVote => (Visibility::AfterVote, None),
            Shown::AfterClose(at) => (Visibility::AfterClose, at),
            Shown::Never => (Visibility::Never, None),
            Shown::Now => (Visibility::Always, None),
        };
        Self {
            results_visibility,
            closes_at,
        }
    }
}

/// An option that holds ballots, which a replacement would drop.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldOption {
    #[schema(value_type = schema::OptionId)]
    pub id: OptionId,
    pub votes: u64,
}

/// What `409 poll_has_ballots` adds to the error.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PollConflict)]
pub struct PollConflictDetail {
    pub options: Vec<HeldOption>,
}

/// Every error answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody<'a> {
    #[schema(value_type = ErrorDetailSchema)]
    pub error: ErrorDetail<'a>,
}

/// An error's code and message, and what some errors add.
#[derive(Debug, Serialize)]
pub struct ErrorDetail<'a> {
    /// Stable, `snake_case`.
    pub code: &'static str,
    /// A sentence for a person.
    pub message: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub already_voted: Option<&'a AlreadyVotedDetail>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub conflict: Option<&'a PollConflictDetail>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<HiddenDetail>,
}

/// `ErrorBody::error`'s schema: a code of the error table, a message, and
/// what `already_voted`, `poll_has_ballots` and `results_hidden` add.
pub struct ErrorDetailSchema;

impl PartialSchema for ErrorDetailSchema {
    fn schema() -> RefOr<Schema> {
        let choices = ArrayBuilder::new()
            .items(Ref::from_schema_name(schema::OptionId::name()))
            .description(Some(
                "`already_voted` only: the choices recorded for this person.",
            ));
        let held = ArrayBuilder::new()
            .items(Ref::from_schema_name(HeldOption::name()))
            .description(Some(
                "`poll_has_ballots` only: the options a replacement would drop, with their votes.",
            ));
        let results = RefBuilder::new()
            .ref_location_from_schema_name(ResultsBody::name())
            .description(Some(
                "`already_voted` only, where the poll shows its results to voters: the results.",
            ));
        let visibility = RefBuilder::new()
            .ref_location_from_schema_name(schema::Visibility::name())
            .description(Some("`results_hidden` only: who may see the results."));
        let closes_at = ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Null]))
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .description(Some(
                "`results_hidden` only: when the poll closes (and `after_close` results show), or `null`.",
            ));
        ObjectBuilder::new()
            .property(
                "code",
                string("Stable, `snake_case`.").enum_values(Some(super::sample::codes())),
            )
            .property(
                "message",
                string("A sentence for a person.").min_length(Some(1)),
            )
            .property("choices", choices)
            .property("results", results)
            .property("options", held)
            .property("results_visibility", visibility)
            .property("closes_at", closes_at)
            .required("code")
            .required("message")
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .into()
    }
}

impl ToSchema for ErrorDetailSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("ErrorDetail")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((
            schema::OptionId::name().into_owned(),
            schema::OptionId::schema(),
        ));
        schemas.push((HeldOption::name().into_owned(), HeldOption::schema()));
        HeldOption::schemas(schemas);
        schemas.push((ResultsBody::name().into_owned(), ResultsBody::schema()));
        ResultsBody::schemas(schemas);
        schemas.push((
            schema::Visibility::name().into_owned(),
            schema::Visibility::schema(),
        ));
    }
}
