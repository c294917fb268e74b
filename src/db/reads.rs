//! Where a GraphQL request's reads run.
//!
//! Through the pool, every statement takes a connection and gives it back,
//! and sqlx tests each connection it gets back with a round trip to the
//! database (a spawned task, a wake-up of the server's process). A nested
//! query runs a score of statements, so that doubled its round trips. A read
//! operation therefore takes one connection at its first statement and runs
//! all its reads there, inside a transaction (the only way sea-orm offers to
//! keep a connection), given back when the request ends.
//!
//! The transaction changes nothing a reader sees: at PostgreSQL's default
//! isolation (read committed) each statement sees what was committed when it
//! started, as it would outside a transaction; SQLite keeps one snapshot for
//! the request, which only makes its answer more consistent. Only `SELECT`s
//! go there: anything else runs through the pool as before, committed at once,
//! so nothing written can be lost with the transaction, which is rolled back.
//! After a read fails there, PostgreSQL refuses the rest of the transaction,
//! so the request's later reads go through the pool: one failure stays one
//! failure, as without the transaction.
//!
//! Reads resolved side by side take turns on the connection. Sending them
//! to the pool meanwhile was tried: under load every pooled connection ended
//! up held by a request waiting for a second one, and the service stalled.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, Statement, TransactionTrait,
};
use tokio::sync::OnceCell;

/// A request's way to the database for reading.
#[derive(Clone, Debug)]
pub struct Reads {
    pool: DatabaseConnection,
    /// The request's own connection, taken at its first read; none when
    /// every statement goes through the pool.
    pinned: Option<Arc<Pinned>>,
}

#[derive(Debug, Default)]
struct Pinned {
    transaction: OnceCell<DatabaseTransaction>,
    /// A statement failed in the transaction, which is unusable since.
    failed: AtomicBool,
}

impl Reads {
    /// Every statement through the pool: for writes, whose transactions take
    /// connections of their own (a request holding one connection while
    /// waiting for another could exhaust the pool), and for subscriptions,
    /// which live for hours.
    pub fn pooled(pool: DatabaseConnection) -> Self {
        Self { pool, pinned: None }
    }

    /// A read operation's reads on one connection of their own.
    pub fn pinned(pool: DatabaseConnection) -> Self {
        Self {
            pool,
            pinned: Some(Arc::default()),
        }
    }

    /// Where `statement` runs: a `SELECT` of a read operation on its
    /// connection (taken now if this is the first), anything else on the pool.
    async fn route(&self, statement: &Statement) -> Result<Route<'_>, DbErr> {
        match &self.pinned {
            Some(pinned) if is_select(&statement.sql) && !pinned.failed.load(Ordering::Relaxed) => {
                let transaction = pinned
                    .transaction
                    .get_or_try_init(|| self.pool.begin())
                    .await?;
                Ok(Route::Pinned(transaction, &pinned.failed))
            }
            _ => Ok(Route::Pool(&self.pool)),
        }
    }
}

enum Route<'a> {
    Pool(&'a DatabaseConnection),
    /// The transaction, and where to note that it failed.
    Pinned(&'a DatabaseTransaction, &'a AtomicBool),
}

/// Notes a failed statement of the transaction.
fn noting<T>(failed: &AtomicBool, result: Result<T, DbErr>) -> Result<T, DbErr> {
    if result.is_err() {
        failed.store(true, Ordering::Relaxed);
    }
    result
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
        match self.route(&statement).await? {
            Route::Pool(pool) => pool.execute_raw(statement).await,
            Route::Pinned(transaction, failed) => {
                noting(failed, transaction.execute_raw(statement).await)
            }
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        // Unprepared SQL is migrations' and tests' business: never a read to pin.
        self.pool.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self.route(&statement).await? {
            Route::Pool(pool) => pool.query_one_raw(statement).await,
            Route::Pinned(transaction, failed) => {
                noting(failed, transaction.query_one_raw(statement).await)
            }
        }
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self.route(&statement).await? {
            Route::Pool(pool) => pool.query_all_raw(statement).await,
            Route::Pinned(transaction, failed) => {
                noting(failed, transaction.query_all_raw(statement).await)
            }
        }
    }

    fn support_returning(&self) -> bool {
        self.pool.support_returning()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
