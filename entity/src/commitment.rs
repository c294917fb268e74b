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

/// The column holding the commitment's code and every text of every
/// language, lower-cased, the fields joined by [`SEARCH_TEXT_SEPARATOR`]:
/// what the commitments filter's `search` looks in. The database's triggers
/// keep it (migration `m20261201_000015_commitment_search_text`); it is not
/// a field of the model, so the service never writes it.
pub const SEARCH_TEXT: &str = "search_text";

/// Joins the fields of [`SEARCH_TEXT`]; a search never contains it, so no
/// match runs from one field into the next.
pub const SEARCH_TEXT_SEPARATOR: char = '\u{1f}';

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
