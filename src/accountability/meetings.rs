//! The dialogue record: meetings of an action plan's multi-stakeholder
//! forum and on its implementation, with who attended by sector and which
//! commitments were discussed. OGP's standards ask for a forum meeting at
//! least every six months and two implementation meetings a year.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{action_plan, commitment, commitment_focal_point, meeting, meeting_commitment};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, TransactionTrait, sea_query::Query,
};
use serde_json::json;

use crate::{
    catalog::{
        pagination::{Direction, Listing, Ordering},
        rules,
        vocabulary::MeetingKind,
    },
    editing::{audit_write, json as json_of},
    error::{AppError, AppResult},
    staff::{Actor, Role},
};

/// The sectors attendance is counted by, in the order they are listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sector {
    Government,
    CivilSociety,
    PrivateSector,
    Academia,
    Other,
}

impl Sector {
    pub const ALL: [Self; 5] = [
        Self::Government,
        Self::CivilSociety,
        Self::PrivateSector,
        Self::Academia,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Government => "government",
            Self::CivilSociety => "civil_society",
            Self::PrivateSector => "private_sector",
            Self::Academia => "academia",
            Self::Other => "other",
        }
    }

    /// How many of this sector attended `row`.
    pub fn count_in(self, row: &meeting::Model) -> i32 {
        match self {
            Self::Government => row.government,
            Self::CivilSociety => row.civil_society,
            Self::PrivateSector => row.private_sector,
            Self::Academia => row.academia,
            Self::Other => row.other,
        }
    }
}

/// Most attendees one sector may count (a typo guard, not a venue limit).
pub const MAX_ATTENDEES: i32 = 100_000;
/// Longest minutes link, in characters.
const MAX_LINK_CHARS: usize = 2_000;

#[derive(Clone, Debug)]
pub struct NewMeeting {
    pub action_plan_id: i64,
    pub held_on: NaiveDate,
    pub kind: MeetingKind,
    pub attendees: Vec<(Sector, i32)>,
    pub minutes_url: Option<String>,
    pub commitment_ids: Vec<i64>,
}

/// Records a meeting: admins, or focal points of a commitment of the plan.
pub async fn record(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    new: NewMeeting,
) -> AppResult<meeting::Model> {
    let by = actor.staff()?;
    let txn = db.begin().await?;
    if action_plan::Entity::find_by_id(new.action_plan_id)
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(AppError::bad_input("actionPlanId", "no such action plan"));
    }
    let plan_commitments = Query::select()
        .column(commitment::Column::Id)
        .from(commitment::Entity)
        .and_where(commitment::Column::ActionPlanId.eq(new.action_plan_id))
        .to_owned();
    let allowed = by.has(Role::Admin)
        || match (by.has(Role::FocalPoint), by.focal_point_id) {
            (true, Some(focal_point_id)) => {
                commitment_focal_point::Entity::find()
                    .filter(commitment_focal_point::Column::FocalPointId.eq(focal_point_id))
                    .filter(
                        commitment_focal_point::Column::CommitmentId
                            .in_subquery(plan_commitments.clone()),
                    )
                    .count(&txn)
                    .await?
                    > 0
            }
            _ => false,
        };
    if !allowed {
        return Err(AppError::forbidden("record meetings of this action plan"));
    }
    if new.held_on > now.date_naive() {
        return Err(AppError::bad_input(
            "date",
            format!("{} is after today", new.held_on),
        ));
    }
    let mut counts: HashMap<Sector, i32> = HashMap::new();
    for (index, (sector, count)) in new.attendees.iter().enumerate() {
        if !(0..=MAX_ATTENDEES).contains(count) {
            return Err(AppError::bad_input(
                format!("attendees[{index}].count"),
                format!("from 0 to {MAX_ATTENDEES}"),
            ));
        }
        if counts.insert(*sector, *count).is_some() {
            return Err(AppError::bad_input(
                format!("attendees[{index}].sector"),
                "each sector once",
            ));
        }
    }
    let minutes_url = match new.minutes_url.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(url) => {
            rules::text(url, MAX_LINK_CHARS)
                .and_then(|()| rules::web_link(url))
                .map_err(|message| AppError::bad_input("minutesUrl", message))?;
            Some(url.to_owned())
        }
    };
    let mut commitment_ids = new.commitment_ids.clone();
    commitment_ids.sort_unstable();
    commitment_ids.dedup();
    let in_plan = commitment::Entity::find()
        .filter(commitment::Column::Id.is_in(commitment_ids.iter().copied()))
        .filter(commitment::Column::ActionPlanId.eq(new.action_plan_id))
        .count(&txn)
        .await?;
    if in_plan != commitment_ids.len() as u64 {
        return Err(AppError::bad_input(
            "commitmentIds",
            "every commitment discussed must belong to the action plan",
        ));
    }
    let count = |sector: Sector| counts.get(&sector).copied().unwrap_or(0);
    let row = meeting::ActiveModel {
        action_plan_id: Set(new.action_plan_id),
        held_on: Set(new.held_on),
        kind: Set(new.kind.as_str().to_owned()),
        government: Set(count(Sector::Government)),
        civil_society: Set(count(Sector::CivilSociety)),
        private_sector: Set(count(Sector::PrivateSector)),
        academia: Set(count(Sector::Academia)),
        other: Set(count(Sector::Other)),
        minutes_url: Set(minutes_url),
        staff_id: Set(by.staff_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for commitment_id in &commitment_ids {
        meeting_commitment::ActiveModel {
            meeting_id: Set(row.id),
            commitment_id: Set(*commitment_id),
        }
        .insert(&txn)
        .await?;
    }
    let after = json!({ "meeting": json_of(&row), "commitmentIds": commitment_ids });
    audit_write(&txn, by, ("meeting", row.id), None, after, now).await?;
    txn.commit().await?;
    Ok(row)
}

const NEWEST_FIRST: Ordering = Ordering {
    name: "date",
    direction: Direction::Descending,
};

/// An action plan's meetings, newest first.
pub fn of_action_plan(action_plan_id: i64) -> Listing<meeting::Entity, NaiveDate> {
    let query = meeting::Entity::find().filter(meeting::Column::ActionPlanId.eq(action_plan_id));
    Listing::new(
        query,
        meeting::Column::HeldOn,
        |row| row.held_on,
        NEWEST_FIRST,
    )
    .tiebreak(meeting::Column::Id, |row| row.id)
}

/// The meetings where a commitment was discussed, newest first.
pub fn of_commitment(commitment_id: i64) -> Listing<meeting::Entity, NaiveDate> {
    let query = meeting::Entity::find().filter(
        meeting::Column::Id.in_subquery(
            Query::select()
                .column(meeting_commitment::Column::MeetingId)
                .from(meeting_commitment::Entity)
                .and_where(meeting_commitment::Column::CommitmentId.eq(commitment_id))
                .to_owned(),
        ),
    );
    Listing::new(
        query,
        meeting::Column::HeldOn,
        |row| row.held_on,
        NEWEST_FIRST,
    )
    .tiebreak(meeting::Column::Id, |row| row.id)
}

/// Every meeting of an action plan, oldest first (for reports and exports).
pub async fn all_of_action_plan<C: sea_orm::ConnectionTrait>(
    db: &C,
    action_plan_id: i64,
) -> AppResult<Vec<meeting::Model>> {
    Ok(meeting::Entity::find()
        .filter(meeting::Column::ActionPlanId.eq(action_plan_id))
        .order_by_asc(meeting::Column::HeldOn)
        .order_by_asc(meeting::Column::Id)
        .all(db)
        .await?)
}
