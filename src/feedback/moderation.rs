//! Moderators' work: the queue of items waiting for a decision, the
//! decisions themselves (each in the audit log), and erasing a citizen's
//! personal data on request.

use chrono::{DateTime, Utc};
use entity::feedback;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait, sea_query::Expr,
};
use serde_json::json;

use crate::{
    catalog::{
        pagination::{Direction, Listing, Ordering},
        vocabulary::FeedbackStatus,
    },
    editing::audit_write,
    error::{AppError, AppResult},
    staff::{Actor, Principal, Role},
};

/// What a moderator decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Publish a queued or hidden item.
    Approve,
    /// Take a published item out of sight.
    Hide,
    /// Reject as spam: never shown again.
    RejectAsSpam,
    /// Bring back a hidden or rejected item.
    Restore,
}

fn moderator(actor: &Actor) -> AppResult<&Principal> {
    let principal = actor.staff()?;
    if principal.has(Role::Moderator) || principal.has(Role::Admin) {
        Ok(principal)
    } else {
        Err(AppError::forbidden("moderate feedback"))
    }
}

/// Items waiting for a moderator (queued, or hidden by reports), oldest first.
pub fn queue(actor: &Actor) -> AppResult<Listing<feedback::Entity, i64>> {
    moderator(actor)?;
    let query = feedback::Entity::find().filter(feedback::Column::Status.is_in([
        FeedbackStatus::Queued.as_str(),
        FeedbackStatus::Hidden.as_str(),
    ]));
    Ok(Listing::new(
        query,
        feedback::Column::Id,
        |row| row.id,
        Ordering {
            name: "id",
            direction: Direction::Ascending,
        },
    ))
}

/// Applies a decision with its reason; replies of a hidden item are kept.
pub async fn decide(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
    decision: Decision,
    reason: &str,
) -> AppResult<feedback::Model> {
    let by = moderator(actor)?;
    let reason = reason.trim();
    crate::catalog::rules::text(reason, 500)
        .map_err(|message| AppError::bad_input("reason", message))?;
    let txn = db.begin().await?;
    let current = feedback::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::bad_input("id", "no such feedback"))?;
    use FeedbackStatus::{Hidden, Published, Queued, Rejected};
    let status = FeedbackStatus::parse(&current.status).unwrap_or(Published);
    let next = match (decision, status) {
        (Decision::Approve, Queued | Hidden) => Published,
        (Decision::Hide, Published | Queued) => Hidden,
        (Decision::RejectAsSpam, _) => Rejected,
        (Decision::Restore, Hidden | Rejected) => Published,
        _ => {
            return Err(AppError::bad_input(
                "action",
                format!("not possible for an item that is {}", status.as_str()),
            ));
        }
    };
    feedback::Entity::update_many()
        .col_expr(feedback::Column::Status, Expr::value(next.as_str()))
        .filter(feedback::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    // Statuses and the reason only: the citizen's personal data stays out.
    let before = json!({ "status": status.as_str() });
    let after = json!({ "status": next.as_str(), "reason": reason });
    audit_write(&txn, by, ("feedback", id), Some(before), after, now).await?;
    txn.commit().await?;
    Ok(feedback::Model {
        status: next.as_str().to_owned(),
        ..current
    })
}

/// Clears the name and email a citizen gave on every item (admins); the
/// texts stay. Returns how many items were changed.
pub async fn erase_author_data(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    email: &str,
) -> AppResult<u64> {
    let by = actor.admin("erase citizens' personal data")?;
    let email = email.trim().to_lowercase();
    crate::catalog::rules::email(&email)
        .map_err(|message| AppError::bad_input("email", message))?;
    let txn = db.begin().await?;
    let result = feedback::Entity::update_many()
        .col_expr(
            feedback::Column::AuthorName,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            feedback::Column::AuthorEmail,
            Expr::value(Option::<String>::None),
        )
        .col_expr(feedback::Column::NotifyOnResponse, Expr::value(false))
        .filter(feedback::Column::AuthorEmail.eq(email))
        .exec(&txn)
        .await?;
    // The log says that an erasure happened and how far, never whose.
    let after = json!({ "erasedItems": result.rows_affected });
    audit_write(&txn, by, ("feedback_author_data", 0), None, after, now).await?;
    txn.commit().await?;
    Ok(result.rows_affected)
}
