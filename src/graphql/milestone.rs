//! Milestones: a commitment's activities with verifiable deliverables.

use super::guards::StaffOnly;
use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject,
};
use entity::{milestone, milestone_translation};

use super::{
    commitment::Commitment,
    compliance::VerifiabilityIssue,
    connection::{ListConnection, SHORT_LIST_COST, page_cost},
    implementation_update::{CompletionLevel, ImplementationUpdate, updates_connection},
    institution::Institution,
    loaders::{CommitmentById, CompletionOfMilestone, InstitutionById, MilestoneTranslations},
    node::{NodeType, global_id},
    scalars::PartialDate,
};
use super::{
    inputs::{self, TextInput},
    staff::{actor, id_of, now},
};
use crate::{
    accountability::{
        updates::{self, UpdatesOf},
        verifiability,
    },
    catalog::{pagination::PageRequest, vocabulary},
    editing::milestones,
    error::AppError,
};

pub struct Milestone(pub milestone::Model);

/// Reported progress of a milestone.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum MilestoneStatus {
    /// Work has not started.
    NotStarted,
    /// Work is under way.
    InProgress,
    /// The deliverable is done.
    Completed,
}

impl From<MilestoneStatus> for vocabulary::MilestoneStatus {
    fn from(value: MilestoneStatus) -> Self {
        match value {
            MilestoneStatus::NotStarted => Self::NotStarted,
            MilestoneStatus::InProgress => Self::InProgress,
            MilestoneStatus::Completed => Self::Completed,
        }
    }
}

impl Milestone {
    async fn translations_of(
        &self,
        ctx: &Context<'_>,
    ) -> Result<super::loaders::Texts<milestone_translation::Model>> {
        Ok(super::loader(ctx)?
            .load_one(MilestoneTranslations(self.0.id))
            .await?
            .unwrap_or_default())
    }
}

/// An activity with a verifiable deliverable, with its planned period.
#[Object]
impl Milestone {
    /// Opaque global id.
    pub(super) async fn id(&self) -> ID {
        global_id(NodeType::Milestone, self.0.id)
    }

    /// 1-based order within the commitment, as published.
    async fn position(&self) -> i32 {
        self.0.position
    }

    /// The activity and its verifiable deliverable, in the request's language
    /// (with the same fallback as every translated text).
    async fn title(&self, ctx: &Context<'_>) -> Result<String> {
        let translations = self.translations_of(ctx).await?;
        let record = ("milestone", self.0.id);
        let text = super::required_text(ctx, &translations, |t| Some(t.title.as_str()), record)?;
        Ok(text.value.to_owned())
    }

    /// Language of `title` in this answer.
    async fn language(&self, ctx: &Context<'_>) -> Result<String> {
        let translations = self.translations_of(ctx).await?;
        let record = ("milestone", self.0.id);
        let text = super::required_text(ctx, &translations, |t| Some(t.title.as_str()), record)?;
        Ok(text.language)
    }

    /// Every published translation of the milestone's texts.
    #[graphql(complexity = "SHORT_LIST_COST * child_complexity")]
    async fn translations(&self, ctx: &Context<'_>) -> Result<Vec<MilestoneTranslation>> {
        Ok(super::by_language(&self.translations_of(ctx).await?)
            .into_iter()
            .map(|row| MilestoneTranslation {
                language: row.language,
                title: row.title,
                expected_output: row.expected_output,
                means_of_verification: row.means_of_verification,
            })
            .collect())
    }

    /// Planned start, at the precision published.
    async fn start_date(&self) -> Option<PartialDate> {
        PartialDate::from_stored(self.0.start_date.as_deref())
    }

    /// Planned end, at the precision published.
    async fn end_date(&self) -> Option<PartialDate> {
        PartialDate::from_stored(self.0.end_date.as_deref())
    }

    /// Null when the government has not reported progress.
    async fn status(&self) -> Option<MilestoneStatus> {
        use vocabulary::MilestoneStatus as V;
        self.0
            .status
            .as_deref()
            .and_then(V::parse)
            .map(|status| match status {
                V::NotStarted => MilestoneStatus::NotStarted,
                V::InProgress => MilestoneStatus::InProgress,
                V::Completed => MilestoneStatus::Completed,
            })
    }

    /// The deliverable that shows it done, in the request's language.
    async fn expected_output(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let translations = self.translations_of(ctx).await?;
        Ok(
            super::best_text(ctx, &translations, |t| t.expected_output.as_deref())
                .map(|chosen| chosen.value.to_owned()),
        )
    }

    /// How anyone can check that it was delivered, in the request's
    /// language.
    async fn means_of_verification(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let translations = self.translations_of(ctx).await?;
        Ok(
            super::best_text(ctx, &translations, |t| t.means_of_verification.as_deref())
                .map(|chosen| chosen.value.to_owned()),
        )
    }

    /// The institution responsible for it, when named for the milestone
    /// itself (otherwise the commitment's lead institution is).
    async fn responsible_institution(&self, ctx: &Context<'_>) -> Result<Option<Institution>> {
        let Some(id) = self.0.responsible_institution_id else {
            return Ok(None);
        };
        Ok(super::loader(ctx)?
            .load_one(InstitutionById(id))
            .await?
            .map(Institution))
    }

    /// What is missing for the IRM to find it verifiable; empty when
    /// nothing is.
    #[graphql(complexity = "SHORT_LIST_COST * child_complexity")]
    async fn verifiability_issues(&self, ctx: &Context<'_>) -> Result<Vec<VerifiabilityIssue>> {
        let translations = self.translations_of(ctx).await?;
        let lead = super::loader(ctx)?
            .load_one(CommitmentById(self.0.commitment_id))
            .await?
            .and_then(|commitment| commitment.lead_institution_id);
        Ok(
            verifiability::milestone_problems(&self.0, &translations, lead)
                .into_iter()
                .map(|problem| {
                    VerifiabilityIssue(verifiability::Issue {
                        problem,
                        milestone: Some(self.0.clone()),
                    })
                })
                .collect(),
        )
    }

    /// How far it has come, as far as evidence shows: the status of its
    /// newest update with evidence, or "no evidence available".
    async fn completion_level(&self, ctx: &Context<'_>) -> Result<CompletionLevel> {
        let newest = super::loader(ctx)?
            .load_one(CompletionOfMilestone(self.0.id))
            .await?;
        Ok(updates::level_of(newest.as_ref()).into())
    }

    /// Implementation updates on it, newest first (with or without
    /// evidence).
    #[graphql(complexity = "page_cost(first, None) * child_complexity")]
    async fn implementation_updates(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ListConnection<ImplementationUpdate>> {
        let request = PageRequest {
            first,
            after,
            ..PageRequest::default()
        };
        updates_connection(ctx, UpdatesOf::Milestone(self.0.id), request).await
    }

    /// The commitment the milestone belongs to.
    async fn commitment(&self, ctx: &Context<'_>) -> Result<Commitment> {
        super::loader(ctx)?
            .load_one(CommitmentById(self.0.commitment_id))
            .await?
            .map(Commitment)
            .ok_or_else(|| {
                AppError::Internal(format!("milestone {} has no commitment", self.0.id)).extend()
            })
    }
}

/// A milestone's title in one language.
#[derive(SimpleObject)]
pub struct MilestoneTranslation {
    /// ISO 639-1 language code.
    language: String,
    /// The title in that language.
    title: String,
    /// The expected output in that language.
    expected_output: Option<String>,
    /// The means of verification in that language.
    means_of_verification: Option<String>,
}

/// A new milestone, appended after the commitment's last one.
#[derive(InputObject)]
pub struct CreateMilestoneInput {
    /// The commitment (a `Commitment.id`).
    pub commitment_id: ID,
    /// The activity with a verifiable deliverable, in one or more languages.
    pub title: Vec<TextInput>,
    /// Planned start.
    pub start_date: Option<PartialDate>,
    /// Planned end; not before the start.
    pub end_date: Option<PartialDate>,
    /// Progress, when reported.
    pub status: Option<MilestoneStatus>,
    /// The deliverable that shows it done, in the languages of the title.
    #[graphql(default)]
    pub expected_output: Vec<TextInput>,
    /// How anyone can check that it was delivered, in the languages of the
    /// title.
    #[graphql(default)]
    pub means_of_verification: Vec<TextInput>,
    /// The institution responsible, when not the commitment's lead (an
    /// `Institution.id`).
    pub responsible_institution_id: Option<ID>,
}

/// Changes to a milestone: fields left out stay as they are; `null` clears
/// a date or the status.
#[derive(InputObject)]
pub struct UpdateMilestoneInput {
    /// The milestone (a `Milestone.id`).
    pub id: ID,
    /// Titles to set, by language; other languages are kept.
    #[graphql(default)]
    pub title: Vec<TextInput>,
    /// Planned start.
    pub start_date: MaybeUndefined<PartialDate>,
    /// Planned end.
    pub end_date: MaybeUndefined<PartialDate>,
    /// Progress.
    pub status: MaybeUndefined<MilestoneStatus>,
    /// Expected outputs to set, by language (a language the milestone has no
    /// title in needs one); other languages are kept.
    #[graphql(default)]
    pub expected_output: Vec<TextInput>,
    /// Means of verification to set, by language; other languages are kept.
    #[graphql(default)]
    pub means_of_verification: Vec<TextInput>,
    /// The institution responsible (an `Institution.id`); `null` leaves it to
    /// the commitment's lead.
    pub responsible_institution_id: MaybeUndefined<ID>,
}

#[derive(Default)]
pub struct MilestoneMutation;

#[Object]
impl MilestoneMutation {
    /// Adds a milestone to a commitment (admins, and the commitment's focal
    /// points).
    #[graphql(guard = "StaffOnly")]
    async fn create_milestone(
        &self,
        ctx: &Context<'_>,
        input: CreateMilestoneInput,
    ) -> Result<Milestone> {
        let new = milestones::NewMilestone {
            commitment_id: id_of("commitmentId", &input.commitment_id, NodeType::Commitment)?,
            texts: milestones::MilestoneTexts {
                title: inputs::texts("title", input.title)?,
                expected_output: inputs::texts("expectedOutput", input.expected_output)?,
                means_of_verification: inputs::texts(
                    "meansOfVerification",
                    input.means_of_verification,
                )?,
            },
            start_date: input.start_date.map(|d| d.0),
            end_date: input.end_date.map(|d| d.0),
            status: input.status.map(Into::into),
            responsible_institution_id: input
                .responsible_institution_id
                .map(|id| id_of("responsibleInstitutionId", &id, NodeType::Institution))
                .transpose()?,
        };
        let row = milestones::create(super::pool(ctx)?, actor(ctx), now(ctx)?, new)
            .await
            .map_err(|err| err.extend())?;
        Ok(Milestone(row))
    }

    /// Changes a milestone's title, dates or status (admins, and the focal
    /// points of its commitment).
    #[graphql(guard = "StaffOnly")]
    async fn update_milestone(
        &self,
        ctx: &Context<'_>,
        input: UpdateMilestoneInput,
    ) -> Result<Milestone> {
        let id = id_of("id", &input.id, NodeType::Milestone)?;
        let changes = milestones::MilestoneChanges {
            texts: milestones::MilestoneTexts {
                title: inputs::texts("title", input.title)?,
                expected_output: inputs::texts("expectedOutput", input.expected_output)?,
                means_of_verification: inputs::texts(
                    "meansOfVerification",
                    input.means_of_verification,
                )?,
            },
            start_date: inputs::change(input.start_date, |d| d.0),
            end_date: inputs::change(input.end_date, |d| d.0),
            status: inputs::change(input.status, Into::into),
            responsible_institution_id: inputs::change_id(
                "responsibleInstitutionId",
                input.responsible_institution_id,
                NodeType::Institution,
            )?,
        };
        let row = milestones::update(super::pool(ctx)?, actor(ctx), now(ctx)?, id, changes)
            .await
            .map_err(|err| err.extend())?;
        Ok(Milestone(row))
    }
}
