//! Communication campaigns, their activities, the awareness figures recorded
//! against those activities, and citizens' answers to the awareness pulse.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaign {
    Table,
    Id,
    Key,
    Title,
    Objective,
    TargetAudience,
    Languages,
    StartDate,
    EndDate,
    Status,
    InstitutionId,
    BudgetMinor,
    BudgetCurrency,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CampaignCommitment {
    Table,
    CampaignId,
    CommitmentId,
}

#[derive(DeriveIden)]
enum CampaignMilestone {
    Table,
    CampaignId,
    MilestoneId,
}

#[derive(DeriveIden)]
enum CampaignActivity {
    Table,
    Id,
    CampaignId,
    Channel,
    Title,
    StartDate,
    EndDate,
    Region,
    Language,
    Link,
    Notes,
}

#[derive(DeriveIden)]
enum AwarenessMetric {
    Table,
    Id,
    ActivityId,
    Kind,
    Value,
    PeriodStart,
    PeriodEnd,
    Source,
    RecordedAt,
}

#[derive(DeriveIden)]
enum AwarenessAnswer {
    Table,
    Id,
    CommitmentId,
    ActionPlanId,
    Day,
    RespondentKey,
    Aware,
    Channel,
    Region,
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
enum ActionPlan {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Institution {
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Campaign::Table)
                    .col(big_pk_auto(Campaign::Id))
                    // Natural key of campaigns that come from a catalogue file.
                    .col(string_null(Campaign::Key).unique_key())
                    .col(string(Campaign::Title))
                    .col(text_null(Campaign::Objective))
                    .col(text_null(Campaign::TargetAudience))
                    // Canonical language codes, comma-separated ("ar,fr").
                    .col(string(Campaign::Languages).default(""))
                    .col(string_null(Campaign::StartDate))
                    .col(string_null(Campaign::EndDate))
                    // `planned`, `running` or `completed`.
                    .col(string(Campaign::Status))
                    .col(big_integer_null(Campaign::InstitutionId))
                    // In the currency's hundredths, so sums stay exact.
                    .col(big_integer_null(Campaign::BudgetMinor))
                    .col(string_null(Campaign::BudgetCurrency))
                    .col(timestamp_with_time_zone(Campaign::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Campaign::Table, Campaign::InstitutionId)
                            .to(Institution::Table, Institution::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CampaignCommitment::Table)
                    .col(big_integer(CampaignCommitment::CampaignId))
                    .col(big_integer(CampaignCommitment::CommitmentId))
                    .primary_key(
                        Index::create()
                            .col(CampaignCommitment::CampaignId)
                            .col(CampaignCommitment::CommitmentId),
                    )
                    .foreign_key(&mut cascade(
                        (CampaignCommitment::Table, CampaignCommitment::CampaignId),
                        (Campaign::Table, Campaign::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (CampaignCommitment::Table, CampaignCommitment::CommitmentId),
                        (Commitment::Table, Commitment::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CampaignMilestone::Table)
                    .col(big_integer(CampaignMilestone::CampaignId))
                    .col(big_integer(CampaignMilestone::MilestoneId))
                    .primary_key(
                        Index::create()
                            .col(CampaignMilestone::CampaignId)
                            .col(CampaignMilestone::MilestoneId),
                    )
                    .foreign_key(&mut cascade(
                        (CampaignMilestone::Table, CampaignMilestone::CampaignId),
                        (Campaign::Table, Campaign::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (CampaignMilestone::Table, CampaignMilestone::MilestoneId),
                        (Milestone::Table, Milestone::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CampaignActivity::Table)
                    .col(big_pk_auto(CampaignActivity::Id))
                    .col(big_integer(CampaignActivity::CampaignId))
                    // `press`, `television`, … `other`.
                    .col(string(CampaignActivity::Channel))
                    .col(string(CampaignActivity::Title))
                    .col(date(CampaignActivity::StartDate))
                    .col(date_null(CampaignActivity::EndDate))
                    .col(string_null(CampaignActivity::Region))
                    .col(string_null(CampaignActivity::Language))
                    .col(text_null(CampaignActivity::Link))
                    .col(text_null(CampaignActivity::Notes))
                    .foreign_key(&mut cascade(
                        (CampaignActivity::Table, CampaignActivity::CampaignId),
                        (Campaign::Table, Campaign::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AwarenessMetric::Table)
                    .col(big_pk_auto(AwarenessMetric::Id))
                    .col(big_integer(AwarenessMetric::ActivityId))
                    // `reach`, `impressions`, … `media_mentions`.
                    .col(string(AwarenessMetric::Kind))
                    .col(big_integer(AwarenessMetric::Value))
                    .col(date(AwarenessMetric::PeriodStart))
                    .col(date(AwarenessMetric::PeriodEnd))
                    .col(string_null(AwarenessMetric::Source))
                    .col(timestamp_with_time_zone(AwarenessMetric::RecordedAt))
                    .foreign_key(&mut cascade(
                        (AwarenessMetric::Table, AwarenessMetric::ActivityId),
                        (CampaignActivity::Table, CampaignActivity::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AwarenessAnswer::Table)
                    .col(big_pk_auto(AwarenessAnswer::Id))
                    // Exactly one of the two subjects is set.
                    .col(big_integer_null(AwarenessAnswer::CommitmentId))
                    .col(big_integer_null(AwarenessAnswer::ActionPlanId))
                    .col(date(AwarenessAnswer::Day))
                    // Salted hash of (visitor, subject, day): it tells one
                    // answer from another that day and links nothing else.
                    .col(string_uniq(AwarenessAnswer::RespondentKey))
                    .col(boolean(AwarenessAnswer::Aware))
                    .col(string_null(AwarenessAnswer::Channel))
                    .col(string_null(AwarenessAnswer::Region))
                    .foreign_key(&mut cascade(
                        (AwarenessAnswer::Table, AwarenessAnswer::CommitmentId),
                        (Commitment::Table, Commitment::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (AwarenessAnswer::Table, AwarenessAnswer::ActionPlanId),
                        (ActionPlan::Table, ActionPlan::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        let indexes = [
            Index::create()
                .name("idx_campaign_commitment_commitment")
                .table(CampaignCommitment::Table)
                .col(CampaignCommitment::CommitmentId)
                .col(CampaignCommitment::CampaignId)
                .to_owned(),
            Index::create()
                .name("idx_campaign_activity_campaign")
                .table(CampaignActivity::Table)
                .col(CampaignActivity::CampaignId)
                .col(CampaignActivity::StartDate)
                .col(CampaignActivity::Id)
                .to_owned(),
            // Recording the same figure again corrects it: one row per
            // activity, kind and period.
            Index::create()
                .name("idx_awareness_metric_key")
                .table(AwarenessMetric::Table)
                .col(AwarenessMetric::ActivityId)
                .col(AwarenessMetric::Kind)
                .col(AwarenessMetric::PeriodStart)
                .col(AwarenessMetric::PeriodEnd)
                .unique()
                .to_owned(),
            Index::create()
                .name("idx_awareness_metric_period")
                .table(AwarenessMetric::Table)
                .col(AwarenessMetric::PeriodStart)
                .to_owned(),
            Index::create()
                .name("idx_awareness_answer_commitment")
                .table(AwarenessAnswer::Table)
                .col(AwarenessAnswer::CommitmentId)
                .col(AwarenessAnswer::Day)
                .to_owned(),
            Index::create()
                .name("idx_awareness_answer_action_plan")
                .table(AwarenessAnswer::Table)
                .col(AwarenessAnswer::ActionPlanId)
                .col(AwarenessAnswer::Day)
                .to_owned(),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AwarenessAnswer::Table.into_iden(),
            AwarenessMetric::Table.into_iden(),
            CampaignActivity::Table.into_iden(),
            CampaignMilestone::Table.into_iden(),
            CampaignCommitment::Table.into_iden(),
            Campaign::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
