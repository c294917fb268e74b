//! Countries taking part in OGP.

use super::prefetch;
use async_graphql::{Context, ID, Object, Result};
use entity::country;

use super::{
    action_plan::ActionPlan,
    connection::{ListConnection, SHORT_LIST_COST, connection, page_cost},
    loaders::ActionPlansOfCountry,
    node::{NodeType, global_id},
};
use crate::catalog::{listings, pagination::PageRequest};

pub struct Country(pub country::Model);

/// A country taking part in the Open Government Partnership.
#[Object]
impl Country {
    /// Opaque global id.
    pub(super) async fn id(&self) -> ID {
        global_id(NodeType::Country, self.0.id)
    }

    /// ISO 3166-1 alpha-2 code, e.g. `MA`.
    async fn iso_code(&self) -> &str {
        &self.0.iso_code
    }

    /// English short name, e.g. "Morocco".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The country's action plans, by key.
    #[graphql(complexity = "SHORT_LIST_COST * child_complexity")]
    async fn action_plans(&self, ctx: &Context<'_>) -> Result<Vec<ActionPlan>> {
        Ok(super::loader(ctx)?
            .load_one(ActionPlansOfCountry(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(ActionPlan)
            .collect())
    }
}

#[derive(Default)]
pub struct CountryQuery;

#[Object]
impl CountryQuery {
    /// Countries by ISO code.
    #[graphql(complexity = "page_cost(first, last) * child_complexity")]
    async fn countries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<ListConnection<Country>> {
        let request = PageRequest {
            first,
            after,
            last,
            before,
        };
        connection(
            ctx,
            listings::countries(),
            request,
            prefetch::countries,
            Country,
        )
        .await
    }
}
