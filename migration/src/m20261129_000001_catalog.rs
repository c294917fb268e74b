//! The catalogue of OGP action plans: countries, institutions, policy areas,
//! action plans, commitments, milestones and focal points, with one
//! translation table per record type whose texts governments publish in
//! several languages.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Country {
    Table,
    Id,
    IsoCode,
    Name,
}

#[derive(DeriveIden)]
enum Institution {
    Table,
    Id,
    Key,
    Abbreviation,
    Kind,
}

#[derive(DeriveIden)]
enum InstitutionTranslation {
    Table,
    InstitutionId,
    Language,
    Name,
}

#[derive(DeriveIden)]
enum PolicyArea {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden)]
enum ActionPlan {
    Table,
    Id,
    Key,
    CountryId,
    CycleYear,
    StartDate,
    EndDate,
    Status,
}

#[derive(DeriveIden)]
enum ActionPlanTranslation {
    Table,
    ActionPlanId,
    Language,
    Title,
}

#[derive(DeriveIden)]
enum Commitment {
    Table,
    Id,
    Code,
    ActionPlanId,
    Status,
    LeadInstitutionId,
    PeriodStart,
    PeriodEnd,
    IrmReport,
    IrmStarred,
    IrmEarlyResults,
    IrmVerifiable,
    IrmOgpValues,
    IrmPotentialImpact,
    IrmCompletion,
}

#[derive(DeriveIden)]
enum CommitmentTranslation {
    Table,
    CommitmentId,
    Language,
    Title,
    FullTitle,
    PublicProblem,
    Description,
    HowItContributes,
    OgpRelevance,
    AdditionalInformation,
}

#[derive(DeriveIden)]
enum CommitmentSupportInstitution {
    Table,
    CommitmentId,
    InstitutionId,
}

#[derive(DeriveIden)]
enum CommitmentPolicyArea {
    Table,
    CommitmentId,
    PolicyAreaId,
}

#[derive(DeriveIden)]
enum CommitmentRelation {
    Table,
    CommitmentId,
    RelatedCommitmentId,
}

#[derive(DeriveIden)]
enum Milestone {
    Table,
    Id,
    CommitmentId,
    Position,
    StartDate,
    EndDate,
    Status,
}

#[derive(DeriveIden)]
enum MilestoneTranslation {
    Table,
    MilestoneId,
    Language,
    Title,
}

#[derive(DeriveIden)]
enum FocalPoint {
    Table,
    Id,
    Key,
    Name,
    Title,
    Department,
    Email,
    Phone,
}

#[derive(DeriveIden)]
enum CommitmentFocalPoint {
    Table,
    CommitmentId,
    FocalPointId,
}

/// A foreign key that removes the dependent row with its parent: used for rows
/// that have no meaning alone (translations, links, milestones).
fn owned_by(
    table: impl IntoIden,
    column: impl IntoIden,
    parent: impl IntoIden,
    parent_id: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(parent, parent_id)
        .on_delete(ForeignKeyAction::Cascade)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

/// A foreign key that refuses to delete a parent still referred to.
fn refers_to(
    table: impl IntoIden,
    column: impl IntoIden,
    parent: impl IntoIden,
    parent_id: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(parent, parent_id)
        .on_delete(ForeignKeyAction::Restrict)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(name: &str, table: impl IntoIden, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(Alias::new(*column));
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Country::Table)
                    .col(big_pk_auto(Country::Id))
                    .col(string_uniq(Country::IsoCode))
                    .col(string(Country::Name))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Institution::Table)
                    .col(big_pk_auto(Institution::Id))
                    .col(string_uniq(Institution::Key))
                    .col(string_null(Institution::Abbreviation))
                    .col(string(Institution::Kind))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InstitutionTranslation::Table)
                    .col(big_integer(InstitutionTranslation::InstitutionId))
                    .col(string(InstitutionTranslation::Language))
                    .col(text(InstitutionTranslation::Name))
                    .primary_key(
                        Index::create()
                            .col(InstitutionTranslation::InstitutionId)
                            .col(InstitutionTranslation::Language),
                    )
                    .foreign_key(&mut owned_by(
                        InstitutionTranslation::Table,
                        InstitutionTranslation::InstitutionId,
                        Institution::Table,
                        Institution::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PolicyArea::Table)
                    .col(big_pk_auto(PolicyArea::Id))
                    .col(string_uniq(PolicyArea::Name))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ActionPlan::Table)
                    .col(big_pk_auto(ActionPlan::Id))
                    .col(string_uniq(ActionPlan::Key))
                    .col(big_integer(ActionPlan::CountryId))
                    .col(integer(ActionPlan::CycleYear))
                    .col(string_null(ActionPlan::StartDate))
                    .col(string_null(ActionPlan::EndDate))
                    .col(string_null(ActionPlan::Status))
                    .foreign_key(&mut refers_to(
                        ActionPlan::Table,
                        ActionPlan::CountryId,
                        Country::Table,
                        Country::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_action_plan_country",
                ActionPlan::Table,
                &["country_id", "cycle_year"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ActionPlanTranslation::Table)
                    .col(big_integer(ActionPlanTranslation::ActionPlanId))
                    .col(string(ActionPlanTranslation::Language))
                    .col(text(ActionPlanTranslation::Title))
                    .primary_key(
                        Index::create()
                            .col(ActionPlanTranslation::ActionPlanId)
                            .col(ActionPlanTranslation::Language),
                    )
                    .foreign_key(&mut owned_by(
                        ActionPlanTranslation::Table,
                        ActionPlanTranslation::ActionPlanId,
                        ActionPlan::Table,
                        ActionPlan::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Commitment::Table)
                    .col(big_pk_auto(Commitment::Id))
                    .col(string_uniq(Commitment::Code))
                    .col(big_integer(Commitment::ActionPlanId))
                    .col(string(Commitment::Status))
                    .col(big_integer_null(Commitment::LeadInstitutionId))
                    .col(string_null(Commitment::PeriodStart))
                    .col(string_null(Commitment::PeriodEnd))
                    .col(text_null(Commitment::IrmReport))
                    .col(boolean_null(Commitment::IrmStarred))
                    .col(string_null(Commitment::IrmEarlyResults))
                    .col(boolean_null(Commitment::IrmVerifiable))
                    .col(text_null(Commitment::IrmOgpValues))
                    .col(string_null(Commitment::IrmPotentialImpact))
                    .col(string_null(Commitment::IrmCompletion))
                    .foreign_key(&mut refers_to(
                        Commitment::Table,
                        Commitment::ActionPlanId,
                        ActionPlan::Table,
                        ActionPlan::Id,
                    ))
                    .foreign_key(&mut refers_to(
                        Commitment::Table,
                        Commitment::LeadInstitutionId,
                        Institution::Table,
                        Institution::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_commitment_action_plan",
                Commitment::Table,
                &["action_plan_id", "code"],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_commitment_lead_institution",
                Commitment::Table,
                &["lead_institution_id"],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_commitment_status",
                Commitment::Table,
                &["status", "code"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CommitmentTranslation::Table)
                    .col(big_integer(CommitmentTranslation::CommitmentId))
                    .col(string(CommitmentTranslation::Language))
                    .col(text(CommitmentTranslation::Title))
                    .col(text_null(CommitmentTranslation::FullTitle))
                    .col(text_null(CommitmentTranslation::PublicProblem))
                    .col(text_null(CommitmentTranslation::Description))
                    .col(text_null(CommitmentTranslation::HowItContributes))
                    .col(text_null(CommitmentTranslation::OgpRelevance))
                    .col(text_null(CommitmentTranslation::AdditionalInformation))
                    .primary_key(
                        Index::create()
                            .col(CommitmentTranslation::CommitmentId)
                            .col(CommitmentTranslation::Language),
                    )
                    .foreign_key(&mut owned_by(
                        CommitmentTranslation::Table,
                        CommitmentTranslation::CommitmentId,
                        Commitment::Table,
                        Commitment::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CommitmentSupportInstitution::Table)
                    .col(big_integer(CommitmentSupportInstitution::CommitmentId))
                    .col(big_integer(CommitmentSupportInstitution::InstitutionId))
                    .primary_key(
                        Index::create()
                            .col(CommitmentSupportInstitution::CommitmentId)
                            .col(CommitmentSupportInstitution::InstitutionId),
                    )
                    .foreign_key(&mut owned_by(
                        CommitmentSupportInstitution::Table,
                        CommitmentSupportInstitution::CommitmentId,
                        Commitment::Table,
                        Commitment::Id,
                    ))
                    .foreign_key(&mut refers_to(
                        CommitmentSupportInstitution::Table,
                        CommitmentSupportInstitution::InstitutionId,
                        Institution::Table,
                        Institution::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_commitment_support_institution_institution",
                CommitmentSupportInstitution::Table,
                &["institution_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CommitmentPolicyArea::Table)
                    .col(big_integer(CommitmentPolicyArea::CommitmentId))
                    .col(big_integer(CommitmentPolicyArea::PolicyAreaId))
                    .primary_key(
                        Index::create()
                            .col(CommitmentPolicyArea::CommitmentId)
                            .col(CommitmentPolicyArea::PolicyAreaId),
                    )
                    .foreign_key(&mut owned_by(
                        CommitmentPolicyArea::Table,
                        CommitmentPolicyArea::CommitmentId,
                        Commitment::Table,
                        Commitment::Id,
                    ))
                    .foreign_key(&mut refers_to(
                        CommitmentPolicyArea::Table,
                        CommitmentPolicyArea::PolicyAreaId,
                        PolicyArea::Table,
                        PolicyArea::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_commitment_policy_area_policy_area",
                CommitmentPolicyArea::Table,
                &["policy_area_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CommitmentRelation::Table)
                    .col(big_integer(CommitmentRelation::CommitmentId))
                    .col(big_integer(CommitmentRelation::RelatedCommitmentId))
                    .primary_key(
                        Index::create()
                            .col(CommitmentRelation::CommitmentId)
                            .col(CommitmentRelation::RelatedCommitmentId),
                    )
                    .foreign_key(&mut owned_by(
                        CommitmentRelation::Table,
                        CommitmentRelation::CommitmentId,
                        Commitment::Table,
                        Commitment::Id,
                    ))
                    .foreign_key(&mut owned_by(
                        CommitmentRelation::Table,
                        CommitmentRelation::RelatedCommitmentId,
                        Commitment::Table,
                        Commitment::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Milestone::Table)
                    .col(big_pk_auto(Milestone::Id))
                    .col(big_integer(Milestone::CommitmentId))
                    .col(integer(Milestone::Position))
                    .col(string_null(Milestone::StartDate))
                    .col(string_null(Milestone::EndDate))
                    .col(string_null(Milestone::Status))
                    .foreign_key(&mut owned_by(
                        Milestone::Table,
                        Milestone::CommitmentId,
                        Commitment::Table,
                        Commitment::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "idx_milestone_commitment_position",
                    Milestone::Table,
                    &["commitment_id", "position"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MilestoneTranslation::Table)
                    .col(big_integer(MilestoneTranslation::MilestoneId))
                    .col(string(MilestoneTranslation::Language))
                    .col(text(MilestoneTranslation::Title))
                    .primary_key(
                        Index::create()
                            .col(MilestoneTranslation::MilestoneId)
                            .col(MilestoneTranslation::Language),
                    )
                    .foreign_key(&mut owned_by(
                        MilestoneTranslation::Table,
                        MilestoneTranslation::MilestoneId,
                        Milestone::Table,
                        Milestone::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FocalPoint::Table)
                    .col(big_pk_auto(FocalPoint::Id))
                    .col(string_uniq(FocalPoint::Key))
                    .col(string(FocalPoint::Name))
                    .col(string_null(FocalPoint::Title))
                    .col(string_null(FocalPoint::Department))
                    .col(string_null(FocalPoint::Email))
                    .col(string_null(FocalPoint::Phone))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CommitmentFocalPoint::Table)
                    .col(big_integer(CommitmentFocalPoint::CommitmentId))
                    .col(big_integer(CommitmentFocalPoint::FocalPointId))
                    .primary_key(
                        Index::create()
                            .col(CommitmentFocalPoint::CommitmentId)
                            .col(CommitmentFocalPoint::FocalPointId),
                    )
                    .foreign_key(&mut owned_by(
                        CommitmentFocalPoint::Table,
                        CommitmentFocalPoint::CommitmentId,
                        Commitment::Table,
                        Commitment::Id,
                    ))
                    .foreign_key(&mut owned_by(
                        CommitmentFocalPoint::Table,
                        CommitmentFocalPoint::FocalPointId,
                        FocalPoint::Table,
                        FocalPoint::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_commitment_focal_point_focal_point",
                CommitmentFocalPoint::Table,
                &["focal_point_id"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children before parents, so foreign keys never block the drop.
        let tables: [DynIden; 15] = [
            CommitmentFocalPoint::Table.into_iden(),
            FocalPoint::Table.into_iden(),
            MilestoneTranslation::Table.into_iden(),
            Milestone::Table.into_iden(),
            CommitmentRelation::Table.into_iden(),
            CommitmentPolicyArea::Table.into_iden(),
            CommitmentSupportInstitution::Table.into_iden(),
            CommitmentTranslation::Table.into_iden(),
            Commitment::Table.into_iden(),
            ActionPlanTranslation::Table.into_iden(),
            ActionPlan::Table.into_iden(),
            PolicyArea::Table.into_iden(),
            InstitutionTranslation::Table.into_iden(),
            Institution::Table.into_iden(),
            Country::Table.into_iden(),
        ];
        for table in tables {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
