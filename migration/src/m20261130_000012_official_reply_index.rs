//! The official replies of each commitment, indexed apart. "Awaiting a
//! response" asks, for every comment of a commitment, whether an official
//! reply exists: probing the replies' parent index once per comment cost a
//! popular commitment 8 ms. With the few official replies of the commitment
//! read from this small index, the database hashes them once instead.
//!
//! Partial (`WHERE official`), hence raw SQL, the same on PostgreSQL and
//! SQLite.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_feedback_official_reply ON feedback \
                 (commitment_id, parent_id) WHERE official",
            )
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX idx_feedback_official_reply")
            .await
            .map(|_| ())
    }
}
