//! The outbox table: writing a message once, claiming due messages safely
//! under concurrency, and recording what became of each.

use chrono::{DateTime, Duration, Utc};
use entity::{mail_outbox, mail_suppression};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    QueryFilter, Statement,
};

use super::address_hash;
use crate::error::AppResult;

/// A message to send.
pub struct NewMail {
    /// What it is for, e.g. `response-notice:42`: a second message with the
    /// same key is not written.
    pub dedupe_key: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    /// Where `List-Unsubscribe` points (RFC 8058 one-click), if anywhere.
    pub list_unsubscribe: Option<String>,
}

/// Writes `mail` in the caller's transaction, unless its key was written
/// before.
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    mail: NewMail,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let row = mail_outbox::ActiveModel {
        dedupe_key: Set(mail.dedupe_key),
        recipient_hash: Set(address_hash(&mail.recipient)),
        recipient: Set(mail.recipient),
        subject: Set(mail.subject),
        text_body: Set(mail.text_body),
        html_body: Set(mail.html_body),
        list_unsubscribe: Set(mail.list_unsubscribe),
        status: Set("pending".to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    };
    mail_outbox::Entity::insert(row)
        .on_conflict_do_nothing_on([mail_outbox::Column::DedupeKey])
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Takes up to `limit` due messages for this sender until `lease` has
/// passed: pending ones whose time has come, and ones another sender took
/// but never finished (it crashed). Two senders never take the same message:
/// PostgreSQL skips rows another transaction holds; SQLite runs one writer
/// at a time.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> AppResult<Vec<mail_outbox::Model>> {
    let backend = db.get_database_backend();
    let lock = match backend {
        DbBackend::Postgres => "FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let (p1, p2, p3) = match backend {
        DbBackend::Postgres => ("$1", "$2", "$3"),
        // Numbered: the cut-off appears twice.
        _ => ("?1", "?2", "?3"),
    };
    let sql = format!(
        "UPDATE mail_outbox SET status = 'sending', lease_until = {p1}, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM mail_outbox \
           WHERE (status = 'pending' AND next_attempt_at <= {p2}) \
              OR (status = 'sending' AND lease_until < {p2}) \
           ORDER BY id LIMIT {p3} {lock}) \
         RETURNING id"
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let statement = Statement::from_sql_and_values(
        backend,
        sql,
        [(now + lease).into(), now.into(), limit.into()],
    );
    let ids: Vec<i64> = db
        .query_all_raw(statement)
        .await?
        .iter()
        .filter_map(|row| row.try_get::<i64>("", "id").ok())
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Id.is_in(ids))
        .all(db)
        .await?)
}

/// Whether the address is not to be mailed any more.
pub async fn suppressed<C: ConnectionTrait>(db: &C, recipient_hash: &str) -> AppResult<bool> {
    Ok(
        mail_suppression::Entity::find_by_id(recipient_hash.to_owned())
            .one(db)
            .await?
            .is_some(),
    )
}

/// What became of one attempt.
pub enum Outcome {
    Sent,
    /// Try again at this time; `error` says why (a code, no text).
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    /// Given up; the address is not mailed again when `bounced`.
    Failed {
        error: String,
        bounced: bool,
    },
    /// The address is not mailed any more.
    Suppressed,
}

/// Records `outcome`; the address itself is forgotten once nothing more
/// will be sent.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    row: mail_outbox::Model,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let hash = row.recipient_hash.clone();
    let mut update = mail_outbox::ActiveModel {
        id: Set(row.id),
        lease_until: Set(None),
        ..Default::default()
    };
    match outcome {
        Outcome::Sent => {
            update.status = Set("sent".to_owned());
            update.sent_at = Set(Some(now));
            update.recipient = Set(String::new());
            update.list_unsubscribe = Set(None);
            update.last_error = Set(None);
        }
        Outcome::Retry { at, error } => {
            update.status = Set("pending".to_owned());
            update.next_attempt_at = Set(at);
            update.last_error = Set(Some(error));
        }
        Outcome::Failed { error, bounced } => {
            update.status = Set("failed".to_owned());
            update.recipient = Set(String::new());
            update.list_unsubscribe = Set(None);
            update.last_error = Set(Some(error));
            if bounced {
                mail_suppression::Entity::insert(mail_suppression::ActiveModel {
                    recipient_hash: Set(hash),
                    reason: Set("bounced".to_owned()),
                    created_at: Set(now),
                })
                .on_conflict_do_nothing()
                .exec_without_returning(db)
                .await?;
            }
        }
        Outcome::Suppressed => {
            update.status = Set("suppressed".to_owned());
            update.recipient = Set(String::new());
            update.list_unsubscribe = Set(None);
        }
    }
    update.update(db).await?;
    Ok(())
}

/// How much mail waits, and how much went out or failed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Backlog {
    pub pending: u64,
    pub sending: u64,
    pub sent: u64,
    pub failed: u64,
    pub suppressed: u64,
    /// When the longest-waiting message was written.
    pub oldest_pending_at: Option<DateTime<Utc>>,
}

/// The outbox by status, in one query (plus one for the oldest).
pub async fn backlog<C: ConnectionTrait>(db: &C) -> AppResult<Backlog> {
    use sea_orm::{QueryOrder, QuerySelect};
    let counts: Vec<(String, i64)> = mail_outbox::Entity::find()
        .select_only()
        .column(mail_outbox::Column::Status)
        .column_as(mail_outbox::Column::Id.count(), "count")
        .group_by(mail_outbox::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut backlog = Backlog::default();
    for (status, count) in counts {
        let count = u64::try_from(count).unwrap_or(0);
        match status.as_str() {
            "pending" => backlog.pending = count,
            "sending" => backlog.sending = count,
            "sent" => backlog.sent = count,
            "failed" => backlog.failed = count,
            "suppressed" => backlog.suppressed = count,
            _ => {}
        }
    }
    backlog.oldest_pending_at = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Status.is_in(["pending", "sending"]))
        .order_by_asc(mail_outbox::Column::CreatedAt)
        .one(db)
        .await?
        .map(|row| row.created_at);
    Ok(backlog)
}

/// Deletes messages delivered, given up or suppressed before `before`.
pub async fn purge_finished<C: ConnectionTrait>(db: &C, before: DateTime<Utc>) -> AppResult<u64> {
    let result = mail_outbox::Entity::delete_many()
        .filter(mail_outbox::Column::Status.is_in(["sent", "failed", "suppressed"]))
        .filter(mail_outbox::Column::CreatedAt.lt(before))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
