//! A version per area of the data, bumped by writers outside the service
//! (`ogp-pulse import`, `ogp-pulse metrics import`) so that running
//! instances notice and drop what they cached.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DataVersion {
    Table,
    Area,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DataVersion::Table)
                    // `catalog`, `feedback` or `awareness`.
                    .col(string(DataVersion::Area).primary_key())
                    .col(big_integer(DataVersion::Version).default(0))
                    .to_owned(),
            )
            .await?;
        let mut insert = Query::insert();
        insert
            .into_table(DataVersion::Table)
            .columns([DataVersion::Area, DataVersion::Version]);
        for area in ["catalog", "feedback", "awareness"] {
            insert.values_panic([area.into(), 0.into()]);
        }
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DataVersion::Table).to_owned())
            .await
    }
}
