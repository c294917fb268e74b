//! Citizens' feedback on commitments, with official responses, and the
//! moderation mode of each action plan.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ActionPlan {
    Table,
    ModerationMode,
}

#[derive(DeriveIden)]
enum Feedback {
    Table,
    Id,
    CommitmentId,
    MilestoneId,
    ParentId,
    Depth,
    Kind,
    Stance,
    Body,
    Language,
    AuthorName,
    AuthorEmail,
    NotifyOnResponse,
    Status,
    Official,
    ResponderStaffId,
    VisitorKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Commitment {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Milestone {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum StaffAccount {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ActionPlan::Table)
                    // `post`: published at once; `pre`: queued until approved.
                    .add_column(string(ActionPlan::ModerationMode).default("post"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Feedback::Table)
                    .col(big_pk_auto(Feedback::Id))
                    .col(big_integer(Feedback::CommitmentId))
                    .col(big_integer_null(Feedback::MilestoneId))
                    .col(big_integer_null(Feedback::ParentId))
                    // 0 for a comment, 1 and 2 for replies: three levels.
                    .col(integer(Feedback::Depth))
                    .col(string(Feedback::Kind))
                    .col(string_null(Feedback::Stance))
                    .col(text(Feedback::Body))
                    .col(string_null(Feedback::Language))
                    .col(string_null(Feedback::AuthorName))
                    // Personal data: read only to notify its owner, never returned.
                    .col(string_null(Feedback::AuthorEmail))
                    .col(boolean(Feedback::NotifyOnResponse).default(false))
                    // `published`, `queued`, `hidden` or `rejected`.
                    .col(string(Feedback::Status))
                    .col(boolean(Feedback::Official).default(false))
                    .col(big_integer_null(Feedback::ResponderStaffId))
                    // Salted hash identifying a visitor; no raw address is kept.
                    .col(string_null(Feedback::VisitorKey))
                    .col(timestamp_with_time_zone(Feedback::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Feedback::Table, Feedback::CommitmentId)
                            .to(Commitment::Table, Commitment::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Feedback::Table, Feedback::MilestoneId)
                            .to(Milestone::Table, Milestone::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Feedback::Table, Feedback::ParentId)
                            .to(Feedback::Table, Feedback::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Feedback::Table, Feedback::ResponderStaffId)
                            .to(StaffAccount::Table, StaffAccount::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_feedback_commitment",
                vec![Feedback::CommitmentId, Feedback::Status, Feedback::Id],
            ),
            (
                "idx_feedback_parent",
                vec![Feedback::ParentId, Feedback::Id],
            ),
            ("idx_feedback_status", vec![Feedback::Status, Feedback::Id]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Feedback::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Feedback::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ActionPlan::Table)
                    .drop_column(ActionPlan::ModerationMode)
                    .to_owned(),
            )
            .await
    }
}
