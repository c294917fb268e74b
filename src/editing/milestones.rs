//! Adding and changing milestones: admins, and the focal points of the
//! milestone's commitment.

use chrono::{DateTime, Utc};
use entity::{commitment, institution, milestone, milestone_translation};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde_json::{Value, json};

use super::{
    Change, Texts, audit_write, check_period, check_texts, json, languages_of, save_changes,
    stored_date,
};
use crate::{
    catalog::{
        partial_date::PartialDate,
        rules::{MAX_TEXT_CHARS, MAX_TITLE_CHARS},
        vocabulary::MilestoneStatus,
    },
    error::{AppError, AppResult},
    language::Language,
    staff::Actor,
};

/// The translatable texts of a milestone; each map names the languages to set.
#[derive(Default)]
pub struct MilestoneTexts {
    /// The activity with a verifiable deliverable.
    pub title: Texts,
    /// The deliverable that shows it done.
    pub expected_output: Texts,
    /// How anyone can check that it was delivered.
    pub means_of_verification: Texts,
}

impl MilestoneTexts {
    fn check(&self) -> AppResult<()> {
        check_texts("title", &self.title, MAX_TITLE_CHARS)?;
        check_texts("expectedOutput", &self.expected_output, MAX_TEXT_CHARS)?;
        check_texts(
            "meansOfVerification",
            &self.means_of_verification,
            MAX_TEXT_CHARS,
        )
    }

    fn languages(&self) -> Vec<&Language> {
        languages_of(&[
            &self.title,
            &self.expected_output,
            &self.means_of_verification,
        ])
    }
}

pub struct NewMilestone {
    pub commitment_id: i64,
    /// The title in at least one language.
    pub texts: MilestoneTexts,
    pub start_date: Option<PartialDate>,
    pub end_date: Option<PartialDate>,
    pub status: Option<MilestoneStatus>,
    pub responsible_institution_id: Option<i64>,
}

#[derive(Default)]
pub struct MilestoneChanges {
    pub texts: MilestoneTexts,
    pub start_date: Change<Option<PartialDate>>,
    pub end_date: Change<Option<PartialDate>>,
    pub status: Change<Option<MilestoneStatus>>,
    pub responsible_institution_id: Change<Option<i64>>,
}

/// The audit log's picture of a milestone: its row, and each text by
/// language.
async fn snapshot<C: ConnectionTrait>(db: &C, row: &milestone::Model) -> AppResult<Value> {
    let translations = milestone_translation::Entity::find()
        .filter(milestone_translation::Column::MilestoneId.eq(row.id))
        .all(db)
        .await?;
    let by_language = |text: fn(&milestone_translation::Model) -> Option<&str>| {
        translations
            .iter()
            .filter_map(|t| Some((t.language.clone(), Value::from(text(t)?))))
            .collect::<serde_json::Map<String, Value>>()
    };
    Ok(json!({
        "milestone": json(row),
        "title": by_language(|t| Some(t.title.as_str())),
        "expectedOutput": by_language(|t| t.expected_output.as_deref()),
        "meansOfVerification": by_language(|t| t.means_of_verification.as_deref()),
    }))
}

/// Writes the given languages of `texts`; a language the milestone does not
/// have yet needs a title.
async fn set_texts<C: ConnectionTrait>(
    db: &C,
    milestone_id: i64,
    texts: &MilestoneTexts,
) -> AppResult<()> {
    let text = |map: &Texts, language: &Language| map.get(language).map(|t| t.trim().to_owned());
    for language in texts.languages() {
        let existing =
            milestone_translation::Entity::find_by_id((milestone_id, language.as_str().to_owned()))
                .one(db)
                .await?;
        let current = match existing {
            Some(row) => row,
            None => {
                let Some(title) = text(&texts.title, language) else {
                    return Err(AppError::bad_input(
                        format!("title.{language}"),
                        "a language the milestone does not have yet needs a title",
                    ));
                };
                milestone_translation::ActiveModel {
                    milestone_id: Set(milestone_id),
                    language: Set(language.as_str().to_owned()),
                    title: Set(title),
                    expected_output: Set(None),
                    means_of_verification: Set(None),
                }
                .insert(db)
                .await?
            }
        };
        let desired = milestone_translation::Model {
            title: text(&texts.title, language).unwrap_or_else(|| current.title.clone()),
            expected_output: text(&texts.expected_output, language)
                .or_else(|| current.expected_output.clone()),
            means_of_verification: text(&texts.means_of_verification, language)
                .or_else(|| current.means_of_verification.clone()),
            ..current.clone()
        };
        save_changes(db, current, desired).await?;
    }
    Ok(())
}

async fn institution_exists<C: ConnectionTrait>(db: &C, id: Option<i64>) -> AppResult<()> {
    let Some(id) = id else { return Ok(()) };
    match institution::Entity::find_by_id(id).one(db).await? {
        Some(_) => Ok(()),
        None => Err(AppError::bad_input(
            "responsibleInstitutionId",
            "no such institution",
        )),
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
    if new.texts.title.is_empty() {
        return Err(AppError::bad_input(
            "title",
            "needs a text in at least one language",
        ));
    }
    new.texts.check()?;
    institution_exists(&txn, new.responsible_institution_id).await?;
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
        responsible_institution_id: Set(new.responsible_institution_id),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    set_texts(&txn, row.id, &new.texts).await?;
    let after = snapshot(&txn, &row).await?;
    audit_write(&txn, by, ("milestone", row.id), None, after, now).await?;
    txn.commit().await?;
    Ok(row)
}

/// Changes a milestone's texts, dates, status or responsible institution.
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
    changes.texts.check()?;
    let responsible = changes
        .responsible_institution_id
        .apply(current.responsible_institution_id);
    institution_exists(&txn, responsible).await?;
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
        responsible_institution_id: responsible,
        ..current.clone()
    };
    let row = save_changes(&txn, current, desired).await?;
    set_texts(&txn, row.id, &changes.texts).await?;
    let after = snapshot(&txn, &row).await?;
    audit_write(&txn, by, ("milestone", row.id), Some(before), after, now).await?;
    txn.commit().await?;
    Ok(row)
}
