//! The pages behind the links in emails: confirming a digest subscription
//! (`/digest/confirm`) and unsubscribing (`/unsubscribe`, RFC 8058
//! one-click). A GET only shows a page with a button — link scanners and
//! previews follow GETs, and must not act for the recipient; the POST acts,
//! needs no login, answers 200 without redirecting, and may be repeated.

use std::sync::Arc;

use poem::{
    Body, Request, Response, handler,
    http::{StatusCode, header},
    web::Data,
};

use crate::{
    app::AppState,
    digests::subscriptions::{self, LinkOutcome},
    error::AppError,
    mail::tokens::Purpose,
};

/// Form bodies larger than this are not read (a token is 32 characters).
const MAX_FORM_BYTES: usize = 4096;

/// `GET /digest/confirm?token=…`: asks to confirm.
#[handler]
pub async fn confirm_page(request: &Request, Data(state): Data<&Arc<AppState>>) -> Response {
    let Some(token) = query_token(request) else {
        return missing_token();
    };
    match subscriptions::check_token(&state.db.conn, &token, state.clock.now()).await {
        Ok(Some(Purpose::ConfirmDigest(_))) => page(
            StatusCode::OK,
            "Confirm your digest subscription",
            &format!(
                "<p>Confirm that you want to receive email digests of what citizens say about the commitments you are responsible for.</p>\
                 <form method=\"post\" action=\"/digest/confirm\">\
                 <input type=\"hidden\" name=\"token\" value=\"{token}\">\
                 <button type=\"submit\">Confirm the subscription</button></form>"
            ),
        ),
        Ok(_) => unknown_link(),
        Err(err) => failure(&err),
    }
}

/// `POST /digest/confirm` (form field or query `token`): confirms.
#[handler]
pub async fn confirm(request: &Request, body: Body, Data(state): Data<&Arc<AppState>>) -> Response {
    let Some(token) = posted_token(request, body).await else {
        return missing_token();
    };
    match subscriptions::confirm(&state.db.conn, &token, state.clock.now()).await {
        Ok(LinkOutcome::Confirmed | LinkOutcome::AlreadyConfirmed) => page(
            StatusCode::OK,
            "Subscription confirmed",
            "<p>Thank you: your digests will arrive at the hour you chose. Each one has a link to stop them.</p>",
        ),
        Ok(_) => page(
            StatusCode::OK,
            "Subscription ended",
            "<p>This subscription was ended since the link was sent. Ask for digests again to receive them.</p>",
        ),
        Err(AppError::NotFound(_)) => unknown_link(),
        Err(err) => failure(&err),
    }
}

/// `GET /unsubscribe?token=…`: asks to confirm.
#[handler]
pub async fn unsubscribe_page(request: &Request, Data(state): Data<&Arc<AppState>>) -> Response {
    let Some(token) = query_token(request) else {
        return missing_token();
    };
    let what = match subscriptions::check_token(&state.db.conn, &token, state.clock.now()).await {
        Ok(Some(Purpose::UnsubscribeDigest(_))) => "these digests",
        Ok(Some(Purpose::UnsubscribeNotices)) => "emails from ogp-pulse",
        Ok(_) => return unknown_link(),
        Err(err) => return failure(&err),
    };
    page(
        StatusCode::OK,
        "Unsubscribe",
        &format!(
            "<p>Stop receiving {what}?</p>\
             <form method=\"post\" action=\"/unsubscribe\">\
             <input type=\"hidden\" name=\"token\" value=\"{token}\">\
             <button type=\"submit\">Unsubscribe</button></form>"
        ),
    )
}

/// `POST /unsubscribe?token=…` (body `List-Unsubscribe=One-Click`), or the
/// form of the page above.
#[handler]
pub async fn unsubscribe(
    request: &Request,
    body: Body,
    Data(state): Data<&Arc<AppState>>,
) -> Response {
    let Some(token) = posted_token(request, body).await else {
        return missing_token();
    };
    match subscriptions::unsubscribe(&state.db.conn, &token, state.clock.now()).await {
        Ok(_) => page(
            StatusCode::OK,
            "Unsubscribed",
            "<p>You are unsubscribed: no more of these emails will be sent to you.</p>",
        ),
        Err(AppError::NotFound(_)) => unknown_link(),
        Err(err) => failure(&err),
    }
}

/// A token as links carry it: URL-safe base64, nothing else (so it can be
/// written into a page as is).
fn well_formed(token: &str) -> Option<String> {
    let token = token.trim();
    (!token.is_empty()
        && token.len() <= 128
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then(|| token.to_owned())
}

fn token_in(pairs: &[(String, String)]) -> Option<String> {
    pairs
        .iter()
        .find(|(name, _)| name == "token")
        .and_then(|(_, value)| well_formed(value))
}

fn query_token(request: &Request) -> Option<String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(request.uri().query().unwrap_or_default()).unwrap_or_default();
    token_in(&pairs)
}

/// The token of a POST: from the URL (one-click, RFC 8058) or the form.
async fn posted_token(request: &Request, body: Body) -> Option<String> {
    if let Some(token) = query_token(request) {
        return Some(token);
    }
    let bytes = body.into_bytes_limit(MAX_FORM_BYTES).await.ok()?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    token_in(&pairs)
}

fn missing_token() -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Link incomplete",
        "<p>This link lacks its token: copy the whole link from the email.</p>",
    )
}

fn unknown_link() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Link not valid",
        "<p>This link is not valid or has expired.</p>",
    )
}

fn failure(err: &AppError) -> Response {
    tracing::error!(error = %err, "email link failed");
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Try again later",
        "<p>Something went wrong on our side; nothing was changed. Please try again in a few minutes.</p>",
    )
}

/// A small page; `body` is trusted markup built above.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        // The URL holds a token: keep it out of caches and referrers.
        .header(header::CACHE_CONTROL, "no-store")
        .header("Referrer-Policy", "no-referrer")
        .body(format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\">\
             <title>{title} · ogp-pulse</title></head>\
             <body style=\"font-family: sans-serif; max-width: 36em; margin: 2em auto;\">\
             <h1>{title}</h1>{body}</body></html>"
        ))
}
