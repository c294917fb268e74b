//! The application: state shared by every request, and its HTTP routes.

use std::sync::Arc;

use poem::{
    Endpoint, EndpointExt, IntoEndpoint, Route, get,
    http::{Method, header},
    middleware::Cors,
    post,
};

use crate::{
    accountability::documents::DocumentStore,
    clock::{Clock, SystemClock},
    config::ApiArgs,
    db::Database,
    feedback::events::FeedbackEvents,
    graphql::{
        self, AppSchema, Limits,
        documents::{ParsedDocuments, ValidatedRequests},
    },
    http,
    language::Language,
    metrics::Metrics,
    persisted_queries::PersistedQueries,
    ratelimit::RateLimiter,
    response_cache::{self, ResponseCache},
    shared::SharedStore,
    staff::throttle::LoginThrottle,
};

/// What every request handler can reach.
pub struct AppState {
    pub db: Database,
    pub clock: Arc<dyn Clock>,
    /// The schema HTTP requests run on.
    pub schema: AppSchema,
    /// The same, for HTTP requests that passed validation before (see
    /// `validated_requests`).
    pub validated_schema: AppSchema,
    /// The schema websockets run on (the same, with the limits as an
    /// extension).
    pub socket_schema: AppSchema,
    pub limits: Limits,
    pub default_language: Language,
    /// Browser origins allowed by CORS; empty means any.
    pub cors_allowed_origins: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` entries are believed.
    pub trusted_proxies: usize,
    /// Secret of visitor keys.
    pub visitor_salt: String,
    /// The Redis every instance shares, when configured.
    pub shared: Option<Arc<SharedStore>>,
    /// Anonymous query results; `None` when turned off.
    pub response_cache: Option<Arc<ResponseCache>>,
    pub metrics: Arc<Metrics>,
    /// Documents of automatic persisted queries.
    pub persisted_queries: PersistedQueries,
    /// GraphQL documents parsed before.
    pub parsed_documents: ParsedDocuments,
    /// GraphQL requests validated before.
    pub validated_requests: ValidatedRequests,
    /// Where evidence documents are kept.
    pub documents: DocumentStore,
    /// Public address of the site (`PUBLIC_URL`), the base of links.
    pub public_url: String,
}

impl AppState {
    pub fn new(db: Database, api: &ApiArgs) -> Arc<Self> {
        Self::with_clock(db, api, Arc::new(SystemClock))
    }

    /// The state with a given clock (tests move time by hand).
    pub fn with_clock(db: Database, api: &ApiArgs, clock: Arc<dyn Clock>) -> Arc<Self> {
        let limits = api.limits();
        let visitor_salt = api.visitor_salt.clone().unwrap_or_else(|| {
            tracing::warn!(
                "OGP_PULSE_VISITOR_SALT is not set: visitor keys change at each start and differ between instances"
            );
            crate::staff::credentials::generate_token()
        });
        let shared = api.redis_url.as_deref().and_then(|url| {
            match SharedStore::connect(url, &api.redis_prefix) {
                Ok(store) => Some(Arc::new(store)),
                Err(err) => {
                    // A malformed URL: say so, and serve in-process rather than not at all.
                    tracing::error!(error = %err, "REDIS_URL is not usable: running without Redis");
                    None
                }
            }
        });
        let limiter = || match &shared {
            Some(store) => RateLimiter::shared(Arc::clone(store), Arc::clone(&clock)),
            None => RateLimiter::in_process(Arc::clone(&clock)),
        };
        let throttle = Arc::new(LoginThrottle::new(limiter(), &visitor_salt));
        let events = Arc::new(match &shared {
            Some(store) => FeedbackEvents::shared(Arc::clone(store), db.background.clone()),
            None => FeedbackEvents::default(),
        });
        let limiter = Arc::new(limiter());
        let metrics = Arc::new(Metrics::new());
        let ttl = std::time::Duration::from_secs(api.response_cache_ttl_seconds);
        let response_cache = (!ttl.is_zero()).then(|| {
            let bytes = api.response_cache_mib.saturating_mul(1 << 20);
            let cache = Arc::new(match &shared {
                Some(store) => {
                    ResponseCache::shared(Arc::clone(store), ttl, bytes, metrics.cache_counters())
                }
                None => ResponseCache::in_process(ttl, bytes, metrics.cache_counters()),
            });
            response_cache::watch_external_writes(Arc::downgrade(&cache), db.background.clone());
            cache
        });
        let schemas = graphql::build_schemas(
            db.conn.clone(),
            db.writer.clone(),
            api,
            Arc::clone(&clock),
            throttle,
            limiter,
            events,
            Arc::clone(&metrics),
        );
        let persisted_queries = match &shared {
            Some(store) => PersistedQueries::shared(Arc::clone(store)),
            None => PersistedQueries::in_process(),
        };
        Arc::new(Self {
            db,
            clock,
            schema: schemas.http,
            validated_schema: schemas.http_validated,
            socket_schema: schemas.sockets,
            limits,
            default_language: api.default_language.clone(),
            cors_allowed_origins: api.cors_allowed_origins.clone(),
            trusted_proxies: api.trusted_proxies,
            visitor_salt,
            shared,
            response_cache,
            metrics,
            persisted_queries,
            parsed_documents: ParsedDocuments::default(),
            validated_requests: ValidatedRequests::default(),
            documents: api.documents(),
            public_url: api.public_url.clone(),
        })
    }
}

/// The HTTP application: GraphiQL at `/`, the API at `/graphql`, `/health`.
pub fn routes(state: Arc<AppState>) -> impl Endpoint {
    // Frontends on other origins call the API from browsers.
    let cors = Cors::new()
        .allow_origins(state.cors_allowed_origins.iter().map(String::as_str))
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .expose_header(header::VARY)
        .max_age(3600);
    Route::new()
        .at("/", get(http::graphiql))
        .at(
            "/graphql",
            get(http::graphql_get)
                .post(http::graphql_post)
                .into_endpoint(),
        )
        .at("/graphql/ws", get(http::graphql_ws))
        .at("/evidence/documents", post(http::evidence::upload))
        .at("/evidence/documents/*rest", get(http::evidence::download))
        .at("/export/:plan/:file", get(http::exports::export))
        .at("/health", get(http::health))
        .at("/metrics", get(http::metrics))
        .at(
            "/digest/confirm",
            get(http::mail_links::confirm_page).post(http::mail_links::confirm),
        )
        .at(
            "/unsubscribe",
            get(http::mail_links::unsubscribe_page).post(http::mail_links::unsubscribe),
        )
        .data(state)
        .with(cors)
        .around(http::log_request)
}
