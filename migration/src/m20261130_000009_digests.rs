//! Digest subscriptions of focal points, the tokens of the links emails
//! carry (confirm a subscription, unsubscribe), and the unsubscribe address
//! each outgoing email announces in its headers.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DigestSubscription {
    Table,
    Id,
    FocalPointId,
    Status,
    Frequency,
    Language,
    SendHour,
    TimeZone,
    AddressHash,
    CreatedAt,
    ConfirmedAt,
    PeriodStart,
    LastPeriodKey,
    LastDigestAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MailToken {
    Table,
    TokenHash,
    Purpose,
    SubscriptionId,
    RecipientHash,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    ListUnsubscribe,
}

#[derive(DeriveIden)]
enum FocalPoint {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DigestSubscription::Table)
                    .col(big_pk_auto(DigestSubscription::Id))
                    .col(big_integer_uniq(DigestSubscription::FocalPointId))
                    // `pending` (awaiting the confirmation link), `active` or `unsubscribed`.
                    .col(string(DigestSubscription::Status))
                    // `daily`, `weekly` or `off`.
                    .col(string(DigestSubscription::Frequency))
                    .col(string(DigestSubscription::Language))
                    .col(integer(DigestSubscription::SendHour))
                    // An IANA zone name, e.g. `Africa/Casablanca`.
                    .col(string(DigestSubscription::TimeZone))
                    // The address that confirmed: a new address confirms again.
                    .col(string_null(DigestSubscription::AddressHash))
                    .col(timestamp_with_time_zone(DigestSubscription::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        DigestSubscription::ConfirmedAt,
                    ))
                    // Where the next digest's period begins.
                    .col(timestamp_with_time_zone_null(
                        DigestSubscription::PeriodStart,
                    ))
                    // The last period composed (e.g. `week-2026-W49`): each once.
                    .col(string_null(DigestSubscription::LastPeriodKey))
                    .col(timestamp_with_time_zone_null(
                        DigestSubscription::LastDigestAt,
                    ))
                    .col(timestamp_with_time_zone(DigestSubscription::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(DigestSubscription::Table, DigestSubscription::FocalPointId)
                            .to(FocalPoint::Table, FocalPoint::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MailToken::Table)
                    // Only the hash is kept: the token itself is in the email alone.
                    .col(string(MailToken::TokenHash).primary_key())
                    // `confirm-digest`, `unsubscribe-digest` or `unsubscribe-notices`.
                    .col(string(MailToken::Purpose))
                    .col(big_integer_null(MailToken::SubscriptionId))
                    .col(string_null(MailToken::RecipientHash))
                    .col(timestamp_with_time_zone(MailToken::CreatedAt))
                    .col(timestamp_with_time_zone_null(MailToken::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MailToken::Table, MailToken::SubscriptionId)
                            .to(DigestSubscription::Table, DigestSubscription::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MailOutbox::Table)
                    .add_column(text_null(MailOutbox::ListUnsubscribe))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MailOutbox::Table)
                    .drop_column(MailOutbox::ListUnsubscribe)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(MailToken::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(DigestSubscription::Table).to_owned())
            .await
    }
}
