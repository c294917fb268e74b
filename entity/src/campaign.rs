use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A communication campaign: what a government does to make commitments
/// known.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "campaign")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Natural key of a campaign imported from a catalogue file.
    pub key: Option<String>,
    pub title: String,
    pub objective: Option<String>,
    pub target_audience: Option<String>,
    /// Canonical language codes, comma-separated; empty for none.
    pub languages: String,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// `planned`, `running` or `completed`.
    pub status: String,
    pub institution_id: Option<i64>,
    /// Budget in hundredths of `budget_currency`.
    pub budget_minor: Option<i64>,
    pub budget_currency: Option<String>,
    pub created_at: DateTimeUtc,
}

crate::decode_by_position!(
    id,
    key,
    title,
    objective,
    target_audience,
    languages,
    start_date,
    end_date,
    status,
    institution_id,
    budget_minor,
    budget_currency,
    created_at,
);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
