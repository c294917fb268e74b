//! Staff accounts, their roles and credentials, and the append-only audit
//! log of staff writes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StaffAccount {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    FocalPointId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StaffRole {
    Table,
    StaffId,
    Role,
}

#[derive(DeriveIden)]
enum StaffCredential {
    Table,
    Id,
    StaffId,
    Kind,
    TokenHash,
    Label,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditEntry {
    Table,
    Id,
    StaffId,
    Action,
    Entity,
    EntityId,
    Before,
    After,
    At,
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
                    .table(StaffAccount::Table)
                    .col(big_pk_auto(StaffAccount::Id))
                    // Stored lowercased, so uniqueness ignores case.
                    .col(string_uniq(StaffAccount::Email))
                    .col(string(StaffAccount::Name))
                    .col(string_null(StaffAccount::PasswordHash))
                    .col(big_integer_null(StaffAccount::FocalPointId))
                    .col(timestamp_with_time_zone(StaffAccount::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffAccount::Table, StaffAccount::FocalPointId)
                            .to(FocalPoint::Table, FocalPoint::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StaffRole::Table)
                    .col(big_integer(StaffRole::StaffId))
                    .col(string(StaffRole::Role))
                    .primary_key(Index::create().col(StaffRole::StaffId).col(StaffRole::Role))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffRole::Table, StaffRole::StaffId)
                            .to(StaffAccount::Table, StaffAccount::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StaffCredential::Table)
                    .col(big_pk_auto(StaffCredential::Id))
                    .col(big_integer(StaffCredential::StaffId))
                    // `api_token` or `session`.
                    .col(string(StaffCredential::Kind))
                    // SHA-256 of the token: tokens carry 256 random bits, so a
                    // fast hash suffices and look-ups stay indexed.
                    .col(string_uniq(StaffCredential::TokenHash))
                    .col(string_null(StaffCredential::Label))
                    .col(timestamp_with_time_zone(StaffCredential::CreatedAt))
                    .col(timestamp_with_time_zone_null(StaffCredential::ExpiresAt))
                    .col(timestamp_with_time_zone_null(StaffCredential::LastUsedAt))
                    .col(timestamp_with_time_zone_null(StaffCredential::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffCredential::Table, StaffCredential::StaffId)
                            .to(StaffAccount::Table, StaffAccount::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_staff_credential_staff")
                    .table(StaffCredential::Table)
                    .col(StaffCredential::StaffId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditEntry::Table)
                    .col(big_pk_auto(AuditEntry::Id))
                    .col(big_integer(AuditEntry::StaffId))
                    .col(string(AuditEntry::Action))
                    .col(string(AuditEntry::Entity))
                    .col(big_integer(AuditEntry::EntityId))
                    .col(text_null(AuditEntry::Before))
                    .col(text_null(AuditEntry::After))
                    .col(timestamp_with_time_zone(AuditEntry::At))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AuditEntry::Table, AuditEntry::StaffId)
                            .to(StaffAccount::Table, StaffAccount::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_entry_entity")
                    .table(AuditEntry::Table)
                    .col(AuditEntry::Entity)
                    .col(AuditEntry::EntityId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_entry_staff")
                    .table(AuditEntry::Table)
                    .col(AuditEntry::StaffId)
                    .to_owned(),
            )
            .await?;
        // The audit log is append-only for everyone, the service included.
        let db = manager.get_connection();
        match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => {
                for operation in ["UPDATE", "DELETE"] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER audit_entry_append_only_{op} BEFORE {operation} ON audit_entry \
                         BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
                        op = operation.to_lowercase()
                    ))
                    .await?;
                }
            }
            sea_orm::DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS \
                     $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry \
                     FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
                )
                .await?;
            }
            _ => {}
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            db.execute_unprepared("DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry")
                .await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS audit_entry_append_only()")
                .await?;
        }
        let tables: [DynIden; 4] = [
            AuditEntry::Table.into_iden(),
            StaffCredential::Table.into_iden(),
            StaffRole::Table.into_iden(),
            StaffAccount::Table.into_iden(),
        ];
        for table in tables {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
