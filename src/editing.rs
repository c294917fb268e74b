//! The write side of the catalogue, for staff. Every write authorizes the
//! actor, validates its input, and writes in one transaction together with an
//! audit entry holding the record before and after.

pub mod commitments;
pub mod milestones;
pub mod records;

use std::collections::BTreeMap;

use sea_orm::{DbErr, SqlErr};
use serde::Serialize;
use serde_json::Value;

use crate::{
    catalog::{partial_date::PartialDate, rules},
    error::{AppError, AppResult},
    language::Language,
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
