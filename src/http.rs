//! GraphQL over HTTP, by hand rather than through a generic adapter, so that
//! every refusal (too large, batched, mutation over GET, malformed) is a clear
//! GraphQL-shaped error with a stable code and the right status.

pub mod evidence;
pub mod exports;
pub mod mail_links;

use std::{sync::Arc, time::Instant};

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{ServerError, http::GraphiQLSource, parser::types::ExecutableDocument};
use async_graphql_poem::{GraphQLProtocol, GraphQLWebSocket};
use poem::{
    Body, Endpoint, IntoResponse, Request, Response,
    error::ReadBodyError,
    handler,
    http::{StatusCode, header},
    web::{Data, Html, websocket::WebSocket},
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{
    app::AppState,
    db::Reads,
    error::ErrorCode,
    feedback::Visitor,
    graphql::{self, documents::ValidatedRequests},
    language::LanguagePreference,
    persisted_queries,
    response_cache::{
        CachedResponse, Lookup, RawDigest, ResponseCache, etag_of, normalize_document,
    },
    staff::{
        Actor,
        credentials::{self, Refusal},
    },
};

#[handler]
pub fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("ogp-pulse GraphiQL")
            .finish(),
    )
}

/// `GET /graphql?query=…&variables=…&operationName=…`: queries only.
#[handler]
pub async fn graphql_get(request: &Request, Data(state): Data<&Arc<AppState>>) -> Response {
    let shortcut = match Shortcut::try_answer(request, state, &[]).await {
        Ok(answered) => return answered,
        Err(shortcut) => shortcut,
    };
    let parsed = url_parameters(request).and_then(|mut parameters| {
        let lang = parameters.lang.take();
        parameters.into_graphql().map(|graphql| (graphql, lang))
    });
    let (mut graphql_request, lang) = match parsed {
        Ok(parsed) => parsed,
        Err(message) => {
            return refusal_response(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                &format!(
                    "not a GraphQL request: {message} (expected ?query=… and optionally variables, operationName)"
                ),
            );
        }
    };
    if let Err(refused) = with_persisted_query(state, &mut graphql_request).await {
        return refused;
    }
    if with_parsed_document(state, &mut graphql_request) {
        // Over GET a mutation could be triggered by a link or a prefetch.
        let mut response = refusal_response(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
            "mutations and subscriptions must be sent with POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return response;
    }
    execute(request, state, graphql_request, lang, false, shortcut).await
}

/// `GET /graphql/ws`: subscriptions over a websocket, with the
/// graphql-transport-ws protocol (and the older graphql-ws).
#[handler]
pub async fn graphql_ws(
    request: &Request,
    websocket: WebSocket,
    protocol: GraphQLProtocol,
    Data(state): Data<&Arc<AppState>>,
) -> impl IntoResponse {
    let lang = url_parameters(request)
        .ok()
        .and_then(|parameters| parameters.lang);
    let language = LanguagePreference::negotiate(
        lang.as_deref(),
        request.header(header::ACCEPT_LANGUAGE),
        &state.default_language,
    );
    let data = graphql::connection_data(&state.db.conn, language);
    let schema = state.socket_schema.clone();
    websocket
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            GraphQLWebSocket::new(stream, schema, protocol)
                .with_data(data)
                .serve()
        })
}

/// `POST /graphql` with an `application/json` body.
#[handler]
pub async fn graphql_post(
    request: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Response {
    let content_type = request
        .header(header::CONTENT_TYPE)
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !content_type.starts_with("application/json") {
        return refusal_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadRequest,
            "send the request as Content-Type: application/json",
        );
    }
    let limit = state.limits.max_body_bytes;
    let bytes = match body.into_bytes_limit(limit).await {
        Ok(bytes) => bytes,
        Err(ReadBodyError::PayloadTooLarge) => {
            return refusal_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                &format!("the request body is larger than {limit} bytes"),
            );
        }
        Err(_) => {
            return refusal_response(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                "the request body could not be read",
            );
        }
    };
    let shortcut = match Shortcut::try_answer(request, state, &bytes).await {
        Ok(answered) => return answered,
        Err(shortcut) => shortcut,
    };
    let value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(err) => {
            return refusal_response(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                &format!("the body is not JSON: {err}"),
            );
        }
    };
    if value.is_array() {
        // Batches would multiply what one request may cost and attempt.
        return refusal_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::BatchNotSupported,
            "batched requests are not accepted: send one operation per request",
        );
    }
    let mut graphql_request: async_graphql::Request = match serde_json::from_value(value) {
        Ok(parsed) => parsed,
        Err(err) => {
            return refusal_response(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                &format!(
                    "not a GraphQL request: {err} (expected {{\"query\": …, \"variables\": …, \"operationName\": …}})"
                ),
            );
        }
    };
    if let Err(refused) = with_persisted_query(state, &mut graphql_request).await {
        return refused;
    }
    let lang = url_parameters(request)
        .ok()
        .and_then(|parameters| parameters.lang);
    let mutation = with_parsed_document(state, &mut graphql_request);
    execute(request, state, graphql_request, lang, mutation, shortcut).await
}

/// What an anonymous request's raw bytes told before any parsing: a request
/// repeated byte for byte leads to the cache key it led to before, so a hit
/// is answered without reading its JSON or GraphQL.
#[derive(Default)]
struct Shortcut {
    /// The digest of the bytes that decide the answer (none: not cacheable).
    raw: Option<RawDigest>,
    /// The key remembered for them, and what looking it up found.
    looked: Option<(Arc<str>, Lookup)>,
}

impl Shortcut {
    /// Answers from the cache when the request was seen before and its
    /// answer is fresh; otherwise gives what was learnt on the way.
    async fn try_answer(http: &Request, state: &AppState, body: &[u8]) -> Result<Response, Self> {
        let Some(cache) = &state.response_cache else {
            return Err(Self::default());
        };
        if http.header(header::AUTHORIZATION).is_some() {
            return Err(Self::default());
        }
        let started = Instant::now();
        let raw = Self::digest(http, state, body);
        let Some(key) = cache.remembered_key(&raw) else {
            return Err(Self {
                raw: Some(raw),
                looked: None,
            });
        };
        match cache.lookup(&key).await {
            Lookup::Hit(entry) => {
                state.metrics.request("query", started.elapsed(), false);
                let public_get = http.method() == poem::http::Method::GET;
                Ok(Answer::cached(&entry).into_response(http, public_get))
            }
            other => Err(Self {
                raw: Some(raw),
                looked: Some((key, other)),
            }),
        }
    }

    /// Everything the cache key is computed from: the method, the body, the
    /// URL parameters (query, variables, `lang`), `Accept-Language`, and the
    /// day.
    fn digest(http: &Request, state: &AppState, body: &[u8]) -> RawDigest {
        let today = state.clock.now().date_naive().to_string();
        let parts: [&[u8]; 5] = [
            http.method().as_str().as_bytes(),
            body,
            http.uri().query().unwrap_or_default().as_bytes(),
            http.header(header::ACCEPT_LANGUAGE)
                .unwrap_or_default()
                .as_bytes(),
            today.as_bytes(),
        ];
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        hasher.finalize().into()
    }
}

/// Fills in the document of an automatic persisted query (see
/// `persisted_queries`), or answers why it cannot.
async fn with_persisted_query(
    state: &AppState,
    request: &mut async_graphql::Request,
) -> Result<(), Response> {
    match state.persisted_queries.resolve(request).await {
        Ok(()) => Ok(()),
        // The message is the one Apollo clients look for.
        Err(persisted_queries::Refusal::NotFound) => Err(refusal_response(
            StatusCode::OK,
            ErrorCode::PersistedQueryNotFound,
            "PersistedQueryNotFound",
        )),
        Err(persisted_queries::Refusal::Invalid(message)) => Err(refusal_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            &message,
        )),
    }
}

/// Runs a GraphQL request; `lang` is the `lang` URL parameter, if any;
/// `mutation` says whether the operation is a mutation (or subscription).
async fn execute(
    http: &Request,
    state: &AppState,
    request: async_graphql::Request,
    lang: Option<String>,
    mutation: bool,
    shortcut: Shortcut,
) -> Response {
    let started = Instant::now();
    if request.query.trim().is_empty() {
        return refusal_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "the request has no query",
        );
    }
    let language = LanguagePreference::negotiate(
        lang.as_deref(),
        http.header(header::ACCEPT_LANGUAGE),
        &state.default_language,
    );
    let actor = match authenticate(http, state).await {
        Ok(actor) => actor,
        Err(refused) => return refused,
    };
    // Public reads may be kept by the response cache, and over GET by
    // browsers and shared caches; anything a staff member reads is not.
    let anonymous = matches!(actor, Actor::Anonymous);
    let public_get = anonymous && http.method() == poem::http::Method::GET;
    let cache_key = match &state.response_cache {
        Some(cache) if anonymous && !mutation => {
            let key = cache_key(state, &request, &language);
            if let Some(raw) = shortcut.raw {
                cache.remember_key(raw, &key);
            }
            Some(key)
        }
        _ => None,
    };
    let client_address = client_address(http, state.trusted_proxies);
    let visitor = Visitor::identify(
        &state.visitor_salt,
        http.header("ogp-visitor"),
        &client_address,
    );
    let touched = Arc::new(graphql::Touched::default());
    // A read's statements share one connection; a write's transactions take
    // their own (see `db::Reads`).
    let reads = if mutation {
        Reads::pooled(state.db.conn.clone())
    } else {
        state.db.pinned_reads()
    };
    let request = graphql::request_data(request, reads, language, actor, client_address, visitor)
        .data(Arc::clone(&touched));

    let answer = match (&state.response_cache, cache_key) {
        (Some(cache), Some(key)) => {
            // The shortcut's look-up stands if it was for this very key.
            let looked = shortcut
                .looked
                .filter(|(remembered, _)| **remembered == *key)
                .map(|(_, lookup)| lookup);
            cached(cache, &key, looked, state, request, &touched).await
        }
        (cache, _) => {
            let answer = Answer::of(run(state, request).await);
            // After the write's transaction committed: stale everywhere now.
            if let Some(cache) = cache {
                cache.bump(touched.written()).await;
            }
            answer
        }
    };
    let operation = if mutation { "mutation" } else { "query" };
    state
        .metrics
        .request(operation, started.elapsed(), answer.rate_limited);
    answer.into_response(http, public_get)
}

/// What the response to a request depends on besides the data: the
/// document (layout aside), operation, variables, languages, and the day
/// (some fields default to "today").
fn cache_key(
    state: &AppState,
    request: &async_graphql::Request,
    language: &LanguagePreference,
) -> String {
    let variables = serde_json::to_string(&request.variables).unwrap_or_default();
    let languages: Vec<&str> = language.languages().iter().map(|l| l.as_str()).collect();
    let today = state.clock.now().date_naive().to_string();
    ResponseCache::key(&[
        &normalize_document(&request.query),
        request.operation_name.as_deref().unwrap_or(""),
        &variables,
        &languages.join(","),
        &today,
    ])
}

/// Answers from the cache, or computes, keeps and answers — once per key on
/// this instance however many ask at the same time.
async fn cached(
    cache: &ResponseCache,
    key: &str,
    looked: Option<Lookup>,
    state: &AppState,
    request: async_graphql::Request,
    touched: &graphql::Touched,
) -> Answer {
    // Held until the response is stored: others asking meanwhile wait.
    let mut computing = None;
    let first = match looked {
        Some(lookup) => lookup,
        None => cache.lookup(key).await,
    };
    let versions = match first {
        Lookup::Hit(entry) => return Answer::cached(&entry),
        Lookup::Bypass => None,
        Lookup::Miss(_) => {
            computing = Some(cache.flight(key).await);
            // Someone else may have computed it while this one waited.
            match cache.recheck(key).await {
                Lookup::Hit(entry) => return Answer::cached(&entry),
                Lookup::Miss(versions) => Some(versions),
                Lookup::Bypass => None,
            }
        }
    };
    let mut answer = Answer::of(run(state, request).await);
    if let (true, Some(versions)) = (answer.ok, versions) {
        let entry = CachedResponse::new(
            answer.body.clone(),
            answer.max_age,
            touched.read(),
            versions,
        );
        answer.gzip = entry.gzip.clone();
        cache.store(key, entry).await;
    }
    drop(computing);
    answer
}

/// Executes within the time allowed, once the request passes its limits;
/// every error of the answer carries its code.
async fn run(state: &AppState, mut request: async_graphql::Request) -> async_graphql::Response {
    if let Err(refused) = graphql::admit(&mut request, state.limits.max_depth) {
        return async_graphql::Response::from_errors(vec![refused]);
    }
    let key = ValidatedRequests::key(&mut request);
    let validated = state.validated_requests.passed(&key);
    let schema = if validated {
        &state.validated_schema
    } else {
        &state.schema
    };
    let mut response =
        match tokio::time::timeout(state.limits.execution_timeout, schema.execute(request)).await {
            Ok(response) => response,
            Err(_) => async_graphql::Response::from_errors(vec![graphql::with_code(
                ServerError::new(
                    format!(
                        "the query took longer than {} ms and was stopped",
                        state.limits.execution_timeout.as_millis()
                    ),
                    None,
                ),
                ErrorCode::Timeout,
            )]),
        };
    if !validated {
        state.validated_requests.note(key, &response.errors);
    }
    graphql::code_errors(&mut response.errors);
    response
}

/// A GraphQL answer ready to send.
struct Answer {
    body: bytes::Bytes,
    /// The body gzip-compressed, when the answer was kept by the cache
    /// (compressed once there); answers computed for one request go out
    /// as they are, not compressed on the busy path.
    gzip: Option<bytes::Bytes>,
    /// No errors: it may be kept.
    ok: bool,
    /// Seconds it may be kept without asking, from the schema's hints.
    max_age: i32,
    etag: Option<String>,
    /// Refused with `RATE_LIMITED`.
    rate_limited: bool,
}

impl Answer {
    fn of(response: async_graphql::Response) -> Self {
        let ok = response.errors.is_empty();
        let rate_limited = response.errors.iter().any(|error| {
            error.extensions.as_ref().and_then(|ext| ext.get("code"))
                == Some(&async_graphql::Value::from(ErrorCode::RateLimited.as_str()))
        });
        let max_age = if response.cache_control.public {
            response.cache_control.max_age.max(0)
        } else {
            -1
        };
        let body = serde_json::to_string(&response).unwrap_or_else(|err| {
            tracing::error!(error = %err, "cannot serialize a response");
            r#"{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}"#
                .to_owned()
        });
        Self {
            body: body.into(),
            gzip: None,
            ok,
            max_age,
            etag: None,
            rate_limited,
        }
    }

    fn cached(entry: &CachedResponse) -> Self {
        Self {
            body: entry.body.clone(),
            gzip: entry.gzip.clone(),
            ok: true,
            max_age: entry.max_age,
            etag: Some(entry.etag.clone()),
            rate_limited: false,
        }
    }

    /// Public GET answers carry a validator and may be kept (revalidated
    /// unless the schema allows more); everything else is `no-store`.
    fn into_response(self, http: &Request, public_get: bool) -> Response {
        let keepable = public_get && self.ok && self.max_age >= 0;
        let cache_control = match (keepable, self.max_age) {
            (true, age) if age > 0 => format!("public, max-age={age}"),
            (true, _) => "public, no-cache".to_owned(),
            (false, _) => "no-store".to_owned(),
        };
        let gzip = self.gzip.filter(|_| {
            http.header(header::ACCEPT_ENCODING)
                .is_some_and(accepts_gzip)
        });
        let mut builder = Response::builder()
            .header(
                header::VARY,
                "Accept-Language, Authorization, Accept-Encoding",
            )
            .header(header::CACHE_CONTROL, cache_control);
        if keepable {
            let etag = self.etag.unwrap_or_else(|| etag_of(&self.body));
            // Each encoding of a body is a representation of its own, with
            // a validator of its own.
            let etag = match gzip {
                Some(_) => gzip_etag(&etag),
                None => etag,
            };
            let unchanged = http.header(header::IF_NONE_MATCH).is_some_and(|tags| {
                tags.split(',')
                    .any(|tag| tag.trim() == etag || tag.trim() == "*")
            });
            builder = builder.header(header::ETAG, etag);
            if unchanged {
                return builder.status(StatusCode::NOT_MODIFIED).finish();
            }
        }
        let builder = builder
            .status(StatusCode::OK)
            .content_type("application/json");
        match gzip {
            Some(gzip) => builder.header(header::CONTENT_ENCODING, "gzip").body(gzip),
            None => builder.body(self.body),
        }
    }
}

/// The validator of a body's gzip encoding, from that of the body.
fn gzip_etag(etag: &str) -> String {
    format!("\"{}-gzip\"", etag.trim_matches('"'))
}

/// Whether an `Accept-Encoding` header accepts gzip: named, or by `*`,
/// with a weight above zero (`gzip;q=0` refuses it).
fn accepts_gzip(header: &str) -> bool {
    let mut named = None;
    let mut any = None;
    for coding in header.split(',') {
        let mut parts = coding.split(';');
        let name = parts.next().unwrap_or_default().trim();
        let weight = parts
            .filter_map(|parameter| parameter.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next_back()
            .unwrap_or(1.0);
        if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
            named = Some(weight > 0.0);
        } else if name == "*" {
            any = Some(weight > 0.0);
        }
    }
    named.or(any).unwrap_or(false)
}

/// Who makes the request: anonymous without `Authorization`, a staff member
/// with a valid bearer token. Any other credential is refused with 401 before
/// GraphQL runs, so a typo in a token never silently reads as anonymous.
pub(crate) async fn authenticate(http: &Request, state: &AppState) -> Result<Actor, Response> {
    let Some(header) = http.header(header::AUTHORIZATION) else {
        return Ok(Actor::Anonymous);
    };
    let token = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let outcome = match token {
        Some(token) => credentials::authenticate(&state.db.conn, token, state.clock.now()).await,
        None => Ok(Err(Refusal::Malformed)),
    };
    match outcome {
        Ok(Ok(principal)) => Ok(Actor::Staff(principal)),
        Ok(Err(refusal)) => {
            let mut response = refusal_response(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                refusal.message(),
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            Err(response)
        }
        Err(err) => {
            tracing::error!(error = %err, "cannot check credentials");
            Err(refusal_response(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Internal,
                "credentials cannot be checked right now",
            ))
        }
    }
}

/// The address of the client, for throttling: the peer, or with trusted
/// proxies the address the nearest of them saw. Each proxy appends the
/// address it received from to `X-Forwarded-For`, so the client is the entry
/// `trusted_proxies` places from the end; anything before it may be forged.
fn client_address(http: &Request, trusted_proxies: usize) -> String {
    let peer = http
        .remote_addr()
        .as_socket_addr()
        .map(|addr| addr.ip().to_string())
        .unwrap_or_default();
    if trusted_proxies == 0 {
        return peer;
    }
    let forwarded: Vec<&str> = http
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .collect();
    forwarded
        .len()
        .checked_sub(trusted_proxies)
        .and_then(|index| forwarded.get(index))
        .map_or(peer, |entry| (*entry).to_owned())
}

/// The URL parameters of GraphQL over HTTP (`query`, `operationName`,
/// `variables`, `extensions`) and ours (`lang`).
#[derive(Debug, Default, serde::Deserialize)]
struct UrlParameters {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
    lang: Option<String>,
}

impl UrlParameters {
    fn into_graphql(self) -> Result<async_graphql::Request, String> {
        let mut request = async_graphql::Request::new(self.query.unwrap_or_default());
        if let Some(name) = self.operation_name.filter(|name| !name.is_empty()) {
            request = request.operation_name(name);
        }
        if let Some(variables) = self.variables.filter(|v| !v.trim().is_empty()) {
            let json: serde_json::Value = serde_json::from_str(&variables)
                .map_err(|err| format!("variables are not JSON: {err}"))?;
            request = request.variables(async_graphql::Variables::from_json(json));
        }
        if let Some(extensions) = self.extensions.filter(|e| !e.trim().is_empty()) {
            request.extensions = serde_json::from_str(&extensions)
                .map_err(|err| format!("extensions are not a JSON object: {err}"))?;
        }
        Ok(request)
    }
}

fn url_parameters(request: &Request) -> Result<UrlParameters, String> {
    serde_urlencoded::from_str(request.uri().query().unwrap_or_default())
        .map_err(|err| err.to_string())
}

/// Parses the request's document, or finds it parsed before, and hands it to
/// execution; tells whether the operation it selects writes (a mutation or a
/// subscription). A document that does not parse is left to execution,
/// which reports the error with its code.
fn with_parsed_document(state: &AppState, request: &mut async_graphql::Request) -> bool {
    let Ok(document) = state.parsed_documents.parse(&request.query) else {
        return false;
    };
    let mutation =
        graphql::documents::selects_mutation(&document, request.operation_name.as_deref());
    request.set_parsed_query(ExecutableDocument::clone(&document));
    mutation
}

pub(crate) fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => Response::builder()
            .status(status)
            .content_type("application/json; charset=utf-8")
            .body(bytes),
        Err(err) => {
            tracing::error!(error = %err, "cannot serialize a response");
            Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .finish()
        }
    }
}

/// A GraphQL-shaped error for requests refused before execution.
pub(crate) fn refusal_response(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    json_response(
        status,
        &json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] }),
    )
}

/// `GET /health`: 200 when the service can answer, 503 when its database
/// cannot be reached.
#[handler]
pub async fn health(Data(state): Data<&Arc<AppState>>) -> Response {
    // Without Redis the service works in-process; with Redis down it still
    // works (degraded: instances count and announce on their own).
    let cache = match &state.shared {
        None => "in-process",
        Some(store) if store.ping().await => "ok",
        Some(_) => "degraded",
    };
    match state.db.ping().await {
        Ok(()) => json_response(
            StatusCode::OK,
            &json!({ "status": "ok", "database": "ok", "cache": cache }),
        ),
        Err(err) => {
            tracing::warn!(error = %err, "health check: database unreachable");
            json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({ "status": "unavailable", "database": "unreachable", "cache": cache }),
            )
        }
    }
}

/// `GET /metrics`: the Prometheus text format. The mail outbox is counted
/// at each scrape: every instance reports the shared backlog as it is now.
#[handler]
pub async fn metrics(Data(state): Data<&Arc<AppState>>) -> Response {
    match crate::mail::outbox::backlog(&state.db.background).await {
        Ok(backlog) => state.metrics.mail_backlog(&backlog),
        Err(err) => tracing::warn!(error = %err, "metrics: cannot read the mail backlog"),
    }
    state.metrics.sql_statements(state.db.statements_run());
    Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(state.metrics.render(&state.db.conn))
}

/// Logs each request's method, path, status and duration. Never the query
/// string, body or client address: they can carry personal data.
pub async fn log_request<E: Endpoint>(next: E, request: Request) -> poem::Result<Response> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.get_response(request).await;
    tracing::info!(
        %method,
        %path,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::{Request, accepts_gzip, client_address, gzip_etag};

    #[test]
    fn client_address_believes_only_trusted_proxies() {
        let request = Request::builder()
            .header("x-forwarded-for", "203.0.113.9, 198.51.100.7")
            .header("x-forwarded-for", "192.0.2.1")
            .finish();
        // No proxy trusted: the header is ignored (the peer is unknown here).
        assert_eq!(client_address(&request, 0), "");
        assert_eq!(client_address(&request, 1), "192.0.2.1");
        assert_eq!(client_address(&request, 2), "198.51.100.7");
        // More proxies claimed than entries: fall back to the peer.
        assert_eq!(client_address(&request, 4), "");
    }

    #[test]
    fn gzip_is_sent_only_where_it_is_accepted() {
        for accepted in [
            "gzip",
            "gzip, deflate, br, zstd",
            "br;q=1.0, GZIP;q=0.5",
            "deflate, *",
            "x-gzip",
        ] {
            assert!(accepts_gzip(accepted), "{accepted}");
        }
        for refused in [
            "",
            "identity",
            "br, deflate",
            "gzip;q=0",
            "*, gzip;q=0",
            "gzip ; q=0.0",
        ] {
            assert!(!accepts_gzip(refused), "{refused}");
        }
    }

    #[test]
    fn a_gzip_encoding_has_a_validator_of_its_own() {
        assert_eq!(gzip_etag("\"0a1b\""), "\"0a1b-gzip\"");
    }
}
