//! Database migrations of ogp-pulse, applied in order by [`Migrator::up`] at
//! start-up, by `ogp-pulse migrate` and by every test.

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_catalog;
mod m20261129_000002_staff;
mod m20261129_000003_feedback;
mod m20261129_000004_feedback_reactions;
mod m20261129_000005_feedback_support_count;
mod m20261129_000006_campaigns;
mod m20261129_000007_data_version;
mod m20261129_000008_mail;
mod m20261130_000009_digests;
mod m20261130_000010_accountability;
mod m20261130_000011_top_level_feedback_index;
mod m20261130_000012_official_reply_index;
mod m20261130_000013_partial_reply_index;
mod m20261201_000014_feedback_tally;
mod m20261201_000015_commitment_search_text;

pub struct Migrator;

/// Runs, one after another, the statements written for the connection's
/// backend. Triggers and functions come as one script on PostgreSQL and as a
/// list on SQLite, whose driver runs only the first statement of a script.
async fn execute_on_backend<P: AsRef<str>, S: AsRef<str>>(
    manager: &SchemaManager<'_>,
    postgres: impl IntoIterator<Item = P>,
    sqlite: impl IntoIterator<Item = S>,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    match manager.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            for statement in postgres {
                db.execute_unprepared(statement.as_ref()).await?;
            }
        }
        _ => {
            for statement in sqlite {
                db.execute_unprepared(statement.as_ref()).await?;
            }
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_catalog::Migration),
            Box::new(m20261129_000002_staff::Migration),
            Box::new(m20261129_000003_feedback::Migration),
            Box::new(m20261129_000004_feedback_reactions::Migration),
            Box::new(m20261129_000005_feedback_support_count::Migration),
            Box::new(m20261129_000006_campaigns::Migration),
            Box::new(m20261129_000007_data_version::Migration),
            Box::new(m20261129_000008_mail::Migration),
            Box::new(m20261130_000009_digests::Migration),
            Box::new(m20261130_000010_accountability::Migration),
            Box::new(m20261130_000011_top_level_feedback_index::Migration),
            Box::new(m20261130_000012_official_reply_index::Migration),
            Box::new(m20261130_000013_partial_reply_index::Migration),
            Box::new(m20261201_000014_feedback_tally::Migration),
            Box::new(m20261201_000015_commitment_search_text::Migration),
        ]
    }
}
