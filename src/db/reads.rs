//! Where a GraphQL request's reads run.
//!
//! Through the pool, every statement takes a connection and gives it back,
//! and sqlx tests each connection it gets back with a round trip to the
//! database (a spawned task, a wake-up of the server's process). A nested
//! query runs a score of statements, so that doubled its round trips. A read
//! operation therefore takes one connection at its first statement and runs
//! all its reads there, given back when the request ends.
//!
//! The connection is sqlx's own, held outside any transaction: sea-orm keeps
//! a connection only inside a transaction, and its `BEGIN` and `ROLLBACK`
//! were two more round trips per request (a third of a page of commitments'
//! statements). Each statement therefore sees what was committed when it
//! started, as through the pool. Only `SELECT`s go there: anything else runs
//! through the pool as before, committed at once. The statements are counted
//! and traced here, as the pool's instrumentation does for its own.
//!
//! Reads resolved side by side take turns on the request's connections.
//! Waiting for a second connection from the pool was tried: under load every
//! pooled connection ended up held by a request waiting for a second one,
//! and the service stalled. A request may still take more connections, but
//! only idle ones, never waiting for them, and only while more than half the
//! pool is idle (see [`borrow`]): at light load, a commitment's dozen
//! reads run side by side instead of one after the other, and under load
//! every request keeps to its one connection as before.

use std::sync::Arc;

use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult,
    RuntimeErr, Statement, Value,
    sea_query::Values,
    sqlx::{self, AssertSqlSafe, Pool, Postgres, Sqlite, pool::PoolConnection},
};
use sea_query_sqlx::SqlxValues;
use tokio::sync::Notify;

use super::Statements;

/// A request's way to the database for reading.
#[derive(Clone, Debug)]
pub struct Reads {
    pool: DatabaseConnection,
    /// The request's own connections, taken at its first read; none when
    /// every statement goes through the pool.
    pinned: Option<Arc<Pinned>>,
}

#[derive(Debug)]
struct Pinned {
    held: Held,
    statements: Statements,
}

#[derive(Debug)]
enum Connection {
    Postgres(PoolConnection<Postgres>),
    Sqlite(PoolConnection<Sqlite>),
}

/// The connections a request holds for its reads: the one it takes at its
/// first read, and those it borrowed while the pool had them idle. All go
/// back to the pool when the request ends.
#[derive(Debug, Default)]
struct Held {
    state: std::sync::Mutex<HeldState>,
    /// Woken when a connection is given back (or the first could not be had).
    returned: Notify,
}

#[derive(Debug, Default)]
struct HeldState {
    /// Held and not running a statement.
    idle: Vec<Connection>,
    /// Held, idle or running a statement (or being taken from the pool).
    count: usize,
}

impl Reads {
    /// Every statement through the pool: for writes, whose transactions take
    /// connections of their own (a request holding one connection while
    /// waiting for another could exhaust the pool), and for subscriptions,
    /// which live for hours.
    pub fn pooled(pool: DatabaseConnection) -> Self {
        Self { pool, pinned: None }
    }

    /// A read operation's reads on connections of their own, counted in
    /// `statements`.
    pub(crate) fn pinned(pool: DatabaseConnection, statements: Statements) -> Self {
        let pinned = Pinned {
            held: Held::default(),
            statements,
        };
        Self {
            pool,
            pinned: Some(Arc::new(pinned)),
        }
    }

    /// The request's connections, when `statement` is to run on one of them;
    /// `None` when it goes through the pool.
    fn pinned_for(&self, statement: &Statement) -> Option<&Pinned> {
        let pinned = self.pinned.as_deref()?;
        is_select(&statement.sql).then_some(pinned)
    }

    /// Runs a read on one of the request's connections, counted and traced.
    async fn fetch_pinned(
        &self,
        pinned: &Pinned,
        mut statement: Statement,
    ) -> Result<Vec<QueryResult>, DbErr> {
        let mut lent = pinned.held.take(&self.pool).await?;
        let rows = match lent.connection.as_mut() {
            Some(connection) => connection.fetch(&mut statement).await,
            None => Err(sqlx::Error::PoolClosed),
        };
        drop(lent);
        pinned.statements.note(&statement.sql, rows.is_err());
        rows.map_err(|error| DbErr::Query(RuntimeErr::SqlxError(Arc::new(error))))
    }
}

impl Held {
    /// A connection to run one statement on: an idle one of the request's;
    /// else one borrowed from the pool (see [`borrow`]); else, at the
    /// request's first read, one from the pool, waiting for it if need be;
    /// else the next of the request's own to be given back.
    async fn take<'a>(&'a self, pool: &DatabaseConnection) -> Result<Lent<'a>, DbErr> {
        loop {
            // Asked for before looking, so that a connection given back
            // meanwhile wakes this read.
            let returned = self.returned.notified();
            let first = {
                let Ok(mut state) = self.state.lock() else {
                    return Err(DbErr::Custom(
                        "a request's connections were lost".to_owned(),
                    ));
                };
                if let Some(connection) = state.idle.pop() {
                    return Ok(self.lend(connection));
                }
                if state.count > 0 {
                    if let Some(connection) = borrow(pool) {
                        state.count += 1;
                        return Ok(self.lend(connection));
                    }
                    false
                } else {
                    state.count = 1;
                    true
                }
            };
            if first {
                let opening = Opening(Some(self));
                // Boxed: sqlx's wait for a connection is a future of some
                // kilobytes (it may open one), which unboxed made every
                // read's future as large, copied whole into the box each
                // read is sent in (6 % of a nested query's instructions);
                // only a request's first read waits here.
                let connection = Box::pin(acquire(pool)).await?;
                opening.done();
                return Ok(self.lend(connection));
            }
            returned.await;
        }
    }

    fn lend(&self, connection: Connection) -> Lent<'_> {
        Lent {
            held: self,
            connection: Some(connection),
        }
    }

    fn give_back(&self, connection: Connection) {
        if let Ok(mut state) = self.state.lock() {
            state.idle.push(connection);
        }
        self.returned.notify_one();
    }
}

/// The request's first connection being taken from the pool. Should that
/// fail or be abandoned, the reads waiting for it are woken to try for
/// themselves.
struct Opening<'a>(Option<&'a Held>);

impl Opening<'_> {
    fn done(mut self) {
        self.0 = None;
    }
}

impl Drop for Opening<'_> {
    fn drop(&mut self) {
        if let Some(held) = self.0.take() {
            if let Ok(mut state) = held.state.lock() {
                state.count = state.count.saturating_sub(1);
            }
            held.returned.notify_waiters();
        }
    }
}

/// One of the request's connections, running a statement; given back to the
/// request when dropped, also when the statement was abandoned midway (sqlx
/// finishes reading its answer before the next statement).
struct Lent<'a> {
    held: &'a Held,
    connection: Option<Connection>,
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            self.held.give_back(connection);
        }
    }
}

/// A connection of the pool, waiting for one if none is free.
async fn acquire(pool: &DatabaseConnection) -> Result<Connection, DbErr> {
    Ok(match pool.get_database_backend() {
        DbBackend::Postgres => Connection::Postgres(
            pool.get_postgres_connection_pool()
                .acquire()
                .await
                .map_err(acquire_error)?,
        ),
        _ => Connection::Sqlite(
            pool.get_sqlite_connection_pool()
                .acquire()
                .await
                .map_err(acquire_error)?,
        ),
    })
}

/// An idle connection of the pool, if more than half of its connections
/// are idle; never waits. Half stay for the requests that arrive meanwhile,
/// which would otherwise wait for this one to end: under load nothing is
/// borrowed, at light load a request's reads spread over a few connections.
fn borrow(pool: &DatabaseConnection) -> Option<Connection> {
    fn from<DB: sqlx::Database>(pool: &Pool<DB>) -> Option<PoolConnection<DB>> {
        let size = pool.options().get_max_connections();
        let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
        if idle.saturating_mul(2) > size {
            pool.try_acquire()
        } else {
            None
        }
    }
    match pool.get_database_backend() {
        DbBackend::Postgres => from(pool.get_postgres_connection_pool()).map(Connection::Postgres),
        _ => from(pool.get_sqlite_connection_pool()).map(Connection::Sqlite),
    }
}

impl Connection {
    /// Runs `statement` and reads its rows. A caller wanting one row gets
    /// the first: sea-orm's `one()` limits its statement to one row already.
    async fn fetch(&mut self, statement: &mut Statement) -> Result<Vec<QueryResult>, sqlx::Error> {
        if let Connection::Postgres(_) = self {
            write_limit_in(statement);
        }
        let values = SqlxValues(statement.values.take().unwrap_or(Values(Vec::new())));
        let sql = AssertSqlSafe(statement.sql.as_str());
        Ok(match self {
            Connection::Postgres(connection) => into_results(
                sqlx::query_with(sql, values)
                    .fetch_all(&mut **connection)
                    .await?,
            ),
            Connection::Sqlite(connection) => into_results(
                sqlx::query_with(sql, values)
                    .fetch_all(&mut **connection)
                    .await?,
            ),
        })
    }
}

fn into_results<R>(rows: Vec<R>) -> Vec<QueryResult>
where
    QueryResult: From<R>,
{
    rows.into_iter().map(QueryResult::from).collect()
}

/// The error sea-orm gives when no connection can be had, so that callers
/// see the same error whichever way a statement went.
fn acquire_error(error: sqlx::Error) -> DbErr {
    match error {
        sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sqlx::Error::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        other => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(other))),
    }
}

/// Writes the row limit of `statement` into its text when it is the only
/// parameter: the first page of an unfiltered list (sea-query binds every
/// LIMIT).
///
/// PostgreSQL plans a prepared statement again at every execution while it
/// has parameters and a plan made once for any values (a generic plan)
/// looks costlier than the ones made for the values given, which is always
/// so when the limit is a parameter: the generic plan has to guess the row
/// count. A statement without parameters is planned once per connection. A
/// page of commitments with their texts cost the database 128 µs of CPU per
/// execution, 72 µs with its limit written in. Limits are page sizes (at
/// most 101), so the statements stay few in each connection's cache of
/// prepared statements.
///
/// A statement with other parameters keeps its limit bound. With the limit
/// written in, PostgreSQL took the generic plan for a commitment's first
/// page of comments, which guesses a handful of comments per commitment:
/// for one with 900 it read them all and sorted them, 0.6 ms where the plan
/// made for that commitment stops after eleven (0.03 ms).
fn write_limit_in(statement: &mut Statement) {
    let Some(Values(values)) = &mut statement.values else {
        return;
    };
    let [Value::BigUnsigned(Some(limit))] = values.as_slice() else {
        return;
    };
    let limit = *limit;
    let Some(at) = statement.sql.find(" LIMIT $1") else {
        return;
    };
    let end = at + " LIMIT $1".len();
    // `$1` once, as the limit (no `$10` with one parameter).
    if statement.sql.matches("$1").count() != 1 {
        return;
    }
    statement
        .sql
        .replace_range(at..end, &format!(" LIMIT {limit}"));
    values.clear();
}

/// Whether a statement only reads. Statements are built by sea-query, which
/// starts a read with `SELECT`; a `WITH` could hide a write, so it is not
/// taken for a read.
fn is_select(sql: &str) -> bool {
    sql.trim_start()
        .get(..6)
        .is_some_and(|start| start.eq_ignore_ascii_case("select"))
}

#[async_trait::async_trait]
impl ConnectionTrait for Reads {
    fn get_database_backend(&self) -> DbBackend {
        self.pool.get_database_backend()
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        self.pool.execute_raw(statement).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        // Unprepared SQL is migrations' and tests' business: never a read to pin.
        self.pool.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self.pinned_for(&statement) {
            None => self.pool.query_one_raw(statement).await,
            Some(pinned) => {
                let rows = self.fetch_pinned(pinned, statement).await?;
                Ok(rows.into_iter().next())
            }
        }
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self.pinned_for(&statement) {
            None => self.pool.query_all_raw(statement).await,
            Some(pinned) => self.fetch_pinned(pinned, statement).await,
        }
    }

    fn support_returning(&self) -> bool {
        self.pool.support_returning()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(sql: &str, values: Vec<Value>) -> Statement {
        Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
    }

    #[test]
    fn the_limit_of_a_statement_without_other_parameters_is_written_in() {
        let mut page = statement(
            r#"SELECT "c"."id" FROM (SELECT "id" FROM "c" ORDER BY "code" LIMIT $1) AS "c" ORDER BY "c"."code""#,
            vec![Value::BigUnsigned(Some(26))],
        );
        write_limit_in(&mut page);
        assert_eq!(
            page.sql,
            r#"SELECT "c"."id" FROM (SELECT "id" FROM "c" ORDER BY "code" LIMIT 26) AS "c" ORDER BY "c"."code""#
        );
        assert_eq!(page.values, Some(Values(Vec::new())));
    }

    #[test]
    fn other_parameters_keep_the_limit_bound() {
        let unchanged = |sql: &str, values: Vec<Value>| {
            let mut read = statement(sql, values.clone());
            write_limit_in(&mut read);
            assert_eq!(
                (read.sql.as_str(), read.values),
                (sql, Some(Values(values)))
            );
        };
        // A page after a cursor, and `one()` of a commitment.
        unchanged(
            r#"SELECT "id" FROM "c" WHERE "code" > $1 ORDER BY "code" LIMIT $2"#,
            vec![Value::from("MO0018"), Value::BigUnsigned(Some(26))],
        );
        unchanged(
            r#"SELECT "id" FROM "c" WHERE "id" = $1 LIMIT $2"#,
            vec![Value::BigInt(Some(7)), Value::BigUnsigned(Some(1))],
        );
        // An integer compared, not a limit.
        unchanged(
            r#"SELECT "id" FROM "c" WHERE "n" = $1"#,
            vec![Value::BigUnsigned(Some(3))],
        );
        // The limit's parameter used again elsewhere.
        unchanged(
            r#"SELECT $1 AS "n" FROM "c" LIMIT $1"#,
            vec![Value::BigUnsigned(Some(3))],
        );
        // A text where a number is expected: left to the database to refuse.
        unchanged(
            r#"SELECT "id" FROM "c" LIMIT $1"#,
            vec![Value::from("1; DROP TABLE c")],
        );
    }

    /// Every read's future is moved whole into the box sea-orm's connection
    /// trait sends it in; waiting for the pool's connection (kilobytes, and
    /// only a request's first read does) is boxed apart to keep it small.
    #[tokio::test]
    async fn a_reads_future_stays_small() {
        let Ok(pool) = sea_orm::Database::connect("sqlite::memory:").await else {
            panic!("no SQLite in memory");
        };
        let reads = Reads::pinned(pool, Statements::default());
        let Some(pinned) = reads.pinned.as_deref() else {
            panic!("reads not pinned");
        };
        let read = reads.fetch_pinned(
            pinned,
            Statement::from_string(DbBackend::Sqlite, "SELECT 1"),
        );
        assert!(size_of_val(&read) < 1024, "{} bytes", size_of_val(&read));
    }

    #[test]
    fn only_selects_are_reads() {
        assert!(is_select(
            "SELECT \"commitment\".\"id\" FROM \"commitment\""
        ));
        assert!(is_select("  select 1"));
        assert!(!is_select(
            "INSERT INTO \"feedback\" (\"body\") VALUES ($1) RETURNING \"id\""
        ));
        assert!(!is_select(
            "WITH moved AS (DELETE FROM t RETURNING *) SELECT * FROM moved"
        ));
        assert!(!is_select("SEL"));
        assert!(!is_select(""));
    }
}
