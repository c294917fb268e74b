//! The mail outbox: every email is first written here, in the transaction of
//! what causes it, under a key that makes it unique; a sender delivers what
//! is due. Addresses that must not be mailed again are kept as hashes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    Id,
    DedupeKey,
    Recipient,
    RecipientHash,
    Subject,
    TextBody,
    HtmlBody,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum MailSuppression {
    Table,
    RecipientHash,
    Reason,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MailOutbox::Table)
                    .col(big_pk_auto(MailOutbox::Id))
                    // What the email is for, e.g. `response-notice:42`: one email per key.
                    .col(string_uniq(MailOutbox::DedupeKey))
                    // Personal data: kept only until the email is delivered or given up.
                    .col(string(MailOutbox::Recipient))
                    .col(string(MailOutbox::RecipientHash))
                    .col(text(MailOutbox::Subject))
                    .col(text(MailOutbox::TextBody))
                    .col(text(MailOutbox::HtmlBody))
                    // `pending`, `sending`, `sent`, `failed` or `suppressed`.
                    .col(string(MailOutbox::Status))
                    .col(integer(MailOutbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(MailOutbox::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(MailOutbox::LeaseUntil))
                    // An SMTP code or a failure class, never the server's text
                    // (it may repeat the address).
                    .col(string_null(MailOutbox::LastError))
                    .col(timestamp_with_time_zone(MailOutbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(MailOutbox::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mail_outbox_due")
                    .table(MailOutbox::Table)
                    .col(MailOutbox::Status)
                    .col(MailOutbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MailSuppression::Table)
                    .col(string(MailSuppression::RecipientHash).primary_key())
                    // `bounced` (a permanent delivery failure) or `unsubscribed`.
                    .col(string(MailSuppression::Reason))
                    .col(timestamp_with_time_zone(MailSuppression::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MailSuppression::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MailOutbox::Table).to_owned())
            .await
    }
}
