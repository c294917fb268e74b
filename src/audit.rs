//! The audit log: every staff write records who did it, what, when, and the
//! record before and after. Nobody can change it (database triggers refuse
//! updates and deletes); admins can read it.

use chrono::{DateTime, Utc};
use entity::audit_entry;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use serde_json::Value;

use crate::{
    catalog::pagination::{Direction, Listing, Ordering},
    error::AppResult,
    staff::{Actor, Principal},
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Link,
    Unlink,
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Link => "link",
            Self::Unlink => "unlink",
            Self::Delete => "delete",
        }
    }
}

/// One write about to be recorded.
pub struct Entry<'a> {
    pub action: Action,
    /// The table written, e.g. `milestone`.
    pub entity: &'a str,
    pub entity_id: i64,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Records `entry` in the caller's transaction, so the write and its record
/// commit or fail together.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    by: &Principal,
    entry: Entry<'_>,
    at: DateTime<Utc>,
) -> AppResult<()> {
    audit_entry::ActiveModel {
        staff_id: Set(by.staff_id),
        action: Set(entry.action.as_str().to_owned()),
        entity: Set(entry.entity.to_owned()),
        entity_id: Set(entry.entity_id),
        before: Set(entry.before.map(|value| value.to_string())),
        after: Set(entry.after.map(|value| value.to_string())),
        at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Which entries to list.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<i64>,
    pub staff_id: Option<i64>,
}

/// Entries matching `filter`, newest first; admins only.
pub fn listing(
    actor: &Actor,
    filter: &AuditFilter,
) -> AppResult<Listing<audit_entry::Entity, i64>> {
    actor.admin("read the audit log")?;
    let mut query = audit_entry::Entity::find();
    if let Some(entity) = &filter.entity {
        query = query.filter(audit_entry::Column::Entity.eq(entity.trim()));
    }
    if let Some(id) = filter.entity_id {
        query = query.filter(audit_entry::Column::EntityId.eq(id));
    }
    if let Some(id) = filter.staff_id {
        query = query.filter(audit_entry::Column::StaffId.eq(id));
    }
    Ok(Listing::new(
        query,
        audit_entry::Column::Id,
        |row| row.id,
        Ordering {
            name: "id",
            direction: Direction::Descending,
        },
    ))
}
