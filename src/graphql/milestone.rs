//! Milestones: a commitment's activities with verifiable deliverables.

use super::guards::StaffOnly;
use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject,
};
use entity::{milestone, milestone_translation};

use super::{
    commitment::Commitment,
    connection::SHORT_LIST_COST,
    loaders::{CommitmentById, MilestoneTranslations},
    node::{NodeType, global_id},
    scalars::PartialDate,
};
use super::{
    inputs::{self, TextInput},
    staff::{actor, id_of, now},
};
use crate::{catalog::vocabulary, editing::milestones, error::AppError};

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
    ) -> Result<Vec<milestone_translation::Model>> {
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

    /// Every published translation of the title.
    #[graphql(complexity = "SHORT_LIST_COST * child_complexity")]
    async fn translations(&self, ctx: &Context<'_>) -> Result<Vec<MilestoneTranslation>> {
        let mut translations = self.translations_of(ctx).await?;
        translations.sort_by(|a, b| a.language.cmp(&b.language));
        Ok(translations
            .into_iter()
            .map(|row| MilestoneTranslation {
                language: row.language,
                title: row.title,
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
            title: inputs::texts("title", input.title)?,
            start_date: input.start_date.map(|d| d.0),
            end_date: input.end_date.map(|d| d.0),
            status: input.status.map(Into::into),
        };
        let row = milestones::create(super::db(ctx)?, actor(ctx), now(ctx)?, new)
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
            title: inputs::texts("title", input.title)?,
            start_date: inputs::change(input.start_date, |d| d.0),
            end_date: inputs::change(input.end_date, |d| d.0),
            status: inputs::change(input.status, Into::into),
        };
        let row = milestones::update(super::db(ctx)?, actor(ctx), now(ctx)?, id, changes)
            .await
            .map_err(|err| err.extend())?;
        Ok(Milestone(row))
    }
}
