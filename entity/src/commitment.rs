use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A commitment of an action plan. Its texts live in `commitment_translation`;
/// every `irm_*` column is null while the commitment is pending IRM review.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "commitment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// OGP code, e.g. `MO0018`.
    #[sea_orm(unique)]
    pub code: String,
    pub action_plan_id: i64,
    /// `active`, `completed` or `withdrawn`.
    pub status: String,
    pub lead_institution_id: Option<i64>,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub irm_report: Option<String>,
    pub irm_starred: Option<bool>,
    pub irm_early_results: Option<String>,
    pub irm_verifiable: Option<bool>,
    /// JSON array of OGP values, e.g. `["access_to_information"]`.
    pub irm_ogp_values: Option<String>,
    pub irm_potential_impact: Option<String>,
    pub irm_completion: Option<String>,
}

crate::decode_by_position!(
    id,
    code,
    action_plan_id,
    status,
    lead_institution_id,
    period_start,
    period_end,
    irm_report,
    irm_starred,
    irm_early_results,
    irm_verifiable,
    irm_ogp_values,
    irm_potential_impact,
    irm_completion,
);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
