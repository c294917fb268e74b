//! OGP policy areas.

use super::guards::HasRole;
use crate::staff::Role;
use async_graphql::{Context, ID, Object, Result};
use entity::policy_area;

use super::staff::{actor, id_of, now};
use super::{
    commitment::{Commitment, CommitmentFilter, CommitmentOrder, commitment_connection},
    connection::{ListConnection, connection, no_prefetch, page_cost},
    node::{NodeType, global_id},
};
use crate::{
    catalog::{listings, pagination::PageRequest},
    editing::records,
    error::AppError,
};
use async_graphql::ErrorExtensions;

pub struct PolicyArea(pub policy_area::Model);

/// An OGP policy area, e.g. "E-Government".
#[Object]
impl PolicyArea {
    /// Opaque global id.
    pub(super) async fn id(&self) -> ID {
        global_id(NodeType::PolicyArea, self.0.id)
    }

    /// Name as the OGP publishes it (in English).
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Commitments in this policy area, as a connection (same arguments as
    /// `Query.commitments`).
    #[graphql(complexity = "page_cost(first, last) * child_complexity")]
    async fn commitments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<CommitmentFilter>,
        order_by: Option<CommitmentOrder>,
    ) -> Result<ListConnection<Commitment>> {
        let request = PageRequest {
            first,
            after,
            last,
            before,
        };
        let name = self.0.name.clone();
        commitment_connection(ctx, request, filter, order_by, |domain| {
            match &domain.policy_area {
                Some(asked) if !asked.trim().eq_ignore_ascii_case(&name) => {
                    Err(AppError::bad_input(
                        "filter.policyArea",
                        "conflicts with the record whose commitments are being listed",
                    ))
                }
                _ => {
                    domain.policy_area = Some(name);
                    Ok(())
                }
            }
        })
        .await
    }
}

#[derive(Default)]
pub struct PolicyAreaQuery;

#[Object]
impl PolicyAreaQuery {
    /// Policy areas by name.
    #[graphql(complexity = "page_cost(first, last) * child_complexity")]
    async fn policy_areas(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<ListConnection<PolicyArea>> {
        let request = PageRequest {
            first,
            after,
            last,
            before,
        };
        connection(
            ctx,
            listings::policy_areas(),
            request,
            no_prefetch,
            PolicyArea,
        )
        .await
    }
}

#[derive(Default)]
pub struct PolicyAreaMutation;

#[Object]
impl PolicyAreaMutation {
    /// Creates a policy area (admins).
    #[graphql(guard = "HasRole(Role::Admin)")]
    async fn create_policy_area(&self, ctx: &Context<'_>, name: String) -> Result<PolicyArea> {
        let row = records::save_policy_area(super::pool(ctx)?, actor(ctx), now(ctx)?, None, &name)
            .await
            .map_err(|err| err.extend())?;
        Ok(PolicyArea(row))
    }

    /// Renames a policy area (admins).
    #[graphql(guard = "HasRole(Role::Admin)")]
    async fn rename_policy_area(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: String,
    ) -> Result<PolicyArea> {
        let id = id_of("id", &id, NodeType::PolicyArea)?;
        let row =
            records::save_policy_area(super::pool(ctx)?, actor(ctx), now(ctx)?, Some(id), &name)
                .await
                .map_err(|err| err.extend())?;
        Ok(PolicyArea(row))
    }
}
