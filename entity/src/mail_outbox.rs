use sea_orm::entity::prelude::*;

/// An email to deliver (or delivered): one per dedupe key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub dedupe_key: String,
    /// Emptied once the email is delivered or given up.
    pub recipient: String,
    pub recipient_hash: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    /// `pending`, `sending`, `sent`, `failed` or `suppressed`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub lease_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    /// The unsubscribe address announced in `List-Unsubscribe` (it holds a
    /// token); emptied once the email is delivered or given up.
    pub list_unsubscribe: Option<String>,
}

crate::decode_by_position!(
    id,
    dedupe_key,
    recipient,
    recipient_hash,
    subject,
    text_body,
    html_body,
    status,
    attempts,
    next_attempt_at,
    lease_until,
    last_error,
    created_at,
    sent_at,
    list_unsubscribe,
);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
