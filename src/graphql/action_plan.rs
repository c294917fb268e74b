//! National action plans.

use super::prefetch;
use async_graphql::{Context, Enum, ErrorExtensions, Object, Result, SimpleObject, ID};
use entity::{action_plan, action_plan_translation};

use super::{
    commitment::{commitment_connection, scoped, Commitment, CommitmentFilter, CommitmentOrder},
    connection::{connection, page_cost, ListConnection, SHORT_LIST_COST},
    country::Country,
    loaders::{ActionPlanTranslations, CountryById},
    node::{global_id, NodeType},
    scalars::PartialDate,
};
use crate::{
    catalog::{listings, lookups, pagination::PageRequest, vocabulary},
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

impl ActionPlan {
    async fn translations_of(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<action_plan_translation::Model>> {
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
        let mut translations = self.translations_of(ctx).await?;
        translations.sort_by(|a, b| a.language.cmp(&b.language));
        Ok(translations
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
