//! Implementation updates and their evidence: what a commitment's focal
//! points report, and what backs it.

use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, Object, Result, SimpleObject,
};
use chrono::{DateTime, Utc};
use entity::{evidence, implementation_update};

use super::{
    commitment::Commitment,
    connection::{ConnectionFuture, SHORT_LIST_COST, connection, no_prefetch},
    feedback::{OfficialResponder, PublicUrl, official_responder},
    guards::StaffOnly,
    inputs::{self, TextInput},
    loaders::{
        CommitmentById, EvidenceDocumentById, EvidenceOfUpdate, MilestoneById, UpdateTranslations,
    },
    milestone::Milestone,
    node::{NodeType, global_id},
    scalars::Date,
    staff::{actor, id_of, now},
};
use crate::{
    accountability::updates::{self, EvidenceSource, NewEvidence, NewUpdate, UpdatesOf},
    catalog::{pagination::PageRequest, vocabulary},
    error::AppError,
};

/// How far an update says the work has come, on the IRM completion scale.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum UpdateStatus {
    /// Work has not started.
    NotStarted,
    /// Limited progress.
    Limited,
    /// Substantial progress.
    Substantial,
    /// Done.
    Complete,
}

impl From<UpdateStatus> for vocabulary::UpdateStatus {
    fn from(value: UpdateStatus) -> Self {
        match value {
            UpdateStatus::NotStarted => Self::NotStarted,
            UpdateStatus::Limited => Self::Limited,
            UpdateStatus::Substantial => Self::Substantial,
            UpdateStatus::Complete => Self::Complete,
        }
    }
}

impl UpdateStatus {
    fn from_stored(text: &str) -> Self {
        match vocabulary::UpdateStatus::parse(text) {
            Some(vocabulary::UpdateStatus::Limited) => Self::Limited,
            Some(vocabulary::UpdateStatus::Substantial) => Self::Substantial,
            Some(vocabulary::UpdateStatus::Complete) => Self::Complete,
            _ => Self::NotStarted,
        }
    }
}

/// The completion level evidence supports.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum CompletionLevel {
    /// No update with evidence has been published.
    NoEvidenceAvailable,
    /// Evidence shows work has not started.
    NotStarted,
    /// Evidence shows limited progress.
    Limited,
    /// Evidence shows substantial progress.
    Substantial,
    /// Evidence shows it done.
    Complete,
}

impl From<vocabulary::IrmCompletion> for CompletionLevel {
    fn from(value: vocabulary::IrmCompletion) -> Self {
        use vocabulary::IrmCompletion as V;
        match value {
            V::NoEvidenceAvailable => Self::NoEvidenceAvailable,
            V::NotStarted => Self::NotStarted,
            V::Limited => Self::Limited,
            V::Substantial => Self::Substantial,
            V::Complete => Self::Complete,
        }
    }
}

/// Who an update comes from.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum UpdateSource {
    /// The government (the commitment's implementers).
    #[default]
    Government,
    /// Civil society monitoring the commitment.
    CivilSociety,
}

impl From<UpdateSource> for vocabulary::UpdateSource {
    fn from(value: UpdateSource) -> Self {
        match value {
            UpdateSource::Government => Self::Government,
            UpdateSource::CivilSociety => Self::CivilSociety,
        }
    }
}

/// What a piece of evidence is.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceType {
    /// A report.
    Report,
    /// Minutes of a meeting.
    Minutes,
    /// A publication (law, decree, guide, web page).
    Publication,
    /// A dataset.
    Dataset,
    /// Photos, video, press coverage.
    Media,
    /// Anything else.
    Other,
}

impl From<EvidenceType> for vocabulary::EvidenceType {
    fn from(value: EvidenceType) -> Self {
        match value {
            EvidenceType::Report => Self::Report,
            EvidenceType::Minutes => Self::Minutes,
            EvidenceType::Publication => Self::Publication,
            EvidenceType::Dataset => Self::Dataset,
            EvidenceType::Media => Self::Media,
            EvidenceType::Other => Self::Other,
        }
    }
}

impl EvidenceType {
    fn from_stored(text: &str) -> Self {
        use vocabulary::EvidenceType as V;
        match V::parse(text) {
            Some(V::Report) => Self::Report,
            Some(V::Minutes) => Self::Minutes,
            Some(V::Publication) => Self::Publication,
            Some(V::Dataset) => Self::Dataset,
            Some(V::Media) => Self::Media,
            _ => Self::Other,
        }
    }
}

/// Whether evidence is a link or an uploaded document.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceKind {
    /// A web address.
    Link,
    /// A document kept by ogp-pulse.
    Document,
}

/// A dated report of how a commitment, or one of its milestones, is being
/// implemented.
pub struct ImplementationUpdate(pub implementation_update::Model);

impl ImplementationUpdate {
    async fn translations_of(
        &self,
        ctx: &Context<'_>,
    ) -> Result<super::loaders::Texts<entity::implementation_update_translation::Model>> {
        Ok(super::loader(ctx)?
            .load_one(UpdateTranslations(self.0.id))
            .await?
            .unwrap_or_default())
    }
}

/// A dated report of how a commitment, or one of its milestones, is being
/// implemented.
#[Object]
impl ImplementationUpdate {
    /// Opaque global id.
    pub(super) async fn id(&self) -> ID {
        global_id(NodeType::ImplementationUpdate, self.0.id)
    }

    /// The commitment it reports on.
    async fn commitment(&self, ctx: &Context<'_>) -> Result<Commitment> {
        super::loader(ctx)?
            .load_one(CommitmentById(self.0.commitment_id))
            .await?
            .map(Commitment)
            .ok_or_else(|| {
                AppError::Internal(format!("update {} has no commitment", self.0.id)).extend()
            })
    }

    /// The milestone it reports on; null for the commitment as a whole.
    async fn milestone(&self, ctx: &Context<'_>) -> Result<Option<Milestone>> {
        let Some(id) = self.0.milestone_id else {
            return Ok(None);
        };
        Ok(super::loader(ctx)?
            .load_one(MilestoneById(id))
            .await?
            .map(Milestone))
    }

    /// The day it reports on.
    async fn date(&self) -> Date {
        Date(self.0.reported_on)
    }

    /// How far the work has come, as reported.
    async fn status(&self) -> UpdateStatus {
        UpdateStatus::from_stored(&self.0.status)
    }

    /// Who it comes from.
    async fn source(&self) -> UpdateSource {
        match vocabulary::UpdateSource::parse(&self.0.source) {
            Some(vocabulary::UpdateSource::CivilSociety) => UpdateSource::CivilSociety,
            _ => UpdateSource::Government,
        }
    }

    /// What happened, in the request's language (with the same fallback as
    /// every translated text).
    async fn narrative(&self, ctx: &Context<'_>) -> Result<String> {
        let translations = self.translations_of(ctx).await?;
        let record = ("implementation update", self.0.id);
        let text =
            super::required_text(ctx, &translations, |t| Some(t.narrative.as_str()), record)?;
        Ok(text.value.to_owned())
    }

    /// Language of `narrative` in this answer.
    async fn language(&self, ctx: &Context<'_>) -> Result<String> {
        let translations = self.translations_of(ctx).await?;
        let record = ("implementation update", self.0.id);
        let text =
            super::required_text(ctx, &translations, |t| Some(t.narrative.as_str()), record)?;
        Ok(text.language)
    }

    /// The narrative in every language it was written in.
    #[graphql(complexity = "SHORT_LIST_COST * child_complexity")]
    async fn translations(&self, ctx: &Context<'_>) -> Result<Vec<UpdateTranslation>> {
        Ok(super::by_language(&self.translations_of(ctx).await?)
            .into_iter()
            .map(|row| UpdateTranslation {
                language: row.language,
                narrative: row.narrative,
            })
            .collect())
    }

    /// What backs it, in the order given.
    #[graphql(complexity = "SHORT_LIST_COST * child_complexity")]
    async fn evidence(&self, ctx: &Context<'_>) -> Result<Vec<Evidence>> {
        let pieces = super::loader(ctx)?
            .load_one(EvidenceOfUpdate(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(pieces.into_iter().map(Evidence).collect())
    }

    /// Whether any evidence backs it; only such updates set a completion
    /// level.
    async fn has_evidence(&self) -> bool {
        self.0.has_evidence
    }

    /// When it was posted.
    async fn posted_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The official who posted it.
    async fn posted_by(&self, ctx: &Context<'_>) -> Result<Option<OfficialResponder>> {
        official_responder(ctx, self.0.staff_id).await
    }
}

/// An update's narrative in one language.
#[derive(SimpleObject)]
pub struct UpdateTranslation {
    /// ISO 639-1 language code.
    language: String,
    /// The narrative in that language.
    narrative: String,
}

/// One piece of evidence: a link, or a document kept by ogp-pulse.
pub struct Evidence(pub evidence::Model);

/// One piece of evidence: a link, or a document kept by ogp-pulse.
#[Object]
impl Evidence {
    /// A link or a document.
    async fn kind(&self) -> EvidenceKind {
        if self.0.document_id.is_some() {
            EvidenceKind::Document
        } else {
            EvidenceKind::Link
        }
    }

    /// What it is called.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What it is.
    #[graphql(name = "type")]
    async fn evidence_type(&self) -> EvidenceType {
        EvidenceType::from_stored(&self.0.evidence_type)
    }

    /// Its date.
    async fn date(&self) -> Date {
        Date(self.0.dated_on)
    }

    /// Where to read it: the link, or the document's download address.
    async fn url(&self, ctx: &Context<'_>) -> Result<String> {
        match (&self.0.url, self.0.document_id) {
            (Some(url), _) => Ok(url.clone()),
            (None, Some(id)) => {
                let document = self.document(ctx).await?;
                let name = document
                    .as_ref()
                    .map_or("document", |d| d.file_name.as_str());
                let base = ctx.data::<PublicUrl>()?.0.trim_end_matches('/').to_owned();
                Ok(crate::http::evidence::download_url(&base, id, name))
            }
            (None, None) => Err(AppError::Internal(format!(
                "evidence {} has neither a link nor a document",
                self.0.id
            ))
            .extend()),
        }
    }

    /// The document's file name; null for a link.
    async fn file_name(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(self.document(ctx).await?.map(|d| d.file_name))
    }

    /// The document's media type, e.g. `application/pdf`; null for a link.
    async fn content_type(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(self.document(ctx).await?.map(|d| d.content_type))
    }

    /// The document's size in bytes; null for a link.
    async fn size_bytes(&self, ctx: &Context<'_>) -> Result<Option<i64>> {
        Ok(self.document(ctx).await?.map(|d| d.size_bytes))
    }
}

impl Evidence {
    async fn document(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<entity::evidence_document::Model>> {
        match self.0.document_id {
            Some(id) => super::loader(ctx)?.load_one(EvidenceDocumentById(id)).await,
            None => Ok(None),
        }
    }
}

/// The updates of a commitment or milestone as a connection, newest first.
pub(super) fn updates_connection<'a>(
    ctx: &'a Context<'_>,
    of: UpdatesOf,
    request: PageRequest,
) -> ConnectionFuture<'a, ImplementationUpdate> {
    connection(
        ctx,
        updates::listing(of),
        request,
        no_prefetch,
        ImplementationUpdate,
    )
}

/// A piece of evidence for a new update: a link (`url`) or a document
/// uploaded before (`documentId`), exactly one of the two.
#[derive(InputObject)]
pub struct EvidenceInput {
    /// What it is called, 1 to 300 characters.
    pub title: String,
    /// What it is.
    #[graphql(name = "type")]
    pub evidence_type: EvidenceType,
    /// Its date; not after today.
    pub date: Date,
    /// An http(s) address.
    pub url: Option<String>,
    /// A document uploaded with `POST /evidence/documents` (its `id`), not
    /// yet evidence of another update.
    pub document_id: Option<ID>,
}

/// A new implementation update.
#[derive(InputObject)]
pub struct PostImplementationUpdateInput {
    /// The commitment (a `Commitment.id`).
    pub commitment_id: ID,
    /// One of its milestones (a `Milestone.id`), when the update is about
    /// that milestone alone.
    pub milestone_id: Option<ID>,
    /// The day it reports on; not after today.
    pub date: Date,
    /// How far the work has come.
    pub status: UpdateStatus,
    /// Who it comes from.
    #[graphql(default)]
    pub source: UpdateSource,
    /// What happened, in one or more languages (1 to 10,000 characters each).
    pub narrative: Vec<TextInput>,
    /// What backs it (at most 20). Without evidence the update is kept in
    /// the history but sets no completion level.
    #[graphql(default)]
    pub evidence: Vec<EvidenceInput>,
}

fn evidence_of(index: usize, input: EvidenceInput) -> Result<NewEvidence> {
    let field = |name: &str| format!("evidence[{index}].{name}");
    let source = match (input.url, input.document_id) {
        (Some(url), None) => EvidenceSource::Link(url),
        (None, Some(id)) => EvidenceSource::Document(id_of(
            &field("documentId"),
            &id,
            NodeType::EvidenceDocument,
        )?),
        _ => {
            return Err(
                AppError::bad_input(field("url"), "give either a url or a documentId").extend(),
            );
        }
    };
    Ok(NewEvidence {
        title: input.title,
        evidence_type: input.evidence_type.into(),
        dated_on: input.date.0,
        source,
    })
}

#[derive(Default)]
pub struct ImplementationUpdateMutation;

#[Object]
impl ImplementationUpdateMutation {
    /// Posts an implementation update with its evidence (admins, and the
    /// commitment's focal points).
    #[graphql(guard = "StaffOnly")]
    async fn post_implementation_update(
        &self,
        ctx: &Context<'_>,
        input: PostImplementationUpdateInput,
    ) -> Result<ImplementationUpdate> {
        let evidence = input
            .evidence
            .into_iter()
            .enumerate()
            .map(|(index, piece)| evidence_of(index, piece))
            .collect::<Result<Vec<_>>>()?;
        let new = NewUpdate {
            commitment_id: id_of("commitmentId", &input.commitment_id, NodeType::Commitment)?,
            milestone_id: input
                .milestone_id
                .map(|id| id_of("milestoneId", &id, NodeType::Milestone))
                .transpose()?,
            reported_on: input.date.0,
            status: input.status.into(),
            source: input.source.into(),
            narrative: inputs::texts("narrative", input.narrative)?,
            evidence,
        };
        let row = updates::post(super::pool(ctx)?, actor(ctx), now(ctx)?, new)
            .await
            .map_err(|err| err.extend())?;
        Ok(ImplementationUpdate(row))
    }
}
