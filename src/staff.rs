//! Staff identities and what they may do. Citizens stay anonymous; staff act
//! through credentials (API tokens, login sessions) that carry their roles.
//! Authorization is decided here, in the domain, so every way into a write
//! (GraphQL today, the command line or jobs later) meets the same rules.

pub mod accounts;
pub mod credentials;
pub mod passwords;
pub mod throttle;

use entity::commitment_focal_point;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::error::{AppError, AppResult};

/// What a staff member may be; one account may hold several roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Everything.
    Admin,
    /// Moderates feedback on any commitment.
    Moderator,
    /// Acts on the commitments of the focal point the account is linked to.
    FocalPoint,
}

impl Role {
    pub const ALL: [Self; 3] = [Self::Admin, Self::Moderator, Self::FocalPoint];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Moderator => "moderator",
            Self::FocalPoint => "focal_point",
        }
    }

    /// Accepts the stored spelling and the command line's (`focal-point`).
    pub fn parse(text: &str) -> Option<Self> {
        let normalized = text.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == normalized)
    }
}

/// A signed-in staff member, as established from a credential.
#[derive(Clone, Debug)]
pub struct Principal {
    pub staff_id: i64,
    pub email: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub focal_point_id: Option<i64>,
    /// The credential this request was made with (revoked by `logout`);
    /// none when the command line acts as the account.
    pub credential_id: Option<i64>,
}

impl Principal {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// Who is acting: an anonymous visitor or a staff member.
#[derive(Clone, Debug, Default)]
pub enum Actor {
    #[default]
    Anonymous,
    Staff(Principal),
}

impl Actor {
    /// The staff member, or `UNAUTHENTICATED`.
    pub fn staff(&self) -> AppResult<&Principal> {
        match self {
            Self::Staff(principal) => Ok(principal),
            Self::Anonymous => Err(AppError::unauthenticated()),
        }
    }

    /// An admin, or `UNAUTHENTICATED`/`FORBIDDEN`.
    pub fn admin(&self, what: &str) -> AppResult<&Principal> {
        let principal = self.staff()?;
        if principal.has(Role::Admin) {
            Ok(principal)
        } else {
            Err(AppError::forbidden(what))
        }
    }

    /// Someone who may change `commitment_id`: an admin, or the account of a
    /// focal point responsible for it.
    pub async fn commitment_editor<C: ConnectionTrait>(
        &self,
        db: &C,
        commitment_id: i64,
        what: &str,
    ) -> AppResult<&Principal> {
        let principal = self.staff()?;
        if principal.has(Role::Admin) {
            return Ok(principal);
        }
        if let (true, Some(focal_point_id)) =
            (principal.has(Role::FocalPoint), principal.focal_point_id)
        {
            let responsible = commitment_focal_point::Entity::find()
                .filter(commitment_focal_point::Column::CommitmentId.eq(commitment_id))
                .filter(commitment_focal_point::Column::FocalPointId.eq(focal_point_id))
                .count(db)
                .await?
                > 0;
            if responsible {
                return Ok(principal);
            }
        }
        Err(AppError::forbidden(what))
    }
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn roles_parse_both_spellings() {
        assert_eq!(Role::parse("focal-point"), Some(Role::FocalPoint));
        assert_eq!(Role::parse("Admin"), Some(Role::Admin));
        assert_eq!(Role::parse("owner"), None);
    }
}
