//! The public API's own JSON bodies: a hit, the counter, a ballot and its
//! answer, the archive. The poll and its results are in
//! [`crate::edge::poll_json`], shared with the ops listener.

use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AnyOfBuilder, Ref, Schema};
use utoipa::{PartialSchema, ToSchema};

use crate::counter::CounterView;
use crate::edge::poll_json::{PollBody, ResultsBody};
use crate::edge::schema;
use crate::ids::{BallotId, OptionId, PageId};

/// `POST /v1/hits`: the page this load counts (optional). Fields other
/// than `page` are ignored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct HitRequest {
    /// The page loaded; absent or `null` for the site counter only.
    #[serde(default)]
    #[schema(value_type = Option<schema::PageId>)]
    pub page: Option<String>,
}

/// The counter.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Counter)]
pub struct CounterBody {
    /// The baseline plus every visit (*Số lượt truy cập*).
    pub total: u64,
    /// Visits today, in the site's time zone.
    pub today: u64,
    pub yesterday: u64,
    /// Monday to Sunday, in the site's time zone.
    pub this_week: u64,
    pub this_month: u64,
    /// The week before this one, Monday to Sunday (*tuần trước*).
    pub last_week: u64,
    /// The calendar month before this one (*tháng trước*).
    pub last_month: u64,
    /// Visitors seen in the last five minutes.
    pub online: u64,
    /// The store could not be reached: the last known numbers plus this
    /// replica's own hits.
    pub stale: bool,
    /// Present when a page was named.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub page: Option<PageViews>,
}

/// One page's views.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageViews {
    #[schema(value_type = schema::PageId)]
    pub id: PageId,
    /// The page's views (*Lượt xem*).
    pub views: u64,
}

impl From<&CounterView> for CounterBody {
    fn from(view: &CounterView) -> Self {
        let t = &view.totals;
        Self {
            total: t.total,
            today: t.today,
            yesterday: t.yesterday,
            this_week: t.this_week,
            this_month: t.this_month,
            last_week: view.previous.last_week,
            last_month: view.previous.last_month,
            online: t.online,
            stale: view.stale,
            page: view.page.clone().map(|id| PageViews {
                id,
                views: t.page_views,
            }),
        }
    }
}

/// `POST /v1/polls/{id}/votes`: the chosen option ids.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteRequest {
    /// The chosen option ids: at least one, at most the poll's
    /// `max_choices`, each once.
    #[schema(schema_with = schema::choices)]
    pub options: Vec<String>,
    /// The ballot's id (16 to 64 lowercase hex digits), chosen by the
    /// voter's browser; sent again with a retry, the same ballot has one
    /// fate. Without it, the server picks one.
    #[serde(default)]
    #[schema(value_type = Option<schema::BallotId>)]
    pub ballot: Option<String>,
    /// A solved challenge (`GET /v1/polls/{id}/challenge`), in its compact
    /// form `<salt><number>.<signature>`: required by a poll whose
    /// `challenge` is `on` or `auto`.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 512)]
    pub proof: Option<String>,
}

/// A counted ballot: the choice recorded, the ballot's id, and the results
/// when the poll shows them to its voters.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = VoteRecord)]
pub struct VotedBody {
    /// Described with the answer (`VoteAccepted`): the results' fields
    /// beside these, or none.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub results: Option<ResultsBody>,
    pub voted: bool,
    /// This person's choices.
    #[schema(value_type = Vec<schema::OptionId>, min_items = 1)]
    pub choices: Vec<OptionId>,
    /// The ballot's id: the one sent, or the one picked for it.
    #[schema(value_type = schema::BallotId)]
    pub ballot: BallotId,
}

/// `GET /v1/polls`: a page of the polls, open ones first, each with its
/// results when this visitor may see them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Archive)]
pub struct ArchiveBody {
    pub polls: Vec<ArchivedPoll>,
    /// Polls in the whole archive.
    pub total: u64,
    /// Polls before this page: the next page, while `offset + limit` is
    /// less than `total`, is at `?offset=` that sum.
    pub offset: u64,
    /// Most polls on this page, as asked.
    #[schema(minimum = 1, maximum = 200)]
    pub limit: u64,
}

/// A poll in the archive.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArchivedPoll {
    pub poll: PollBody,
    /// Present only when this visitor may see the results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<ResultsBody>,
}

/// `201` of a ballot: the choice recorded and the ballot's id, beside the
/// results' fields where the poll shows its results to voters.
pub struct VoteAccepted;

impl PartialSchema for VoteAccepted {
    fn schema() -> RefOr<Schema> {
        let record = || Ref::from_schema_name(VotedBody::name());
        AnyOfBuilder::new()
            .item(
                utoipa::openapi::schema::AllOfBuilder::new()
                    .item(Ref::from_schema_name(ResultsBody::name()))
                    .item(record()),
            )
            .item(record())
            .description(Some(
                "The choice recorded and the ballot's id; with the results' fields beside them \
                 where the poll shows its results to voters.",
            ))
            .into()
    }
}

impl ToSchema for VoteAccepted {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((VotedBody::name().into_owned(), VotedBody::schema()));
        VotedBody::schemas(schemas);
        schemas.push((ResultsBody::name().into_owned(), ResultsBody::schema()));
        ResultsBody::schemas(schemas);
    }
}
