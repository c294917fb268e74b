//! The response cache of public reads: a repeated read costs no statement,
//! a write through the API is seen by the next read at once (on every
//! instance), only what a write touched is dropped, concurrent misses run
//! once, and staff never get a cached answer.

use std::{io::Read, time::Duration};

use futures_util::future::join_all;
use ogp_pulse::{config::ApiArgs, import, staff::Role};
use poem::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    Backend, Raw, Reply, TestApp, TestRedis, bundled_json, encode, mo0018, on_both_backends, raw,
};

const TITLE: &str = r#"{ commitment(code: "MO0018") { title milestones { title } } }"#;
const FEEDBACK_COUNT: &str = r#"{ commitment(code: "MO0018") { feedback { totalCount } } }"#;
const SUBMIT: &str = "mutation($c: ID!) { submitFeedback(input: { commitmentId: $c, body: \"A comment\" }) { status } }";
const RENAME: &str = "mutation($id: ID!, $t: String!) { updateCommitment(input: { id: $id, title: [{ language: \"en\", text: $t }] }) { title } }";

/// Answers `query` and says how many SQL statements it cost.
async fn read(app: &TestApp, query: &str) -> (Value, u64) {
    let before = app.database.db.statements_run();
    let reply = app.query(query, json!({})).await;
    let data = reply.data().clone();
    (data, app.database.db.statements_run() - before)
}

async fn bundled_with(backend: Backend, api: ApiArgs) -> TestApp {
    let app = TestApp::with_api(backend, api).await;
    import::load_bundled_if_empty(app.conn())
        .await
        .expect("bundled data");
    app
}

/// Every commitment of the plan with its milestones: an answer of several
/// kilobytes, worth compressing.
const PLAN_PAGE: &str =
    "{ commitments(first: 24) { nodes { code title milestones { title endDate } } } }";

/// The answer to `query` as sent: compressed or not.
async fn ask_raw(app: &TestApp, query: &str, headers: &[(&str, &str)]) -> Raw {
    let mut request = app
        .client
        .post("/graphql")
        .header("content-type", "application/json")
        .body(json!({ "query": query }).to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    raw(request.send().await).await
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut plain)
        .expect("a gzip body");
    plain
}

/// Look-ups that read the area versions from Redis so far, from `/metrics`.
async fn version_reads(app: &TestApp) -> u64 {
    let metrics = app.get("/metrics").await;
    metrics
        .body
        .as_str()
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("ogp_pulse_response_cache_version_reads_total "))
        .and_then(|n| n.parse().ok())
        .expect("the version reads counter")
}

fn generous() -> ApiArgs {
    ApiArgs {
        feedback_per_minute: 100,
        feedback_per_hour: 100,
        ..ApiArgs::default()
    }
}

on_both_backends! {
    async fn a_repeated_public_read_costs_no_statement(backend: Backend) {
        let app = bundled_with(backend, generous()).await;
        let (first, cost) = read(&app, TITLE).await;
        assert!(cost > 0, "the first read runs the query");
        // The same document laid out differently is the same read.
        let (again, cost) = read(&app, "{\n  commitment(code: \"MO0018\") {\n    title\n    milestones { title }\n  }\n}").await;
        assert_eq!((again, cost), (first, 0));
    }

    async fn writes_through_the_api_are_seen_at_once_and_drop_only_what_they_touched(backend: Backend) {
        let app = bundled_with(backend, generous()).await;
        let mo18 = app.commitment_id("MO0018").await;
        let admin = app.staff("admin@example.org", &[Role::Admin], None).await;
        read(&app, TITLE).await;
        let (count, _) = read(&app, FEEDBACK_COUNT).await;
        assert_eq!(count["commitment"]["feedback"]["totalCount"], 0);

        let posted = app.query(SUBMIT, json!({ "c": mo18 })).await;
        assert_eq!(posted.data()["submitFeedback"]["status"], "PUBLISHED");
        let (count, cost) = read(&app, FEEDBACK_COUNT).await;
        assert_eq!(count["commitment"]["feedback"]["totalCount"], 1, "seen at once");
        assert!(cost > 0);
        // Feedback does not touch what the title read depends on.
        let (_, cost) = read(&app, TITLE).await;
        assert_eq!(cost, 0, "a comment keeps the catalogue's cached reads");

        let renamed = app.query_as(&admin, RENAME, json!({ "id": mo18, "t": "Telling everyone" })).await;
        assert_eq!(renamed.data()["updateCommitment"]["title"], "Telling everyone");
        let (title, _) = read(&app, TITLE).await;
        assert_eq!(title["commitment"]["title"], "Telling everyone");
        // The feedback read shows the commitment too: the rename dropped it.
        let (_, cost) = read(&app, FEEDBACK_COUNT).await;
        assert!(cost > 0, "a read that includes the catalogue is recomputed after a catalogue write");
    }

    async fn staff_are_never_answered_from_the_cache(backend: Backend) {
        let app = bundled_with(backend, generous()).await;
        let admin = app.staff("admin@example.org", &[Role::Admin], None).await;
        read(&app, TITLE).await;
        for _ in 0..2 {
            let before = app.database.db.statements_run();
            let reply = app.query_as(&admin, TITLE, json!({})).await;
            assert!(reply.data()["commitment"]["title"].is_string());
            assert!(app.database.db.statements_run() - before > 0, "staff reads run the query");
        }
    }

    async fn concurrent_misses_run_the_query_once(backend: Backend) {
        let app = bundled_with(backend, generous()).await;
        let ask = |language: &'static str| {
            let app = &app;
            async move {
                let body = json!({ "query": TITLE });
                app.post_json("/graphql", &body, &[("accept-language", language)]).await
            }
        };
        // What one miss costs (each language is a key of its own).
        let before = app.database.db.statements_run();
        ask("fr").await.data();
        let one = app.database.db.statements_run() - before;
        let before = app.database.db.statements_run();
        let replies: Vec<Reply> = join_all((0..50).map(|_| ask("ar"))).await;
        let fifty = app.database.db.statements_run() - before;
        assert!(replies.iter().all(|r| r.data()["commitment"]["title"].is_string()));
        assert_eq!(fifty, one, "50 concurrent misses cost what one does");
    }

    async fn writes_around_the_api_are_noticed_within_a_second(backend: Backend) {
        let app = bundled_with(backend, generous()).await;
        read(&app, TITLE).await;
        let mut catalog = bundled_json();
        mo0018(&mut catalog)["title"]["en"] = json!("Imported while serving");
        import::import_json(app.conn(), &catalog.to_string()).await.expect("import");
        let mut seen = Value::Null;
        for _ in 0..30 {
            seen = read(&app, TITLE).await.0["commitment"]["title"].clone();
            if seen == "Imported while serving" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(seen, "Imported while serving");
    }

    async fn instances_share_cached_reads_and_their_invalidation(backend: Backend) {
        let Some(redis) = TestRedis::new() else { return };
        let a = bundled_with(backend, redis.api(generous())).await;
        let b = a.instance(&redis.api(generous()));
        let mo18 = a.commitment_id("MO0018").await;
        let admin = a.staff("admin@example.org", &[Role::Admin], None).await;

        let (on_b, cost) = read(&b, TITLE).await;
        assert!(cost > 0);
        let (on_a, cost) = read(&a, TITLE).await;
        assert_eq!((on_a, cost), (on_b, 0), "A is answered with what B computed");
        assert!(redis.keys().iter().any(|k| k.contains("response:")), "{:?}", redis.keys());

        let renamed = a.query_as(&admin, RENAME, json!({ "id": mo18, "t": "Renamed on A" })).await;
        assert_eq!(renamed.data()["updateCommitment"]["title"], "Renamed on A");
        let (on_b, _) = read(&b, TITLE).await;
        assert_eq!(on_b["commitment"]["title"], "Renamed on A", "B sees A's write at once");
    }

    async fn holders_of_the_versions_answer_hits_alone_and_see_writes_at_once(backend: Backend) {
        let Some(redis) = TestRedis::new() else { return };
        let a = bundled_with(backend, redis.api(generous())).await;
        let b = a.instance(&redis.api(generous()));
        let mo18 = a.commitment_id("MO0018").await;
        let admin = a.staff("admin@example.org", &[Role::Admin], None).await;
        read(&b, TITLE).await;
        // Until B's lease is confirmed (a round trip or two), its hits read
        // the versions from Redis; then they ask Redis nothing.
        let mut held = false;
        for _ in 0..100 {
            let before = version_reads(&b).await;
            let (_, cost) = read(&b, TITLE).await;
            assert_eq!(cost, 0);
            if version_reads(&b).await == before {
                held = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(held, "B never answered a hit from the versions it holds");
        for round in 0..10 {
            let title = format!("Round {round} on A");
            let renamed = a.query_as(&admin, RENAME, json!({ "id": mo18, "t": title })).await;
            assert_eq!(renamed.data()["updateCommitment"]["title"], title.as_str());
            let (on_b, cost) = read(&b, TITLE).await;
            assert_eq!(
                on_b["commitment"]["title"], title.as_str(),
                "B answered from versions older than A's finished write"
            );
            assert!(cost > 0, "round {round}: a stale hit");
            let (again, cost) = read(&b, TITLE).await;
            assert_eq!((again, cost), (on_b, 0), "round {round}");
        }
    }

    async fn cached_answers_go_out_gzip_compressed_to_clients_that_accept_it(backend: Backend) {
        let app = bundled_with(backend, generous()).await;
        let browser = [("accept-encoding", "gzip, deflate, br")];
        // Computed and kept: the first answer is compressed already.
        let first = ask_raw(&app, PLAN_PAGE, &browser).await;
        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(first.header("content-encoding"), Some("gzip"));
        assert!(first.header("vary").is_some_and(|vary| vary.contains("Accept-Encoding")), "{:?}", first.headers);
        let plain = gunzip(&first.bytes);
        let data: Value = serde_json::from_slice(&plain).expect("JSON inside");
        assert_eq!(data["data"]["commitments"]["nodes"].as_array().map(Vec::len), Some(24));
        assert!(first.bytes.len() * 2 < plain.len(), "{} bytes compressed from {}", first.bytes.len(), plain.len());

        // From the cache: the same bytes, compressed or not as asked.
        let before = app.database.db.statements_run();
        let again = ask_raw(&app, PLAN_PAGE, &browser).await;
        assert_eq!((again.header("content-encoding"), gunzip(&again.bytes)), (Some("gzip"), plain.clone()));
        for refusing in [&[][..], &[("accept-encoding", "br, deflate")][..], &[("accept-encoding", "gzip;q=0, *")][..]] {
            let answer = ask_raw(&app, PLAN_PAGE, refusing).await;
            assert_eq!((answer.header("content-encoding"), &answer.bytes), (None, &plain), "{refusing:?}");
        }
        assert_eq!(app.database.db.statements_run(), before, "all answered from the cache");

        // A short answer goes out as it is.
        ask_raw(&app, TITLE, &browser).await;
        let short = ask_raw(&app, TITLE, &browser).await;
        assert_eq!(short.header("content-encoding"), None);
        assert!(short.json()["data"]["commitment"]["title"].is_string());
    }

    async fn a_gzip_answer_over_get_has_a_validator_of_its_own(backend: Backend) {
        let app = bundled_with(backend, generous()).await;
        let path = format!("/graphql?query={}", encode(PLAN_PAGE));
        let etag = |reply: &Reply| reply.headers.get("etag").and_then(|v| v.to_str().ok()).expect("an ETag").to_owned();
        let plain_tag = etag(&app.get(&path).await);
        let gzip = app.get_with_headers(&path, &[("accept-encoding", "gzip")]).await;
        assert_eq!(gzip.headers.get("content-encoding").and_then(|v| v.to_str().ok()), Some("gzip"));
        let gzip_tag = etag(&gzip);
        assert_ne!(gzip_tag, plain_tag);
        let unchanged = app.get_with_headers(&path, &[("accept-encoding", "gzip"), ("if-none-match", &gzip_tag)]).await;
        assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED);
        let unchanged = app.get_with_headers(&path, &[("if-none-match", &plain_tag)]).await;
        assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED);
        // The plain tag does not validate the compressed bytes.
        let other = app.get_with_headers(&path, &[("accept-encoding", "gzip"), ("if-none-match", &plain_tag)]).await;
        assert_eq!(other.status, StatusCode::OK);
    }

    async fn answers_computed_without_the_cache_go_out_as_they_are(backend: Backend) {
        let app = bundled_with(backend, ApiArgs { response_cache_ttl_seconds: 0, ..generous() }).await;
        for _ in 0..2 {
            let answer = ask_raw(&app, PLAN_PAGE, &[("accept-encoding", "gzip")]).await;
            assert_eq!((answer.status, answer.header("content-encoding")), (StatusCode::OK, None));
            assert_eq!(answer.json()["data"]["commitments"]["nodes"].as_array().map(Vec::len), Some(24));
        }
    }

    async fn an_answer_kept_in_redis_by_another_instance_goes_out_compressed(backend: Backend) {
        let Some(redis) = TestRedis::new() else { return };
        let a = bundled_with(backend, redis.api(generous())).await;
        let b = a.instance(&redis.api(generous()));
        let on_b = ask_raw(&b, PLAN_PAGE, &[]).await;
        let before = a.database.db.statements_run();
        let on_a = ask_raw(&a, PLAN_PAGE, &[("accept-encoding", "gzip")]).await;
        assert_eq!(a.database.db.statements_run(), before, "A is answered with what B kept");
        assert_eq!(on_a.header("content-encoding"), Some("gzip"));
        assert_eq!(gunzip(&on_a.bytes), on_b.bytes);
    }
}

// An instance caches nothing before it knows the versions of the writes made
// around the API it starts from: otherwise a response cached first, then an
// import, then that first read, and the import would never be noticed.
on_both_backends! {
    async fn nothing_is_looked_up_before_the_watcher_knows_where_it_starts(backend: Backend) {
        use futures_util::FutureExt;
        use ogp_pulse::response_cache::{Lookup, ResponseCache, watch_external_writes};

        let database = crate::support::TestDatabase::with_pool(backend, 1).await;
        let db = &database.db;
        let metrics = ogp_pulse::metrics::Metrics::new();
        let cache = std::sync::Arc::new(ResponseCache::in_process(
            Duration::from_secs(60),
            1 << 20,
            metrics.cache_counters(),
        ));
        // The pool's one connection taken: the watcher cannot read yet.
        let held = crate::support::hold(db, 1).await;
        watch_external_writes(std::sync::Arc::downgrade(&cache), db.background.clone());
        let mut waiting = Box::pin(cache.lookup("key"));
        assert!((&mut waiting).now_or_never().is_none(), "a look-up went ahead of the watcher");
        tokio::task::yield_now().await;
        assert!((&mut waiting).now_or_never().is_none(), "a look-up went ahead of the watcher");

        drop(held);
        let found = tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("the look-up goes ahead once the watcher has read");
        assert!(matches!(found, Lookup::Miss(_)), "an empty cache misses");
        // And from then on, at once.
        assert!(matches!(cache.lookup("key").now_or_never(), Some(Lookup::Miss(_))));
    }
}
