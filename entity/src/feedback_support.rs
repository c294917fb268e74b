use sea_orm::entity::prelude::*;

/// One visitor's support for one piece of feedback.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback_support")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub feedback_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub visitor_key: String,
    pub created_at: ChronoDateTimeUtc,
}

crate::decode_by_position!(feedback_id, visitor_key, created_at,);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
