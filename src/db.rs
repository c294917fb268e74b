//! Connecting to the database, running migrations, and counting statements.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

mod reads;
mod writes;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, DatabaseConnection, DbErr,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

pub use reads::Reads;
pub use writes::PublicWrites;

/// The connection pool, with a count of the SQL statements it has run (the
/// benchmark reports statements per request, and tests bound them).
#[derive(Clone, Debug)]
pub struct Database {
    pub conn: DatabaseConnection,
    /// The same pool, for background work (polling, relaying events): its
    /// statements are not counted, so counts stay those of requests.
    pub background: DatabaseConnection,
    /// Where the public's writes (comments, support, reports) go. On a
    /// SQLite file, a pool of one connection of its own: SQLite takes one
    /// writer at a time, and writers on several connections wait for each
    /// other in SQLite's busy handler, which sleeps for up to 100 ms a try
    /// and favours no one, so a few comments in a burst waited up to a
    /// second (p99 650-1,000 ms at 1,600-1,800 comments a second) while
    /// queued for one connection, in order, they wait 20 ms (bench/README,
    /// seventeenth round). Elsewhere the pool itself.
    pub writer: PublicWrites,
    statements: Statements,
}

/// The count of statements run for requests, shared by the pool and by the
/// connections requests keep for their reads (`Reads`), which run their
/// statements without the pool's instrumentation.
#[derive(Clone, Debug, Default)]
pub(crate) struct Statements(Arc<AtomicU64>);

impl Statements {
    /// Counts a statement run, and traces its text (which has placeholders,
    /// never parameter values).
    pub(crate) fn note(&self, sql: &str, failed: bool) {
        tracing::trace!(target: "ogp_pulse::sql", sql = %sql, failed);
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "unsupported database URL {0:?}: expected sqlite://PATH or postgres://USER@HOST/DATABASE"
    )]
    UnsupportedUrl(String),
    #[error("cannot open database {url}: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: DbErr,
    },
    #[error("cannot migrate the database: {0}")]
    Migration(#[source] DbErr),
}

/// Connections a pool keeps unless told otherwise. SQLite takes one writer
/// at a time, and a small pool avoids "database is locked" storms under
/// concurrent requests. On PostgreSQL a read request holds its connection
/// while it runs, so the pool is how many requests the database works on at
/// once; more than its cores can run only adds switching between them. On
/// two cores, 8 connections served 5-20 % more requests than 20 did, with a
/// third lower p99 (bench/README.md).
const DEFAULT_POOL_SIZE: u32 = 8;

/// What PostgreSQL's planner takes a random page read to cost, for the
/// service's own sessions. The server's default, 4 sequential reads, is
/// priced for spinning disks; the service's reads are key look-ups in a
/// working set that stays in memory, and at 4 the planner hashed whole
/// small tables (all 640 institutions) to join the two rows a commitment
/// links to. At 1.1, the usual figure for SSDs and cached data, a page of
/// commitments (Q1) cost PostgreSQL 0.42 ms of CPU instead of 0.59-0.67
/// (bench/README, twelfth round). A `DATABASE_URL` naming
/// `random_page_cost` in its `options` keeps its own figure.
const RANDOM_PAGE_COST: (&str, &str) = ("random_page_cost", "1.1");

impl Database {
    /// Connects to `url` (SQLite files are created when missing).
    pub async fn connect(url: &str) -> Result<Self, ConnectError> {
        Self::connect_pooled(url, None).await
    }

    /// [`Database::connect`], keeping `pool_size` connections (the default
    /// when `None`).
    pub async fn connect_pooled(url: &str, pool_size: Option<u32>) -> Result<Self, ConnectError> {
        let mut options = ConnectOptions::new(normalize_url(url)?);
        if let Some(size) = pool_size {
            options.max_connections(size);
        }
        Self::connect_with(options).await
    }

    /// Connects with prepared options (tests use this to choose a PostgreSQL
    /// schema).
    pub async fn connect_with(mut options: ConnectOptions) -> Result<Self, ConnectError> {
        let url = redact_url(options.get_url());
        options
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(10))
            // sqlx pings a pooled connection on every checkout by default: a
            // round trip per statement, a third of a small response's traffic
            // to the database. Only a connection idle long enough to have been
            // dropped by the server or a proxy is tested.
            .test_before_acquire_if_idle_for(Duration::from_secs(30))
            // sqlx would log every statement with its parameters, and parameters
            // will carry personal data (commenter emails) once feedback lands.
            .sqlx_logging(false);
        let file_backed_sqlite =
            options.get_url().starts_with("sqlite:") && !is_in_memory(options.get_url());
        if file_backed_sqlite {
            // Write-ahead logging: readers never wait for the writer, and a
            // commit appends to one file with one sync instead of writing and
            // deleting a rollback journal (SQLite's default, several syncs per
            // comment). Synchronous stays FULL: an acknowledged comment
            // survives a power cut.
            options.map_sqlx_sqlite_opts(|sqlite| {
                sqlite
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
            });
        }
        // Sent with the connection's start-up message: no round trip. Looked
        // for in the options sqlx parsed from the URL, decoded.
        options.map_sqlx_postgres_opts(|session| {
            let named = session
                .get_options()
                .is_some_and(|own| own.contains(RANDOM_PAGE_COST.0));
            if named {
                session
            } else {
                session.options([RANDOM_PAGE_COST])
            }
        });
        if options.get_max_connections().is_none() {
            options.max_connections(DEFAULT_POOL_SIZE);
        }
        let writer_options = file_backed_sqlite.then(|| {
            let mut one = options.clone();
            one.max_connections(1).min_connections(1);
            one
        });
        let connect = |options: ConnectOptions| async {
            sea_orm::Database::connect(options)
                .await
                .map_err(|source| ConnectError::Unreachable {
                    url: url.clone(),
                    source,
                })
        };
        let statements = Statements::default();
        let counted = |conn: &mut DatabaseConnection| {
            let counter = statements.clone();
            conn.set_metric_callback(move |info| counter.note(&info.statement.sql, info.failed));
        };
        let mut conn = connect(options).await?;
        let background = conn.clone();
        counted(&mut conn);
        let writer = match writer_options {
            Some(options) => {
                let mut writer = connect(options).await?;
                counted(&mut writer);
                PublicWrites::new(writer, conn.clone())
            }
            None => PublicWrites::new(conn.clone(), conn.clone()),
        };
        Ok(Self {
            conn,
            background,
            writer,
            statements,
        })
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), ConnectError> {
        Migrator::up(&self.conn, None)
            .await
            .map_err(ConnectError::Migration)
    }

    /// SQL statements run so far through this pool.
    pub fn statements_run(&self) -> u64 {
        self.statements.0.load(Ordering::Relaxed)
    }

    /// A read operation's way to the database: its reads on one connection
    /// of their own (see `Reads`).
    pub fn pinned_reads(&self) -> Reads {
        Reads::pinned(self.conn.clone(), self.statements.clone())
    }

    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.ping().await
    }
}

/// Accepts the URL forms people type and makes SQLite create its file.
fn normalize_url(url: &str) -> Result<String, ConnectError> {
    let url = url.trim();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(url.to_owned());
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        if rest.contains("mode=") {
            return Ok(url.to_owned());
        }
        let separator = if rest.contains('?') { '&' } else { '?' };
        return Ok(format!("{url}{separator}mode=rwc"));
    }
    Err(ConnectError::UnsupportedUrl(redact_url(url)))
}

/// Whether a SQLite URL names a database kept in memory (no file to log to).
fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// Hides the password of a URL before it is shown or logged.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _password)) => {
                    format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
                }
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Statement};

    use super::*;

    /// The one value `sql` answers (a setting, a pragma), as text.
    async fn value_of(db: &Database, sql: &str) -> String {
        let row = db
            .conn
            .query_one_raw(Statement::from_string(db.conn.get_database_backend(), sql))
            .await
            .expect("the statement runs")
            .expect("it answers");
        row.try_get_by_index::<String>(0)
            .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
            .expect("one value")
    }

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(
            redact_url("postgres://pulse:s3cret@db:5432/ogp"),
            "postgres://pulse:***@db:5432/ogp"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
    }

    #[tokio::test]
    async fn sqlite_files_log_ahead_and_sync_every_commit() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("wal.db").display());
        let db = Database::connect(&url).await.expect("connects");
        assert_eq!(value_of(&db, "PRAGMA journal_mode").await, "wal");
        // 2 is FULL: an acknowledged write survives a power cut.
        assert_eq!(value_of(&db, "PRAGMA synchronous").await, "2");
    }

    /// `TEST_DATABASE_URL`, which CI always sets: there a missing
    /// PostgreSQL fails the test instead of skipping its PostgreSQL part.
    pub(super) fn test_postgres_url() -> Option<String> {
        let url = std::env::var("TEST_DATABASE_URL").ok();
        assert!(
            url.is_some() || std::env::var("CI").is_err(),
            "CI runs every database test on PostgreSQL: TEST_DATABASE_URL is missing"
        );
        url
    }

    #[tokio::test]
    async fn postgres_sessions_price_random_reads_for_cached_data() {
        let Some(url) = test_postgres_url() else {
            return;
        };
        let service = Database::connect(&url).await.expect("connects");
        assert_eq!(value_of(&service, "SHOW random_page_cost").await, "1.1");
        // A URL naming its own figure keeps it.
        let separator = if url.contains('?') { '&' } else { '?' };
        let own = format!("{url}{separator}options=-c%20random_page_cost%3D2.5");
        let tuned = Database::connect(&own).await.expect("connects");
        assert_eq!(value_of(&tuned, "SHOW random_page_cost").await, "2.5");
    }

    /// Connections the pool of `db` may keep.
    fn pool_limit(db: &Database) -> u32 {
        limit_of(&db.conn)
    }

    fn limit_of(pool: &DatabaseConnection) -> u32 {
        match pool.get_database_backend() {
            sea_orm::DbBackend::Postgres => pool
                .get_postgres_connection_pool()
                .options()
                .get_max_connections(),
            _ => pool
                .get_sqlite_connection_pool()
                .options()
                .get_max_connections(),
        }
    }

    #[tokio::test]
    async fn public_writes_queue_for_one_connection_on_sqlite_and_share_the_pool_on_postgres() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let sqlite = format!("sqlite://{}", dir.path().join("writer.db").display());
        let db = Database::connect(&sqlite).await.expect("connects");
        assert_eq!(limit_of(&db.writer.conn), 1);
        assert_eq!(pool_limit(&db), 8, "reads keep their pool");
        // The one writer writes the same file, synced as every commit is.
        db.writer
            .conn
            .execute_unprepared("CREATE TABLE written (n INTEGER); INSERT INTO written VALUES (7)")
            .await
            .expect("the writer writes");
        assert_eq!(value_of(&db, "SELECT n FROM written").await, "7");
        let synchronous = db
            .writer
            .conn
            .query_one_raw(Statement::from_string(
                db.writer.backend(),
                "PRAGMA synchronous",
            ))
            .await
            .expect("the statement runs")
            .and_then(|row| row.try_get_by_index::<i64>(0).ok());
        assert_eq!(synchronous, Some(2));
        if let Some(url) = test_postgres_url() {
            let db = Database::connect_pooled(&url, Some(5))
                .await
                .expect("connects");
            assert_eq!(limit_of(&db.writer.conn), 5, "the pool itself");
        }
    }

    #[tokio::test]
    async fn the_pool_keeps_the_connections_asked_or_eight() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut urls = vec![format!("sqlite://{}", dir.path().join("pool.db").display())];
        urls.extend(test_postgres_url());
        for url in urls {
            let default = Database::connect(&url).await.expect("connects");
            assert_eq!(pool_limit(&default), 8, "{}", redact_url(&url));
            let asked = Database::connect_pooled(&url, Some(3))
                .await
                .expect("connects");
            assert_eq!(pool_limit(&asked), 3, "{}", redact_url(&url));
        }
    }

    #[test]
    fn sqlite_files_are_created_on_first_use() {
        assert_eq!(
            normalize_url("sqlite://ogp-pulse.db").ok().as_deref(),
            Some("sqlite://ogp-pulse.db?mode=rwc")
        );
        assert_eq!(
            normalize_url("sqlite::memory:?mode=memory").ok().as_deref(),
            Some("sqlite::memory:?mode=memory")
        );
        assert!(matches!(
            normalize_url("mysql://x"),
            Err(ConnectError::UnsupportedUrl(_))
        ));
    }
}
