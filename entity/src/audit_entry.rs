use sea_orm::entity::prelude::*;

/// One staff write: who, what, when, and the values before and after.
/// Append-only (database triggers refuse updates and deletes).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub staff_id: i64,
    /// `create`, `update`, `link` or `unlink`.
    pub action: String,
    /// Table of the record written, e.g. `milestone`.
    pub entity: String,
    pub entity_id: i64,
    /// JSON of the record before the write; null for a creation.
    pub before: Option<String>,
    /// JSON of the record after the write.
    pub after: Option<String>,
    pub at: ChronoDateTimeUtc,
}

crate::decode_by_position!(id, staff_id, action, entity, entity_id, before, after, at,);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
