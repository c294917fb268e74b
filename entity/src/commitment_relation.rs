use sea_orm::entity::prelude::*;
use serde::Serialize;

/// "Related commitments" as the action plan states them (directed).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "commitment_relation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub commitment_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub related_commitment_id: i64,
}

crate::decode_by_position!(commitment_id, related_commitment_id,);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
