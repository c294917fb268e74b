use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "milestone_translation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub milestone_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub language: String,
    pub title: String,
    /// The deliverable that shows the milestone done.
    pub expected_output: Option<String>,
    /// How anyone can check that it was delivered.
    pub means_of_verification: Option<String>,
}

crate::decode_by_position!(
    milestone_id,
    language,
    title,
    expected_output,
    means_of_verification,
);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
