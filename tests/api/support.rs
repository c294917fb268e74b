//! The test application: a fresh database, the real routes, a poem client.

use std::sync::Arc;

use chrono::Utc;
use ogp_pulse::{
    app::{AppState, routes},
    clock::{Clock, ManualClock},
    config::ApiArgs,
    db::Database,
    import,
    staff::{Role, accounts},
};
use poem::{
    EndpointExt,
    endpoint::BoxEndpoint,
    http::{HeaderMap, StatusCode},
    test::TestClient,
};
use sea_orm::{ConnectOptions, ConnectionTrait, Statement};
use serde_json::{Value, json};

/// Which database a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// PostgreSQL when `TEST_DATABASE_URL` is set. Outside CI a missing URL
    /// skips the PostgreSQL half of a test; in CI it fails it.
    pub fn postgres() -> Option<Self> {
        if std::env::var_os("TEST_DATABASE_URL").is_some() {
            return Some(Self::Postgres);
        }
        assert!(
            std::env::var_os("CI").is_none(),
            "TEST_DATABASE_URL must be set in CI: PostgreSQL tests may not be skipped there"
        );
        eprintln!("TEST_DATABASE_URL is not set: skipping the PostgreSQL run of this test");
        None
    }
}

/// Declares tests that run once on SQLite and once on PostgreSQL:
/// `name::sqlite` and `name::postgres`.
macro_rules! on_both_backends {
    ($(async fn $name:ident($backend:ident: Backend) $body:block)*) => {$(
        mod $name {
            use super::*;

            async fn run($backend: $crate::support::Backend) $body

            #[tokio::test]
            async fn sqlite() {
                run($crate::support::Backend::Sqlite).await;
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(backend) = $crate::support::Backend::postgres() {
                    run(backend).await;
                }
            }
        }
    )*};
}
pub(crate) use on_both_backends;

/// Drops a test's PostgreSQL schema when the test ends, passed or failed.
struct SchemaGuard {
    admin_url: String,
    schema: String,
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let schema = self.schema.clone();
        // Drop cannot await; a short-lived runtime on its own thread can.
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(conn) = sea_orm::Database::connect(admin_url).await {
                    // The test's own pool may still hold a transaction whose
                    // rollback waits for the test runtime, which waits here:
                    // give up after a while rather than wait forever (the
                    // schema then stays behind, harmless).
                    let drop = format!(
                        "SET lock_timeout = '5s'; DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
                    );
                    let _ = conn.execute_unprepared(&drop).await;
                    let _ = conn.close().await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// A fresh, migrated database of the given kind.
pub struct TestDatabase {
    pub db: Database,
    _dir: Option<tempfile::TempDir>,
    _schema: Option<SchemaGuard>,
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> Self {
        Self::with_pool(backend, 5).await
    }

    /// A fresh database reached through a pool of `connections`.
    pub async fn with_pool(backend: Backend, connections: u32) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}/test.db?mode=rwc", dir.path().display());
                let mut options = ConnectOptions::new(url);
                options.max_connections(connections);
                let db = Database::connect_with(options).await.expect("open SQLite");
                db.migrate().await.expect("migrate SQLite");
                Self {
                    db,
                    _dir: Some(dir),
                    _schema: None,
                }
            }
            Backend::Postgres => {
                let admin_url = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
                let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
                let admin = sea_orm::Database::connect(admin_url.as_str())
                    .await
                    .expect("TEST_DATABASE_URL must reach a PostgreSQL server");
                admin
                    .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
                    .await
                    .expect("create a test schema");
                admin.close().await.expect("close admin connection");
                let guard = SchemaGuard {
                    admin_url: admin_url.clone(),
                    schema: schema.clone(),
                };
                let mut options = ConnectOptions::new(admin_url);
                options
                    .set_schema_search_path(schema)
                    .max_connections(connections);
                let db = Database::connect_with(options)
                    .await
                    .expect("open PostgreSQL");
                db.migrate().await.expect("migrate PostgreSQL");
                Self {
                    db,
                    _dir: None,
                    _schema: Some(guard),
                }
            }
        }
    }
}

/// The database id of the commitment whose code is `code`.
pub async fn commitment_row_id(db: &sea_orm::DatabaseConnection, code: &str) -> i64 {
    use entity::commitment;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    commitment::Entity::find()
        .filter(commitment::Column::Code.eq(code))
        .one(db)
        .await
        .expect("commitment read")
        .unwrap_or_else(|| panic!("no commitment {code}"))
        .id
}

/// Rolls back every migration from the one whose name contains `name` on
/// (that one included), so a test can write what was there before it and
/// migrate up again, however many migrations come after it.
pub async fn migrate_down_through(db: &sea_orm::DatabaseConnection, name: &str) {
    use migration::{Migrator, MigratorTrait};
    let migrations = Migrator::migrations();
    let position = migrations
        .iter()
        .position(|migration| migration.name().contains(name))
        .unwrap_or_else(|| panic!("no migration named {name}"));
    let steps = u32::try_from(migrations.len() - position).expect("a few migrations");
    Migrator::down(db, Some(steps))
        .await
        .unwrap_or_else(|err| panic!("migrations down through {name}: {err}"));
}

/// What an HTTP exchange returned.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The `data` of a GraphQL answer that must have no errors.
    pub fn data(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {}",
            self.body
        );
        &self.body["data"]
    }

    /// The `extensions.code` of the first error.
    pub fn error_code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {}", self.body))
    }
}

pub struct TestApp {
    /// Shared by the instances of one test (see [`TestApp::instance`]).
    pub database: Arc<TestDatabase>,
    pub client: TestClient<BoxEndpoint<'static, poem::Response>>,
    /// The application's clock, moved by hand.
    pub clock: Arc<ManualClock>,
    /// The folder uploaded documents are kept in, removed with the app.
    pub uploads: Arc<tempfile::TempDir>,
}

impl TestApp {
    /// The service on a fresh database holding the bundled Morocco plan.
    pub async fn bundled(backend: Backend) -> Self {
        let app = Self::empty(backend).await;
        import::load_bundled_if_empty(&app.database.db.conn)
            .await
            .expect("the bundled catalogue imports");
        app
    }

    /// The service on a fresh, empty database.
    pub async fn empty(backend: Backend) -> Self {
        Self::with_api(backend, ApiArgs::default()).await
    }

    pub async fn with_api(backend: Backend, api: ApiArgs) -> Self {
        Self::with_pool(backend, api, 5).await
    }

    /// The service on a fresh, empty database reached through a pool of
    /// `connections`.
    pub async fn with_pool(backend: Backend, api: ApiArgs, connections: u32) -> Self {
        let database = Arc::new(TestDatabase::with_pool(backend, connections).await);
        Self::on(database, &api)
    }

    /// The service on `database`, migrated already.
    pub fn on(database: Arc<TestDatabase>, api: &ApiArgs) -> Self {
        let clock = Arc::new(ManualClock::starting_at(Utc::now()));
        let uploads = Arc::new(tempfile::tempdir().expect("an uploads folder"));
        let api = ApiArgs {
            uploads_dir: uploads.path().to_owned(),
            ..api.clone()
        };
        let state = AppState::with_clock(database.db.clone(), &api, clock.clone());
        let endpoint = routes(state).map_to_response().boxed();
        Self {
            database,
            client: TestClient::new(endpoint),
            clock,
            uploads,
        }
    }

    /// Another instance of the service on the same database, as behind a
    /// load balancer: its own state (limiter, live events, clock), shared
    /// data.
    pub fn instance(&self, api: &ApiArgs) -> Self {
        Self::on(Arc::clone(&self.database), api)
    }

    /// Creates a staff account (as `ogp-pulse staff add` does) and returns
    /// its API token. `focal_point` is a focal point key or a commitment code.
    pub async fn staff(&self, email: &str, roles: &[Role], focal_point: Option<&str>) -> String {
        let new = accounts::NewStaff {
            email: email.to_owned(),
            name: format!("Staff {email}"),
            roles: roles.to_vec(),
            focal_point: focal_point.map(str::to_owned),
            password: None,
        };
        let (_, token) = accounts::create(self.conn(), new, self.clock.now())
            .await
            .expect("staff account");
        token
    }

    /// POSTs a GraphQL query as the holder of `token`.
    pub async fn query_as(&self, token: &str, query: &str, variables: Value) -> Reply {
        let authorization = format!("Bearer {token}");
        self.post_json(
            "/graphql",
            &json!({ "query": query, "variables": variables }),
            &[("authorization", authorization.as_str())],
        )
        .await
    }

    /// The global id of a commitment.
    pub async fn commitment_id(&self, code: &str) -> String {
        let reply = self
            .query(
                "query($code: String!) { commitment(code: $code) { id } }",
                json!({ "code": code }),
            )
            .await;
        reply.data()["commitment"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no commitment {code}"))
            .to_owned()
    }

    /// A URL the binary reaches the test's database with.
    pub async fn cli_database_url(&self, backend: Backend) -> String {
        let (sql, column) = match backend {
            Backend::Sqlite => (
                "SELECT file FROM pragma_database_list WHERE name = 'main'",
                "file",
            ),
            Backend::Postgres => ("SELECT CAST(current_schema() AS TEXT) AS schema", "schema"),
        };
        let conn = self.conn();
        let row = conn
            .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
            .await
            .expect("ask the database where it is")
            .expect("an answer");
        let found: String = row.try_get("", column).expect("a text");
        match backend {
            Backend::Sqlite => format!("sqlite://{found}"),
            Backend::Postgres => {
                let base = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
                let separator = if base.contains('?') { '&' } else { '?' };
                format!("{base}{separator}options=-c%20search_path%3D{found}")
            }
        }
    }

    pub fn conn(&self) -> &sea_orm::DatabaseConnection {
        &self.database.db.conn
    }

    /// POSTs a GraphQL query with variables.
    pub async fn query(&self, query: &str, variables: Value) -> Reply {
        self.post_json(
            "/graphql",
            &json!({ "query": query, "variables": variables }),
            &[],
        )
        .await
    }

    /// POSTs a GraphQL query with extra headers (e.g. Accept-Language).
    pub async fn query_with_headers(
        &self,
        path: &str,
        query: &str,
        headers: &[(&str, &str)],
    ) -> Reply {
        self.post_json(path, &json!({ "query": query }), headers)
            .await
    }

    pub async fn post_json(&self, path: &str, body: &Value, headers: &[(&str, &str)]) -> Reply {
        let mut request = self
            .client
            .post(path)
            .header("content-type", "application/json")
            .body(body.to_string());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.send().await).await
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
        let response = self
            .client
            .post(path)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await;
        reply(response).await
    }

    pub async fn get(&self, path_and_query: &str) -> Reply {
        reply(self.client.get(path_and_query).send().await).await
    }

    pub async fn get_with_headers(&self, path_and_query: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.client.get(path_and_query);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.send().await).await
    }
}

async fn reply(response: poem::test::TestResponse) -> Reply {
    let Raw {
        status,
        headers,
        bytes,
    } = raw(response).await;
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Reply {
        status,
        headers,
        body,
    }
}

/// An answer as sent: status, headers and the body's bytes (a document, or
/// a compressed body), for tests that look at the bytes themselves.
pub struct Raw {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Raw {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|_| {
            panic!(
                "not JSON ({}): {}",
                self.status,
                String::from_utf8_lossy(&self.bytes)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

pub async fn raw(response: poem::test::TestResponse) -> Raw {
    let status = response.0.status();
    let headers = response.0.headers().clone();
    let bytes = response
        .0
        .into_body()
        .into_bytes()
        .await
        .expect("response body")
        .to_vec();
    Raw {
        status,
        headers,
        bytes,
    }
}

/// The codes of `nodes { code }` in a commitments connection.
pub fn codes(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no nodes in {connection}"))
        .iter()
        .map(|node| node["code"].as_str().expect("code").to_owned())
        .collect()
}

/// The 24 codes of the Morocco 2018-2020 plan, in order.
pub fn all_codes() -> Vec<String> {
    (1..=24).map(|n| format!("MO{n:04}")).collect()
}

/// The bundled catalogue as JSON, to be edited by tests.
pub fn bundled_json() -> Value {
    serde_json::from_str(import::BUNDLED_CATALOG).expect("bundled catalogue is JSON")
}

/// MO0018's record inside a catalogue JSON.
pub fn mo0018(catalog: &mut Value) -> &mut Value {
    catalog["actionPlans"][0]["commitments"]
        .as_array_mut()
        .expect("commitments")
        .iter_mut()
        .find(|c| c["code"] == "MO0018")
        .expect("MO0018 is bundled")
}

/// The tests' Redis (`TEST_REDIS_URL`) with a key prefix of one test's own;
/// the test's keys are deleted when it ends. Outside CI a missing URL skips
/// the test's Redis half; in CI it fails it.
pub struct TestRedis {
    pub url: String,
    pub prefix: String,
}

impl TestRedis {
    pub fn new() -> Option<Self> {
        let Some(url) = std::env::var("TEST_REDIS_URL").ok() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "TEST_REDIS_URL must be set in CI: Redis tests may not be skipped there"
            );
            eprintln!("TEST_REDIS_URL is not set: skipping the Redis part of this test");
            return None;
        };
        Some(Self {
            url,
            prefix: format!("ogp-pulse-test:{}:", uuid::Uuid::new_v4().simple()),
        })
    }

    /// Service settings using this Redis and prefix.
    pub fn api(&self, api: ApiArgs) -> ApiArgs {
        ApiArgs {
            redis_url: Some(self.url.clone()),
            redis_prefix: self.prefix.clone(),
            ..api
        }
    }

    /// The test's keys now in Redis.
    pub fn keys(&self) -> Vec<String> {
        redis_keys(&self.url, &self.prefix)
    }
}

/// The keys under `prefix` in the Redis at `url` (empty when it is down).
pub fn redis_keys(url: &str, prefix: &str) -> Vec<String> {
    let Ok(mut connection) = redis::Client::open(url).and_then(|c| c.get_connection()) else {
        return Vec::new();
    };
    redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query(&mut connection)
        .unwrap_or_default()
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let keys = self.keys();
        if let (false, Ok(mut connection)) = (
            keys.is_empty(),
            redis::Client::open(self.url.as_str()).and_then(|c| c.get_connection()),
        ) {
            let _: Result<i64, _> = redis::cmd("DEL").arg(keys).query(&mut connection);
        }
    }
}

/// Percent-encodes a URL query value.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An RFC 3339 instant.
pub fn at(text: &str) -> chrono::DateTime<Utc> {
    text.parse()
        .unwrap_or_else(|err| panic!("{text} is not a date-time: {err}"))
}

/// Moves the application's clock to `to`.
pub fn set_clock(app: &TestApp, to: chrono::DateTime<Utc>) {
    let now = app.clock.now();
    app.clock.advance(to - now);
}

/// Every message in the mail outbox, oldest first.
pub async fn outbox(app: &TestApp) -> Vec<entity::mail_outbox::Model> {
    use sea_orm::{EntityTrait, QueryOrder};
    entity::mail_outbox::Entity::find()
        .order_by_asc(entity::mail_outbox::Column::Id)
        .all(app.conn())
        .await
        .expect("read the outbox")
}

/// The token written after `marker` in `text`.
pub fn token_after(text: &str, marker: &str) -> String {
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {text}"))
        + marker.len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '%'))
        .collect();
    assert!(!token.is_empty(), "an empty token after {marker} in {text}");
    token
}

/// A CSV export's header and rows, read by a CSV library.
pub fn csv_rows(body: &Value) -> (Vec<String>, Vec<Vec<String>>) {
    let text = body
        .as_str()
        .unwrap_or_else(|| panic!("not CSV text: {body}"));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|record| {
            record
                .expect("a CSV record")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect();
    (header, rows)
}

/// Every dataset an action plan exports (`/export/{plan}/{dataset}.{format}`).
pub const DATASETS: [&str; 6] = [
    "commitments",
    "milestones",
    "updates",
    "feedback",
    "responses",
    "awareness",
];

/// Takes `count` connections of the pool, opening them as needed, kept
/// until the answer is dropped.
pub async fn hold(db: &Database, count: usize) -> Vec<Box<dyn std::any::Any + Send>> {
    let mut held: Vec<Box<dyn std::any::Any + Send>> = Vec::new();
    for _ in 0..count {
        match db.conn.get_database_backend() {
            sea_orm::DbBackend::Postgres => held.push(Box::new(
                db.conn
                    .get_postgres_connection_pool()
                    .acquire()
                    .await
                    .expect("a connection"),
            )),
            _ => held.push(Box::new(
                db.conn
                    .get_sqlite_connection_pool()
                    .acquire()
                    .await
                    .expect("a connection"),
            )),
        }
    }
    held
}
