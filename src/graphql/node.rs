//! Relay global object identification: every entity has an opaque `id` that
//! `node(id:)` resolves.

use async_graphql::{Context, ID, Interface, Object, Result};
use base64::{Engine, engine::general_purpose::STANDARD};

use super::{
    action_plan::ActionPlan,
    campaign::{AwarenessMetric, Campaign, CampaignActivity},
    commitment::Commitment,
    country::Country,
    feedback::Feedback,
    focal_point::FocalPoint,
    implementation_update::ImplementationUpdate,
    institution::Institution,
    loaders,
    meeting::Meeting,
    milestone::Milestone,
    policy_area::PolicyArea,
};
use crate::{
    catalog::vocabulary::FeedbackStatus,
    error::{AppError, AppResult},
};

/// Longest `nodes(ids:)` list accepted, the same bound as a page.
const MAX_NODES: usize = 100;

/// The record types a global id can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeType {
    ActionPlan,
    AwarenessMetric,
    Campaign,
    CampaignActivity,
    Commitment,
    Country,
    Feedback,
    FocalPoint,
    Institution,
    Milestone,
    PolicyArea,
    ImplementationUpdate,
    Meeting,
    /// An uploaded document: not a node, but named by a global id.
    EvidenceDocument,
}

impl NodeType {
    const ALL: [Self; 14] = [
        Self::ActionPlan,
        Self::AwarenessMetric,
        Self::Campaign,
        Self::CampaignActivity,
        Self::Commitment,
        Self::Country,
        Self::Feedback,
        Self::FocalPoint,
        Self::Institution,
        Self::Milestone,
        Self::PolicyArea,
        Self::ImplementationUpdate,
        Self::Meeting,
        Self::EvidenceDocument,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::ActionPlan => "ActionPlan",
            Self::AwarenessMetric => "AwarenessMetric",
            Self::Campaign => "Campaign",
            Self::CampaignActivity => "CampaignActivity",
            Self::Commitment => "Commitment",
            Self::Country => "Country",
            Self::Feedback => "Feedback",
            Self::FocalPoint => "FocalPoint",
            Self::Institution => "Institution",
            Self::Milestone => "Milestone",
            Self::PolicyArea => "PolicyArea",
            Self::ImplementationUpdate => "ImplementationUpdate",
            Self::Meeting => "Meeting",
            Self::EvidenceDocument => "EvidenceDocument",
        }
    }
}

/// Encodes a global id: base64 of `Type:databaseId`.
pub fn global_id(node_type: NodeType, id: i64) -> ID {
    ID(STANDARD.encode(format!("{}:{id}", node_type.name())))
}

/// Decodes a global id of any type; `None` when it is not one of ours.
pub fn decode_any(id: &str) -> Option<(NodeType, i64)> {
    decode(id)
}

fn decode(id: &str) -> Option<(NodeType, i64)> {
    let text = String::from_utf8(STANDARD.decode(id).ok()?).ok()?;
    let (name, number) = text.split_once(':')?;
    let node_type = NodeType::ALL.into_iter().find(|t| t.name() == name)?;
    Some((node_type, number.parse().ok()?))
}

/// Decodes a global id that must name a record of `expected` type (as in
/// filters: `filter.actionPlanId` must be an action plan's id).
pub fn decode_as(field: &str, id: &ID, expected: NodeType) -> AppResult<i64> {
    match decode(id) {
        Some((node_type, number)) if node_type == expected => Ok(number),
        _ => Err(AppError::bad_input(
            field,
            format!(
                "not the id of a {} (ids come from the `id` field)",
                expected.name()
            ),
        )),
    }
}

/// An object with a global id.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "Opaque global id, accepted by `node(id:)`."
))]
pub enum Node {
    ActionPlan(ActionPlan),
    AwarenessMetric(AwarenessMetric),
    Campaign(Campaign),
    CampaignActivity(CampaignActivity),
    Commitment(Commitment),
    Country(Country),
    Feedback(Feedback),
    FocalPoint(FocalPoint),
    Institution(Institution),
    Milestone(Milestone),
    PolicyArea(PolicyArea),
    ImplementationUpdate(ImplementationUpdate),
    Meeting(Meeting),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any record by its global id; null when no such record exists
    /// (an id that is not ours at all is also null).
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let Some((node_type, number)) = decode(&id) else {
            return Ok(None);
        };
        load_node(ctx, node_type, number).await
    }

    /// Fetches up to 100 records by global id, in the order asked; null for
    /// each id that names nothing.
    #[graphql(complexity = "ids.len() * child_complexity")]
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>> {
        use async_graphql::ErrorExtensions;
        if ids.len() > MAX_NODES {
            return Err(
                AppError::bad_input("ids", format!("at most {MAX_NODES} ids at once")).extend(),
            );
        }
        let lookups = ids.iter().map(|id| async move {
            match decode(id) {
                Some((node_type, number)) => load_node(ctx, node_type, number).await,
                None => Ok(None),
            }
        });
        futures_util::future::try_join_all(lookups).await
    }
}

async fn load_node(ctx: &Context<'_>, node_type: NodeType, id: i64) -> Result<Option<Node>> {
    let loader = super::loader(ctx)?;
    Ok(match node_type {
        NodeType::ActionPlan => loader
            .load_one(loaders::ActionPlanById(id))
            .await?
            .map(|row| Node::ActionPlan(ActionPlan(row))),
        NodeType::AwarenessMetric => loader
            .load_one(loaders::MetricById(id))
            .await?
            .map(|row| Node::AwarenessMetric(AwarenessMetric(row))),
        NodeType::Campaign => loader
            .load_one(loaders::CampaignById(id))
            .await?
            .map(|row| Node::Campaign(Campaign(row))),
        NodeType::CampaignActivity => loader
            .load_one(loaders::ActivityById(id))
            .await?
            .map(|row| Node::CampaignActivity(CampaignActivity(row))),
        NodeType::Commitment => loader
            .load_one(loaders::CommitmentById(id))
            .await?
            .map(|row| Node::Commitment(Commitment(row))),
        NodeType::Country => loader
            .load_one(loaders::CountryById(id))
            .await?
            .map(|row| Node::Country(Country(row))),
        // Only published feedback is public.
        NodeType::Feedback => loader
            .load_one(loaders::FeedbackById(id))
            .await?
            .filter(|row| row.status == FeedbackStatus::Published.as_str())
            .map(|row| Node::Feedback(Feedback(row))),
        NodeType::FocalPoint => loader
            .load_one(loaders::FocalPointById(id))
            .await?
            .map(|row| Node::FocalPoint(FocalPoint(row))),
        NodeType::Institution => loader
            .load_one(loaders::InstitutionById(id))
            .await?
            .map(|row| Node::Institution(Institution(row))),
        NodeType::Milestone => loader
            .load_one(loaders::MilestoneById(id))
            .await?
            .map(|row| Node::Milestone(Milestone(row))),
        NodeType::PolicyArea => loader
            .load_one(loaders::PolicyAreaById(id))
            .await?
            .map(|row| Node::PolicyArea(PolicyArea(row))),
        NodeType::ImplementationUpdate => loader
            .load_one(loaders::UpdateById(id))
            .await?
            .map(|row| Node::ImplementationUpdate(ImplementationUpdate(row))),
        NodeType::Meeting => loader
            .load_one(loaders::MeetingById(id))
            .await?
            .map(|row| Node::Meeting(Meeting(row))),
        NodeType::EvidenceDocument => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_keep_their_type() {
        let id = global_id(NodeType::Commitment, 18);
        assert_eq!(decode(&id), Some((NodeType::Commitment, 18)));
        assert!(decode_as("id", &id, NodeType::ActionPlan).is_err());
        assert!(decode("not base64!").is_none());
        assert!(decode(&STANDARD.encode("Staff:1")).is_none());
    }
}
