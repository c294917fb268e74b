//! Composing what is due: for each active subscription whose slot has
//! come, claim the slot, read the period's news, and write the digest to
//! the outbox — all in one transaction, so two runs (or two instances)
//! never compose the same slot twice and a crash before sending loses
//! nothing (the outbox row is sent on the next delivery).

use chrono::{DateTime, Duration, Utc};
use entity::{digest_subscription, focal_point};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    Statement, TransactionTrait,
};

use super::{
    DigestSettings,
    content::{self, Digest},
    render::{self, Addressee, Rendered},
    schedule::{Frequency, Slot},
    subscriptions::{self, Status},
};
use crate::{
    error::{AppError, AppResult},
    mail::{
        address_hash,
        outbox::{self, NewMail},
        tokens::{self, Purpose},
    },
};

/// One digest composed (or, in a dry run, that would be).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComposedDigest {
    pub subscription_id: i64,
    pub focal_point_id: i64,
    pub subject: String,
}

/// What one run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Digests written to the outbox.
    pub composed: u64,
    /// Due subscriptions with nothing new: no email, period moved on.
    pub nothing_new: u64,
    /// Due subscriptions skipped because the focal point's address is gone
    /// or differs from the confirmed one.
    pub unconfirmed_address: u64,
    pub digests: Vec<ComposedDigest>,
}

/// Composes every digest due at `now`. A dry run reports what it would
/// compose and writes nothing.
pub async fn run_due(
    db: &DatabaseConnection,
    settings: &DigestSettings,
    now: DateTime<Utc>,
    dry_run: bool,
) -> AppResult<RunReport> {
    let subscriptions = digest_subscription::Entity::find()
        .filter(digest_subscription::Column::Status.eq(Status::Active.as_str()))
        .filter(digest_subscription::Column::Frequency.ne(Frequency::Off.as_str()))
        .all(db)
        .await?;
    let mut report = RunReport::default();
    for subscription in subscriptions {
        let Some(slot) = subscriptions::schedule(&subscription).and_then(|s| s.latest(now)) else {
            continue;
        };
        if subscription.last_period_key.as_deref() == Some(slot.key.as_str()) {
            continue;
        }
        let txn = db.begin().await?;
        let outcome = compose(&txn, &subscription, &slot, settings, now).await;
        match outcome {
            Ok(Composed::Skipped) => {
                txn.rollback().await?;
            }
            Ok(outcome) => {
                if dry_run {
                    txn.rollback().await?;
                } else {
                    txn.commit().await?;
                }
                match outcome {
                    Composed::Written(digest) => {
                        report.composed += 1;
                        report.digests.push(digest);
                    }
                    Composed::NothingNew => report.nothing_new += 1,
                    Composed::AddressChanged => report.unconfirmed_address += 1,
                    Composed::Skipped => {}
                }
            }
            Err(err) => {
                txn.rollback().await?;
                return Err(err);
            }
        }
    }
    Ok(report)
}

enum Composed {
    Written(ComposedDigest),
    NothingNew,
    AddressChanged,
    /// Another run claimed the slot first.
    Skipped,
}

async fn compose<C: ConnectionTrait>(
    db: &C,
    subscription: &digest_subscription::Model,
    slot: &Slot,
    settings: &DigestSettings,
    now: DateTime<Utc>,
) -> AppResult<Composed> {
    if !claim(db, subscription.id, &slot.key, now).await? {
        return Ok(Composed::Skipped);
    }
    let person = focal_point::Entity::find_by_id(subscription.focal_point_id)
        .one(db)
        .await?;
    let address = person.as_ref().and_then(|p| p.email.clone());
    let confirmed = address
        .as_deref()
        .is_some_and(|a| subscription.address_hash.as_deref() == Some(&address_hash(a)));
    let (Some(person), Some(address), true) = (person, address, confirmed) else {
        return Ok(Composed::AddressChanged);
    };
    let since = period_start(subscription, now);
    let digest = content::gather(
        db,
        person.id,
        &subscription.language,
        (since, now),
        &settings.compliance,
    )
    .await?;
    if !digest.has_news() {
        return Ok(Composed::NothingNew);
    }
    let token = tokens::issue(
        db,
        Purpose::UnsubscribeDigest(subscription.id),
        &address_hash(&address),
        None,
        now,
    )
    .await?;
    let unsubscribe = tokens::link(&settings.public_url, "/unsubscribe", &token);
    let email = render_for(subscription, &person.name, &digest, settings, &unsubscribe)?;
    let subject = email.subject.clone();
    outbox::enqueue(
        db,
        NewMail {
            dedupe_key: format!("digest:{}:{}", subscription.id, slot.key),
            recipient: address,
            subject: email.subject,
            text_body: email.text,
            html_body: email.html,
            list_unsubscribe: Some(unsubscribe),
        },
        now,
    )
    .await?;
    digest_subscription::Entity::update_many()
        .col_expr(
            digest_subscription::Column::LastDigestAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(digest_subscription::Column::Id.eq(subscription.id))
        .exec(db)
        .await?;
    Ok(Composed::Written(ComposedDigest {
        subscription_id: subscription.id,
        focal_point_id: subscription.focal_point_id,
        subject,
    }))
}

/// Where the next digest's period begins: the end of the last one, else
/// the confirmation, else one period ago.
fn period_start(subscription: &digest_subscription::Model, now: DateTime<Utc>) -> DateTime<Utc> {
    let length = match Frequency::parse(&subscription.frequency) {
        Some(Frequency::Daily) => Duration::days(1),
        _ => Duration::days(7),
    };
    subscription
        .period_start
        .or(subscription.confirmed_at)
        .unwrap_or(now - length)
        .min(now)
}

/// Takes the slot `key` of subscription `id`: true for exactly one of
/// several runs. On PostgreSQL a second run's update waits for the first
/// one's transaction, then sees the new key and changes nothing; SQLite has
/// one writer at a time.
async fn claim<C: ConnectionTrait>(
    db: &C,
    id: i64,
    key: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "UPDATE digest_subscription SET last_period_key = $1, period_start = $2, updated_at = $2 \
             WHERE id = $3 AND status = 'active' \
             AND (last_period_key IS NULL OR last_period_key <> $1)"
        }
        _ => {
            "UPDATE digest_subscription SET last_period_key = ?1, period_start = ?2, updated_at = ?2 \
             WHERE id = ?3 AND status = 'active' \
             AND (last_period_key IS NULL OR last_period_key <> ?1)"
        }
    };
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [key.into(), now.into(), id.into()],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

fn render_for(
    subscription: &digest_subscription::Model,
    name: &str,
    digest: &Digest,
    settings: &DigestSettings,
    unsubscribe: &str,
) -> AppResult<Rendered> {
    let addressee = Addressee {
        name,
        language: &subscription.language,
        frequency: Frequency::parse(&subscription.frequency).unwrap_or(Frequency::Weekly),
        zone: subscription.time_zone.parse().unwrap_or(chrono_tz::UTC),
    };
    render::digest(digest, &addressee, &settings.public_url, unsubscribe)
}

/// The digest `focal_point_id` would receive now, without sending or
/// moving anything: for its period since the last digest (or the last
/// week, without a subscription). `None` when there is nothing new.
pub async fn preview(
    db: &DatabaseConnection,
    settings: &DigestSettings,
    focal_point_id: i64,
    now: DateTime<Utc>,
) -> AppResult<Option<Rendered>> {
    let person = focal_point::Entity::find_by_id(focal_point_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("focal point".to_owned()))?;
    let subscription = digest_subscription::Entity::find()
        .filter(digest_subscription::Column::FocalPointId.eq(focal_point_id))
        .one(db)
        .await?
        .unwrap_or_else(|| digest_subscription::Model {
            id: 0,
            focal_point_id,
            status: Status::Pending.as_str().to_owned(),
            frequency: Frequency::Weekly.as_str().to_owned(),
            language: "en".to_owned(),
            send_hour: 8,
            time_zone: "UTC".to_owned(),
            address_hash: None,
            created_at: now,
            confirmed_at: None,
            period_start: None,
            last_period_key: None,
            last_digest_at: None,
            updated_at: now,
        });
    let since = period_start(&subscription, now);
    let digest = content::gather(
        db,
        person.id,
        &subscription.language,
        (since, now),
        &settings.compliance,
    )
    .await?;
    if !digest.has_news() {
        return Ok(None);
    }
    let unsubscribe = format!(
        "{}/unsubscribe?token=(preview)",
        settings.public_url.trim_end_matches('/')
    );
    render_for(&subscription, &person.name, &digest, settings, &unsubscribe).map(Some)
}
