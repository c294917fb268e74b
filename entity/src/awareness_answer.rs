use sea_orm::entity::prelude::*;

/// A citizen's answer to "Did you know about this?": no personal data, and a
/// respondent key that only tells answers of one day and subject apart.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "awareness_answer")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub commitment_id: Option<i64>,
    pub action_plan_id: Option<i64>,
    pub day: Date,
    pub respondent_key: String,
    pub aware: bool,
    /// Where they heard of it (an activity channel).
    pub channel: Option<String>,
    pub region: Option<String>,
}

crate::decode_by_position!(
    id,
    commitment_id,
    action_plan_id,
    day,
    respondent_key,
    aware,
    channel,
    region,
);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
