use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A national action plan; its title lives in `action_plan_translation`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "action_plan")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Stable identifier used by imports, e.g. `morocco-2018-2020`.
    #[sea_orm(unique)]
    pub key: String,
    pub country_id: i64,
    pub cycle_year: i32,
    /// ISO 8601 date at the precision published (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`).
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// `in_development`, `in_implementation` or `completed`; null when not published.
    pub status: Option<String>,
    /// `post` (published at once) or `pre` (queued until a moderator approves).
    pub moderation_mode: String,
}

crate::decode_by_position!(
    id,
    key,
    country_id,
    cycle_year,
    start_date,
    end_date,
    status,
    moderation_mode,
);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
