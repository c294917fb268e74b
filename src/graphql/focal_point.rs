//! Focal points: the contacts governments name for their commitments.

use super::guards::HasRole;
use super::prefetch;
use crate::staff::Role;
use async_graphql::{Context, ID, Object, Result};
use entity::focal_point;

use super::{
    commitment::Commitment,
    connection::{ListConnection, connection, page_cost},
    loaders::CommitmentsOfFocalPoint,
    node::{NodeType, global_id},
};
use super::{
    inputs,
    staff::{actor, id_of, now},
};
use crate::{
    catalog::{listings, pagination::PageRequest},
    editing::{Change, records},
};
use async_graphql::{ErrorExtensions, InputObject, MaybeUndefined};

pub struct FocalPoint(pub focal_point::Model);

/// The contact a government names as responsible for commitments. Contact
/// details are the ones the OGP publishes on the commitment's page.
#[Object]
impl FocalPoint {
    /// Opaque global id.
    pub(super) async fn id(&self) -> ID {
        global_id(NodeType::FocalPoint, self.0.id)
    }

    /// Stable readable identifier, e.g. `amal-alami`.
    async fn key(&self) -> &str {
        &self.0.key
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

/// A new focal point.
#[derive(InputObject)]
pub struct CreateFocalPointInput {
    /// Stable identifier: lowercase letters, digits and `-`.
    pub key: String,
    /// Name as published.
    pub name: String,
    /// Job title.
    pub title: Option<String>,
    /// Department.
    pub department: Option<String>,
    /// Published contact email.
    pub email: Option<String>,
    /// Published contact telephone.
    pub phone: Option<String>,
}

/// Changes to a focal point; fields left out stay as they are, `null` clears.
#[derive(InputObject)]
pub struct UpdateFocalPointInput {
    /// The focal point (a `FocalPoint.id`).
    pub id: ID,
    /// Name as published.
    pub name: Option<String>,
    /// Job title.
    pub title: MaybeUndefined<String>,
    /// Department.
    pub department: MaybeUndefined<String>,
    /// Published contact email.
    pub email: MaybeUndefined<String>,
    /// Published contact telephone.
    pub phone: MaybeUndefined<String>,
}

fn set(value: Option<String>) -> Change<Option<String>> {
    Change::Set(value)
}

#[derive(Default)]
pub struct FocalPointMutation;

#[Object]
impl FocalPointMutation {
    /// Creates a focal point (admins).
    #[graphql(guard = "HasRole(Role::Admin)")]
    async fn create_focal_point(
        &self,
        ctx: &Context<'_>,
        input: CreateFocalPointInput,
    ) -> Result<FocalPoint> {
        let fields = records::FocalPointFields {
            name: Some(input.name),
            title: set(input.title),
            department: set(input.department),
            email: set(input.email),
            phone: set(input.phone),
        };
        let row = records::save_focal_point(
            super::pool(ctx)?,
            actor(ctx),
            now(ctx)?,
            None,
            Some(&input.key),
            fields,
        )
        .await
        .map_err(|err| err.extend())?;
        Ok(FocalPoint(row))
    }

    /// Changes a focal point (admins).
    #[graphql(guard = "HasRole(Role::Admin)")]
    async fn update_focal_point(
        &self,
        ctx: &Context<'_>,
        input: UpdateFocalPointInput,
    ) -> Result<FocalPoint> {
        let id = id_of("id", &input.id, NodeType::FocalPoint)?;
        let fields = records::FocalPointFields {
            name: input.name,
            title: inputs::change(input.title, |v| v),
            department: inputs::change(input.department, |v| v),
            email: inputs::change(input.email, |v| v),
            phone: inputs::change(input.phone, |v| v),
        };
        let row = records::save_focal_point(
            super::pool(ctx)?,
            actor(ctx),
            now(ctx)?,
            Some(id),
            None,
            fields,
        )
        .await
        .map_err(|err| err.extend())?;
        Ok(FocalPoint(row))
    }
}
