use sea_orm::entity::prelude::*;

/// A member of staff: admin, moderator and/or focal point.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Lowercased.
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    /// Argon2id PHC string; null for accounts that only use API tokens.
    pub password_hash: Option<String>,
    /// The focal point this account acts as (role `focal_point`).
    pub focal_point_id: Option<i64>,
    pub created_at: ChronoDateTimeUtc,
}

crate::decode_by_position!(id, email, name, password_hash, focal_point_id, created_at,);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
