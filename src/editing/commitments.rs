//! Creating commitments (admins), changing them (admins, and the focal points
//! responsible for them), and naming their focal points (admins).

use chrono::{DateTime, Utc};
use entity::{
    action_plan, commitment, commitment_focal_point, commitment_policy_area,
    commitment_support_institution, commitment_translation, focal_point, institution, policy_area,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, ModelTrait, QueryFilter, TransactionTrait,
};
use serde_json::{Value, json};

use super::{
    Change, Texts, audit_write, check_period, check_texts, json, languages_of, save_changes,
    stored_date, unique,
};
use crate::{
    audit::{self, Action, Entry},
    catalog::{
        partial_date::PartialDate,
        rules::{self, MAX_TEXT_CHARS, MAX_TITLE_CHARS},
        vocabulary::CommitmentStatus,
    },
    error::{AppError, AppResult},
    language::Language,
    staff::{Actor, Role},
};

/// The translatable texts of a commitment; each map names the languages to set.
#[derive(Default)]
pub struct CommitmentTexts {
    pub title: Texts,
    pub full_title: Texts,
    pub public_problem: Texts,
    pub description: Texts,
    pub how_it_contributes: Texts,
    pub ogp_relevance: Texts,
    pub additional_information: Texts,
}

impl CommitmentTexts {
    fn check(&self) -> AppResult<()> {
        check_texts("title", &self.title, MAX_TITLE_CHARS)?;
        check_texts("fullTitle", &self.full_title, MAX_TITLE_CHARS)?;
        check_texts("publicProblem", &self.public_problem, MAX_TEXT_CHARS)?;
        check_texts("description", &self.description, MAX_TEXT_CHARS)?;
        check_texts("howItContributes", &self.how_it_contributes, MAX_TEXT_CHARS)?;
        check_texts("ogpRelevance", &self.ogp_relevance, MAX_TEXT_CHARS)?;
        check_texts(
            "additionalInformation",
            &self.additional_information,
            MAX_TEXT_CHARS,
        )
    }

    fn languages(&self) -> Vec<&Language> {
        languages_of(&[
            &self.title,
            &self.full_title,
            &self.public_problem,
            &self.description,
            &self.how_it_contributes,
            &self.ogp_relevance,
            &self.additional_information,
        ])
    }
}

pub struct NewCommitment {
    pub action_plan_id: i64,
    pub code: String,
    pub status: CommitmentStatus,
    pub texts: CommitmentTexts,
    pub start_date: Option<PartialDate>,
    pub end_date: Option<PartialDate>,
    pub lead_institution_id: Option<i64>,
    pub support_institution_ids: Vec<i64>,
    pub policy_area_ids: Vec<i64>,
}

#[derive(Default)]
pub struct CommitmentChanges {
    pub status: Change<CommitmentStatus>,
    pub texts: CommitmentTexts,
    pub start_date: Change<Option<PartialDate>>,
    pub end_date: Change<Option<PartialDate>>,
    /// Only admins may change who leads a commitment.
    pub lead_institution_id: Change<Option<i64>>,
}

async fn snapshot<C: ConnectionTrait>(db: &C, row: &commitment::Model) -> AppResult<Value> {
    let translations = commitment_translation::Entity::find()
        .filter(commitment_translation::Column::CommitmentId.eq(row.id))
        .all(db)
        .await?;
    let focal_points: Vec<i64> = commitment_focal_point::Entity::find()
        .filter(commitment_focal_point::Column::CommitmentId.eq(row.id))
        .all(db)
        .await?
        .into_iter()
        .map(|link| link.focal_point_id)
        .collect();
    Ok(
        json!({ "commitment": json(row), "translations": json(&translations), "focalPointIds": focal_points }),
    )
}

/// Writes the given languages of `texts`; a language the commitment does not
/// have yet needs a title.
async fn set_texts<C: ConnectionTrait>(
    db: &C,
    commitment_id: i64,
    texts: &CommitmentTexts,
) -> AppResult<()> {
    let text = |map: &Texts, language: &Language| map.get(language).map(|t| t.trim().to_owned());
    for language in texts.languages() {
        let existing = commitment_translation::Entity::find_by_id((
            commitment_id,
            language.as_str().to_owned(),
        ))
        .one(db)
        .await?;
        let current = match existing {
            Some(row) => row,
            None => {
                let Some(title) = text(&texts.title, language) else {
                    return Err(AppError::bad_input(
                        format!("title.{language}"),
                        "a language the commitment does not have yet needs a title",
                    ));
                };
                commitment_translation::ActiveModel {
                    commitment_id: Set(commitment_id),
                    language: Set(language.as_str().to_owned()),
                    title: Set(title),
                    full_title: Set(None),
                    public_problem: Set(None),
                    description: Set(None),
                    how_it_contributes: Set(None),
                    ogp_relevance: Set(None),
                    additional_information: Set(None),
                }
                .insert(db)
                .await?
            }
        };
        let desired = commitment_translation::Model {
            title: text(&texts.title, language).unwrap_or_else(|| current.title.clone()),
            full_title: text(&texts.full_title, language).or_else(|| current.full_title.clone()),
            public_problem: text(&texts.public_problem, language)
                .or_else(|| current.public_problem.clone()),
            description: text(&texts.description, language).or_else(|| current.description.clone()),
            how_it_contributes: text(&texts.how_it_contributes, language)
                .or_else(|| current.how_it_contributes.clone()),
            ogp_relevance: text(&texts.ogp_relevance, language)
                .or_else(|| current.ogp_relevance.clone()),
            additional_information: text(&texts.additional_information, language)
                .or_else(|| current.additional_information.clone()),
            ..current.clone()
        };
        save_changes(db, current, desired).await?;
    }
    Ok(())
}

async fn institution_exists<C: ConnectionTrait>(db: &C, field: &str, id: i64) -> AppResult<()> {
    match institution::Entity::find_by_id(id).one(db).await? {
        Some(_) => Ok(()),
        None => Err(AppError::bad_input(field, "no such institution")),
    }
}

/// Creates a commitment in an action plan (admins).
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    new: NewCommitment,
) -> AppResult<commitment::Model> {
    let by = actor.admin("create commitments")?;
    rules::commitment_code(&new.code).map_err(|message| AppError::bad_input("code", message))?;
    if new.texts.title.is_empty() {
        return Err(AppError::bad_input(
            "title",
            "needs a text in at least one language",
        ));
    }
    new.texts.check()?;
    check_period(new.start_date.as_ref(), new.end_date.as_ref())?;
    let txn = db.begin().await?;
    if action_plan::Entity::find_by_id(new.action_plan_id)
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(AppError::bad_input("actionPlanId", "no such action plan"));
    }
    if let Some(id) = new.lead_institution_id {
        institution_exists(&txn, "leadInstitutionId", id).await?;
    }
    let row = commitment::ActiveModel {
        code: Set(new.code.clone()),
        action_plan_id: Set(new.action_plan_id),
        status: Set(new.status.as_str().to_owned()),
        lead_institution_id: Set(new.lead_institution_id),
        period_start: Set(new.start_date.map(|d| d.to_string())),
        period_end: Set(new.end_date.map(|d| d.to_string())),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(unique("code", "a commitment with this code"))?;
    set_texts(&txn, row.id, &new.texts).await?;
    let mut support = new.support_institution_ids.clone();
    support.sort_unstable();
    support.dedup();
    for institution_id in support {
        institution_exists(&txn, "supportInstitutionIds", institution_id).await?;
        commitment_support_institution::ActiveModel {
            commitment_id: Set(row.id),
            institution_id: Set(institution_id),
        }
        .insert(&txn)
        .await?;
    }
    let mut areas = new.policy_area_ids.clone();
    areas.sort_unstable();
    areas.dedup();
    for policy_area_id in areas {
        if policy_area::Entity::find_by_id(policy_area_id)
            .one(&txn)
            .await?
            .is_none()
        {
            return Err(AppError::bad_input("policyAreaIds", "no such policy area"));
        }
        commitment_policy_area::ActiveModel {
            commitment_id: Set(row.id),
            policy_area_id: Set(policy_area_id),
        }
        .insert(&txn)
        .await?;
    }
    let after = snapshot(&txn, &row).await?;
    audit_write(&txn, by, ("commitment", row.id), None, after, now).await?;
    txn.commit().await?;
    Ok(row)
}

/// Changes a commitment's status, dates, texts or lead institution.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
    changes: CommitmentChanges,
) -> AppResult<commitment::Model> {
    actor.staff()?;
    let txn = db.begin().await?;
    let current = commitment::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::bad_input("id", "no such commitment"))?;
    let by = actor
        .commitment_editor(&txn, id, "change this commitment")
        .await?;
    if matches!(changes.lead_institution_id, Change::Set(_)) && !by.has(Role::Admin) {
        return Err(AppError::forbidden(
            "change which institution leads a commitment",
        ));
    }
    changes.texts.check()?;
    let start = changes
        .start_date
        .apply(stored_date(current.period_start.as_deref()));
    let end = changes
        .end_date
        .apply(stored_date(current.period_end.as_deref()));
    check_period(start.as_ref(), end.as_ref())?;
    let lead = changes
        .lead_institution_id
        .apply(current.lead_institution_id);
    if let Some(lead) = lead {
        institution_exists(&txn, "leadInstitutionId", lead).await?;
    }
    let status = match changes.status {
        Change::Set(status) => status.as_str().to_owned(),
        Change::Keep => current.status.clone(),
    };
    let before = snapshot(&txn, &current).await?;
    let desired = commitment::Model {
        status,
        lead_institution_id: lead,
        period_start: start.map(|d| d.to_string()),
        period_end: end.map(|d| d.to_string()),
        ..current.clone()
    };
    let row = save_changes(&txn, current, desired).await?;
    set_texts(&txn, row.id, &changes.texts).await?;
    let after = snapshot(&txn, &row).await?;
    audit_write(&txn, by, ("commitment", row.id), Some(before), after, now).await?;
    txn.commit().await?;
    Ok(row)
}

/// Names (`link: true`) or removes a focal point responsible for a commitment
/// (admins). Idempotent: a link that is already as asked changes nothing.
pub async fn set_focal_point(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    commitment_id: i64,
    focal_point_id: i64,
    link: bool,
) -> AppResult<commitment::Model> {
    let by = actor.admin("change who is responsible for a commitment")?;
    let txn = db.begin().await?;
    let row = commitment::Entity::find_by_id(commitment_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::bad_input("commitmentId", "no such commitment"))?;
    if focal_point::Entity::find_by_id(focal_point_id)
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(AppError::bad_input("focalPointId", "no such focal point"));
    }
    let existing = commitment_focal_point::Entity::find_by_id((commitment_id, focal_point_id))
        .one(&txn)
        .await?;
    let before = snapshot(&txn, &row).await?;
    let action = match (existing, link) {
        (None, true) => {
            commitment_focal_point::ActiveModel {
                commitment_id: Set(commitment_id),
                focal_point_id: Set(focal_point_id),
            }
            .insert(&txn)
            .await?;
            Some(Action::Link)
        }
        (Some(existing), false) => {
            existing.delete(&txn).await?;
            Some(Action::Unlink)
        }
        _ => None,
    };
    if let Some(action) = action {
        let after = snapshot(&txn, &row).await?;
        let entry = Entry {
            action,
            entity: "commitment",
            entity_id: commitment_id,
            before: Some(before),
            after: Some(after),
        };
        audit::record(&txn, by, entry, now).await?;
    }
    txn.commit().await?;
    Ok(row)
}
