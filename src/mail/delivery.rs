//! The sender: delivers due messages from the outbox, retrying transient
//! failures with capped, jittered exponential backoff.

use chrono::{DateTime, Duration, Utc};
use lettre::{
    Message,
    message::{
        Mailbox, MultiPart,
        header::{Header, HeaderName, HeaderValue},
    },
};
use rand_core::{OsRng, RngCore};
use sea_orm::DatabaseConnection;

use super::{
    outbox::{self, Outcome},
    transport::{MailTransport, SendError},
};
use crate::error::AppResult;

/// Attempts before a message is given up.
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a sender holds the messages it took.
const LEASE: Duration = Duration::minutes(5);
/// Messages taken at once.
const BATCH: u64 = 50;

/// What sends, and as whom.
pub struct Sender {
    pub transport: MailTransport,
    pub from: Mailbox,
    /// The domain of `Message-ID`s.
    pub domain: String,
}

/// What one run delivered.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: u64,
    pub retried: u64,
    pub failed: u64,
    pub suppressed: u64,
}

/// When to try again after `attempts` attempts: 1 minute doubling, at most
/// 6 hours, ±20 % so that retries of many messages spread out.
fn retry_at(attempts: i32, now: DateTime<Utc>) -> DateTime<Utc> {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 16)).unwrap_or(0);
    let base = (60i64 << exponent).min(6 * 3600);
    let jitter = i64::from(OsRng.next_u32() % 41) - 20;
    now + Duration::seconds(base + base * jitter / 100)
}

/// Delivers every message due at `now` (repeatedly, until none is left).
pub async fn deliver_due(
    db: &DatabaseConnection,
    sender: &Sender,
    now: DateTime<Utc>,
) -> AppResult<DeliveryReport> {
    let mut report = DeliveryReport::default();
    loop {
        let rows = outbox::claim(db, now, LEASE, BATCH).await?;
        if rows.is_empty() {
            return Ok(report);
        }
        for row in rows {
            let outcome = if outbox::suppressed(db, &row.recipient_hash).await? {
                Outcome::Suppressed
            } else {
                attempt(sender, &row, now).await
            };
            match &outcome {
                Outcome::Sent => report.sent += 1,
                Outcome::Retry { .. } => report.retried += 1,
                Outcome::Failed { .. } => report.failed += 1,
                Outcome::Suppressed => report.suppressed += 1,
            }
            outbox::record(db, row, outcome, now).await?;
        }
    }
}

async fn attempt(sender: &Sender, row: &entity::mail_outbox::Model, now: DateTime<Utc>) -> Outcome {
    let Ok(to) = row.recipient.parse::<Mailbox>() else {
        return Outcome::Failed {
            error: "invalid address".to_owned(),
            bounced: false,
        };
    };
    // The same message keeps the same id across retries, so a receiver can
    // tell a resend from a new message.
    let message_id = format!("<{}@{}>", row.dedupe_key.replace(':', "."), sender.domain);
    let mut message = Message::builder()
        .from(sender.from.clone())
        .to(to)
        .subject(row.subject.clone())
        .message_id(Some(message_id));
    if let Some(url) = &row.list_unsubscribe {
        message = message
            .header(ListUnsubscribe(format!("<{url}>")))
            .header(ListUnsubscribePost);
    }
    let message = message.multipart(MultiPart::alternative_plain_html(
        row.text_body.clone(),
        row.html_body.clone(),
    ));
    let Ok(message) = message else {
        return Outcome::Failed {
            error: "unbuildable message".to_owned(),
            bounced: false,
        };
    };
    match sender.transport.send(message).await {
        Ok(()) => Outcome::Sent,
        Err(SendError::Permanent(error)) => Outcome::Failed {
            error,
            bounced: true,
        },
        Err(SendError::Transient(error)) if row.attempts >= MAX_ATTEMPTS => Outcome::Failed {
            error,
            bounced: false,
        },
        Err(SendError::Transient(error)) => Outcome::Retry {
            at: retry_at(row.attempts, now),
            error,
        },
    }
}

/// `List-Unsubscribe: <URL>` (RFC 2369): where mail clients send the
/// recipient who asks to stop.
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(text: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(text.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): the
/// link unsubscribes with one POST, no page, no login.
#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_within_bounds() {
        let now = Utc::now();
        let first = retry_at(1, now) - now;
        assert!((48..=72).contains(&first.num_seconds()), "{first}");
        let third = retry_at(3, now) - now;
        assert!((192..=288).contains(&third.num_seconds()), "{third}");
        let late = retry_at(30, now) - now;
        assert!(late.num_seconds() <= 6 * 3600 * 12 / 10, "{late}");
    }
}
