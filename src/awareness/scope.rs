//! What a series or a figure is about, and which rows that takes in.

use entity::{
    action_plan, awareness_answer, campaign, campaign_activity, campaign_commitment, commitment,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    sea_query::{Condition, Query, SelectStatement},
};

use crate::error::AppResult;

/// The subject of awareness figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    /// Figures of the campaigns supporting the commitment; answers about it.
    Commitment(i64),
    /// Figures of the campaigns supporting any of the plan's commitments
    /// (each campaign once); answers about the plan and its commitments.
    ActionPlan(i64),
    /// Figures of the campaign's activities; answers about the commitments
    /// it supports.
    Campaign(i64),
}

fn commitments_of_plan(action_plan_id: i64) -> SelectStatement {
    Query::select()
        .column(commitment::Column::Id)
        .from(commitment::Entity)
        .and_where(commitment::Column::ActionPlanId.eq(action_plan_id))
        .to_owned()
}

impl Subject {
    /// Whether the record exists.
    pub async fn exists<C: ConnectionTrait>(self, db: &C) -> AppResult<bool> {
        let count = match self {
            Self::Commitment(id) => commitment::Entity::find_by_id(id).count(db).await?,
            Self::ActionPlan(id) => action_plan::Entity::find_by_id(id).count(db).await?,
            Self::Campaign(id) => campaign::Entity::find_by_id(id).count(db).await?,
        };
        Ok(count > 0)
    }

    /// The activities whose figures count: a condition on `campaign_activity`.
    pub(crate) fn activities(self) -> Condition {
        let linked = |commitments: Condition| {
            campaign_activity::Column::CampaignId.in_subquery(
                Query::select()
                    .column(campaign_commitment::Column::CampaignId)
                    .from(campaign_commitment::Entity)
                    .cond_where(commitments)
                    .to_owned(),
            )
        };
        Condition::all().add(match self {
            Self::Campaign(id) => campaign_activity::Column::CampaignId.eq(id),
            Self::Commitment(id) => {
                linked(Condition::all().add(campaign_commitment::Column::CommitmentId.eq(id)))
            }
            Self::ActionPlan(id) => linked(Condition::all().add(
                campaign_commitment::Column::CommitmentId.in_subquery(commitments_of_plan(id)),
            )),
        })
    }

    /// The answers that count: a condition on `awareness_answer`.
    pub(crate) fn answers(self) -> Condition {
        match self {
            Self::Commitment(id) => {
                Condition::all().add(awareness_answer::Column::CommitmentId.eq(id))
            }
            Self::ActionPlan(id) => Condition::any()
                .add(awareness_answer::Column::ActionPlanId.eq(id))
                .add(awareness_answer::Column::CommitmentId.in_subquery(commitments_of_plan(id))),
            Self::Campaign(id) => Condition::all().add(
                awareness_answer::Column::CommitmentId.in_subquery(
                    Query::select()
                        .column(campaign_commitment::Column::CommitmentId)
                        .from(campaign_commitment::Entity)
                        .and_where(campaign_commitment::Column::CampaignId.eq(id))
                        .to_owned(),
                ),
            ),
        }
    }
}
