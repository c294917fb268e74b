use sea_orm::entity::prelude::*;

/// The token of a link in an email (confirm a subscription, unsubscribe),
/// kept as a hash only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_token")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    /// `confirm-digest`, `unsubscribe-digest` or `unsubscribe-notices`.
    pub purpose: String,
    pub subscription_id: Option<i64>,
    /// For `unsubscribe-notices`: the address to stop mailing.
    pub recipient_hash: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
}

crate::decode_by_position!(
    token_hash,
    purpose,
    subscription_id,
    recipient_hash,
    created_at,
    expires_at,
);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
