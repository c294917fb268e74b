use sea_orm::entity::prelude::*;

/// Part of the running count of one commitment's published comments of one
/// kind, kept by the database's triggers (migration
/// `m20261201_000014_feedback_tally`). A commitment and kind are counted
/// over several rows, `stripe` telling them apart; their sum is the count.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback_tally")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub commitment_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub stripe: i16,
    /// Published top-level comments (official posts included).
    pub comments: i64,
    /// Those of them from citizens without an official response.
    pub awaiting: i64,
}

crate::decode_by_position!(commitment_id, kind, stripe, comments, awaiting,);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
