use sea_orm::entity::prelude::*;
use serde::Serialize;

/// One thing a campaign did: a press release, a broadcast, a workshop…
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "campaign_activity")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub campaign_id: i64,
    /// `press`, `television`, … `other`.
    pub channel: String,
    pub title: String,
    pub start_date: Date,
    /// Null for a one-day activity.
    pub end_date: Option<Date>,
    pub region: Option<String>,
    pub language: Option<String>,
    pub link: Option<String>,
    pub notes: Option<String>,
}

crate::decode_by_position!(
    id,
    campaign_id,
    channel,
    title,
    start_date,
    end_date,
    region,
    language,
    link,
    notes,
);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
