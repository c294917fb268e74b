//! Input shapes shared by the staff mutations.

use async_graphql::{ErrorExtensions, ID, InputObject, MaybeUndefined, Result};

use super::{node::NodeType, staff::id_of};
use crate::{
    editing::{Change, Texts},
    error::AppError,
    language::Language,
};

/// A text in one language.
#[derive(InputObject, Clone)]
pub struct TextInput {
    /// ISO 639-1 code, e.g. `en`, `fr`, `ar`.
    pub language: String,
    /// The text.
    pub text: String,
}

/// Texts by language from a list of inputs; `field` names the argument in
/// errors (e.g. `title[1].language`).
pub fn texts(field: &str, inputs: Vec<TextInput>) -> Result<Texts> {
    let mut texts = Texts::new();
    for (index, input) in inputs.into_iter().enumerate() {
        let language = Language::parse_canonical(input.language.trim()).ok_or_else(|| {
            AppError::bad_input(
                format!("{field}[{index}].language"),
                "a language code such as \"en\", \"fr\" or \"ar\"",
            )
            .extend()
        })?;
        if texts.insert(language, input.text).is_some() {
            return Err(AppError::bad_input(
                format!("{field}[{index}].language"),
                "each language once",
            )
            .extend());
        }
    }
    Ok(texts)
}

/// An optional argument of an update: absent keeps the value, `null` clears
/// it, a value sets it.
pub fn change<T, U>(value: MaybeUndefined<T>, convert: impl FnOnce(T) -> U) -> Change<Option<U>> {
    match value {
        MaybeUndefined::Undefined => Change::Keep,
        MaybeUndefined::Null => Change::Set(None),
        MaybeUndefined::Value(value) => Change::Set(Some(convert(value))),
    }
}

/// A required field of an update: absent keeps it.
pub fn keep_or<T, U>(value: Option<T>, convert: impl FnOnce(T) -> U) -> Change<U> {
    value.map_or(Change::Keep, |value| Change::Set(convert(value)))
}

/// An optional reference of an update (`institutionId`…): absent keeps it,
/// `null` clears it, an id of the `expected` type sets it.
pub fn change_id(
    field: &str,
    value: MaybeUndefined<ID>,
    expected: NodeType,
) -> Result<Change<Option<i64>>> {
    Ok(match value {
        MaybeUndefined::Undefined => Change::Keep,
        MaybeUndefined::Null => Change::Set(None),
        MaybeUndefined::Value(id) => Change::Set(Some(id_of(field, &id, expected)?)),
    })
}

/// Decodes a list of ids that must all name records of the `expected` type.
pub fn ids(field: &str, ids: &[ID], expected: NodeType) -> Result<Vec<i64>> {
    ids.iter().map(|id| id_of(field, id, expected)).collect()
}

/// A language code as it must be stored (`en`, `fr`, `ar`); empty counts as
/// none.
pub fn language(field: &str, code: Option<&str>) -> Result<Option<Language>> {
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(code) => Language::parse_canonical(code).map(Some).ok_or_else(|| {
            AppError::bad_input(field, "a language code such as \"en\", \"fr\" or \"ar\"").extend()
        }),
    }
}
