use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A government body, civil-society organisation or other actor.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "institution")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Stable identifier used by imports, e.g. `mrafp`.
    #[sea_orm(unique)]
    pub key: String,
    pub abbreviation: Option<String>,
    /// `government`, `civil_society` or `other`.
    pub kind: String,
}

crate::decode_by_position!(id, key, abbreviation, kind,);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
