//! What an export's `ETag` and `Last-Modified` are made of. The file is
//! streamed, so it cannot be hashed before it is sent; instead the
//! fingerprint gathers, cheaply, every counter that moves when something an
//! export shows changes: the audit log (every staff write: edits, updates,
//! meetings, responses, moderation), the versions bumped by imports, the
//! newest feedback and survey answer, and the reports that can hide a
//! comment on their own.

use chrono::{DateTime, Timelike, Utc};
use entity::{audit_entry, awareness_answer, commitment, data_version, feedback, feedback_report};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    sea_query::Query,
};
use sha2::{Digest, Sha256};

use super::Export;
use crate::error::AppResult;

/// Bumped when the columns or their meaning change, so caches drop files
/// of the old shape.
const SHAPE_VERSION: &str = "exports-v1";

/// An export's validators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    /// A strong entity tag, quoted.
    pub etag: String,
    /// The newest change known, to the second.
    pub last_modified: Option<DateTime<Utc>>,
}

async fn newest<C, E>(
    db: &C,
    id: E::Column,
    filter: Option<sea_orm::Condition>,
) -> AppResult<Option<i64>>
where
    C: ConnectionTrait,
    E: EntityTrait,
{
    let mut query = E::find().select_only().column_as(id.max(), "newest");
    if let Some(condition) = filter {
        query = query.filter(condition);
    }
    Ok(query.into_tuple::<Option<i64>>().one(db).await?.flatten())
}

pub async fn fingerprint<C: ConnectionTrait>(db: &C, export: &Export) -> AppResult<Fingerprint> {
    let plan_commitments = Query::select()
        .column(commitment::Column::Id)
        .from(commitment::Entity)
        .and_where(commitment::Column::ActionPlanId.eq(export.plan.id))
        .to_owned();
    let audit = newest::<_, audit_entry::Entity>(db, audit_entry::Column::Id, None).await?;
    let feedback = newest::<_, feedback::Entity>(
        db,
        feedback::Column::Id,
        Some(
            sea_orm::Condition::all()
                .add(feedback::Column::CommitmentId.in_subquery(plan_commitments)),
        ),
    )
    .await?;
    let answers =
        newest::<_, awareness_answer::Entity>(db, awareness_answer::Column::Id, None).await?;
    let reports = feedback_report::Entity::find().count(db).await?;
    let mut versions: Vec<(String, i64)> = data_version::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.area, row.version))
        .collect();
    versions.sort();

    let languages: Vec<&str> = export
        .language
        .languages()
        .iter()
        .map(|l| l.as_str())
        .collect();
    let seed = format!(
        "{SHAPE_VERSION}|{}|{}|{}|{}|{}|{audit:?}|{feedback:?}|{answers:?}|{reports}|{versions:?}",
        export.plan.id,
        export.dataset.name(),
        export.format.extension(),
        languages.join(","),
        export.public_url,
    );
    let digest = Sha256::digest(seed.as_bytes());
    let etag: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();

    let audited_at = match audit {
        Some(id) => audit_entry::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|row| row.at),
        None => None,
    };
    let commented_at = match feedback {
        Some(id) => feedback::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|row| row.created_at),
        None => None,
    };
    let last_modified = audited_at
        .into_iter()
        .chain(commented_at)
        .max()
        .map(|at| at.with_nanosecond(0).unwrap_or(at));
    Ok(Fingerprint {
        etag: format!("\"{etag}\""),
        last_modified,
    })
}
