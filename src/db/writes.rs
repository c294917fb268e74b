//! Where the public's writes go: comments, supports and reports, which any
//! visitor may send and which come in bursts.
//!
//! A comment is one insert, and one transaction: its commit waits for the
//! log to reach the disk, and on SQLite the file's syncs, one after the
//! other, bounded comments a second. So the comments that arrive while the
//! writer is busy are written together when it is free, in one
//! transaction: one commit and one sync for all of them, and none waits for
//! a batch to fill. On PostgreSQL too: the server flushes concurrent
//! sessions' commits together already, but each commit, and each statement
//! through the pool (sqlx pings every connection given back), still costs
//! it; gathered, PostgreSQL's CPU per comment fell from 0.34-0.36 ms to
//! 0.14-0.18 ms (bench/README, seventeenth round).
//!
//! A SQLite file takes one writer at a time, and these writes have one
//! connection of their own there (see `Database::writer`); on PostgreSQL
//! they run on the pool.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, Statement, TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};

/// Rows written in one transaction at most: a bound on how long one batch
/// keeps the file locked, and on what one failed row makes write again.
const MOST_PER_BATCH: usize = 64;

/// Inserts waiting for the writer before a new one waits for room.
const QUEUE_LENGTH: usize = 1024;

/// The public's way to write (see the module's documentation).
#[derive(Clone, Debug)]
pub struct PublicWrites {
    /// The connection(s) they run on: the pool on PostgreSQL, the one
    /// writer on a SQLite file. Writes that take a transaction of their own
    /// (a support, a report) use it directly.
    pub conn: DatabaseConnection,
    /// The pool, for what a write checks before it writes (that a
    /// milestone or a comment exists): on SQLite those reads need not wait
    /// behind the writer.
    pub reads: DatabaseConnection,
    /// Where single-row inserts wait to be written together.
    batches: mpsc::Sender<Pending>,
}

/// An insert waiting for its batch, and who waits for its row.
#[derive(Debug)]
struct Pending {
    insert: Statement,
    row: oneshot::Sender<Result<Option<QueryResult>, DbErr>>,
}

impl PublicWrites {
    /// Writes on `writer`, single-row inserts gathered into transactions,
    /// checks read on `reads`; the gathering runs until the last clone of
    /// the value is dropped.
    pub fn new(writer: DatabaseConnection, reads: DatabaseConnection) -> Self {
        let (batches, waiting) = mpsc::channel(QUEUE_LENGTH);
        tokio::spawn(write_in_batches(writer.clone(), waiting));
        Self {
            conn: writer,
            reads,
            batches,
        }
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// Runs `insert`, a statement that writes one row and returns it (or
    /// writes nothing and returns none): committed, alone or with others,
    /// when this returns.
    pub async fn insert_returning(&self, insert: Statement) -> Result<Option<QueryResult>, DbErr> {
        let (row, written) = oneshot::channel();
        self.batches
            .send(Pending { insert, row })
            .await
            .map_err(|_| gone())?;
        written.await.map_err(|_| gone())?
    }
}

fn gone() -> DbErr {
    DbErr::Custom("the writer of public writes has stopped".to_owned())
}

/// Takes what waits, up to a batch, and writes it; again until no sender
/// is left.
async fn write_in_batches(writer: DatabaseConnection, mut waiting: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MOST_PER_BATCH);
    while waiting.recv_many(&mut batch, MOST_PER_BATCH).await > 0 {
        write_batch(&writer, std::mem::take(&mut batch)).await;
    }
}

/// Writes `batch` in one transaction; when any of it fails, each insert
/// again in a transaction of its own, so that one bad row fails alone.
async fn write_batch(writer: &DatabaseConnection, batch: Vec<Pending>) {
    if batch.len() > 1 {
        let inserts: Vec<&Statement> = batch.iter().map(|pending| &pending.insert).collect();
        if let Ok(rows) = together(writer, &inserts).await {
            for (pending, row) in batch.into_iter().zip(rows) {
                // The requester may have gone (a closed connection): the
                // row stays written all the same.
                let _ = pending.row.send(Ok(row));
            }
            return;
        }
    }
    for pending in batch {
        let row = writer.query_one_raw(pending.insert).await;
        let _ = pending.row.send(row);
    }
}

/// Runs `inserts` in one transaction: all committed, or none.
async fn together(
    writer: &DatabaseConnection,
    inserts: &[&Statement],
) -> Result<Vec<Option<QueryResult>>, DbErr> {
    let transaction = writer.begin().await?;
    let mut rows = Vec::with_capacity(inserts.len());
    for insert in inserts {
        match transaction.query_one_raw((*insert).clone()).await {
            Ok(row) => rows.push(row),
            Err(error) => {
                transaction.rollback().await?;
                return Err(error);
            }
        }
    }
    transaction.commit().await?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use futures_util::future::join_all;

    use super::*;
    use crate::db::{Database, tests::test_postgres_url};

    /// A database with a table `t` of positive numbers: a SQLite file, or
    /// a schema of its own in `TEST_DATABASE_URL`'s PostgreSQL.
    struct Numbers {
        db: Database,
        _dir: tempfile::TempDir,
        /// The PostgreSQL schema, and a connection to drop it with.
        schema: Option<(Database, String)>,
    }

    impl Numbers {
        async fn drop_schema(self) {
            if let Some((admin, schema)) = self.schema {
                admin
                    .conn
                    .execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
                    .await
                    .expect("drops the schema");
            }
        }
    }

    async fn numbers(backend: DbBackend) -> Option<Numbers> {
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut own_schema = None;
        let url = match backend {
            DbBackend::Postgres => {
                let url = test_postgres_url()?;
                let schema = format!("writes_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(&url).await.expect("connects");
                admin
                    .conn
                    .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                    .await
                    .expect("creates a schema");
                own_schema = Some((admin, schema.clone()));
                let separator = if url.contains('?') { '&' } else { '?' };
                format!("{url}{separator}options=-c%20search_path%3D{schema}")
            }
            _ => format!("sqlite://{}", dir.path().join("writes.db").display()),
        };
        let db = Database::connect(&url).await.expect("connects");
        db.writer
            .conn
            .execute_unprepared("CREATE TABLE t (n BIGINT PRIMARY KEY CHECK (n > 0))")
            .await
            .expect("creates the table");
        Some(Numbers {
            db,
            _dir: dir,
            schema: own_schema,
        })
    }

    fn insert(backend: DbBackend, n: i64, returning: &str) -> Statement {
        let sql = match backend {
            DbBackend::Postgres => format!("INSERT INTO t (n) VALUES ($1) RETURNING {returning}"),
            _ => format!("INSERT INTO t (n) VALUES (?) RETURNING {returning}"),
        };
        Statement::from_sql_and_values(backend, sql, [n.into()])
    }

    async fn stored(db: &Database) -> Vec<i64> {
        let rows = db
            .conn
            .query_all_raw(Statement::from_string(
                db.conn.get_database_backend(),
                "SELECT n FROM t ORDER BY n",
            ))
            .await
            .expect("reads");
        rows.iter()
            .map(|row| row.try_get_by_index::<i64>(0).expect("a number"))
            .collect()
    }

    /// Inserts 1 to 10 into `t` all at once: each row's `returning`.
    async fn ten_at_once(db: &Database, returning: &str) -> Vec<i64> {
        let backend = db.writer.backend();
        let rows =
            join_all((1..=10).map(|n| db.writer.insert_returning(insert(backend, n, returning))))
                .await;
        rows.into_iter()
            .map(|row| {
                let row = row.expect("written").expect("returned");
                row.try_get_by_index::<i64>(0).expect("a number")
            })
            .collect()
    }

    #[tokio::test]
    async fn inserts_arriving_together_are_committed_in_one_transaction_on_sqlite() {
        let Some(numbers) = numbers(DbBackend::Sqlite).await else {
            return;
        };
        let db = &numbers.db;
        assert_eq!(ten_at_once(db, "n").await, (1..=10).collect::<Vec<_>>());
        assert_eq!(stored(db).await, (1..=10).collect::<Vec<_>>());
        // Every commit appends the pages it changed to the log: ten commits
        // of a row each would add ten frames after the table's own.
        let checkpoint = db
            .writer
            .conn
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA wal_checkpoint(PASSIVE)",
            ))
            .await
            .expect("checkpoints")
            .expect("answers");
        let frames = checkpoint
            .try_get_by_index::<i64>(1)
            .expect("frames in the log");
        assert!(
            frames < 10,
            "{frames} frames: the ten rows were not one commit"
        );
    }

    #[tokio::test]
    async fn inserts_arriving_together_are_committed_in_one_transaction_on_postgres() {
        let Some(numbers) = numbers(DbBackend::Postgres).await else {
            return;
        };
        let db = &numbers.db;
        // A row's `xmin` is the transaction that wrote it.
        let transactions: std::collections::HashSet<i64> = ten_at_once(db, "xmin::text::bigint")
            .await
            .into_iter()
            .collect();
        assert_eq!(transactions.len(), 1, "{transactions:?}");
        assert_eq!(stored(db).await, (1..=10).collect::<Vec<_>>());
        numbers.drop_schema().await;
    }

    #[tokio::test]
    async fn a_failing_insert_fails_alone() {
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            let Some(numbers) = numbers(backend).await else {
                continue;
            };
            let db = &numbers.db;
            let rows =
                join_all([1, -1, 2].map(|n| db.writer.insert_returning(insert(backend, n, "n"))))
                    .await;
            assert!(matches!(rows[0], Ok(Some(_))), "{backend:?}");
            assert!(rows[1].is_err(), "the check refuses -1");
            assert!(matches!(rows[2], Ok(Some(_))), "{backend:?}");
            assert_eq!(stored(db).await, [1, 2], "{backend:?}");
            numbers.drop_schema().await;
        }
    }
}
