use sea_orm::entity::prelude::*;
use serde::Serialize;

/// One piece of evidence behind an implementation update: a link, or an
/// uploaded document.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "evidence")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub update_id: i64,
    /// Order within the update, from 0.
    pub position: i32,
    pub title: String,
    /// `report`, `minutes`, `publication`, `dataset`, `media` or `other`.
    pub evidence_type: String,
    pub dated_on: Date,
    /// Set for a link.
    pub url: Option<String>,
    /// Set for a document.
    pub document_id: Option<i64>,
}

crate::decode_by_position!(
    id,
    update_id,
    position,
    title,
    evidence_type,
    dated_on,
    url,
    document_id,
);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
