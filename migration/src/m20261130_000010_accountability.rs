//! The accountability loop: implementation updates with their evidence
//! (links and uploaded documents), the decision and rationale of official
//! responses, the dialogue record (forum and implementation meetings), and
//! what a milestone needs to be verifiable (expected output, means of
//! verification, responsible institution).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ImplementationUpdate {
    Table,
    Id,
    CommitmentId,
    MilestoneId,
    ReportedOn,
    Status,
    Source,
    HasEvidence,
    StaffId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ImplementationUpdateTranslation {
    Table,
    UpdateId,
    Language,
    Narrative,
}

#[derive(DeriveIden)]
enum EvidenceDocument {
    Table,
    Id,
    FileName,
    ContentType,
    SizeBytes,
    Sha256,
    StoredName,
    StaffId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Evidence {
    Table,
    Id,
    UpdateId,
    Position,
    Title,
    #[sea_orm(iden = "evidence_type")]
    Type,
    DatedOn,
    Url,
    DocumentId,
}

#[derive(DeriveIden)]
enum Meeting {
    Table,
    Id,
    ActionPlanId,
    HeldOn,
    Kind,
    Government,
    CivilSociety,
    PrivateSector,
    Academia,
    Other,
    MinutesUrl,
    StaffId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MeetingCommitment {
    Table,
    MeetingId,
    CommitmentId,
}

#[derive(DeriveIden)]
enum Feedback {
    Table,
    Official,
    ResponseDecision,
    ResponseRationale,
}

#[derive(DeriveIden)]
enum Milestone {
    Table,
    Id,
    ResponsibleInstitutionId,
}

#[derive(DeriveIden)]
enum MilestoneTranslation {
    Table,
    ExpectedOutput,
    MeansOfVerification,
}

#[derive(DeriveIden)]
enum Commitment {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ActionPlan {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum StaffAccount {
    Table,
    Id,
}

fn cascade(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn restrict(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ImplementationUpdate::Table)
                    .col(big_pk_auto(ImplementationUpdate::Id))
                    .col(big_integer(ImplementationUpdate::CommitmentId))
                    .col(big_integer_null(ImplementationUpdate::MilestoneId))
                    .col(date(ImplementationUpdate::ReportedOn))
                    // On the IRM completion scale: `not_started` … `complete`.
                    .col(string(ImplementationUpdate::Status))
                    // `government` or `civil_society`.
                    .col(string(ImplementationUpdate::Source))
                    // Only updates with evidence set a completion level.
                    .col(boolean(ImplementationUpdate::HasEvidence))
                    .col(big_integer(ImplementationUpdate::StaffId))
                    .col(timestamp_with_time_zone(ImplementationUpdate::CreatedAt))
                    .foreign_key(&mut cascade(
                        (
                            ImplementationUpdate::Table,
                            ImplementationUpdate::CommitmentId,
                        ),
                        (Commitment::Table, Commitment::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (
                            ImplementationUpdate::Table,
                            ImplementationUpdate::MilestoneId,
                        ),
                        (Milestone::Table, Milestone::Id),
                    ))
                    .foreign_key(&mut restrict(
                        (ImplementationUpdate::Table, ImplementationUpdate::StaffId),
                        (StaffAccount::Table, StaffAccount::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            (
                "idx_implementation_update_commitment",
                ImplementationUpdate::CommitmentId,
            ),
            (
                "idx_implementation_update_milestone",
                ImplementationUpdate::MilestoneId,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ImplementationUpdate::Table)
                        .col(column)
                        .col(ImplementationUpdate::ReportedOn)
                        .col(ImplementationUpdate::Id)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ImplementationUpdateTranslation::Table)
                    .col(big_integer(ImplementationUpdateTranslation::UpdateId))
                    .col(string(ImplementationUpdateTranslation::Language))
                    .col(text(ImplementationUpdateTranslation::Narrative))
                    .primary_key(
                        Index::create()
                            .col(ImplementationUpdateTranslation::UpdateId)
                            .col(ImplementationUpdateTranslation::Language),
                    )
                    .foreign_key(&mut cascade(
                        (
                            ImplementationUpdateTranslation::Table,
                            ImplementationUpdateTranslation::UpdateId,
                        ),
                        (ImplementationUpdate::Table, ImplementationUpdate::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EvidenceDocument::Table)
                    .col(big_pk_auto(EvidenceDocument::Id))
                    // As uploaded, cleaned of path parts and control characters.
                    .col(string(EvidenceDocument::FileName))
                    .col(string(EvidenceDocument::ContentType))
                    .col(big_integer(EvidenceDocument::SizeBytes))
                    .col(string(EvidenceDocument::Sha256))
                    // The file's name in the uploads folder.
                    .col(string_uniq(EvidenceDocument::StoredName))
                    .col(big_integer(EvidenceDocument::StaffId))
                    .col(timestamp_with_time_zone(EvidenceDocument::CreatedAt))
                    .foreign_key(&mut restrict(
                        (EvidenceDocument::Table, EvidenceDocument::StaffId),
                        (StaffAccount::Table, StaffAccount::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Evidence::Table)
                    .col(big_pk_auto(Evidence::Id))
                    .col(big_integer(Evidence::UpdateId))
                    .col(integer(Evidence::Position))
                    .col(string(Evidence::Title))
                    // `report`, `minutes`, `publication`, `dataset`, `media`, `other`.
                    .col(string(Evidence::Type))
                    .col(date(Evidence::DatedOn))
                    // A link, or else a document: exactly one of the two.
                    .col(string_null(Evidence::Url))
                    // A document is evidence of one update only.
                    .col(big_integer_null(Evidence::DocumentId).unique_key())
                    .foreign_key(&mut cascade(
                        (Evidence::Table, Evidence::UpdateId),
                        (ImplementationUpdate::Table, ImplementationUpdate::Id),
                    ))
                    .foreign_key(&mut restrict(
                        (Evidence::Table, Evidence::DocumentId),
                        (EvidenceDocument::Table, EvidenceDocument::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_evidence_update")
                    .table(Evidence::Table)
                    .col(Evidence::UpdateId)
                    .col(Evidence::Position)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Meeting::Table)
                    .col(big_pk_auto(Meeting::Id))
                    .col(big_integer(Meeting::ActionPlanId))
                    .col(date(Meeting::HeldOn))
                    // `forum` (the multi-stakeholder forum) or `implementation`.
                    .col(string(Meeting::Kind))
                    // Attendees by sector.
                    .col(integer(Meeting::Government).default(0))
                    .col(integer(Meeting::CivilSociety).default(0))
                    .col(integer(Meeting::PrivateSector).default(0))
                    .col(integer(Meeting::Academia).default(0))
                    .col(integer(Meeting::Other).default(0))
                    .col(string_null(Meeting::MinutesUrl))
                    .col(big_integer(Meeting::StaffId))
                    .col(timestamp_with_time_zone(Meeting::CreatedAt))
                    .foreign_key(&mut cascade(
                        (Meeting::Table, Meeting::ActionPlanId),
                        (ActionPlan::Table, ActionPlan::Id),
                    ))
                    .foreign_key(&mut restrict(
                        (Meeting::Table, Meeting::StaffId),
                        (StaffAccount::Table, StaffAccount::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_meeting_plan")
                    .table(Meeting::Table)
                    .col(Meeting::ActionPlanId)
                    .col(Meeting::HeldOn)
                    .col(Meeting::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MeetingCommitment::Table)
                    .col(big_integer(MeetingCommitment::MeetingId))
                    .col(big_integer(MeetingCommitment::CommitmentId))
                    .primary_key(
                        Index::create()
                            .col(MeetingCommitment::MeetingId)
                            .col(MeetingCommitment::CommitmentId),
                    )
                    .foreign_key(&mut cascade(
                        (MeetingCommitment::Table, MeetingCommitment::MeetingId),
                        (Meeting::Table, Meeting::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (MeetingCommitment::Table, MeetingCommitment::CommitmentId),
                        (Commitment::Table, Commitment::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_meeting_commitment")
                    .table(MeetingCommitment::Table)
                    .col(MeetingCommitment::CommitmentId)
                    .col(MeetingCommitment::MeetingId)
                    .to_owned(),
            )
            .await?;
        // SQLite alters one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Feedback::Table)
                    .add_column(string_null(Feedback::ResponseDecision))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Feedback::Table)
                    .add_column(text_null(Feedback::ResponseRationale))
                    .to_owned(),
            )
            .await?;
        // Responses given before decisions existed promised nothing yet.
        manager
            .exec_stmt(
                Query::update()
                    .table(Feedback::Table)
                    .value(Feedback::ResponseDecision, "under_consideration")
                    .and_where(Expr::col(Feedback::Official).eq(true))
                    .to_owned(),
            )
            .await?;
        // SQLite cannot add a foreign key to an existing table; institutions
        // are never deleted, and the editing service checks the reference.
        manager
            .alter_table(
                Table::alter()
                    .table(Milestone::Table)
                    .add_column(big_integer_null(Milestone::ResponsibleInstitutionId))
                    .to_owned(),
            )
            .await?;
        for column in [
            MilestoneTranslation::ExpectedOutput,
            MilestoneTranslation::MeansOfVerification,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(MilestoneTranslation::Table)
                        .add_column(text_null(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            MilestoneTranslation::ExpectedOutput,
            MilestoneTranslation::MeansOfVerification,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(MilestoneTranslation::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Milestone::Table)
                    .drop_column(Milestone::ResponsibleInstitutionId)
                    .to_owned(),
            )
            .await?;
        for column in [Feedback::ResponseDecision, Feedback::ResponseRationale] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Feedback::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            MeetingCommitment::Table.into_iden(),
            Meeting::Table.into_iden(),
            Evidence::Table.into_iden(),
            EvidenceDocument::Table.into_iden(),
            ImplementationUpdateTranslation::Table.into_iden(),
            ImplementationUpdate::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
