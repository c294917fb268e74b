//! What one request may cost: depth, complexity, body size, time.

use ogp_pulse::config::ApiArgs;
use sea_orm::TransactionTrait;
use serde_json::json;

use crate::support::{TestApp, on_both_backends};

/// GraphiQL's schema query: far deeper than 12 levels, and allowed.
const INTROSPECTION: &str = r#"query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}"#;

/// `levels` nested fields: commitment → actionPlan → country → actionPlans → …
fn nested_query(levels: usize) -> String {
    let mut inner = "key".to_owned();
    // Each round adds two levels: actionPlans { country { … } } around a key.
    let mut depth = 1;
    while depth + 2 <= levels - 2 {
        inner = format!("country {{ actionPlans {{ {inner} }} }}");
        depth += 2;
    }
    format!(r#"{{ commitment(code: "MO0018") {{ actionPlan {{ {inner} }} }} }}"#)
}

on_both_backends! {
    async fn depth_is_limited_but_introspection_is_not(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let allowed = app.query(&nested_query(12), json!({})).await;
        assert!(allowed.body.get("errors").is_none(), "12 levels are allowed: {}", allowed.body);
        let refused = app.query(&nested_query(14), json!({})).await;
        assert_eq!(refused.error_code(), "QUERY_TOO_DEEP");
        assert!(refused.body["data"].is_null());

        let introspection = app.query(INTROSPECTION, json!({})).await;
        assert!(introspection.data()["__schema"]["types"].as_array().is_some_and(|t| t.len() > 20));
    }

    async fn a_fragment_cycle_is_reported_not_followed(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let reply = app
            .query("query { commitment(code: \"MO0018\") { ...A } } fragment A on Commitment { code ...A }", json!({}))
            .await;
        // async-graphql's parser already refuses the cycle; either way the
        // request ends with a clear code instead of recursing forever.
        assert!(["GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"].contains(&reply.error_code()), "{}", reply.body);
    }

    async fn complexity_counts_page_sizes(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        // 100 commitments × 25 related × their policy areas and milestones.
        let reply = app
            .query(
                "{ commitments(first: 100) { nodes { relatedCommitments { code policyAreas { name } milestones { title } } } } }",
                json!({}),
            )
            .await;
        assert_eq!(reply.error_code(), "QUERY_TOO_COMPLEX");
        // A full page with the usual relations stays within budget.
        let reply = app
            .query(
                "{ commitments(first: 100) { totalCount nodes { code title leadInstitution { name } policyAreas { name } milestones { title startDate endDate } } } }",
                json!({}),
            )
            .await;
        assert!(reply.body.get("errors").is_none(), "{}", reply.body);
    }

    async fn a_request_validated_before_is_validated_again_with_other_variables(backend: Backend) {
        // Without the response cache, so that each request runs.
        let api = ApiArgs {
            response_cache_ttl_seconds: 0,
            ..ApiArgs::default()
        };
        let app = TestApp::bundled(backend).await;
        let app = app.instance(&api);
        let document = "query Q($code: String!) { commitment(code: $code) { code title } }";
        let first = app.query(document, json!({ "code": "MO0018" })).await;
        assert_eq!(first.data()["commitment"]["code"], "MO0018", "{}", first.body);
        // The second time the request is known to pass: same answer.
        let again = app.query(document, json!({ "code": "MO0018" })).await;
        assert_eq!(again.body, first.body);
        // The same document with a value of the wrong type is refused by
        // validation, as it would have been the first time.
        let refused = app.query(document, json!({ "code": 18 })).await;
        assert_eq!(refused.error_code(), "GRAPHQL_VALIDATION_FAILED", "{}", refused.body);
        assert!(refused.body["data"].is_null(), "{}", refused.body);
        // And a request refused once is refused again.
        let refused_again = app.query(document, json!({ "code": 18 })).await;
        assert_eq!(refused_again.body, refused.body);
    }

    async fn a_slow_query_is_stopped_with_a_timeout_code(backend: Backend) {
        let api = ApiArgs {
            execution_timeout_ms: 300,
            ..ApiArgs::default()
        };
        // A pool of one connection, held by a transaction: the query waits for
        // a connection far longer than it may run.
        let app = TestApp::with_pool(backend, api, 1).await;
        let held = app.conn().begin().await.expect("hold the only connection");
        let reply = app.query("{ commitments { totalCount } }", json!({})).await;
        drop(held);
        assert_eq!(reply.status.as_u16(), 200);
        assert_eq!(reply.error_code(), "TIMEOUT");
    }

    async fn bodies_over_one_mebibyte_are_refused(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let padding = " ".repeat(1024 * 1024);
        let body = format!(r#"{{"query": "{{ commitments {{ totalCount }} }}{padding}"}}"#);
        let reply = app.post_raw("/graphql", "application/json", body.into_bytes()).await;
        assert_eq!(reply.status.as_u16(), 413);
        assert_eq!(reply.error_code(), "PAYLOAD_TOO_LARGE");
        // Just under the limit is fine.
        let padding = " ".repeat(1000 * 1000);
        let body = format!(r#"{{"query": "{{ commitments {{ totalCount }} }}{padding}"}}"#);
        let reply = app.post_raw("/graphql", "application/json", body.into_bytes()).await;
        assert_eq!(reply.data()["commitments"]["totalCount"], 24);
    }
}
