//! `submitFeedback`: anonymous citizens comment, question, suggest or voice a
//! concern, and reply to one another up to three levels deep.

use chrono::{DateTime, Utc};
use entity::{action_plan, commitment, feedback, milestone};
use sea_orm::{
    EntityTrait, FromQueryResult, Value,
    sea_query::{Expr, ExprTrait, Query},
};

use super::Visitor;
use crate::{
    catalog::{
        rules,
        vocabulary::{FeedbackKind, FeedbackStatus, ModerationMode, Stance},
    },
    db::PublicWrites,
    error::{AppError, AppResult},
    language::Language,
    ratelimit::{Limit, RateLimiter},
};

/// Deepest level of a reply: 0 is a comment, 2 a reply to a reply.
pub const MAX_DEPTH: i32 = 2;

/// Settings of submission.
#[derive(Clone, Debug)]
pub struct FeedbackRules {
    /// Longest body, in characters after trimming.
    pub max_body_chars: usize,
    /// Submissions one visitor (and one address) may make per minute.
    pub per_minute: Limit,
    /// … and per hour.
    pub per_hour: Limit,
    /// Distinct visitors whose reports hide an item pending review.
    pub report_threshold: u64,
}

impl FeedbackRules {
    /// The per-minute and per-hour limits of one public `action`, counted
    /// per visitor and per address: one shape for every public write.
    pub fn per_visitor_and_address(&self, action: &str, visitor: &Visitor) -> [(String, Limit); 4] {
        [
            (
                format!("{action}:visitor:minute:{}", visitor.key),
                self.per_minute,
            ),
            (
                format!("{action}:visitor:hour:{}", visitor.key),
                self.per_hour,
            ),
            (
                format!("{action}:address:minute:{}", visitor.address_key),
                self.per_minute,
            ),
            (
                format!("{action}:address:hour:{}", visitor.address_key),
                self.per_hour,
            ),
        ]
    }
}

/// What a citizen sends.
#[derive(Debug, Default)]
pub struct Submission {
    pub commitment_id: i64,
    pub milestone_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub kind: Option<FeedbackKind>,
    pub stance: Option<Stance>,
    pub body: String,
    pub author_name: Option<String>,
    pub author_email: Option<String>,
    pub notify_on_response: bool,
    pub language: Option<Language>,
    /// A field people never see and robots fill in.
    pub trap: Option<String>,
}

/// The outcome of a submission.
pub enum Submitted {
    Stored(Box<feedback::Model>),
    /// The trap was filled: answered like a success, kept nowhere.
    Discarded,
}

fn bad(field: &str, message: impl Into<String>) -> AppError {
    AppError::bad_input(field, message)
}

pub async fn submit(
    db: &PublicWrites,
    limiter: &RateLimiter,
    rules: &FeedbackRules,
    visitor: &Visitor,
    now: DateTime<Utc>,
    submission: Submission,
) -> AppResult<Submitted> {
    // Every attempt counts, valid or not, trapped or not: each alias of a
    // request passes here, so no request shape multiplies the allowance.
    limiter
        .hit(&rules.per_visitor_and_address("feedback", visitor))
        .await?;
    if submission
        .trap
        .as_deref()
        .is_some_and(|t| !t.trim().is_empty())
    {
        return Ok(Submitted::Discarded);
    }

    let body = submission.body.trim().to_owned();
    if body.is_empty() {
        return Err(bad("body", "must not be empty"));
    }
    if body.chars().count() > rules.max_body_chars {
        return Err(bad(
            "body",
            format!("at most {} characters", rules.max_body_chars),
        ));
    }
    let kind = submission.kind.unwrap_or(FeedbackKind::Comment);
    let author_name = submission
        .author_name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    if author_name
        .as_ref()
        .is_some_and(|n| n.chars().count() > 100)
    {
        return Err(bad("authorName", "at most 100 characters"));
    }
    let author_email = submission
        .author_email
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty());
    if let Some(email) = &author_email {
        // The message never repeats the address.
        rules::email(email).map_err(|message| bad("authorEmail", message))?;
    }
    if submission.notify_on_response && author_email.is_none() {
        return Err(bad("notifyOnResponse", "needs an authorEmail to write to"));
    }

    // The milestone and the parent are checked against the commitment asked
    // for; whether it exists is learnt when the comment is stored.
    if let Some(milestone_id) = submission.milestone_id {
        let belongs = milestone::Entity::find_by_id(milestone_id)
            .one(&db.reads)
            .await?
            .is_some_and(|m| m.commitment_id == submission.commitment_id);
        if !belongs {
            return Err(bad("milestoneId", "not a milestone of this commitment"));
        }
    }
    let depth = match submission.parent_id {
        None => 0,
        Some(parent_id) => {
            // A hidden, queued or missing comment all read as "no such
            // comment": its existence is not public.
            let parent = feedback::Entity::find_by_id(parent_id)
                .one(&db.reads)
                .await?
                .filter(|p| {
                    p.commitment_id == submission.commitment_id
                        && p.status == FeedbackStatus::Published.as_str()
                })
                .ok_or_else(|| bad("parentId", "no such comment on this commitment"))?;
            if parent.depth >= MAX_DEPTH {
                return Err(bad("parentId", "replies nest at most three levels deep"));
            }
            parent.depth + 1
        }
    };
    let fields = [
        (
            feedback::Column::MilestoneId,
            submission.milestone_id.into(),
        ),
        (feedback::Column::ParentId, submission.parent_id.into()),
        (feedback::Column::Depth, depth.into()),
        (feedback::Column::Kind, kind.as_str().into()),
        (
            feedback::Column::Stance,
            submission.stance.map(|s| s.as_str()).into(),
        ),
        (feedback::Column::Body, body.into()),
        (
            feedback::Column::Language,
            submission.language.as_ref().map(Language::as_str).into(),
        ),
        (feedback::Column::AuthorName, author_name.into()),
        (feedback::Column::AuthorEmail, author_email.into()),
        (
            feedback::Column::NotifyOnResponse,
            submission.notify_on_response.into(),
        ),
        (feedback::Column::Official, false.into()),
        (feedback::Column::VisitorKey, visitor.key.clone().into()),
        (feedback::Column::CreatedAt, now.into()),
    ];
    let row = insert_on_commitment(db, submission.commitment_id, fields)
        .await?
        .ok_or_else(|| bad("commitmentId", "no such commitment"))?;
    Ok(Submitted::Stored(Box::new(row)))
}

/// Stores a comment on commitment `commitment_id` with the `fields` given,
/// published or queued as the commitment's plan is moderated, in one
/// statement: `INSERT … SELECT … FROM commitment JOIN action_plan`. `None`
/// when there is no such commitment (the join finds no row, nothing is
/// written).
///
/// One statement because each is a round trip to the database, and sqlx
/// pings every connection given back to the pool, another: reading the
/// commitment, then its plan, then inserting was six round trips per
/// comment, and most of the database's work for a comment (bench/README,
/// seventeenth round).
async fn insert_on_commitment<const N: usize>(
    db: &PublicWrites,
    commitment_id: i64,
    fields: [(feedback::Column, Value); N],
) -> AppResult<Option<feedback::Model>> {
    let status = Expr::case(
        Expr::col((action_plan::Entity, action_plan::Column::ModerationMode))
            .eq(ModerationMode::Pre.as_str()),
        FeedbackStatus::Queued.as_str(),
    )
    .finally(FeedbackStatus::Published.as_str());
    let (mut columns, mut values): (Vec<_>, Vec<Expr>) = fields
        .into_iter()
        .map(|(column, value)| (column, Expr::val(value)))
        .unzip();
    columns.extend([feedback::Column::CommitmentId, feedback::Column::Status]);
    values.extend([
        Expr::col((commitment::Entity, commitment::Column::Id)),
        status.into(),
    ]);
    let source = Query::select()
        .exprs(values)
        .from(commitment::Entity)
        .inner_join(
            action_plan::Entity,
            Expr::col((action_plan::Entity, action_plan::Column::Id))
                .equals((commitment::Entity, commitment::Column::ActionPlanId)),
        )
        .and_where(Expr::col((commitment::Entity, commitment::Column::Id)).eq(commitment_id))
        .to_owned();
    let insert = Query::insert()
        .into_table(feedback::Entity)
        .columns(columns)
        .select_from(source)
        .map_err(|error| AppError::Internal(format!("comment insert: {error}")))?
        .returning_all()
        .to_owned();
    let row = db.insert_returning(db.backend().build(&insert)).await?;
    Ok(row
        .map(|row| feedback::Model::from_query_result(&row, ""))
        .transpose()?)
}
