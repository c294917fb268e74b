//! Documents uploaded as evidence: `POST /evidence/documents` stores one
//! (staff who post updates), `GET /evidence/documents/{id}/{name}` serves it
//! once an update's evidence refers to it. GraphQL carries no files: an
//! update names the uploaded document by the id the upload answered.

use std::sync::Arc;

use poem::{
    Body, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path},
};
use serde_json::json;

use super::{authenticate, json_response, refusal_response};
use crate::{
    accountability::documents::{self, UploadRefusal},
    app::AppState,
    error::{AppError, ErrorCode},
    graphql::{document_global_id, document_number},
};

/// Where a document can be downloaded.
pub fn download_url(base: &str, id: i64, file_name: &str) -> String {
    let name: String = url::form_urlencoded::byte_serialize(file_name.as_bytes())
        .collect::<String>()
        // A space is `%20` in a path (`+` only in query strings).
        .replace('+', "%20");
    format!(
        "{}/evidence/documents/{id}/{name}",
        base.trim_end_matches('/')
    )
}

/// `POST /evidence/documents?name=report.pdf`: the raw body is the file,
/// `Content-Type` its type. Answers 201 with the document's id.
#[handler]
pub async fn upload(request: &Request, body: Body, Data(state): Data<&Arc<AppState>>) -> Response {
    let actor = match authenticate(request, state).await {
        Ok(actor) => actor,
        Err(refused) => return refused,
    };
    let name = request
        .uri()
        .query()
        .and_then(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .find(|(key, _)| key == "name")
                .map(|(_, value)| value.into_owned())
        })
        .unwrap_or_default();
    let declared = request
        .header(header::CONTENT_TYPE)
        .unwrap_or_default()
        .to_owned();
    let limit = state.documents.max_bytes;
    let bytes = match body.into_bytes_limit(limit).await {
        Ok(bytes) => bytes,
        Err(poem::error::ReadBodyError::PayloadTooLarge) => {
            return refusal_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                &format!("a document may have at most {limit} bytes"),
            );
        }
        Err(_) => {
            return refusal_response(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                "the request body could not be read",
            );
        }
    };
    let stored = documents::upload(
        &state.db.conn,
        &state.documents,
        &actor,
        state.clock.now(),
        &name,
        &declared,
        &bytes,
    )
    .await;
    match stored {
        Ok(row) => json_response(
            StatusCode::CREATED,
            &json!({
                "id": document_global_id(row.id),
                "fileName": row.file_name,
                "contentType": row.content_type,
                "sizeBytes": row.size_bytes,
            }),
        ),
        Err(UploadRefusal::UnsupportedType(message)) => refusal_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            &message,
        ),
        Err(UploadRefusal::Refused(err)) => app_error_response(&err),
    }
}

fn app_error_response(err: &AppError) -> Response {
    let code = err.code();
    let status = match code {
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::BadUserInput => StatusCode::BAD_REQUEST,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %err, "cannot store an evidence document");
        return refusal_response(status, code, "the document could not be stored");
    }
    refusal_response(status, code, &err.to_string())
}

/// `GET /evidence/documents/{id}/{name}`: the document's bytes (the name is
/// for people and browsers; the id decides). `{id}` is the number or the
/// global id.
#[handler]
pub async fn download(Path(rest): Path<String>, Data(state): Data<&Arc<AppState>>) -> Response {
    let not_found = || {
        refusal_response(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "no such published document",
        )
    };
    let id = document_number(&rest).or_else(|| {
        rest.split('/')
            .next()
            .and_then(|first| document_number(first).or_else(|| first.parse().ok()))
    });
    let Some(id) = id else {
        return not_found();
    };
    let found = match documents::published(&state.db.conn, &state.documents, id).await {
        Ok(found) => found,
        Err(err) => return app_error_response(&err),
    };
    let Some((row, path)) = found else {
        return not_found();
    };
    let file = match tokio::fs::File::open(&path).await {
        Ok(file) => file,
        Err(err) => {
            tracing::error!(error = %err, document = row.id, "an evidence document is missing from the uploads folder");
            return not_found();
        }
    };
    // The plain name for old clients (ASCII only), the exact one per RFC 6266.
    let ascii: String = row
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let exact: String = url::form_urlencoded::byte_serialize(row.file_name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{exact}");
    Response::builder()
        .status(StatusCode::OK)
        .content_type(row.content_type.as_str())
        .header(header::CONTENT_LENGTH, row.size_bytes.to_string())
        .header(header::CONTENT_DISPOSITION, disposition)
        .header("x-content-type-options", "nosniff")
        .header(header::CACHE_CONTROL, "public, max-age=86400, immutable")
        .header(header::ETAG, format!("\"{}\"", row.sha256))
        .body(Body::from_async_read(file))
}
