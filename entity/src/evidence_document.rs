use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A file uploaded as evidence, stored in the uploads folder. It is public
/// once an update's evidence refers to it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "evidence_document")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// The file's name in the uploads folder.
    pub stored_name: String,
    pub staff_id: i64,
    pub created_at: ChronoDateTimeUtc,
}

crate::decode_by_position!(
    id,
    file_name,
    content_type,
    size_bytes,
    sha256,
    stored_name,
    staff_id,
    created_at,
);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
