//! Communication campaigns, their activities and awareness figures.

use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject,
};
use entity::{awareness_metric, campaign, campaign_activity};

use super::{
    commitment::Commitment,
    connection::{
        ConnectionFuture, ListConnection, SHORT_LIST_COST, connection, no_prefetch, page_cost,
    },
    guards::StaffOnly,
    inputs,
    institution::Institution,
    loaders::{
        ActivityById, CampaignById, CommitmentsOfCampaign, InstitutionById, MetricsOfActivity,
        MilestonesOfCampaign,
    },
    milestone::Milestone,
    node::{NodeType, global_id},
    scalars::{Date, PartialDate},
    staff::{actor, id_of, now},
};
use crate::{
    awareness::figures,
    campaigns::{
        self, activities,
        metrics::{self, MetricRow},
        writing::{self, Budget},
    },
    catalog::{pagination::PageRequest, vocabulary},
    editing::Change,
    error::AppError,
    language::Language,
};

/// Longest list of figures one `recordAwarenessMetrics` takes.
const MAX_METRIC_ROWS: usize = 1000;

/// Where a campaign stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "vocabulary::CampaignStatus")]
pub enum CampaignStatus {
    /// Prepared, not started.
    Planned,
    /// Under way.
    Running,
    /// Over.
    Completed,
}

/// How an activity reaches people (and where citizens heard of a
/// commitment).
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "vocabulary::Channel")]
pub enum Channel {
    /// Newspapers and magazines, printed or online.
    Press,
    /// Television.
    Television,
    /// Radio.
    Radio,
    /// Social networks.
    SocialMedia,
    /// A website.
    Website,
    /// A newsletter or mailing.
    Newsletter,
    /// A public event.
    Event,
    /// A workshop or training.
    Workshop,
    /// Text messages.
    Sms,
    /// Posters, billboards and other outdoor advertising.
    Outdoor,
    /// Anything else.
    Other,
}

/// What an awareness figure counts.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "vocabulary::MetricKind")]
pub enum MetricKind {
    /// People reached.
    Reach,
    /// Times the content was shown.
    Impressions,
    /// Reactions, shares, comments.
    Engagements,
    /// People present.
    Attendees,
    /// Clicks on links.
    Clicks,
    /// Articles or broadcasts mentioning it.
    MediaMentions,
}

impl Channel {
    pub(super) fn from_stored(text: &str) -> Self {
        vocabulary::Channel::parse(text)
            .unwrap_or(vocabulary::Channel::Other)
            .into()
    }
}

impl MetricKind {
    fn from_stored(text: &str) -> Result<Self> {
        vocabulary::MetricKind::parse(text)
            .map(Into::into)
            .ok_or_else(|| AppError::Internal(format!("unknown metric kind {text:?}")).extend())
    }
}

/// An amount of money.
#[derive(SimpleObject)]
pub struct Money {
    /// The amount, with at most two decimals.
    amount: f64,
    /// ISO 4217 currency code, e.g. `MAD`.
    currency: String,
}

impl From<Budget> for Money {
    fn from(budget: Budget) -> Self {
        Self {
            amount: budget.amount(),
            currency: budget.currency,
        }
    }
}

/// A communication campaign that makes commitments known to the public.
pub struct Campaign(pub campaign::Model);

/// A communication campaign: what a government does to make its commitments
/// known, such as MO0018's communication plan.
#[Object]
impl Campaign {
    /// Opaque global id.
    pub(super) async fn id(&self) -> ID {
        global_id(NodeType::Campaign, self.0.id)
    }

    /// Its name.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What it sets out to achieve.
    async fn objective(&self) -> Option<&str> {
        self.0.objective.as_deref()
    }

    /// Whom it addresses.
    async fn target_audience(&self) -> Option<&str> {
        self.0.target_audience.as_deref()
    }

    /// The languages it communicates in, as ISO 639-1 codes.
    async fn languages(&self) -> Vec<String> {
        writing::languages_of(&self.0)
    }

    /// When it starts.
    async fn start_date(&self) -> Option<PartialDate> {
        PartialDate::from_stored(self.0.start_date.as_deref())
    }

    /// When it ends.
    async fn end_date(&self) -> Option<PartialDate> {
        PartialDate::from_stored(self.0.end_date.as_deref())
    }

    /// Where it stands.
    async fn status(&self) -> CampaignStatus {
        vocabulary::CampaignStatus::parse(&self.0.status)
            .unwrap_or(vocabulary::CampaignStatus::Planned)
            .into()
    }

    /// The institution running it.
    async fn institution(&self, ctx: &Context<'_>) -> Result<Option<Institution>> {
        let Some(id) = self.0.institution_id else {
            return Ok(None);
        };
        Ok(super::loader(ctx)?
            .load_one(InstitutionById(id))
            .await?
            .map(Institution))
    }

    /// Its budget, when recorded.
    async fn budget(&self) -> Option<Money> {
        Budget::of(&self.0).map(Money::from)
    }

    /// The commitments it supports, by code.
    #[graphql(complexity = "SHORT_LIST_COST * child_complexity")]
    async fn commitments(&self, ctx: &Context<'_>) -> Result<Vec<Commitment>> {
        Ok(super::loader(ctx)?
            .load_one(CommitmentsOfCampaign(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Commitment)
            .collect())
    }

    /// The milestones it delivers or supports.
    #[graphql(complexity = "SHORT_LIST_COST * child_complexity")]
    async fn milestones(&self, ctx: &Context<'_>) -> Result<Vec<Milestone>> {
        Ok(super::loader(ctx)?
            .load_one(MilestonesOfCampaign(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Milestone)
            .collect())
    }

    /// What it did, by start date.
    #[graphql(complexity = "page_cost(first, last) * child_complexity")]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<ListConnection<CampaignActivity>> {
        let request = PageRequest {
            first,
            after,
            last,
            before,
        };
        connection(
            ctx,
            campaigns::activities_of(self.0.id),
            request,
            no_prefetch,
            CampaignActivity,
        )
        .await
    }

    /// Its figures in total: by channel and kind, reach, cost per reach.
    #[graphql(complexity = 5)]
    async fn summary(&self, ctx: &Context<'_>) -> Result<CampaignSummary> {
        let totals = figures::campaign_totals(super::db(ctx)?, self.0.id)
            .await
            .map_err(|err| err.extend())?;
        let reach = totals.reach();
        let budget = Budget::of(&self.0);
        #[expect(clippy::cast_precision_loss, reason = "reach is far below 2^53 people")]
        let cost_per_reach = budget
            .as_ref()
            .filter(|_| reach > 0)
            .map(|b| b.amount() / reach as f64);
        Ok(CampaignSummary {
            activities: totals.activities,
            reach,
            totals: totals
                .totals
                .into_iter()
                .map(|(channel, kind, value)| ChannelMetricTotal {
                    channel: channel.into(),
                    kind: kind.into(),
                    value,
                })
                .collect(),
            budget: budget.map(Money::from),
            cost_per_reach,
            first_activity: totals.first_activity.map(Date),
            last_activity: totals.last_activity.map(Date),
        })
    }
}

/// A campaign's figures in total.
#[derive(SimpleObject)]
pub struct CampaignSummary {
    /// Number of activities.
    activities: i64,
    /// Sum of the REACH figures of all its activities.
    reach: i64,
    /// Sums by channel and kind, for every pair with figures.
    totals: Vec<ChannelMetricTotal>,
    /// Its budget, when recorded.
    budget: Option<Money>,
    /// Budget divided by reach; null without a budget or without reach.
    cost_per_reach: Option<f64>,
    /// The earliest start of an activity.
    first_activity: Option<Date>,
    /// The latest end (or start) of an activity.
    last_activity: Option<Date>,
}

/// The sum of one kind of figure on one channel.
#[derive(SimpleObject)]
pub struct ChannelMetricTotal {
    /// The channel.
    channel: Channel,
    /// The kind of figure.
    kind: MetricKind,
    /// The sum.
    value: i64,
}

/// One thing a campaign did.
pub struct CampaignActivity(pub campaign_activity::Model);

/// One thing a campaign did: a press release, a broadcast, a workshop.
#[Object]
impl CampaignActivity {
    /// Opaque global id.
    pub(super) async fn id(&self) -> ID {
        global_id(NodeType::CampaignActivity, self.0.id)
    }

    /// The campaign it belongs to.
    async fn campaign(&self, ctx: &Context<'_>) -> Result<Campaign> {
        super::loader(ctx)?
            .load_one(CampaignById(self.0.campaign_id))
            .await?
            .map(Campaign)
            .ok_or_else(|| AppError::Internal("activity without campaign".to_owned()).extend())
    }

    /// How it reached people.
    async fn channel(&self) -> Channel {
        Channel::from_stored(&self.0.channel)
    }

    /// What it was.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// Its (first) day.
    async fn start_date(&self) -> Date {
        Date(self.0.start_date)
    }

    /// Its last day; null for a one-day activity.
    async fn end_date(&self) -> Option<Date> {
        self.0.end_date.map(Date)
    }

    /// Where it took place or whom it addressed, e.g. a region's name.
    async fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }

    /// The language it used (ISO 639-1).
    async fn language(&self) -> Option<&str> {
        self.0.language.as_deref()
    }

    /// A link to it (an article, a video, a post).
    async fn link(&self) -> Option<&str> {
        self.0.link.as_deref()
    }

    /// Notes.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }

    /// The figures recorded for it, by period and kind.
    #[graphql(complexity = "SHORT_LIST_COST * child_complexity")]
    async fn metrics(&self, ctx: &Context<'_>) -> Result<Vec<AwarenessMetric>> {
        Ok(super::loader(ctx)?
            .load_one(MetricsOfActivity(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(AwarenessMetric)
            .collect())
    }
}

/// A figure measured for an activity.
pub struct AwarenessMetric(pub awareness_metric::Model);

/// A figure measured for an activity over a period; recording the same
/// activity, kind and period again corrects it.
#[Object]
impl AwarenessMetric {
    /// Opaque global id.
    pub(super) async fn id(&self) -> ID {
        global_id(NodeType::AwarenessMetric, self.0.id)
    }

    /// The activity measured.
    async fn activity(&self, ctx: &Context<'_>) -> Result<CampaignActivity> {
        super::loader(ctx)?
            .load_one(ActivityById(self.0.activity_id))
            .await?
            .map(CampaignActivity)
            .ok_or_else(|| AppError::Internal("metric without activity".to_owned()).extend())
    }

    /// What it counts.
    async fn kind(&self) -> Result<MetricKind> {
        MetricKind::from_stored(&self.0.kind)
    }

    /// The figure.
    async fn value(&self) -> i64 {
        self.0.value
    }

    /// First day measured.
    async fn period_start(&self) -> Date {
        Date(self.0.period_start)
    }

    /// Last day measured.
    async fn period_end(&self) -> Date {
        Date(self.0.period_end)
    }

    /// Where the figure comes from, e.g. "platform analytics".
    async fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }

    /// When it was last recorded or corrected.
    async fn recorded_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.recorded_at
    }
}

/// Campaigns as a connection: of a commitment or of an action plan.
pub(super) fn campaign_connection<'a>(
    ctx: &'a Context<'_>,
    listing: crate::catalog::pagination::Listing<campaign::Entity, i64>,
    request: PageRequest,
) -> ConnectionFuture<'a, Campaign> {
    connection(ctx, listing, request, no_prefetch, Campaign)
}

/// An amount of money.
#[derive(InputObject)]
pub struct MoneyInput {
    /// At least 0, at most two decimals.
    pub amount: f64,
    /// ISO 4217 currency code, e.g. `MAD`.
    pub currency: String,
}

impl MoneyInput {
    fn into_budget(self) -> Result<Budget> {
        Budget::from_amount(self.amount, &self.currency).map_err(|err| err.extend())
    }
}

fn languages(field: &str, codes: Vec<String>) -> Result<Vec<Language>> {
    codes
        .iter()
        .filter_map(|code| inputs::language(field, Some(code)).transpose())
        .collect()
}

/// A new campaign.
#[derive(InputObject)]
pub struct CreateCampaignInput {
    /// Its name, 1 to 200 characters.
    pub title: String,
    /// What it sets out to achieve.
    pub objective: Option<String>,
    /// Whom it addresses.
    pub target_audience: Option<String>,
    /// The languages it communicates in (ISO 639-1 codes).
    #[graphql(default)]
    pub languages: Vec<String>,
    /// When it starts.
    pub start_date: Option<PartialDate>,
    /// When it ends.
    pub end_date: Option<PartialDate>,
    /// Where it stands; planned unless said otherwise.
    #[graphql(default_with = "CampaignStatus::Planned")]
    pub status: CampaignStatus,
    /// The institution running it (an `Institution.id`).
    pub institution_id: Option<ID>,
    /// The commitments it supports (at least one; focal points: their own).
    pub commitment_ids: Vec<ID>,
    /// Milestones of those commitments it delivers or supports.
    #[graphql(default)]
    pub milestone_ids: Vec<ID>,
    /// Its budget.
    pub budget: Option<MoneyInput>,
}

/// Changes to a campaign: fields left out stay as they are, `null` clears.
#[derive(InputObject)]
pub struct UpdateCampaignInput {
    /// The campaign (a `Campaign.id`).
    pub id: ID,
    /// Its name.
    pub title: Option<String>,
    /// What it sets out to achieve.
    pub objective: MaybeUndefined<String>,
    /// Whom it addresses.
    pub target_audience: MaybeUndefined<String>,
    /// The languages it communicates in (replaces the list).
    pub languages: Option<Vec<String>>,
    /// When it starts.
    pub start_date: MaybeUndefined<PartialDate>,
    /// When it ends.
    pub end_date: MaybeUndefined<PartialDate>,
    /// Where it stands.
    pub status: Option<CampaignStatus>,
    /// The institution running it.
    pub institution_id: MaybeUndefined<ID>,
    /// The commitments it supports (replaces the set; focal points add and
    /// remove only their own). Milestones of commitments no longer linked
    /// are unlinked too.
    pub commitment_ids: Option<Vec<ID>>,
    /// The milestones it supports (replaces the set).
    pub milestone_ids: Option<Vec<ID>>,
    /// Its budget.
    pub budget: MaybeUndefined<MoneyInput>,
}

/// A new activity of a campaign.
#[derive(InputObject)]
pub struct CreateCampaignActivityInput {
    /// The campaign (a `Campaign.id`).
    pub campaign_id: ID,
    /// How it reaches people.
    pub channel: Channel,
    /// What it is, 1 to 200 characters.
    pub title: String,
    /// Its (first) day.
    pub start_date: Date,
    /// Its last day, for an activity of several days.
    pub end_date: Option<Date>,
    /// Where it takes place or whom it addresses, e.g. a region's name.
    pub region: Option<String>,
    /// The language it uses (ISO 639-1).
    pub language: Option<String>,
    /// An http(s) link to it.
    pub link: Option<String>,
    /// Notes.
    pub notes: Option<String>,
}

/// Changes to an activity: fields left out stay as they are, `null` clears.
#[derive(InputObject)]
pub struct UpdateCampaignActivityInput {
    /// The activity (a `CampaignActivity.id`).
    pub id: ID,
    /// How it reaches people.
    pub channel: Option<Channel>,
    /// What it is.
    pub title: Option<String>,
    /// Its (first) day.
    pub start_date: Option<Date>,
    /// Its last day.
    pub end_date: MaybeUndefined<Date>,
    /// Where it takes place.
    pub region: MaybeUndefined<String>,
    /// The language it uses.
    pub language: MaybeUndefined<String>,
    /// An http(s) link to it.
    pub link: MaybeUndefined<String>,
    /// Notes.
    pub notes: MaybeUndefined<String>,
}

/// One figure to record.
#[derive(InputObject)]
pub struct AwarenessMetricInput {
    /// The activity measured (a `CampaignActivity.id`).
    pub activity_id: ID,
    /// What it counts.
    pub kind: MetricKind,
    /// The figure, 0 or more.
    pub value: i64,
    /// First day measured.
    pub period_start: Date,
    /// Last day measured; the first day when left out.
    pub period_end: Option<Date>,
    /// Where the figure comes from, e.g. "attendance sheet".
    pub source: Option<String>,
}

/// What `recordAwarenessMetrics` did.
#[derive(SimpleObject)]
pub struct RecordMetricsPayload {
    /// Figures recorded for the first time.
    created: u64,
    /// Figures that replaced a different value for the same activity, kind
    /// and period.
    corrected: u64,
    /// Figures identical to those already recorded.
    unchanged: u64,
    /// The stored figures, in the order given.
    metrics: Vec<AwarenessMetric>,
}

#[derive(Default)]
pub struct CampaignMutation;

/// Campaign writes: admins for every campaign, focal points for campaigns
/// linked to their commitments; each lands in the audit log.
#[Object]
impl CampaignMutation {
    /// Creates a campaign supporting one or more commitments.
    #[graphql(guard = "StaffOnly")]
    async fn create_campaign(
        &self,
        ctx: &Context<'_>,
        input: CreateCampaignInput,
    ) -> Result<Campaign> {
        let new = writing::NewCampaign {
            title: input.title,
            objective: input.objective,
            target_audience: input.target_audience,
            languages: languages("languages", input.languages)?,
            start_date: input.start_date.map(|d| d.0),
            end_date: input.end_date.map(|d| d.0),
            status: input.status.into(),
            institution_id: input
                .institution_id
                .as_ref()
                .map(|id| id_of("institutionId", id, NodeType::Institution))
                .transpose()?,
            budget: input.budget.map(MoneyInput::into_budget).transpose()?,
            commitment_ids: inputs::ids(
                "commitmentIds",
                &input.commitment_ids,
                NodeType::Commitment,
            )?,
            milestone_ids: inputs::ids("milestoneIds", &input.milestone_ids, NodeType::Milestone)?,
        };
        let row = writing::create(super::pool(ctx)?, actor(ctx), now(ctx)?, new)
            .await
            .map_err(|err| err.extend())?;
        Ok(Campaign(row))
    }

    /// Changes a campaign.
    #[graphql(guard = "StaffOnly")]
    async fn update_campaign(
        &self,
        ctx: &Context<'_>,
        input: UpdateCampaignInput,
    ) -> Result<Campaign> {
        let id = id_of("id", &input.id, NodeType::Campaign)?;
        let institution_id =
            inputs::change_id("institutionId", input.institution_id, NodeType::Institution)?;
        let budget = match input.budget {
            MaybeUndefined::Undefined => Change::Keep,
            MaybeUndefined::Null => Change::Set(None),
            MaybeUndefined::Value(money) => Change::Set(Some(money.into_budget()?)),
        };
        let changes = writing::CampaignChanges {
            title: inputs::keep_or(input.title, |t| t),
            objective: inputs::change(input.objective, |t| t),
            target_audience: inputs::change(input.target_audience, |t| t),
            languages: match input.languages {
                Some(codes) => Change::Set(languages("languages", codes)?),
                None => Change::Keep,
            },
            start_date: inputs::change(input.start_date, |d| d.0),
            end_date: inputs::change(input.end_date, |d| d.0),
            status: inputs::keep_or(input.status, Into::into),
            institution_id,
            budget,
            commitment_ids: match input.commitment_ids {
                Some(list) => {
                    Change::Set(inputs::ids("commitmentIds", &list, NodeType::Commitment)?)
                }
                None => Change::Keep,
            },
            milestone_ids: match input.milestone_ids {
                Some(list) => Change::Set(inputs::ids("milestoneIds", &list, NodeType::Milestone)?),
                None => Change::Keep,
            },
        };
        let row = writing::update(super::pool(ctx)?, actor(ctx), now(ctx)?, id, changes)
            .await
            .map_err(|err| err.extend())?;
        Ok(Campaign(row))
    }

    /// Deletes a campaign with its activities and figures; answers its id.
    #[graphql(guard = "StaffOnly")]
    async fn delete_campaign(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let number = id_of("id", &id, NodeType::Campaign)?;
        writing::delete(super::pool(ctx)?, actor(ctx), now(ctx)?, number)
            .await
            .map_err(|err| err.extend())?;
        Ok(id)
    }

    /// Adds an activity to a campaign.
    #[graphql(guard = "StaffOnly")]
    async fn create_campaign_activity(
        &self,
        ctx: &Context<'_>,
        input: CreateCampaignActivityInput,
    ) -> Result<CampaignActivity> {
        let new = activities::NewActivity {
            campaign_id: id_of("campaignId", &input.campaign_id, NodeType::Campaign)?,
            channel: input.channel.into(),
            title: input.title,
            start_date: input.start_date.0,
            end_date: input.end_date.map(|d| d.0),
            region: input.region,
            language: inputs::language("language", input.language.as_deref())?,
            link: input.link,
            notes: input.notes,
        };
        let row = activities::create(super::pool(ctx)?, actor(ctx), now(ctx)?, new)
            .await
            .map_err(|err| err.extend())?;
        Ok(CampaignActivity(row))
    }

    /// Changes an activity.
    #[graphql(guard = "StaffOnly")]
    async fn update_campaign_activity(
        &self,
        ctx: &Context<'_>,
        input: UpdateCampaignActivityInput,
    ) -> Result<CampaignActivity> {
        let id = id_of("id", &input.id, NodeType::CampaignActivity)?;
        let language = match input.language {
            MaybeUndefined::Undefined => Change::Keep,
            MaybeUndefined::Null => Change::Set(None),
            MaybeUndefined::Value(code) => Change::Set(inputs::language("language", Some(&code))?),
        };
        let changes = activities::ActivityChanges {
            channel: inputs::keep_or(input.channel, Into::into),
            title: inputs::keep_or(input.title, |t| t),
            start_date: inputs::keep_or(input.start_date, |d| d.0),
            end_date: inputs::change(input.end_date, |d| d.0),
            region: inputs::change(input.region, |t| t),
            language,
            link: inputs::change(input.link, |t| t),
            notes: inputs::change(input.notes, |t| t),
        };
        let row = activities::update(super::pool(ctx)?, actor(ctx), now(ctx)?, id, changes)
            .await
            .map_err(|err| err.extend())?;
        Ok(CampaignActivity(row))
    }

    /// Deletes an activity and its figures; answers its id.
    #[graphql(guard = "StaffOnly")]
    async fn delete_campaign_activity(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let number = id_of("id", &id, NodeType::CampaignActivity)?;
        activities::delete(super::pool(ctx)?, actor(ctx), now(ctx)?, number)
            .await
            .map_err(|err| err.extend())?;
        Ok(id)
    }

    /// Records awareness figures, up to 1000 at once, all or none: any bad
    /// row records nothing, and the error lists every bad row
    /// (`extensions.problems`). A figure for the same activity, kind and
    /// period as one already recorded corrects it.
    #[graphql(guard = "StaffOnly")]
    async fn record_awareness_metrics(
        &self,
        ctx: &Context<'_>,
        input: Vec<AwarenessMetricInput>,
    ) -> Result<RecordMetricsPayload> {
        if input.len() > MAX_METRIC_ROWS {
            return Err(AppError::bad_input(
                "input",
                format!("at most {MAX_METRIC_ROWS} figures at once"),
            )
            .extend());
        }
        let mut rows = Vec::with_capacity(input.len());
        for (index, row) in input.into_iter().enumerate() {
            rows.push(MetricRow {
                activity_id: id_of(
                    &format!("input[{index}].activityId"),
                    &row.activity_id,
                    NodeType::CampaignActivity,
                )?,
                kind: row.kind.into(),
                value: row.value,
                period_start: row.period_start.0,
                period_end: row.period_end.map(|d| d.0),
                source: row.source,
            });
        }
        let recording = metrics::record(super::pool(ctx)?, actor(ctx), now(ctx)?, rows)
            .await
            .map_err(|err| err.extend())?;
        Ok(RecordMetricsPayload {
            created: recording.created,
            corrected: recording.corrected,
            unchanged: recording.unchanged,
            metrics: recording.metrics.into_iter().map(AwarenessMetric).collect(),
        })
    }

    /// Deletes a figure; answers its id.
    #[graphql(guard = "StaffOnly")]
    async fn delete_awareness_metric(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let number = id_of("id", &id, NodeType::AwarenessMetric)?;
        metrics::delete(super::pool(ctx)?, actor(ctx), now(ctx)?, number)
            .await
            .map_err(|err| err.extend())?;
        Ok(id)
    }
}
