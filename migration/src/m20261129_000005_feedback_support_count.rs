//! How many visitors support each piece of feedback, kept on the row so that
//! lists can be ordered by it with an index.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Feedback {
    Table,
    SupportCount,
    CommitmentId,
    Status,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Feedback::Table)
                    .add_column(big_integer(Feedback::SupportCount).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_feedback_support")
                    .table(Feedback::Table)
                    .col(Feedback::CommitmentId)
                    .col(Feedback::Status)
                    .col(Feedback::SupportCount)
                    .col(Feedback::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_feedback_support")
                    .table(Feedback::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Feedback::Table)
                    .drop_column(Feedback::SupportCount)
                    .to_owned(),
            )
            .await
    }
}
