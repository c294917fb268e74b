//! Who receives digests: a focal point, only after an explicit subscription
//! (by the focal point's own account or an admin) confirmed from a link sent
//! to the address — imported contact data never receives mail by itself.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use entity::{digest_subscription, focal_point, mail_suppression};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, TryIntoModel,
};
use serde_json::{Value, json};

use super::{
    render,
    schedule::{Frequency, Schedule},
};
use crate::{
    editing::{audit_write, in_transaction},
    error::{AppError, AppResult},
    language::Language,
    mail::{
        address_hash,
        outbox::{self, NewMail},
        tokens::{self, Purpose},
    },
    staff::{Actor, Principal, Role},
};

/// How long a confirmation link works.
const CONFIRMATION_VALID: Duration = Duration::days(7);

/// Where a subscription stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Waiting for the confirmation link to be followed.
    Pending,
    Active,
    Unsubscribed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Unsubscribed => "unsubscribed",
        }
    }

    pub fn of(row: &digest_subscription::Model) -> Self {
        match row.status.as_str() {
            "active" => Self::Active,
            "pending" => Self::Pending,
            _ => Self::Unsubscribed,
        }
    }
}

/// What a subscriber chooses.
#[derive(Clone, Debug)]
pub struct Settings {
    pub frequency: Frequency,
    pub language: Language,
    pub send_hour: u32,
    pub time_zone: Tz,
}

impl Settings {
    /// When digests with these settings are due.
    pub fn schedule(&self) -> Schedule {
        Schedule {
            frequency: self.frequency,
            send_hour: self.send_hour,
            zone: self.time_zone,
        }
    }

    /// The send hour as stored (always 0-23).
    fn stored_hour(&self) -> i32 {
        i32::try_from(self.send_hour).unwrap_or(0)
    }

    /// Checks raw choices; errors name the input field at fault.
    pub fn parse(
        frequency: Frequency,
        language: &str,
        send_hour: i32,
        time_zone: &str,
    ) -> AppResult<Self> {
        let language = Language::parse(language).ok_or_else(|| {
            AppError::bad_input("language", "not a language code such as en or fr")
        })?;
        let send_hour = u32::try_from(send_hour)
            .ok()
            .filter(|hour| *hour < 24)
            .ok_or_else(|| AppError::bad_input("sendHour", "an hour from 0 to 23"))?;
        let time_zone = time_zone.trim().parse::<Tz>().map_err(|_| {
            AppError::bad_input(
                "timeZone",
                "not a time zone of the IANA database, such as Africa/Casablanca",
            )
        })?;
        Ok(Self {
            frequency,
            language,
            send_hour,
            time_zone,
        })
    }
}

/// The schedule of `row`; none when paused or unreadable.
pub fn schedule(row: &digest_subscription::Model) -> Option<Schedule> {
    Some(Schedule {
        frequency: Frequency::parse(&row.frequency)?,
        send_hour: u32::try_from(row.send_hour).ok()?,
        zone: row.time_zone.parse().ok()?,
    })
}

/// When the next digest of `row` is due, if it will get one.
pub fn next_digest_at(
    row: &digest_subscription::Model,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if Status::of(row) != Status::Active {
        return None;
    }
    let schedule = schedule(row)?;
    match schedule.latest(now) {
        Some(slot) if row.last_period_key.as_deref() != Some(slot.key.as_str()) => {
            Some(slot.due_at)
        }
        _ => schedule.next(now).map(|slot| slot.due_at),
    }
}

/// The audit log's view of a subscription: settings, never the address.
fn audited(row: &digest_subscription::Model) -> Value {
    json!({
        "focalPointId": row.focal_point_id,
        "status": row.status,
        "frequency": row.frequency,
        "language": row.language,
        "sendHour": row.send_hour,
        "timeZone": row.time_zone,
    })
}

/// An admin, or the account of the focal point itself.
fn manager(actor: &Actor, focal_point_id: i64) -> AppResult<Principal> {
    let principal = actor.staff()?;
    let own = principal.has(Role::FocalPoint) && principal.focal_point_id == Some(focal_point_id);
    if principal.has(Role::Admin) || own {
        Ok(principal.clone())
    } else {
        Err(AppError::forbidden("managing another focal point's digest"))
    }
}

/// The subscriptions `actor` may see: all for admins, its own for a focal
/// point's account.
pub async fn visible<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
) -> AppResult<Vec<digest_subscription::Model>> {
    let principal = actor.staff()?;
    let mut query =
        digest_subscription::Entity::find().order_by_asc(digest_subscription::Column::Id);
    if !principal.has(Role::Admin) {
        match (principal.has(Role::FocalPoint), principal.focal_point_id) {
            (true, Some(id)) => {
                query = query.filter(digest_subscription::Column::FocalPointId.eq(id));
            }
            _ => return Err(AppError::forbidden("reading digest subscriptions")),
        }
    }
    Ok(query.all(db).await?)
}

/// Subscribes a focal point (or changes its settings). A new subscription,
/// or one for a changed address, waits for the confirmation link sent to
/// the address; a confirmed one keeps going with the new settings.
pub async fn subscribe(
    db: &DatabaseConnection,
    actor: &Actor,
    focal_point_id: i64,
    settings: Settings,
    public_url: &str,
    now: DateTime<Utc>,
) -> AppResult<digest_subscription::Model> {
    let by = manager(actor, focal_point_id)?;
    let person = focal_point::Entity::find_by_id(focal_point_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("focal point".to_owned()))?;
    let address = person
        .email
        .clone()
        .filter(|email| email.contains('@'))
        .ok_or_else(|| {
            AppError::bad_input(
                "focalPointId",
                "the focal point has no email address to send digests to",
            )
        })?;
    let public_url = public_url.to_owned();
    in_transaction(db, move |txn| {
        Box::pin(async move {
            let current = digest_subscription::Entity::find()
                .filter(digest_subscription::Column::FocalPointId.eq(focal_point_id))
                .one(txn)
                .await?;
            let hash = address_hash(&address);
            let confirmed = current.as_ref().is_some_and(|row| {
                Status::of(row) == Status::Active && row.address_hash.as_deref() == Some(&hash)
            });
            let before = current.as_ref().map(audited);
            let mut row = match &current {
                Some(row) => digest_subscription::ActiveModel {
                    id: Set(row.id),
                    ..Default::default()
                },
                None => digest_subscription::ActiveModel {
                    focal_point_id: Set(focal_point_id),
                    created_at: Set(now),
                    ..Default::default()
                },
            };
            row.frequency = Set(settings.frequency.as_str().to_owned());
            row.language = Set(settings.language.as_str().to_owned());
            row.send_hour = Set(settings.stored_hour());
            row.time_zone = Set(settings.time_zone.name().to_owned());
            row.updated_at = Set(now);
            if confirmed {
                // A changed schedule starts with its next slot, not at once.
                if let Some(slot) = settings.schedule().latest(now) {
                    let changed = current.as_ref().is_some_and(|row| {
                        row.frequency != settings.frequency.as_str()
                            || row.send_hour != settings.stored_hour()
                            || row.time_zone != settings.time_zone.name()
                    });
                    if changed {
                        row.last_period_key = Set(Some(slot.key));
                    }
                }
            } else {
                row.status = Set(Status::Pending.as_str().to_owned());
                row.address_hash = Set(None);
                row.confirmed_at = Set(None);
            }
            let row = row.save(txn).await?.try_into_model()?;
            if !confirmed {
                request_confirmation(txn, &row, &person.name, &address, &public_url, now).await?;
            }
            audit_write(
                txn,
                &by,
                ("digest_subscription", row.id),
                before,
                audited(&row),
                now,
            )
            .await?;
            Ok(row)
        })
    })
    .await
}

async fn request_confirmation<C: ConnectionTrait>(
    db: &C,
    row: &digest_subscription::Model,
    name: &str,
    address: &str,
    public_url: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let token = tokens::issue(
        db,
        Purpose::ConfirmDigest(row.id),
        &address_hash(address),
        Some(now + CONFIRMATION_VALID),
        now,
    )
    .await?;
    let link = tokens::link(public_url, "/digest/confirm", &token);
    let frequency = Frequency::parse(&row.frequency).unwrap_or(Frequency::Weekly);
    let email = render::confirmation(name, &row.language, frequency, &link)?;
    outbox::enqueue(
        db,
        NewMail {
            // Each request its own email: the token differs.
            dedupe_key: format!(
                "digest-confirm:{}:{}",
                row.id,
                &crate::staff::credentials::hash_token(&token)[..16]
            ),
            recipient: address.to_owned(),
            subject: email.subject,
            text_body: email.text,
            html_body: email.html,
            list_unsubscribe: None,
        },
        now,
    )
    .await
}

/// Ends a focal point's subscription (the focal point or an admin).
pub async fn unsubscribe_by_staff(
    db: &DatabaseConnection,
    actor: &Actor,
    focal_point_id: i64,
    now: DateTime<Utc>,
) -> AppResult<digest_subscription::Model> {
    let by = manager(actor, focal_point_id)?;
    let current = digest_subscription::Entity::find()
        .filter(digest_subscription::Column::FocalPointId.eq(focal_point_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("digest subscription".to_owned()))?;
    in_transaction(db, move |txn| {
        Box::pin(async move {
            let before = audited(&current);
            let row = end(txn, current.id, now).await?;
            audit_write(
                txn,
                &by,
                ("digest_subscription", row.id),
                Some(before),
                audited(&row),
                now,
            )
            .await?;
            Ok(row)
        })
    })
    .await
}

async fn end<C: ConnectionTrait>(
    db: &C,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<digest_subscription::Model> {
    Ok(digest_subscription::ActiveModel {
        id: Set(id),
        status: Set(Status::Unsubscribed.as_str().to_owned()),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await?)
}

/// What following an email's link did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkOutcome {
    Confirmed,
    /// Confirmed before (links are followed twice).
    AlreadyConfirmed,
    /// The subscription was ended since; the link no longer confirms it.
    NoLongerPending,
    Unsubscribed,
}

/// What a confirmation or unsubscribe token is for, without acting on it
/// (the page that asks "confirm?" shows this).
pub async fn check_token(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<Purpose>> {
    Ok(tokens::find(db, token, now)
        .await?
        .map(|found| found.purpose))
}

fn unknown_link() -> AppError {
    AppError::NotFound("link".to_owned())
}

/// The live token `token`, or `NOT_FOUND` (unknown or expired alike).
async fn live_token(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<tokens::Redeemable> {
    tokens::find(db, token, now).await?.ok_or_else(unknown_link)
}

/// Confirms the subscription of a `confirm-digest` token. The first
/// digest's period starts now; if today's (or this week's) slot has
/// already passed, the first digest waits for the next one.
pub async fn confirm(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<LinkOutcome> {
    let found = live_token(db, token, now).await?;
    let Purpose::ConfirmDigest(id) = found.purpose else {
        return Err(unknown_link());
    };
    let row = digest_subscription::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(unknown_link)?;
    match Status::of(&row) {
        Status::Active => return Ok(LinkOutcome::AlreadyConfirmed),
        Status::Unsubscribed => return Ok(LinkOutcome::NoLongerPending),
        Status::Pending => {}
    }
    let slot = schedule(&row).and_then(|schedule| schedule.latest(now));
    digest_subscription::ActiveModel {
        id: Set(row.id),
        status: Set(Status::Active.as_str().to_owned()),
        address_hash: Set(found.recipient_hash),
        confirmed_at: Set(Some(now)),
        period_start: Set(Some(now)),
        last_period_key: Set(slot.map(|slot| slot.key)),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(LinkOutcome::Confirmed)
}

/// Acts on an unsubscribe token: ends a digest subscription, or stops all
/// mail to a citizen's address. Doing it twice is harmless.
pub async fn unsubscribe(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<LinkOutcome> {
    let found = live_token(db, token, now).await?;
    match found.purpose {
        Purpose::UnsubscribeDigest(id) => {
            if digest_subscription::Entity::find_by_id(id)
                .one(db)
                .await?
                .is_some()
            {
                end(db, id, now).await?;
            }
        }
        Purpose::UnsubscribeNotices => {
            if let Some(hash) = found.recipient_hash {
                mail_suppression::Entity::insert(mail_suppression::ActiveModel {
                    recipient_hash: Set(hash),
                    reason: Set("unsubscribed".to_owned()),
                    created_at: Set(now),
                })
                .on_conflict_do_nothing()
                .exec_without_returning(db)
                .await?;
            }
        }
        Purpose::ConfirmDigest(_) => return Err(unknown_link()),
    }
    Ok(LinkOutcome::Unsubscribed)
}
