//! Creating and changing the catalogue's other records (admins only):
//! institutions, policy areas, focal points and action plans.

use chrono::{DateTime, Utc};
use entity::{
    action_plan, action_plan_translation, country, focal_point, institution,
    institution_translation, policy_area,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, TransactionTrait,
};
use serde_json::{Value, json};

use super::{
    Change, Texts, audit_write, check_period, check_texts, json, save_changes, set_texts,
    stored_date, texts_by_language, unique,
};
use crate::{
    catalog::{
        partial_date::PartialDate,
        rules::{self, MAX_TITLE_CHARS},
        vocabulary::{ActionPlanStatus, InstitutionKind, ModerationMode},
    },
    error::{AppError, AppResult},
    staff::Actor,
};

fn optional_text(field: &str, value: Option<String>) -> AppResult<Option<String>> {
    match value.map(|v| v.trim().to_owned()) {
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => {
            rules::text(&v, MAX_TITLE_CHARS)
                .map_err(|message| AppError::bad_input(field, message))?;
            Ok(Some(v))
        }
        None => Ok(None),
    }
}

fn key(value: &str) -> AppResult<String> {
    let value = value.trim().to_owned();
    rules::key(&value).map_err(|message| AppError::bad_input("key", message))?;
    Ok(value)
}

// --- institutions -----------------------------------------------------------

pub struct NewInstitution {
    pub key: String,
    pub abbreviation: Option<String>,
    pub kind: InstitutionKind,
    pub name: Texts,
}

#[derive(Default)]
pub struct InstitutionChanges {
    pub abbreviation: Change<Option<String>>,
    pub kind: Change<InstitutionKind>,
    pub name: Texts,
}

async fn institution_snapshot<C: ConnectionTrait>(
    db: &C,
    row: &institution::Model,
) -> AppResult<Value> {
    let names = texts_by_language::<institution_translation::Entity, _>(
        db,
        institution_translation::Column::InstitutionId,
        row.id,
        |t| (t.language, t.name),
    )
    .await?;
    Ok(json!({ "institution": json(row), "name": names }))
}

fn name_row(institution_id: i64, language: String, name: String) -> institution_translation::Model {
    institution_translation::Model {
        institution_id,
        language,
        name,
    }
}

pub async fn create_institution(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    new: NewInstitution,
) -> AppResult<institution::Model> {
    let by = actor.admin("create institutions")?;
    let key = key(&new.key)?;
    if new.name.is_empty() {
        return Err(AppError::bad_input(
            "name",
            "needs a text in at least one language",
        ));
    }
    check_texts("name", &new.name, MAX_TITLE_CHARS)?;
    let abbreviation = optional_text("abbreviation", new.abbreviation)?;
    let txn = db.begin().await?;
    let row = institution::ActiveModel {
        key: Set(key),
        abbreviation: Set(abbreviation),
        kind: Set(new.kind.as_str().to_owned()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(unique("key", "an institution with this key"))?;
    set_texts(&txn, row.id, &new.name, name_row).await?;
    let after = institution_snapshot(&txn, &row).await?;
    audit_write(&txn, by, ("institution", row.id), None, after, now).await?;
    txn.commit().await?;
    Ok(row)
}

pub async fn update_institution(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
    changes: InstitutionChanges,
) -> AppResult<institution::Model> {
    let by = actor.admin("change institutions")?;
    check_texts("name", &changes.name, MAX_TITLE_CHARS)?;
    let abbreviation = match changes.abbreviation {
        Change::Set(value) => Change::Set(optional_text("abbreviation", value)?),
        Change::Keep => Change::Keep,
    };
    let txn = db.begin().await?;
    let current = institution::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::bad_input("id", "no such institution"))?;
    let before = institution_snapshot(&txn, &current).await?;
    let desired = institution::Model {
        abbreviation: abbreviation.apply(current.abbreviation.clone()),
        kind: match changes.kind {
            Change::Set(kind) => kind.as_str().to_owned(),
            Change::Keep => current.kind.clone(),
        },
        ..current.clone()
    };
    let row = save_changes(&txn, current, desired).await?;
    set_texts(&txn, row.id, &changes.name, name_row).await?;
    let after = institution_snapshot(&txn, &row).await?;
    audit_write(&txn, by, ("institution", row.id), Some(before), after, now).await?;
    txn.commit().await?;
    Ok(row)
}

// --- policy areas -----------------------------------------------------------

/// Creates a policy area (`id: None`) or renames one.
pub async fn save_policy_area(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: Option<i64>,
    name: &str,
) -> AppResult<policy_area::Model> {
    let by = actor.admin("manage policy areas")?;
    let name = name.trim().to_owned();
    rules::text(&name, 200).map_err(|message| AppError::bad_input("name", message))?;
    let txn = db.begin().await?;
    let (row, before) = match id {
        None => {
            let row = policy_area::ActiveModel {
                name: Set(name),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .map_err(unique("name", "a policy area with this name"))?;
            (row, None)
        }
        Some(id) => {
            let current = policy_area::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or_else(|| AppError::bad_input("id", "no such policy area"))?;
            let before = json(&current);
            let mut row = current.into_active_model();
            row.name = Set(name);
            let row = row
                .update(&txn)
                .await
                .map_err(unique("name", "a policy area with this name"))?;
            (row, Some(before))
        }
    };
    audit_write(&txn, by, ("policy_area", row.id), before, json(&row), now).await?;
    txn.commit().await?;
    Ok(row)
}

// --- focal points -----------------------------------------------------------

/// A focal point's contact details; on update, `None` keeps a field.
#[derive(Default)]
pub struct FocalPointFields {
    pub name: Option<String>,
    pub title: Change<Option<String>>,
    pub department: Change<Option<String>>,
    pub email: Change<Option<String>>,
    pub phone: Change<Option<String>>,
}

fn contact_field(field: &str, change: Change<Option<String>>) -> AppResult<Change<Option<String>>> {
    Ok(match change {
        Change::Set(value) => Change::Set(optional_text(field, value)?),
        Change::Keep => Change::Keep,
    })
}

/// Creates a focal point (`id: None`, with `key`) or changes one.
pub async fn save_focal_point(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: Option<i64>,
    new_key: Option<&str>,
    fields: FocalPointFields,
) -> AppResult<focal_point::Model> {
    let by = actor.admin("manage focal points")?;
    let title = contact_field("title", fields.title)?;
    let department = contact_field("department", fields.department)?;
    let phone = contact_field("phone", fields.phone)?;
    let email = contact_field("email", fields.email)?;
    if let Change::Set(Some(address)) = &email {
        rules::email(address).map_err(|message| AppError::bad_input("email", message))?;
    }
    let name = fields.name.map(|n| n.trim().to_owned());
    if let Some(name) = &name {
        rules::text(name, 200).map_err(|message| AppError::bad_input("name", message))?;
    }
    let txn = db.begin().await?;
    let (current, before) = match id {
        Some(id) => {
            let current = focal_point::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or_else(|| AppError::bad_input("id", "no such focal point"))?;
            let before = json(&current);
            (current, Some(before))
        }
        None => {
            let key = key(new_key.unwrap_or_default())?;
            let Some(name) = name.clone() else {
                return Err(AppError::bad_input("name", "must not be empty"));
            };
            let blank = focal_point::Model {
                id: 0,
                key,
                name,
                title: None,
                department: None,
                email: None,
                phone: None,
            };
            (blank, None)
        }
    };
    let desired = focal_point::Model {
        name: name.unwrap_or_else(|| current.name.clone()),
        title: title.apply(current.title.clone()),
        department: department.apply(current.department.clone()),
        email: email.apply(current.email.clone()),
        phone: phone.apply(current.phone.clone()),
        ..current.clone()
    };
    let row = if before.is_none() {
        let mut row = desired.into_active_model().reset_all();
        row.not_set(focal_point::Column::Id);
        row.insert(&txn)
            .await
            .map_err(unique("key", "a focal point with this key"))?
    } else {
        save_changes(&txn, current, desired).await?
    };
    audit_write(&txn, by, ("focal_point", row.id), before, json(&row), now).await?;
    txn.commit().await?;
    Ok(row)
}

// --- action plans -----------------------------------------------------------

pub struct NewActionPlan {
    pub key: String,
    pub country_iso_code: String,
    pub cycle_year: i32,
    pub title: Texts,
    pub start_date: Option<PartialDate>,
    pub end_date: Option<PartialDate>,
    pub status: Option<ActionPlanStatus>,
}

#[derive(Default)]
pub struct ActionPlanChanges {
    pub title: Texts,
    pub moderation_mode: Change<ModerationMode>,
    pub start_date: Change<Option<PartialDate>>,
    pub end_date: Change<Option<PartialDate>>,
    pub status: Change<Option<ActionPlanStatus>>,
}

async fn action_plan_snapshot<C: ConnectionTrait>(
    db: &C,
    row: &action_plan::Model,
) -> AppResult<Value> {
    let titles = texts_by_language::<action_plan_translation::Entity, _>(
        db,
        action_plan_translation::Column::ActionPlanId,
        row.id,
        |t| (t.language, t.title),
    )
    .await?;
    Ok(json!({ "actionPlan": json(row), "title": titles }))
}

fn title_row(
    action_plan_id: i64,
    language: String,
    title: String,
) -> action_plan_translation::Model {
    action_plan_translation::Model {
        action_plan_id,
        language,
        title,
    }
}

pub async fn create_action_plan(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    new: NewActionPlan,
) -> AppResult<action_plan::Model> {
    let by = actor.admin("create action plans")?;
    let key = key(&new.key)?;
    if new.title.is_empty() {
        return Err(AppError::bad_input(
            "title",
            "needs a text in at least one language",
        ));
    }
    check_texts("title", &new.title, MAX_TITLE_CHARS)?;
    check_period(new.start_date.as_ref(), new.end_date.as_ref())?;
    if !(2000..=2100).contains(&new.cycle_year) {
        return Err(AppError::bad_input("cycleYear", "not an OGP cycle year"));
    }
    let txn = db.begin().await?;
    let country = country::Entity::find()
        .filter(country::Column::IsoCode.eq(new.country_iso_code.trim().to_uppercase()))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::bad_input("countryIsoCode", "no such country"))?;
    let row = action_plan::ActiveModel {
        key: Set(key),
        country_id: Set(country.id),
        cycle_year: Set(new.cycle_year),
        start_date: Set(new.start_date.map(|d| d.to_string())),
        end_date: Set(new.end_date.map(|d| d.to_string())),
        status: Set(new.status.map(|s| s.as_str().to_owned())),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(unique("key", "an action plan with this key"))?;
    set_texts(&txn, row.id, &new.title, title_row).await?;
    let after = action_plan_snapshot(&txn, &row).await?;
    audit_write(&txn, by, ("action_plan", row.id), None, after, now).await?;
    txn.commit().await?;
    Ok(row)
}

pub async fn update_action_plan(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
    changes: ActionPlanChanges,
) -> AppResult<action_plan::Model> {
    let by = actor.admin("change action plans")?;
    check_texts("title", &changes.title, MAX_TITLE_CHARS)?;
    let txn = db.begin().await?;
    let current = action_plan::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::bad_input("id", "no such action plan"))?;
    let start = changes
        .start_date
        .apply(stored_date(current.start_date.as_deref()));
    let end = changes
        .end_date
        .apply(stored_date(current.end_date.as_deref()));
    check_period(start.as_ref(), end.as_ref())?;
    let status = changes
        .status
        .apply(current.status.as_deref().and_then(ActionPlanStatus::parse));
    let before = action_plan_snapshot(&txn, &current).await?;
    let desired = action_plan::Model {
        start_date: start.map(|d| d.to_string()),
        end_date: end.map(|d| d.to_string()),
        status: status.map(|s| s.as_str().to_owned()),
        moderation_mode: match changes.moderation_mode {
            Change::Set(mode) => mode.as_str().to_owned(),
            Change::Keep => current.moderation_mode.clone(),
        },
        ..current.clone()
    };
    let row = save_changes(&txn, current, desired).await?;
    set_texts(&txn, row.id, &changes.title, title_row).await?;
    let after = action_plan_snapshot(&txn, &row).await?;
    audit_write(&txn, by, ("action_plan", row.id), Some(before), after, now).await?;
    txn.commit().await?;
    Ok(row)
}
