//! Sums and counts for dashboards: a series by period and channel, a
//! campaign's totals, and a subject's figures over a period compared with
//! the period before. All of it is GROUP BY in the database.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use entity::{awareness_answer, awareness_metric, campaign_activity};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Alias, Asterisk, Expr, ExprTrait, Query, SelectStatement},
};

use super::{Granularity, Subject, periods::periods};
use crate::{
    catalog::vocabulary::{Channel, MetricKind},
    error::{AppError, AppResult},
};

/// Most points one series may have.
pub const MAX_POINTS: usize = 366;

/// Totals of every metric kind, in `MetricKind::ALL` order.
pub type KindTotals = Vec<i64>;

fn zero_totals() -> KindTotals {
    vec![0; MetricKind::ALL.len()]
}

fn kind_index(kind: &str) -> Option<usize> {
    MetricKind::ALL.iter().position(|k| k.as_str() == kind)
}

fn channel_index(channel: &str) -> Option<usize> {
    Channel::ALL.iter().position(|c| c.as_str() == channel)
}

/// One period of a series.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub metrics: KindTotals,
    /// Channels with recorded figures, in `Channel::ALL` order.
    pub by_channel: Vec<(Channel, KindTotals)>,
    pub responses: i64,
    pub aware: i64,
    /// Channels named by answers, in `Channel::ALL` order.
    pub heard_via: Vec<(Channel, i64)>,
}

impl Point {
    pub fn reach(&self) -> i64 {
        self.metrics[0]
    }
}

/// A series: the range widened to whole periods, and a point for each.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub points: Vec<Point>,
}

const METRIC: &str = "\"awareness_metric\"";
const ANSWER: &str = "\"awareness_answer\"";

/// The figures of `subject`, joined to their activities.
fn metrics_of(subject: Subject) -> SelectStatement {
    Query::select()
        .from(awareness_metric::Entity)
        .inner_join(
            campaign_activity::Entity,
            Expr::col((campaign_activity::Entity, campaign_activity::Column::Id)).equals((
                awareness_metric::Entity,
                awareness_metric::Column::ActivityId,
            )),
        )
        .cond_where(subject.activities())
        .to_owned()
}

/// Adds to a selection of figures their sums by channel and kind, as the
/// columns `channel`, `kind` and `total`.
fn summed_by_channel_and_kind(select: &mut SelectStatement) -> &mut SelectStatement {
    let channel = Expr::col((
        campaign_activity::Entity,
        campaign_activity::Column::Channel,
    ));
    let kind = Expr::col((awareness_metric::Entity, awareness_metric::Column::Kind));
    select
        .expr_as(channel.clone(), Alias::new("channel"))
        .expr_as(kind.clone(), Alias::new("kind"))
        .expr_as(
            Expr::cust(format!("CAST(SUM({METRIC}.\"value\") AS BIGINT)")),
            Alias::new("total"),
        )
        .add_group_by([channel, kind])
}

fn metrics_in(subject: Subject, from: NaiveDate, to: NaiveDate) -> SelectStatement {
    metrics_of(subject)
        .and_where(
            Expr::col((
                awareness_metric::Entity,
                awareness_metric::Column::PeriodStart,
            ))
            .between(from, to),
        )
        .to_owned()
}

fn answers_in(subject: Subject, from: NaiveDate, to: NaiveDate) -> SelectStatement {
    Query::select()
        .from(awareness_answer::Entity)
        .cond_where(subject.answers())
        .and_where(
            Expr::col((awareness_answer::Entity, awareness_answer::Column::Day)).between(from, to),
        )
        .to_owned()
}

async fn rows<C: ConnectionTrait>(
    db: &C,
    statement: &SelectStatement,
) -> AppResult<Vec<sea_orm::QueryResult>> {
    Ok(db.query_all(statement).await?)
}

fn date(text: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| AppError::Internal(format!("unreadable period {text:?}")))
}

/// The series of `subject` from `from` to `to`, widened to whole periods.
/// `None` when it would have more than [`MAX_POINTS`] points.
pub async fn series<C: ConnectionTrait>(
    db: &C,
    subject: Subject,
    granularity: Granularity,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Option<Series>> {
    let Some(periods) = periods(granularity, from, to, MAX_POINTS) else {
        return Ok(None);
    };
    let (Some(first), Some(last)) = (periods.first(), periods.last()) else {
        return Ok(Some(Series {
            from,
            to,
            points: Vec::new(),
        }));
    };
    let (from, to) = (first.0, last.1);
    let backend: DbBackend = db.get_database_backend();

    let period_of_metric = granularity.sql(backend, &format!("{METRIC}.\"period_start\""));
    let metric_rows = rows(
        db,
        summed_by_channel_and_kind(
            metrics_in(subject, from, to)
                .expr_as(Expr::cust(period_of_metric.clone()), Alias::new("period"))
                .add_group_by([Expr::cust(period_of_metric)]),
        ),
    )
    .await?;

    let period_of_answer = granularity.sql(backend, &format!("{ANSWER}.\"day\""));
    let answer_rows = rows(
        db,
        answers_in(subject, from, to)
            .expr_as(Expr::cust(period_of_answer.clone()), Alias::new("period"))
            .expr_as(
                Expr::col((awareness_answer::Entity, awareness_answer::Column::Aware)),
                Alias::new("aware"),
            )
            .expr_as(
                Expr::col((awareness_answer::Entity, awareness_answer::Column::Channel)),
                Alias::new("channel"),
            )
            .expr_as(
                Expr::cust("CAST(COUNT(*) AS BIGINT)"),
                Alias::new("answers"),
            )
            .add_group_by([
                Expr::cust(period_of_answer),
                Expr::col((awareness_answer::Entity, awareness_answer::Column::Aware)),
                Expr::col((awareness_answer::Entity, awareness_answer::Column::Channel)),
            ]),
    )
    .await?;

    let mut points: Vec<Point> = periods
        .iter()
        .map(|&(start, end)| Point {
            start,
            end,
            metrics: zero_totals(),
            by_channel: Vec::new(),
            responses: 0,
            aware: 0,
            heard_via: Vec::new(),
        })
        .collect();
    let index_of: HashMap<NaiveDate, usize> = periods
        .iter()
        .enumerate()
        .map(|(index, (start, _))| (*start, index))
        .collect();
    let mut channel_totals: Vec<Vec<Option<KindTotals>>> =
        vec![vec![None; Channel::ALL.len()]; points.len()];
    let mut heard: Vec<Vec<i64>> = vec![vec![0; Channel::ALL.len()]; points.len()];

    for row in metric_rows {
        let period: String = row.try_get("", "period")?;
        let channel: String = row.try_get("", "channel")?;
        let kind: String = row.try_get("", "kind")?;
        let total: i64 = row.try_get("", "total")?;
        let (Some(&point), Some(kind), Some(channel)) = (
            index_of.get(&date(&period)?),
            kind_index(&kind),
            channel_index(&channel),
        ) else {
            continue;
        };
        points[point].metrics[kind] += total;
        channel_totals[point][channel].get_or_insert_with(zero_totals)[kind] += total;
    }
    for row in answer_rows {
        let period: String = row.try_get("", "period")?;
        let aware: bool = row.try_get("", "aware")?;
        let channel: Option<String> = row.try_get("", "channel")?;
        let answers: i64 = row.try_get("", "answers")?;
        let Some(&point) = index_of.get(&date(&period)?) else {
            continue;
        };
        points[point].responses += answers;
        if aware {
            points[point].aware += answers;
        }
        if let Some(channel) = channel.as_deref().and_then(channel_index) {
            heard[point][channel] += answers;
        }
    }
    for (index, point) in points.iter_mut().enumerate() {
        point.by_channel = Channel::ALL
            .iter()
            .zip(channel_totals[index].drain(..))
            .filter_map(|(channel, totals)| totals.map(|t| (*channel, t)))
            .collect();
        point.heard_via = Channel::ALL
            .iter()
            .zip(heard[index].iter())
            .filter(|(_, count)| **count > 0)
            .map(|(channel, count)| (*channel, *count))
            .collect();
    }
    Ok(Some(Series { from, to, points }))
}

/// A campaign's figures in total.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CampaignTotals {
    pub activities: i64,
    /// (channel, kind, total) for every pair with figures, in vocabulary order.
    pub totals: Vec<(Channel, MetricKind, i64)>,
    pub first_activity: Option<NaiveDate>,
    pub last_activity: Option<NaiveDate>,
}

impl CampaignTotals {
    pub fn reach(&self) -> i64 {
        self.totals
            .iter()
            .filter(|(_, kind, _)| *kind == MetricKind::Reach)
            .map(|(_, _, total)| total)
            .sum()
    }
}

/// The totals of a campaign by channel and kind, and its activity span.
pub async fn campaign_totals<C: ConnectionTrait>(
    db: &C,
    campaign_id: i64,
) -> AppResult<CampaignTotals> {
    let span: Option<(i64, Option<NaiveDate>, Option<NaiveDate>)> =
        campaign_activity::Entity::find()
            .select_only()
            .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "activities")
            .column_as(campaign_activity::Column::StartDate.min(), "first")
            .column_as(
                Expr::cust(
                    "MAX(COALESCE(\"campaign_activity\".\"end_date\", \"campaign_activity\".\"start_date\"))",
                ),
                "last",
            )
            .filter(campaign_activity::Column::CampaignId.eq(campaign_id))
            .into_tuple()
            .one(db)
            .await?;
    let (activities, first_activity, last_activity) = span.unwrap_or((0, None, None));

    let sums = rows(
        db,
        summed_by_channel_and_kind(&mut metrics_of(Subject::Campaign(campaign_id))),
    )
    .await?;
    let mut totals = Vec::new();
    for row in sums {
        let channel: String = row.try_get("", "channel")?;
        let kind: String = row.try_get("", "kind")?;
        let total: i64 = row.try_get("", "total")?;
        if let (Some(channel), Some(kind)) = (Channel::parse(&channel), MetricKind::parse(&kind)) {
            totals.push((channel, kind, total));
        }
    }
    totals.sort_by_key(|(channel, kind, _)| {
        (channel_index(channel.as_str()), kind_index(kind.as_str()))
    });
    Ok(CampaignTotals {
        activities,
        totals,
        first_activity,
        last_activity,
    })
}

/// A subject's reach and answers over one period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeriodFigures {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reach: i64,
    pub responses: i64,
    pub aware: i64,
}

/// The figures of `subject` over `from`..=`to` and over the equal period just
/// before it, in one statement.
pub async fn compared<C: ConnectionTrait>(
    db: &C,
    subject: Subject,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<(PeriodFigures, PeriodFigures)> {
    let days = (to - from).num_days() + 1;
    let previous_to = from - Days::new(1);
    let previous_from = from - Days::new(u64::try_from(days).unwrap_or(0));
    let backend = db.get_database_backend();
    let literal = |day: NaiveDate| match backend {
        DbBackend::Postgres => format!("DATE '{day}'"),
        _ => format!("'{day}'"),
    };

    let split = |column: &str, value: &str| {
        format!(
            "CAST(COALESCE(SUM(CASE WHEN {column} >= {from} THEN {value} ELSE 0 END), 0) AS BIGINT)",
            from = literal(from),
        )
    };
    let total = |value: &str| format!("CAST(COALESCE(SUM({value}), 0) AS BIGINT)");

    let reach = metrics_in(subject, previous_from, to)
        .and_where(
            Expr::col((awareness_metric::Entity, awareness_metric::Column::Kind))
                .eq(Expr::val(MetricKind::Reach.as_str())),
        )
        .expr_as(
            Expr::cust(split(
                &format!("{METRIC}.\"period_start\""),
                &format!("{METRIC}.\"value\""),
            )),
            Alias::new("current"),
        )
        .expr_as(
            Expr::cust(total(&format!("{METRIC}.\"value\""))),
            Alias::new("both"),
        )
        .to_owned();
    let aware = format!("CASE WHEN {ANSWER}.\"aware\" THEN 1 ELSE 0 END");
    let answers = answers_in(subject, previous_from, to)
        .expr_as(
            Expr::cust(split(&format!("{ANSWER}.\"day\""), "1")),
            Alias::new("responses"),
        )
        .expr_as(
            Expr::cust(split(&format!("{ANSWER}.\"day\""), &aware)),
            Alias::new("aware"),
        )
        .expr_as(Expr::cust(total("1")), Alias::new("all_responses"))
        .expr_as(Expr::cust(total(&aware)), Alias::new("all_aware"))
        .to_owned();
    // Each side sums without grouping, so each is one row, and both are
    // read in one statement.
    let figures = rows(
        db,
        Query::select()
            .column(Asterisk)
            .from_subquery(reach, Alias::new("reach"))
            .from_subquery(answers, Alias::new("answers")),
    )
    .await?;

    let read = |rows: &[sea_orm::QueryResult], column: &str| -> AppResult<i64> {
        match rows.first() {
            Some(row) => Ok(row.try_get::<Option<i64>>("", column)?.unwrap_or(0)),
            None => Ok(0),
        }
    };
    let reach = read(&figures, "current")?;
    let responses = read(&figures, "responses")?;
    let aware_now = read(&figures, "aware")?;
    let current = PeriodFigures {
        from,
        to,
        reach,
        responses,
        aware: aware_now,
    };
    let previous = PeriodFigures {
        from: previous_from,
        to: previous_to,
        reach: read(&figures, "both")? - reach,
        responses: read(&figures, "all_responses")? - responses,
        aware: read(&figures, "all_aware")? - aware_now,
    };
    Ok((current, previous))
}
