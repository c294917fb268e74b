//! Reading feedback: pages of comments or of one comment's replies, and the
//! figures a commitment shows.

use std::collections::{BTreeMap, HashMap};

use entity::feedback;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
    sea_query::{Alias, Expr, Func, Query, SimpleExpr},
};

use crate::{
    catalog::{
        pagination::{Direction, Listing, Ordering, Page},
        vocabulary::{FeedbackKind, FeedbackStatus},
    },
    error::AppResult,
};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FeedbackOrder {
    #[default]
    Newest,
    Oldest,
    MostSupported,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FeedbackFilter {
    pub kind: Option<FeedbackKind>,
    /// Only comments with (`Some(false)`) or without (`Some(true)`) an
    /// official response.
    pub awaiting_response: Option<bool>,
}

/// Whose feedback a list holds: a commitment's comments, the comments of
/// every commitment (to be split by commitment, see
/// [`first_pages_by_commitment`]), or one comment's replies.
#[derive(Clone, Copy, Debug)]
pub enum Thread {
    Commitment(i64),
    AllCommitments,
    Replies(i64),
}

/// Feedback anyone may read.
pub(crate) fn published() -> Select<feedback::Entity> {
    feedback::Entity::find().filter(feedback::Column::Status.eq(FeedbackStatus::Published.as_str()))
}

/// Whether a comment has an official response. Correlated, so that a
/// commitment's comments are checked against its own official replies only
/// (a reply is always on its comment's commitment), which the database reads
/// once from their small partial index; `id NOT IN (…)` read every official
/// reply there is (55 ms for one commitment's count at the OGP world scale),
/// and a probe per comment cost a popular commitment 8 ms.
pub(crate) fn answered() -> SimpleExpr {
    use sea_orm::sea_query::ExprTrait;
    let reply = Alias::new("official_reply");
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from_as(feedback::Entity, reply.clone())
            .and_where(
                Expr::col((reply.clone(), feedback::Column::CommitmentId))
                    .equals((feedback::Entity, feedback::Column::CommitmentId)),
            )
            .and_where(
                Expr::col((reply.clone(), feedback::Column::ParentId))
                    .equals((feedback::Entity, feedback::Column::Id)),
            )
            .and_where(Expr::col((reply, feedback::Column::Official)).eq(true))
            .to_owned(),
    )
}

/// The newest official response to each of `ids`, for the decision it
/// records.
pub async fn newest_responses<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<HashMap<i64, feedback::Model>> {
    let mut newest = HashMap::new();
    if ids.is_empty() {
        return Ok(newest);
    }
    let rows = feedback::Entity::find()
        .filter(feedback::Column::ParentId.is_in(ids.iter().copied()))
        .filter(feedback::Column::Official.eq(true))
        .order_by_asc(feedback::Column::CreatedAt)
        .order_by_asc(feedback::Column::Id)
        .all(db)
        .await?;
    for row in rows {
        if let Some(parent) = row.parent_id {
            // Ascending: the last one seen is the newest.
            newest.insert(parent, row);
        }
    }
    Ok(newest)
}

/// Whether a comment still awaits an official response (see [`answered`]).
pub(crate) fn unanswered() -> SimpleExpr {
    use sea_orm::sea_query::ExprTrait;
    answered().not()
}

/// Who reads a list: the public sees published feedback only, moderators
/// see every item whatever its moderation state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Audience {
    Public,
    Moderators,
}

/// The feedback of `thread` that `audience` may see, ready to be paged.
pub fn listing(
    thread: Thread,
    filter: &FeedbackFilter,
    order: FeedbackOrder,
    audience: Audience,
) -> Listing<feedback::Entity, i64> {
    let mut query = match audience {
        Audience::Public => published(),
        Audience::Moderators => feedback::Entity::find(),
    };
    query = match thread {
        Thread::Commitment(id) => query
            .filter(feedback::Column::CommitmentId.eq(id))
            .filter(feedback::Column::ParentId.is_null()),
        Thread::AllCommitments => query.filter(feedback::Column::ParentId.is_null()),
        Thread::Replies(id) => query.filter(feedback::Column::ParentId.eq(id)),
    };
    if let Some(kind) = filter.kind {
        query = query.filter(feedback::Column::Kind.eq(kind.as_str()));
    }
    match filter.awaiting_response {
        Some(true) => {
            query = query
                .filter(feedback::Column::Official.eq(false))
                .filter(unanswered());
        }
        Some(false) => query = query.filter(answered()),
        None => {}
    }
    // Ids grow with time, so they order by age and make a unique key.
    let by_id = |direction| Ordering {
        name: "id",
        direction,
    };
    match order {
        FeedbackOrder::Newest => Listing::new(
            query,
            feedback::Column::Id,
            |row| row.id,
            by_id(Direction::Descending),
        ),
        FeedbackOrder::Oldest => Listing::new(
            query,
            feedback::Column::Id,
            |row| row.id,
            by_id(Direction::Ascending),
        ),
        FeedbackOrder::MostSupported => Listing::new(
            query,
            feedback::Column::SupportCount,
            |row| row.support_count,
            Ordering {
                name: "support",
                direction: Direction::Descending,
            },
        )
        .tiebreak(feedback::Column::Id, |row| row.id),
    }
}

/// The first page of `size` comments of each commitment of `ids`, in one
/// statement: a list of commitments showing their newest comments costs one
/// query, not one per commitment.
pub async fn first_pages_by_commitment<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    size: u64,
    filter: &FeedbackFilter,
    order: FeedbackOrder,
    audience: Audience,
) -> AppResult<HashMap<i64, Page<feedback::Model>>> {
    listing(Thread::AllCommitments, filter, order, audience)
        .first_pages(
            db,
            feedback::Column::CommitmentId,
            |row| row.commitment_id,
            ids,
            size,
        )
        .await
}

/// A commitment's feedback in figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedbackSummary {
    /// Published comments (replies not counted), by kind.
    pub by_kind: BTreeMap<String, u64>,
    /// Published citizens' comments without an official response.
    pub awaiting_response: u64,
    /// Seconds from the oldest comment to the first official response.
    pub seconds_to_first_response: Option<i64>,
}

#[derive(FromQueryResult)]
struct KindCount {
    kind: String,
    count: i64,
}

pub async fn summary<C: ConnectionTrait>(db: &C, commitment_id: i64) -> AppResult<FeedbackSummary> {
    let comments = published()
        .filter(feedback::Column::CommitmentId.eq(commitment_id))
        .filter(feedback::Column::ParentId.is_null());
    // Four small statements, side by side.
    let counts = comments
        .clone()
        .select_only()
        .column(feedback::Column::Kind)
        .column_as(
            Expr::expr(Func::count(Expr::col(feedback::Column::Id))),
            "count",
        )
        .group_by(feedback::Column::Kind)
        .into_model::<KindCount>()
        .all(db);
    let awaiting_response = comments
        .clone()
        .filter(feedback::Column::Official.eq(false))
        .filter(unanswered())
        .count(db);
    let first_comment = comments
        .clone()
        .filter(feedback::Column::Official.eq(false))
        .order_by_asc(feedback::Column::Id)
        .one(db);
    let first_response = feedback::Entity::find()
        .filter(feedback::Column::CommitmentId.eq(commitment_id))
        .filter(feedback::Column::Official.eq(true))
        .order_by_asc(feedback::Column::Id)
        .one(db);
    let (counts, awaiting_response, first_comment, first_response) =
        futures_util::try_join!(counts, awaiting_response, first_comment, first_response)?;
    let seconds_to_first_response = match (first_comment, first_response) {
        (Some(comment), Some(response)) => Some(
            (response.created_at - comment.created_at)
                .num_seconds()
                .max(0),
        ),
        _ => None,
    };
    Ok(FeedbackSummary {
        by_kind: counts
            .into_iter()
            .map(|row| (row.kind, u64::try_from(row.count).unwrap_or(0)))
            .collect(),
        awaiting_response,
        seconds_to_first_response,
    })
}
