//! Staff accounts: creation (by the command line), listing, revocation and
//! login.

use chrono::{DateTime, Utc};
use entity::{
    commitment, commitment_focal_point, focal_point, staff_account, staff_credential, staff_role,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, SqlErr, TransactionTrait,
};

use super::{
    Principal, Role,
    credentials::{self, Kind, SESSION_LIFETIME},
    passwords,
    throttle::LoginThrottle,
};
use crate::error::{AppError, AppResult};

/// What `ogp-pulse staff add` asks for.
#[derive(Debug, Default)]
pub struct NewStaff {
    pub email: String,
    pub name: String,
    pub roles: Vec<Role>,
    /// Focal point key or id, or the code of a commitment with one focal point.
    pub focal_point: Option<String>,
    pub password: Option<String>,
}

/// An account with its roles and how many credentials are live.
#[derive(Debug)]
pub struct StaffSummary {
    pub account: staff_account::Model,
    pub roles: Vec<Role>,
    pub live_credentials: usize,
}

pub fn normalize_email(email: &str) -> AppResult<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        });
    if valid {
        Ok(email)
    } else {
        Err(AppError::bad_input("email", "not an email address"))
    }
}

/// The focal point named by its number or key, or by the code of a
/// commitment with exactly one focal point.
pub async fn resolve_focal_point<C: ConnectionTrait>(db: &C, reference: &str) -> AppResult<i64> {
    let reference = reference.trim();
    if let Ok(id) = reference.parse::<i64>() {
        if let Some(row) = focal_point::Entity::find_by_id(id).one(db).await? {
            return Ok(row.id);
        }
    }
    if let Some(row) = focal_point::Entity::find()
        .filter(focal_point::Column::Key.eq(reference))
        .one(db)
        .await?
    {
        return Ok(row.id);
    }
    if let Some(commitment) = commitment::Entity::find()
        .filter(commitment::Column::Code.eq(reference.to_uppercase()))
        .one(db)
        .await?
    {
        let links = commitment_focal_point::Entity::find()
            .filter(commitment_focal_point::Column::CommitmentId.eq(commitment.id))
            .all(db)
            .await?;
        return match links.as_slice() {
            [only] => Ok(only.focal_point_id),
            [] => Err(AppError::bad_input(
                "focal-point",
                format!("commitment {} has no focal point", commitment.code),
            )),
            _ => Err(AppError::bad_input(
                "focal-point",
                format!(
                    "commitment {} has several focal points: name one by key or id",
                    commitment.code
                ),
            )),
        };
    }
    Err(AppError::bad_input(
        "focal-point",
        format!("no focal point or commitment {reference:?}"),
    ))
}

/// Creates an account with its roles and a first API token, returned in clear
/// (the only time it exists so).
pub async fn create(
    db: &DatabaseConnection,
    new: NewStaff,
    now: DateTime<Utc>,
) -> AppResult<(staff_account::Model, String)> {
    let email = normalize_email(&new.email)?;
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::bad_input("name", "1 to 200 characters"));
    }
    let mut roles = new.roles.clone();
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        return Err(AppError::bad_input("role", "at least one role"));
    }
    let password_hash = new.password.as_deref().map(passwords::hash).transpose()?;
    let txn = db.begin().await?;
    let focal_point_id = match (&new.focal_point, roles.contains(&Role::FocalPoint)) {
        (Some(reference), true) => Some(resolve_focal_point(&txn, reference).await?),
        (None, true) => {
            return Err(AppError::bad_input(
                "focal-point",
                "the focal-point role needs the focal point the account acts as",
            ));
        }
        (Some(_), false) => {
            return Err(AppError::bad_input(
                "focal-point",
                "only for the focal-point role",
            ));
        }
        (None, false) => None,
    };
    let inserted = staff_account::ActiveModel {
        email: Set(email),
        name: Set(name),
        password_hash: Set(password_hash),
        focal_point_id: Set(focal_point_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let account = match inserted {
        Ok(account) => account,
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(AppError::bad_input(
                "email",
                "a staff account with this email exists",
            ));
        }
        Err(err) => return Err(err.into()),
    };
    for role in &roles {
        staff_role::ActiveModel {
            staff_id: Set(account.id),
            role: Set(role.as_str().to_owned()),
        }
        .insert(&txn)
        .await?;
    }
    let (token, _) = credentials::issue(
        &txn,
        account.id,
        Kind::ApiToken,
        Some("created with the account".to_owned()),
        None,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok((account, token))
}

pub async fn list(db: &DatabaseConnection, now: DateTime<Utc>) -> AppResult<Vec<StaffSummary>> {
    let accounts = staff_account::Entity::find()
        .order_by_asc(staff_account::Column::Email)
        .all(db)
        .await?;
    let roles = staff_role::Entity::find().all(db).await?;
    let credentials = staff_credential::Entity::find()
        .filter(staff_credential::Column::RevokedAt.is_null())
        .all(db)
        .await?;
    Ok(accounts
        .into_iter()
        .map(|account| {
            let mut account_roles: Vec<Role> = roles
                .iter()
                .filter(|row| row.staff_id == account.id)
                .filter_map(|row| Role::parse(&row.role))
                .collect();
            account_roles.sort();
            let live_credentials = credentials
                .iter()
                .filter(|c| c.staff_id == account.id && c.expires_at.is_none_or(|at| at > now))
                .count();
            StaffSummary {
                account,
                roles: account_roles,
                live_credentials,
            }
        })
        .collect())
}

async fn by_email(db: &DatabaseConnection, email: &str) -> AppResult<staff_account::Model> {
    let email = normalize_email(email)?;
    staff_account::Entity::find()
        .filter(staff_account::Column::Email.eq(email))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("staff account".to_owned()))
}

/// The account with this email as an actor, for the command line: its roles,
/// and no credential.
pub async fn acting_as(db: &DatabaseConnection, email: &str) -> AppResult<Principal> {
    let account = by_email(db, email).await?;
    credentials::principal_of(db, account, None).await
}

/// Issues another API token for the account with this email.
pub async fn add_api_token(
    db: &DatabaseConnection,
    email: &str,
    label: &str,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let account = by_email(db, email).await?;
    let (token, _) = credentials::issue_api_token(db, account.id, label, expires_at, now).await?;
    Ok(token)
}

/// Revokes every credential of the account with this email.
pub async fn revoke_by_email(
    db: &DatabaseConnection,
    email: &str,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let account = by_email(db, email).await?;
    credentials::revoke_all(db, account.id, now).await
}

/// Checks a password and opens a session. Wrong email and wrong password are
/// answered alike, and cost alike.
pub async fn login(
    db: &DatabaseConnection,
    throttle: &LoginThrottle,
    email: &str,
    password: &str,
    client: &str,
    now: DateTime<Utc>,
) -> AppResult<(String, DateTime<Utc>, Principal)> {
    throttle.attempt(email, client).await?;
    let refused = || AppError::Unauthenticated("the email or the password is wrong".to_owned());
    let account = match normalize_email(email) {
        Ok(email) => {
            staff_account::Entity::find()
                .filter(staff_account::Column::Email.eq(email))
                .one(db)
                .await?
        }
        Err(_) => None,
    };
    // Accounts without a password (API tokens only) are checked against the
    // decoy too, for equal timing, but can never match.
    let (stored, has_password) = match account.as_ref().and_then(|a| a.password_hash.clone()) {
        Some(hash) => (hash, true),
        None => (passwords::DECOY_HASH.clone(), false),
    };
    // Argon2 is CPU-bound for tens of milliseconds: keep it off the async workers.
    let candidate = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || passwords::verify(&candidate, &stored))
        .await
        .map_err(|err| AppError::Internal(format!("password check: {err}")))?;
    let Some(account) = account.filter(|_| matches && has_password) else {
        return Err(refused());
    };
    throttle.succeeded(email).await;
    let expires_at = now + SESSION_LIFETIME;
    let (token, credential) = credentials::issue(
        db,
        account.id,
        Kind::Session,
        Some("login".to_owned()),
        Some(expires_at),
        now,
    )
    .await?;
    let principal = credentials::principal_of(db, account, Some(credential.id)).await?;
    Ok((token, expires_at, principal))
}
