use sea_orm::entity::prelude::*;

/// A focal point's subscription to email digests of what citizens said.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "digest_subscription")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub focal_point_id: i64,
    /// `pending` (awaiting the confirmation link), `active` or `unsubscribed`.
    pub status: String,
    /// `daily`, `weekly` or `off`.
    pub frequency: String,
    pub language: String,
    /// Local hour (0-23) digests are sent from.
    pub send_hour: i32,
    /// IANA zone name of `send_hour`.
    pub time_zone: String,
    /// Hash of the address that confirmed.
    pub address_hash: Option<String>,
    pub created_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
    /// Where the next digest's period begins.
    pub period_start: Option<DateTimeUtc>,
    /// The last period composed, e.g. `week-2026-W49`.
    pub last_period_key: Option<String>,
    /// When the last digest was written to the outbox.
    pub last_digest_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

crate::decode_by_position!(
    id,
    focal_point_id,
    status,
    frequency,
    language,
    send_hour,
    time_zone,
    address_hash,
    created_at,
    confirmed_at,
    period_start,
    last_period_key,
    last_digest_at,
    updated_at,
);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
