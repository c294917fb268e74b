//! A covering index of top-level comments, for the counts every commitment
//! page shows (`feedback.totalCount`, `feedbackSummary`): they are answered
//! from the index alone instead of visiting one table page per comment, which
//! cost a popular commitment milliseconds of database time per request.
//!
//! Partial (`WHERE parent_id IS NULL`) and thus raw SQL: the statement is the
//! same on PostgreSQL and SQLite.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_feedback_top_level ON feedback \
                 (commitment_id, status, official, kind, id) WHERE parent_id IS NULL",
            )
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX idx_feedback_top_level")
            .await
            .map(|_| ())
    }
}
