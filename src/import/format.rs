//! The catalogue import file, version 1 (`"format": "ogp-pulse/catalog-v1"`).
//! Documented for people in `data/README.md`; keep the two in step.

use std::collections::BTreeMap;

use serde::Deserialize;

pub const FORMAT: &str = "ogp-pulse/catalog-v1";

/// A text in one or more languages: `{"en": "…", "fr": "…"}`.
pub type Texts = BTreeMap<String, String>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CatalogFile {
    pub format: String,
    /// Where the data comes from; informative only.
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub countries: Vec<CountryRecord>,
    #[serde(default)]
    pub institutions: Vec<InstitutionRecord>,
    #[serde(default)]
    pub policy_areas: Vec<PolicyAreaRecord>,
    #[serde(default)]
    pub focal_points: Vec<FocalPointRecord>,
    #[serde(default)]
    pub action_plans: Vec<ActionPlanRecord>,
    #[serde(default)]
    pub campaigns: Vec<CampaignRecord>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CountryRecord {
    pub iso_code: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InstitutionRecord {
    pub key: String,
    #[serde(default)]
    pub abbreviation: Option<String>,
    pub kind: String,
    pub name: Texts,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyAreaRecord {
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FocalPointRecord {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ActionPlanRecord {
    pub key: String,
    /// ISO code of a country of this file or already in the database.
    pub country: String,
    pub cycle_year: i32,
    pub title: Texts,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub commitments: Vec<CommitmentRecord>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CommitmentRecord {
    pub code: String,
    pub status: String,
    /// The short title shown in lists.
    pub title: Texts,
    #[serde(default)]
    pub full_title: Texts,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    /// Institution key.
    #[serde(default)]
    pub lead_institution: Option<String>,
    #[serde(default)]
    pub support_institutions: Vec<String>,
    /// Policy area names.
    #[serde(default)]
    pub policy_areas: Vec<String>,
    #[serde(default)]
    pub public_problem: Texts,
    #[serde(default)]
    pub description: Texts,
    #[serde(default)]
    pub how_it_contributes: Texts,
    #[serde(default)]
    pub ogp_relevance: Texts,
    #[serde(default)]
    pub additional_information: Texts,
    /// Codes of related commitments.
    #[serde(default)]
    pub related_commitments: Vec<String>,
    /// Focal point keys.
    #[serde(default)]
    pub focal_points: Vec<String>,
    #[serde(default)]
    pub irm: IrmRecord,
    #[serde(default)]
    pub milestones: Vec<MilestoneRecord>,
}

/// IRM review fields; each left out or `null` means "pending IRM review".
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IrmRecord {
    #[serde(default)]
    pub report: Option<String>,
    #[serde(default)]
    pub starred: Option<bool>,
    #[serde(default)]
    pub early_results: Option<String>,
    #[serde(default)]
    pub verifiable: Option<bool>,
    #[serde(default)]
    pub relevant_to_ogp_values: Option<Vec<String>>,
    #[serde(default)]
    pub potential_impact: Option<String>,
    #[serde(default)]
    pub completion: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MilestoneRecord {
    /// The activity with a verifiable deliverable.
    pub title: Texts,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    /// The deliverable that shows it done, by language (languages of the title).
    #[serde(default)]
    pub expected_output: Texts,
    /// How anyone can check that it was delivered, by language.
    #[serde(default)]
    pub means_of_verification: Texts,
    /// Key of the institution responsible, when not the commitment's lead.
    #[serde(default)]
    pub responsible_institution: Option<String>,
}

/// A communication campaign and what it supports.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CampaignRecord {
    pub key: String,
    pub title: String,
    #[serde(default)]
    pub objective: Option<String>,
    #[serde(default)]
    pub target_audience: Option<String>,
    /// Language codes it communicates in.
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    pub status: String,
    /// Key of the institution running it.
    #[serde(default)]
    pub institution: Option<String>,
    /// Codes of the commitments it supports.
    pub commitments: Vec<String>,
    /// Milestones it supports, by commitment code and 1-based position.
    #[serde(default)]
    pub milestones: Vec<MilestoneReference>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MilestoneReference {
    pub commitment: String,
    pub position: i32,
}
