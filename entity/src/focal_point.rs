use sea_orm::entity::prelude::*;
use serde::Serialize;

/// The contact a government names as responsible for commitments.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "focal_point")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Stable identifier used by imports.
    #[sea_orm(unique)]
    pub key: String,
    pub name: String,
    pub title: Option<String>,
    pub department: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

crate::decode_by_position!(id, key, name, title, department, email, phone,);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
