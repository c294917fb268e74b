//! Staff sessions (`login`, `logout`, `me`) and the audit log.

use super::guards::{HasRole, StaffOnly};
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, Json, Object, Result, SimpleObject,
};
use chrono::{DateTime, Utc};
use entity::audit_entry;

use super::{
    connection::{ListConnection, connection, no_prefetch, page_cost},
    focal_point::FocalPoint,
    loaders::{FocalPointById, StaffAccountById},
    node::{NodeType, decode_as},
};
use crate::{
    audit::{self, AuditFilter},
    catalog::pagination::PageRequest,
    clock::Clock,
    error::AppError,
    staff::{Actor, Principal, Role, accounts, credentials, throttle::LoginThrottle},
};

/// The client address of a request, for login throttling only (it is never
/// stored or logged).
pub struct ClientAddress(pub String);

/// Set by the first `login` of a request: aliases cannot multiply attempts.
#[derive(Default)]
pub struct LoginGate(AtomicBool);

pub(super) fn actor<'a>(ctx: &Context<'a>) -> &'a Actor {
    static ANONYMOUS: Actor = Actor::Anonymous;
    ctx.data_opt::<Actor>().unwrap_or(&ANONYMOUS)
}

pub(super) fn now(ctx: &Context<'_>) -> Result<DateTime<Utc>> {
    Ok(ctx.data::<Arc<dyn Clock>>()?.now())
}

/// A staff role.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum StaffRole {
    /// May do everything.
    Admin,
    /// Moderates citizens' feedback on any commitment.
    Moderator,
    /// Acts on the commitments of one focal point.
    FocalPoint,
}

impl From<Role> for StaffRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Admin => Self::Admin,
            Role::Moderator => Self::Moderator,
            Role::FocalPoint => Self::FocalPoint,
        }
    }
}

/// The signed-in staff member.
pub struct Me(pub Principal);

/// The signed-in staff member: who they are and what they may do.
#[Object]
impl Me {
    /// Their email (visible to themselves and to admins only).
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// Their name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Their roles.
    async fn roles(&self) -> Vec<StaffRole> {
        self.0.roles.iter().copied().map(StaffRole::from).collect()
    }

    /// Their API tokens and sessions, newest first (never the tokens
    /// themselves: those are shown once, when created).
    async fn credentials(&self, ctx: &Context<'_>) -> Result<Vec<Credential>> {
        let rows = credentials::of_staff(super::db(ctx)?, self.0.staff_id)
            .await
            .map_err(|err| err.extend())?;
        Ok(rows.into_iter().map(Credential::from).collect())
    }

    /// The focal point they act as, for the `FOCAL_POINT` role.
    async fn focal_point(&self, ctx: &Context<'_>) -> Result<Option<FocalPoint>> {
        let Some(id) = self.0.focal_point_id else {
            return Ok(None);
        };
        Ok(super::loader(ctx)?
            .load_one(FocalPointById(id))
            .await?
            .map(FocalPoint))
    }
}

/// An API token or a login session of the signed-in staff member.
#[derive(SimpleObject)]
pub struct Credential {
    /// Identifies the credential for `revokeCredential`.
    id: i64,
    /// `API_TOKEN` or `SESSION`.
    kind: CredentialKind,
    /// What it is for, as its owner named it.
    label: Option<String>,
    /// When it was created.
    created_at: DateTime<Utc>,
    /// When it stops working; null for tokens without expiry.
    expires_at: Option<DateTime<Utc>>,
    /// When it was last used (to the minute).
    last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    revoked_at: Option<DateTime<Utc>>,
}

/// What kind of credential.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// A token for programs and frontends.
    ApiToken,
    /// A login session.
    Session,
}

impl From<entity::staff_credential::Model> for Credential {
    fn from(row: entity::staff_credential::Model) -> Self {
        Self {
            id: row.id,
            kind: if row.kind == credentials::Kind::Session.as_str() {
                CredentialKind::Session
            } else {
                CredentialKind::ApiToken
            },
            label: row.label,
            created_at: row.created_at,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        }
    }
}

/// A new API token.
#[derive(SimpleObject)]
pub struct NewApiToken {
    /// Send it as `Authorization: Bearer <token>`; it is shown only now.
    token: String,
    /// The credential, for listing and revoking it later.
    credential: Credential,
}

/// A new session.
#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Send it as `Authorization: Bearer <token>`; it is shown only now.
    token: String,
    /// When the session ends.
    expires_at: DateTime<Utc>,
    /// Who signed in.
    me: Me,
}

#[derive(Default)]
pub struct StaffQuery;

#[Object]
impl StaffQuery {
    /// The signed-in staff member; null for anonymous requests.
    async fn me(&self, ctx: &Context<'_>) -> Option<Me> {
        match actor(ctx) {
            Actor::Staff(principal) => Some(Me(principal.clone())),
            Actor::Anonymous => None,
        }
    }

    /// What staff changed, newest first (admins only).
    #[graphql(
        complexity = "page_cost(first, last) * child_complexity",
        guard = "HasRole(Role::Admin)"
    )]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<AuditLogFilter>,
    ) -> Result<ListConnection<AuditEntry>> {
        let filter = filter.unwrap_or_default();
        let domain = AuditFilter {
            entity: filter.entity,
            entity_id: filter.entity_id,
            staff_id: None,
        };
        let request = PageRequest {
            first,
            after,
            last,
            before,
        };
        let listing = audit::listing(actor(ctx), &domain).map_err(|err| err.extend())?;
        connection(ctx, listing, request, no_prefetch, AuditEntry).await
    }
}

/// Which audit entries to list.
#[derive(InputObject, Default)]
pub struct AuditLogFilter {
    /// The kind of record written: `commitment`, `milestone`, `institution`,
    /// `policy_area`, `focal_point`, `action_plan`, `feedback`, `campaign`,
    /// `campaign_activity` or `awareness_metric`.
    entity: Option<String>,
    /// The database id of the record (with `entity`).
    entity_id: Option<i64>,
}

/// One staff write.
pub struct AuditEntry(audit_entry::Model);

/// One staff write: who, what, when, and the record before and after.
#[Object]
impl AuditEntry {
    /// Sequence number (entries are never changed or removed).
    async fn id(&self) -> i64 {
        self.0.id
    }

    /// `create`, `update`, `link` or `unlink`.
    async fn action(&self) -> &str {
        &self.0.action
    }

    /// The kind of record written, e.g. `milestone`.
    async fn entity(&self) -> &str {
        &self.0.entity
    }

    /// The database id of the record written.
    async fn entity_id(&self) -> i64 {
        self.0.entity_id
    }

    /// The record before the write; null for a creation.
    async fn before(&self) -> Option<Json<serde_json::Value>> {
        self.0
            .before
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .map(Json)
    }

    /// The record after the write.
    async fn after(&self) -> Option<Json<serde_json::Value>> {
        self.0
            .after
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .map(Json)
    }

    /// When it happened.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// Who did it.
    async fn staff(&self, ctx: &Context<'_>) -> Result<AuditStaff> {
        let account = super::loader(ctx)?
            .load_one(StaffAccountById(self.0.staff_id))
            .await?
            .ok_or_else(|| AppError::Internal("audit entry without staff".to_owned()).extend())?;
        Ok(AuditStaff {
            name: account.name,
            email: account.email,
        })
    }
}

/// The staff member behind an audit entry.
#[derive(SimpleObject)]
pub struct AuditStaff {
    /// Their name.
    name: String,
    /// Their email.
    email: String,
}

#[derive(Default)]
pub struct StaffMutation;

#[Object]
impl StaffMutation {
    /// Opens a staff session with an email and a password. Attempts are
    /// limited per account and per client address (`RATE_LIMITED`), and one
    /// request may attempt one login.
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> Result<LoginPayload> {
        let gate = ctx.data::<LoginGate>()?;
        if gate.0.swap(true, Ordering::SeqCst) {
            return Err(AppError::RateLimited {
                retry_after_seconds: 1,
            }
            .extend());
        }
        let client = ctx
            .data_opt::<ClientAddress>()
            .map_or("unknown", |address| address.0.as_str());
        let throttle = ctx.data::<Arc<LoginThrottle>>()?;
        let (token, expires_at, principal) = accounts::login(
            super::pool(ctx)?,
            throttle,
            &email,
            &password,
            client,
            now(ctx)?,
        )
        .await
        .map_err(|err| err.extend())?;
        Ok(LoginPayload {
            token,
            expires_at,
            me: Me(principal),
        })
    }

    /// Creates an API token for the signed-in staff member, optionally
    /// expiring.
    #[graphql(guard = "StaffOnly")]
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        label: String,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<NewApiToken> {
        let principal = actor(ctx).staff().map_err(|err| err.extend())?;
        let (token, row) = credentials::issue_api_token(
            super::db(ctx)?,
            principal.staff_id,
            &label,
            expires_at,
            now(ctx)?,
        )
        .await
        .map_err(|err| err.extend())?;
        Ok(NewApiToken {
            token,
            credential: Credential::from(row),
        })
    }

    /// Revokes one of the signed-in staff member's own tokens or sessions.
    #[graphql(guard = "StaffOnly")]
    async fn revoke_credential(&self, ctx: &Context<'_>, id: i64) -> Result<bool> {
        let principal = actor(ctx).staff().map_err(|err| err.extend())?;
        credentials::revoke_own(super::db(ctx)?, principal, id, now(ctx)?)
            .await
            .map_err(|err| err.extend())?;
        Ok(true)
    }

    /// Ends the session (or revokes the API token) this request was made with.
    #[graphql(guard = "StaffOnly")]
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool> {
        let principal = actor(ctx).staff().map_err(|err| err.extend())?;
        if let Some(credential_id) = principal.credential_id {
            credentials::revoke(super::db(ctx)?, credential_id, now(ctx)?)
                .await
                .map_err(|err| err.extend())?;
        }
        Ok(true)
    }
}

/// Decodes an id argument that must name a record of `expected` type.
pub(super) fn id_of(field: &str, id: &ID, expected: NodeType) -> Result<i64> {
    decode_as(field, id, expected).map_err(|err| err.extend())
}
