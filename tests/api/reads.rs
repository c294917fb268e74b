//! A read operation's statements run on one connection of their own
//! (`db::Reads`), with the same answers, failures and writes as through the
//! pool.

use std::time::{Duration, Instant};

use ogp_pulse::db::{Database, Reads};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement};

use crate::support::{TestDatabase, hold, on_both_backends};

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

/// The one row `text` answers, read through `reads`.
async fn one_row(reads: &Reads, text: &str) -> QueryResult {
    reads
        .query_one_raw(sql(reads, text))
        .await
        .expect("the read runs")
        .expect("the read answers")
}

async fn count_countries(reads: &Reads) -> i64 {
    one_row(reads, "SELECT COUNT(*) AS n FROM country")
        .await
        .try_get::<i64>("", "n")
        .expect("a count")
}

on_both_backends! {
    async fn a_read_operation_keeps_one_connection_until_it_ends(backend: Backend) {
        let database = TestDatabase::new(backend).await;
        let db = &database.db;
        until_lent(db, 0).await;

        let reads = db.pinned_reads();
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
        let reads = db.pinned_reads();
        assert_eq!(count_countries(&reads).await, 0);
        reads
            .execute_raw(sql(
                &reads,
                "INSERT INTO country (iso_code, name) VALUES ('ZZ', 'Testland')",
            ))
            .await
            .expect("the insert runs");
        // Seen through another connection while the request still runs,
        // and kept after the request has given its connection back.
        let pooled = Reads::pooled(db.conn.clone());
        assert_eq!(count_countries(&pooled).await, 1);
        drop(reads);
        until_lent(db, 0).await;
        assert_eq!(count_countries(&pooled).await, 1);
    }

    async fn one_failed_read_does_not_fail_the_next(backend: Backend) {
        let database = TestDatabase::new(backend).await;
        let reads = database.db.pinned_reads();
        assert_eq!(count_countries(&reads).await, 0);
        let failed = reads
            .query_all_raw(sql(&reads, "SELECT * FROM no_such_table"))
            .await;
        assert!(failed.is_err(), "a read of a missing table fails");
        // Had the reads shared a transaction, PostgreSQL would refuse every
        // later statement of it.
        assert_eq!(count_countries(&reads).await, 0);
    }
}

const SLOW_COUNT: i64 = 300_000;

/// A read that keeps its connection busy for a while (tens of
/// milliseconds), so that another read starts while it runs.
async fn slow_count(reads: &Reads) -> i64 {
    let text = format!(
        "SELECT COUNT(*) AS n FROM (WITH RECURSIVE n(x) AS \
         (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < {SLOW_COUNT}) SELECT x FROM n) AS counted"
    );
    one_row(reads, &text)
        .await
        .try_get::<i64>("", "n")
        .expect("a count")
}

on_both_backends! {
    async fn reads_side_by_side_borrow_idle_connections_only_while_the_pool_is_idle(backend: Backend) {
        let database = TestDatabase::with_pool(backend, 8).await;
        let db = &database.db;
        // Every connection of the pool open and idle.
        drop(hold(db, 8).await);
        until_lent(db, 0).await;

        let reads = db.pinned_reads();
        let counts = futures_util::join!(slow_count(&reads), count_countries(&reads));
        assert_eq!(counts, (SLOW_COUNT, 0));
        assert_eq!(lent(db), 2, "the second read borrowed an idle connection");
        for _ in 0..3 {
            assert_eq!(count_countries(&reads).await, 0);
        }
        assert_eq!(lent(db), 2, "reads one after the other borrow nothing more");
        let counts = futures_util::join!(
            slow_count(&reads),
            slow_count(&reads),
            slow_count(&reads),
            slow_count(&reads),
            slow_count(&reads),
            slow_count(&reads),
        );
        assert_eq!(counts, (SLOW_COUNT, SLOW_COUNT, SLOW_COUNT, SLOW_COUNT, SLOW_COUNT, SLOW_COUNT));
        assert_eq!(lent(db), 4, "half the pool stays idle for other requests");
        drop(reads);
        until_lent(db, 0).await;

        // Five of eight taken elsewhere: fewer than half idle, so a request
        // keeps to its one connection.
        let busy = hold(db, 5).await;
        let reads = db.pinned_reads();
        let counts = futures_util::join!(slow_count(&reads), count_countries(&reads));
        assert_eq!(counts, (SLOW_COUNT, 0));
        assert_eq!(lent(db), 6, "the reads took turns on one connection");
        drop(reads);
        drop(busy);
        until_lent(db, 0).await;
    }
}

/// The backend serving a read, and when its transaction started (in
/// microseconds since the epoch).
async fn backend_and_transaction_start(reads: &Reads) -> (i32, i64) {
    let row = one_row(
        reads,
        "SELECT pg_backend_pid() AS pid, \
         CAST(EXTRACT(EPOCH FROM now()) * 1000000 AS BIGINT) AS started",
    )
    .await;
    (
        row.try_get::<i32>("", "pid").expect("a backend"),
        row.try_get::<i64>("", "started").expect("a start"),
    )
}

/// On PostgreSQL, a read operation's statements run on one server process,
/// each in a transaction of its own: no `BEGIN` keeps a snapshot (or costs a
/// round trip) for the whole request.
#[tokio::test]
async fn a_read_operation_keeps_one_backend_and_no_transaction() {
    let Some(backend) = crate::support::Backend::postgres() else {
        return;
    };
    let database = TestDatabase::new(backend).await;
    let reads = database.db.pinned_reads();
    let (first_backend, first_start) = backend_and_transaction_start(&reads).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (second_backend, second_start) = backend_and_transaction_start(&reads).await;
    assert_eq!(
        first_backend, second_backend,
        "one connection for every read"
    );
    assert!(
        second_start > first_start,
        "each read starts its own transaction (started at {first_start}, then {second_start})"
    );
    let statements_before = database.db.statements_run();
    count_countries(&reads).await;
    assert_eq!(
        database.db.statements_run() - statements_before,
        1,
        "a pinned read is counted once, with no statement around it"
    );
}

/// Two comments in one operation, the first answering with what it was
/// about: a read between two writes.
const SUBMIT_TWICE: &str = r#"mutation($first: SubmitFeedbackInput!, $second: SubmitFeedbackInput!) {
    first: submitFeedback(input: $first) { status feedback { body commitment { code title } } }
    second: submitFeedback(input: $second) { status feedback { body } }
}"#;

// A mutation's reads go through the pool, each giving its connection back,
// so that its next write's transaction finds one: had they kept a connection
// for the whole operation, as a query's do, a pool of one would be held by
// them while the second write waited for it until the operation timed out.
on_both_backends! {
    async fn a_mutation_reading_between_writes_completes_on_a_pool_of_one(backend: Backend) {
        let api = ogp_pulse::config::ApiArgs {
            execution_timeout_ms: 5_000,
            ..ogp_pulse::config::ApiArgs::default()
        };
        let app = crate::support::TestApp::with_pool(backend, api, 1).await;
        ogp_pulse::import::load_bundled_if_empty(app.conn())
            .await
            .expect("bundled data");
        let mo18 = app.commitment_id("MO0018").await;
        let comment = |body: &str| serde_json::json!({ "commitmentId": mo18, "body": body });
        let reply = app
            .query(
                SUBMIT_TWICE,
                serde_json::json!({ "first": comment("First"), "second": comment("Second") }),
            )
            .await;
        let data = reply.data();
        assert_eq!(data["first"]["feedback"]["body"], "First", "{}", reply.body);
        assert_eq!(data["first"]["feedback"]["commitment"]["code"], "MO0018");
        assert_eq!(data["second"]["feedback"]["body"], "Second", "{}", reply.body);

        // A query's reads keep the one connection between them.
        let listed = app
            .query(
                r#"{ commitment(code: "MO0018") {
                    title leadInstitution { name } milestones { title }
                    feedback(first: 5) { totalCount nodes { body } }
                } }"#,
                serde_json::json!({}),
            )
            .await;
        assert_eq!(listed.data()["commitment"]["feedback"]["totalCount"], 2, "{}", listed.body);
    }
}

/// How often PostgreSQL planned the request connection's prepared statement
/// reading a page of commitments with their texts: (custom plans, generic
/// plans). A custom plan is made for each execution; a generic one once.
async fn page_plans(reads: &Reads) -> (i64, i64) {
    // No row: the page's statement is not prepared on this connection.
    let row = one_row(
        reads,
        "SELECT custom_plans, generic_plans FROM pg_prepared_statements \
         WHERE statement LIKE 'SELECT \"commitment\".\"id\"%' \
         AND statement LIKE '%\"commitment_translation\"%'",
    )
    .await;
    (
        row.try_get::<i64>("", "custom_plans").expect("a count"),
        row.try_get::<i64>("", "generic_plans").expect("a count"),
    )
}

#[tokio::test]
async fn postgres_plans_a_page_once_per_connection_not_per_read() {
    use ogp_pulse::catalog::{
        commitments::{self, CommitmentFilter, CommitmentOrder},
        pagination::{FlagsAsked, PageRequest},
    };

    let Some(backend) = crate::support::Backend::postgres() else {
        return;
    };
    let database = TestDatabase::new(backend).await;
    let reads = database.db.pinned_reads();
    let listing = commitments::listing(&CommitmentFilter::default(), CommitmentOrder::default())
        .expect("an unfiltered list");
    let request = PageRequest {
        first: Some(25),
        ..PageRequest::default()
    };
    // A statement with parameters gets a custom plan at each of its first
    // five executions, and after them whenever the plan made once for any
    // values looks costlier, as it always did with the limit bound on the
    // benchmark's data (here, on empty tables: (5, 3)). Without parameters
    // the one plan serves every read.
    let reads_of_the_page = 8;
    for _ in 0..reads_of_the_page {
        let page = commitments::translated_page(&listing, &reads, (&request, FlagsAsked::ALL))
            .await
            .expect("the page is read");
        assert!(page.items.is_empty(), "a fresh database lists nothing");
    }
    assert_eq!(page_plans(&reads).await, (0, reads_of_the_page));
}
