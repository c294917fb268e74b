//! Response notices: a citizen who left an address and asked to be told
//! gets one short email when an official response to their comment is
//! posted — written to the outbox in the response's own transaction.

use chrono::{DateTime, Utc};
use entity::{commitment, commitment_translation, feedback};
use minijinja::{AutoEscape, context};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{
    address_hash,
    outbox::{self, NewMail},
    render,
    tokens::{self, Purpose},
};
use crate::error::AppResult;

const TEXT: &str = include_str!("templates/response_notice.txt");
const HTML: &str = include_str!("templates/response_notice.html");

/// Writes the notice of `response` (to `parent`) when its author asked for
/// one; `public_url` is the base of the link back.
pub async fn response_notice<C: ConnectionTrait>(
    db: &C,
    parent: &feedback::Model,
    response: &feedback::Model,
    responder: &str,
    public_url: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(recipient) = parent
        .author_email
        .clone()
        .filter(|_| parent.notify_on_response && !parent.official)
    else {
        return Ok(());
    };
    let Some(commitment) = commitment::Entity::find_by_id(parent.commitment_id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let translations = commitment_translation::Entity::find()
        .filter(commitment_translation::Column::CommitmentId.eq(commitment.id))
        .all(db)
        .await?;
    // The citizen's language when they gave one, else English, else any.
    let title = [parent.language.as_deref(), Some("en")]
        .into_iter()
        .flatten()
        .find_map(|language| translations.iter().find(|t| t.language == language))
        .or_else(|| translations.first())
        .map(|t| t.title.clone())
        .unwrap_or_default();
    let link = format!(
        "{}/commitments/{}#feedback-{}",
        public_url.trim_end_matches('/'),
        commitment.code,
        parent.id
    );
    let token = tokens::issue(
        db,
        Purpose::UnsubscribeNotices,
        &address_hash(&recipient),
        None,
        now,
    )
    .await?;
    let unsubscribe = tokens::link(public_url, "/unsubscribe", &token);
    let values = context! {
        name => parent.author_name,
        kind => parent.kind.replace('_', " "),
        code => commitment.code,
        title => title,
        response => response.body,
        responder => responder,
        link => link,
        unsubscribe => unsubscribe,
    };
    let mail = NewMail {
        dedupe_key: format!("response-notice:{}", response.id),
        recipient,
        subject: format!(
            "Official response to your {} on {}",
            parent.kind.replace('_', " "),
            commitment.code
        ),
        text_body: render(
            "response_notice.txt",
            TEXT,
            AutoEscape::None,
            values.clone(),
        )?,
        html_body: render("response_notice.html", HTML, AutoEscape::Html, values)?,
        list_unsubscribe: Some(unsubscribe),
    };
    outbox::enqueue(db, mail, now).await
}
