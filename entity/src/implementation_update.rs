use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A dated report of how a commitment (or one of its milestones) is being
/// implemented. Its narrative lives in `implementation_update_translation`,
/// its evidence in `evidence`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "implementation_update")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub commitment_id: i64,
    pub milestone_id: Option<i64>,
    /// The day the update reports on.
    pub reported_on: Date,
    /// On the IRM completion scale: `not_started`, `limited`, `substantial`
    /// or `complete`.
    pub status: String,
    /// `government` or `civil_society`.
    pub source: String,
    /// Whether any evidence backs it: only such updates set a completion level.
    pub has_evidence: bool,
    /// The staff member who posted it.
    pub staff_id: i64,
    pub created_at: ChronoDateTimeUtc,
}

crate::decode_by_position!(
    id,
    commitment_id,
    milestone_id,
    reported_on,
    status,
    source,
    has_evidence,
    staff_id,
    created_at,
);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
