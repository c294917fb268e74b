use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A country taking part in OGP.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "country")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// ISO 3166-1 alpha-2 code, e.g. `MA`.
    #[sea_orm(unique)]
    pub iso_code: String,
    pub name: String,
}

crate::decode_by_position!(id, iso_code, name,);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
