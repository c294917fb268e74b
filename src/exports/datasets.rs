//! The rows of each dataset, read batch by batch.

use std::collections::HashMap;

use chrono::{Days, Months};
use entity::{
    commitment, commitment_translation, feedback, implementation_update,
    implementation_update_translation, milestone, milestone_translation,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Query,
};
use serde_json::{Value, json};

use super::{BATCH, Dataset, Export, ExportError, sink::Sink};
use crate::{
    accountability::{
        ledger::{self, Scope},
        updates::{self, Level},
    },
    awareness::{Subject, figures, periods::Granularity},
    catalog::{lookups, partial_date::PartialDate, vocabulary::FeedbackStatus},
    error::AppError,
    language::LanguagePreference,
};

pub fn columns(dataset: Dataset) -> &'static [&'static str] {
    match dataset {
        Dataset::Commitments => &[
            "code",
            "status",
            "language",
            "title",
            "description",
            "lead_institution",
            "start_date",
            "end_date",
            "completion_level",
            "irm_verifiable",
            "irm_potential_impact",
            "irm_completion",
        ],
        Dataset::Milestones => &[
            "commitment",
            "position",
            "language",
            "title",
            "expected_output",
            "means_of_verification",
            "responsible_institution",
            "start_date",
            "end_date",
            "status",
            "completion_level",
        ],
        Dataset::Updates => &[
            "id",
            "commitment",
            "milestone",
            "date",
            "status",
            "source",
            "has_evidence",
            "language",
            "narrative",
            "evidence",
            "posted_at",
        ],
        Dataset::Feedback => &[
            "id",
            "commitment",
            "parent_id",
            "depth",
            "kind",
            "stance",
            "language",
            "body",
            "created_at",
            "official",
            "decision",
            "rationale",
        ],
        Dataset::Responses => &[
            "proposal_id",
            "commitment",
            "proposed_at",
            "first_answered_at",
            "days_to_answer",
            "decision",
            "rationale",
            "response_id",
        ],
        Dataset::Awareness => &["period_start", "period_end", "reach", "responses", "aware"],
    }
}

pub async fn write<C: ConnectionTrait>(
    db: &C,
    export: &Export,
    sink: &mut Sink,
) -> Result<(), ExportError> {
    let codes: HashMap<i64, String> = commitment::Entity::find()
        .select_only()
        .column(commitment::Column::Id)
        .column(commitment::Column::Code)
        .filter(commitment::Column::ActionPlanId.eq(export.plan.id))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let plan = Plan { export, codes };
    match export.dataset {
        Dataset::Commitments => commitments(db, &plan, sink).await,
        Dataset::Milestones => milestones(db, &plan, sink).await,
        Dataset::Updates => implementation_updates(db, &plan, sink).await,
        Dataset::Feedback => published_feedback(db, &plan, sink).await,
        Dataset::Responses => responses(db, &plan, sink).await,
        Dataset::Awareness => awareness(db, &plan, sink).await,
    }
}

/// What every dataset of one plan needs.
struct Plan<'a> {
    export: &'a Export,
    /// The plan's commitments: id to code.
    codes: HashMap<i64, String>,
}

impl Plan<'_> {
    fn code(&self, commitment_id: i64) -> Value {
        self.codes
            .get(&commitment_id)
            .map_or(Value::Null, |code| Value::from(code.as_str()))
    }

    fn language(&self) -> &LanguagePreference {
        &self.export.language
    }

    fn commitment_ids(&self) -> sea_orm::sea_query::SelectStatement {
        Query::select()
            .column(commitment::Column::Id)
            .from(commitment::Entity)
            .and_where(commitment::Column::ActionPlanId.eq(self.export.plan.id))
            .to_owned()
    }
}

fn text(value: Option<&str>) -> Value {
    value.map_or(Value::Null, Value::from)
}

fn level(row: Option<&implementation_update::Model>) -> Value {
    Value::from(updates::level_of(row).as_str())
}

/// The next batch of `query` in the order of its `id` column after
/// `*after`, which moves to the batch's last id; none once all were read.
async fn next_batch<C, E>(
    db: &C,
    query: sea_orm::Select<E>,
    id: E::Column,
    id_of: fn(&E::Model) -> i64,
    after: &mut i64,
) -> Result<Option<Vec<E::Model>>, ExportError>
where
    C: ConnectionTrait,
    E: EntityTrait,
{
    let rows = query
        .filter(id.gt(*after))
        .order_by_asc(id)
        .limit(BATCH)
        .all(db)
        .await?;
    match rows.last() {
        Some(last) => {
            *after = id_of(last);
            Ok(Some(rows))
        }
        None => Ok(None),
    }
}

/// Institution names in the preferred language, by id.
async fn institution_names<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    language: &LanguagePreference,
) -> Result<HashMap<i64, String>, ExportError> {
    Ok(lookups::institution_names(db, ids, language)
        .await?
        .into_iter()
        .map(|(id, found)| (id, found.name))
        .collect())
}

async fn commitments<C: ConnectionTrait>(
    db: &C,
    plan: &Plan<'_>,
    sink: &mut Sink,
) -> Result<(), ExportError> {
    let mut after = 0;
    let query =
        commitment::Entity::find().filter(commitment::Column::ActionPlanId.eq(plan.export.plan.id));
    while let Some(rows) = next_batch(
        db,
        query.clone(),
        commitment::Column::Id,
        |r| r.id,
        &mut after,
    )
    .await?
    {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let texts = lookups::grouped::<commitment_translation::Entity, _>(
            db,
            commitment_translation::Column::CommitmentId,
            &ids,
            |t| t.commitment_id,
        )
        .await?;
        let leads: Vec<i64> = rows.iter().filter_map(|r| r.lead_institution_id).collect();
        let names = institution_names(db, &leads, plan.language()).await?;
        let levels = updates::newest_with_evidence(db, Level::Commitments, &ids).await?;
        for row in rows {
            let translations = texts.get(&row.id).map_or(&[][..], Vec::as_slice);
            let title =
                plan.language()
                    .pick(translations, |t| &t.language, |t| Some(t.title.as_str()));
            let description =
                plan.language()
                    .pick(translations, |t| &t.language, |t| t.description.as_deref());
            sink.row(vec![
                Value::from(row.code.as_str()),
                Value::from(row.status.as_str()),
                text(title.as_ref().map(|t| t.language.as_str())),
                text(title.as_ref().map(|t| t.value)),
                text(description.as_ref().map(|t| t.value)),
                text(
                    row.lead_institution_id
                        .and_then(|id| names.get(&id))
                        .map(String::as_str),
                ),
                text(row.period_start.as_deref()),
                text(row.period_end.as_deref()),
                level(levels.get(&row.id)),
                row.irm_verifiable.map_or(Value::Null, Value::from),
                text(row.irm_potential_impact.as_deref()),
                text(row.irm_completion.as_deref()),
            ])
            .await?;
        }
    }
    Ok(())
}

async fn milestones<C: ConnectionTrait>(
    db: &C,
    plan: &Plan<'_>,
    sink: &mut Sink,
) -> Result<(), ExportError> {
    let mut after = 0;
    let query = milestone::Entity::find()
        .filter(milestone::Column::CommitmentId.in_subquery(plan.commitment_ids()));
    while let Some(rows) = next_batch(
        db,
        query.clone(),
        milestone::Column::Id,
        |r| r.id,
        &mut after,
    )
    .await?
    {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let texts = lookups::grouped::<milestone_translation::Entity, _>(
            db,
            milestone_translation::Column::MilestoneId,
            &ids,
            |t| t.milestone_id,
        )
        .await?;
        let responsible: Vec<i64> = rows
            .iter()
            .filter_map(|r| r.responsible_institution_id)
            .collect();
        let names = institution_names(db, &responsible, plan.language()).await?;
        let levels = updates::newest_with_evidence(db, Level::Milestones, &ids).await?;
        for row in rows {
            let translations = texts.get(&row.id).map_or(&[][..], Vec::as_slice);
            let pick = |field: fn(&milestone_translation::Model) -> Option<&str>| {
                plan.language()
                    .pick(translations, |t| &t.language, field)
                    .map(|t| t.value.to_owned())
            };
            let title =
                plan.language()
                    .pick(translations, |t| &t.language, |t| Some(t.title.as_str()));
            sink.row(vec![
                plan.code(row.commitment_id),
                Value::from(row.position),
                text(title.as_ref().map(|t| t.language.as_str())),
                text(title.as_ref().map(|t| t.value)),
                text(pick(|t| t.expected_output.as_deref()).as_deref()),
                text(pick(|t| t.means_of_verification.as_deref()).as_deref()),
                text(
                    row.responsible_institution_id
                        .and_then(|id| names.get(&id))
                        .map(String::as_str),
                ),
                text(row.start_date.as_deref()),
                text(row.end_date.as_deref()),
                text(row.status.as_deref()),
                level(levels.get(&row.id)),
            ])
            .await?;
        }
    }
    Ok(())
}

async fn implementation_updates<C: ConnectionTrait>(
    db: &C,
    plan: &Plan<'_>,
    sink: &mut Sink,
) -> Result<(), ExportError> {
    let mut after = 0;
    let query = implementation_update::Entity::find()
        .filter(implementation_update::Column::CommitmentId.in_subquery(plan.commitment_ids()));
    while let Some(rows) = next_batch(
        db,
        query.clone(),
        implementation_update::Column::Id,
        |r| r.id,
        &mut after,
    )
    .await?
    {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let texts = lookups::grouped::<implementation_update_translation::Entity, _>(
            db,
            implementation_update_translation::Column::UpdateId,
            &ids,
            |t| t.update_id,
        )
        .await?;
        let pieces = updates::evidence_of(db, &ids, &plan.export.public_url).await?;
        let milestone_ids: Vec<i64> = rows.iter().filter_map(|r| r.milestone_id).collect();
        let positions = lookups::by_id::<milestone::Entity, _>(
            db,
            milestone::Column::Id,
            &milestone_ids,
            |m| m.id,
        )
        .await?;
        for row in rows {
            let translations = texts.get(&row.id).map_or(&[][..], Vec::as_slice);
            let narrative = plan.language().pick(
                translations,
                |t| &t.language,
                |t| Some(t.narrative.as_str()),
            );
            let evidence: Vec<Value> = pieces
                .get(&row.id)
                .into_iter()
                .flatten()
                .map(|link| {
                    json!({
                        "title": link.piece.title,
                        "type": link.piece.evidence_type,
                        "date": link.piece.dated_on.to_string(),
                        "url": link.url,
                    })
                })
                .collect();
            sink.row(vec![
                Value::from(row.id),
                plan.code(row.commitment_id),
                row.milestone_id
                    .and_then(|id| positions.get(&id))
                    .map_or(Value::Null, |m| Value::from(m.position)),
                Value::from(row.reported_on.to_string()),
                Value::from(row.status.as_str()),
                Value::from(row.source.as_str()),
                Value::from(row.has_evidence),
                text(narrative.as_ref().map(|t| t.language.as_str())),
                text(narrative.as_ref().map(|t| t.value)),
                Value::from(evidence),
                Value::from(row.created_at.to_rfc3339()),
            ])
            .await?;
        }
    }
    Ok(())
}

/// Published feedback only; no author's name or address, no visitor key.
async fn published_feedback<C: ConnectionTrait>(
    db: &C,
    plan: &Plan<'_>,
    sink: &mut Sink,
) -> Result<(), ExportError> {
    // Commitment by commitment, each through the (commitment, status, id)
    // index: a plan's comments are a thin slice of the whole table, and
    // walking the table in id order to pick them out read it all.
    let mut commitment_ids: Vec<i64> = plan.codes.keys().copied().collect();
    commitment_ids.sort_unstable();
    for commitment_id in commitment_ids {
        let mut after = 0;
        loop {
            // Only the columns that may leave: the author's fields are never read.
            let rows: Vec<FeedbackRow> = feedback::Entity::find()
                .select_only()
                .columns([
                    feedback::Column::Id,
                    feedback::Column::CommitmentId,
                    feedback::Column::ParentId,
                    feedback::Column::Depth,
                    feedback::Column::Kind,
                    feedback::Column::Stance,
                    feedback::Column::Language,
                    feedback::Column::Body,
                    feedback::Column::CreatedAt,
                    feedback::Column::Official,
                    feedback::Column::ResponseDecision,
                    feedback::Column::ResponseRationale,
                ])
                .filter(feedback::Column::CommitmentId.eq(commitment_id))
                .filter(feedback::Column::Status.eq(FeedbackStatus::Published.as_str()))
                .filter(feedback::Column::Id.gt(after))
                .order_by_asc(feedback::Column::Id)
                .limit(BATCH)
                .into_model::<FeedbackRow>()
                .all(db)
                .await?;
            let Some(last) = rows.last() else {
                break;
            };
            after = last.id;
            for row in rows {
                sink.row(vec![
                    Value::from(row.id),
                    plan.code(row.commitment_id),
                    row.parent_id.map_or(Value::Null, Value::from),
                    Value::from(row.depth),
                    Value::from(row.kind),
                    text(row.stance.as_deref()),
                    text(row.language.as_deref()),
                    Value::from(row.body),
                    Value::from(row.created_at.to_rfc3339()),
                    Value::from(row.official),
                    text(row.response_decision.as_deref()),
                    text(row.response_rationale.as_deref()),
                ])
                .await?;
            }
        }
    }
    Ok(())
}

#[derive(sea_orm::FromQueryResult)]
struct FeedbackRow {
    id: i64,
    commitment_id: i64,
    parent_id: Option<i64>,
    depth: i32,
    kind: String,
    stance: Option<String>,
    language: Option<String>,
    body: String,
    created_at: chrono::DateTime<chrono::Utc>,
    official: bool,
    response_decision: Option<String>,
    response_rationale: Option<String>,
}

async fn responses<C: ConnectionTrait>(
    db: &C,
    plan: &Plan<'_>,
    sink: &mut Sink,
) -> Result<(), ExportError> {
    let scope = Scope::ActionPlan(plan.export.plan.id);
    let mut after = 0;
    loop {
        let answers = ledger::answered_after(db, scope, after, BATCH).await?;
        let Some(last) = answers.last() else {
            return Ok(());
        };
        after = last.proposal_id;
        for answer in answers {
            let days = (answer.first_answered_at - answer.proposed_at)
                .num_seconds()
                .max(0) as f64
                / 86_400.0;
            sink.row(vec![
                Value::from(answer.proposal_id),
                plan.code(answer.commitment_id),
                Value::from(answer.proposed_at.to_rfc3339()),
                Value::from(answer.first_answered_at.to_rfc3339()),
                Value::from((days * 100.0).round() / 100.0),
                Value::from(answer.decision.as_str()),
                text(answer.rationale.as_deref()),
                Value::from(answer.response_id),
            ])
            .await?;
        }
    }
}

/// Monthly, from the plan's start (or a year ago) to this month.
async fn awareness<C: ConnectionTrait>(
    db: &C,
    plan: &Plan<'_>,
    sink: &mut Sink,
) -> Result<(), ExportError> {
    let today = plan.export.now.date_naive();
    let year_ago = today.checked_sub_days(Days::new(365)).unwrap_or(today);
    let from = plan
        .export
        .plan
        .start_date
        .as_deref()
        .and_then(|text| PartialDate::parse(text).ok())
        .and_then(|date| date.first_day())
        .filter(|start| *start <= today)
        .unwrap_or(year_ago);
    // At most the series' limit of months, the most recent ones.
    let limit = u32::try_from(figures::MAX_POINTS).unwrap_or(u32::MAX) - 1;
    let earliest = today.checked_sub_months(Months::new(limit)).unwrap_or(from);
    let from = from.max(earliest);
    let series = figures::series(
        db,
        Subject::ActionPlan(plan.export.plan.id),
        Granularity::Month,
        from,
        today,
    )
    .await?
    .ok_or_else(|| AppError::Internal("the awareness series is too long".to_owned()))?;
    for point in series.points {
        sink.row(vec![
            Value::from(point.start.to_string()),
            Value::from(point.end.to_string()),
            Value::from(point.reach()),
            Value::from(point.responses),
            Value::from(point.aware),
        ])
        .await?;
    }
    Ok(())
}
