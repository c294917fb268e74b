use sea_orm::entity::prelude::*;

/// A citizen's comment (or an official response) on a commitment.
///
/// No `Serialize` here: `author_email` is personal data that must never be
/// serialized into a response, a log line or an audit entry.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub commitment_id: i64,
    pub milestone_id: Option<i64>,
    pub parent_id: Option<i64>,
    /// 0 for a comment; 1 and 2 for replies.
    pub depth: i32,
    /// `comment`, `question`, `suggestion` or `concern`.
    pub kind: String,
    /// `in_favour`, `neutral` or `against`.
    pub stance: Option<String>,
    pub body: String,
    pub language: Option<String>,
    pub author_name: Option<String>,
    pub author_email: Option<String>,
    pub notify_on_response: bool,
    /// `published`, `queued`, `hidden` or `rejected`.
    pub status: String,
    pub official: bool,
    pub responder_staff_id: Option<i64>,
    pub visitor_key: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    /// Visitors supporting it (rows of `feedback_support`), kept for ordering.
    pub support_count: i64,
    /// On an official response: `adopted`, `partly_adopted`, `not_adopted`,
    /// `under_consideration` or `out_of_scope`.
    pub response_decision: Option<String>,
    /// Why, on an official response (required unless under consideration).
    pub response_rationale: Option<String>,
}

crate::decode_by_position!(
    id,
    commitment_id,
    milestone_id,
    parent_id,
    depth,
    kind,
    stance,
    body,
    language,
    author_name,
    author_email,
    notify_on_response,
    status,
    official,
    responder_staff_id,
    visitor_key,
    created_at,
    support_count,
    response_decision,
    response_rationale,
);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
