//! Custom scalars.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

use chrono::NaiveDate;

use crate::catalog::partial_date;

/// An ISO 8601 calendar date at the precision the government published it:
/// `2018` (a year), `2018-09` (a month) or `2018-09-15` (a day). Action plans
/// mostly give months ("September 2018"); no day is invented. Values sort
/// correctly as text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartialDate(pub partial_date::PartialDate);

/// An ISO 8601 calendar date at the precision the government published it:
/// `2018` (a year), `2018-09` (a month) or `2018-09-15` (a day). Action plans
/// mostly give months ("September 2018"); no day is invented. Values sort
/// correctly as text.
#[Scalar(name = "PartialDate")]
impl ScalarType for PartialDate {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => partial_date::PartialDate::parse(text)
                .map(Self)
                .map_err(InputValueError::custom),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

impl PartialDate {
    /// Reads a stored date; a value that does not parse (never written by the
    /// import) is treated as absent rather than failing the whole response.
    pub fn from_stored(text: Option<&str>) -> Option<Self> {
        text.and_then(|t| partial_date::PartialDate::parse(t).ok())
            .map(Self)
    }
}

/// A calendar day, ISO 8601 `YYYY-MM-DD`, e.g. `2019-03-04`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

/// A calendar day, ISO 8601 `YYYY-MM-DD`, e.g. `2019-03-04`.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .filter(|_| text.len() == 10)
                .map(Self)
                .ok_or_else(|| {
                    InputValueError::custom(format!("{text:?} is not a date (YYYY-MM-DD)"))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}
