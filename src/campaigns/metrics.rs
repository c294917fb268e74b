//! Awareness figures recorded against activities: reach, impressions,
//! attendees… for a period. One figure per (activity, kind, period):
//! recording it again corrects the value instead of counting twice. A batch
//! is checked in full first and written all-or-nothing.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use entity::{awareness_metric, campaign_activity};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use super::manager;
use crate::{
    catalog::vocabulary::MetricKind,
    editing::{audit_write, audited_delete, in_transaction, json},
    error::{AppError, AppResult, RowProblem},
    staff::Actor,
};

/// Longest description of where a figure comes from.
const MAX_SOURCE_CHARS: usize = 200;

/// One figure to record.
#[derive(Clone, Debug)]
pub struct MetricRow {
    pub activity_id: i64,
    pub kind: MetricKind,
    pub value: i64,
    pub period_start: NaiveDate,
    /// The last day measured; the start day when absent.
    pub period_end: Option<NaiveDate>,
    pub source: Option<String>,
}

/// What a batch did.
#[derive(Debug, Default)]
pub struct Recording {
    /// The stored figures, in the order of the rows.
    pub metrics: Vec<awareness_metric::Model>,
    pub created: u64,
    pub corrected: u64,
    pub unchanged: u64,
}

type Key = (i64, &'static str, NaiveDate, NaiveDate);

/// A row that passed the checks: its key, value and source.
type Checked = (Key, i64, Option<String>);

/// The campaign of each activity the rows name (unknown ones are absent).
async fn campaigns_of(db: &DatabaseConnection, rows: &[MetricRow]) -> AppResult<HashMap<i64, i64>> {
    let ids: Vec<i64> = rows
        .iter()
        .map(|row| row.activity_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut campaigns = HashMap::new();
    for chunk in ids.chunks(500) {
        for activity in campaign_activity::Entity::find()
            .filter(campaign_activity::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            campaigns.insert(activity.id, activity.campaign_id);
        }
    }
    Ok(campaigns)
}

/// Checks every row against the rules and the activities that exist.
fn check_rows(
    rows: Vec<MetricRow>,
    activities: &HashMap<i64, i64>,
) -> (Vec<Checked>, Vec<RowProblem>) {
    let mut problems = Vec::new();
    let mut first_row_of: HashMap<Key, usize> = HashMap::new();
    let mut checked = Vec::with_capacity(rows.len());
    for (index, row) in rows.into_iter().enumerate() {
        let mut problem = |field: &str, message: String| {
            problems.push(RowProblem {
                row: index,
                field: field.to_owned(),
                message,
            });
        };
        if !activities.contains_key(&row.activity_id) {
            problem("activityId", "no such activity".to_owned());
        }
        if row.value < 0 {
            problem("value", "must not be negative".to_owned());
        }
        let period_end = row.period_end.unwrap_or(row.period_start);
        if period_end < row.period_start {
            problem(
                "periodEnd",
                format!("{period_end} is before periodStart {}", row.period_start),
            );
        }
        let source = row
            .source
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        if source
            .as_ref()
            .is_some_and(|s| s.chars().count() > MAX_SOURCE_CHARS)
        {
            problem("source", format!("at most {MAX_SOURCE_CHARS} characters"));
        }
        let key = (
            row.activity_id,
            row.kind.as_str(),
            row.period_start,
            period_end,
        );
        if let Some(first) = first_row_of.get(&key) {
            problem(
                "kind",
                format!(
                    "the same activity, kind and period as row {}: record a figure once",
                    first + 1
                ),
            );
        } else {
            first_row_of.insert(key, index);
        }
        checked.push((key, row.value, source));
    }
    (checked, problems)
}

/// What is wrong with `rows`, without recording anything (for reporting
/// every problem of a file at once).
pub async fn problems(db: &DatabaseConnection, rows: &[MetricRow]) -> AppResult<Vec<RowProblem>> {
    let activities = campaigns_of(db, rows).await?;
    Ok(check_rows(rows.to_vec(), &activities).1)
}

/// Checks every row, then records them all in one transaction, or none.
pub async fn record(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    rows: Vec<MetricRow>,
) -> AppResult<Recording> {
    let by = actor.staff()?.clone();
    let activities = campaigns_of(db, &rows).await?;
    let (checked, problems) = check_rows(rows, &activities);
    if !problems.is_empty() {
        return Err(AppError::InvalidRows(problems));
    }
    if checked.is_empty() {
        return Err(AppError::bad_input("input", "no figures to record"));
    }
    // Permission is per campaign: every campaign touched must be the actor's.
    let campaigns: BTreeMap<i64, ()> = activities.values().map(|&id| (id, ())).collect();
    for &campaign_id in campaigns.keys() {
        manager(db, actor, campaign_id, "activityId").await?;
    }

    in_transaction(db, move |txn| {
        Box::pin(async move {
            let mut recording = Recording::default();
            for ((activity_id, kind, period_start, period_end), value, source) in checked {
                let existing = awareness_metric::Entity::find()
                    .filter(awareness_metric::Column::ActivityId.eq(activity_id))
                    .filter(awareness_metric::Column::Kind.eq(kind))
                    .filter(awareness_metric::Column::PeriodStart.eq(period_start))
                    .filter(awareness_metric::Column::PeriodEnd.eq(period_end))
                    .one(txn)
                    .await?;
                let stored = match existing {
                    Some(current) if current.value == value && current.source == source => {
                        recording.unchanged += 1;
                        current
                    }
                    Some(current) => {
                        let before = json(&current);
                        let row = awareness_metric::ActiveModel {
                            id: Set(current.id),
                            value: Set(value),
                            source: Set(source),
                            recorded_at: Set(now),
                            ..Default::default()
                        }
                        .update(txn)
                        .await?;
                        audit_write(
                            txn,
                            &by,
                            ("awareness_metric", row.id),
                            Some(before),
                            json(&row),
                            now,
                        )
                        .await?;
                        recording.corrected += 1;
                        row
                    }
                    None => {
                        let row = awareness_metric::ActiveModel {
                            activity_id: Set(activity_id),
                            kind: Set(kind.to_owned()),
                            value: Set(value),
                            period_start: Set(period_start),
                            period_end: Set(period_end),
                            source: Set(source),
                            recorded_at: Set(now),
                            ..Default::default()
                        }
                        .insert(txn)
                        .await?;
                        audit_write(
                            txn,
                            &by,
                            ("awareness_metric", row.id),
                            None,
                            json(&row),
                            now,
                        )
                        .await?;
                        recording.created += 1;
                        row
                    }
                };
                recording.metrics.push(stored);
            }
            Ok(recording)
        })
    })
    .await
}

/// Deletes a figure (the managers of its campaign).
pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
) -> AppResult<()> {
    let current = awareness_metric::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input("id", "no such figure"))?;
    let campaign_id = campaign_activity::Entity::find_by_id(current.activity_id)
        .one(db)
        .await?
        .map(|activity| activity.campaign_id)
        .ok_or_else(|| AppError::Internal(format!("metric {id} without activity")))?;
    let (by, _) = manager(db, actor, campaign_id, "id").await?;
    let before = json(&current);
    audited_delete(
        db,
        by.clone(),
        ("awareness_metric", id),
        before,
        current,
        now,
    )
    .await
}
