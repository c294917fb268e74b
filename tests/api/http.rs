//! GraphQL over HTTP: methods, media types, batches, errors, GraphiQL, health.

use ogp_pulse::{config::ApiArgs, import, staff::Role};
use serde_json::json;

use crate::support::{Reply, TestApp, encode, on_both_backends};

fn cache_control(reply: &Reply) -> Option<&str> {
    reply
        .headers
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
}

on_both_backends! {
    async fn metrics_count_requests_cache_results_and_refusals(backend: Backend) {
        let api = ApiArgs { feedback_per_minute: 1, ..ApiArgs::default() };
        let app = TestApp::with_api(backend, api).await;
        import::load_bundled_if_empty(app.conn()).await.expect("bundled data");
        let mo18 = app.commitment_id("MO0018").await; // a miss
        for _ in 0..2 {
            app.query(r#"{ commitments { totalCount } }"#, json!({})).await.data(); // a miss, then a hit
        }
        let submit = "mutation($c: ID!) { submitFeedback(input: { commitmentId: $c, body: \"Hello\" }) { status } }";
        app.query(submit, json!({ "c": mo18 })).await.data();
        assert_eq!(app.query(submit, json!({ "c": mo18 })).await.error_code(), "RATE_LIMITED");

        let metrics = app.get("/metrics").await;
        assert_eq!(metrics.status.as_u16(), 200);
        let text = metrics.body.as_str().expect("text").to_owned();
        let value = |line: &str| -> Option<f64> {
            text.lines()
                .find_map(|l| l.strip_prefix(line).and_then(|rest| rest.trim().parse().ok()))
        };
        assert_eq!(value(r#"ogp_pulse_requests_total{operation="query"}"#), Some(3.0), "{text}");
        assert_eq!(value(r#"ogp_pulse_requests_total{operation="mutation"}"#), Some(2.0), "{text}");
        assert_eq!(value(r#"ogp_pulse_request_duration_seconds_count{operation="query"}"#), Some(3.0), "{text}");
        assert_eq!(value(r#"ogp_pulse_response_cache_total{result="hit"}"#), Some(1.0), "{text}");
        assert_eq!(value(r#"ogp_pulse_response_cache_total{result="miss"}"#), Some(2.0), "{text}");
        assert_eq!(value("ogp_pulse_rate_limited_total"), Some(1.0), "{text}");
        assert_eq!(value("ogp_pulse_subscriptions"), Some(0.0), "{text}");
        assert!(value(r#"ogp_pulse_database_connections{state="open"}"#).is_some_and(|n| n >= 1.0), "{text}");
        // The pool's own statement count, for statements per request.
        let statements = app.database.db.statements_run();
        assert!(statements > 0);
        assert_eq!(value("ogp_pulse_sql_statements_total"), Some(statements as f64), "{text}");
    }

    async fn anonymous_dashboard_reads_over_get_may_be_cached_a_minute(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let mo18 = app.commitment_id("MO0018").await;
        let series = format!(
            "/graphql?query={}",
            encode(&format!(r#"{{ awarenessSeries(subject: "{mo18}", from: "2019-03-04", to: "2019-03-10") {{ points {{ reach }} }} }}"#))
        );
        let public = app.get(&series).await;
        assert_eq!(public.data()["awarenessSeries"]["points"][0]["reach"], 0);
        assert_eq!(cache_control(&public), Some("public, max-age=60"));
        assert_eq!(public.headers.get("vary").and_then(|v| v.to_str().ok()), Some("Accept-Language, Authorization, Accept-Encoding"));

        // Reads without a cache hint may be kept but must be revalidated,
        // which their ETag makes cheap.
        let path = format!("/graphql?query={}", encode("{ commitments { totalCount } }"));
        let plain = app.get(&path).await;
        assert_eq!(plain.data()["commitments"]["totalCount"], 24);
        assert_eq!(cache_control(&plain), Some("public, no-cache"));
        let etag = plain.headers.get("etag").and_then(|v| v.to_str().ok()).expect("an ETag").to_owned();
        let revalidated = app.get_with_headers(&path, &[("if-none-match", &etag)]).await;
        assert_eq!(revalidated.status.as_u16(), 304);
        assert_eq!(revalidated.headers.get("etag").and_then(|v| v.to_str().ok()), Some(etag.as_str()));
        let other = app.get_with_headers(&path, &[("if-none-match", "\"something else\"")]).await;
        assert_eq!(other.status.as_u16(), 200);

        // Staff reads, POST and errors are not kept.
        let token = app.staff("admin@example.org", &[Role::Admin], None).await;
        let staff = app.get_with_headers(&series, &[("authorization", &format!("Bearer {token}"))]).await;
        assert_eq!(staff.data()["awarenessSeries"]["points"][0]["reach"], 0);
        assert_eq!(cache_control(&staff), Some("no-store"));
        let posted = app
            .query("query($s: ID!) { awarenessSeries(subject: $s, from: \"2019-03-04\", to: \"2019-03-10\") { from } }", json!({ "s": mo18 }))
            .await;
        assert_eq!(posted.data()["awarenessSeries"]["from"], "2019-03-04");
        assert_eq!(cache_control(&posted), Some("no-store"));
        let failed = app.get(&format!(
            "/graphql?query={}",
            encode(&format!(r#"{{ awarenessSeries(subject: "{mo18}", from: "2019-03-10", to: "2019-03-04") {{ from }} }}"#))
        )).await;
        assert_eq!(failed.error_code(), "BAD_USER_INPUT");
        assert_eq!(cache_control(&failed), Some("no-store"));
    }

    async fn get_runs_queries_with_variables(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let query = encode("query One($code: String!) { commitment(code: $code) { code } }");
        let variables = encode(r#"{"code":"MO0018"}"#);
        let reply = app.get(&format!("/graphql?query={query}&variables={variables}&operationName=One")).await;
        assert_eq!(reply.status.as_u16(), 200);
        assert_eq!(reply.data()["commitment"]["code"], "MO0018");
    }

    async fn mutations_over_get_are_405_with_allow_post(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        for document in ["mutation { anything }", "query A { commitments { totalCount } } mutation B { anything }"] {
            let operation = if document.contains("mutation B") { "&operationName=B" } else { "" };
            let reply = app.get(&format!("/graphql?query={}{operation}", encode(document))).await;
            assert_eq!(reply.status.as_u16(), 405, "{document}");
            assert_eq!(reply.headers.get("allow").and_then(|v| v.to_str().ok()), Some("POST"));
            assert_eq!(reply.error_code(), "METHOD_NOT_ALLOWED");
        }
        // Choosing the query operation of the same document is fine.
        let document = "query A { commitments { totalCount } } mutation B { anything }";
        let reply = app.get(&format!("/graphql?query={}&operationName=A", encode(document))).await;
        assert_ne!(reply.status.as_u16(), 405, "{}", reply.body);
    }

    async fn malformed_requests_get_clear_codes(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let reply = app.post_raw("/graphql", "application/json", b"{ not json".to_vec()).await;
        assert_eq!((reply.status.as_u16(), reply.error_code()), (400, "BAD_REQUEST"));
        let reply = app.post_raw("/graphql", "application/json", br#"{"variables": {}}"#.to_vec()).await;
        assert_eq!((reply.status.as_u16(), reply.error_code()), (400, "BAD_REQUEST"));
        let reply = app.post_raw("/graphql", "text/plain", b"{ commitments { totalCount } }".to_vec()).await;
        assert_eq!((reply.status.as_u16(), reply.error_code()), (415, "BAD_REQUEST"));
        let reply = app.get("/graphql").await;
        assert_eq!((reply.status.as_u16(), reply.error_code()), (400, "BAD_REQUEST"));
        let reply = app.query("{ commitments { totalCount ", json!({})).await;
        assert_eq!(reply.error_code(), "GRAPHQL_PARSE_FAILED");
        let reply = app.query("{ commitments { nope } }", json!({})).await;
        assert_eq!(reply.error_code(), "GRAPHQL_VALIDATION_FAILED");
        let reply = app.query("query($n: Int) { commitments(first: $n) { totalCount } }", json!({ "n": "ten" })).await;
        assert!(reply.body["errors"][0]["extensions"]["code"].is_string(), "{}", reply.body);
        let reply = app.query(r#"{ commitment(code: 18) { code } }"#, json!({})).await;
        assert_eq!(reply.error_code(), "GRAPHQL_VALIDATION_FAILED");
    }

    async fn batches_are_refused(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let batch = json!([{ "query": "{ commitments { totalCount } }" }, { "query": "{ countries { totalCount } }" }]);
        let reply = app.post_json("/graphql", &batch, &[]).await;
        assert_eq!(reply.status.as_u16(), 400);
        assert_eq!(reply.error_code(), "BATCH_NOT_SUPPORTED");
    }

    async fn graphiql_and_health_are_served(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let page = app.client.get("/").send().await;
        page.assert_status_is_ok();
        let html = page.0.into_body().into_string().await.expect("html");
        assert!(html.to_lowercase().contains("graphiql"));
        assert!(html.contains("/graphql"));
        let health = app.get("/health").await;
        assert_eq!(health.status.as_u16(), 200);
        assert_eq!(health.body, json!({ "status": "ok", "database": "ok", "cache": "in-process" }));
    }

    async fn health_reports_an_unreachable_database(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        app.conn().clone().close().await.expect("close the pool");
        let health = app.get("/health").await;
        assert_eq!(health.status.as_u16(), 503);
        assert_eq!(health.body["database"], "unreachable");
        // A query now fails with an internal error whose cause stays in the logs.
        let reply = app.query("{ commitments { totalCount } }", json!({})).await;
        assert_eq!(reply.error_code(), "INTERNAL");
        let message = reply.body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("internal error"), "{message}");
        assert!(!message.to_lowercase().contains("pool"), "{message}");
    }

    async fn browsers_on_other_origins_may_call_the_api(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let preflight = app
            .client
            .options("/graphql")
            .header("origin", "https://frontend.example")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await;
        preflight.assert_status_is_ok();
        preflight.assert_header("access-control-allow-origin", "https://frontend.example");
        let reply = app
            .post_json("/graphql", &json!({ "query": "{ commitments { totalCount } }" }), &[("origin", "https://frontend.example")])
            .await;
        assert_eq!(reply.headers.get("access-control-allow-origin").and_then(|v| v.to_str().ok()), Some("https://frontend.example"));
    }
}

#[tokio::test]
async fn only_configured_origins_are_allowed_when_some_are() {
    use ogp_pulse::config::ApiArgs;
    let api = ApiArgs {
        cors_allowed_origins: vec!["https://ogp.example".to_owned()],
        ..ApiArgs::default()
    };
    let app = TestApp::with_api(crate::support::Backend::Sqlite, api).await;
    let allowed = app
        .post_json(
            "/graphql",
            &json!({ "query": "{ commitments { totalCount } }" }),
            &[("origin", "https://ogp.example")],
        )
        .await;
    assert_eq!(
        allowed
            .headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://ogp.example")
    );
    let refused = app
        .post_json(
            "/graphql",
            &json!({ "query": "{ commitments { totalCount } }" }),
            &[("origin", "https://elsewhere.example")],
        )
        .await;
    assert!(refused.headers.get("access-control-allow-origin").is_none());
}
