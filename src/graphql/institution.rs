//! Institutions: lead and supporting actors of commitments.

use super::guards::HasRole;
use super::prefetch;
use crate::staff::Role;
use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject,
};
use entity::{institution, institution_translation};

use super::{
    commitment::{Commitment, CommitmentFilter, CommitmentOrder, commitment_connection, scoped},
    connection::{ListConnection, SHORT_LIST_COST, connection, page_cost},
    loaders::InstitutionTranslations,
    node::{NodeType, global_id},
};
use super::{
    inputs::{self, TextInput},
    staff::{actor, id_of, now},
};
use crate::{
    catalog::{listings, pagination::PageRequest, vocabulary},
    editing::records,
    error::AppError,
};

pub struct Institution(pub institution::Model);

/// What kind of actor an institution is.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum InstitutionKind {
    /// A government body.
    Government,
    /// A civil-society organisation.
    CivilSociety,
    /// Any other actor (private sector, academia, multilateral…).
    Other,
}

impl From<vocabulary::InstitutionKind> for InstitutionKind {
    fn from(value: vocabulary::InstitutionKind) -> Self {
        use vocabulary::InstitutionKind as V;
        match value {
            V::Government => Self::Government,
            V::CivilSociety => Self::CivilSociety,
            V::Other => Self::Other,
        }
    }
}

impl From<InstitutionKind> for vocabulary::InstitutionKind {
    fn from(value: InstitutionKind) -> Self {
        match value {
            InstitutionKind::Government => Self::Government,
            InstitutionKind::CivilSociety => Self::CivilSociety,
            InstitutionKind::Other => Self::Other,
        }
    }
}

impl Institution {
    async fn translations_of(
        &self,
        ctx: &Context<'_>,
    ) -> Result<super::loaders::Texts<institution_translation::Model>> {
        Ok(super::loader(ctx)?
            .load_one(InstitutionTranslations(self.0.id))
            .await?
            .unwrap_or_default())
    }
}

/// A government body, civil-society organisation or other actor.
#[Object]
impl Institution {
    /// Opaque global id.
    pub(super) async fn id(&self) -> ID {
        global_id(NodeType::Institution, self.0.id)
    }

    /// Stable readable identifier, e.g. `mrafp`.
    async fn key(&self) -> &str {
        &self.0.key
    }

    /// Name in the request's language (with the documented fallback).
    async fn name(&self, ctx: &Context<'_>) -> Result<String> {
        let translations = self.translations_of(ctx).await?;
        let record = ("institution", self.0.id);
        let text = super::required_text(ctx, &translations, |t| Some(t.name.as_str()), record)?;
        Ok(text.value.to_owned())
    }

    /// Language of `name` in this answer.
    async fn language(&self, ctx: &Context<'_>) -> Result<String> {
        let translations = self.translations_of(ctx).await?;
        let record = ("institution", self.0.id);
        let text = super::required_text(ctx, &translations, |t| Some(t.name.as_str()), record)?;
        Ok(text.language)
    }

    /// Every published translation of the name.
    #[graphql(complexity = "SHORT_LIST_COST * child_complexity")]
    async fn translations(&self, ctx: &Context<'_>) -> Result<Vec<InstitutionTranslation>> {
        Ok(super::by_language(&self.translations_of(ctx).await?)
            .into_iter()
            .map(|row| InstitutionTranslation {
                language: row.language,
                name: row.name,
            })
            .collect())
    }

    /// Abbreviation as published, e.g. "MRAFP"; null when there is none.
    async fn abbreviation(&self) -> Option<&str> {
        self.0.abbreviation.as_deref()
    }

    /// What kind of actor it is.
    async fn kind(&self) -> Result<InstitutionKind> {
        vocabulary::InstitutionKind::parse(&self.0.kind)
            .map(InstitutionKind::from)
            .ok_or_else(|| {
                AppError::Internal(format!(
                    "institution {} has kind {:?}",
                    self.0.id, self.0.kind
                ))
                .extend()
            })
    }

    /// Commitments this institution leads or supports, as a connection (same
    /// arguments as `Query.commitments`).
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
        let institution = self.0.id;
        commitment_connection(ctx, request, filter, order_by, |domain| {
            scoped(
                &mut domain.institution_id,
                institution,
                "filter.institutionId",
            )
        })
        .await
    }
}

/// An institution's name in one language.
#[derive(SimpleObject)]
pub struct InstitutionTranslation {
    /// ISO 639-1 language code.
    language: String,
    /// The name in that language.
    name: String,
}

#[derive(Default)]
pub struct InstitutionQuery;

#[Object]
impl InstitutionQuery {
    /// Institutions by key, of one kind when `kind` is given.
    #[graphql(complexity = "page_cost(first, last) * child_complexity")]
    async fn institutions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        kind: Option<InstitutionKind>,
    ) -> Result<ListConnection<Institution>> {
        let request = PageRequest {
            first,
            after,
            last,
            before,
        };
        let listing = listings::institutions(kind.map(Into::into));
        connection(ctx, listing, request, prefetch::institutions, Institution).await
    }
}

/// A new institution.
#[derive(InputObject)]
pub struct CreateInstitutionInput {
    /// Stable identifier: lowercase letters, digits and `-`.
    pub key: String,
    /// Abbreviation as published, e.g. "MRAFP".
    pub abbreviation: Option<String>,
    /// What kind of actor it is.
    pub kind: InstitutionKind,
    /// Its name, in one or more languages.
    pub name: Vec<TextInput>,
}

/// Changes to an institution; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateInstitutionInput {
    /// The institution (an `Institution.id`).
    pub id: ID,
    /// Abbreviation (`null` clears it).
    pub abbreviation: MaybeUndefined<String>,
    /// What kind of actor it is.
    pub kind: Option<InstitutionKind>,
    /// Names to set, by language; other languages are kept.
    #[graphql(default)]
    pub name: Vec<TextInput>,
}

#[derive(Default)]
pub struct InstitutionMutation;

#[Object]
impl InstitutionMutation {
    /// Creates an institution (admins).
    #[graphql(guard = "HasRole(Role::Admin)")]
    async fn create_institution(
        &self,
        ctx: &Context<'_>,
        input: CreateInstitutionInput,
    ) -> Result<Institution> {
        let new = records::NewInstitution {
            key: input.key,
            abbreviation: input.abbreviation,
            kind: input.kind.into(),
            name: inputs::texts("name", input.name)?,
        };
        let row = records::create_institution(super::pool(ctx)?, actor(ctx), now(ctx)?, new)
            .await
            .map_err(|err| err.extend())?;
        Ok(Institution(row))
    }

    /// Changes an institution (admins).
    #[graphql(guard = "HasRole(Role::Admin)")]
    async fn update_institution(
        &self,
        ctx: &Context<'_>,
        input: UpdateInstitutionInput,
    ) -> Result<Institution> {
        let id = id_of("id", &input.id, NodeType::Institution)?;
        let changes = records::InstitutionChanges {
            abbreviation: inputs::change(input.abbreviation, |a| a),
            kind: inputs::keep_or(input.kind, Into::into),
            name: inputs::texts("name", input.name)?,
        };
        let row =
            records::update_institution(super::pool(ctx)?, actor(ctx), now(ctx)?, id, changes)
                .await
                .map_err(|err| err.extend())?;
        Ok(Institution(row))
    }
}
