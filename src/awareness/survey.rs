//! The awareness pulse: "Did you know about this?" and "Where did you hear
//! of it?", about a commitment or an action plan. One answer per visitor,
//! subject and day; a later answer replaces the earlier one. Nothing that
//! identifies a person is stored: the respondent key is a hash of the
//! (already salted) visitor key with the subject and the day, so it links no
//! two days and no two subjects.

use chrono::{DateTime, NaiveDate, Utc};
use entity::awareness_answer;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    sea_query::OnConflict,
};
use sha2::{Digest, Sha256};

use super::Subject;
use crate::{
    campaigns::{activities::MAX_REGION_CHARS, writing::optional_text},
    catalog::vocabulary::Channel,
    error::{AppError, AppResult},
    feedback::{Visitor, submit::FeedbackRules},
    ratelimit::RateLimiter,
};

/// A citizen's answer.
#[derive(Clone, Debug)]
pub struct Answer {
    /// A commitment or an action plan.
    pub subject: Subject,
    pub aware: bool,
    /// Where they heard of it; only when aware.
    pub channel: Option<Channel>,
    pub region: Option<String>,
}

fn respondent_key(visitor: &Visitor, subject: Subject, day: NaiveDate) -> String {
    let mut hasher = Sha256::new();
    hasher.update(visitor.key.as_bytes());
    hasher.update(format!("|{subject:?}|{day}").as_bytes());
    hasher.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Records an answer; true when it replaced the visitor's earlier answer of
/// the day on the same subject. Limited like feedback, on its own counters.
pub async fn record(
    db: &DatabaseConnection,
    limiter: &RateLimiter,
    rules: &FeedbackRules,
    visitor: &Visitor,
    now: DateTime<Utc>,
    answer: Answer,
) -> AppResult<bool> {
    limiter
        .hit(&rules.per_visitor_and_address("awareness", visitor))
        .await?;
    let (field, commitment_id, action_plan_id) = match answer.subject {
        Subject::Commitment(id) => ("commitmentId", Some(id), None),
        Subject::ActionPlan(id) => ("actionPlanId", None, Some(id)),
        Subject::Campaign(_) => {
            return Err(AppError::bad_input(
                "commitmentId",
                "answers are about a commitment or an action plan",
            ));
        }
    };
    if answer.channel.is_some() && !answer.aware {
        return Err(AppError::bad_input(
            "channel",
            "only for people who knew (aware: true)",
        ));
    }
    let region = optional_text("region", answer.region, MAX_REGION_CHARS)?;
    if !answer.subject.exists(db).await? {
        let what = if commitment_id.is_some() {
            "no such commitment"
        } else {
            "no such action plan"
        };
        return Err(AppError::bad_input(field, what));
    }

    let day = now.date_naive();
    let key = respondent_key(visitor, answer.subject, day);
    let replaced = awareness_answer::Entity::find()
        .filter(awareness_answer::Column::RespondentKey.eq(&key))
        .count(db)
        .await?
        > 0;
    // An upsert, so two answers racing in on the same key still leave one.
    awareness_answer::Entity::insert(awareness_answer::ActiveModel {
        commitment_id: Set(commitment_id),
        action_plan_id: Set(action_plan_id),
        day: Set(day),
        respondent_key: Set(key),
        aware: Set(answer.aware),
        channel: Set(answer.channel.map(|c| c.as_str().to_owned())),
        region: Set(region),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(awareness_answer::Column::RespondentKey)
            .update_columns([
                awareness_answer::Column::Aware,
                awareness_answer::Column::Channel,
                awareness_answer::Column::Region,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(replaced)
}
