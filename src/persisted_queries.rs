//! Automatic persisted queries (the Apollo APQ protocol): a client sends the
//! SHA-256 of its document instead of the document; the first time it is
//! unknown, the client sends both, and from then on the hash alone is
//! enough — which also turns queries into short GET URLs that caches keep.
//!
//! Resolved in the HTTP layer, before anything looks at the document (the
//! GET mutation check, the response cache key): the executor then sees an
//! ordinary request. Documents live in Redis (shared by every instance) or in
//! this process without it.

use std::{sync::Arc, time::Duration};

use sha2::{Digest, Sha256};

use crate::shared::SharedStore;

/// How long a document is kept after it was last registered.
const KEEP: Duration = Duration::from_secs(7 * 24 * 3600);

/// Why a persisted query cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The hash is not known (yet): the client should send the document.
    NotFound,
    /// The request is not a valid persisted query.
    Invalid(String),
}

enum Store {
    Local(moka::future::Cache<String, Arc<str>>),
    Shared(Arc<SharedStore>),
}

pub struct PersistedQueries {
    store: Store,
}

impl PersistedQueries {
    pub fn in_process() -> Self {
        Self {
            store: Store::Local(
                moka::future::Cache::builder()
                    .max_capacity(10_000)
                    .time_to_idle(KEEP)
                    .build(),
            ),
        }
    }

    pub fn shared(store: Arc<SharedStore>) -> Self {
        Self {
            store: Store::Shared(store),
        }
    }

    /// Fills in the document of a persisted-query request, registering it
    /// when the request brings it; other requests pass unchanged.
    pub async fn resolve(&self, request: &mut async_graphql::Request) -> Result<(), Refusal> {
        let Some(hash) = requested_hash(request)? else {
            return Ok(());
        };
        if request.query.is_empty() {
            request.query = self.load(&hash).await.ok_or(Refusal::NotFound)?;
            return Ok(());
        }
        if sha256_hex(&request.query) != hash {
            return Err(Refusal::Invalid(
                "the persistedQuery sha256Hash is not the SHA-256 of the query".to_owned(),
            ));
        }
        self.save(&hash, &request.query).await;
        Ok(())
    }

    async fn load(&self, hash: &str) -> Option<String> {
        match &self.store {
            Store::Local(cache) => cache.get(hash).await.map(|q| q.to_string()),
            Store::Shared(store) => {
                let outcome: Result<Option<String>, _> = redis::cmd("GET")
                    .arg(store.key(&format!("apq:{hash}")))
                    .query_async(&mut store.connection())
                    .await;
                store.observe(&outcome);
                // Redis down reads as unknown: the client then sends the document.
                outcome.ok().flatten()
            }
        }
    }

    async fn save(&self, hash: &str, query: &str) {
        match &self.store {
            Store::Local(cache) => cache.insert(hash.to_owned(), Arc::from(query)).await,
            Store::Shared(store) => {
                let outcome: Result<(), _> = redis::cmd("SET")
                    .arg(store.key(&format!("apq:{hash}")))
                    .arg(query)
                    .arg("EX")
                    .arg(KEEP.as_secs())
                    .query_async(&mut store.connection())
                    .await;
                store.observe(&outcome);
            }
        }
    }
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The hash a request names in `extensions.persistedQuery`, if any.
fn requested_hash(request: &async_graphql::Request) -> Result<Option<String>, Refusal> {
    use async_graphql::Value;
    let Some(persisted) = request.extensions.get("persistedQuery") else {
        return Ok(None);
    };
    let Value::Object(fields) = persisted else {
        return Err(Refusal::Invalid(
            "extensions.persistedQuery must be an object".to_owned(),
        ));
    };
    if fields.get("version") != Some(&Value::from(1)) {
        return Err(Refusal::Invalid(
            "only persistedQuery version 1 is supported".to_owned(),
        ));
    }
    match fields.get("sha256Hash") {
        Some(Value::String(hash))
            if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(Some(hash.to_ascii_lowercase()))
        }
        _ => Err(Refusal::Invalid(
            "persistedQuery.sha256Hash must be 64 hexadecimal digits".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str, hash: &str) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(query);
        let extensions =
            serde_json::json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
        request.extensions = serde_json::from_value(extensions).unwrap_or_default();
        request
    }

    #[tokio::test]
    async fn a_hash_is_unknown_until_registered_with_its_document() {
        let queries = PersistedQueries::in_process();
        let document = "{ commitments { totalCount } }";
        let hash = sha256_hex(document);
        assert_eq!(
            queries.resolve(&mut request("", &hash)).await,
            Err(Refusal::NotFound)
        );
        assert_eq!(queries.resolve(&mut request(document, &hash)).await, Ok(()));
        let mut by_hash = request("", &hash);
        assert_eq!(queries.resolve(&mut by_hash).await, Ok(()));
        assert_eq!(by_hash.query, document);
        let wrong = "0".repeat(64);
        assert!(matches!(
            queries.resolve(&mut request(document, &wrong)).await,
            Err(Refusal::Invalid(_))
        ));
    }
}
