//! Parsed GraphQL documents, kept by their text.
//!
//! Clients send the same few documents over and over. Parsing one (a PEG
//! parser, character by character) cost a twentieth of a small uncached
//! response's CPU, and it ran twice: once to tell a mutation from a query,
//! once to execute. A parsed document is kept here and handed to execution
//! as a copy, which is several times cheaper than parsing it again.
//!
//! Validating a request against the schema (two dozen rules walking the
//! whole document) cost a seventh of a nested commitment's CPU, the same
//! work for the same request every time. Requests seen to pass are kept too
//! (see [`ValidatedRequests`]).

use std::sync::Arc;

use async_graphql::{
    ServerError,
    parser::{
        Error as ParseError, parse_query,
        types::{ExecutableDocument, OperationType},
    },
};
use moka::sync::Cache;

/// Most document text kept, in bytes (the parsed trees take several times
/// more); unique documents sent by a misbehaving client push out the oldest.
const CAPACITY_BYTES: u64 = 4 * 1024 * 1024;

/// Documents parsed before, shared by every request of the instance.
#[derive(Clone)]
pub struct ParsedDocuments {
    parsed: Cache<Arc<str>, Arc<ExecutableDocument>>,
}

/// A cache keyed by text, holding at most [`CAPACITY_BYTES`] of keys.
fn weighed_by_text<V: Clone + Send + Sync + 'static>() -> Cache<Arc<str>, V> {
    Cache::builder()
        .max_capacity(CAPACITY_BYTES)
        .weigher(|text: &Arc<str>, _| u32::try_from(text.len()).unwrap_or(u32::MAX))
        .build()
}

impl Default for ParsedDocuments {
    fn default() -> Self {
        Self {
            parsed: weighed_by_text(),
        }
    }
}

impl ParsedDocuments {
    /// The parsed `query`, from the cache when it was seen before. Documents
    /// that do not parse are not kept: execution reports their error.
    pub fn parse(&self, query: &str) -> Result<Arc<ExecutableDocument>, ParseError> {
        if let Some(document) = self.parsed.get(query) {
            return Ok(document);
        }
        let document = Arc::new(parse_query(query)?);
        self.parsed.insert(Arc::from(query), Arc::clone(&document));
        Ok(document)
    }
}

/// Requests seen to pass validation: their document, operation name and
/// variables, exactly. Whether a request passes depends on these alone (the
/// schema does not change while the instance runs), so a request kept here
/// runs on a schema that only measures its depth and complexity for the
/// limits (`Schemas::http_validated`). Any other request, the same document
/// with other variables included, is validated in full: the rules check
/// variables' values too.
#[derive(Clone)]
pub struct ValidatedRequests {
    passed: Cache<Arc<str>, ()>,
}

impl Default for ValidatedRequests {
    fn default() -> Self {
        Self {
            passed: weighed_by_text(),
        }
    }
}

/// A request as validation sees it, the key of [`ValidatedRequests`].
pub struct RequestKey(Option<Arc<str>>);

impl ValidatedRequests {
    /// The key of `request`: its document, operation name and variables as
    /// one JSON array, which no two different requests share. Writes have
    /// none and are always validated in full: their variables differ each
    /// time, and carry what citizens wrote (their email addresses), which
    /// nothing should hold longer than the request.
    pub fn key(request: &mut async_graphql::Request) -> RequestKey {
        let name = request.operation_name.clone();
        let writes = request
            .parsed_query()
            .map_or(true, |document| selects_mutation(document, name.as_deref()));
        if writes {
            return RequestKey(None);
        }
        let parts = (&request.query, &name, &request.variables);
        RequestKey(serde_json::to_string(&parts).ok().map(Arc::from))
    }

    /// Whether the request of `key` passed validation before.
    pub fn passed(&self, key: &RequestKey) -> bool {
        key.0
            .as_ref()
            .is_some_and(|key| self.passed.contains_key(key))
    }

    /// Keeps the request of `key` once it ran with `errors`, validated in
    /// full: it passed when none of them was raised before any field ran
    /// (validation's errors have no path; the executor's all have one).
    pub fn note(&self, key: RequestKey, errors: &[ServerError]) {
        let passed = errors.iter().all(|error| !error.path.is_empty());
        if let (true, Some(key)) = (passed, key.0) {
            self.passed.insert(key, ());
        }
    }
}

/// Whether the operation `operation_name` picks (or the first) writes:
/// a mutation or a subscription.
pub fn selects_mutation(document: &ExecutableDocument, operation_name: Option<&str>) -> bool {
    let mut operations = document.operations.iter();
    let selected = match operation_name {
        Some(name) => operations.find(|(op_name, _)| op_name.is_some_and(|n| n.as_str() == name)),
        None => operations.next(),
    };
    selected.is_some_and(|(_, operation)| operation.node.ty != OperationType::Query)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mutation(text: &str, name: Option<&str>) -> bool {
        let documents = ParsedDocuments::default();
        selects_mutation(&documents.parse(text).expect("parses"), name)
    }

    #[test]
    fn the_named_operation_decides() {
        let document = "query A { x } mutation B { y }";
        assert!(!mutation(document, Some("A")));
        assert!(mutation(document, Some("B")));
        assert!(mutation("mutation { x }", None));
        assert!(!mutation("{ x }", None));
    }

    #[test]
    fn a_document_is_parsed_once_and_errors_are_not_kept() {
        let documents = ParsedDocuments::default();
        let first = documents.parse("{ a }").expect("parses");
        let second = documents.parse("{ a }").expect("parses");
        assert!(Arc::ptr_eq(&first, &second));
        assert!(documents.parse("{ a").is_err());
        documents.parsed.run_pending_tasks();
        assert_eq!(documents.parsed.entry_count(), 1);
    }

    fn request(query: &str, variables: serde_json::Value) -> async_graphql::Request {
        async_graphql::Request::new(query).variables(async_graphql::Variables::from_json(variables))
    }

    #[test]
    fn a_request_is_known_only_with_the_same_variables_once_it_passed() {
        let validated = ValidatedRequests::default();
        let query = "query Q($code: String!) { commitment(code: $code) { code } }";
        let mut first = request(query, serde_json::json!({ "code": "MO0018" }));
        assert!(!validated.passed(&ValidatedRequests::key(&mut first)));
        validated.note(ValidatedRequests::key(&mut first), &[]);
        assert!(validated.passed(&ValidatedRequests::key(&mut first)));

        let mut other_values = request(query, serde_json::json!({ "code": 18 }));
        assert!(!validated.passed(&ValidatedRequests::key(&mut other_values)));
        let mut named = request(query, serde_json::json!({ "code": "MO0018" })).operation_name("Q");
        assert!(!validated.passed(&ValidatedRequests::key(&mut named)));
    }

    #[test]
    fn writes_are_never_kept() {
        let validated = ValidatedRequests::default();
        let mut write = request(
            "mutation { submitFeedback(input: {}) { status } }",
            serde_json::json!({}),
        );
        validated.note(ValidatedRequests::key(&mut write), &[]);
        assert!(!validated.passed(&ValidatedRequests::key(&mut write)));
    }

    #[test]
    fn a_request_refused_before_execution_is_not_kept() {
        let validated = ValidatedRequests::default();
        let mut refused = request("{ nope }", serde_json::json!({}));
        validated.note(
            ValidatedRequests::key(&mut refused),
            &[ServerError::new("Unknown field \"nope\"", None)],
        );
        assert!(!validated.passed(&ValidatedRequests::key(&mut refused)));

        // A field's error (it has a path) says nothing against validation.
        let mut failed_field = ServerError::new("not found", None);
        failed_field.path = vec![async_graphql::PathSegment::Field("commitment".to_owned())];
        validated.note(ValidatedRequests::key(&mut refused), &[failed_field]);
        assert!(validated.passed(&ValidatedRequests::key(&mut refused)));
    }
}
