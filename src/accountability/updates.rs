//! Implementation updates: a commitment's focal points (or an admin) report,
//! at a date, how far the commitment or one of its milestones has come,
//! with evidence. Only evidence-backed updates set a completion level, so a
//! commitment never shows a self-declared status nobody can check.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    commitment, evidence, evidence_document, implementation_update,
    implementation_update_translation, milestone,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde_json::json;

use crate::{
    catalog::{
        pagination::{Direction, Listing, Ordering},
        rules,
        vocabulary::{EvidenceType, IrmCompletion, UpdateSource, UpdateStatus},
    },
    editing::{Texts, audit_write, check_texts},
    error::{AppError, AppResult},
    staff::Actor,
};

/// Longest narrative, in characters, per language.
pub const MAX_NARRATIVE_CHARS: usize = 10_000;
/// Most pieces of evidence one update carries.
pub const MAX_EVIDENCE: usize = 20;
/// Longest evidence title, in characters.
pub const MAX_EVIDENCE_TITLE_CHARS: usize = 300;
/// Longest evidence link, in characters.
pub const MAX_LINK_CHARS: usize = 2_000;

/// Where a piece of evidence is.
#[derive(Clone, Debug)]
pub enum EvidenceSource {
    /// A web address.
    Link(String),
    /// A document uploaded before (see [`super::documents`]).
    Document(i64),
}

#[derive(Clone, Debug)]
pub struct NewEvidence {
    pub title: String,
    pub evidence_type: EvidenceType,
    pub dated_on: NaiveDate,
    pub source: EvidenceSource,
}

#[derive(Clone, Debug)]
pub struct NewUpdate {
    pub commitment_id: i64,
    pub milestone_id: Option<i64>,
    pub reported_on: NaiveDate,
    pub status: UpdateStatus,
    pub source: UpdateSource,
    pub narrative: Texts,
    pub evidence: Vec<NewEvidence>,
}

/// Posts an update with its evidence, in one transaction.
pub async fn post(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    new: NewUpdate,
) -> AppResult<implementation_update::Model> {
    actor.staff()?;
    let txn = db.begin().await?;
    if commitment::Entity::find_by_id(new.commitment_id)
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(AppError::bad_input("commitmentId", "no such commitment"));
    }
    let by = actor
        .commitment_editor(
            &txn,
            new.commitment_id,
            "post implementation updates on this commitment",
        )
        .await?;
    if let Some(milestone_id) = new.milestone_id {
        let belongs = milestone::Entity::find_by_id(milestone_id)
            .one(&txn)
            .await?
            .is_some_and(|row| row.commitment_id == new.commitment_id);
        if !belongs {
            return Err(AppError::bad_input(
                "milestoneId",
                "not a milestone of this commitment",
            ));
        }
    }
    let today = now.date_naive();
    not_after_today("date", new.reported_on, today)?;
    if new.narrative.is_empty() {
        return Err(AppError::bad_input(
            "narrative",
            "needs a text in at least one language",
        ));
    }
    check_texts("narrative", &new.narrative, MAX_NARRATIVE_CHARS)?;
    if new.evidence.len() > MAX_EVIDENCE {
        return Err(AppError::bad_input(
            "evidence",
            format!("at most {MAX_EVIDENCE} pieces of evidence per update"),
        ));
    }
    let mut documents_seen = Vec::new();
    for (index, piece) in new.evidence.iter().enumerate() {
        let field = |name: &str| format!("evidence[{index}].{name}");
        rules::text(&piece.title, MAX_EVIDENCE_TITLE_CHARS)
            .map_err(|message| AppError::bad_input(field("title"), message))?;
        not_after_today(&field("date"), piece.dated_on, today)?;
        match &piece.source {
            EvidenceSource::Link(url) => {
                if url.chars().count() > MAX_LINK_CHARS {
                    return Err(AppError::bad_input(
                        field("url"),
                        format!("at most {MAX_LINK_CHARS} characters"),
                    ));
                }
                rules::web_link(url.trim())
                    .map_err(|message| AppError::bad_input(field("url"), message))?;
            }
            EvidenceSource::Document(id) => {
                if documents_seen.contains(id) {
                    return Err(AppError::bad_input(
                        field("documentId"),
                        "the same document twice",
                    ));
                }
                documents_seen.push(*id);
                if evidence_document::Entity::find_by_id(*id)
                    .one(&txn)
                    .await?
                    .is_none()
                {
                    return Err(AppError::bad_input(
                        field("documentId"),
                        "no such uploaded document",
                    ));
                }
                let attached = evidence::Entity::find()
                    .filter(evidence::Column::DocumentId.eq(*id))
                    .count(&txn)
                    .await?
                    > 0;
                if attached {
                    return Err(AppError::bad_input(
                        field("documentId"),
                        "is already evidence of another update: upload it again",
                    ));
                }
            }
        }
    }

    let row = implementation_update::ActiveModel {
        commitment_id: Set(new.commitment_id),
        milestone_id: Set(new.milestone_id),
        reported_on: Set(new.reported_on),
        status: Set(new.status.as_str().to_owned()),
        source: Set(new.source.as_str().to_owned()),
        has_evidence: Set(!new.evidence.is_empty()),
        staff_id: Set(by.staff_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for (language, narrative) in &new.narrative {
        implementation_update_translation::ActiveModel {
            update_id: Set(row.id),
            language: Set(language.as_str().to_owned()),
            narrative: Set(narrative.trim().to_owned()),
        }
        .insert(&txn)
        .await?;
    }
    let mut pieces = Vec::with_capacity(new.evidence.len());
    for (position, piece) in new.evidence.into_iter().enumerate() {
        let (url, document_id) = match piece.source {
            EvidenceSource::Link(url) => (Some(url.trim().to_owned()), None),
            EvidenceSource::Document(id) => (None, Some(id)),
        };
        let stored = evidence::ActiveModel {
            update_id: Set(row.id),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            title: Set(piece.title.trim().to_owned()),
            evidence_type: Set(piece.evidence_type.as_str().to_owned()),
            dated_on: Set(piece.dated_on),
            url: Set(url),
            document_id: Set(document_id),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        pieces.push(stored);
    }
    let narrative: HashMap<&str, &str> = new
        .narrative
        .iter()
        .map(|(language, text)| (language.as_str(), text.as_str()))
        .collect();
    let after = json!({ "update": row, "narrative": narrative, "evidence": pieces });
    audit_write(
        &txn,
        by,
        ("implementation_update", row.id),
        None,
        after,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

fn not_after_today(field: &str, day: NaiveDate, today: NaiveDate) -> AppResult<()> {
    if day > today {
        Err(AppError::bad_input(
            field,
            format!("{day} is after today ({today})"),
        ))
    } else {
        Ok(())
    }
}

/// Whose updates a list holds.
#[derive(Clone, Copy, Debug)]
pub enum UpdatesOf {
    Commitment(i64),
    Milestone(i64),
}

/// Updates newest first: by the date they report on, then by posting.
pub fn listing(of: UpdatesOf) -> Listing<implementation_update::Entity, NaiveDate> {
    let query = match of {
        UpdatesOf::Commitment(id) => implementation_update::Entity::find()
            .filter(implementation_update::Column::CommitmentId.eq(id)),
        UpdatesOf::Milestone(id) => implementation_update::Entity::find()
            .filter(implementation_update::Column::MilestoneId.eq(id)),
    };
    Listing::new(
        query,
        implementation_update::Column::ReportedOn,
        |row| row.reported_on,
        Ordering {
            name: "date",
            direction: Direction::Descending,
        },
    )
    .tiebreak(implementation_update::Column::Id, |row| row.id)
}

/// The completion level evidence supports: the status of the newest update
/// with evidence, or "no evidence available".
pub fn level_of(newest_with_evidence: Option<&implementation_update::Model>) -> IrmCompletion {
    match newest_with_evidence.map(|row| UpdateStatus::parse(&row.status)) {
        Some(Some(UpdateStatus::NotStarted)) => IrmCompletion::NotStarted,
        Some(Some(UpdateStatus::Limited)) => IrmCompletion::Limited,
        Some(Some(UpdateStatus::Substantial)) => IrmCompletion::Substantial,
        Some(Some(UpdateStatus::Complete)) => IrmCompletion::Complete,
        Some(None) | None => IrmCompletion::NoEvidenceAvailable,
    }
}

/// What completion levels are asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Of commitments: from updates on the commitment as a whole (an update
    /// on one milestone says nothing of the others).
    Commitments,
    Milestones,
}

/// The newest evidence-backed update of each of `ids` (commitments or
/// milestones, as `level` says), for completion levels.
pub async fn newest_with_evidence<C: ConnectionTrait>(
    db: &C,
    level: Level,
    ids: &[i64],
) -> AppResult<HashMap<i64, implementation_update::Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut query = implementation_update::Entity::find()
        .filter(implementation_update::Column::HasEvidence.eq(true));
    query = match level {
        Level::Commitments => query
            .filter(implementation_update::Column::CommitmentId.is_in(ids.iter().copied()))
            .filter(implementation_update::Column::MilestoneId.is_null()),
        Level::Milestones => {
            query.filter(implementation_update::Column::MilestoneId.is_in(ids.iter().copied()))
        }
    };
    let rows = query
        .order_by_asc(implementation_update::Column::ReportedOn)
        .order_by_asc(implementation_update::Column::Id)
        .all(db)
        .await?;
    let mut newest = HashMap::new();
    for row in rows {
        let owner = match level {
            Level::Commitments => Some(row.commitment_id),
            Level::Milestones => row.milestone_id,
        };
        if let Some(owner) = owner {
            // Ascending order: the last one seen is the newest.
            newest.insert(owner, row);
        }
    }
    Ok(newest)
}

/// A piece of evidence and where to read it.
#[derive(Clone, Debug)]
pub struct EvidenceLink {
    pub piece: evidence::Model,
    /// The link, or the document's download address.
    pub url: String,
    /// For a document: its file name.
    pub file_name: Option<String>,
}

/// The evidence of each of `update_ids`, in the order given, with each
/// document's download address under `public_url`.
pub async fn evidence_of<C: ConnectionTrait>(
    db: &C,
    update_ids: &[i64],
    public_url: &str,
) -> AppResult<HashMap<i64, Vec<EvidenceLink>>> {
    let mut pieces = crate::catalog::lookups::grouped::<evidence::Entity, _>(
        db,
        evidence::Column::UpdateId,
        update_ids,
        |piece| piece.update_id,
    )
    .await?;
    let document_ids: Vec<i64> = pieces
        .values()
        .flatten()
        .filter_map(|piece| piece.document_id)
        .collect();
    let documents = crate::catalog::lookups::by_id::<evidence_document::Entity, _>(
        db,
        evidence_document::Column::Id,
        &document_ids,
        |document| document.id,
    )
    .await?;
    Ok(pieces
        .drain()
        .map(|(update_id, mut own)| {
            own.sort_by_key(|piece| (piece.position, piece.id));
            let links = own
                .into_iter()
                .filter_map(|piece| {
                    let (url, file_name) = match (&piece.url, piece.document_id) {
                        (Some(url), _) => (url.clone(), None),
                        (None, Some(id)) => {
                            let name = documents.get(&id)?.file_name.clone();
                            let url = crate::http::evidence::download_url(public_url, id, &name);
                            (url, Some(name))
                        }
                        (None, None) => return None,
                    };
                    Some(EvidenceLink {
                        piece,
                        url,
                        file_name,
                    })
                })
                .collect();
            (update_id, links)
        })
        .collect())
}
