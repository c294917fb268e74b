//! Automatic persisted queries (Apollo APQ) over POST and GET: an unknown
//! hash asks for the document, a registered one stands for it, a wrong one
//! is refused, and instances sharing Redis share the documents.

use ogp_pulse::config::ApiArgs;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{Backend, TestApp, TestRedis, encode, on_both_backends};

const DOCUMENT: &str = r#"query Count { commitments { totalCount } }"#;

fn hash(document: &str) -> String {
    Sha256::digest(document.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

fn get_path(hash: &str) -> String {
    format!(
        "/graphql?extensions={}",
        encode(&persisted(hash).to_string())
    )
}

async fn bundled(backend: Backend, api: ApiArgs) -> TestApp {
    let app = TestApp::with_api(backend, api).await;
    ogp_pulse::import::load_bundled_if_empty(app.conn())
        .await
        .expect("bundled data");
    app
}

on_both_backends! {
    async fn a_hash_stands_for_its_document_once_registered(backend: Backend) {
        let app = bundled(backend, ApiArgs::default()).await;
        let hash = hash(DOCUMENT);

        // Unknown: the client is asked for the document (over GET and POST).
        let unknown = app.get(&get_path(&hash)).await;
        assert_eq!(unknown.status.as_u16(), 200);
        assert_eq!(unknown.error_code(), "PERSISTED_QUERY_NOT_FOUND");
        assert_eq!(unknown.body["errors"][0]["message"], "PersistedQueryNotFound");
        let unknown = app.post_json("/graphql", &json!({ "extensions": persisted(&hash) }), &[]).await;
        assert_eq!(unknown.error_code(), "PERSISTED_QUERY_NOT_FOUND");

        // Registered with the document…
        let registered = app
            .post_json("/graphql", &json!({ "query": DOCUMENT, "extensions": persisted(&hash) }), &[])
            .await;
        assert_eq!(registered.data()["commitments"]["totalCount"], 24);

        // …the hash alone is enough, and the GET answer is cacheable.
        let by_hash = app.get(&get_path(&hash)).await;
        assert_eq!(by_hash.data()["commitments"]["totalCount"], 24);
        assert!(by_hash.headers.get("etag").is_some());
        let by_post = app.post_json("/graphql", &json!({ "extensions": persisted(&hash) }), &[]).await;
        assert_eq!(by_post.data()["commitments"]["totalCount"], 24);
    }

    async fn a_wrong_hash_or_version_is_refused_and_mutations_stay_off_get(backend: Backend) {
        let app = bundled(backend, ApiArgs::default()).await;
        let wrong = app
            .post_json("/graphql", &json!({ "query": DOCUMENT, "extensions": persisted(&"0".repeat(64)) }), &[])
            .await;
        assert_eq!(wrong.status.as_u16(), 400);
        assert_eq!(wrong.error_code(), "BAD_REQUEST");
        let version = json!({ "persistedQuery": { "version": 2, "sha256Hash": hash(DOCUMENT) } });
        let refused = app.post_json("/graphql", &json!({ "query": DOCUMENT, "extensions": version }), &[]).await;
        assert_eq!(refused.error_code(), "BAD_REQUEST");

        // A registered mutation is still a mutation: never over GET.
        let mutation = "mutation { logout }";
        app.post_json("/graphql", &json!({ "query": mutation, "extensions": persisted(&hash(mutation)) }), &[])
            .await;
        let over_get = app.get(&get_path(&hash(mutation))).await;
        assert_eq!(over_get.status.as_u16(), 405);
        assert_eq!(over_get.error_code(), "METHOD_NOT_ALLOWED");
    }

    async fn instances_sharing_redis_share_persisted_queries(backend: Backend) {
        let Some(redis) = TestRedis::new() else { return };
        let a = bundled(backend, redis.api(ApiArgs::default())).await;
        let b = a.instance(&redis.api(ApiArgs::default()));
        let hash = hash(DOCUMENT);
        a.post_json("/graphql", &json!({ "query": DOCUMENT, "extensions": persisted(&hash) }), &[])
            .await
            .data();
        let on_b = b.get(&get_path(&hash)).await;
        assert_eq!(on_b.data()["commitments"]["totalCount"], 24);
        assert!(redis.keys().iter().any(|k| k.contains(&format!("apq:{hash}"))));
    }
}
