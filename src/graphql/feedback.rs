//! Citizens' feedback: submitting, reading, official responses. No type
//! here has a field that could carry a commenter's email.

use std::{collections::BTreeMap, sync::Arc};

use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, InputType, Object, Result, SimpleObject,
    Subscription,
};
use chrono::{DateTime, Utc};
use entity::feedback as row;
use futures_util::{Stream, StreamExt};

use super::{
    RequestLoader,
    commitment::Commitment,
    connection::{
        ConnectionFuture, ListConnection, TotalCount, connection, connection_of_page, no_prefetch,
        page_cost,
    },
    guards::{HasRole, StaffOnly},
    inputs,
    loaders::{
        AwaitingResponseOn, CommentCountsByKind, CommitmentById, FirstFeedbackPage, FocalPointById,
        MilestoneById, NewestResponseTo, StaffAccountById,
    },
    milestone::Milestone,
    node::{NodeType, global_id},
    staff::{actor, id_of, now},
};
use crate::{
    accountability::ledger,
    catalog::{pagination::PageRequest, vocabulary},
    error::AppError,
    feedback::{
        Visitor,
        events::FeedbackEvents,
        moderation::{self, Decision},
        reactions,
        read::{
            self, Audience, FeedbackFilter as DomainFilter, FeedbackOrder as DomainOrder, Thread,
        },
        responses,
        submit::{self, FeedbackRules, Submission, Submitted},
    },
    metrics::{Metrics, SubscriptionGuard},
    ratelimit::RateLimiter,
    staff::Role,
};

/// What a piece of feedback is.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum FeedbackKind {
    /// A comment.
    Comment,
    /// A question to the government.
    Question,
    /// A suggestion.
    Suggestion,
    /// A concern.
    Concern,
}

/// A citizen's stance on the commitment.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum Stance {
    /// In favour of the commitment.
    InFavour,
    /// Neither for nor against.
    Neutral,
    /// Against it.
    Against,
}

/// What happened to a submission.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionStatus {
    /// Visible to everyone now.
    Published,
    /// Waiting for a moderator (the action plan is pre-moderated).
    Queued,
}

/// Where a piece of feedback stands in moderation.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ModerationState {
    /// Visible to everyone.
    Published,
    /// Waiting for approval (pre-moderated plan).
    Queued,
    /// Out of sight pending review (reported, or hidden by a moderator).
    Hidden,
    /// Rejected as spam.
    Rejected,
}

/// Why a visitor reports feedback.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ReportReason {
    /// Advertising or automated junk.
    Spam,
    /// Insulting, hateful or threatening.
    Offensive,
    /// Not about the commitment.
    OffTopic,
    /// Reveals someone's personal data.
    PersonalData,
}

/// What a moderator decides about a piece of feedback.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ModerationAction {
    /// Publish a queued or hidden item.
    Approve,
    /// Take an item out of sight (its replies are kept).
    Hide,
    /// Reject as spam.
    RejectAsSpam,
    /// Bring back a hidden or rejected item.
    Restore,
}

/// What an official response decided on a citizen's input.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ResponseDecision {
    /// Taken up as proposed.
    Adopted,
    /// Taken up in part.
    PartlyAdopted,
    /// Not taken up; the rationale says why.
    NotAdopted,
    /// Not decided yet.
    UnderConsideration,
    /// Outside what the commitment can do; the rationale says why.
    OutOfScope,
}

impl From<vocabulary::ResponseDecision> for ResponseDecision {
    fn from(value: vocabulary::ResponseDecision) -> Self {
        use vocabulary::ResponseDecision as V;
        match value {
            V::Adopted => Self::Adopted,
            V::PartlyAdopted => Self::PartlyAdopted,
            V::NotAdopted => Self::NotAdopted,
            V::UnderConsideration => Self::UnderConsideration,
            V::OutOfScope => Self::OutOfScope,
        }
    }
}

impl From<ResponseDecision> for vocabulary::ResponseDecision {
    fn from(value: ResponseDecision) -> Self {
        match value {
            ResponseDecision::Adopted => Self::Adopted,
            ResponseDecision::PartlyAdopted => Self::PartlyAdopted,
            ResponseDecision::NotAdopted => Self::NotAdopted,
            ResponseDecision::UnderConsideration => Self::UnderConsideration,
            ResponseDecision::OutOfScope => Self::OutOfScope,
        }
    }
}

/// Order of a feedback list.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum FeedbackOrder {
    /// Newest first.
    #[default]
    Newest,
    /// Oldest first.
    Oldest,
    /// Most supported first (newest first among equals).
    MostSupported,
}

impl From<FeedbackKind> for vocabulary::FeedbackKind {
    fn from(kind: FeedbackKind) -> Self {
        match kind {
            FeedbackKind::Comment => Self::Comment,
            FeedbackKind::Question => Self::Question,
            FeedbackKind::Suggestion => Self::Suggestion,
            FeedbackKind::Concern => Self::Concern,
        }
    }
}

impl FeedbackKind {
    fn from_stored(text: &str) -> Self {
        match vocabulary::FeedbackKind::parse(text) {
            Some(vocabulary::FeedbackKind::Question) => Self::Question,
            Some(vocabulary::FeedbackKind::Suggestion) => Self::Suggestion,
            Some(vocabulary::FeedbackKind::Concern) => Self::Concern,
            _ => Self::Comment,
        }
    }
}

impl From<Stance> for vocabulary::Stance {
    fn from(stance: Stance) -> Self {
        match stance {
            Stance::InFavour => Self::InFavour,
            Stance::Neutral => Self::Neutral,
            Stance::Against => Self::Against,
        }
    }
}

/// A citizen's comment, question, suggestion or concern, or an official
/// response to one.
pub struct Feedback(pub row::Model);

/// A piece of public feedback. The author's email is never part of it.
#[Object]
impl Feedback {
    /// Opaque global id.
    pub(super) async fn id(&self) -> ID {
        global_id(NodeType::Feedback, self.0.id)
    }

    /// What it is.
    async fn kind(&self) -> FeedbackKind {
        FeedbackKind::from_stored(&self.0.kind)
    }

    /// The author's stance on the commitment, if they gave one.
    async fn stance(&self) -> Option<Stance> {
        use vocabulary::Stance as V;
        self.0
            .stance
            .as_deref()
            .and_then(V::parse)
            .map(|stance| match stance {
                V::InFavour => Stance::InFavour,
                V::Neutral => Stance::Neutral,
                V::Against => Stance::Against,
            })
    }

    /// The text, exactly as written: plain text, never HTML.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// The language the author wrote in, when they said.
    async fn language(&self) -> Option<&str> {
        self.0.language.as_deref()
    }

    /// The name the author chose to show; null for anonymous feedback.
    async fn author_name(&self) -> Option<&str> {
        self.0.author_name.as_deref()
    }

    /// When it was posted.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// True for an official response of the government.
    async fn official(&self) -> bool {
        self.0.official
    }

    /// Who responded, for an official response.
    async fn responder(&self, ctx: &Context<'_>) -> Result<Option<OfficialResponder>> {
        match self.0.responder_staff_id.filter(|_| self.0.official) {
            Some(staff_id) => official_responder(ctx, staff_id).await,
            None => Ok(None),
        }
    }

    /// What was decided on the citizen's input: on an official response, its
    /// own decision; on a citizen's comment, that of its newest official
    /// response (null while unanswered).
    async fn decision(&self, ctx: &Context<'_>) -> Result<Option<ResponseDecision>> {
        Ok(self
            .deciding_response(ctx)
            .await?
            .map(|response| ResponseDecision::from(ledger::decision_of(&response))))
    }

    /// Why it was decided so (null while under consideration without one).
    async fn rationale(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(self
            .deciding_response(ctx)
            .await?
            .and_then(|response| response.response_rationale))
    }

    /// How many visitors support it.
    async fn support_count(&self) -> i64 {
        self.0.support_count
    }

    /// Where it stands in moderation; shown to moderators and admins only
    /// (null for everyone else).
    async fn moderation_state(&self, ctx: &Context<'_>) -> Option<ModerationState> {
        let principal = actor(ctx).staff().ok()?;
        if !(principal.has(Role::Moderator) || principal.has(Role::Admin)) {
            return None;
        }
        Some(match vocabulary::FeedbackStatus::parse(&self.0.status) {
            Some(vocabulary::FeedbackStatus::Queued) => ModerationState::Queued,
            Some(vocabulary::FeedbackStatus::Hidden) => ModerationState::Hidden,
            Some(vocabulary::FeedbackStatus::Rejected) => ModerationState::Rejected,
            _ => ModerationState::Published,
        })
    }

    /// 0 for a comment, 1 for a reply, 2 for a reply to a reply.
    async fn depth(&self) -> i32 {
        self.0.depth
    }

    /// The commitment it is about.
    async fn commitment(&self, ctx: &Context<'_>) -> Result<Commitment> {
        super::loader(ctx)?
            .load_one(CommitmentById(self.0.commitment_id))
            .await?
            .map(Commitment)
            .ok_or_else(|| AppError::Internal("feedback without commitment".to_owned()).extend())
    }

    /// The milestone it is about, if the author chose one.
    async fn milestone(&self, ctx: &Context<'_>) -> Result<Option<Milestone>> {
        let Some(id) = self.0.milestone_id else {
            return Ok(None);
        };
        Ok(super::loader(ctx)?
            .load_one(MilestoneById(id))
            .await?
            .map(Milestone))
    }

    /// Published replies, oldest first unless told otherwise.
    #[graphql(complexity = "page_cost(first, last) * child_complexity")]
    async fn replies(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(default_with = "FeedbackOrder::Oldest")] order_by: FeedbackOrder,
    ) -> Result<ListConnection<Feedback>> {
        let request = PageRequest {
            first,
            after,
            last,
            before,
        };
        let listing = read::listing(
            Thread::Replies(self.0.id),
            &DomainFilter::default(),
            order(order_by),
            audience(ctx),
        );
        connection(ctx, listing, request, no_prefetch, Feedback).await
    }
}

/// Moderators and admins see every item; everyone else published ones.
impl Feedback {
    /// The official response whose decision stands for this item.
    async fn deciding_response(&self, ctx: &Context<'_>) -> Result<Option<row::Model>> {
        if self.0.official {
            return Ok(Some(self.0.clone()));
        }
        super::loader(ctx)?
            .load_one(NewestResponseTo(self.0.id))
            .await
    }
}

/// The staff member `staff_id` as the public sees an official: name, title
/// and institution (never an email).
pub(super) async fn official_responder(
    ctx: &Context<'_>,
    staff_id: i64,
) -> Result<Option<OfficialResponder>> {
    let loader = super::loader(ctx)?;
    let Some(account) = loader.load_one(StaffAccountById(staff_id)).await? else {
        return Ok(None);
    };
    let focal_point = match account.focal_point_id {
        Some(id) => loader.load_one(FocalPointById(id)).await?,
        None => None,
    };
    Ok(Some(OfficialResponder {
        name: account.name,
        title: focal_point.as_ref().and_then(|f| f.title.clone()),
        institution: focal_point.and_then(|f| f.department),
    }))
}

fn audience(ctx: &Context<'_>) -> Audience {
    audience_of(actor(ctx))
}

/// What feedback `actor` may see.
pub(super) fn audience_of(actor: &crate::staff::Actor) -> Audience {
    match actor.staff() {
        Ok(principal) if principal.has(Role::Moderator) || principal.has(Role::Admin) => {
            Audience::Moderators
        }
        _ => Audience::Public,
    }
}

fn order(order: FeedbackOrder) -> DomainOrder {
    match order {
        FeedbackOrder::Newest => DomainOrder::Newest,
        FeedbackOrder::Oldest => DomainOrder::Oldest,
        FeedbackOrder::MostSupported => DomainOrder::MostSupported,
    }
}

/// The government official behind a response.
#[derive(SimpleObject)]
pub struct OfficialResponder {
    /// Their name.
    name: String,
    /// Their title, as published for the focal point.
    title: Option<String>,
    /// Their institution or department.
    institution: Option<String>,
}

/// Which feedback to list.
#[derive(InputObject, Default)]
pub struct FeedbackFilter {
    /// Only this kind.
    pub kind: Option<FeedbackKind>,
    /// Only comments still awaiting (true) or already having (false) an
    /// official response.
    pub awaiting_response: Option<bool>,
}

/// Feedback on a commitment, as a connection (the commitment's comments;
/// replies hang below each).
pub(super) fn commitment_feedback<'a>(
    ctx: &'a Context<'_>,
    commitment_id: i64,
    request: PageRequest,
    order_by: FeedbackOrder,
    filter: Option<FeedbackFilter>,
) -> ConnectionFuture<'a, Feedback> {
    Box::pin(async move {
        let filter = filter.unwrap_or_default();
        let domain = DomainFilter {
            kind: filter.kind.map(Into::into),
            awaiting_response: filter.awaiting_response,
        };
        let listing = read::listing(
            Thread::Commitment(commitment_id),
            &domain,
            order(order_by),
            audience(ctx),
        );
        let shared_total = shared_total_count(commitment_id, &domain, audience(ctx));
        // A first page (the usual case, e.g. the newest comments of each
        // commitment in a list) is read with the same page of its siblings.
        if let Some(size) = request.first_page_size().map_err(|err| err.extend())? {
            let key = FirstFeedbackPage {
                commitment_id,
                size,
                filter: domain,
                order: order(order_by),
            };
            let page = super::loader(ctx)?.load_one(key).await?.ok_or_else(|| {
                AppError::Internal("a first page went missing".to_owned()).extend()
            })?;
            let connection = connection_of_page(ctx, listing, page, no_prefetch, Feedback).await?;
            return Ok(counted_by(connection, shared_total));
        }
        let connection = connection(ctx, listing, request, no_prefetch, Feedback).await?;
        Ok(counted_by(connection, shared_total))
    })
}

/// `connection`, with its `totalCount` read as `total` when given.
fn counted_by(
    mut connection: ListConnection<Feedback>,
    total: Option<TotalCount>,
) -> ListConnection<Feedback> {
    if let Some(total) = total {
        connection.additional_fields = total;
    }
    connection
}

/// A figure of a commitment's [`FeedbackSummary`] that is also the
/// `totalCount` of one of its comment lists: read once for both fields, and
/// for every commitment of a list at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SharedCount {
    /// Published comments, of one kind or all.
    ByKind(Option<&'static str>),
    /// Published citizens' comments awaiting an official response.
    AwaitingResponse,
}

impl SharedCount {
    /// The figure that counts the comments `audience` sees through
    /// `filter`, if one does: the public's lists, unfiltered, of one kind,
    /// or awaiting a response. Other lists count their own rows.
    pub(super) fn of_list(filter: &DomainFilter, audience: Audience) -> Option<Self> {
        if audience != Audience::Public {
            return None;
        }
        match (filter.kind, filter.awaiting_response) {
            (kind, None) => Some(Self::ByKind(kind.map(|kind| kind.as_str()))),
            (None, Some(true)) => Some(Self::AwaitingResponse),
            _ => None,
        }
    }

    async fn read(self, loader: &RequestLoader, commitment_id: i64) -> Result<u64> {
        Ok(match self {
            Self::ByKind(kind) => {
                let counts = comment_counts_by_kind(loader, commitment_id).await?;
                match kind {
                    Some(kind) => counts.get(kind).copied().unwrap_or(0),
                    None => counts.values().sum(),
                }
            }
            Self::AwaitingResponse => loader
                .load_one(AwaitingResponseOn(commitment_id))
                .await?
                .unwrap_or(0),
        })
    }
}

/// A commitment's published comments by kind, through the request's loader.
async fn comment_counts_by_kind(
    loader: &RequestLoader,
    commitment_id: i64,
) -> Result<BTreeMap<String, u64>> {
    Ok(loader
        .load_one(CommentCountsByKind(commitment_id))
        .await?
        .unwrap_or_default())
}

/// The `totalCount` of a commitment's comment list counted by a
/// [`SharedCount`], when one does.
fn shared_total_count(
    commitment_id: i64,
    filter: &DomainFilter,
    audience: Audience,
) -> Option<TotalCount> {
    let shared = SharedCount::of_list(filter, audience)?;
    Some(TotalCount::loaded(move |loader| {
        Box::pin(shared.read(loader, commitment_id))
    }))
}

/// The first page a `feedback` field selected below a list of commitments
/// asks for (its arguments read as the resolver will read them); `None`
/// when it asks for another page or is malformed (the resolver then
/// reports it).
pub(super) fn first_page_shape(
    field: &async_graphql::SelectionField<'_>,
) -> Option<FirstFeedbackPage> {
    let arguments = field.arguments().ok()?;
    let argument = |name: &str| {
        arguments
            .iter()
            .find(|(argument, _)| argument.as_str() == name)
            .map(|(_, value)| value.clone())
    };
    let request = PageRequest {
        first: <Option<i32> as InputType>::parse(argument("first")).ok()?,
        after: <Option<String> as InputType>::parse(argument("after")).ok()?,
        last: <Option<i32> as InputType>::parse(argument("last")).ok()?,
        before: <Option<String> as InputType>::parse(argument("before")).ok()?,
    };
    let size = request.first_page_size().ok()??;
    let order_by = match argument("orderBy") {
        Some(value) => <FeedbackOrder as InputType>::parse(Some(value)).ok()?,
        None => FeedbackOrder::default(),
    };
    let filter = <Option<FeedbackFilter> as InputType>::parse(argument("filter"))
        .ok()?
        .unwrap_or_default();
    Some(FirstFeedbackPage {
        commitment_id: 0,
        size,
        filter: DomainFilter {
            kind: filter.kind.map(Into::into),
            awaiting_response: filter.awaiting_response,
        },
        order: order(order_by),
    })
}

/// A commitment's feedback in figures. Each figure is read when asked for:
/// a page showing the counts does not pay for the response times. The counts
/// go through the request's loader, so that a list of commitments showing
/// them costs one statement per figure, and `total`, `byKind` and the
/// public's unfiltered `feedback.totalCount` share one.
pub struct FeedbackSummary {
    commitment_id: i64,
}

impl FeedbackSummary {
    async fn by_kind_counts(&self, ctx: &Context<'_>) -> Result<BTreeMap<String, u64>> {
        comment_counts_by_kind(super::loader(ctx)?, self.commitment_id).await
    }
}

/// A commitment's feedback in figures.
#[Object]
impl FeedbackSummary {
    /// Published comments (replies not counted).
    async fn total(&self, ctx: &Context<'_>) -> Result<u64> {
        SharedCount::ByKind(None)
            .read(super::loader(ctx)?, self.commitment_id)
            .await
    }

    /// Published comments by kind.
    async fn by_kind(&self, ctx: &Context<'_>) -> Result<Vec<KindCount>> {
        Ok(self
            .by_kind_counts(ctx)
            .await?
            .iter()
            .map(|(kind, count)| KindCount {
                kind: FeedbackKind::from_stored(kind),
                count: *count,
            })
            .collect())
    }

    /// Citizens' comments still without an official response.
    async fn awaiting_response(&self, ctx: &Context<'_>) -> Result<u64> {
        SharedCount::AwaitingResponse
            .read(super::loader(ctx)?, self.commitment_id)
            .await
    }

    /// Seconds from the first comment to the first official response; null
    /// until there is one.
    async fn seconds_to_first_response(&self, ctx: &Context<'_>) -> Result<Option<i64>> {
        read::seconds_to_first_response(super::db(ctx)?, self.commitment_id)
            .await
            .map_err(|err| err.extend())
    }
}

/// How many comments of one kind.
#[derive(SimpleObject)]
pub struct KindCount {
    /// The kind.
    kind: FeedbackKind,
    /// How many.
    count: u64,
}

pub(super) fn summary(commitment_id: i64) -> FeedbackSummary {
    FeedbackSummary { commitment_id }
}

/// A citizen's feedback on a commitment.
#[derive(InputObject)]
pub struct SubmitFeedbackInput {
    /// The commitment (a `Commitment.id`).
    pub commitment_id: ID,
    /// One of its milestones, to comment on that (a `Milestone.id`).
    pub milestone_id: Option<ID>,
    /// The comment this replies to (a `Feedback.id`); replies nest three deep.
    pub parent_id: Option<ID>,
    /// What it is; a comment unless said otherwise.
    #[graphql(default_with = "FeedbackKind::Comment")]
    pub kind: FeedbackKind,
    /// The author's stance on the commitment.
    pub stance: Option<Stance>,
    /// Plain text, 1 to 2000 characters after trimming.
    pub body: String,
    /// A name to show with the comment.
    pub author_name: Option<String>,
    /// An address to be told when an official response arrives. Never shown
    /// to anyone, never returned by the API.
    pub author_email: Option<String>,
    /// Tell the author (at `authorEmail`) when an official response arrives.
    #[graphql(default)]
    pub notify_on_response: bool,
    /// The language written in, e.g. `ar`, `fr`, `en`.
    pub language: Option<String>,
    /// Leave empty. (Robots fill every field; what they send is dropped.)
    pub homepage: Option<String>,
}

/// The answer to a submission.
#[derive(SimpleObject)]
pub struct SubmitFeedbackPayload {
    /// Published at once, or queued for moderation.
    status: SubmissionStatus,
    /// The published feedback; null while it is queued for moderation.
    feedback: Option<Feedback>,
}

/// The base of links in emails (`PUBLIC_URL`).
pub struct PublicUrl(pub String);

#[derive(Default)]
pub struct FeedbackSubscription;

#[Subscription]
impl FeedbackSubscription {
    /// Feedback published on a commitment from now on: citizens' comments
    /// and replies, official responses, and items a moderator approves.
    /// Queued or hidden items never arrive here.
    async fn feedback_posted(
        &self,
        ctx: &Context<'_>,
        commitment_id: ID,
    ) -> Result<impl Stream<Item = Feedback> + use<>> {
        let id = id_of("commitmentId", &commitment_id, NodeType::Commitment)?;
        // Counted in `/metrics` for as long as the stream lives.
        let open = SubscriptionGuard::new(&ctx.data::<Arc<Metrics>>()?.subscriptions);
        Ok(ctx
            .data::<Arc<FeedbackEvents>>()?
            .on_commitment(id)
            .map(move |row| {
                let _ = &open;
                Feedback(row)
            }))
    }
}

#[derive(Default)]
pub struct FeedbackQuery;

#[Object]
impl FeedbackQuery {
    /// Feedback waiting for a moderator — queued, or hidden by reports —
    /// oldest first (moderators and admins).
    #[graphql(
        guard = "StaffOnly",
        complexity = "page_cost(first, last) * child_complexity"
    )]
    async fn moderation_queue(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<ListConnection<Feedback>> {
        let listing = moderation::queue(actor(ctx)).map_err(|err| err.extend())?;
        let request = PageRequest {
            first,
            after,
            last,
            before,
        };
        connection(ctx, listing, request, no_prefetch, Feedback).await
    }
}

#[derive(Default)]
pub struct FeedbackMutation;

#[Object]
impl FeedbackMutation {
    /// Posts feedback on a commitment; open to everyone, limited per visitor
    /// and per address (`RATE_LIMITED` says how long to wait).
    async fn submit_feedback(
        &self,
        ctx: &Context<'_>,
        input: SubmitFeedbackInput,
    ) -> Result<SubmitFeedbackPayload> {
        let language = inputs::language("language", input.language.as_deref())?;
        let submission = Submission {
            commitment_id: id_of("commitmentId", &input.commitment_id, NodeType::Commitment)?,
            milestone_id: input
                .milestone_id
                .as_ref()
                .map(|id| id_of("milestoneId", id, NodeType::Milestone))
                .transpose()?,
            parent_id: input
                .parent_id
                .as_ref()
                .map(|id| id_of("parentId", id, NodeType::Feedback))
                .transpose()?,
            kind: Some(input.kind.into()),
            stance: input.stance.map(Into::into),
            body: input.body,
            author_name: input.author_name,
            author_email: input.author_email,
            notify_on_response: input.notify_on_response,
            language,
            trap: input.homepage,
        };
        let outcome = submit::submit(
            super::public_writes(ctx)?,
            ctx.data::<Arc<RateLimiter>>()?,
            ctx.data::<FeedbackRules>()?,
            ctx.data::<Visitor>()?,
            now(ctx)?,
            submission,
        )
        .await
        .map_err(|err| err.extend())?;
        if let Submitted::Stored(row) = &outcome {
            ctx.data::<Arc<FeedbackEvents>>()?.published(row);
        }
        Ok(match outcome {
            Submitted::Stored(row)
                if row.status == vocabulary::FeedbackStatus::Published.as_str() =>
            {
                SubmitFeedbackPayload {
                    status: SubmissionStatus::Published,
                    feedback: Some(Feedback(*row)),
                }
            }
            Submitted::Stored(_) | Submitted::Discarded => SubmitFeedbackPayload {
                status: SubmissionStatus::Queued,
                feedback: None,
            },
        })
    }

    /// Supports a piece of feedback; once per visitor, repeating changes
    /// nothing. Send the same `OGP-Visitor` header on every request to be
    /// recognised.
    async fn support_feedback(&self, ctx: &Context<'_>, id: ID) -> Result<Feedback> {
        let id = id_of("id", &id, NodeType::Feedback)?;
        let row = reactions::support(
            super::public_writes(ctx)?,
            ctx.data::<Arc<RateLimiter>>()?,
            ctx.data::<FeedbackRules>()?,
            ctx.data::<Visitor>()?,
            now(ctx)?,
            id,
        )
        .await
        .map_err(|err| err.extend())?;
        Ok(Feedback(row))
    }

    /// Reports a piece of feedback; once per visitor. Enough distinct
    /// reports hide it until a moderator reviews it.
    async fn report_feedback(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: ReportReason,
        note: Option<String>,
    ) -> Result<bool> {
        let id = id_of("id", &id, NodeType::Feedback)?;
        let reason = match reason {
            ReportReason::Spam => vocabulary::ReportReason::Spam,
            ReportReason::Offensive => vocabulary::ReportReason::Offensive,
            ReportReason::OffTopic => vocabulary::ReportReason::OffTopic,
            ReportReason::PersonalData => vocabulary::ReportReason::PersonalData,
        };
        reactions::report(
            super::public_writes(ctx)?,
            ctx.data::<Arc<RateLimiter>>()?,
            ctx.data::<FeedbackRules>()?,
            ctx.data::<Visitor>()?,
            now(ctx)?,
            id,
            reason,
            note,
        )
        .await
        .map_err(|err| err.extend())?;
        Ok(true)
    }

    /// Approves, hides, rejects as spam or restores a piece of feedback, with
    /// a reason (moderators and admins; recorded in the audit log).
    #[graphql(guard = "StaffOnly")]
    async fn moderate_feedback(
        &self,
        ctx: &Context<'_>,
        id: ID,
        action: ModerationAction,
        reason: String,
    ) -> Result<Feedback> {
        let id = id_of("id", &id, NodeType::Feedback)?;
        let decision = match action {
            ModerationAction::Approve => Decision::Approve,
            ModerationAction::Hide => Decision::Hide,
            ModerationAction::RejectAsSpam => Decision::RejectAsSpam,
            ModerationAction::Restore => Decision::Restore,
        };
        let row = moderation::decide(
            super::pool(ctx)?,
            actor(ctx),
            now(ctx)?,
            id,
            decision,
            &reason,
        )
        .await
        .map_err(|err| err.extend())?;
        Ok(Feedback(row))
    }

    /// Erases the name and email a citizen gave, on all their feedback, on
    /// request (admins); the texts stay. Answers how many items changed.
    #[graphql(guard = "HasRole(Role::Admin)")]
    async fn erase_feedback_author_data(&self, ctx: &Context<'_>, email: String) -> Result<u64> {
        moderation::erase_author_data(super::pool(ctx)?, actor(ctx), now(ctx)?, &email)
            .await
            .map_err(|err| err.extend())
    }

    /// Answers feedback officially (the commitment's focal points, and
    /// admins); the response is published at once and marked official. A
    /// reasoned response says what was decided on the citizen's input and
    /// why: the rationale is required unless the decision is still under
    /// consideration. A later response may change the decision.
    #[graphql(guard = "StaffOnly")]
    async fn respond_to_feedback(
        &self,
        ctx: &Context<'_>,
        feedback_id: ID,
        body: String,
        #[graphql(
            default_with = "ResponseDecision::UnderConsideration",
            desc = "What was decided on the citizen's input."
        )]
        decision: ResponseDecision,
        #[graphql(desc = "Why: 1 to 5000 characters.")] rationale: Option<String>,
    ) -> Result<Feedback> {
        let id = id_of("feedbackId", &feedback_id, NodeType::Feedback)?;
        let public_url = &ctx.data::<PublicUrl>()?.0;
        let response = responses::Response {
            body,
            decision: decision.into(),
            rationale,
        };
        let row = responses::respond(
            super::pool(ctx)?,
            actor(ctx),
            now(ctx)?,
            id,
            response,
            public_url,
        )
        .await
        .map_err(|err| err.extend())?;
        ctx.data::<Arc<FeedbackEvents>>()?.published(&row);
        Ok(Feedback(row))
    }
}
