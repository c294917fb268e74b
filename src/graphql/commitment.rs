//! Commitments: the heart of an action plan.

use super::guards::{HasRole, StaffOnly};
use crate::staff::Role;
use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject,
};
use entity::{commitment, commitment_translation};

use super::{
    action_plan::ActionPlan,
    connection::{
        ConnectionFuture, ListConnection, SHORT_LIST_COST, connection, connection_of_page,
        page_cost,
    },
    feedback::{self, Feedback, FeedbackFilter, FeedbackOrder, FeedbackSummary},
    focal_point::FocalPoint,
    institution::Institution,
    loaders::{
        ActionPlanById, CommitmentTranslations, FocalPointsOfCommitment, InstitutionById,
        MilestonesOfCommitment, PolicyAreasOfCommitment, RelatedCommitmentsOf,
        SupportInstitutionsOfCommitment,
    },
    milestone::Milestone,
    node::{NodeType, decode_as, global_id},
    policy_area::PolicyArea,
    prefetch,
    scalars::{Date, PartialDate},
};
use super::{
    awareness::{AwarenessFigures, awareness_figures},
    campaign::{Campaign, campaign_connection},
    compliance::{
        ComplianceAlert, ResponseLedger, VerifiabilityIssue, commitment_alerts, response_ledger,
    },
    implementation_update::{CompletionLevel, ImplementationUpdate, updates_connection},
    loaders::{CompletionOfCommitment, MilestoneTranslations},
    meeting::{Meeting, meeting_connection},
};
use super::{
    inputs::{self, TextInput},
    staff::{actor, id_of, now},
};
use crate::accountability::{
    ledger::Scope,
    meetings,
    updates::{self, UpdatesOf},
    verifiability,
};
use crate::awareness::Subject;
use crate::{
    catalog::{
        commitments::{self, CommitmentFilter as DomainFilter, CommitmentOrder as DomainOrder},
        pagination::{Page, PageRequest},
        vocabulary::{self, IrmCompletion as DomainCompletion},
    },
    editing::commitments as editing,
    error::{AppError, AppResult},
};

/// A commitment of a national action plan, e.g. MO0018.
pub struct Commitment(pub commitment::Model);

/// Where a commitment stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum CommitmentStatus {
    /// Part of a plan being implemented.
    Active,
    /// Implementation has ended.
    Completed,
    /// Dropped from the plan.
    Withdrawn,
}

impl From<vocabulary::CommitmentStatus> for CommitmentStatus {
    fn from(value: vocabulary::CommitmentStatus) -> Self {
        use vocabulary::CommitmentStatus as V;
        match value {
            V::Active => Self::Active,
            V::Completed => Self::Completed,
            V::Withdrawn => Self::Withdrawn,
        }
    }
}

impl From<CommitmentStatus> for vocabulary::CommitmentStatus {
    fn from(value: CommitmentStatus) -> Self {
        match value {
            CommitmentStatus::Active => Self::Active,
            CommitmentStatus::Completed => Self::Completed,
            CommitmentStatus::Withdrawn => Self::Withdrawn,
        }
    }
}

impl Commitment {
    async fn translations_of(
        &self,
        ctx: &Context<'_>,
    ) -> Result<super::loaders::Texts<commitment_translation::Model>> {
        Ok(super::loader(ctx)?
            .load_one(CommitmentTranslations(self.0.id))
            .await?
            .unwrap_or_default())
    }

    /// One translated text field, chosen by the request's language preference.
    async fn text(
        &self,
        ctx: &Context<'_>,
        field: fn(&commitment_translation::Model) -> Option<&str>,
    ) -> Result<Option<String>> {
        let translations = self.translations_of(ctx).await?;
        Ok(super::best_text(ctx, &translations, field).map(|chosen| chosen.value.to_owned()))
    }
}

/// The texts of a commitment are published per language; each text field
/// answers in the language the request prefers (the `lang` URL parameter, else
/// the `Accept-Language` header), falling back to English, then to any
/// language the text exists in. `translations` gives every language at once.
#[Object]
impl Commitment {
    /// Opaque global id.
    pub(super) async fn id(&self) -> ID {
        global_id(NodeType::Commitment, self.0.id)
    }

    /// OGP commitment code, e.g. `MO0018`.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Short title, as listed in the action plan.
    async fn title(&self, ctx: &Context<'_>) -> Result<String> {
        let translations = self.translations_of(ctx).await?;
        let record = ("commitment", self.0.id);
        let text = super::required_text(ctx, &translations, |t| Some(t.title.as_str()), record)?;
        Ok(text.value.to_owned())
    }

    /// Language of `title` in this answer (it differs from the one asked for
    /// when the fallback was used).
    async fn language(&self, ctx: &Context<'_>) -> Result<String> {
        let translations = self.translations_of(ctx).await?;
        let record = ("commitment", self.0.id);
        let text = super::required_text(ctx, &translations, |t| Some(t.title.as_str()), record)?;
        Ok(text.language)
    }

    /// Full title, as written in the commitment's description.
    async fn full_title(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.text(ctx, |t| t.full_title.as_deref()).await
    }

    /// "What is the public problem that the commitment will address?"
    async fn public_problem(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.text(ctx, |t| t.public_problem.as_deref()).await
    }

    /// "What is the commitment?"
    async fn description(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.text(ctx, |t| t.description.as_deref()).await
    }

    /// "How will the commitment contribute to solve the public problem?"
    async fn how_it_contributes(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.text(ctx, |t| t.how_it_contributes.as_deref()).await
    }

    /// "Why is this commitment relevant to OGP values?"
    async fn ogp_relevance(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.text(ctx, |t| t.ogp_relevance.as_deref()).await
    }

    /// "Additional information", as published.
    async fn additional_information(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.text(ctx, |t| t.additional_information.as_deref())
            .await
    }

    /// Every published translation of the commitment's texts.
    #[graphql(complexity = "SHORT_LIST_COST * child_complexity")]
    async fn translations(&self, ctx: &Context<'_>) -> Result<Vec<CommitmentTranslation>> {
        Ok(super::by_language(&self.translations_of(ctx).await?)
            .into_iter()
            .map(CommitmentTranslation::from)
            .collect())
    }

    /// Where the commitment stands.
    async fn status(&self) -> Result<CommitmentStatus> {
        vocabulary::CommitmentStatus::parse(&self.0.status)
            .map(CommitmentStatus::from)
            .ok_or_else(|| {
                AppError::Internal(format!(
                    "commitment {} has status {:?}",
                    self.0.id, self.0.status
                ))
                .extend()
            })
    }

    /// Start of the implementation period.
    async fn start_date(&self) -> Option<PartialDate> {
        PartialDate::from_stored(self.0.period_start.as_deref())
    }

    /// End of the implementation period.
    async fn end_date(&self) -> Option<PartialDate> {
        PartialDate::from_stored(self.0.period_end.as_deref())
    }

    /// The action plan the commitment belongs to.
    async fn action_plan(&self, ctx: &Context<'_>) -> Result<ActionPlan> {
        super::loader(ctx)?
            .load_one(ActionPlanById(self.0.action_plan_id))
            .await?
            .map(ActionPlan)
            .ok_or_else(|| {
                AppError::Internal(format!("commitment {} has no action plan", self.0.id)).extend()
            })
    }

    /// The lead implementing agency; null when the plan does not name one.
    async fn lead_institution(&self, ctx: &Context<'_>) -> Result<Option<Institution>> {
        let Some(id) = self.0.lead_institution_id else {
            return Ok(None);
        };
        Ok(super::loader(ctx)?
            .load_one(InstitutionById(id))
            .await?
            .map(Institution))
    }

    /// Supporting institutions and other actors involved.
    #[graphql(complexity = "SHORT_LIST_COST * child_complexity")]
    async fn support_institutions(&self, ctx: &Context<'_>) -> Result<Vec<Institution>> {
        Ok(super::loader(ctx)?
            .load_one(SupportInstitutionsOfCommitment(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Institution)
            .collect())
    }

    /// Policy areas, by name.
    #[graphql(complexity = "SHORT_LIST_COST * child_complexity")]
    async fn policy_areas(&self, ctx: &Context<'_>) -> Result<Vec<PolicyArea>> {
        Ok(super::loader(ctx)?
            .load_one(PolicyAreasOfCommitment(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(PolicyArea)
            .collect())
    }

    /// Milestones in their published order.
    #[graphql(complexity = "SHORT_LIST_COST * child_complexity")]
    async fn milestones(&self, ctx: &Context<'_>) -> Result<Vec<Milestone>> {
        Ok(super::loader(ctx)?
            .load_one(MilestonesOfCommitment(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Milestone)
            .collect())
    }

    /// The contacts responsible for the commitment, as published.
    #[graphql(complexity = "SHORT_LIST_COST * child_complexity")]
    async fn focal_points(&self, ctx: &Context<'_>) -> Result<Vec<FocalPoint>> {
        Ok(super::loader(ctx)?
            .load_one(FocalPointsOfCommitment(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(FocalPoint)
            .collect())
    }

    /// Commitments the plan states this one is related to, by code.
    #[graphql(complexity = "page_cost(None, None) * child_complexity")]
    async fn related_commitments(&self, ctx: &Context<'_>) -> Result<Vec<Commitment>> {
        Ok(super::loader(ctx)?
            .load_one(RelatedCommitmentsOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Commitment)
            .collect())
    }

    /// Citizens' comments on the commitment (published ones), newest first
    /// unless told otherwise; each with its replies.
    #[graphql(complexity = "page_cost(first, last) * child_complexity")]
    async fn feedback(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(default)] order_by: FeedbackOrder,
        filter: Option<FeedbackFilter>,
    ) -> Result<ListConnection<Feedback>> {
        let request = PageRequest {
            first,
            after,
            last,
            before,
        };
        feedback::commitment_feedback(ctx, self.0.id, request, order_by, filter).await
    }

    /// The commitment's feedback in figures: comments by kind, how many
    /// await an official response, how long the first response took.
    async fn feedback_summary(&self) -> FeedbackSummary {
        feedback::summary(self.0.id)
    }

    /// Communication campaigns supporting it, oldest first.
    #[graphql(
        complexity = "page_cost(first, last) * child_complexity",
        cache_control(max_age = 60)
    )]
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<ListConnection<Campaign>> {
        let request = PageRequest {
            first,
            after,
            last,
            before,
        };
        campaign_connection(ctx, crate::campaigns::of_commitment(self.0.id), request).await
    }

    /// Public awareness of it over a period (default: the 30 days ending
    /// today): reach of the campaigns supporting it, answers to the pulse, and
    /// the trend against the equal period before.
    #[graphql(complexity = 10, cache_control(max_age = 60))]
    async fn awareness(
        &self,
        ctx: &Context<'_>,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Result<AwarenessFigures> {
        awareness_figures(ctx, Subject::Commitment(self.0.id), from, to).await
    }

    /// The Independent Reporting Mechanism's assessment.
    async fn irm_review(&self) -> IrmReview {
        IrmReview::from(&self.0)
    }

    /// How far the commitment has come, as far as evidence shows: the
    /// status of its newest update with evidence (updates on one milestone
    /// set that milestone's level), or "no evidence available". Never a
    /// self-declared status without evidence behind it.
    async fn completion_level(&self, ctx: &Context<'_>) -> Result<CompletionLevel> {
        let newest = super::loader(ctx)?
            .load_one(CompletionOfCommitment(self.0.id))
            .await?;
        Ok(updates::level_of(newest.as_ref()).into())
    }

    /// Implementation updates on the commitment and its milestones, newest
    /// first (with or without evidence).
    #[graphql(
        complexity = "page_cost(first, None) * child_complexity",
        cache_control(max_age = 60)
    )]
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
        updates_connection(ctx, UpdatesOf::Commitment(self.0.id), request).await
    }

    /// What is missing for the IRM to find it verifiable (expected outputs,
    /// due dates, responsible institutions, means of verification): its own
    /// problems first, then its milestones' in order. Empty when nothing is.
    #[graphql(complexity = "SHORT_LIST_COST * child_complexity")]
    async fn verifiability_issues(&self, ctx: &Context<'_>) -> Result<Vec<VerifiabilityIssue>> {
        let translations = self.translations_of(ctx).await?;
        let loader = super::loader(ctx)?;
        let milestones = loader
            .load_one(MilestonesOfCommitment(self.0.id))
            .await?
            .unwrap_or_default();
        let milestone_translations = loader
            .load_many(milestones.iter().map(|m| MilestoneTranslations(m.id)))
            .await?
            .into_iter()
            .map(|(key, rows)| (key.0, rows.to_vec()))
            .collect();
        Ok(verifiability::commitment_issues(
            &self.0,
            &translations,
            &milestones,
            &milestone_translations,
        )
        .into_iter()
        .map(VerifiabilityIssue)
        .collect())
    }

    /// The ledger of reasoned responses to citizens' proposals on it.
    #[graphql(complexity = 10)]
    async fn response_ledger(&self, ctx: &Context<'_>) -> Result<ResponseLedger> {
        response_ledger(ctx, Scope::Commitment(self.0.id)).await
    }

    /// The dialogue meetings where it was discussed, newest first.
    #[graphql(complexity = "page_cost(first, None) * child_complexity")]
    async fn meetings(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ListConnection<Meeting>> {
        let request = PageRequest {
            first,
            after,
            ..PageRequest::default()
        };
        meeting_connection(ctx, meetings::of_commitment(self.0.id), request).await
    }

    /// What OGP's standards expect of it that is late, as of now: evidence
    /// not published for too long, comments waiting too long for a
    /// response, milestones overdue. Empty when nothing is, when it is
    /// withdrawn, or when its plan is completed.
    #[graphql(complexity = 10)]
    async fn compliance_alerts(&self, ctx: &Context<'_>) -> Result<Vec<ComplianceAlert>> {
        commitment_alerts(ctx, &self.0).await
    }

    /// The IRM evidence pack: one document with the description, milestones
    /// with their status and evidence, the update history, feedback
    /// figures and the ledger of responses (decisions and rationales,
    /// never who wrote), awareness figures, the meetings that discussed
    /// it, its compliance alerts and verifiability issues. Texts are in
    /// the request's preferred language where they exist; the section
    /// headings are always "Description", "Milestones", "Implementation
    /// updates", "Feedback and responses", "Awareness", "Meetings",
    /// "Compliance alerts" and "Verifiability", in this order. It reads
    /// much: a list of commitments can ask it for a few at most.
    #[graphql(complexity = 500)]
    async fn evidence_pack(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default_with = "ReportFormat::Markdown",
            desc = "Markdown unless told otherwise."
        )]
        format: ReportFormat,
    ) -> Result<String> {
        use crate::accountability::{compliance::ComplianceRules, report};
        let language = super::preference(ctx)
            .languages()
            .first()
            .map_or("en", |language| language.as_str());
        let settings = report::Settings {
            language,
            now: now(ctx)?,
            rules: ctx.data::<ComplianceRules>()?,
            public_url: &ctx.data::<feedback::PublicUrl>()?.0,
        };
        let pack = super::read_apart(report::gather_for(super::db(ctx)?, &self.0, &settings))
            .await
            .map_err(|err| err.extend())?;
        let format = match format {
            ReportFormat::Markdown => report::Format::Markdown,
            ReportFormat::Html => report::Format::Html,
        };
        report::render(&pack, format).map_err(|err| err.extend())
    }
}

/// The format of a document the API writes.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportFormat {
    /// Markdown (CommonMark): readable as plain text, and safe to render —
    /// what people wrote cannot turn into markup.
    #[default]
    Markdown,
    /// A complete HTML page, every text escaped.
    Html,
}

/// A commitment's texts in one language.
#[derive(SimpleObject)]
pub struct CommitmentTranslation {
    /// ISO 639-1 language code, e.g. `en`, `fr`, `ar`.
    language: String,
    /// Short title.
    title: String,
    /// Full title.
    full_title: Option<String>,
    /// "What is the public problem that the commitment will address?"
    public_problem: Option<String>,
    /// "What is the commitment?"
    description: Option<String>,
    /// "How will the commitment contribute to solve the public problem?"
    how_it_contributes: Option<String>,
    /// "Why is this commitment relevant to OGP values?"
    ogp_relevance: Option<String>,
    /// "Additional information".
    additional_information: Option<String>,
}

impl From<commitment_translation::Model> for CommitmentTranslation {
    fn from(row: commitment_translation::Model) -> Self {
        Self {
            language: row.language,
            title: row.title,
            full_title: row.full_title,
            public_problem: row.public_problem,
            description: row.description,
            how_it_contributes: row.how_it_contributes,
            ogp_relevance: row.ogp_relevance,
            additional_information: row.additional_information,
        }
    }
}

/// IRM early results ("Did it open government?" in older reports).
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum IrmEarlyResults {
    /// Government openness worsened (older reports).
    Worsened,
    /// Did not change government practice (older reports).
    DidNotChange,
    /// Marginal change (older reports).
    Marginal,
    /// Major change (older reports).
    Major,
    /// Outstanding change (older reports).
    Outstanding,
    /// No notable early results (newer reports).
    NoNotableResults,
    /// Moderate results (newer reports).
    Moderate,
    /// Significant results (newer reports).
    Significant,
}

/// IRM potential impact (older reports) or potential for results (newer).
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum IrmPotentialImpact {
    /// No potential impact (older reports).
    None,
    /// Minor potential impact (older reports).
    Minor,
    /// Moderate potential impact (older reports).
    Moderate,
    /// Transformative potential impact (older reports).
    Transformative,
    /// Unclear potential for results (newer reports).
    Unclear,
    /// Modest potential for results (newer reports).
    Modest,
    /// Substantial potential for results (newer reports).
    Substantial,
}

/// IRM completion scale.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum IrmCompletion {
    /// The IRM found no evidence to assess completion.
    NoEvidenceAvailable,
    /// Not started.
    NotStarted,
    /// Limited completion.
    Limited,
    /// Substantial completion.
    Substantial,
    /// Complete.
    Complete,
}

/// An OGP value a commitment can be relevant to.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum OgpValue {
    /// Access to information.
    AccessToInformation,
    /// Civic participation.
    CivicParticipation,
    /// Public accountability.
    PublicAccountability,
    /// Technology and innovation for transparency and accountability.
    TechnologyAndInnovation,
}

/// The IRM's assessment of a commitment. Every field is null while it is
/// "Pending IRM review", as the OGP shows it.
#[derive(SimpleObject)]
pub struct IrmReview {
    /// True while no field has been assessed yet.
    pending: bool,
    /// The IRM report the assessment comes from.
    report: Option<String>,
    /// Whether the IRM starred the commitment as exemplary.
    starred: Option<bool>,
    /// Early results of the implementation.
    early_results: Option<IrmEarlyResults>,
    /// Whether the commitment is specific enough to be verified.
    verifiable: Option<bool>,
    /// The OGP values the IRM found the commitment relevant to.
    relevant_to_ogp_values: Option<Vec<OgpValue>>,
    /// Potential impact (or potential for results) of the design.
    potential_impact: Option<IrmPotentialImpact>,
    /// How far the commitment was completed.
    completion: Option<IrmCompletion>,
}

impl From<&commitment::Model> for IrmReview {
    fn from(row: &commitment::Model) -> Self {
        use vocabulary::{IrmEarlyResults as E, IrmPotentialImpact as P, OgpValue as V};
        let early_results = row
            .irm_early_results
            .as_deref()
            .and_then(E::parse)
            .map(|v| match v {
                E::Worsened => IrmEarlyResults::Worsened,
                E::DidNotChange => IrmEarlyResults::DidNotChange,
                E::Marginal => IrmEarlyResults::Marginal,
                E::Major => IrmEarlyResults::Major,
                E::Outstanding => IrmEarlyResults::Outstanding,
                E::NoNotableResults => IrmEarlyResults::NoNotableResults,
                E::Moderate => IrmEarlyResults::Moderate,
                E::Significant => IrmEarlyResults::Significant,
            });
        let potential_impact = row
            .irm_potential_impact
            .as_deref()
            .and_then(P::parse)
            .map(|v| match v {
                P::None => IrmPotentialImpact::None,
                P::Minor => IrmPotentialImpact::Minor,
                P::Moderate => IrmPotentialImpact::Moderate,
                P::Transformative => IrmPotentialImpact::Transformative,
                P::Unclear => IrmPotentialImpact::Unclear,
                P::Modest => IrmPotentialImpact::Modest,
                P::Substantial => IrmPotentialImpact::Substantial,
            });
        let completion = row
            .irm_completion
            .as_deref()
            .and_then(DomainCompletion::parse)
            .map(|v| match v {
                DomainCompletion::NoEvidenceAvailable => IrmCompletion::NoEvidenceAvailable,
                DomainCompletion::NotStarted => IrmCompletion::NotStarted,
                DomainCompletion::Limited => IrmCompletion::Limited,
                DomainCompletion::Substantial => IrmCompletion::Substantial,
                DomainCompletion::Complete => IrmCompletion::Complete,
            });
        let relevant_to_ogp_values = row.irm_ogp_values.as_deref().and_then(|json| {
            serde_json::from_str::<Vec<String>>(json)
                .ok()
                .map(|values| {
                    values
                        .iter()
                        .filter_map(|v| V::parse(v))
                        .map(|v| match v {
                            V::AccessToInformation => OgpValue::AccessToInformation,
                            V::CivicParticipation => OgpValue::CivicParticipation,
                            V::PublicAccountability => OgpValue::PublicAccountability,
                            V::TechnologyAndInnovation => OgpValue::TechnologyAndInnovation,
                        })
                        .collect()
                })
        });
        let pending = row.irm_report.is_none()
            && row.irm_starred.is_none()
            && early_results.is_none()
            && row.irm_verifiable.is_none()
            && relevant_to_ogp_values.is_none()
            && potential_impact.is_none()
            && completion.is_none();
        Self {
            pending,
            report: row.irm_report.clone(),
            starred: row.irm_starred,
            early_results,
            verifiable: row.irm_verifiable,
            relevant_to_ogp_values,
            potential_impact,
            completion,
        }
    }
}

/// Which commitments to list; every condition given must hold.
#[derive(InputObject, Default)]
pub struct CommitmentFilter {
    /// Only commitments of this action plan (an `ActionPlan.id`).
    pub action_plan_id: Option<ID>,
    /// Only commitments in this policy area, by name (case does not matter),
    /// e.g. "E-Government".
    pub policy_area: Option<String>,
    /// Only commitments this institution leads or supports (an `Institution.id`).
    pub institution_id: Option<ID>,
    /// Only commitments with this status.
    pub status: Option<CommitmentStatus>,
    /// Text found in the code, a title or a description section, in any
    /// language; case does not matter for unaccented Latin letters.
    pub search: Option<String>,
}

impl CommitmentFilter {
    pub fn to_domain(&self) -> AppResult<DomainFilter> {
        Ok(DomainFilter {
            action_plan_id: self
                .action_plan_id
                .as_ref()
                .map(|id| decode_as("filter.actionPlanId", id, NodeType::ActionPlan))
                .transpose()?,
            policy_area: self.policy_area.clone(),
            institution_id: self
                .institution_id
                .as_ref()
                .map(|id| decode_as("filter.institutionId", id, NodeType::Institution))
                .transpose()?,
            status: self.status.map(Into::into),
            search: self.search.clone(),
        })
    }
}

/// Field a commitment list is sorted by.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum CommitmentOrderField {
    /// The OGP code (MO0001, MO0002, …).
    #[default]
    Code,
}

/// Sort direction.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderDirection {
    /// Smallest first (A to Z).
    #[default]
    Asc,
    /// Largest first (Z to A).
    Desc,
}

/// How to sort a commitment list; by code, ascending, unless told otherwise.
#[derive(InputObject, Default)]
pub struct CommitmentOrder {
    /// What to sort by.
    #[graphql(default)]
    pub field: CommitmentOrderField,
    /// Ascending or descending.
    #[graphql(default)]
    pub direction: OrderDirection,
}

impl CommitmentOrder {
    fn to_domain(&self) -> DomainOrder {
        match (self.field, self.direction) {
            (CommitmentOrderField::Code, OrderDirection::Asc) => DomainOrder::CodeAscending,
            (CommitmentOrderField::Code, OrderDirection::Desc) => DomainOrder::CodeDescending,
        }
    }
}

/// Lists commitments as a connection; used by the root query and by the
/// lists nested in action plans, institutions and policy areas, which add
/// their own condition through `scope`.
///
/// On the heap, as every connection is (see [`ConnectionFuture`]).
pub(super) fn commitment_connection<'a>(
    ctx: &'a Context<'_>,
    request: PageRequest,
    filter: Option<CommitmentFilter>,
    order: Option<CommitmentOrder>,
    scope: impl FnOnce(&mut DomainFilter) -> AppResult<()> + Send + 'a,
) -> ConnectionFuture<'a, Commitment> {
    Box::pin(async move {
        let mut domain = filter
            .unwrap_or_default()
            .to_domain()
            .map_err(|err| err.extend())?;
        scope(&mut domain).map_err(|err| err.extend())?;
        let order = order.unwrap_or_default().to_domain();
        let listing = commitments::listing(&domain, order).map_err(|err| err.extend())?;
        let look = ctx.look_ahead();
        let asks_texts = prefetch::connection_items(&look)
            .iter()
            .any(prefetch::asks_commitment_texts);
        if !asks_texts {
            return connection(ctx, listing, request, prefetch::commitments, Commitment).await;
        }
        // The page comes with its texts, a statement less than reading them after.
        let asked = super::connection::flags_asked(ctx);
        let page = commitments::translated_page(&listing, super::db(ctx)?, (&request, asked))
            .await
            .map_err(|err| err.extend())?;
        let (cursors, translated): (Vec<_>, Vec<_>) = page.items.into_iter().unzip();
        let rows = prefetch::keep_translated_commitments(super::loader(ctx)?, translated).await;
        let page = Page {
            items: cursors.into_iter().zip(rows).collect(),
            has_previous_page: page.has_previous_page,
            has_next_page: page.has_next_page,
        };
        connection_of_page(
            ctx,
            listing,
            page,
            prefetch::commitments_with_texts,
            Commitment,
        )
        .await
    })
}

/// Sets a parent's condition on a nested list's filter, refusing a client
/// filter that names a different parent.
pub(super) fn scoped(slot: &mut Option<i64>, parent: i64, field: &str) -> AppResult<()> {
    match slot {
        Some(asked) if *asked != parent => Err(AppError::bad_input(
            field,
            "conflicts with the record whose commitments are being listed",
        )),
        _ => {
            *slot = Some(parent);
            Ok(())
        }
    }
}

#[derive(Default)]
pub struct CommitmentQuery;

#[Object]
impl CommitmentQuery {
    /// A commitment by its OGP code, e.g. "MO0018"; null when there is none.
    async fn commitment(&self, ctx: &Context<'_>, code: String) -> Result<Option<Commitment>> {
        let (db, loader, look) = (super::db(ctx)?, super::loader(ctx)?, ctx.look_ahead());
        if !prefetch::asks_commitment_texts(&look) {
            let found = commitments::find_by_code(db, &code)
                .await
                .map_err(|err| err.extend())?;
            let Some(row) = found else {
                return Ok(None);
            };
            prefetch::commitments(loader, vec![row.clone()], look).await?;
            return Ok(Some(Commitment(row)));
        }
        let Some(found) = commitments::find_translated_by_code(db, &code)
            .await
            .map_err(|err| err.extend())?
        else {
            return Ok(None);
        };
        let row = found.0.clone();
        prefetch::translated_commitments(loader, vec![found], look).await?;
        Ok(Some(Commitment(row)))
    }

    /// Commitments of every action plan, as a Relay connection (keyset
    /// pagination: 25 per page unless `first`/`last` say otherwise, at most 100).
    #[graphql(complexity = "page_cost(first, last) * child_complexity")]
    async fn commitments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size when reading forwards (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Read the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size when reading backwards (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Read the items before this cursor.")] before: Option<String>,
        filter: Option<CommitmentFilter>,
        order_by: Option<CommitmentOrder>,
    ) -> Result<ListConnection<Commitment>> {
        let request = PageRequest {
            first,
            after,
            last,
            before,
        };
        commitment_connection(ctx, request, filter, order_by, |_| Ok(())).await
    }
}

/// A new commitment of an action plan.
#[derive(InputObject)]
pub struct CreateCommitmentInput {
    /// The action plan (an `ActionPlan.id`).
    pub action_plan_id: ID,
    /// OGP code, unique, e.g. `MO0025`.
    pub code: String,
    /// Where it stands; active unless said otherwise.
    #[graphql(default_with = "CommitmentStatus::Active")]
    pub status: CommitmentStatus,
    /// Its texts; a short title is required in at least one language.
    #[graphql(flatten)]
    pub texts: CommitmentTextsInput,
    /// Start of the implementation period.
    pub start_date: Option<PartialDate>,
    /// End of the implementation period.
    pub end_date: Option<PartialDate>,
    /// The lead institution (an `Institution.id`).
    pub lead_institution_id: Option<ID>,
    /// Supporting institutions.
    #[graphql(default)]
    pub support_institution_ids: Vec<ID>,
    /// Policy areas.
    #[graphql(default)]
    pub policy_area_ids: Vec<ID>,
}

/// The translatable texts of a commitment, each as `[{ language, text }]`.
#[derive(InputObject)]
pub struct CommitmentTextsInput {
    /// Short title.
    #[graphql(default)]
    pub title: Vec<TextInput>,
    /// Full title.
    #[graphql(default)]
    pub full_title: Vec<TextInput>,
    /// "What is the public problem that the commitment will address?"
    #[graphql(default)]
    pub public_problem: Vec<TextInput>,
    /// "What is the commitment?"
    #[graphql(default)]
    pub description: Vec<TextInput>,
    /// "How will the commitment contribute to solve the public problem?"
    #[graphql(default)]
    pub how_it_contributes: Vec<TextInput>,
    /// "Why is this commitment relevant to OGP values?"
    #[graphql(default)]
    pub ogp_relevance: Vec<TextInput>,
    /// "Additional information".
    #[graphql(default)]
    pub additional_information: Vec<TextInput>,
}

impl CommitmentTextsInput {
    fn into_domain(self) -> Result<editing::CommitmentTexts> {
        Ok(editing::CommitmentTexts {
            title: inputs::texts("title", self.title)?,
            full_title: inputs::texts("fullTitle", self.full_title)?,
            public_problem: inputs::texts("publicProblem", self.public_problem)?,
            description: inputs::texts("description", self.description)?,
            how_it_contributes: inputs::texts("howItContributes", self.how_it_contributes)?,
            ogp_relevance: inputs::texts("ogpRelevance", self.ogp_relevance)?,
            additional_information: inputs::texts(
                "additionalInformation",
                self.additional_information,
            )?,
        })
    }
}

/// Changes to a commitment: fields left out stay as they are; texts are set
/// for the languages given.
#[derive(InputObject)]
pub struct UpdateCommitmentInput {
    /// The commitment (a `Commitment.id`).
    pub id: ID,
    /// Where it stands.
    pub status: Option<CommitmentStatus>,
    /// Texts to set, by language; other languages are kept.
    #[graphql(flatten)]
    pub texts: CommitmentTextsInput,
    /// Start of the implementation period (`null` clears it).
    pub start_date: MaybeUndefined<PartialDate>,
    /// End of the implementation period (`null` clears it).
    pub end_date: MaybeUndefined<PartialDate>,
    /// The lead institution (admins only; `null` clears it).
    pub lead_institution_id: MaybeUndefined<ID>,
}

#[derive(Default)]
pub struct CommitmentMutation;

#[Object]
impl CommitmentMutation {
    /// Creates a commitment (admins).
    #[graphql(guard = "HasRole(Role::Admin)")]
    async fn create_commitment(
        &self,
        ctx: &Context<'_>,
        input: CreateCommitmentInput,
    ) -> Result<Commitment> {
        let new = editing::NewCommitment {
            action_plan_id: id_of("actionPlanId", &input.action_plan_id, NodeType::ActionPlan)?,
            code: input.code.trim().to_owned(),
            status: input.status.into(),
            texts: input.texts.into_domain()?,
            start_date: input.start_date.map(|d| d.0),
            end_date: input.end_date.map(|d| d.0),
            lead_institution_id: input
                .lead_institution_id
                .as_ref()
                .map(|id| id_of("leadInstitutionId", id, NodeType::Institution))
                .transpose()?,
            support_institution_ids: inputs::ids(
                "supportInstitutionIds",
                &input.support_institution_ids,
                NodeType::Institution,
            )?,
            policy_area_ids: inputs::ids(
                "policyAreaIds",
                &input.policy_area_ids,
                NodeType::PolicyArea,
            )?,
        };
        let row = editing::create(super::pool(ctx)?, actor(ctx), now(ctx)?, new)
            .await
            .map_err(|err| err.extend())?;
        Ok(Commitment(row))
    }

    /// Changes a commitment's status, dates or texts (admins, and the
    /// commitment's focal points), or its lead institution (admins).
    #[graphql(guard = "StaffOnly")]
    async fn update_commitment(
        &self,
        ctx: &Context<'_>,
        input: UpdateCommitmentInput,
    ) -> Result<Commitment> {
        let id = id_of("id", &input.id, NodeType::Commitment)?;
        let lead_institution_id = inputs::change_id(
            "leadInstitutionId",
            input.lead_institution_id,
            NodeType::Institution,
        )?;
        let changes = editing::CommitmentChanges {
            status: inputs::keep_or(input.status, Into::into),
            texts: input.texts.into_domain()?,
            start_date: inputs::change(input.start_date, |d| d.0),
            end_date: inputs::change(input.end_date, |d| d.0),
            lead_institution_id,
        };
        let row = editing::update(super::pool(ctx)?, actor(ctx), now(ctx)?, id, changes)
            .await
            .map_err(|err| err.extend())?;
        Ok(Commitment(row))
    }

    /// Makes a focal point responsible for a commitment (admins).
    #[graphql(guard = "HasRole(Role::Admin)")]
    async fn link_focal_point(
        &self,
        ctx: &Context<'_>,
        commitment_id: ID,
        focal_point_id: ID,
    ) -> Result<Commitment> {
        set_focal_point(ctx, &commitment_id, &focal_point_id, true).await
    }

    /// Removes a focal point from a commitment (admins).
    #[graphql(guard = "HasRole(Role::Admin)")]
    async fn unlink_focal_point(
        &self,
        ctx: &Context<'_>,
        commitment_id: ID,
        focal_point_id: ID,
    ) -> Result<Commitment> {
        set_focal_point(ctx, &commitment_id, &focal_point_id, false).await
    }
}

async fn set_focal_point(
    ctx: &Context<'_>,
    commitment_id: &ID,
    focal_point_id: &ID,
    link: bool,
) -> Result<Commitment> {
    let commitment_id = id_of("commitmentId", commitment_id, NodeType::Commitment)?;
    let focal_point_id = id_of("focalPointId", focal_point_id, NodeType::FocalPoint)?;
    let row = editing::set_focal_point(
        super::pool(ctx)?,
        actor(ctx),
        now(ctx)?,
        commitment_id,
        focal_point_id,
        link,
    )
    .await
    .map_err(|err| err.extend())?;
    Ok(Commitment(row))
}
