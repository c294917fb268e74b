//! Focal points: the contacts governments name for their commitments.

use super::prefetch;
use async_graphql::{Context, Object, Result, ID};
use entity::focal_point;

use super::{
    commitment::Commitment,
    connection::{connection, page_cost, ListConnection},
    loaders::CommitmentsOfFocalPoint,
    node::{global_id, NodeType},
};
use crate::catalog::{listings, pagination::PageRequest};

pub struct FocalPoint(pub focal_point::Model);

/// The contact a government names as responsible for commitments. Contact
/// details are the ones the OGP publishes on the commitment's page.
#[Object]
impl FocalPoint {
    /// Opaque global id.
    pub(super) async fn id(&self) -> ID {
        global_id(NodeType::FocalPoint, self.0.id)
    }

    /// Name as published, e.g. "Ms Amal ALAMI".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Job title, e.g. "Head of Communication Division".
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }

    /// Department, as published.
    async fn department(&self) -> Option<&str> {
        self.0.department.as_deref()
    }

    /// Published contact email.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    /// Published contact telephone.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }

    /// Commitments this focal point is responsible for, by code.
    #[graphql(complexity = "page_cost(None, None) * child_complexity")]
    async fn commitments(&self, ctx: &Context<'_>) -> Result<Vec<Commitment>> {
        Ok(super::loader(ctx)?
            .load_one(CommitmentsOfFocalPoint(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Commitment)
            .collect())
    }
}

#[derive(Default)]
pub struct FocalPointQuery;

#[Object]
impl FocalPointQuery {
    /// Focal points by key.
    #[graphql(complexity = "page_cost(first, last) * child_complexity")]
    async fn focal_points(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<ListConnection<FocalPoint>> {
        let request = PageRequest {
            first,
            after,
            last,
            before,
        };
        connection(
            ctx,
            listings::focal_points(),
            request,
            prefetch::focal_points,
            FocalPoint,
        )
        .await
    }
}
