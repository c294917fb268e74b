use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A milestone: an activity with a verifiable deliverable.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "milestone")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub commitment_id: i64,
    /// 1-based order within the commitment, as published.
    pub position: i32,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// `not_started`, `in_progress` or `completed`; null when not reported.
    pub status: Option<String>,
    /// Responsible for this milestone when not the commitment's lead.
    pub responsible_institution_id: Option<i64>,
}

crate::decode_by_position!(
    id,
    commitment_id,
    position,
    start_date,
    end_date,
    status,
    responsible_institution_id,
);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
