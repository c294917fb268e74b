//! The write side of the catalogue, for staff. Every write authorizes the
//! actor, validates its input, and writes in one transaction together with an
//! audit entry holding the record before and after.

pub mod commitments;
pub mod milestones;
pub mod records;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use std::{future::Future, pin::Pin};

use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, IntoActiveModel, ModelTrait, PrimaryKeyTrait, SqlErr,
    TransactionError, TransactionTrait,
};
use serde::Serialize;
use serde_json::Value;

use crate::{
    audit::{self, Action, Entry},
    catalog::{partial_date::PartialDate, rules},
    error::{AppError, AppResult},
    language::Language,
    staff::Principal,
};

/// A field of an update: left as it is, or set (`Set(None)` clears a
/// nullable field).
#[derive(Clone, Debug, Default)]
pub enum Change<T> {
    #[default]
    Keep,
    Set(T),
}

impl<T> Change<T> {
    pub fn apply(self, current: T) -> T {
        match self {
            Self::Keep => current,
            Self::Set(value) => value,
        }
    }
}

/// Texts by language; an update sets the languages it names and keeps the
/// others.
pub type Texts = BTreeMap<Language, String>;

/// Every language any of `texts` names, each once, in order.
pub(crate) fn languages_of<'a>(texts: &[&'a Texts]) -> Vec<&'a Language> {
    let mut languages: Vec<&Language> = texts.iter().flat_map(|map| map.keys()).collect();
    languages.sort();
    languages.dedup();
    languages
}

pub(crate) fn check_texts(field: &str, texts: &Texts, max: usize) -> AppResult<()> {
    for (language, text) in texts {
        rules::text(text, max)
            .map_err(|message| AppError::bad_input(format!("{field}.{language}"), message))?;
    }
    Ok(())
}

pub(crate) fn check_period(
    start: Option<&PartialDate>,
    end: Option<&PartialDate>,
) -> AppResult<()> {
    rules::period(start, end).map_err(|message| AppError::bad_input("endDate", message))
}

pub(crate) fn stored_date(text: Option<&str>) -> Option<PartialDate> {
    text.and_then(|t| PartialDate::parse(t).ok())
}

/// A unique-key violation becomes a clear input error on `field`.
pub(crate) fn unique(field: &str, what: &str) -> impl FnOnce(DbErr) -> AppError {
    let (field, what) = (field.to_owned(), what.to_owned());
    move |err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            AppError::bad_input(field, format!("{what} already exists"))
        }
        _ => err.into(),
    }
}

pub(crate) fn json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Writes `desired` over `current` when they differ; returns the row as stored.
pub(crate) async fn save_changes<M, A, C>(db: &C, current: M, desired: M) -> AppResult<M>
where
    M: ModelTrait + IntoActiveModel<A> + PartialEq,
    A: ActiveModelTrait<Entity = M::Entity> + ActiveModelBehavior + Send,
    M::Entity: EntityTrait<Model = M>,
    C: ConnectionTrait,
{
    if desired == current {
        Ok(current)
    } else {
        Ok(desired.into_active_model().reset_all().update(db).await?)
    }
}

/// Sets the given languages of a one-text translation table (titles, names):
/// `row` builds the row for (owner, language, text).
pub(crate) async fn set_texts<M, A, C>(
    db: &C,
    owner: i64,
    texts: &Texts,
    row: fn(i64, String, String) -> M,
) -> AppResult<()>
where
    M: ModelTrait + IntoActiveModel<A> + PartialEq,
    A: ActiveModelTrait<Entity = M::Entity> + ActiveModelBehavior + Send,
    M::Entity: EntityTrait<Model = M>,
    (i64, String): Into<<<M::Entity as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::ValueType>,
    C: ConnectionTrait,
{
    for (language, text) in texts {
        let desired = row(owner, language.as_str().to_owned(), text.trim().to_owned());
        match M::Entity::find_by_id((owner, language.as_str().to_owned()))
            .one(db)
            .await?
        {
            Some(current) => {
                save_changes(db, current, desired).await?;
            }
            None => {
                M::Entity::insert(desired.into_active_model().reset_all())
                    .exec_without_returning(db)
                    .await?;
            }
        }
    }
    Ok(())
}

/// The rows of a one-text translation table that belong to `owner`, as a
/// JSON object of texts by language (for audit snapshots); `split` reads
/// (language, text) from a row.
pub(crate) async fn texts_by_language<E, C>(
    db: &C,
    owner_column: E::Column,
    owner: i64,
    split: fn(E::Model) -> (String, String),
) -> AppResult<serde_json::Map<String, Value>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    use sea_orm::{ColumnTrait, QueryFilter};
    Ok(E::find()
        .filter(owner_column.eq(owner))
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let (language, text) = split(row);
            (language, Value::String(text))
        })
        .collect())
}

/// Runs `work` in one transaction: committed when it succeeds, rolled back
/// (and the rollback awaited) when it fails, so no connection goes back to
/// the pool with a rollback still pending.
pub(crate) async fn in_transaction<T, F>(db: &DatabaseConnection, work: F) -> AppResult<T>
where
    T: Send,
    F: for<'c> FnOnce(
            &'c DatabaseTransaction,
        ) -> Pin<Box<dyn Future<Output = AppResult<T>> + Send + 'c>>
        + Send,
{
    db.transaction(work).await.map_err(|err| match err {
        TransactionError::Connection(err) => AppError::Database(err),
        TransactionError::Transaction(err) => err,
    })
}

/// Deletes `row` (what the database cascades goes with it) and records it in
/// the audit log as `before`, in one transaction.
pub(crate) async fn audited_delete<M, A>(
    db: &DatabaseConnection,
    by: Principal,
    (entity, entity_id): (&'static str, i64),
    before: Value,
    row: M,
    now: DateTime<Utc>,
) -> AppResult<()>
where
    M: ModelTrait + IntoActiveModel<A> + Send + 'static,
    A: ActiveModelTrait<Entity = M::Entity> + ActiveModelBehavior + Send + 'static,
{
    in_transaction(db, move |txn| {
        Box::pin(async move {
            row.delete(txn).await?;
            let entry = Entry {
                action: Action::Delete,
                entity,
                entity_id,
                before: Some(before),
                after: None,
            };
            audit::record(txn, &by, entry, now).await
        })
    })
    .await
}

/// Records a write in the audit log, unless it changed nothing; `before` is
/// `None` for a creation.
pub(crate) async fn audit_write<C: ConnectionTrait>(
    db: &C,
    by: &Principal,
    (entity, entity_id): (&str, i64),
    before: Option<Value>,
    after: Value,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if before.as_ref() == Some(&after) {
        return Ok(());
    }
    let action = if before.is_some() {
        Action::Update
    } else {
        Action::Create
    };
    let entry = Entry {
        action,
        entity,
        entity_id,
        before,
        after: Some(after),
    };
    audit::record(db, by, entry, now).await
}
