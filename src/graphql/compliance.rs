//! What OGP's rules ask of a plan, as the API shows it: verifiability
//! issues, the ledger of reasoned responses, and the compliance alerts.

use async_graphql::{Context, Enum, ErrorExtensions, Object, Result, SimpleObject};

use super::{
    commitment::Commitment, feedback::ResponseDecision, loaders::CommitmentById,
    milestone::Milestone, scalars::Date, staff::now,
};
use crate::accountability::{
    compliance::{self, AlertKind, ComplianceRules},
    ledger::{self, Ledger, Scope},
    verifiability::{Issue, Problem},
};

/// Something the IRM needs to find a commitment verifiable, and that is
/// missing.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum VerifiabilityProblem {
    /// No expected output: the deliverable (for a milestone) or what the
    /// commitment is ("What is the commitment?").
    MissingExpectedOutput,
    /// No end date.
    MissingDueDate,
    /// No responsible institution (for a milestone: neither its own nor the
    /// commitment's lead).
    MissingResponsibleInstitution,
    /// No means of verification (milestones).
    MissingMeansOfVerification,
    /// The commitment has no milestones.
    NoMilestones,
}

impl From<Problem> for VerifiabilityProblem {
    fn from(value: Problem) -> Self {
        match value {
            Problem::MissingExpectedOutput => Self::MissingExpectedOutput,
            Problem::MissingDueDate => Self::MissingDueDate,
            Problem::MissingResponsibleInstitution => Self::MissingResponsibleInstitution,
            Problem::MissingMeansOfVerification => Self::MissingMeansOfVerification,
            Problem::NoMilestones => Self::NoMilestones,
        }
    }
}

/// One thing to fix before the IRM would rate a commitment "not verifiable".
pub struct VerifiabilityIssue(pub Issue);

/// One thing to fix before the IRM would rate a commitment "not verifiable".
#[Object]
impl VerifiabilityIssue {
    /// What is missing.
    async fn problem(&self) -> VerifiabilityProblem {
        self.0.problem.into()
    }

    /// The milestone it concerns; null for the commitment itself.
    async fn milestone(&self) -> Option<Milestone> {
        self.0.milestone.clone().map(Milestone)
    }

    /// What to add, in a sentence.
    async fn message(&self) -> String {
        self.0.message()
    }
}

/// How many proposals got one decision.
#[derive(SimpleObject)]
pub struct DecisionCount {
    /// The decision.
    decision: ResponseDecision,
    /// How many proposals it stands for.
    count: u64,
}

/// The ledger of reasoned responses: what citizens proposed and what was
/// decided, each decision with its reason (on the responses themselves).
/// A proposal is a published top-level comment of a citizen; its decision
/// is the one of its newest official response.
pub struct ResponseLedger(pub Ledger);

/// The ledger of reasoned responses: what citizens proposed and what was
/// decided, each decision with its reason (on the responses themselves).
/// A proposal is a published top-level comment of a citizen; its decision
/// is the one of its newest official response.
#[Object]
impl ResponseLedger {
    /// Proposals received.
    async fn received(&self) -> u64 {
        self.0.received
    }

    /// Proposals with at least one official response.
    async fn answered(&self) -> u64 {
        self.0.answered
    }

    /// Proposals without one.
    async fn awaiting_response(&self) -> u64 {
        self.0.awaiting_response()
    }

    /// Answered proposals by decision: every decision, zeros included.
    async fn decisions(&self) -> Vec<DecisionCount> {
        self.0
            .decisions
            .iter()
            .map(|(decision, count)| DecisionCount {
                decision: (*decision).into(),
                count: *count,
            })
            .collect()
    }

    /// Median days from a proposal to its first official response; null
    /// before any answer.
    async fn median_days_to_answer(&self) -> Option<f64> {
        self.0.median_days_to_answer
    }
}

/// The ledger of `scope`.
pub(super) async fn response_ledger(ctx: &Context<'_>, scope: Scope) -> Result<ResponseLedger> {
    super::read_apart(ledger::ledger(super::db(ctx)?, scope))
        .await
        .map(ResponseLedger)
        .map_err(|err| err.extend())
}

/// What is late.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ComplianceAlertKind {
    /// No evidence of implementation published within the configured days
    /// (six months by default).
    RepositoryStale,
    /// The multi-stakeholder forum has not met within the configured days.
    NoRecentForum,
    /// Fewer implementation meetings than expected in the last 12 months.
    TooFewImplementationMeetings,
    /// Citizens' comments waiting longer than allowed for an official
    /// response.
    FeedbackAwaitingResponse,
    /// Milestones past their end date without evidence of completion.
    MilestonesOverdue,
}

impl From<AlertKind> for ComplianceAlertKind {
    fn from(value: AlertKind) -> Self {
        match value {
            AlertKind::RepositoryStale => Self::RepositoryStale,
            AlertKind::NoRecentForum => Self::NoRecentForum,
            AlertKind::TooFewImplementationMeetings => Self::TooFewImplementationMeetings,
            AlertKind::FeedbackAwaitingResponse => Self::FeedbackAwaitingResponse,
            AlertKind::MilestonesOverdue => Self::MilestonesOverdue,
        }
    }
}

/// Something OGP's Participation & Co-Creation Standards expect that is
/// late, computed from the data as of now.
pub struct ComplianceAlert(pub compliance::Alert);

/// Something OGP's Participation & Co-Creation Standards expect that is
/// late, computed from the data as of now.
#[Object]
impl ComplianceAlert {
    /// What is late.
    async fn kind(&self) -> ComplianceAlertKind {
        self.0.kind.into()
    }

    /// A sentence for people.
    async fn message(&self) -> &str {
        &self.0.message
    }

    /// The commitment concerned; null for the action plan as a whole.
    async fn commitment(&self, ctx: &Context<'_>) -> Result<Option<Commitment>> {
        let Some((id, _)) = &self.0.commitment else {
            return Ok(None);
        };
        Ok(super::loader(ctx)?
            .load_one(CommitmentById(*id))
            .await?
            .map(Commitment))
    }

    /// How many items it concerns (comments waiting, milestones overdue,
    /// implementation meetings held in the last 12 months).
    async fn count(&self) -> Option<u64> {
        self.0.count
    }

    /// The first day the threshold was crossed, when known.
    async fn since(&self) -> Option<Date> {
        self.0.since.map(Date)
    }
}

fn rules<'a>(ctx: &Context<'a>) -> Result<&'a ComplianceRules> {
    ctx.data::<ComplianceRules>()
}

/// The alerts of one commitment.
pub(super) async fn commitment_alerts(
    ctx: &Context<'_>,
    row: &entity::commitment::Model,
) -> Result<Vec<ComplianceAlert>> {
    let reads = compliance::of_commitment(super::db(ctx)?, rules(ctx)?, now(ctx)?, row);
    let alerts = super::read_apart(reads).await.map_err(|err| err.extend())?;
    Ok(alerts.into_iter().map(ComplianceAlert).collect())
}

/// The alerts of an action plan and of its commitments.
pub(super) async fn action_plan_alerts(
    ctx: &Context<'_>,
    plan: &entity::action_plan::Model,
) -> Result<Vec<ComplianceAlert>> {
    let reads = compliance::of_action_plan(super::db(ctx)?, rules(ctx)?, now(ctx)?, plan);
    let alerts = super::read_apart(reads).await.map_err(|err| err.extend())?;
    Ok(alerts.into_iter().map(ComplianceAlert).collect())
}
