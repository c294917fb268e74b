//! What a digest says: for each commitment a focal point is responsible
//! for, what citizens said in the period, what still awaits an answer,
//! which milestones are due or overdue, and how awareness moved. Read from
//! the database only; rendering is elsewhere.

use chrono::{DateTime, Days, NaiveDate, Utc};
use entity::{
    action_plan, commitment, commitment_focal_point, commitment_translation, evidence, feedback,
    implementation_update, milestone, milestone_translation,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::{
    accountability::compliance::{self, Alert, ComplianceRules},
    awareness::{Subject, figures},
    catalog::partial_date::PartialDate,
    catalog::{lookups, vocabulary::ResponseDecision},
    error::AppResult,
    feedback::read::{comments_on, official, unanswered},
};

/// Items listed per section before "and N more".
pub const LISTED: u64 = 10;
/// How far ahead milestones count as due.
pub const DUE_WITHIN_DAYS: u64 = 30;
/// Characters of a comment quoted in a digest.
const EXCERPT_CHARS: usize = 200;

/// One digest's content.
#[derive(Clone, Debug)]
pub struct Digest {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// What OGP's standards expect and is late, on these commitments and
    /// their plans: listed ahead of everything else.
    pub alerts: Vec<Alert>,
    pub commitments: Vec<CommitmentNews>,
}

impl Digest {
    /// Whether anything happened in the period: new feedback, awareness
    /// figures, or a milestone that came due or overdue. What was already
    /// known (old unanswered comments, old overdue milestones) alone does
    /// not make a digest.
    pub fn has_news(&self) -> bool {
        let (since, until) = (self.since.date_naive(), self.until.date_naive());
        let alert_began = self
            .alerts
            .iter()
            .any(|alert| alert.since.is_some_and(|day| since < day && day <= until));
        alert_began || self.commitments.iter().any(CommitmentNews::has_news)
    }

    pub fn new_feedback(&self) -> u64 {
        self.commitments.iter().map(|c| c.new_feedback).sum()
    }

    pub fn awaiting(&self) -> u64 {
        self.commitments.iter().map(|c| c.awaiting_total).sum()
    }
}

/// One commitment's part of a digest.
#[derive(Clone, Debug)]
pub struct CommitmentNews {
    pub code: String,
    pub title: String,
    /// Published citizens' comments of the period, by kind.
    pub new_by_kind: Vec<(String, u64)>,
    pub new_feedback: u64,
    /// The newest of them, newest first.
    pub newest: Vec<Item>,
    /// Comments without an official response, oldest first.
    pub awaiting: Vec<Item>,
    pub awaiting_total: u64,
    pub due_soon: Vec<MilestoneDue>,
    pub overdue: Vec<MilestoneDue>,
    /// A milestone came due (within the window) or overdue in the period.
    pub milestones_changed: bool,
    pub awareness: Awareness,
    /// Implementation updates posted in the period, by the day they report on.
    pub updates: Vec<UpdatePosted>,
    /// Official responses given in the period, by decision (stored names).
    pub decisions: Vec<(String, u64)>,
}

/// An implementation update as a digest lists it.
#[derive(Clone, Debug)]
pub struct UpdatePosted {
    pub date: NaiveDate,
    /// On the IRM completion scale, as stored (`limited`…).
    pub status: String,
    pub milestone_position: Option<i32>,
    pub evidence: u64,
}

impl CommitmentNews {
    fn has_news(&self) -> bool {
        self.new_feedback > 0 || self.milestones_changed || self.awareness.has_figures()
    }
}

/// A comment as a digest quotes it: never its author's address.
#[derive(Clone, Debug)]
pub struct Item {
    pub id: i64,
    pub kind: String,
    pub excerpt: String,
    pub author_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct MilestoneDue {
    pub position: i32,
    pub title: String,
    pub end: NaiveDate,
}

/// Reach and survey answers of the period against the one before.
#[derive(Clone, Copy, Debug, Default)]
pub struct Awareness {
    pub current: figures::PeriodFigures,
    pub previous: figures::PeriodFigures,
}

impl Awareness {
    pub fn has_figures(&self) -> bool {
        self.current.reach > 0 || self.current.responses > 0
    }
}

/// Reads the digest of `focal_point_id` for `since`..`until`, in `language`
/// where translations exist, with the compliance alerts `rules` raise.
pub async fn gather<C: ConnectionTrait>(
    db: &C,
    focal_point_id: i64,
    language: &str,
    (since, until): (DateTime<Utc>, DateTime<Utc>),
    rules: &ComplianceRules,
) -> AppResult<Digest> {
    let ids: Vec<i64> = commitment_focal_point::Entity::find()
        .filter(commitment_focal_point::Column::FocalPointId.eq(focal_point_id))
        .all(db)
        .await?
        .into_iter()
        .map(|link| link.commitment_id)
        .collect();
    let mut rows = commitment::Entity::find()
        .filter(commitment::Column::Id.is_in(ids))
        .all(db)
        .await?;
    rows.sort_by(|a, b| a.code.cmp(&b.code));
    let alerts = alerts(db, rules, until, &rows).await?;
    let mut commitments = Vec::with_capacity(rows.len());
    for row in rows {
        commitments.push(commitment_news(db, &row, language, since, until).await?);
    }
    Ok(Digest {
        since,
        until,
        alerts,
        commitments,
    })
}

/// The alerts of the plans of `rows` as wholes, then of each of `rows`.
async fn alerts<C: ConnectionTrait>(
    db: &C,
    rules: &ComplianceRules,
    now: DateTime<Utc>,
    rows: &[commitment::Model],
) -> AppResult<Vec<Alert>> {
    let mut plan_ids: Vec<i64> = rows.iter().map(|row| row.action_plan_id).collect();
    plan_ids.sort_unstable();
    plan_ids.dedup();
    let plans = action_plan::Entity::find()
        .filter(action_plan::Column::Id.is_in(plan_ids))
        .order_by_asc(action_plan::Column::Key)
        .all(db)
        .await?;
    let mut alerts = Vec::new();
    for plan in &plans {
        alerts.extend(compliance::of_action_plan_itself(db, rules, now, plan).await?);
    }
    for plan in &plans {
        // This focal point's commitments of the plan, by code, read at once.
        let own: Vec<commitment::Model> = rows
            .iter()
            .filter(|row| row.action_plan_id == plan.id)
            .cloned()
            .collect();
        alerts.extend(compliance::of_commitments(db, rules, now, plan, &own).await?);
    }
    Ok(alerts)
}

async fn commitment_news<C: ConnectionTrait>(
    db: &C,
    row: &commitment::Model,
    language: &str,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> AppResult<CommitmentNews> {
    let titles = commitment_translation::Entity::find()
        .filter(commitment_translation::Column::CommitmentId.eq(row.id))
        .all(db)
        .await?;
    let title = pick(&titles.iter().collect::<Vec<_>>(), language, |t| {
        &t.language
    })
    .map(|t| t.title.clone())
    .unwrap_or_default();

    let comments = comments_on(row.id).filter(official(false));
    let new = comments
        .clone()
        .filter(feedback::Column::CreatedAt.gte(since))
        .filter(feedback::Column::CreatedAt.lt(until));
    let new_rows = new
        .clone()
        .order_by_desc(feedback::Column::Id)
        .limit(LISTED)
        .all(db)
        .await?;
    let new_by_kind = count_by_kind(db, new.clone()).await?;
    let new_feedback = new_by_kind.iter().map(|(_, n)| n).sum();
    let awaiting = comments
        .filter(unanswered())
        .filter(feedback::Column::CreatedAt.lt(until));
    let awaiting_total = awaiting.clone().count(db).await?;
    let awaiting_rows = awaiting
        .order_by_asc(feedback::Column::Id)
        .limit(LISTED)
        .all(db)
        .await?;

    let today = until.date_naive();
    let since_day = since.date_naive();
    let (due_soon, overdue, milestones_changed) =
        milestones(db, row.id, language, since_day, today).await?;

    // Whole days: the period's first day to the day before it ended.
    let to = today
        .checked_sub_days(Days::new(1))
        .unwrap_or(today)
        .max(since_day);
    let (current, previous) =
        figures::compared(db, Subject::Commitment(row.id), since_day, to).await?;
    let updates = updates_posted(db, row.id, since, until).await?;
    let decisions = decisions_given(db, row.id, since, until).await?;

    Ok(CommitmentNews {
        code: row.code.clone(),
        title,
        new_by_kind,
        new_feedback,
        newest: new_rows.into_iter().map(item).collect(),
        awaiting: awaiting_rows.into_iter().map(item).collect(),
        awaiting_total,
        due_soon,
        overdue,
        milestones_changed,
        awareness: Awareness { current, previous },
        updates,
        decisions,
    })
}

/// The implementation updates posted on a commitment in the period.
async fn updates_posted<C: ConnectionTrait>(
    db: &C,
    commitment_id: i64,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> AppResult<Vec<UpdatePosted>> {
    let rows = implementation_update::Entity::find()
        .filter(implementation_update::Column::CommitmentId.eq(commitment_id))
        .filter(implementation_update::Column::CreatedAt.gte(since))
        .filter(implementation_update::Column::CreatedAt.lt(until))
        .order_by_asc(implementation_update::Column::ReportedOn)
        .order_by_asc(implementation_update::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let evidence =
        lookups::grouped::<evidence::Entity, _>(db, evidence::Column::UpdateId, &ids, |piece| {
            piece.update_id
        })
        .await?;
    let milestone_ids: Vec<i64> = rows.iter().filter_map(|row| row.milestone_id).collect();
    let positions =
        lookups::by_id::<milestone::Entity, _>(db, milestone::Column::Id, &milestone_ids, |m| m.id)
            .await?;
    Ok(rows
        .into_iter()
        .map(|row| UpdatePosted {
            date: row.reported_on,
            milestone_position: row
                .milestone_id
                .and_then(|id| positions.get(&id))
                .map(|m| m.position),
            evidence: evidence
                .get(&row.id)
                .map_or(0, |pieces| pieces.len() as u64),
            status: row.status,
        })
        .collect())
}

/// The official responses given on a commitment in the period, counted by
/// decision.
async fn decisions_given<C: ConnectionTrait>(
    db: &C,
    commitment_id: i64,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> AppResult<Vec<(String, u64)>> {
    let rows: Vec<(Option<String>, i64)> = feedback::Entity::find()
        .select_only()
        .column(feedback::Column::ResponseDecision)
        .column_as(feedback::Column::Id.count(), "count")
        .filter(feedback::Column::CommitmentId.eq(commitment_id))
        .filter(official(true))
        .filter(feedback::Column::CreatedAt.gte(since))
        .filter(feedback::Column::CreatedAt.lt(until))
        .group_by(feedback::Column::ResponseDecision)
        .into_tuple()
        .all(db)
        .await?;
    let mut counts: Vec<(String, u64)> = ResponseDecision::ALL
        .iter()
        .map(|decision| {
            let count = rows
                .iter()
                .filter(|(stored, _)| {
                    stored
                        .as_deref()
                        .and_then(ResponseDecision::parse)
                        .unwrap_or(ResponseDecision::UnderConsideration)
                        == *decision
                })
                .map(|(_, n)| u64::try_from(*n).unwrap_or(0))
                .sum();
            (decision.as_str().to_owned(), count)
        })
        .collect();
    counts.retain(|(_, count)| *count > 0);
    Ok(counts)
}

async fn count_by_kind<C: ConnectionTrait>(
    db: &C,
    query: sea_orm::Select<feedback::Entity>,
) -> AppResult<Vec<(String, u64)>> {
    let rows: Vec<(String, i64)> = query
        .select_only()
        .column(feedback::Column::Kind)
        .column_as(feedback::Column::Id.count(), "count")
        .group_by(feedback::Column::Kind)
        .order_by_asc(feedback::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(kind, count)| (kind, u64::try_from(count).unwrap_or(0)))
        .collect())
}

/// Due soon, overdue, and whether one of them became so in the period
/// (`since_day` up to `today`).
async fn milestones<C: ConnectionTrait>(
    db: &C,
    commitment_id: i64,
    language: &str,
    since_day: NaiveDate,
    today: NaiveDate,
) -> AppResult<(Vec<MilestoneDue>, Vec<MilestoneDue>, bool)> {
    let rows = milestone::Entity::find()
        .filter(milestone::Column::CommitmentId.eq(commitment_id))
        .order_by_asc(milestone::Column::Position)
        .all(db)
        .await?;
    let titles = milestone_translation::Entity::find()
        .filter(milestone_translation::Column::MilestoneId.is_in(rows.iter().map(|m| m.id)))
        .all(db)
        .await?;
    let horizon = today
        .checked_add_days(Days::new(DUE_WITHIN_DAYS))
        .unwrap_or(today);
    let since_horizon = since_day
        .checked_add_days(Days::new(DUE_WITHIN_DAYS))
        .unwrap_or(since_day);
    let (mut due_soon, mut overdue, mut changed) = (Vec::new(), Vec::new(), false);
    for row in rows {
        if row.status.as_deref() == Some("completed") {
            continue;
        }
        let Some(end) = row
            .end_date
            .as_deref()
            .and_then(|text| PartialDate::parse(text).ok())
            .and_then(|date| date.last_day())
        else {
            continue;
        };
        let own: Vec<_> = titles.iter().filter(|t| t.milestone_id == row.id).collect();
        let title = pick(&own, language, |t| &t.language)
            .map(|t| t.title.clone())
            .unwrap_or_default();
        let due = MilestoneDue {
            position: row.position,
            title,
            end,
        };
        if end < today {
            // Overdue from the day after its end.
            changed |= end >= since_day;
            overdue.push(due);
        } else if end <= horizon {
            changed |= end > since_horizon;
            due_soon.push(due);
        }
    }
    Ok((due_soon, overdue, changed))
}

fn item(row: feedback::Model) -> Item {
    let excerpt = excerpt(&row.body);
    Item {
        id: row.id,
        kind: row.kind,
        excerpt,
        author_name: row.author_name,
        created_at: row.created_at,
    }
}

/// The first words of `body`, cut at a word boundary.
fn excerpt(body: &str) -> String {
    let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= EXCERPT_CHARS {
        return flat;
    }
    let cut: String = flat.chars().take(EXCERPT_CHARS).collect();
    let shorter = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{shorter}…")
}

/// The translation in `language`, else English, else any.
fn pick<'a, T>(
    rows: &[&'a T],
    language: &str,
    language_of: impl Fn(&T) -> &String,
) -> Option<&'a T> {
    [language, "en"]
        .into_iter()
        .find_map(|wanted| rows.iter().find(|row| language_of(row) == wanted))
        .or_else(|| rows.first())
        .copied()
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    #[test]
    fn excerpts_cut_long_comments_at_a_word() {
        assert_eq!(excerpt("  short\n text "), "short text");
        let long = "word ".repeat(100);
        let cut = excerpt(&long);
        assert!(cut.ends_with("word…"), "{cut}");
        assert!(cut.chars().count() <= 201, "{}", cut.chars().count());
    }
}
