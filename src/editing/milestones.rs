//! Adding and changing milestones: admins, and the focal points of the
//! milestone's commitment.

use chrono::{DateTime, Utc};
use entity::{commitment, milestone, milestone_translation};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde_json::{Value, json};

use super::{
    Change, Texts, audit_write, check_period, check_texts, json, save_changes, set_texts,
    stored_date, texts_by_language,
};
use crate::{
    catalog::{partial_date::PartialDate, rules::MAX_TITLE_CHARS, vocabulary::MilestoneStatus},
    error::{AppError, AppResult},
    staff::Actor,
};

pub struct NewMilestone {
    pub commitment_id: i64,
    /// The activity with a verifiable deliverable, in at least one language.
    pub title: Texts,
    pub start_date: Option<PartialDate>,
    pub end_date: Option<PartialDate>,
    pub status: Option<MilestoneStatus>,
}

#[derive(Default)]
pub struct MilestoneChanges {
    pub title: Texts,
    pub start_date: Change<Option<PartialDate>>,
    pub end_date: Change<Option<PartialDate>>,
    pub status: Change<Option<MilestoneStatus>>,
}

async fn snapshot<C: ConnectionTrait>(db: &C, row: &milestone::Model) -> AppResult<Value> {
    let titles = texts_by_language::<milestone_translation::Entity, _>(
        db,
        milestone_translation::Column::MilestoneId,
        row.id,
        |t| (t.language, t.title),
    )
    .await?;
    Ok(json!({ "milestone": json(row), "title": titles }))
}

fn title_row(milestone_id: i64, language: String, title: String) -> milestone_translation::Model {
    milestone_translation::Model {
        milestone_id,
        language,
        title,
    }
}

/// Appends a milestone to a commitment.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    new: NewMilestone,
) -> AppResult<milestone::Model> {
    actor.staff()?;
    let txn = db.begin().await?;
    if commitment::Entity::find_by_id(new.commitment_id)
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(AppError::bad_input("commitmentId", "no such commitment"));
    }
    let by = actor
        .commitment_editor(&txn, new.commitment_id, "add milestones to this commitment")
        .await?;
    if new.title.is_empty() {
        return Err(AppError::bad_input(
            "title",
            "needs a text in at least one language",
        ));
    }
    check_texts("title", &new.title, MAX_TITLE_CHARS)?;
    check_period(new.start_date.as_ref(), new.end_date.as_ref())?;
    let last = milestone::Entity::find()
        .filter(milestone::Column::CommitmentId.eq(new.commitment_id))
        .order_by_desc(milestone::Column::Position)
        .one(&txn)
        .await?;
    let row = milestone::ActiveModel {
        commitment_id: Set(new.commitment_id),
        position: Set(last.map_or(1, |row| row.position + 1)),
        start_date: Set(new.start_date.map(|d| d.to_string())),
        end_date: Set(new.end_date.map(|d| d.to_string())),
        status: Set(new.status.map(|s| s.as_str().to_owned())),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    set_texts(&txn, row.id, &new.title, title_row).await?;
    let after = snapshot(&txn, &row).await?;
    audit_write(&txn, by, ("milestone", row.id), None, after, now).await?;
    txn.commit().await?;
    Ok(row)
}

/// Changes a milestone's title, dates or status.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
    changes: MilestoneChanges,
) -> AppResult<milestone::Model> {
    actor.staff()?;
    let txn = db.begin().await?;
    let current = milestone::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::bad_input("id", "no such milestone"))?;
    let by = actor
        .commitment_editor(
            &txn,
            current.commitment_id,
            "change this commitment's milestones",
        )
        .await?;
    check_texts("title", &changes.title, MAX_TITLE_CHARS)?;
    let start = changes
        .start_date
        .apply(stored_date(current.start_date.as_deref()));
    let end = changes
        .end_date
        .apply(stored_date(current.end_date.as_deref()));
    check_period(start.as_ref(), end.as_ref())?;
    let status = changes
        .status
        .apply(current.status.as_deref().and_then(MilestoneStatus::parse));
    let before = snapshot(&txn, &current).await?;
    let desired = milestone::Model {
        start_date: start.map(|d| d.to_string()),
        end_date: end.map(|d| d.to_string()),
        status: status.map(|s| s.as_str().to_owned()),
        ..current.clone()
    };
    let row = save_changes(&txn, current, desired).await?;
    set_texts(&txn, row.id, &changes.title, title_row).await?;
    let after = snapshot(&txn, &row).await?;
    audit_write(&txn, by, ("milestone", row.id), Some(before), after, now).await?;
    txn.commit().await?;
    Ok(row)
}
