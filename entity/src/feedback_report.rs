use sea_orm::entity::prelude::*;

/// One visitor's report of one piece of feedback.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback_report")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub feedback_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub visitor_key: String,
    /// `spam`, `offensive`, `off_topic` or `personal_data`.
    pub reason: String,
    pub note: Option<String>,
    pub created_at: ChronoDateTimeUtc,
}

crate::decode_by_position!(feedback_id, visitor_key, reason, note, created_at,);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
