//! The tokens of links in emails: confirming a digest subscription, and
//! unsubscribing. Only a hash is stored; the token itself exists in the
//! email alone, so reading the database does not let anyone act for a
//! recipient.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use entity::mail_token;
use rand_core::{OsRng, RngCore};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use crate::{error::AppResult, staff::credentials::hash_token};

/// What a link does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Confirms a digest subscription (double opt-in).
    ConfirmDigest(i64),
    /// Ends a digest subscription.
    UnsubscribeDigest(i64),
    /// Stops every email to the address (response notices are all a
    /// citizen receives).
    UnsubscribeNotices,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::ConfirmDigest(_) => "confirm-digest",
            Self::UnsubscribeDigest(_) => "unsubscribe-digest",
            Self::UnsubscribeNotices => "unsubscribe-notices",
        }
    }

    fn subscription(self) -> Option<i64> {
        match self {
            Self::ConfirmDigest(id) | Self::UnsubscribeDigest(id) => Some(id),
            Self::UnsubscribeNotices => None,
        }
    }
}

/// A token found by [`find`].
pub struct Redeemable {
    pub purpose: Purpose,
    pub recipient_hash: Option<String>,
}

/// Creates a token for `purpose` (about `recipient_hash`), valid until
/// `expires_at` when given, and returns it in clear.
pub async fn issue<C: ConnectionTrait>(
    db: &C,
    purpose: Purpose,
    recipient_hash: &str,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let mut bytes = [0u8; 24];
    OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    mail_token::Entity::insert(mail_token::ActiveModel {
        token_hash: Set(hash_token(&token)),
        purpose: Set(purpose.as_str().to_owned()),
        subscription_id: Set(purpose.subscription()),
        recipient_hash: Set(Some(recipient_hash.to_owned())),
        created_at: Set(now),
        expires_at: Set(expires_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(token)
}

/// The live token `token`, if there is one.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<Redeemable>> {
    let Some(row) = mail_token::Entity::find_by_id(hash_token(token.trim()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if row.expires_at.is_some_and(|at| at <= now) {
        return Ok(None);
    }
    let purpose = match (row.purpose.as_str(), row.subscription_id) {
        ("confirm-digest", Some(id)) => Purpose::ConfirmDigest(id),
        ("unsubscribe-digest", Some(id)) => Purpose::UnsubscribeDigest(id),
        ("unsubscribe-notices", _) => Purpose::UnsubscribeNotices,
        _ => return Ok(None),
    };
    Ok(Some(Redeemable {
        purpose,
        recipient_hash: row.recipient_hash,
    }))
}

/// The link of `token` at `path` of the public site.
pub fn link(public_url: &str, path: &str, token: &str) -> String {
    format!("{}{path}?token={token}", public_url.trim_end_matches('/'))
}
