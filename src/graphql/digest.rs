//! Digest subscriptions of focal points, and the mail outbox's backlog.

use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, Object, Result, SimpleObject,
};
use chrono::{DateTime, Utc};
use entity::{digest_subscription, focal_point};
use sea_orm::EntityTrait;

use super::{
    feedback::PublicUrl,
    focal_point::FocalPoint,
    node::NodeType,
    staff::{actor, id_of, now},
};
use crate::{
    digests::{
        schedule,
        subscriptions::{self, Settings, Status},
    },
    error::AppError,
    mail::outbox,
};

/// How often a focal point receives digests.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "schedule::Frequency")]
pub enum DigestFrequency {
    /// Every day at the chosen hour.
    Daily,
    /// Every Monday at the chosen hour.
    Weekly,
    /// Subscribed, but nothing is sent.
    Off,
}

/// Where a digest subscription stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "Status")]
pub enum DigestStatus {
    /// Waiting for the link sent to the focal point's address to be followed.
    #[graphql(name = "PENDING_CONFIRMATION")]
    Pending,
    /// Digests are sent.
    Active,
    /// Ended (from a digest's unsubscribe link or by staff).
    Unsubscribed,
}

pub struct DigestSubscription(digest_subscription::Model);

/// A focal point's subscription to email digests of citizens' feedback,
/// awaiting responses, milestones due and awareness figures.
#[Object]
impl DigestSubscription {
    /// Who receives the digests.
    async fn focal_point(&self, ctx: &Context<'_>) -> Result<FocalPoint> {
        focal_point::Entity::find_by_id(self.0.focal_point_id)
            .one(super::db(ctx)?)
            .await
            .map_err(|err| AppError::from(err).extend())?
            .map(FocalPoint)
            .ok_or_else(|| AppError::NotFound("focal point".to_owned()).extend())
    }

    /// Whether digests are sent, awaited, or ended.
    async fn status(&self) -> DigestStatus {
        Status::of(&self.0).into()
    }

    /// How often digests are sent.
    async fn frequency(&self) -> DigestFrequency {
        schedule::Frequency::parse(&self.0.frequency)
            .unwrap_or(schedule::Frequency::Weekly)
            .into()
    }

    /// Language of the digests (where translations exist), e.g. `fr`.
    async fn language(&self) -> &str {
        &self.0.language
    }

    /// Local hour (0-23) digests are sent from.
    async fn send_hour(&self) -> i32 {
        self.0.send_hour
    }

    /// IANA time zone of `sendHour`, e.g. `Africa/Casablanca`.
    async fn time_zone(&self) -> &str {
        &self.0.time_zone
    }

    /// When the address confirmed the subscription.
    async fn confirmed_at(&self) -> Option<DateTime<Utc>> {
        self.0.confirmed_at
    }

    /// When the last digest was composed (digests with nothing new are not
    /// sent and do not count).
    async fn last_digest_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_digest_at
    }

    /// When the next digest is due; null when none will be sent.
    async fn next_digest_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>> {
        Ok(subscriptions::next_digest_at(&self.0, now(ctx)?))
    }
}

/// The mail outbox: what waits to be delivered, and what became of the rest.
#[derive(SimpleObject)]
pub struct MailBacklog {
    /// Waiting for delivery (including retries after a transient failure).
    pending: u64,
    /// Being delivered by a sender now.
    sending: u64,
    /// Delivered.
    sent: u64,
    /// Given up (a permanent failure, or too many transient ones).
    failed: u64,
    /// Not sent: the address unsubscribed or bounced before.
    suppressed: u64,
    /// When the longest-waiting message was written; null when none waits.
    oldest_pending_at: Option<DateTime<Utc>>,
}

impl From<outbox::Backlog> for MailBacklog {
    fn from(backlog: outbox::Backlog) -> Self {
        Self {
            pending: backlog.pending,
            sending: backlog.sending,
            sent: backlog.sent,
            failed: backlog.failed,
            suppressed: backlog.suppressed,
            oldest_pending_at: backlog.oldest_pending_at,
        }
    }
}

#[derive(Default)]
pub struct DigestQuery;

#[Object]
impl DigestQuery {
    /// Digest subscriptions: all of them for admins, its own for a focal
    /// point's account.
    async fn digest_subscriptions(&self, ctx: &Context<'_>) -> Result<Vec<DigestSubscription>> {
        let rows = subscriptions::visible(super::db(ctx)?, actor(ctx))
            .await
            .map_err(|err| err.extend())?;
        Ok(rows.into_iter().map(DigestSubscription).collect())
    }

    /// The mail outbox's backlog (admins).
    async fn mail_backlog(&self, ctx: &Context<'_>) -> Result<MailBacklog> {
        actor(ctx)
            .admin("reading the mail backlog")
            .map_err(|err| err.extend())?;
        let backlog = outbox::backlog(super::db(ctx)?)
            .await
            .map_err(|err| err.extend())?;
        Ok(backlog.into())
    }
}

/// A digest subscription's settings.
#[derive(InputObject)]
pub struct SubscribeToDigestInput {
    /// The focal point (its `id`).
    focal_point_id: ID,
    /// How often digests are sent (weekly unless said otherwise).
    #[graphql(default_with = "DigestFrequency::Weekly")]
    frequency: DigestFrequency,
    /// Language of the digests, e.g. `fr`.
    #[graphql(default_with = "String::from(\"en\")")]
    language: String,
    /// Local hour (0-23) digests are sent from.
    #[graphql(default = 8)]
    send_hour: i32,
    /// IANA time zone of `sendHour`, e.g. `Africa/Casablanca`.
    #[graphql(default_with = "String::from(\"UTC\")")]
    time_zone: String,
}

#[derive(Default)]
pub struct DigestMutation;

#[Object]
impl DigestMutation {
    /// Subscribes a focal point to digests (the focal point's own account or
    /// an admin), or changes the settings of its subscription. A new
    /// subscription sends a confirmation link to the focal point's address
    /// and stays `PENDING_CONFIRMATION` until it is followed.
    async fn subscribe_to_digest(
        &self,
        ctx: &Context<'_>,
        input: SubscribeToDigestInput,
    ) -> Result<DigestSubscription> {
        let focal_point_id = id_of("focalPointId", &input.focal_point_id, NodeType::FocalPoint)?;
        let settings = Settings::parse(
            input.frequency.into(),
            &input.language,
            input.send_hour,
            &input.time_zone,
        )
        .map_err(|err| err.extend())?;
        let public_url = &ctx.data::<PublicUrl>()?.0;
        let row = subscriptions::subscribe(
            super::pool(ctx)?,
            actor(ctx),
            focal_point_id,
            settings,
            public_url,
            now(ctx)?,
        )
        .await
        .map_err(|err| err.extend())?;
        Ok(DigestSubscription(row))
    }

    /// Ends a focal point's digest subscription (the focal point or an admin).
    async fn unsubscribe_from_digest(
        &self,
        ctx: &Context<'_>,
        focal_point_id: ID,
    ) -> Result<DigestSubscription> {
        let id = id_of("focalPointId", &focal_point_id, NodeType::FocalPoint)?;
        let row = subscriptions::unsubscribe_by_staff(super::pool(ctx)?, actor(ctx), id, now(ctx)?)
            .await
            .map_err(|err| err.extend())?;
        Ok(DigestSubscription(row))
    }
}
