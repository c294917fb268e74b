//! The one error type of the service, and the stable codes clients see.
//!
//! Clients act on `extensions.code`, never on messages; internal causes (a
//! database error, a broken invariant) are logged with an incident id and the
//! client gets that id, not the cause.

use async_graphql::ErrorExtensions;

/// Stable, client-facing error codes (`extensions.code`). Once published a code
/// keeps its meaning; new situations get new codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// An argument or input field is invalid; `extensions.field` names it.
    BadUserInput,
    /// The thing asked for does not exist (or the caller may not know it does).
    NotFound,
    /// The operation needs staff credentials and the request has none.
    Unauthenticated,
    /// The credentials are valid but do not allow this operation.
    Forbidden,
    /// Too many attempts; `extensions.retryAfterSeconds` says when to retry.
    RateLimited,
    /// The document could not be parsed.
    GraphqlParseFailed,
    /// The document does not fit the schema.
    GraphqlValidationFailed,
    /// The document nests fields deeper than allowed.
    QueryTooDeep,
    /// The document would cost more than the complexity budget.
    QueryTooComplex,
    /// Execution took longer than allowed.
    Timeout,
    /// The request body is larger than allowed.
    PayloadTooLarge,
    /// The HTTP request is not a valid GraphQL-over-HTTP request.
    BadRequest,
    /// An uploaded file's type is not accepted, or its bytes are not of the
    /// type it was declared as.
    UnsupportedMediaType,
    /// Several operations in one HTTP request (batching) are not accepted.
    BatchNotSupported,
    /// The HTTP method cannot be used for this request (e.g. a mutation over GET).
    MethodNotAllowed,
    /// An automatic persisted query names a hash not known (yet): send the
    /// document with it.
    PersistedQueryNotFound,
    /// Something failed on our side; `extensions.incident` identifies it in the logs.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::NotFound => "NOT_FOUND",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::RateLimited => "RATE_LIMITED",
            Self::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            Self::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Self::QueryTooDeep => "QUERY_TOO_DEEP",
            Self::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Self::Timeout => "TIMEOUT",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::BadRequest => "BAD_REQUEST",
            Self::BatchNotSupported => "BATCH_NOT_SUPPORTED",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::Internal => "INTERNAL",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    BadUserInput {
        /// The argument or input field at fault, e.g. `first` or `filter.actionPlanId`.
        field: String,
        message: String,
    },
    /// Rows of a bulk input that are wrong, each with its field; nothing of
    /// the batch was written.
    #[error("{} row(s) are invalid; nothing was recorded", .0.len())]
    InvalidRows(Vec<RowProblem>),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("too many attempts: try again in {retry_after_seconds} s")]
    RateLimited { retry_after_seconds: u64 },
    #[error("database error")]
    Database(#[from] sea_orm::DbErr),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

/// One wrong field of one row of a bulk input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    /// 0-based position of the row in the input.
    pub row: usize,
    /// The field of the row, e.g. `value`.
    pub field: String,
    pub message: String,
}

impl RowProblem {
    /// Where the problem is in a GraphQL list argument named `input`.
    pub fn path(&self) -> String {
        format!("input[{}].{}", self.row, self.field)
    }
}

impl AppError {
    /// The request has no staff credentials.
    pub fn unauthenticated() -> Self {
        Self::Unauthenticated("sign in: this needs staff credentials".to_owned())
    }

    /// The signed-in staff member may not do this.
    pub fn forbidden(what: &str) -> Self {
        Self::Forbidden(format!("your role does not allow you to {what}"))
    }

    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadUserInput { .. } | Self::InvalidRows(_) => ErrorCode::BadUserInput,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Database(_) | Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

/// Builds a GraphQL error carrying a stable code.
pub fn graphql_error(code: ErrorCode, message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", code.as_str()))
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            Self::BadUserInput { field, message } => {
                let field = field.clone();
                graphql_error(ErrorCode::BadUserInput, format!("{field}: {message}"))
                    .extend_with(|_, ext| ext.set("field", field))
            }
            Self::InvalidRows(problems) => {
                let listed: Vec<async_graphql::Value> = problems
                    .iter()
                    .map(|p| {
                        let mut entry = async_graphql::indexmap::IndexMap::new();
                        entry.insert(async_graphql::Name::new("row"), (p.row + 1).into());
                        entry.insert(async_graphql::Name::new("field"), p.path().into());
                        entry.insert(
                            async_graphql::Name::new("message"),
                            p.message.clone().into(),
                        );
                        async_graphql::Value::Object(entry)
                    })
                    .collect();
                let first = problems.first().map(RowProblem::path).unwrap_or_default();
                let summary = problems
                    .iter()
                    .map(|p| format!("{}: {}", p.path(), p.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                graphql_error(
                    ErrorCode::BadUserInput,
                    format!("{summary} (nothing was recorded)"),
                )
                .extend_with(move |_, ext| {
                    ext.set("field", first.clone());
                    ext.set("problems", async_graphql::Value::List(listed.clone()));
                })
            }
            Self::NotFound(_) | Self::Unauthenticated(_) | Self::Forbidden(_) => {
                graphql_error(self.code(), self.to_string())
            }
            Self::RateLimited {
                retry_after_seconds,
            } => {
                let seconds = *retry_after_seconds;
                graphql_error(ErrorCode::RateLimited, self.to_string())
                    .extend_with(|_, ext| ext.set("retryAfterSeconds", seconds))
            }
            Self::Database(_) | Self::Internal(_) => {
                let incident = incident_id();
                // The cause stays in our logs; the client gets only the incident id.
                tracing::error!(incident, error = %DisplayCause(self), "request failed");
                graphql_error(
                    ErrorCode::Internal,
                    format!("internal error (incident {incident})"),
                )
                .extend_with(|_, ext| ext.set("incident", incident))
            }
        }
    }
}

/// Renders the whole cause chain for the log.
struct DisplayCause<'a>(&'a AppError);

impl std::fmt::Display for DisplayCause<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            AppError::Database(err) => write!(f, "database error: {err}"),
            other => write!(f, "{other}"),
        }
    }
}

/// A short id to find one failure in the logs; unique enough for that purpose.
fn incident_id() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{:08x}{:04x}",
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed) & 0xffff
    )
}
