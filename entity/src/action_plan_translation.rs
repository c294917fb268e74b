use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "action_plan_translation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub action_plan_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub language: String,
    pub title: String,
}

crate::decode_by_position!(action_plan_id, language, title,);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
