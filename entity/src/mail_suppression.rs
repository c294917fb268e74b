use sea_orm::entity::prelude::*;

/// An address (as a hash) that is not mailed any more.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_suppression")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub recipient_hash: String,
    /// `bounced` or `unsubscribed`.
    pub reason: String,
    pub created_at: DateTimeUtc,
}

crate::decode_by_position!(recipient_hash, reason, created_at,);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
