//! Parsed GraphQL documents, kept by their text.
//!
//! Clients send the same few documents over and over. Parsing one (a PEG
//! parser, character by character) cost a twentieth of a small uncached
//! response's CPU, and it ran twice: once to tell a mutation from a query,
//! once to execute. A parsed document is kept here and handed to execution
//! as a copy, which is several times cheaper than parsing it again.

use std::sync::Arc;

use async_graphql::parser::{
    Error as ParseError, parse_query,
    types::{ExecutableDocument, OperationType},
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

impl Default for ParsedDocuments {
    fn default() -> Self {
        Self {
            parsed: Cache::builder()
                .max_capacity(CAPACITY_BYTES)
                .weigher(|text: &Arc<str>, _| u32::try_from(text.len()).unwrap_or(u32::MAX))
                .build(),
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
}
