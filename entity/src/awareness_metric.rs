use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A figure measured for an activity over a period: one row per
/// (activity, kind, period), corrected in place.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "awareness_metric")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub activity_id: i64,
    /// `reach`, `impressions`, … `media_mentions`.
    pub kind: String,
    pub value: i64,
    pub period_start: Date,
    pub period_end: Date,
    /// Where the figure comes from, e.g. "attendance sheet".
    pub source: Option<String>,
    pub recorded_at: DateTimeUtc,
}

crate::decode_by_position!(
    id,
    activity_id,
    kind,
    value,
    period_start,
    period_end,
    source,
    recorded_at,
);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
