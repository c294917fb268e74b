//! The compliance clock: what OGP's Participation & Co-Creation Standards
//! expect and this plan's data says is late. Computed on demand from the
//! updates, meetings, feedback and milestones, against configurable
//! thresholds and the injectable clock — nothing is stored, so an alert
//! clears as soon as what it asks for is done.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use entity::{action_plan, commitment, feedback, implementation_update};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{
    meetings,
    updates::{self, Level},
};
use crate::{
    catalog::{
        lookups,
        partial_date::PartialDate,
        vocabulary::{ActionPlanStatus, CommitmentStatus, IrmCompletion, MeetingKind},
    },
    error::AppResult,
    feedback::read::{official, published, unanswered},
};

/// The thresholds, OGP's by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ComplianceRules {
    /// The repository of evidence is updated at least twice a year.
    pub repository_stale_days: u32,
    /// The multi-stakeholder forum meets at least every six months.
    pub forum_interval_days: u32,
    /// Implementation meetings expected over the last twelve months.
    pub implementation_meetings_per_year: u32,
    /// Citizens get a reasoned response within this many days.
    pub response_due_days: u32,
}

impl Default for ComplianceRules {
    fn default() -> Self {
        Self {
            repository_stale_days: 183,
            forum_interval_days: 183,
            implementation_meetings_per_year: 2,
            response_due_days: 30,
        }
    }
}

/// What is late, in the order alerts are listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertKind {
    RepositoryStale,
    NoRecentForum,
    TooFewImplementationMeetings,
    FeedbackAwaitingResponse,
    MilestonesOverdue,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RepositoryStale => "repository_stale",
            Self::NoRecentForum => "no_recent_forum",
            Self::TooFewImplementationMeetings => "too_few_implementation_meetings",
            Self::FeedbackAwaitingResponse => "feedback_awaiting_response",
            Self::MilestonesOverdue => "milestones_overdue",
        }
    }
}

/// One alert, of an action plan or of one of its commitments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub kind: AlertKind,
    /// The commitment's id and code; none for the plan as a whole.
    pub commitment: Option<(i64, String)>,
    /// How many items it concerns, where that is a count.
    pub count: Option<u64>,
    /// The first day the threshold was crossed, when known.
    pub since: Option<NaiveDate>,
    /// A sentence for people.
    pub message: String,
}

fn plural(n: u64, one: &str, other: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {other}")
    }
}

fn add_days(day: NaiveDate, days: u32) -> Option<NaiveDate> {
    day.checked_add_days(Days::new(u64::from(days)))
}

fn first_day(text: Option<&str>) -> Option<NaiveDate> {
    PartialDate::parse(text?).ok()?.first_day()
}

/// Whether the clock runs for a plan: not once it is completed.
fn plan_in_scope(plan: &action_plan::Model) -> bool {
    plan.status.as_deref() != Some(ActionPlanStatus::Completed.as_str())
}

/// The alerts of one commitment.
pub async fn of_commitment<C: ConnectionTrait>(
    db: &C,
    rules: &ComplianceRules,
    now: DateTime<Utc>,
    row: &commitment::Model,
) -> AppResult<Vec<Alert>> {
    let Some(plan) = action_plan::Entity::find_by_id(row.action_plan_id)
        .one(db)
        .await?
    else {
        return Ok(Vec::new());
    };
    of_commitments(db, rules, now, &plan, std::slice::from_ref(row)).await
}

/// The alerts of some commitments of `plan`, in the order given.
pub async fn of_commitments<C: ConnectionTrait>(
    db: &C,
    rules: &ComplianceRules,
    now: DateTime<Utc>,
    plan: &action_plan::Model,
    rows: &[commitment::Model],
) -> AppResult<Vec<Alert>> {
    if !plan_in_scope(plan) {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let last = last_evidence(db, &ids).await?;
    commitment_alerts(db, rules, now, plan, rows, &last).await
}

/// The alerts of an action plan: its own first, then each commitment's by
/// code.
pub async fn of_action_plan<C: ConnectionTrait>(
    db: &C,
    rules: &ComplianceRules,
    now: DateTime<Utc>,
    plan: &action_plan::Model,
) -> AppResult<Vec<Alert>> {
    if !plan_in_scope(plan) {
        return Ok(Vec::new());
    }
    let commitments = commitment::Entity::find()
        .filter(commitment::Column::ActionPlanId.eq(plan.id))
        .order_by_asc(commitment::Column::Code)
        .all(db)
        .await?;
    let ids: Vec<i64> = commitments.iter().map(|c| c.id).collect();
    // Read once: the plan's freshness is its freshest commitment's.
    let last = last_evidence(db, &ids).await?;
    let newest = last.values().max().copied();
    let mut alerts = plan_alerts(db, rules, now, plan, newest).await?;
    alerts.extend(commitment_alerts(db, rules, now, plan, &commitments, &last).await?);
    Ok(alerts)
}

/// The alerts of an action plan as a whole, without its commitments'.
pub async fn of_action_plan_itself<C: ConnectionTrait>(
    db: &C,
    rules: &ComplianceRules,
    now: DateTime<Utc>,
    plan: &action_plan::Model,
) -> AppResult<Vec<Alert>> {
    if !plan_in_scope(plan) {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = commitment::Entity::find()
        .select_only()
        .column(commitment::Column::Id)
        .filter(commitment::Column::ActionPlanId.eq(plan.id))
        .into_tuple()
        .all(db)
        .await?;
    let newest = last_evidence(db, &ids).await?.into_values().max();
    plan_alerts(db, rules, now, plan, newest).await
}

/// When evidence was last posted on each commitment.
async fn last_evidence<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<HashMap<i64, DateTime<Utc>>> {
    let mut last: HashMap<i64, DateTime<Utc>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, DateTime<Utc>)> = implementation_update::Entity::find()
            .select_only()
            .column(implementation_update::Column::CommitmentId)
            .column(implementation_update::Column::CreatedAt)
            .filter(implementation_update::Column::CommitmentId.is_in(chunk.iter().copied()))
            .filter(implementation_update::Column::HasEvidence.eq(true))
            .into_tuple()
            .all(db)
            .await?;
        for (commitment_id, at) in rows {
            let newest = last.entry(commitment_id).or_insert(at);
            *newest = (*newest).max(at);
        }
    }
    Ok(last)
}

/// The repository alert of a commitment or plan (`subject`: how the
/// message names it, and the commitment), unless evidence was posted
/// (`last`) within the threshold. Without any evidence the clock runs from
/// `clock_start`, the start of implementation.
fn repository_alert(
    rules: &ComplianceRules,
    now: DateTime<Utc>,
    last: Option<DateTime<Utc>>,
    clock_start: Option<NaiveDate>,
    (name, commitment): (&str, Option<(i64, String)>),
) -> Option<Alert> {
    let days = rules.repository_stale_days;
    let (since, message) = match last {
        Some(at) if now - at <= chrono::Duration::days(i64::from(days)) => return None,
        Some(at) => (
            add_days(at.date_naive(), days),
            format!(
                "No evidence of implementation has been published for {name} in the last {days} days."
            ),
        ),
        None => (
            clock_start.and_then(|day| add_days(day, days)),
            format!("No evidence of implementation has been published for {name} yet."),
        ),
    };
    Some(Alert {
        kind: AlertKind::RepositoryStale,
        commitment,
        count: None,
        since,
        message,
    })
}

/// The plan's own alerts; `last` is when evidence was last posted on any
/// of its commitments.
async fn plan_alerts<C: ConnectionTrait>(
    db: &C,
    rules: &ComplianceRules,
    now: DateTime<Utc>,
    plan: &action_plan::Model,
    last: Option<DateTime<Utc>>,
) -> AppResult<Vec<Alert>> {
    let today = now.date_naive();
    let mut alerts = Vec::new();

    alerts.extend(repository_alert(
        rules,
        now,
        last,
        first_day(plan.start_date.as_deref()),
        ("any commitment of this plan", None),
    ));

    let held = meetings::all_of_action_plan(db, plan.id).await?;
    let forum = MeetingKind::Forum.as_str();
    let last_forum = held
        .iter()
        .filter(|m| m.kind == forum && m.held_on <= today)
        .map(|m| m.held_on)
        .max();
    let forum_due = |day: NaiveDate| add_days(day, rules.forum_interval_days);
    if last_forum.and_then(forum_due).is_none_or(|due| today > due) {
        let days = rules.forum_interval_days;
        let (since, message) = match last_forum {
            Some(day) => (
                forum_due(day).and_then(|due| due.succ_opt()),
                format!(
                    "The multi-stakeholder forum has not met in the last {days} days (last met on {day})."
                ),
            ),
            None => (
                first_day(plan.start_date.as_deref()).and_then(forum_due),
                "No meeting of the multi-stakeholder forum has been recorded.".to_owned(),
            ),
        };
        alerts.push(Alert {
            kind: AlertKind::NoRecentForum,
            commitment: None,
            count: None,
            since,
            message,
        });
    }

    let year_ago = today.checked_sub_days(Days::new(365)).unwrap_or(today);
    let implementation = MeetingKind::Implementation.as_str();
    let recent = held
        .iter()
        .filter(|m| m.kind == implementation && m.held_on > year_ago && m.held_on <= today)
        .count() as u64;
    let expected = u64::from(rules.implementation_meetings_per_year);
    if recent < expected {
        alerts.push(Alert {
            kind: AlertKind::TooFewImplementationMeetings,
            commitment: None,
            count: Some(recent),
            since: None,
            message: format!(
                "{} on the plan's implementation in the last 12 months; at least {expected} are expected.",
                plural(recent, "meeting", "meetings")
            ),
        });
    }
    Ok(alerts)
}

/// Per commitment: how many citizens' comments wait too long for an
/// official response, and the id of the oldest.
async fn overdue_feedback<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    before: DateTime<Utc>,
) -> AppResult<HashMap<i64, (u64, i64)>> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, i64, i64)> = published()
            .select_only()
            .column(feedback::Column::CommitmentId)
            .column_as(feedback::Column::Id.count(), "waiting")
            .column_as(feedback::Column::Id.min(), "oldest")
            .filter(feedback::Column::CommitmentId.is_in(chunk.iter().copied()))
            .filter(feedback::Column::ParentId.is_null())
            .filter(official(false))
            .filter(feedback::Column::CreatedAt.lt(before))
            .filter(unanswered())
            .group_by(feedback::Column::CommitmentId)
            .into_tuple()
            .all(db)
            .await?;
        for (commitment_id, waiting, oldest) in rows {
            found.insert(commitment_id, (u64::try_from(waiting).unwrap_or(0), oldest));
        }
    }
    Ok(found)
}

/// The alerts of `commitments`; `last` says when evidence was last posted
/// on each.
async fn commitment_alerts<C: ConnectionTrait>(
    db: &C,
    rules: &ComplianceRules,
    now: DateTime<Utc>,
    plan: &action_plan::Model,
    commitments: &[commitment::Model],
    last: &HashMap<i64, DateTime<Utc>>,
) -> AppResult<Vec<Alert>> {
    let withdrawn = CommitmentStatus::Withdrawn.as_str();
    let rows: Vec<&commitment::Model> = commitments
        .iter()
        .filter(|c| c.status != withdrawn)
        .collect();
    let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let today = now.date_naive();
    let due_days = chrono::Duration::days(i64::from(rules.response_due_days));
    let milestones = lookups::milestones_of(db, &ids).await?;
    let milestone_ids: Vec<i64> = milestones.values().flatten().map(|m| m.id).collect();
    let milestone_levels =
        updates::newest_with_evidence(db, Level::Milestones, &milestone_ids).await?;
    let waiting = overdue_feedback(db, &ids, now - due_days).await?;
    let oldest_ids: Vec<i64> = waiting.values().map(|(_, oldest)| *oldest).collect();
    let oldest_at: HashMap<i64, DateTime<Utc>> = if oldest_ids.is_empty() {
        HashMap::new()
    } else {
        feedback::Entity::find()
            .select_only()
            .column(feedback::Column::Id)
            .column(feedback::Column::CreatedAt)
            .filter(feedback::Column::Id.is_in(oldest_ids))
            .into_tuple::<(i64, DateTime<Utc>)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };

    let mut alerts = Vec::new();
    for row in rows {
        let about = Some((row.id, row.code.clone()));
        let code = &row.code;

        alerts.extend(repository_alert(
            rules,
            now,
            last.get(&row.id).copied(),
            first_day(row.period_start.as_deref())
                .or_else(|| first_day(plan.start_date.as_deref())),
            (code, about.clone()),
        ));

        if let Some((count, oldest)) = waiting.get(&row.id) {
            let days = rules.response_due_days;
            alerts.push(Alert {
                kind: AlertKind::FeedbackAwaitingResponse,
                commitment: about.clone(),
                count: Some(*count),
                since: oldest_at
                    .get(oldest)
                    .and_then(|at| add_days(at.date_naive(), days)),
                message: format!(
                    "{} on {code} {} waited more than {days} days for an official response.",
                    plural(*count, "citizen's comment", "citizens' comments"),
                    if *count == 1 { "has" } else { "have" },
                ),
            });
        }

        let mut overdue_since: Vec<NaiveDate> = Vec::new();
        for milestone in milestones.get(&row.id).into_iter().flatten() {
            let completed = milestone.status.as_deref() == Some("completed")
                || updates::level_of(milestone_levels.get(&milestone.id))
                    == IrmCompletion::Complete;
            let end = milestone
                .end_date
                .as_deref()
                .and_then(|text| PartialDate::parse(text).ok())
                .and_then(|date| date.last_day());
            if let (false, Some(end)) = (completed, end) {
                if end < today {
                    overdue_since.extend(end.succ_opt());
                }
            }
        }
        if !overdue_since.is_empty() {
            let count = overdue_since.len() as u64;
            alerts.push(Alert {
                kind: AlertKind::MilestonesOverdue,
                commitment: about,
                count: Some(count),
                since: overdue_since.into_iter().min(),
                message: format!(
                    "{} of {code} {} past {} end date without evidence of completion.",
                    plural(count, "milestone", "milestones"),
                    if count == 1 { "is" } else { "are" },
                    if count == 1 { "its" } else { "their" },
                ),
            });
        }
    }
    Ok(alerts)
}
