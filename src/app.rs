//! The application: state shared by every request, and its HTTP routes.

use std::sync::Arc;

use poem::{get, Endpoint, EndpointExt, IntoEndpoint, Route};

use crate::{
    config::ApiArgs,
    db::Database,
    graphql::{self, AppSchema, Limits},
    http,
    language::Language,
};

/// What every request handler can reach.
pub struct AppState {
    pub db: Database,
    pub schema: AppSchema,
    pub limits: Limits,
    pub default_language: Language,
}

impl AppState {
    pub fn new(db: Database, api: &ApiArgs) -> Arc<Self> {
        let limits = api.limits();
        let schema = graphql::build_schema(db.conn.clone(), &limits);
        Arc::new(Self {
            db,
            schema,
            limits,
            default_language: api.default_language.clone(),
        })
    }
}

/// The HTTP application: GraphiQL at `/`, the API at `/graphql`, `/health`.
pub fn routes(state: Arc<AppState>) -> impl Endpoint {
    Route::new()
        .at("/", get(http::graphiql))
        .at(
            "/graphql",
            get(http::graphql_get)
                .post(http::graphql_post)
                .into_endpoint(),
        )
        .at("/health", get(http::health))
        .data(state)
        .around(http::log_request)
}
