//! The dialogue record of an action plan: forum and implementation
//! meetings.

use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, Object, Result, SimpleObject,
};
use entity::meeting;

use super::{
    action_plan::ActionPlan,
    commitment::Commitment,
    connection::{ConnectionFuture, SHORT_LIST_COST, connection, no_prefetch},
    guards::StaffOnly,
    inputs,
    loaders::{ActionPlanById, CommitmentById, CommitmentsOfMeeting},
    node::{NodeType, global_id},
    scalars::Date,
    staff::{actor, id_of, now},
};
use crate::{
    accountability::meetings::{self, NewMeeting, Sector as DomainSector},
    catalog::{
        pagination::{Listing, PageRequest},
        vocabulary,
    },
    error::AppError,
};

/// The meetings OGP's co-creation standards ask for.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum MeetingKind {
    /// The multi-stakeholder forum (at least every six months).
    Forum,
    /// A meeting on the plan's implementation (at least two a year).
    Implementation,
}

impl From<MeetingKind> for vocabulary::MeetingKind {
    fn from(value: MeetingKind) -> Self {
        match value {
            MeetingKind::Forum => Self::Forum,
            MeetingKind::Implementation => Self::Implementation,
        }
    }
}

/// Where attendees come from.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[expect(
    clippy::enum_variant_names,
    reason = "the sectors' own names: private sector, civil society"
)]
pub enum Sector {
    /// Government.
    Government,
    /// Civil society organisations.
    CivilSociety,
    /// Businesses.
    PrivateSector,
    /// Universities and research.
    Academia,
    /// Anyone else (citizens, media…).
    Other,
}

impl From<Sector> for DomainSector {
    fn from(value: Sector) -> Self {
        match value {
            Sector::Government => Self::Government,
            Sector::CivilSociety => Self::CivilSociety,
            Sector::PrivateSector => Self::PrivateSector,
            Sector::Academia => Self::Academia,
            Sector::Other => Self::Other,
        }
    }
}

impl From<DomainSector> for Sector {
    fn from(value: DomainSector) -> Self {
        match value {
            DomainSector::Government => Self::Government,
            DomainSector::CivilSociety => Self::CivilSociety,
            DomainSector::PrivateSector => Self::PrivateSector,
            DomainSector::Academia => Self::Academia,
            DomainSector::Other => Self::Other,
        }
    }
}

/// How many of one sector attended.
#[derive(SimpleObject)]
pub struct Attendance {
    /// The sector.
    sector: Sector,
    /// How many attended.
    count: i32,
}

/// A dialogue meeting of an action plan.
pub struct Meeting(pub meeting::Model);

/// A dialogue meeting of an action plan.
#[Object]
impl Meeting {
    /// Opaque global id.
    pub(super) async fn id(&self) -> ID {
        global_id(NodeType::Meeting, self.0.id)
    }

    /// The action plan it is about.
    async fn action_plan(&self, ctx: &Context<'_>) -> Result<ActionPlan> {
        super::loader(ctx)?
            .load_one(ActionPlanById(self.0.action_plan_id))
            .await?
            .map(ActionPlan)
            .ok_or_else(|| {
                AppError::Internal(format!("meeting {} has no action plan", self.0.id)).extend()
            })
    }

    /// When it was held.
    async fn date(&self) -> Date {
        Date(self.0.held_on)
    }

    /// What meeting it was.
    async fn kind(&self) -> MeetingKind {
        match vocabulary::MeetingKind::parse(&self.0.kind) {
            Some(vocabulary::MeetingKind::Forum) => MeetingKind::Forum,
            _ => MeetingKind::Implementation,
        }
    }

    /// Who attended, by sector (sectors with attendees only).
    async fn attendees(&self) -> Vec<Attendance> {
        DomainSector::ALL
            .into_iter()
            .map(|sector| (sector, sector.count_in(&self.0)))
            .filter(|(_, count)| *count > 0)
            .map(|(sector, count)| Attendance {
                sector: sector.into(),
                count,
            })
            .collect()
    }

    /// How many attended in all.
    async fn total_attendees(&self) -> i32 {
        DomainSector::ALL
            .into_iter()
            .map(|sector| sector.count_in(&self.0))
            .sum()
    }

    /// Where its minutes are published.
    async fn minutes_url(&self) -> Option<&str> {
        self.0.minutes_url.as_deref()
    }

    /// The commitments discussed, by code.
    #[graphql(complexity = "SHORT_LIST_COST * child_complexity")]
    async fn commitments(&self, ctx: &Context<'_>) -> Result<Vec<Commitment>> {
        let loader = super::loader(ctx)?;
        let links = loader
            .load_one(CommitmentsOfMeeting(self.0.id))
            .await?
            .unwrap_or_default();
        let found = loader
            .load_many(links.iter().map(|link| CommitmentById(link.commitment_id)))
            .await?;
        let mut rows: Vec<_> = found.into_values().collect();
        rows.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(rows.into_iter().map(Commitment).collect())
    }
}

/// Meetings as a connection, newest first.
pub(super) fn meeting_connection<'a>(
    ctx: &'a Context<'_>,
    listing: Listing<meeting::Entity, chrono::NaiveDate>,
    request: PageRequest,
) -> ConnectionFuture<'a, Meeting> {
    connection(ctx, listing, request, no_prefetch, Meeting)
}

/// Attendees of one sector.
#[derive(InputObject)]
pub struct AttendanceInput {
    /// The sector, each at most once.
    pub sector: Sector,
    /// How many attended, 0 or more.
    pub count: i32,
}

/// A meeting to record.
#[derive(InputObject)]
pub struct RecordMeetingInput {
    /// The action plan (an `ActionPlan.id`).
    pub action_plan_id: ID,
    /// When it was held; not after today.
    pub date: Date,
    /// What meeting it was.
    pub kind: MeetingKind,
    /// Who attended, by sector.
    #[graphql(default)]
    pub attendees: Vec<AttendanceInput>,
    /// Where its minutes are published (an http(s) address).
    pub minutes_url: Option<String>,
    /// The commitments discussed, all of the plan (`Commitment.id`s).
    #[graphql(default)]
    pub commitment_ids: Vec<ID>,
}

#[derive(Default)]
pub struct MeetingMutation;

#[Object]
impl MeetingMutation {
    /// Records a forum or implementation meeting of an action plan (admins,
    /// and focal points of its commitments).
    #[graphql(guard = "StaffOnly")]
    async fn record_meeting(
        &self,
        ctx: &Context<'_>,
        input: RecordMeetingInput,
    ) -> Result<Meeting> {
        let new = NewMeeting {
            action_plan_id: id_of("actionPlanId", &input.action_plan_id, NodeType::ActionPlan)?,
            held_on: input.date.0,
            kind: input.kind.into(),
            attendees: input
                .attendees
                .into_iter()
                .map(|a| (a.sector.into(), a.count))
                .collect(),
            minutes_url: input.minutes_url,
            commitment_ids: inputs::ids(
                "commitmentIds",
                &input.commitment_ids,
                NodeType::Commitment,
            )?,
        };
        let row = meetings::record(super::pool(ctx)?, actor(ctx), now(ctx)?, new)
            .await
            .map_err(|err| err.extend())?;
        Ok(Meeting(row))
    }
}
