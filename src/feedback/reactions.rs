//! What visitors do with others' feedback: support it, or report it. Each
//! visitor counts once per item; enough distinct reports hide an item until
//! a moderator reviews it.

use chrono::{DateTime, Utc};
use entity::{feedback, feedback_report, feedback_support};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionTrait,
};

use super::{Visitor, submit::FeedbackRules};
use crate::{
    catalog::vocabulary::{FeedbackStatus, ReportReason},
    db::PublicWrites,
    error::{AppError, AppResult},
    ratelimit::RateLimiter,
};

async fn published<C: ConnectionTrait>(db: &C, id: i64) -> AppResult<feedback::Model> {
    feedback::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|row| row.status == FeedbackStatus::Published.as_str())
        .ok_or_else(|| AppError::bad_input("id", "no such published feedback"))
}

async fn count_hit(
    limiter: &RateLimiter,
    rules: &FeedbackRules,
    visitor: &Visitor,
    action: &str,
) -> AppResult<()> {
    limiter
        .hit(&[
            (
                format!("{action}:visitor:minute:{}", visitor.key),
                rules.per_minute,
            ),
            (
                format!("{action}:address:hour:{}", visitor.address_key),
                rules.per_hour,
            ),
        ])
        .await
}

/// Adds the visitor's support (once; repeating changes nothing).
pub async fn support(
    writes: &PublicWrites,
    limiter: &RateLimiter,
    rules: &FeedbackRules,
    visitor: &Visitor,
    now: DateTime<Utc>,
    id: i64,
) -> AppResult<feedback::Model> {
    count_hit(limiter, rules, visitor, "support").await?;
    // Checked before the transaction opens, so a refusal holds no locks.
    published(&writes.reads, id).await?;
    let txn = writes.conn.begin().await?;
    let existing = feedback_support::Entity::find_by_id((id, visitor.key.clone()))
        .one(&txn)
        .await?;
    if existing.is_none() {
        feedback_support::ActiveModel {
            feedback_id: Set(id),
            visitor_key: Set(visitor.key.clone()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        // Counted from the rows, in the same transaction: concurrent
        // supports cannot leave the count behind the rows.
        let count = feedback_support::Entity::find()
            .filter(feedback_support::Column::FeedbackId.eq(id))
            .count(&txn)
            .await?;
        feedback::Entity::update_many()
            .col_expr(
                feedback::Column::SupportCount,
                sea_orm::sea_query::Expr::value(i64::try_from(count).unwrap_or(i64::MAX)),
            )
            .filter(feedback::Column::Id.eq(id))
            .exec(&txn)
            .await?;
    }
    let row = published(&txn, id).await?;
    txn.commit().await?;
    Ok(row)
}

/// Records the visitor's report (once per item). When `threshold` distinct
/// visitors have reported a published item, it is hidden pending review.
pub async fn report(
    writes: &PublicWrites,
    limiter: &RateLimiter,
    rules: &FeedbackRules,
    visitor: &Visitor,
    now: DateTime<Utc>,
    id: i64,
    reason: ReportReason,
    note: Option<String>,
) -> AppResult<()> {
    let threshold = rules.report_threshold.max(1);
    count_hit(limiter, rules, visitor, "report").await?;
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(AppError::bad_input("note", "at most 500 characters"));
    }
    published(&writes.reads, id).await?;
    let txn = writes.conn.begin().await?;
    let existing = feedback_report::Entity::find_by_id((id, visitor.key.clone()))
        .one(&txn)
        .await?;
    if existing.is_none() {
        feedback_report::ActiveModel {
            feedback_id: Set(id),
            visitor_key: Set(visitor.key.clone()),
            reason: Set(reason.as_str().to_owned()),
            note: Set(note),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    let reporters = feedback_report::Entity::find()
        .filter(feedback_report::Column::FeedbackId.eq(id))
        .count(&txn)
        .await?;
    if reporters >= threshold {
        feedback::Entity::update_many()
            .col_expr(
                feedback::Column::Status,
                sea_orm::sea_query::Expr::value(FeedbackStatus::Hidden.as_str()),
            )
            .filter(feedback::Column::Id.eq(id))
            .filter(feedback::Column::Status.eq(FeedbackStatus::Published.as_str()))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}
