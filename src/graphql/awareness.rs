//! Awareness for dashboards: the public pulse, series by period and channel,
//! and a subject's figures compared with the period before.

use std::sync::Arc;

use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, Object, Result, SimpleObject,
};
use chrono::Days;

use super::{
    campaign::{Channel, MetricKind},
    node::{NodeType, decode_any},
    scalars::Date,
    staff::{id_of, now},
};
use crate::{
    awareness::{
        self, Subject,
        figures::{self, MAX_POINTS, PeriodFigures, Point},
        survey::{self, Answer},
    },
    catalog::vocabulary,
    error::AppError,
    feedback::{Visitor, submit::FeedbackRules},
    ratelimit::RateLimiter,
};

/// How long each point of a series is.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "awareness::Granularity")]
pub enum Granularity {
    /// A day.
    Day,
    /// An ISO week, Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
}

/// Which way the aware share moved.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum TrendDirection {
    /// A larger share of answers knew.
    Rising,
    /// A smaller share knew.
    Falling,
    /// The same share knew.
    Steady,
    /// One of the periods has no answers.
    Unknown,
}

/// A figure of one kind.
#[derive(SimpleObject)]
pub struct MetricValue {
    /// What it counts.
    kind: MetricKind,
    /// The sum.
    value: i64,
}

/// The figures of one channel in one period.
#[derive(SimpleObject)]
pub struct ChannelFigures {
    /// The channel.
    channel: Channel,
    /// Sum of its REACH figures.
    reach: i64,
    /// Every kind of figure, in order, 0 when none was recorded.
    metrics: Vec<MetricValue>,
}

/// How many answers named a channel.
#[derive(SimpleObject)]
pub struct ChannelCount {
    /// The channel.
    channel: Channel,
    /// Answers naming it.
    count: i64,
}

/// One period of an awareness series.
#[derive(SimpleObject)]
pub struct AwarenessPoint {
    /// First day of the period.
    period_start: Date,
    /// Last day of the period.
    period_end: Date,
    /// Sum of the REACH figures whose measuring period starts in this one.
    reach: i64,
    /// Every kind of figure, in order, 0 when none was recorded.
    metrics: Vec<MetricValue>,
    /// The figures split by the channel of their activity; only channels
    /// with figures in the period.
    by_channel: Vec<ChannelFigures>,
    /// Answers to the pulse given in the period.
    responses: i64,
    /// Of which "yes, I knew".
    aware_responses: i64,
    /// `awareResponses / responses`; null without answers. Read it with
    /// `responses`: a share of 3 answers says little.
    aware_share: Option<f64>,
    /// Where those who knew heard of it, by channel; only channels named.
    heard_via: Vec<ChannelCount>,
}

fn share(aware: i64, responses: i64) -> Option<f64> {
    #[expect(clippy::cast_precision_loss, reason = "counts far below 2^53")]
    (responses > 0).then(|| aware as f64 / responses as f64)
}

fn metric_values(totals: &[i64]) -> Vec<MetricValue> {
    vocabulary::MetricKind::ALL
        .iter()
        .zip(totals)
        .map(|(kind, value)| MetricValue {
            kind: (*kind).into(),
            value: *value,
        })
        .collect()
}

impl From<Point> for AwarenessPoint {
    fn from(point: Point) -> Self {
        Self {
            period_start: Date(point.start),
            period_end: Date(point.end),
            reach: point.reach(),
            metrics: metric_values(&point.metrics),
            by_channel: point
                .by_channel
                .iter()
                .map(|(channel, totals)| ChannelFigures {
                    channel: (*channel).into(),
                    reach: totals.first().copied().unwrap_or(0),
                    metrics: metric_values(totals),
                })
                .collect(),
            responses: point.responses,
            aware_responses: point.aware,
            aware_share: share(point.aware, point.responses),
            heard_via: point
                .heard_via
                .iter()
                .map(|(channel, count)| ChannelCount {
                    channel: (*channel).into(),
                    count: *count,
                })
                .collect(),
        }
    }
}

/// Awareness of a subject period by period.
#[derive(SimpleObject)]
pub struct AwarenessSeries {
    /// The length of each period.
    granularity: Granularity,
    /// First day covered (the range is widened to whole periods).
    from: Date,
    /// Last day covered.
    to: Date,
    /// One point per period, empty periods included, in date order.
    points: Vec<AwarenessPoint>,
}

/// Reach and answers over a period, with the trend against the equal period
/// just before.
#[derive(SimpleObject)]
pub struct AwarenessFigures {
    /// First day.
    from: Date,
    /// Last day.
    to: Date,
    /// Sum of REACH figures whose measuring period starts in the period.
    reach: i64,
    /// Answers to the pulse.
    responses: i64,
    /// Share of answers that knew; null without answers.
    aware_share: Option<f64>,
    /// Compared with the previous equal period.
    trend: AwarenessTrend,
}

/// The previous equal period, and the change since.
#[derive(SimpleObject)]
pub struct AwarenessTrend {
    /// First day of the previous period.
    previous_from: Date,
    /// Last day of the previous period (the day before `from`).
    previous_to: Date,
    /// Its reach.
    previous_reach: i64,
    /// Its answers.
    previous_responses: i64,
    /// Its aware share; null without answers.
    previous_aware_share: Option<f64>,
    /// `reach − previousReach`.
    reach_change: i64,
    /// `awareShare − previousAwareShare`; null when either is null.
    aware_share_change: Option<f64>,
    /// Which way the aware share moved.
    direction: TrendDirection,
}

fn trend(current: &PeriodFigures, previous: &PeriodFigures) -> AwarenessTrend {
    let now = share(current.aware, current.responses);
    let before = share(previous.aware, previous.responses);
    // Compared as fractions of whole numbers, so equal shares are equal.
    let direction = if current.responses == 0 || previous.responses == 0 {
        TrendDirection::Unknown
    } else {
        let (a, b) = (
            i128::from(current.aware) * i128::from(previous.responses),
            i128::from(previous.aware) * i128::from(current.responses),
        );
        match a.cmp(&b) {
            std::cmp::Ordering::Greater => TrendDirection::Rising,
            std::cmp::Ordering::Less => TrendDirection::Falling,
            std::cmp::Ordering::Equal => TrendDirection::Steady,
        }
    };
    AwarenessTrend {
        previous_from: Date(previous.from),
        previous_to: Date(previous.to),
        previous_reach: previous.reach,
        previous_responses: previous.responses,
        previous_aware_share: before,
        reach_change: current.reach - previous.reach,
        aware_share_change: now.zip(before).map(|(now, before)| now - before),
        direction,
    }
}

/// Default length of the period of `awareness`, in days.
const DEFAULT_DAYS: u64 = 30;

/// The figures of `subject` over `from`..`to` (default: the 30 days ending
/// today).
pub(super) async fn awareness_figures(
    ctx: &Context<'_>,
    subject: Subject,
    from: Option<Date>,
    to: Option<Date>,
) -> Result<AwarenessFigures> {
    let to = to.map_or_else(|| now(ctx).map(|n| n.date_naive()), |d| Ok(d.0))?;
    let from = from.map_or(to - Days::new(DEFAULT_DAYS - 1), |d| d.0);
    if from > to {
        return Err(AppError::bad_input("to", "must not be before `from`").extend());
    }
    let (current, previous) =
        super::read_apart(figures::compared(super::db(ctx)?, subject, from, to))
            .await
            .map_err(|err| err.extend())?;
    Ok(AwarenessFigures {
        from: Date(current.from),
        to: Date(current.to),
        reach: current.reach,
        responses: current.responses,
        aware_share: share(current.aware, current.responses),
        trend: trend(&current, &previous),
    })
}

#[derive(Default)]
pub struct AwarenessQuery;

#[Object]
impl AwarenessQuery {
    /// Awareness of a commitment, an action plan or a campaign (`subject`
    /// is its id), period by period: figures recorded for campaign
    /// activities (a figure counts in the period its measuring starts in),
    /// split by channel, next to the answers citizens gave to the pulse.
    /// `from` and `to` are widened to whole periods; at most 366 points.
    #[graphql(complexity = 20, cache_control(max_age = 60))]
    async fn awareness_series(
        &self,
        ctx: &Context<'_>,
        subject: ID,
        from: Date,
        to: Date,
        #[graphql(default_with = "Granularity::Week")] granularity: Granularity,
    ) -> Result<AwarenessSeries> {
        let subject = match decode_any(&subject) {
            Some((NodeType::Commitment, id)) => Subject::Commitment(id),
            Some((NodeType::ActionPlan, id)) => Subject::ActionPlan(id),
            Some((NodeType::Campaign, id)) => Subject::Campaign(id),
            _ => {
                return Err(AppError::bad_input(
                    "subject",
                    "the id of a commitment, an action plan or a campaign",
                )
                .extend());
            }
        };
        if from.0 > to.0 {
            return Err(AppError::bad_input("to", "must not be before `from`").extend());
        }
        let db = super::db(ctx)?;
        if !subject.exists(db).await.map_err(|err| err.extend())? {
            return Err(AppError::bad_input("subject", "no such record").extend());
        }
        let series = figures::series(db, subject, granularity.into(), from.0, to.0)
            .await
            .map_err(|err| err.extend())?
            .ok_or_else(|| {
                AppError::bad_input(
                    "granularity",
                    format!("at most {MAX_POINTS} points: choose a coarser granularity or a shorter range"),
                )
                .extend()
            })?;
        Ok(AwarenessSeries {
            granularity,
            from: Date(series.from),
            to: Date(series.to),
            points: series.points.into_iter().map(Into::into).collect(),
        })
    }
}

/// A citizen's answer to "Did you know about this?".
#[derive(InputObject)]
pub struct RecordAwarenessInput {
    /// The commitment asked about (a `Commitment.id`); or give `actionPlanId`.
    pub commitment_id: Option<ID>,
    /// The action plan asked about (an `ActionPlan.id`).
    pub action_plan_id: Option<ID>,
    /// Did they know about it?
    pub aware: bool,
    /// Where they heard of it (only when aware).
    pub channel: Option<Channel>,
    /// Their region, if they say (free text, at most 100 characters).
    pub region: Option<String>,
}

/// What `recordAwareness` did.
#[derive(SimpleObject)]
pub struct RecordAwarenessPayload {
    /// True when this replaced the visitor's earlier answer of the day on
    /// the same subject.
    replaced: bool,
}

#[derive(Default)]
pub struct AwarenessMutation;

#[Object]
impl AwarenessMutation {
    /// Answers the awareness pulse; open to everyone. One answer per visitor
    /// (the `OGP-Visitor` header), subject and day: answering again replaces
    /// the earlier answer. Limited like feedback; nothing personal is kept.
    async fn record_awareness(
        &self,
        ctx: &Context<'_>,
        input: RecordAwarenessInput,
    ) -> Result<RecordAwarenessPayload> {
        let subject = match (&input.commitment_id, &input.action_plan_id) {
            (Some(id), None) => {
                Subject::Commitment(id_of("commitmentId", id, NodeType::Commitment)?)
            }
            (None, Some(id)) => {
                Subject::ActionPlan(id_of("actionPlanId", id, NodeType::ActionPlan)?)
            }
            _ => {
                return Err(AppError::bad_input(
                    "commitmentId",
                    "give either commitmentId or actionPlanId",
                )
                .extend());
            }
        };
        let answer = Answer {
            subject,
            aware: input.aware,
            channel: input.channel.map(Into::into),
            region: input.region,
        };
        let replaced = survey::record(
            super::pool(ctx)?,
            ctx.data::<Arc<RateLimiter>>()?,
            ctx.data::<FeedbackRules>()?,
            ctx.data::<Visitor>()?,
            now(ctx)?,
            answer,
        )
        .await
        .map_err(|err| err.extend())?;
        Ok(RecordAwarenessPayload { replaced })
    }
}
