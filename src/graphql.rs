//! The GraphQL API: schema assembly and the helpers resolvers share. Types are
//! thin: they read the request context, call the catalogue, and convert.

mod action_plan;
mod awareness;
mod campaign;
mod commitment;
mod compliance;
mod connection;
mod country;
mod digest;
pub mod documents;
mod feedback;
mod focal_point;
mod guards;
mod implementation_update;
mod inputs;
mod institution;
mod limits;
mod loaders;
mod meeting;
mod milestone;
mod node;
mod policy_area;
mod prefetch;
mod scalars;
mod staff;
mod touched;

use std::{
    sync::{Arc, LazyLock},
    time::Duration,
};

use async_graphql::{
    Context, MergedObject, MergedSubscription, Schema, SchemaBuilder, ValidationMode,
    dataloader::{DataLoader, HashMapCache},
};
use sea_orm::DatabaseConnection;

use crate::{
    clock::Clock,
    config::ApiArgs,
    db::{PublicWrites, Reads},
    error::AppError,
    feedback::{Visitor, events::FeedbackEvents},
    language::{Language, LanguagePreference, Translated},
    metrics::Metrics,
    ratelimit::RateLimiter,
    staff::{Actor, throttle::LoginThrottle},
};
pub use limits::{Limits, admit, code_errors, with_code};
pub use loaders::CatalogLoader;
pub use touched::Touched;

/// The root query: one part per domain type, merged.
#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    staff::StaffQuery,
    feedback::FeedbackQuery,
    awareness::AwarenessQuery,
    digest::DigestQuery,
    commitment::CommitmentQuery,
    action_plan::ActionPlanQuery,
    country::CountryQuery,
    institution::InstitutionQuery,
    policy_area::PolicyAreaQuery,
    focal_point::FocalPointQuery,
);

/// The root mutation: staff sessions, citizens' feedback and awareness
/// answers, and the write side of the catalogue and campaigns.
#[derive(MergedObject, Default)]
pub struct Mutation(
    staff::StaffMutation,
    feedback::FeedbackMutation,
    awareness::AwarenessMutation,
    campaign::CampaignMutation,
    digest::DigestMutation,
    commitment::CommitmentMutation,
    milestone::MilestoneMutation,
    action_plan::ActionPlanMutation,
    institution::InstitutionMutation,
    policy_area::PolicyAreaMutation,
    focal_point::FocalPointMutation,
    implementation_update::ImplementationUpdateMutation,
    meeting::MeetingMutation,
);

/// The root subscription: live updates.
#[derive(MergedSubscription, Default)]
pub struct Subscription(feedback::FeedbackSubscription);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

fn builder(limits: &Limits) -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_complexity(limits.max_complexity)
}

/// The executable schemas, with what every resolver may need: the rules
/// and limits `api` configures, and the shared parts of the application.
pub struct Schemas {
    /// For HTTP requests, whose handler applies the request limits itself
    /// (`limits::admit`, `limits::code_errors`): with no extension installed,
    /// async-graphql resolves each field directly instead of through a chain
    /// of boxed futures around every one.
    pub http: AppSchema,
    /// The same, for HTTP requests seen to pass validation on `http` before
    /// (see [`documents::ValidatedRequests`]): it measures a request's depth
    /// and complexity for the limits and skips the rules, which would find
    /// nothing again.
    pub http_validated: AppSchema,
    /// For websockets, where the limits run as an extension.
    pub sockets: AppSchema,
}

/// Builds both schemas over the same shared parts.
pub fn build_schemas(
    db: DatabaseConnection,
    writer: PublicWrites,
    api: &ApiArgs,
    clock: Arc<dyn Clock>,
    throttle: Arc<LoginThrottle>,
    limiter: Arc<RateLimiter>,
    events: Arc<FeedbackEvents>,
    metrics: Arc<Metrics>,
) -> Schemas {
    let limits = api.limits();
    let finish = |schema: SchemaBuilder<Query, Mutation, Subscription>| {
        schema
            .data(db.clone())
            // What resolvers read through when a request brings no reads of
            // its own (see `request_data`).
            .data(Reads::pooled(db.clone()))
            .data(writer.clone())
            .data(Arc::clone(&clock))
            .data(Arc::clone(&throttle))
            .data(Arc::clone(&limiter))
            .data(api.feedback_rules())
            .data(Arc::clone(&events))
            .data(Arc::clone(&metrics))
            .data(feedback::PublicUrl(api.public_url.clone()))
            .data(api.compliance.rules())
            .finish()
    };
    let http = || {
        let http = builder(&limits);
        if api.response_cache_ttl_seconds > 0 {
            // Only the response cache needs to know what a request touched;
            // the recorder wraps every field's resolution, which without the
            // cache would cost each response for nothing.
            return http.extension(touched::TouchedExtension);
        }
        http
    };
    Schemas {
        http: finish(http()),
        http_validated: finish(http().validation_mode(ValidationMode::Fast)),
        sockets: finish(builder(&limits).extension(limits::LimitsExtension::new(limits.max_depth))),
    }
}

/// The number of a campaign activity from its id as the API shows it, or
/// from the plain number (for the command line's CSV import).
pub fn activity_number(text: &str) -> Option<i64> {
    match node::decode_any(text) {
        Some((node::NodeType::CampaignActivity, number)) => Some(number),
        Some(_) => None,
        None => text.parse().ok().filter(|n: &i64| *n > 0),
    }
}

/// The global id of an uploaded evidence document.
pub fn document_global_id(number: i64) -> async_graphql::ID {
    node::global_id(node::NodeType::EvidenceDocument, number)
}

/// The number of an uploaded evidence document from its global id.
pub fn document_number(text: &str) -> Option<i64> {
    match node::decode_any(text.trim()) {
        Some((node::NodeType::EvidenceDocument, number)) => Some(number),
        _ => None,
    }
}

/// The number of a focal point from its id as the API shows it.
pub fn focal_point_number(text: &str) -> Option<i64> {
    match node::decode_any(text.trim()) {
        Some((node::NodeType::FocalPoint, number)) => Some(number),
        _ => None,
    }
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder(&Limits::default()).finish().sdl()
}

/// Per-request state the HTTP layer adds to each GraphQL request.
pub fn request_data(
    request: async_graphql::Request,
    reads: Reads,
    language: LanguagePreference,
    actor: Actor,
    client_address: String,
    visitor: Visitor,
) -> async_graphql::Request {
    // One loader per request: batching and caching never cross requests, so
    // no request ever sees another's (possibly stale) rows.
    let loader: RequestLoader = DataLoader::with_cache(
        CatalogLoader::for_audience(reads.clone(), feedback::audience_of(&actor)),
        tokio::spawn,
        HashMapCache::default(),
    )
    .delay(Duration::from_millis(1));
    request
        .data(loader)
        .data(reads)
        .data(language)
        .data(actor)
        .data(staff::ClientAddress(client_address))
        .data(staff::LoginGate::default())
        .data(visitor)
}

/// Per-connection state of a live (websocket) connection: like a request's,
/// but the loader keeps no cache, since a connection lives for hours.
pub fn connection_data(
    db: &DatabaseConnection,
    language: LanguagePreference,
) -> async_graphql::Data {
    let loader: RequestLoader = DataLoader::with_cache(
        CatalogLoader::new(Reads::pooled(db.clone())),
        tokio::spawn,
        HashMapCache::default(),
    );
    loader.enable_all_cache(false);
    let mut data = async_graphql::Data::default();
    data.insert(loader);
    data.insert(language);
    data.insert(Actor::Anonymous);
    data
}

/// What a resolver reads through: for a read operation, its own connection
/// (see `db::Reads`).
pub(crate) fn db<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Reads> {
    ctx.data::<Reads>()
}

/// Puts reads a resolver makes itself (not through the request's loader) in
/// a heap allocation of their own, so that the resolver's future stays
/// small. async-graphql resolves every field of an object in a boxed future
/// as large as the type's largest field (see
/// [`connection::ConnectionFuture`]): one field awaiting kilobytes of
/// database-driver state inline makes every field of the type, in every item
/// of a list, allocate and copy as much.
pub(crate) fn read_apart<'a, T>(
    reads: impl std::future::Future<Output = T> + Send + 'a,
) -> futures_util::future::BoxFuture<'a, T> {
    Box::pin(reads)
}

/// The pool, for what a resolver writes in a transaction of its own.
pub(crate) fn pool<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a DatabaseConnection> {
    ctx.data::<DatabaseConnection>()
}

/// Where a write anyone may make (a comment, a support, a report) goes
/// (`Database::writer`).
pub(crate) fn public_writes<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a PublicWrites> {
    ctx.data::<PublicWrites>()
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

/// A translation row: one record's texts in one language.
pub(crate) trait Translation {
    fn language(&self) -> &str;
}

macro_rules! translation_rows {
    ($($model:path),+ $(,)?) => {$(
        impl Translation for $model {
            fn language(&self) -> &str {
                &self.language
            }
        }
    )+};
}

translation_rows!(
    entity::action_plan_translation::Model,
    entity::commitment_translation::Model,
    entity::institution_translation::Model,
    entity::milestone_translation::Model,
    entity::implementation_update_translation::Model,
);

/// A record's translations as a `translations` field lists them: a copy of
/// each, in the order of their language codes.
pub(crate) fn by_language<T: Translation + Clone>(texts: &[T]) -> Vec<T> {
    let mut rows = texts.to_vec();
    rows.sort_by(|a, b| a.language().cmp(b.language()));
    rows
}

/// The request's best text of `field` among a record's translations, with
/// the language it was found in.
pub(crate) fn best_text<'r, T: Translation>(
    ctx: &Context<'_>,
    rows: &'r [T],
    field: impl Fn(&'r T) -> Option<&'r str>,
) -> Option<Translated<'r, str>> {
    preference(ctx).pick(rows, Translation::language, field)
}

/// Like [`best_text`], for a text every record has (a title, a name). A
/// record without it in any language breaks an invariant the import
/// enforces; say so rather than answer an empty string.
pub(crate) fn required_text<'r, T: Translation>(
    ctx: &Context<'_>,
    rows: &'r [T],
    field: impl Fn(&'r T) -> Option<&'r str>,
    record: (&str, i64),
) -> async_graphql::Result<Translated<'r, str>> {
    use async_graphql::ErrorExtensions;
    best_text(ctx, rows, field).ok_or_else(|| {
        let (what, id) = record;
        AppError::Internal(format!("{what} {id} has no text in any language")).extend()
    })
}
