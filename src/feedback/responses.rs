//! Official responses: the focal points of a commitment (or an admin) answer
//! citizens' feedback in their official capacity.

use chrono::{DateTime, Utc};
use entity::feedback;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, TransactionTrait,
};
use serde_json::json;

use super::submit::MAX_DEPTH;
use crate::{
    catalog::vocabulary::{FeedbackKind, FeedbackStatus, ResponseDecision},
    editing::audit_write,
    error::{AppError, AppResult},
    mail::notices,
    staff::Actor,
};

/// Longest official response, in characters.
pub const MAX_RESPONSE_CHARS: usize = 5000;

/// What an official response says: its text, and what was decided on the
/// citizen's input and why (OGP's "reasoned response").
#[derive(Clone, Debug)]
pub struct Response {
    pub body: String,
    pub decision: ResponseDecision,
    /// Required unless the decision is still under consideration.
    pub rationale: Option<String>,
}

/// Posts an official response; the citizen who asked to be told gets an
/// email (written to the outbox with the response, linking to `public_url`).
pub async fn respond(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    feedback_id: i64,
    response: Response,
    public_url: &str,
) -> AppResult<feedback::Model> {
    actor.staff()?;
    let txn = db.begin().await?;
    let parent = feedback::Entity::find_by_id(feedback_id)
        .one(&txn)
        .await?
        .filter(|row| row.status == FeedbackStatus::Published.as_str())
        .ok_or_else(|| AppError::bad_input("feedbackId", "no such published feedback"))?;
    let by = actor
        .commitment_editor(
            &txn,
            parent.commitment_id,
            "respond officially on this commitment",
        )
        .await?;
    let body = response.body.trim().to_owned();
    crate::catalog::rules::text(&body, MAX_RESPONSE_CHARS)
        .map_err(|message| AppError::bad_input("body", message))?;
    let rationale = response
        .rationale
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty());
    match &rationale {
        Some(text) => crate::catalog::rules::text(text, MAX_RESPONSE_CHARS)
            .map_err(|message| AppError::bad_input("rationale", message))?,
        None if response.decision != ResponseDecision::UnderConsideration => {
            return Err(AppError::bad_input(
                "rationale",
                "say why: a decision other than under consideration needs a rationale",
            ));
        }
        None => {}
    }
    if parent.depth >= MAX_DEPTH {
        return Err(AppError::bad_input(
            "feedbackId",
            "replies nest at most three levels deep: respond to the comment above",
        ));
    }
    let row = feedback::ActiveModel {
        commitment_id: Set(parent.commitment_id),
        milestone_id: Set(parent.milestone_id),
        parent_id: Set(Some(parent.id)),
        depth: Set(parent.depth + 1),
        kind: Set(FeedbackKind::Comment.as_str().to_owned()),
        stance: Set(None),
        body: Set(body),
        language: Set(None),
        author_name: Set(Some(by.name.clone())),
        author_email: Set(None),
        notify_on_response: Set(false),
        status: Set(FeedbackStatus::Published.as_str().to_owned()),
        official: Set(true),
        responder_staff_id: Set(Some(by.staff_id)),
        visitor_key: Set(None),
        created_at: Set(now),
        response_decision: Set(Some(response.decision.as_str().to_owned())),
        response_rationale: Set(rationale),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    // The citizen's own fields (their email above all) stay out of the log.
    let after = json!({
        "id": row.id,
        "parentId": parent.id,
        "commitmentId": row.commitment_id,
        "body": row.body,
        "official": true,
        "decision": row.response_decision,
        "rationale": row.response_rationale,
    });
    audit_write(&txn, by, ("feedback", row.id), None, after, now).await?;
    notices::response_notice(&txn, &parent, &row, &by.name, public_url, now).await?;
    txn.commit().await?;
    Ok(row)
}
