use sea_orm::entity::prelude::*;
use serde::Serialize;

/// An implementation update's narrative in one language.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "implementation_update_translation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub update_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub language: String,
    pub narrative: String,
}

crate::decode_by_position!(update_id, language, narrative,);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
