use sea_orm::entity::prelude::*;

/// The version of one area of the data (`catalog`, `feedback`,
/// `awareness`), bumped by writers outside the service.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_version")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub area: String,
    pub version: i64,
}

crate::decode_by_position!(area, version,);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
