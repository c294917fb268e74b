//! National action plans.

use super::guards::HasRole;
use super::prefetch;
use crate::staff::Role;
use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject,
};
use entity::{action_plan, action_plan_translation};

use super::{
    awareness::{AwarenessFigures, awareness_figures},
    campaign::{Campaign, campaign_connection},
    compliance::{ComplianceAlert, ResponseLedger, action_plan_alerts, response_ledger},
    meeting::{Meeting, meeting_connection},
};
use super::{
    commitment::{Commitment, CommitmentFilter, CommitmentOrder, commitment_connection, scoped},
    connection::{ListConnection, SHORT_LIST_COST, connection, page_cost},
    country::Country,
    loaders::{ActionPlanTranslations, CountryById},
    node::{NodeType, global_id},
    scalars::{Date, PartialDate},
};
use super::{
    inputs::{self, TextInput},
    staff::{actor, id_of, now},
};
use crate::accountability::{ledger::Scope, meetings};
use crate::awareness::Subject;
use crate::{
    catalog::{listings, lookups, pagination::PageRequest, vocabulary},
    editing::records,
    error::AppError,
};

pub struct ActionPlan(pub action_plan::Model);

/// Where an action plan stands in the OGP cycle.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ActionPlanStatus {
    /// Being co-created with civil society.
    InDevelopment,
    /// Adopted and being implemented.
    InImplementation,
    /// Its implementation period has ended.
    Completed,
}

impl From<ActionPlanStatus> for vocabulary::ActionPlanStatus {
    fn from(value: ActionPlanStatus) -> Self {
        match value {
            ActionPlanStatus::InDevelopment => Self::InDevelopment,
            ActionPlanStatus::InImplementation => Self::InImplementation,
            ActionPlanStatus::Completed => Self::Completed,
        }
    }
}

impl ActionPlan {
    async fn translations_of(
        &self,
        ctx: &Context<'_>,
    ) -> Result<super::loaders::Texts<action_plan_translation::Model>> {
        Ok(super::loader(ctx)?
            .load_one(ActionPlanTranslations(self.0.id))
            .await?
            .unwrap_or_default())
    }
}

/// A country's national action plan, e.g. "Morocco Action Plan 2018-2020".
#[Object]
impl ActionPlan {
    /// Opaque global id.
    pub(super) async fn id(&self) -> ID {
        global_id(NodeType::ActionPlan, self.0.id)
    }

    /// Stable readable identifier, e.g. `morocco-2018-2020`.
    async fn key(&self) -> &str {
        &self.0.key
    }

    /// Title in the request's language (with the documented fallback).
    async fn title(&self, ctx: &Context<'_>) -> Result<String> {
        let translations = self.translations_of(ctx).await?;
        let record = ("action plan", self.0.id);
        let text = super::required_text(ctx, &translations, |t| Some(t.title.as_str()), record)?;
        Ok(text.value.to_owned())
    }

    /// Language of `title` in this answer.
    async fn language(&self, ctx: &Context<'_>) -> Result<String> {
        let translations = self.translations_of(ctx).await?;
        let record = ("action plan", self.0.id);
        let text = super::required_text(ctx, &translations, |t| Some(t.title.as_str()), record)?;
        Ok(text.language)
    }

    /// Every published translation of the title.
    #[graphql(complexity = "SHORT_LIST_COST * child_complexity")]
    async fn translations(&self, ctx: &Context<'_>) -> Result<Vec<ActionPlanTranslation>> {
        Ok(super::by_language(&self.translations_of(ctx).await?)
            .into_iter()
            .map(|row| ActionPlanTranslation {
                language: row.language,
                title: row.title,
            })
            .collect())
    }

    /// Year of the OGP cycle the plan belongs to, e.g. 2018.
    async fn cycle_year(&self) -> i32 {
        self.0.cycle_year
    }

    /// Null when not published.
    async fn start_date(&self) -> Option<PartialDate> {
        PartialDate::from_stored(self.0.start_date.as_deref())
    }

    /// Null when not published.
    async fn end_date(&self) -> Option<PartialDate> {
        PartialDate::from_stored(self.0.end_date.as_deref())
    }

    /// Null when not published.
    async fn status(&self) -> Option<ActionPlanStatus> {
        use vocabulary::ActionPlanStatus as V;
        self.0
            .status
            .as_deref()
            .and_then(V::parse)
            .map(|status| match status {
                V::InDevelopment => ActionPlanStatus::InDevelopment,
                V::InImplementation => ActionPlanStatus::InImplementation,
                V::Completed => ActionPlanStatus::Completed,
            })
    }

    /// How citizens' feedback on the plan's commitments is moderated.
    async fn moderation_mode(&self) -> ModerationMode {
        match vocabulary::ModerationMode::parse(&self.0.moderation_mode) {
            Some(vocabulary::ModerationMode::Pre) => ModerationMode::Pre,
            _ => ModerationMode::Post,
        }
    }

    /// The ledger of reasoned responses to citizens' proposals on all its
    /// commitments.
    #[graphql(complexity = 10)]
    async fn response_ledger(&self, ctx: &Context<'_>) -> Result<ResponseLedger> {
        response_ledger(ctx, Scope::ActionPlan(self.0.id)).await
    }

    /// Its dialogue meetings (multi-stakeholder forum, implementation),
    /// newest first.
    #[graphql(complexity = "page_cost(first, None) * child_complexity")]
    async fn meetings(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ListConnection<Meeting>> {
        let request = PageRequest {
            first,
            after,
            ..PageRequest::default()
        };
        meeting_connection(ctx, meetings::of_action_plan(self.0.id), request).await
    }

    /// What OGP's standards expect that is late, as of now: the plan's own
    /// alerts (evidence repository, forum, implementation meetings) first,
    /// then each commitment's, by code. Empty once the plan is completed.
    #[graphql(complexity = 20)]
    async fn compliance_alerts(&self, ctx: &Context<'_>) -> Result<Vec<ComplianceAlert>> {
        action_plan_alerts(ctx, &self.0).await
    }

    /// Communication campaigns supporting it, oldest first.
    #[graphql(
        complexity = "page_cost(first, last) * child_complexity",
        cache_control(max_age = 60)
    )]
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<ListConnection<Campaign>> {
        let request = PageRequest {
            first,
            after,
            last,
            before,
        };
        campaign_connection(ctx, crate::campaigns::of_action_plan(self.0.id), request).await
    }

    /// Public awareness of it over a period (default: the 30 days ending
    /// today): reach of the campaigns supporting its commitments, answers to the pulse about the plan and its
    /// commitments, and
    /// the trend against the equal period before.
    #[graphql(complexity = 10, cache_control(max_age = 60))]
    async fn awareness(
        &self,
        ctx: &Context<'_>,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<AwarenessFigures> {
        awareness_figures(ctx, Subject::ActionPlan(self.0.id), from, to).await
    }

    /// The country whose plan this is.
    async fn country(&self, ctx: &Context<'_>) -> Result<Country> {
        super::loader(ctx)?
            .load_one(CountryById(self.0.country_id))
            .await?
            .map(Country)
            .ok_or_else(|| {
                AppError::Internal(format!("action plan {} has no country", self.0.id)).extend()
            })
    }

    /// The plan's commitments, as a connection (same arguments as
    /// `Query.commitments`).
    #[graphql(complexity = "page_cost(first, last) * child_complexity")]
    async fn commitments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<CommitmentFilter>,
        order_by: Option<CommitmentOrder>,
    ) -> Result<ListConnection<Commitment>> {
        let request = PageRequest {
            first,
            after,
            last,
            before,
        };
        let plan = self.0.id;
        commitment_connection(ctx, request, filter, order_by, |domain| {
            scoped(&mut domain.action_plan_id, plan, "filter.actionPlanId")
        })
        .await
    }
}

/// An action plan's title in one language.
#[derive(SimpleObject)]
pub struct ActionPlanTranslation {
    /// ISO 639-1 language code.
    language: String,
    /// The title in that language.
    title: String,
}

#[derive(Default)]
pub struct ActionPlanQuery;

#[Object]
impl ActionPlanQuery {
    /// An action plan by its key, e.g. "morocco-2018-2020"; null when there is none.
    async fn action_plan(&self, ctx: &Context<'_>, key: String) -> Result<Option<ActionPlan>> {
        let db = super::db(ctx)?;
        let found = lookups::action_plan_by_key(db, &key)
            .await
            .map_err(|err| err.extend())?;
        if let Some(row) = &found {
            prefetch::action_plans(super::loader(ctx)?, vec![row.clone()], ctx.look_ahead())
                .await?;
        }
        Ok(found.map(ActionPlan))
    }

    /// Action plans by key, of one country when `countryIsoCode` is given.
    #[graphql(complexity = "page_cost(first, last) * child_complexity")]
    async fn action_plans(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(desc = "ISO 3166-1 alpha-2 code, e.g. \"MA\".")] country_iso_code: Option<String>,
    ) -> Result<ListConnection<ActionPlan>> {
        let request = PageRequest {
            first,
            after,
            last,
            before,
        };
        connection(
            ctx,
            listings::action_plans(country_iso_code.as_deref()),
            request,
            prefetch::action_plans,
            ActionPlan,
        )
        .await
    }
}

/// How an action plan's feedback is moderated.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ModerationMode {
    /// Published at once, moderated afterwards (the default).
    Post,
    /// Queued until a moderator approves it.
    Pre,
}

/// A new action plan.
#[derive(InputObject)]
pub struct CreateActionPlanInput {
    /// Stable identifier, e.g. `morocco-2021-2023`.
    pub key: String,
    /// ISO 3166-1 alpha-2 code of a country in the catalogue.
    pub country_iso_code: String,
    /// Year of the OGP cycle.
    pub cycle_year: i32,
    /// Title, in one or more languages.
    pub title: Vec<TextInput>,
    /// Start of the plan.
    pub start_date: Option<PartialDate>,
    /// End of the plan.
    pub end_date: Option<PartialDate>,
    /// Where the plan stands.
    pub status: Option<ActionPlanStatus>,
}

/// Changes to an action plan; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateActionPlanInput {
    /// The action plan (an `ActionPlan.id`).
    pub id: ID,
    /// Titles to set, by language; other languages are kept.
    #[graphql(default)]
    pub title: Vec<TextInput>,
    /// Start of the plan (`null` clears it).
    pub start_date: MaybeUndefined<PartialDate>,
    /// End of the plan (`null` clears it).
    pub end_date: MaybeUndefined<PartialDate>,
    /// Where the plan stands (`null` clears it).
    pub status: MaybeUndefined<ActionPlanStatus>,
    /// How citizens' feedback on the plan's commitments is moderated.
    pub moderation_mode: Option<ModerationMode>,
}

#[derive(Default)]
pub struct ActionPlanMutation;

#[Object]
impl ActionPlanMutation {
    /// Creates an action plan (admins).
    #[graphql(guard = "HasRole(Role::Admin)")]
    async fn create_action_plan(
        &self,
        ctx: &Context<'_>,
        input: CreateActionPlanInput,
    ) -> Result<ActionPlan> {
        let new = records::NewActionPlan {
            key: input.key,
            country_iso_code: input.country_iso_code,
            cycle_year: input.cycle_year,
            title: inputs::texts("title", input.title)?,
            start_date: input.start_date.map(|d| d.0),
            end_date: input.end_date.map(|d| d.0),
            status: input.status.map(Into::into),
        };
        let row = records::create_action_plan(super::pool(ctx)?, actor(ctx), now(ctx)?, new)
            .await
            .map_err(|err| err.extend())?;
        Ok(ActionPlan(row))
    }

    /// Changes an action plan (admins).
    #[graphql(guard = "HasRole(Role::Admin)")]
    async fn update_action_plan(
        &self,
        ctx: &Context<'_>,
        input: UpdateActionPlanInput,
    ) -> Result<ActionPlan> {
        let id = id_of("id", &input.id, NodeType::ActionPlan)?;
        let changes = records::ActionPlanChanges {
            title: inputs::texts("title", input.title)?,
            start_date: inputs::change(input.start_date, |d| d.0),
            end_date: inputs::change(input.end_date, |d| d.0),
            status: inputs::change(input.status, Into::into),
            moderation_mode: inputs::keep_or(input.moderation_mode, |mode| match mode {
                ModerationMode::Post => vocabulary::ModerationMode::Post,
                ModerationMode::Pre => vocabulary::ModerationMode::Pre,
            }),
        };
        let row =
            records::update_action_plan(super::pool(ctx)?, actor(ctx), now(ctx)?, id, changes)
                .await
                .map_err(|err| err.extend())?;
        Ok(ActionPlan(row))
    }
}
