//! `submitFeedback`: anonymous citizens comment, question, suggest or voice a
//! concern, and reply to one another up to three levels deep.

use chrono::{DateTime, Utc};
use entity::{action_plan, commitment, feedback, milestone};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait};

use super::Visitor;
use crate::{
    catalog::{
        rules,
        vocabulary::{FeedbackKind, FeedbackStatus, ModerationMode, Stance},
    },
    error::{AppError, AppResult},
    language::Language,
    ratelimit::{Limit, RateLimiter},
};

/// Deepest level of a reply: 0 is a comment, 2 a reply to a reply.
pub const MAX_DEPTH: i32 = 2;

/// Settings of submission.
#[derive(Clone, Debug)]
pub struct FeedbackRules {
    /// Longest body, in characters after trimming.
    pub max_body_chars: usize,
    /// Submissions one visitor (and one address) may make per minute.
    pub per_minute: Limit,
    /// … and per hour.
    pub per_hour: Limit,
    /// Distinct visitors whose reports hide an item pending review.
    pub report_threshold: u64,
}

impl FeedbackRules {
    /// The per-minute and per-hour limits of one public `action`, counted
    /// per visitor and per address: one shape for every public write.
    pub fn per_visitor_and_address(&self, action: &str, visitor: &Visitor) -> [(String, Limit); 4] {
        [
            (
                format!("{action}:visitor:minute:{}", visitor.key),
                self.per_minute,
            ),
            (
                format!("{action}:visitor:hour:{}", visitor.key),
                self.per_hour,
            ),
            (
                format!("{action}:address:minute:{}", visitor.address_key),
                self.per_minute,
            ),
            (
                format!("{action}:address:hour:{}", visitor.address_key),
                self.per_hour,
            ),
        ]
    }
}

/// What a citizen sends.
#[derive(Debug, Default)]
pub struct Submission {
    pub commitment_id: i64,
    pub milestone_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub kind: Option<FeedbackKind>,
    pub stance: Option<Stance>,
    pub body: String,
    pub author_name: Option<String>,
    pub author_email: Option<String>,
    pub notify_on_response: bool,
    pub language: Option<Language>,
    /// A field people never see and robots fill in.
    pub trap: Option<String>,
}

/// The outcome of a submission.
pub enum Submitted {
    Stored(Box<feedback::Model>),
    /// The trap was filled: answered like a success, kept nowhere.
    Discarded,
}

fn bad(field: &str, message: impl Into<String>) -> AppError {
    AppError::bad_input(field, message)
}

pub async fn submit(
    db: &DatabaseConnection,
    limiter: &RateLimiter,
    rules: &FeedbackRules,
    visitor: &Visitor,
    now: DateTime<Utc>,
    submission: Submission,
) -> AppResult<Submitted> {
    // Every attempt counts, valid or not, trapped or not: each alias of a
    // request passes here, so no request shape multiplies the allowance.
    limiter
        .hit(&rules.per_visitor_and_address("feedback", visitor))
        .await?;
    if submission
        .trap
        .as_deref()
        .is_some_and(|t| !t.trim().is_empty())
    {
        return Ok(Submitted::Discarded);
    }

    let body = submission.body.trim().to_owned();
    if body.is_empty() {
        return Err(bad("body", "must not be empty"));
    }
    if body.chars().count() > rules.max_body_chars {
        return Err(bad(
            "body",
            format!("at most {} characters", rules.max_body_chars),
        ));
    }
    let kind = submission.kind.unwrap_or(FeedbackKind::Comment);
    let author_name = submission
        .author_name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    if author_name
        .as_ref()
        .is_some_and(|n| n.chars().count() > 100)
    {
        return Err(bad("authorName", "at most 100 characters"));
    }
    let author_email = submission
        .author_email
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty());
    if let Some(email) = &author_email {
        // The message never repeats the address.
        rules::email(email).map_err(|message| bad("authorEmail", message))?;
    }
    if submission.notify_on_response && author_email.is_none() {
        return Err(bad("notifyOnResponse", "needs an authorEmail to write to"));
    }

    let Some(commitment) = commitment::Entity::find_by_id(submission.commitment_id)
        .one(db)
        .await?
    else {
        return Err(bad("commitmentId", "no such commitment"));
    };
    if let Some(milestone_id) = submission.milestone_id {
        let belongs = milestone::Entity::find_by_id(milestone_id)
            .one(db)
            .await?
            .is_some_and(|m| m.commitment_id == commitment.id);
        if !belongs {
            return Err(bad("milestoneId", "not a milestone of this commitment"));
        }
    }
    let depth = match submission.parent_id {
        None => 0,
        Some(parent_id) => {
            // A hidden, queued or missing comment all read as "no such
            // comment": its existence is not public.
            let parent = feedback::Entity::find_by_id(parent_id)
                .one(db)
                .await?
                .filter(|p| {
                    p.commitment_id == commitment.id
                        && p.status == FeedbackStatus::Published.as_str()
                })
                .ok_or_else(|| bad("parentId", "no such comment on this commitment"))?;
            if parent.depth >= MAX_DEPTH {
                return Err(bad("parentId", "replies nest at most three levels deep"));
            }
            parent.depth + 1
        }
    };
    let mode = action_plan::Entity::find_by_id(commitment.action_plan_id)
        .one(db)
        .await?
        .and_then(|plan| ModerationMode::parse(&plan.moderation_mode))
        .unwrap_or(ModerationMode::Post);
    let status = match mode {
        ModerationMode::Post => FeedbackStatus::Published,
        ModerationMode::Pre => FeedbackStatus::Queued,
    };
    let row = feedback::ActiveModel {
        commitment_id: Set(commitment.id),
        milestone_id: Set(submission.milestone_id),
        parent_id: Set(submission.parent_id),
        depth: Set(depth),
        kind: Set(kind.as_str().to_owned()),
        stance: Set(submission.stance.map(|s| s.as_str().to_owned())),
        body: Set(body),
        language: Set(submission.language.map(|l| l.as_str().to_owned())),
        author_name: Set(author_name),
        author_email: Set(author_email),
        notify_on_response: Set(submission.notify_on_response),
        status: Set(status.as_str().to_owned()),
        official: Set(false),
        responder_staff_id: Set(None),
        visitor_key: Set(Some(visitor.key.clone())),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(Submitted::Stored(Box::new(row)))
}
