//! Reading feedback: pages of comments or of one comment's replies, and the
//! figures a commitment shows.

use std::collections::{BTreeMap, HashMap};

use entity::{feedback, feedback_tally};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, Select,
    sea_query::{Alias, Expr, Func, IntoIden, Query, SelectStatement, SimpleExpr},
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

/// Official responses (`true`) or citizens' own feedback (`false`) in
/// `table`, written into the statement as a condition on the column rather
/// than compared with a bound value. The official replies' index is partial
/// (`WHERE official`), and a prepared statement's generic plan, which
/// PostgreSQL adopts after five runs, can use it only when the condition is
/// in the statement's text: bound, "awaiting a response" went from 0.4 ms to
/// 5 ms per count.
fn official_of(table: impl IntoIden, is: bool) -> SimpleExpr {
    use sea_orm::sea_query::ExprTrait;
    let flag = Expr::col((table.into_iden(), feedback::Column::Official));
    if is { flag } else { flag.not() }
}

/// [`official_of`] the `feedback` table of the statement.
pub(crate) fn official(is: bool) -> SimpleExpr {
    official_of(feedback::Entity, is)
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
            .and_where(official_of(reply, true))
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
        .filter(official(true))
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
            query = query.filter(official(false)).filter(unanswered());
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

/// A commitment's feedback in figures: the counts in one statement, the
/// response time in its own. The API reads only the figures a request asks
/// for, through the functions below.
pub async fn summary<C: ConnectionTrait>(db: &C, commitment_id: i64) -> AppResult<FeedbackSummary> {
    let ids = [commitment_id];
    let (mut counts, seconds_to_first_response) = futures_util::try_join!(
        counts_of(db, &ids),
        seconds_to_first_response(db, commitment_id),
    )?;
    let counts = counts.remove(&commitment_id).unwrap_or_default();
    Ok(FeedbackSummary {
        by_kind: counts.by_kind,
        awaiting_response: counts.awaiting_response,
        seconds_to_first_response,
    })
}

/// A commitment's published comments (replies not counted).
pub(crate) fn comments_on(commitment_id: i64) -> Select<feedback::Entity> {
    published()
        .filter(feedback::Column::CommitmentId.eq(commitment_id))
        .filter(feedback::Column::ParentId.is_null())
}

/// `commitment` (a commitment id column) is one of `ids`.
fn on_commitments(commitment: Expr, ids: &[i64]) -> SimpleExpr {
    use sea_orm::sea_query::ExprTrait;
    match ids {
        // `=`, not `IN (…)`: the statements of single commitments stay as
        // they were, and with them the plans PostgreSQL keeps for them.
        [id] => commitment.eq(*id),
        _ => commitment.is_in(ids.iter().copied()),
    }
}

/// One row of [`tallied`]: figures of one commitment and kind.
#[derive(FromQueryResult)]
struct KindCounts {
    commitment_id: i64,
    kind: String,
    comments: i64,
    awaiting: i64,
}

/// The published comments of commitments `ids` by kind, and those of them
/// from citizens awaiting an official response, from the tally the
/// database keeps (`feedback_tally`, see its migration). A few rows per
/// commitment and kind; counting the comments walked every one of them and
/// checked it against the official replies, 0.34 ms of PostgreSQL's time
/// for a commitment with 727 comments (bench/README, twelfth round). The
/// sums keep the table's own column names, so that `catalog::links` can
/// read them as an arm of its statement.
pub(crate) fn tallied(ids: &[i64]) -> SelectStatement {
    use sea_orm::sea_query::ExprTrait;
    let sum = |column| Expr::expr(Func::sum(Expr::col(column))).cast_as(Alias::new("BIGINT"));
    Query::select()
        .column(feedback_tally::Column::CommitmentId)
        .column(feedback_tally::Column::Kind)
        .expr_as(
            sum(feedback_tally::Column::Comments),
            feedback_tally::Column::Comments,
        )
        .expr_as(
            sum(feedback_tally::Column::Awaiting),
            feedback_tally::Column::Awaiting,
        )
        .from(feedback_tally::Entity)
        .and_where(on_commitments(
            Expr::col((feedback_tally::Entity, feedback_tally::Column::CommitmentId)),
            ids,
        ))
        .group_by_col(feedback_tally::Column::CommitmentId)
        .group_by_col(feedback_tally::Column::Kind)
        .to_owned()
}

/// A commitment's published comments counted both ways a page shows them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommentCounts {
    /// Published comments by kind.
    pub by_kind: BTreeMap<String, u64>,
    /// Those of them from citizens still without an official response.
    pub awaiting_response: u64,
}

/// Published comments on each of commitments `ids`, by kind (see
/// [`counts_of`]): a list of commitments showing their figures costs one
/// statement, not one per commitment.
pub async fn counts_by_kind_of<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<HashMap<i64, BTreeMap<String, u64>>> {
    let counts = counts_of(db, ids).await?;
    Ok(counts
        .into_iter()
        .map(|(id, counts)| (id, counts.by_kind))
        .collect())
}

/// The published comments on each of commitments `ids`, by kind and
/// awaiting a response, in one statement over the tally (its stripes added
/// up). Every id gets an entry; a kind whose comments were all hidden or
/// deleted keeps tally rows that add up to zero, and is left out.
pub async fn counts_of<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<HashMap<i64, CommentCounts>> {
    let mut sums: HashMap<i64, Vec<(String, i64, i64)>> =
        ids.iter().map(|&id| (id, Vec::new())).collect();
    if !ids.is_empty() {
        let rows = KindCounts::find_by_statement(db.get_database_backend().build(&tallied(ids)))
            .all(db)
            .await?;
        for row in rows {
            sums.entry(row.commitment_id)
                .or_default()
                .push((row.kind, row.comments, row.awaiting));
        }
    }
    Ok(sums
        .into_iter()
        .map(|(id, sums)| (id, counts_from_tally(sums)))
        .collect())
}

/// A commitment's comment counts from its tally's sums by kind: kind,
/// published comments, those awaiting a response (see [`counts_of`]; a
/// commitment's links read them too, `catalog::links`).
pub fn counts_from_tally(sums: impl IntoIterator<Item = (String, i64, i64)>) -> CommentCounts {
    let mut by_kind: BTreeMap<String, i64> = BTreeMap::new();
    let mut awaiting = 0;
    for (kind, count, waiting) in sums {
        *by_kind.entry(kind).or_default() += count;
        awaiting += waiting;
    }
    let positive = |n: i64| u64::try_from(n).unwrap_or(0);
    CommentCounts {
        by_kind: by_kind
            .into_iter()
            .filter(|&(_, count)| count > 0)
            .map(|(kind, count)| (kind, positive(count)))
            .collect(),
        awaiting_response: positive(awaiting),
    }
}

/// Published citizens' comments without an official response on each of
/// commitments `ids` (see [`counts_of`]).
pub async fn awaiting_response_of<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<HashMap<i64, u64>> {
    let counts = counts_of(db, ids).await?;
    Ok(counts
        .into_iter()
        .map(|(id, counts)| (id, counts.awaiting_response))
        .collect())
}

/// Seconds from a commitment's oldest comment to its first official response.
pub async fn seconds_to_first_response<C: ConnectionTrait>(
    db: &C,
    commitment_id: i64,
) -> AppResult<Option<i64>> {
    let first_comment = comments_on(commitment_id)
        .filter(official(false))
        .order_by_asc(feedback::Column::Id)
        .one(db);
    let first_response = feedback::Entity::find()
        .filter(feedback::Column::CommitmentId.eq(commitment_id))
        .filter(official(true))
        .order_by_asc(feedback::Column::Id)
        .one(db);
    let (first_comment, first_response) = futures_util::try_join!(first_comment, first_response)?;
    Ok(match (first_comment, first_response) {
        (Some(comment), Some(response)) => Some(
            (response.created_at - comment.created_at)
                .num_seconds()
                .max(0),
        ),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, QueryTrait, Value};

    use super::*;

    #[test]
    fn official_flags_are_written_into_statements_not_bound() {
        let counts = [
            comments_on(7).filter(official(false)).filter(unanswered()),
            comments_on(7).filter(answered()),
            feedback::Entity::find().filter(official(true)),
        ];
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            for count in counts.clone() {
                let statement = count.build(backend);
                let bound = statement.values.map(|values| values.0).unwrap_or_default();
                assert!(
                    !bound.iter().any(|value| matches!(value, Value::Bool(_))),
                    "{backend:?}: a flag is bound in {}",
                    statement.sql
                );
                assert!(
                    statement.sql.contains(r#"."official""#),
                    "{}",
                    statement.sql
                );
            }
        }
    }
}
