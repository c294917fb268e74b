//! Communication campaigns: what a government does to make its commitments
//! known (MO0018's communication plan is one), the activities that carry it
//! out, and the awareness figures measured for each activity. Knows nothing
//! of GraphQL.
//!
//! Who may write: admins manage every campaign; a focal point manages the
//! campaigns linked to a commitment they are responsible for, and links or
//! unlinks only such commitments. Reads are public.

pub mod activities;
pub mod metrics;
pub mod metrics_csv;
pub mod writing;

use entity::{
    campaign, campaign_activity, campaign_commitment, commitment, commitment_focal_point,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    sea_query::Query,
};

use crate::{
    catalog::pagination::{Listing, Ordering},
    error::{AppError, AppResult},
    staff::{Actor, Principal, Role},
};

/// The staff member acting on campaign `campaign_id`, if they may manage it.
/// A campaign that does not exist answers `BAD_USER_INPUT` on `field`.
pub async fn manager<'a, C: ConnectionTrait>(
    db: &C,
    actor: &'a Actor,
    campaign_id: i64,
    field: &str,
) -> AppResult<(&'a Principal, campaign::Model)> {
    let principal = actor.staff()?;
    let campaign = campaign::Entity::find_by_id(campaign_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input(field, "no such campaign"))?;
    if principal.has(Role::Admin) {
        return Ok((principal, campaign));
    }
    if let (true, Some(focal_point_id)) =
        (principal.has(Role::FocalPoint), principal.focal_point_id)
    {
        let theirs = campaign_commitment::Entity::find()
            .filter(campaign_commitment::Column::CampaignId.eq(campaign_id))
            .filter(
                campaign_commitment::Column::CommitmentId.in_subquery(
                    Query::select()
                        .column(commitment_focal_point::Column::CommitmentId)
                        .from(commitment_focal_point::Entity)
                        .and_where(commitment_focal_point::Column::FocalPointId.eq(focal_point_id))
                        .to_owned(),
                ),
            )
            .count(db)
            .await?
            > 0;
        if theirs {
            return Ok((principal, campaign));
        }
    }
    Err(AppError::forbidden(
        "manage this campaign (it supports none of your commitments)",
    ))
}

/// Checks that the actor may link (or unlink) each of `commitment_ids`.
pub(crate) async fn may_link<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    commitment_ids: &[i64],
) -> AppResult<()> {
    for &id in commitment_ids {
        if commitment::Entity::find_by_id(id).one(db).await?.is_none() {
            return Err(AppError::bad_input("commitmentIds", "no such commitment"));
        }
        actor
            .commitment_editor(
                db,
                id,
                "link campaigns to a commitment you are not responsible for",
            )
            .await?;
    }
    Ok(())
}

const BY_CREATION: Ordering = Ordering::ascending("id");

/// Campaigns supporting a commitment, oldest first.
pub fn of_commitment(commitment_id: i64) -> Listing<campaign::Entity, i64> {
    let query = campaign::Entity::find().filter(
        campaign::Column::Id.in_subquery(
            Query::select()
                .column(campaign_commitment::Column::CampaignId)
                .from(campaign_commitment::Entity)
                .and_where(campaign_commitment::Column::CommitmentId.eq(commitment_id))
                .to_owned(),
        ),
    );
    Listing::new(query, campaign::Column::Id, |row| row.id, BY_CREATION)
}

/// Campaigns supporting any commitment of an action plan, each once, oldest
/// first.
pub fn of_action_plan(action_plan_id: i64) -> Listing<campaign::Entity, i64> {
    let query = campaign::Entity::find().filter(
        campaign::Column::Id.in_subquery(
            Query::select()
                .column(campaign_commitment::Column::CampaignId)
                .from(campaign_commitment::Entity)
                .and_where(
                    campaign_commitment::Column::CommitmentId.in_subquery(
                        Query::select()
                            .column(commitment::Column::Id)
                            .from(commitment::Entity)
                            .and_where(commitment::Column::ActionPlanId.eq(action_plan_id))
                            .to_owned(),
                    ),
                )
                .to_owned(),
        ),
    );
    Listing::new(query, campaign::Column::Id, |row| row.id, BY_CREATION)
}

/// A campaign's activities by start date (then creation).
pub fn activities_of(campaign_id: i64) -> Listing<campaign_activity::Entity, chrono::NaiveDate> {
    let query = campaign_activity::Entity::find()
        .filter(campaign_activity::Column::CampaignId.eq(campaign_id));
    Listing::new(
        query,
        campaign_activity::Column::StartDate,
        |row| row.start_date,
        Ordering::ascending("startDate"),
    )
    .tiebreak(campaign_activity::Column::Id, |row| row.id)
}

/// The ids of the commitments a campaign supports.
pub async fn commitment_ids<C: ConnectionTrait>(db: &C, campaign_id: i64) -> AppResult<Vec<i64>> {
    Ok(campaign_commitment::Entity::find()
        .select_only()
        .column(campaign_commitment::Column::CommitmentId)
        .filter(campaign_commitment::Column::CampaignId.eq(campaign_id))
        .into_tuple::<i64>()
        .all(db)
        .await?)
}
