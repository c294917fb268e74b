//! Database rows of ogp-pulse, one module per table.
//!
//! Entities are plain sea-orm models: API types live in the service crate, so a
//! column can change without the GraphQL schema changing with it. Text that
//! governments publish in several languages lives in the `*_translation`
//! tables, one row per (record, language).

pub mod action_plan;
pub mod action_plan_translation;
pub mod audit_entry;
pub mod awareness_answer;
pub mod awareness_metric;
pub mod by_position;
pub mod campaign;
pub mod campaign_activity;
pub mod campaign_commitment;
pub mod campaign_milestone;
pub mod commitment;
pub mod commitment_focal_point;
pub mod commitment_policy_area;
pub mod commitment_relation;
pub mod commitment_support_institution;
pub mod commitment_translation;
pub mod country;
pub mod data_version;
pub mod digest_subscription;
pub mod evidence;
pub mod evidence_document;
pub mod feedback;
pub mod feedback_report;
pub mod feedback_support;
pub mod feedback_tally;
pub mod focal_point;
pub mod implementation_update;
pub mod implementation_update_translation;
pub mod institution;
pub mod institution_translation;
pub mod mail_outbox;
pub mod mail_suppression;
pub mod mail_token;
pub mod meeting;
pub mod meeting_commitment;
pub mod milestone;
pub mod milestone_translation;
pub mod policy_area;
pub mod staff_account;
pub mod staff_credential;
pub mod staff_role;
