use sea_orm::entity::prelude::*;
use serde::Serialize;

/// A commitment's published texts in one language.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "commitment_translation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub commitment_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub language: String,
    pub title: String,
    pub full_title: Option<String>,
    /// "What is the public problem that the commitment will address?"
    pub public_problem: Option<String>,
    /// "What is the commitment?"
    pub description: Option<String>,
    /// "How will the commitment contribute to solve the public problem?"
    pub how_it_contributes: Option<String>,
    /// "Why is this commitment relevant to OGP values?"
    pub ogp_relevance: Option<String>,
    pub additional_information: Option<String>,
}

crate::decode_by_position!(
    commitment_id,
    language,
    title,
    full_title,
    public_problem,
    description,
    how_it_contributes,
    ogp_relevance,
    additional_information,
);

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
