//! What one request may cost, and the stable codes of the errors raised
//! before execution (parse, validation, depth, complexity).

use std::{sync::Arc, time::Duration};

use async_graphql::{
    Response, ServerError, ServerResult, ValidationResult, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextValidation,
    },
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

use crate::error::ErrorCode;

/// Bounds on one GraphQL request.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Deepest field nesting accepted (introspection excluded).
    pub max_depth: usize,
    /// Complexity budget: each field costs 1, list fields multiply by their
    /// page size.
    pub max_complexity: usize,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Longest a request may execute.
    pub execution_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_complexity: 20_000,
            max_body_bytes: 1024 * 1024,
            execution_timeout: Duration::from_secs(10),
        }
    }
}

pub fn with_code(mut error: ServerError, code: ErrorCode) -> ServerError {
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code.as_str());
    error
}

pub(super) struct LimitsExtension {
    max_depth: usize,
}

impl LimitsExtension {
    pub(super) fn new(max_depth: usize) -> Self {
        Self { max_depth }
    }
}

impl ExtensionFactory for LimitsExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsRun {
            max_depth: self.max_depth,
        })
    }
}

struct LimitsRun {
    max_depth: usize,
}

#[async_graphql::async_trait::async_trait]
impl Extension for LimitsRun {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next
            .run(ctx, query, variables)
            .await
            .map_err(|err| with_code(err, ErrorCode::GraphqlParseFailed))?;
        check_depth(&document, self.max_depth)?;
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        for error in response.errors.iter_mut().filter(|error| !has_code(error)) {
            code_execution_error(error);
        }
        response
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|mut errors| {
            errors.iter_mut().for_each(code_validation_error);
            errors
        })
    }
}

/// Admits a request for execution without the extension (the HTTP path):
/// its document parses, using the one already parsed when it was set, and
/// nests no deeper than `max_depth`. Otherwise, the error, with its code.
pub fn admit(request: &mut async_graphql::Request, max_depth: usize) -> Result<(), ServerError> {
    let document = request
        .parsed_query()
        .map_err(|err| with_code(err, ErrorCode::GraphqlParseFailed))?;
    check_depth(document, max_depth)
}

/// Gives their code to the errors a request executed without the extension
/// ended with: those without a path were raised before any field ran
/// (validation), the others by the executor.
pub fn code_errors(errors: &mut [ServerError]) {
    for error in errors.iter_mut().filter(|error| !has_code(error)) {
        if error.path.is_empty() {
            code_validation_error(error);
        } else {
            code_execution_error(error);
        }
    }
}

fn has_code(error: &ServerError) -> bool {
    error
        .extensions
        .as_ref()
        .is_some_and(|ext| ext.get("code").is_some())
}

fn check_depth(document: &ExecutableDocument, max_depth: usize) -> ServerResult<()> {
    // async-graphql's own depth limit counts introspection too, and
    // GraphiQL's schema query alone nests deeper than 12; this one skips
    // `__schema`/`__type` subtrees, which cost no database work.
    if document_depth(document, max_depth) <= max_depth {
        return Ok(());
    }
    Err(with_code(
        ServerError::new(
            format!("the query nests fields deeper than {max_depth} levels"),
            None,
        ),
        ErrorCode::QueryTooDeep,
    ))
}

fn code_validation_error(error: &mut ServerError) {
    // async-graphql reports its complexity limit with this exact message;
    // everything else here is a schema mismatch.
    if error.message == "Query is too complex." {
        *error = with_code(error.clone(), ErrorCode::QueryTooComplex);
        error.message =
            "the query asks for too much at once: request smaller pages or fewer nested lists"
                .to_owned();
    } else {
        *error = with_code(error.clone(), ErrorCode::GraphqlValidationFailed);
    }
}

/// Our resolvers always set a code; what arrives without one was raised by
/// the executor: a bad argument value, or a fault.
fn code_execution_error(error: &mut ServerError) {
    if error.message.starts_with("Failed to parse") || error.message.starts_with("Invalid value") {
        *error = with_code(error.clone(), ErrorCode::BadUserInput);
    } else {
        tracing::error!(message = %error.message, "unexpected execution error");
        *error = with_code(error.clone(), ErrorCode::Internal);
        error.message = "internal error".to_owned();
    }
}

/// Deepest nesting of any operation, following fragments; stops counting past
/// `limit`. Fragment cycles are cut here and reported by validation.
fn document_depth(document: &ExecutableDocument, limit: usize) -> usize {
    document
        .operations
        .iter()
        .map(|(_, operation)| {
            let mut walk = DepthWalk {
                document,
                limit,
                fragments_entered: Vec::new(),
            };
            walk.set_depth(&operation.node.selection_set.node, 0)
        })
        .max()
        .unwrap_or(0)
}

struct DepthWalk<'a> {
    document: &'a ExecutableDocument,
    limit: usize,
    fragments_entered: Vec<&'a str>,
}

impl<'a> DepthWalk<'a> {
    fn set_depth(&mut self, set: &'a SelectionSet, depth: usize) -> usize {
        if depth > self.limit {
            return depth;
        }
        let mut deepest = depth;
        for selection in &set.items {
            let reached = match &selection.node {
                Selection::Field(field) if field.node.name.node.starts_with("__") => depth,
                Selection::Field(field) => {
                    self.set_depth(&field.node.selection_set.node, depth + 1)
                }
                Selection::InlineFragment(fragment) => {
                    self.set_depth(&fragment.node.selection_set.node, depth)
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    match self.document.fragments.get(&spread.node.fragment_name.node) {
                        Some(fragment) if !self.fragments_entered.contains(&name) => {
                            self.fragments_entered.push(name);
                            let reached = self.set_depth(&fragment.node.selection_set.node, depth);
                            self.fragments_entered.pop();
                            reached
                        }
                        _ => depth,
                    }
                }
            };
            deepest = deepest.max(reached);
        }
        deepest
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{PathSegment, ServerError};

    use super::{code_errors, with_code};
    use crate::error::ErrorCode;

    fn code_of(error: &ServerError) -> Option<String> {
        let value = error.extensions.as_ref()?.get("code")?;
        match value {
            async_graphql::Value::String(code) => Some(code.clone()),
            _ => None,
        }
    }

    fn at_field(message: &str) -> ServerError {
        let mut error = ServerError::new(message, None);
        error.path = vec![PathSegment::Field("commitment".to_owned())];
        error
    }

    #[test]
    fn errors_without_a_code_get_the_one_of_their_phase() {
        let mut errors = vec![
            ServerError::new("Unknown field \"cod\" on type \"Commitment\".", None),
            ServerError::new("Query is too complex.", None),
            at_field("Failed to parse \"Int\": not a number"),
            at_field("something broke"),
            with_code(at_field("no such commitment"), ErrorCode::NotFound),
        ];
        code_errors(&mut errors);
        let codes: Vec<Option<String>> = errors.iter().map(code_of).collect();
        let expected = [
            ErrorCode::GraphqlValidationFailed,
            ErrorCode::QueryTooComplex,
            ErrorCode::BadUserInput,
            ErrorCode::Internal,
            ErrorCode::NotFound,
        ]
        .map(|code| Some(code.as_str().to_owned()));
        assert_eq!(codes, expected);
        // A fault's own message stays in the log, not in the answer.
        assert_eq!(errors[3].message, "internal error");
        assert_eq!(errors[4].message, "no such commitment");
    }
}
