//! The GraphQL API: schema assembly and the helpers resolvers share. Types are
//! thin: they read the request context, call the catalogue, and convert.

mod action_plan;
mod commitment;
mod connection;
mod country;
mod focal_point;
mod institution;
mod limits;
mod loaders;
mod milestone;
mod node;
mod policy_area;
mod prefetch;
mod scalars;

use std::{sync::LazyLock, time::Duration};

use async_graphql::{
    dataloader::{DataLoader, HashMapCache},
    Context, EmptyMutation, EmptySubscription, MergedObject, Schema, SchemaBuilder,
};
use sea_orm::DatabaseConnection;

use crate::{
    error::AppError,
    language::{Language, LanguagePreference},
};
pub use limits::{with_code, Limits};
pub use loaders::CatalogLoader;

/// The root query: one part per domain type, merged.
#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    commitment::CommitmentQuery,
    action_plan::ActionPlanQuery,
    country::CountryQuery,
    institution::InstitutionQuery,
    policy_area::PolicyAreaQuery,
    focal_point::FocalPointQuery,
);

pub type AppSchema = Schema<Query, EmptyMutation, EmptySubscription>;

fn builder(limits: &Limits) -> SchemaBuilder<Query, EmptyMutation, EmptySubscription> {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription)
        .limit_complexity(limits.max_complexity)
        .extension(limits::LimitsExtension::new(limits.max_depth))
}

/// The executable schema, with the database every resolver reads.
pub fn build_schema(db: DatabaseConnection, limits: &Limits) -> AppSchema {
    builder(limits).data(db).finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder(&Limits::default()).finish().sdl()
}

/// Per-request state the HTTP layer adds to each GraphQL request.
pub fn request_data(
    request: async_graphql::Request,
    db: &DatabaseConnection,
    language: LanguagePreference,
) -> async_graphql::Request {
    // One loader per request: batching and caching never cross requests, so
    // no request ever sees another's (possibly stale) rows.
    let loader: RequestLoader = DataLoader::with_cache(
        CatalogLoader::new(db.clone()),
        tokio::spawn,
        HashMapCache::default(),
    )
    .delay(Duration::from_millis(1));
    request.data(loader).data(language)
}

pub(crate) fn db<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a DatabaseConnection> {
    ctx.data::<DatabaseConnection>()
}

/// The per-request loader, with a cache that lives as long as the request.
pub(crate) type RequestLoader = DataLoader<CatalogLoader, HashMapCache>;

pub(crate) fn loader<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a RequestLoader> {
    ctx.data::<RequestLoader>()
}

static DEFAULT_PREFERENCE: LazyLock<LanguagePreference> =
    LazyLock::new(|| LanguagePreference::only(&Language::english()));

pub(crate) fn preference<'a>(ctx: &Context<'a>) -> &'a LanguagePreference {
    ctx.data_opt::<LanguagePreference>()
        .unwrap_or(&DEFAULT_PREFERENCE)
}

/// A record whose required text exists in no language breaks an invariant the
/// import enforces; say so rather than answer an empty string.
pub(crate) fn missing_text(what: &str, id: i64) -> async_graphql::Error {
    use async_graphql::ErrorExtensions;
    AppError::Internal(format!("{what} {id} has no text in any language")).extend()
}
