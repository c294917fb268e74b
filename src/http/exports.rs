//! `GET /export/{action-plan}/{dataset}.{csv|json}`: an action plan's open
//! data, streamed, with `ETag` and `Last-Modified` so that mirrors and
//! harvesters download a file again only when it changed.

use std::sync::Arc;

use poem::{
    Body, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path},
};

use super::refusal_response;
use crate::{
    app::AppState,
    catalog::lookups,
    error::ErrorCode,
    exports::{self, Dataset, Export, Format},
    language::LanguagePreference,
};

/// `Last-Modified` and `If-Modified-Since` are HTTP dates.
const HTTP_DATE: &str = "%a, %d %b %Y %H:%M:%S GMT";

#[handler]
pub async fn export(
    request: &Request,
    Path((plan_key, file)): Path<(String, String)>,
    Data(state): Data<&Arc<AppState>>,
) -> Response {
    let not_found =
        |message: &str| refusal_response(StatusCode::NOT_FOUND, ErrorCode::NotFound, message);
    let Some((name, extension)) = file.rsplit_once('.') else {
        return not_found("ask for {dataset}.csv or {dataset}.json");
    };
    let (Some(dataset), Some(format)) = (Dataset::parse(name), Format::parse(extension)) else {
        let names: Vec<&str> = Dataset::ALL.iter().map(|d| d.name()).collect();
        return not_found(&format!(
            "no such export: the datasets are {} as .csv or .json",
            names.join(", ")
        ));
    };
    let plan = match lookups::action_plan_by_key(&state.db.conn, &plan_key).await {
        Ok(Some(plan)) => plan,
        Ok(None) => return not_found("no such action plan"),
        Err(err) => {
            tracing::error!(error = %err, "cannot read an action plan for an export");
            return refusal_response(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Internal,
                "the export cannot be read right now",
            );
        }
    };
    let lang = request.uri().query().and_then(|query| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == "lang")
            .map(|(_, value)| value.into_owned())
    });
    let language = LanguagePreference::negotiate(
        lang.as_deref(),
        request.header(header::ACCEPT_LANGUAGE),
        &state.default_language,
    );
    let export = Export {
        plan,
        dataset,
        format,
        language,
        public_url: state.public_url.clone(),
        now: state.clock.now(),
    };
    let fingerprint = match exports::fingerprint(&state.db.conn, &export).await {
        Ok(fingerprint) => fingerprint,
        Err(err) => {
            tracing::error!(error = %err, "cannot fingerprint an export");
            return refusal_response(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Internal,
                "the export cannot be read right now",
            );
        }
    };
    let last_modified = fingerprint
        .last_modified
        .map(|at| at.format(HTTP_DATE).to_string());
    let not_modified = match request.header(header::IF_NONE_MATCH) {
        Some(tags) => tags
            .split(',')
            .map(|tag| tag.trim().trim_start_matches("W/"))
            .any(|tag| tag == fingerprint.etag || tag == "*"),
        None => match (
            request.header(header::IF_MODIFIED_SINCE),
            fingerprint.last_modified,
        ) {
            (Some(since), Some(changed)) => chrono::NaiveDateTime::parse_from_str(since, HTTP_DATE)
                .is_ok_and(|since| changed.naive_utc() <= since),
            _ => false,
        },
    };
    let mut response = Response::builder()
        .header(header::ETAG, fingerprint.etag.as_str())
        .header(header::CACHE_CONTROL, "public, no-cache")
        .header(header::VARY, "Accept-Language");
    if let Some(date) = &last_modified {
        response = response.header(header::LAST_MODIFIED, date.as_str());
    }
    if not_modified {
        return response.status(StatusCode::NOT_MODIFIED).finish();
    }
    let file_name = format!(
        "{}-{}.{}",
        export.plan.key,
        dataset.name(),
        format.extension()
    );
    let chunks = exports::start(state.db.conn.clone(), export);
    response
        .status(StatusCode::OK)
        .content_type(format.content_type())
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        )
        .body(Body::from_bytes_stream(futures_util::stream::unfold(
            chunks,
            |mut chunks| async move { chunks.recv().await.map(|chunk| (chunk, chunks)) },
        )))
}
