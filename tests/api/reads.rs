//! A read operation's statements run on one connection of their own
//! (`db::Reads`), with the same answers, failures and writes as through the
//! pool.

use std::time::{Duration, Instant};

use ogp_pulse::db::{Database, Reads};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::support::{TestDatabase, on_both_backends};

/// Connections of the pool now lent out.
fn lent(db: &Database) -> u32 {
    match db.conn.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.conn.get_postgres_connection_pool();
            pool.size() - u32::try_from(pool.num_idle()).unwrap_or(u32::MAX)
        }
        _ => {
            let pool = db.conn.get_sqlite_connection_pool();
            pool.size() - u32::try_from(pool.num_idle()).unwrap_or(u32::MAX)
        }
    }
}

/// Waits until the pool has `expected` connections lent out: a connection
/// goes back to the pool in a task of its own, a moment after its user is done.
async fn until_lent(db: &Database, expected: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while lent(db) != expected {
        assert!(
            Instant::now() < deadline,
            "{} connections lent out, expected {expected}",
            lent(db)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn sql(reads: &Reads, text: &str) -> Statement {
    Statement::from_string(reads.get_database_backend(), text)
}

async fn count_countries(reads: &Reads) -> i64 {
    reads
        .query_one_raw(sql(reads, "SELECT COUNT(*) AS n FROM country"))
        .await
        .expect("count runs")
        .expect("count answers")
        .try_get::<i64>("", "n")
        .expect("a count")
}

on_both_backends! {
    async fn a_read_operation_keeps_one_connection_until_it_ends(backend: Backend) {
        let database = TestDatabase::new(backend).await;
        let db = &database.db;
        until_lent(db, 0).await;

        let reads = Reads::pinned(db.conn.clone());
        assert_eq!(lent(db), 0, "nothing is taken before the first read");
        for _ in 0..3 {
            assert_eq!(count_countries(&reads).await, 0);
            // Kept between statements, not given back and taken again.
            assert_eq!(lent(db), 1);
        }
        drop(reads);
        until_lent(db, 0).await;

        // Through the pool, each statement gives its connection back.
        let pooled = Reads::pooled(db.conn.clone());
        assert_eq!(count_countries(&pooled).await, 0);
        until_lent(db, 0).await;
    }

    async fn what_a_read_operation_writes_is_committed_at_once(backend: Backend) {
        let database = TestDatabase::new(backend).await;
        let db = &database.db;
        let reads = Reads::pinned(db.conn.clone());
        assert_eq!(count_countries(&reads).await, 0);
        reads
            .execute_raw(sql(
                &reads,
                "INSERT INTO country (iso_code, name) VALUES ('ZZ', 'Testland')",
            ))
            .await
            .expect("the insert runs");
        // Seen through another connection while the request still runs,
        // and kept after its transaction is rolled back.
        let pooled = Reads::pooled(db.conn.clone());
        assert_eq!(count_countries(&pooled).await, 1);
        drop(reads);
        until_lent(db, 0).await;
        assert_eq!(count_countries(&pooled).await, 1);
    }

    async fn one_failed_read_does_not_fail_the_next(backend: Backend) {
        let database = TestDatabase::new(backend).await;
        let reads = Reads::pinned(database.db.conn.clone());
        assert_eq!(count_countries(&reads).await, 0);
        let failed = reads
            .query_all_raw(sql(&reads, "SELECT * FROM no_such_table"))
            .await;
        assert!(failed.is_err(), "a read of a missing table fails");
        // PostgreSQL would refuse every later statement of the transaction.
        assert_eq!(count_countries(&reads).await, 0);
    }
}
