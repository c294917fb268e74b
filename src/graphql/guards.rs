//! Guards for the GraphQL layer. They refuse early and with the right code;
//! the domain services check again, so no way in depends on a guard alone.

use async_graphql::{Context, ErrorExtensions, Guard, Result};

use super::staff::actor;
use crate::{error::AppError, staff::Role};

/// Any signed-in staff member.
pub struct StaffOnly;

impl Guard for StaffOnly {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        actor(ctx).staff().map(|_| ()).map_err(|err| err.extend())
    }
}

/// A staff member holding `role`.
pub struct HasRole(pub Role);

impl Guard for HasRole {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let principal = actor(ctx).staff().map_err(|err| err.extend())?;
        if principal.has(self.0) {
            Ok(())
        } else {
            Err(AppError::forbidden("do this").extend())
        }
    }
}
