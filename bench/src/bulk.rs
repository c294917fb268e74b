//! What the catalogue file cannot hold, inserted in bulk through the
//! entities (multi-row INSERTs, in large transactions): citizens' feedback
//! with replies and official responses, campaign activities with a year of
//! monthly figures, and survey answers.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use entity::{
    awareness_answer, awareness_metric, campaign, campaign_activity, campaign_commitment,
    commitment, feedback,
};
use indicatif::{ProgressBar, ProgressStyle};
use rand::Rng;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, QueryOrder, QuerySelect, Statement, TransactionTrait,
};

use crate::words;

/// Rows per INSERT: 17 columns × 1,000 stays under SQLite's and
/// PostgreSQL's limits on bound parameters.
const ROWS_PER_INSERT: usize = 1_000;
/// INSERTs per transaction.
const INSERTS_PER_TRANSACTION: usize = 50;

fn progress(total: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(u64::try_from(total).unwrap_or(u64::MAX));
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}

/// Inserts `rows` in chunks, `INSERTS_PER_TRANSACTION` chunks per
/// transaction.
async fn insert_all<E, A>(
    db: &DatabaseConnection,
    rows: impl IntoIterator<Item = A>,
    bar: &ProgressBar,
) -> Result<(), DbErr>
where
    E: EntityTrait<ActiveModel = A>,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let txn = db.begin().await?;
        for _ in 0..INSERTS_PER_TRANSACTION {
            let chunk: Vec<A> = rows.by_ref().take(ROWS_PER_INSERT).collect();
            if chunk.is_empty() {
                break;
            }
            let count = chunk.len();
            E::insert_many(chunk).exec_without_returning(&txn).await?;
            bar.inc(u64::try_from(count).unwrap_or(0));
        }
        txn.commit().await?;
    }
    Ok(())
}

/// `total` feedback items over every commitment, the newest now, the
/// oldest two years ago; ids grow with time as the service assumes. About
/// 60 % are comments (a quarter leave an address), 30 % replies, 10 %
/// official responses by `responder`; 8 % of citizens' items are not
/// published (queued, hidden or rejected).
pub async fn feedback(
    db: &DatabaseConnection,
    rng: &mut impl Rng,
    total: usize,
    responder: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let commitments: Vec<i64> = commitment::Entity::find()
        .select_only()
        .column(commitment::Column::Id)
        .order_by_asc(commitment::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    if commitments.is_empty() || total == 0 {
        return Ok(());
    }
    let first_id: i64 = feedback::Entity::find()
        .select_only()
        .column_as(feedback::Column::Id.max(), "max")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten()
        .unwrap_or(0)
        + 1;
    let span = Duration::days(730);
    let step_ms = span.num_milliseconds() / i64::try_from(total).unwrap_or(1).max(1);
    let start = now - span;
    // The last published comment of each commitment, for replies.
    let mut last_comment: Vec<Option<i64>> = vec![None; commitments.len()];
    let bar = progress(total, "feedback");
    let mut rows = Vec::with_capacity(ROWS_PER_INSERT * INSERTS_PER_TRANSACTION);
    let flush_at = ROWS_PER_INSERT * INSERTS_PER_TRANSACTION;
    for n in 0..total {
        let id = first_id + i64::try_from(n).unwrap_or(0);
        // Half spread evenly, half crowding on the first commitments, as
        // attention does.
        let index = if rng.gen_bool(0.5) {
            rng.gen_range(0..commitments.len())
        } else {
            let u: f64 = rng.r#gen();
            ((u * u) * commitments.len() as f64) as usize % commitments.len()
        };
        let created_at = start + Duration::milliseconds(step_ms * i64::try_from(n).unwrap_or(0));
        let roll: f64 = rng.r#gen();
        let parent = last_comment[index];
        let (depth, parent_id, official) = match parent {
            Some(parent) if roll < 0.30 => (1, Some(parent), false),
            Some(parent) if roll < 0.40 => (1, Some(parent), true),
            _ => (0, None, false),
        };
        let status = if official {
            "published"
        } else {
            match rng.gen_range(0..100) {
                0..=91 => "published",
                92..=95 => "queued",
                96..=98 => "hidden",
                _ => "rejected",
            }
        };
        let leaves_address = depth == 0 && rng.gen_bool(0.25);
        if depth == 0 && status == "published" {
            last_comment[index] = Some(id);
        }
        let kind = if depth == 0 {
            ["comment", "question", "suggestion", "concern"][rng.gen_range(0..4)]
        } else {
            "comment"
        };
        rows.push(feedback::ActiveModel {
            id: Set(id),
            commitment_id: Set(commitments[index]),
            milestone_id: Set(None),
            parent_id: Set(parent_id),
            depth: Set(depth),
            kind: Set(kind.to_owned()),
            stance: Set(None),
            body: Set(if official {
                "Thank you: the ministry will publish an update on this next month.".to_owned()
            } else {
                words::comment(rng)
            }),
            language: Set(Some(if rng.gen_bool(0.6) { "en" } else { "fr" }.to_owned())),
            author_name: Set((!official && rng.gen_bool(0.7)).then(|| format!("Citizen {id}"))),
            author_email: Set(leaves_address.then(|| format!("citizen-{id}@example.invalid"))),
            notify_on_response: Set(leaves_address),
            status: Set(status.to_owned()),
            official: Set(official),
            responder_staff_id: Set(official.then_some(responder)),
            visitor_key: Set(None),
            created_at: Set(created_at),
            support_count: Set(if depth == 0 { rng.gen_range(0..20) } else { 0 }),
            response_decision: Set(
                official.then(|| DECISIONS[rng.gen_range(0..DECISIONS.len())].to_owned())
            ),
            response_rationale: Set(official.then(|| {
                "The ministry weighed it against the plan's budget and timetable.".to_owned()
            })),
        });
        if rows.len() == flush_at {
            insert_all(db, rows.drain(..), &bar).await?;
        }
    }
    insert_all(db, rows.drain(..), &bar).await?;
    bar.finish();
    follow_sequence(db, "feedback").await
}

/// Decisions official responses record, as stored.
const DECISIONS: [&str; 5] = [
    "adopted",
    "partly_adopted",
    "not_adopted",
    "under_consideration",
    "out_of_scope",
];

/// Rows were inserted with their ids: PostgreSQL's sequence must move past
/// them, or the service's next comment would collide. (SQLite follows the
/// largest id by itself.)
async fn follow_sequence(db: &DatabaseConnection, table: &str) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            ),
        ))
        .await?;
    }
    Ok(())
}

/// Four activities per campaign, each with a reach and an impressions
/// figure for every month of `year_ending`'s twelve months, and survey
/// answers about each campaign's commitments over those months.
pub async fn awareness(
    db: &DatabaseConnection,
    rng: &mut impl Rng,
    year_ending: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    const CHANNELS: [&str; 4] = ["press", "radio", "social_media", "workshop"];
    let campaigns: Vec<i64> = campaign::Entity::find()
        .select_only()
        .column(campaign::Column::Id)
        .order_by_asc(campaign::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let months: Vec<NaiveDate> = (0..12u32)
        .rev()
        .filter_map(|back| {
            let first = NaiveDate::from_ymd_opt(year_ending.year(), year_ending.month(), 1)?;
            first.checked_sub_months(chrono::Months::new(back))
        })
        .collect();
    let Some(&first_month) = months.first() else {
        return Ok(());
    };
    let activities: Vec<campaign_activity::ActiveModel> = campaigns
        .iter()
        .flat_map(|&campaign_id| {
            CHANNELS
                .iter()
                .enumerate()
                .map(move |(k, channel)| campaign_activity::ActiveModel {
                    campaign_id: Set(campaign_id),
                    channel: Set((*channel).to_owned()),
                    title: Set(format!("{channel} activity {k}")),
                    start_date: Set(first_month),
                    end_date: Set(Some(year_ending)),
                    region: Set(None),
                    language: Set(None),
                    link: Set(None),
                    notes: Set(None),
                    ..Default::default()
                })
        })
        .collect();
    let bar = progress(activities.len(), "activities");
    insert_all(db, activities, &bar).await?;
    bar.finish();

    let activity_ids: Vec<i64> = campaign_activity::Entity::find()
        .select_only()
        .column(campaign_activity::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut metrics = Vec::with_capacity(activity_ids.len() * months.len() * 2);
    for &activity_id in &activity_ids {
        for &month in &months {
            let end = month
                .checked_add_months(chrono::Months::new(1))
                .and_then(|next| next.pred_opt())
                .unwrap_or(month);
            for (kind, range) in [("reach", 100..50_000), ("impressions", 1_000..200_000)] {
                metrics.push(awareness_metric::ActiveModel {
                    activity_id: Set(activity_id),
                    kind: Set(kind.to_owned()),
                    value: Set(rng.gen_range(range)),
                    period_start: Set(month),
                    period_end: Set(end),
                    source: Set(Some("generated".to_owned())),
                    recorded_at: Set(now),
                    ..Default::default()
                });
            }
        }
    }
    let bar = progress(metrics.len(), "figures");
    insert_all(db, metrics, &bar).await?;
    bar.finish();

    let subjects: Vec<i64> = campaign_commitment::Entity::find()
        .select_only()
        .column(campaign_commitment::Column::CommitmentId)
        .into_tuple()
        .all(db)
        .await?;
    let days = (year_ending - first_month).num_days().max(1);
    let mut answers = Vec::new();
    for &commitment_id in &subjects {
        for n in 0..40 {
            let day = first_month + Duration::days(rng.gen_range(0..days));
            answers.push(awareness_answer::ActiveModel {
                commitment_id: Set(Some(commitment_id)),
                action_plan_id: Set(None),
                day: Set(day),
                respondent_key: Set(format!("generated-{commitment_id}-{n}")),
                aware: Set(rng.gen_bool(0.35)),
                channel: Set(Some(CHANNELS[rng.gen_range(0..CHANNELS.len())].to_owned())),
                region: Set(None),
                ..Default::default()
            });
        }
    }
    let bar = progress(answers.len(), "answers");
    insert_all(db, answers, &bar).await?;
    bar.finish();
    Ok(())
}
