//! API tokens and login sessions. A token is 256 random bits shown once; only
//! its SHA-256 is stored, so a copy of the database holds no usable token.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use entity::{staff_account, staff_credential, staff_role};
use rand_core::{OsRng, RngCore};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use sha2::{Digest, Sha256};

use super::{Principal, Role};
use crate::error::AppResult;

/// Prefix that makes a leaked token recognisable (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "ogp_";

/// How long a login session lasts.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);

/// `last_used_at` is written at most this often per credential, so reads do
/// not each cost a write.
const TOUCH_INTERVAL: Duration = Duration::minutes(1);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    ApiToken,
    Session,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApiToken => "api_token",
            Self::Session => "session",
        }
    }
}

/// Why a presented token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Malformed,
    /// Unknown or revoked: the client cannot tell which, nor needs to.
    Invalid,
    Expired,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Self::Malformed => "malformed credentials: send `Authorization: Bearer <token>`",
            Self::Invalid => "the token is not valid (unknown or revoked)",
            Self::Expired => "the token has expired: sign in again or use a new token",
        }
    }
}

pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Creates a credential for `staff_id` and returns the token (the only time
/// it exists in clear) with its row.
pub async fn issue<C: ConnectionTrait>(
    db: &C,
    staff_id: i64,
    kind: Kind,
    label: Option<String>,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> AppResult<(String, staff_credential::Model)> {
    let token = generate_token();
    let row = staff_credential::ActiveModel {
        staff_id: Set(staff_id),
        kind: Set(kind.as_str().to_owned()),
        token_hash: Set(hash_token(&token)),
        label: Set(label),
        created_at: Set(now),
        expires_at: Set(expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((token, row))
}

/// Establishes who presents `token`.
pub async fn authenticate<C: ConnectionTrait>(
    db: &C,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<Result<Principal, Refusal>> {
    let well_formed = token.starts_with(TOKEN_PREFIX)
        && token.len() < 200
        && token[TOKEN_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Ok(Err(Refusal::Malformed));
    }
    let Some(credential) = staff_credential::Entity::find()
        .filter(staff_credential::Column::TokenHash.eq(hash_token(token)))
        .one(db)
        .await?
    else {
        return Ok(Err(Refusal::Invalid));
    };
    if credential.revoked_at.is_some() {
        return Ok(Err(Refusal::Invalid));
    }
    if credential.expires_at.is_some_and(|expiry| expiry <= now) {
        return Ok(Err(Refusal::Expired));
    }
    let Some(account) = staff_account::Entity::find_by_id(credential.staff_id)
        .one(db)
        .await?
    else {
        return Ok(Err(Refusal::Invalid));
    };
    let principal = principal_of(db, account, Some(credential.id)).await?;
    touch(db, &credential, now).await?;
    Ok(Ok(principal))
}

pub async fn principal_of<C: ConnectionTrait>(
    db: &C,
    account: staff_account::Model,
    credential_id: Option<i64>,
) -> AppResult<Principal> {
    let mut roles: Vec<Role> = staff_role::Entity::find()
        .filter(staff_role::Column::StaffId.eq(account.id))
        .all(db)
        .await?
        .iter()
        .filter_map(|row| Role::parse(&row.role))
        .collect();
    roles.sort();
    Ok(Principal {
        staff_id: account.id,
        email: account.email,
        name: account.name,
        roles,
        focal_point_id: account.focal_point_id,
        credential_id,
    })
}

async fn touch<C: ConnectionTrait>(
    db: &C,
    credential: &staff_credential::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let stale = credential
        .last_used_at
        .is_none_or(|last| now - last >= TOUCH_INTERVAL);
    if stale {
        staff_credential::ActiveModel {
            id: Set(credential.id),
            last_used_at: Set(Some(now)),
            ..Default::default()
        }
        .update(db)
        .await?;
    }
    Ok(())
}

/// Revokes one credential (idempotent).
pub async fn revoke<C: ConnectionTrait>(
    db: &C,
    credential_id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    staff_credential::Entity::update_many()
        .col_expr(
            staff_credential::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(staff_credential::Column::Id.eq(credential_id))
        .filter(staff_credential::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes every credential of an account; returns how many were live.
pub async fn revoke_all<C: ConnectionTrait>(
    db: &C,
    staff_id: i64,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let result = staff_credential::Entity::update_many()
        .col_expr(
            staff_credential::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(staff_credential::Column::StaffId.eq(staff_id))
        .filter(staff_credential::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// The credentials of one account, newest first (hashes stay inside).
pub async fn of_staff<C: ConnectionTrait>(
    db: &C,
    staff_id: i64,
) -> AppResult<Vec<staff_credential::Model>> {
    use sea_orm::QueryOrder;
    Ok(staff_credential::Entity::find()
        .filter(staff_credential::Column::StaffId.eq(staff_id))
        .order_by_desc(staff_credential::Column::Id)
        .all(db)
        .await?)
}

/// Revokes one of `principal`'s own credentials; another account's id reads
/// as unknown, so ids of others cannot be probed.
pub async fn revoke_own<C: ConnectionTrait>(
    db: &C,
    principal: &Principal,
    credential_id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let owned = staff_credential::Entity::find_by_id(credential_id)
        .one(db)
        .await?
        .is_some_and(|row| row.staff_id == principal.staff_id);
    if !owned {
        return Err(crate::error::AppError::bad_input(
            "id",
            "no such credential of yours",
        ));
    }
    revoke(db, credential_id, now).await
}

/// A new API token for the account `staff_id`, optionally expiring.
pub async fn issue_api_token<C: ConnectionTrait>(
    db: &C,
    staff_id: i64,
    label: &str,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> AppResult<(String, staff_credential::Model)> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 100 {
        return Err(crate::error::AppError::bad_input(
            "label",
            "1 to 100 characters",
        ));
    }
    if expires_at.is_some_and(|at| at <= now) {
        return Err(crate::error::AppError::bad_input(
            "expiresAt",
            "must be in the future",
        ));
    }
    issue(
        db,
        staff_id,
        Kind::ApiToken,
        Some(label.to_owned()),
        expires_at,
        now,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let (a, b) = (generate_token(), generate_token());
        assert_ne!(a, b);
        // 32 bytes in unpadded base64url are 43 characters.
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 43);
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), hash_token(&b));
    }
}
