//! Citizens' support for and reports on feedback: one of each per visitor
//! per item, keyed by a salted visitor hash (no address is stored).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FeedbackSupport {
    Table,
    FeedbackId,
    VisitorKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FeedbackReport {
    Table,
    FeedbackId,
    VisitorKey,
    Reason,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Feedback {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FeedbackSupport::Table)
                    .col(big_integer(FeedbackSupport::FeedbackId))
                    .col(string(FeedbackSupport::VisitorKey))
                    .col(timestamp_with_time_zone(FeedbackSupport::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(FeedbackSupport::FeedbackId)
                            .col(FeedbackSupport::VisitorKey),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(FeedbackSupport::Table, FeedbackSupport::FeedbackId)
                            .to(Feedback::Table, Feedback::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FeedbackReport::Table)
                    .col(big_integer(FeedbackReport::FeedbackId))
                    .col(string(FeedbackReport::VisitorKey))
                    // `spam`, `offensive`, `off_topic` or `personal_data`.
                    .col(string(FeedbackReport::Reason))
                    .col(text_null(FeedbackReport::Note))
                    .col(timestamp_with_time_zone(FeedbackReport::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(FeedbackReport::FeedbackId)
                            .col(FeedbackReport::VisitorKey),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(FeedbackReport::Table, FeedbackReport::FeedbackId)
                            .to(Feedback::Table, Feedback::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FeedbackReport::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(FeedbackSupport::Table).to_owned())
            .await
    }
}
