//! The replies' parent index, restricted to replies (and renamed
//! `idx_feedback_reply`).
//!
//! SQLite's statistics count every NULL `parent_id` as one value, so its
//! planner took `idx_feedback_parent` for "top-level comments of a
//! commitment" and walked the newest comments of every commitment to fill
//! one commitment's page (20 ms per Q2 at the stress scale). Without the
//! top-level rows the index serves what it is for (the replies of a comment:
//! `parent_id = ?` implies `parent_id IS NOT NULL` on both databases), is
//! smaller, and leaves top-level reads to the commitment indexes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX idx_feedback_parent")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX idx_feedback_reply ON feedback (parent_id, id) \
             WHERE parent_id IS NOT NULL",
        )
        .await
        .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX idx_feedback_reply")
            .await?;
        db.execute_unprepared("CREATE INDEX idx_feedback_parent ON feedback (parent_id, id)")
            .await
            .map(|_| ())
    }
}
