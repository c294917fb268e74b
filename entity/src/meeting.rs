use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A dialogue meeting of an action plan: the multi-stakeholder forum, or a
/// meeting on the plan's implementation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "meeting")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub action_plan_id: i64,
    pub held_on: Date,
    /// `forum` or `implementation`.
    pub kind: String,
    /// Attendees by sector.
    pub government: i32,
    pub civil_society: i32,
    pub private_sector: i32,
    pub academia: i32,
    pub other: i32,
    pub minutes_url: Option<String>,
    pub staff_id: i64,
    pub created_at: ChronoDateTimeUtc,
}

crate::decode_by_position!(
    id,
    action_plan_id,
    held_on,
    kind,
    government,
    civil_society,
    private_sector,
    academia,
    other,
    minutes_url,
    staff_id,
    created_at,
);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
