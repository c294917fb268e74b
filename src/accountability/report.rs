//! The IRM evidence pack: everything a self-assessment or an Independent
//! Reporting Mechanism researcher needs about one commitment, in one
//! document — its description, milestones and their evidence, the update
//! history, feedback statistics and the ledger of responses, awareness
//! figures, the meetings that discussed it, its compliance alerts and what
//! keeps it from being verifiable. Gathered from the database, then
//! rendered to Markdown or HTML from the templates beside this file.
//!
//! Citizens appear only as counts, decisions, rationales and dates: never
//! a name, an address or the text of a comment.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use entity::{
    action_plan, action_plan_translation, commitment, commitment_translation,
    implementation_update, implementation_update_translation, meeting, meeting_commitment,
    milestone_translation,
};
use minijinja::{AutoEscape, Environment, context};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Query,
};

use super::{
    compliance::{self, Alert, ComplianceRules},
    ledger::{self, Answer, Ledger, Scope},
    meetings::Sector,
    updates::{self, Level},
    verifiability::{self, Issue},
};
use crate::{
    awareness::{Granularity, Subject, figures},
    catalog::{commitments, lookups, partial_date::PartialDate, vocabulary::IrmCompletion},
    error::{AppError, AppResult},
    feedback::read::{self, FeedbackSummary},
    language::{Language, LanguagePreference},
};

const MARKDOWN: &str = include_str!("templates/report.md");
const HTML: &str = include_str!("templates/report.html");

/// The section headings, in the order the document has them.
pub const SECTIONS: [&str; 8] = [
    "Description",
    "Milestones",
    "Implementation updates",
    "Feedback and responses",
    "Awareness",
    "Meetings",
    "Compliance alerts",
    "Verifiability",
];

/// What a pack is gathered for.
#[derive(Clone, Copy, Debug)]
pub struct Settings<'a> {
    /// The language texts are wanted in (then English, then any).
    pub language: &'a str,
    pub now: DateTime<Utc>,
    pub rules: &'a ComplianceRules,
    /// The base of the download links of uploaded documents.
    pub public_url: &'a str,
}

/// The format a pack is rendered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
}

/// One commitment's evidence pack, ready to render.
#[derive(Clone, Debug)]
pub struct EvidencePack {
    pub generated_at: DateTime<Utc>,
    /// The language asked for (texts may have fallen back to another).
    pub language: String,
    pub code: String,
    pub title: String,
    pub full_title: Option<String>,
    pub status: String,
    pub plan: Plan,
    pub lead_institution: Option<String>,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub description: Description,
    pub irm: IrmFields,
    /// The level the newest evidence-backed update on the commitment sets.
    pub completion_level: IrmCompletion,
    pub milestones: Vec<MilestoneEntry>,
    /// Newest first.
    pub updates: Vec<UpdateEntry>,
    pub feedback: FeedbackSummary,
    pub ledger: Ledger,
    /// Answered proposals, newest proposal first.
    pub answers: Vec<Answer>,
    pub awareness: AwarenessEntry,
    /// Newest first.
    pub meetings: Vec<meeting::Model>,
    pub alerts: Vec<Alert>,
    /// Alerts of the action plan as a whole.
    pub plan_alerts: Vec<Alert>,
    pub verifiability: Vec<Issue>,
}

#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub key: String,
    pub title: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
}

/// The answers of the commitment template, as published.
#[derive(Clone, Debug, Default)]
pub struct Description {
    pub public_problem: Option<String>,
    pub what_it_is: Option<String>,
    pub how_it_contributes: Option<String>,
    pub ogp_relevance: Option<String>,
    pub additional_information: Option<String>,
}

/// The IRM's assessment, as stored (vocabulary values).
#[derive(Clone, Debug, Default)]
pub struct IrmFields {
    pub report: Option<String>,
    pub starred: Option<bool>,
    pub early_results: Option<String>,
    pub verifiable: Option<bool>,
    pub ogp_values: Vec<String>,
    pub potential_impact: Option<String>,
    pub completion: Option<String>,
}

impl IrmFields {
    fn of(row: &commitment::Model) -> Self {
        Self {
            report: row.irm_report.clone(),
            starred: row.irm_starred,
            early_results: row.irm_early_results.clone(),
            verifiable: row.irm_verifiable,
            ogp_values: row
                .irm_ogp_values
                .as_deref()
                .and_then(|json| serde_json::from_str(json).ok())
                .unwrap_or_default(),
            potential_impact: row.irm_potential_impact.clone(),
            completion: row.irm_completion.clone(),
        }
    }

    /// Whether nothing has been assessed yet.
    pub fn pending(&self) -> bool {
        self.report.is_none()
            && self.starred.is_none()
            && self.early_results.is_none()
            && self.verifiable.is_none()
            && self.ogp_values.is_empty()
            && self.potential_impact.is_none()
            && self.completion.is_none()
    }
}

#[derive(Clone, Debug)]
pub struct MilestoneEntry {
    pub position: i32,
    pub title: String,
    pub start: Option<String>,
    pub end: Option<String>,
    /// The reported status (`not_started`, `in_progress`, `completed`).
    pub status: Option<String>,
    /// The level its newest evidence-backed update sets.
    pub completion_level: IrmCompletion,
    pub expected_output: Option<String>,
    pub means_of_verification: Option<String>,
    /// Its own, else the commitment's lead.
    pub responsible: Option<String>,
    /// The evidence of the updates on it, newest update first.
    pub evidence: Vec<EvidenceEntry>,
}

#[derive(Clone, Debug)]
pub struct UpdateEntry {
    pub reported_on: NaiveDate,
    pub status: String,
    pub source: String,
    /// The milestone it is about, when not the whole commitment.
    pub milestone_position: Option<i32>,
    pub narrative: Option<String>,
    pub evidence: Vec<EvidenceEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceEntry {
    pub title: String,
    pub evidence_type: String,
    pub dated_on: NaiveDate,
    /// The link, or the download address of an uploaded document.
    pub url: String,
    /// Set for an uploaded document.
    pub file_name: Option<String>,
}

/// Reach and survey answers over a period, the period before, and month
/// by month.
#[derive(Clone, Debug, Default)]
pub struct AwarenessEntry {
    pub current: figures::PeriodFigures,
    pub previous: figures::PeriodFigures,
    pub months: Vec<figures::Point>,
}

impl AwarenessEntry {
    fn has_figures(&self) -> bool {
        [self.current, self.previous]
            .iter()
            .any(|period| period.reach > 0 || period.responses > 0)
    }
}

/// Gathers the evidence pack of the commitment with OGP code `code`.
pub async fn gather<C: ConnectionTrait>(
    db: &C,
    code: &str,
    settings: &Settings<'_>,
) -> AppResult<EvidencePack> {
    let code = code.trim();
    if code.is_empty() {
        return Err(AppError::bad_input(
            "code",
            "a commitment code such as MO0018",
        ));
    }
    let row = commitments::find_by_code(db, code)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("commitment {code}")))?;
    gather_for(db, &row, settings).await
}

/// Gathers the evidence pack of a commitment already read.
pub async fn gather_for<C: ConnectionTrait>(
    db: &C,
    row: &commitment::Model,
    settings: &Settings<'_>,
) -> AppResult<EvidencePack> {
    let preference =
        LanguagePreference::negotiate(Some(settings.language), None, &Language::english());
    let texts = commitment_translation::Entity::find()
        .filter(commitment_translation::Column::CommitmentId.eq(row.id))
        .all(db)
        .await?;
    let text = |field: fn(&commitment_translation::Model) -> Option<&str>| {
        pick(&preference, &texts, |t| &t.language, field)
    };

    let plan_row = action_plan::Entity::find_by_id(row.action_plan_id)
        .one(db)
        .await?;
    let plan = match &plan_row {
        Some(plan) => {
            let titles = action_plan_translation::Entity::find()
                .filter(action_plan_translation::Column::ActionPlanId.eq(plan.id))
                .all(db)
                .await?;
            Plan {
                key: plan.key.clone(),
                title: pick(&preference, &titles, |t| &t.language, |t| Some(&t.title)),
                start: plan.start_date.clone(),
                end: plan.end_date.clone(),
            }
        }
        None => Plan::default(),
    };

    let milestones = lookups::milestones_of(db, &[row.id])
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    let milestone_ids: Vec<i64> = milestones.iter().map(|m| m.id).collect();
    let milestone_texts = lookups::grouped::<milestone_translation::Entity, _>(
        db,
        milestone_translation::Column::MilestoneId,
        &milestone_ids,
        |t| t.milestone_id,
    )
    .await?;
    let mut institution_ids: Vec<i64> = milestones
        .iter()
        .filter_map(|m| m.responsible_institution_id)
        .chain(row.lead_institution_id)
        .collect();
    institution_ids.sort_unstable();
    institution_ids.dedup();
    let institutions: HashMap<i64, String> =
        lookups::institution_names(db, &institution_ids, &preference)
            .await?
            .into_iter()
            .map(|(id, name)| (id, name.with_abbreviation()))
            .collect();
    let lead_institution = row
        .lead_institution_id
        .and_then(|id| institutions.get(&id).cloned());

    let updates = update_history(db, &preference, row.id, settings.public_url).await?;
    let commitment_level = updates::newest_with_evidence(db, Level::Commitments, &[row.id])
        .await?
        .remove(&row.id);
    let milestone_levels =
        updates::newest_with_evidence(db, Level::Milestones, &milestone_ids).await?;

    let milestones = milestones
        .iter()
        .map(|m| {
            let own = milestone_texts.get(&m.id).map_or(&[][..], Vec::as_slice);
            let field = |f: fn(&milestone_translation::Model) -> Option<&str>| {
                pick(&preference, own, |t| &t.language, f)
            };
            let evidence = updates
                .iter()
                .filter(|u| u.milestone_position == Some(m.position))
                .flat_map(|u| u.evidence.iter().cloned())
                .collect();
            MilestoneEntry {
                position: m.position,
                title: field(|t| Some(&t.title)).unwrap_or_default(),
                start: m.start_date.clone(),
                end: m.end_date.clone(),
                status: m.status.clone(),
                completion_level: updates::level_of(milestone_levels.get(&m.id)),
                expected_output: field(|t| t.expected_output.as_deref()),
                means_of_verification: field(|t| t.means_of_verification.as_deref()),
                responsible: m
                    .responsible_institution_id
                    .or(row.lead_institution_id)
                    .and_then(|id| institutions.get(&id).cloned()),
                evidence,
            }
        })
        .collect();

    let scope = Scope::Commitment(row.id);
    let feedback = read::summary(db, row.id).await?;
    let ledger = ledger::ledger(db, scope).await?;
    let mut answers = ledger::answers(db, scope).await?;
    answers.sort_by_key(|a| std::cmp::Reverse((a.proposed_at, a.proposal_id)));

    let today = settings.now.date_naive();
    let (from, to) = awareness_period(row, plan_row.as_ref(), today);
    let subject = Subject::Commitment(row.id);
    let (current, previous) = figures::compared(db, subject, from, to).await?;
    let months = figures::series(db, subject, Granularity::Month, from, to)
        .await?
        .map(|series| series.points)
        .unwrap_or_default();

    let meetings = meeting::Entity::find()
        .filter(
            meeting::Column::Id.in_subquery(
                Query::select()
                    .column(meeting_commitment::Column::MeetingId)
                    .from(meeting_commitment::Entity)
                    .and_where(meeting_commitment::Column::CommitmentId.eq(row.id))
                    .to_owned(),
            ),
        )
        .order_by_desc(meeting::Column::HeldOn)
        .order_by_desc(meeting::Column::Id)
        .all(db)
        .await?;

    let alerts = compliance::of_commitment(db, settings.rules, settings.now, row).await?;
    let plan_alerts = match &plan_row {
        Some(plan) => {
            compliance::of_action_plan_itself(db, settings.rules, settings.now, plan).await?
        }
        None => Vec::new(),
    };
    let verifiability = verifiability::of_commitment(db, row).await?;

    Ok(EvidencePack {
        generated_at: settings.now,
        language: settings.language.to_owned(),
        code: row.code.clone(),
        title: text(|t| Some(&t.title)).unwrap_or_else(|| row.code.clone()),
        full_title: text(|t| t.full_title.as_deref()),
        status: row.status.clone(),
        plan,
        lead_institution,
        period_start: row.period_start.clone(),
        period_end: row.period_end.clone(),
        description: Description {
            public_problem: text(|t| t.public_problem.as_deref()),
            what_it_is: text(|t| t.description.as_deref()),
            how_it_contributes: text(|t| t.how_it_contributes.as_deref()),
            ogp_relevance: text(|t| t.ogp_relevance.as_deref()),
            additional_information: text(|t| t.additional_information.as_deref()),
        },
        irm: IrmFields::of(row),
        completion_level: updates::level_of(commitment_level.as_ref()),
        milestones,
        updates,
        feedback,
        ledger,
        answers,
        awareness: AwarenessEntry {
            current,
            previous,
            months,
        },
        meetings,
        alerts,
        plan_alerts,
        verifiability,
    })
}

/// The best non-blank text of `field` among a record's translations.
fn pick<T>(
    preference: &LanguagePreference,
    rows: &[T],
    language_of: impl Fn(&T) -> &String,
    field: impl for<'r> Fn(&'r T) -> Option<&'r str>,
) -> Option<String> {
    preference
        .pick(
            rows,
            |t| language_of(t).as_str(),
            |t| field(t).filter(|text| !text.trim().is_empty()),
        )
        .map(|chosen| chosen.value.to_owned())
}

/// Every update on the commitment, newest first, with narrative and
/// evidence.
async fn update_history<C: ConnectionTrait>(
    db: &C,
    preference: &LanguagePreference,
    commitment_id: i64,
    public_url: &str,
) -> AppResult<Vec<UpdateEntry>> {
    let rows = implementation_update::Entity::find()
        .filter(implementation_update::Column::CommitmentId.eq(commitment_id))
        .order_by_desc(implementation_update::Column::ReportedOn)
        .order_by_desc(implementation_update::Column::Id)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|u| u.id).collect();
    let narratives = lookups::grouped::<implementation_update_translation::Entity, _>(
        db,
        implementation_update_translation::Column::UpdateId,
        &ids,
        |t| t.update_id,
    )
    .await?;
    let mut pieces = updates::evidence_of(db, &ids, public_url).await?;
    let milestone_positions: HashMap<i64, i32> = lookups::milestones_of(db, &[commitment_id])
        .await?
        .remove(&commitment_id)
        .unwrap_or_default()
        .into_iter()
        .map(|m| (m.id, m.position))
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let own = narratives.get(&row.id).map_or(&[][..], Vec::as_slice);
            let evidence = pieces
                .remove(&row.id)
                .unwrap_or_default()
                .into_iter()
                .map(|link| EvidenceEntry {
                    title: link.piece.title,
                    evidence_type: link.piece.evidence_type,
                    dated_on: link.piece.dated_on,
                    url: link.url,
                    file_name: link.file_name,
                })
                .collect();
            UpdateEntry {
                reported_on: row.reported_on,
                status: row.status,
                source: row.source,
                milestone_position: row
                    .milestone_id
                    .and_then(|id| milestone_positions.get(&id).copied()),
                narrative: pick(preference, own, |t| &t.language, |t| Some(&t.narrative)),
                evidence,
            }
        })
        .collect())
}

/// The period awareness figures cover: the implementation period once it
/// has ended (what an end-of-term review looks at), else the 12 months
/// ending today.
fn awareness_period(
    row: &commitment::Model,
    plan: Option<&action_plan::Model>,
    today: NaiveDate,
) -> (NaiveDate, NaiveDate) {
    let day = |text: Option<&str>, last: bool| {
        let date = PartialDate::parse(text?).ok()?;
        if last {
            date.last_day()
        } else {
            date.first_day()
        }
    };
    let start = day(row.period_start.as_deref(), false)
        .or_else(|| day(plan.and_then(|p| p.start_date.as_deref()), false));
    let end = day(row.period_end.as_deref(), true)
        .or_else(|| day(plan.and_then(|p| p.end_date.as_deref()), true));
    match (start, end) {
        (Some(start), Some(end)) if start <= end && end < today => (start, end),
        _ => (
            today.checked_sub_days(Days::new(364)).unwrap_or(today),
            today,
        ),
    }
}

/// `not_adopted` → `Not adopted`.
fn label(value: &str) -> String {
    let words = value.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

/// A stored partial date as written, or "not stated".
fn partial(text: Option<&str>) -> String {
    text.map_or_else(|| "not stated".to_owned(), str::to_owned)
}

/// The words of a text on one line, for list items and table cells.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A wait in words: minutes, hours or days.
fn duration(seconds: i64) -> String {
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    match seconds {
        s if s < 3_600 => plural((s / 60).max(0), "minute"),
        s if s < 2 * 86_400 => plural(s / 3_600, "hour"),
        s => {
            let days = (s as f64 / 86_400.0 * 10.0).round() / 10.0;
            format!("{days} days")
        }
    }
}

fn share(aware: i64, responses: i64) -> String {
    if responses > 0 {
        format!("{}%", (aware * 100 + responses / 2) / responses)
    } else {
        "–".to_owned()
    }
}

fn evidence_value(piece: &EvidenceEntry) -> minijinja::Value {
    context! {
        title => one_line(&piece.title),
        type => label(&piece.evidence_type),
        date => piece.dated_on.to_string(),
        url => piece.url,
        file_name => piece.file_name,
    }
}

fn alert_value(alert: &Alert) -> minijinja::Value {
    context! {
        message => alert.message,
        since => alert.since.map(|day| day.to_string()),
    }
}

/// The values the templates read.
fn values(pack: &EvidencePack) -> minijinja::Value {
    let questions = [
        (
            "What is the public problem that the commitment will address?",
            &pack.description.public_problem,
        ),
        ("What is the commitment?", &pack.description.what_it_is),
        (
            "How will the commitment contribute to solve the public problem?",
            &pack.description.how_it_contributes,
        ),
        (
            "Why is this commitment relevant to OGP values?",
            &pack.description.ogp_relevance,
        ),
        (
            "Additional information",
            &pack.description.additional_information,
        ),
    ];
    let description: Vec<minijinja::Value> = questions
        .iter()
        .filter_map(|(question, answer)| {
            answer
                .as_deref()
                .map(|answer| context! { question => question, answer => answer.trim() })
        })
        .collect();

    let yes_no = |value: Option<bool>| value.map(|yes| if yes { "Yes" } else { "No" });
    let irm = &pack.irm;
    let irm_fields: Vec<minijinja::Value> = [
        ("IRM report", irm.report.clone()),
        ("Starred", yes_no(irm.starred).map(str::to_owned)),
        ("Early results", irm.early_results.as_deref().map(label)),
        ("Verifiable", yes_no(irm.verifiable).map(str::to_owned)),
        (
            "Relevant to OGP values",
            (!irm.ogp_values.is_empty()).then(|| {
                irm.ogp_values
                    .iter()
                    .map(|v| label(v))
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
        ),
        (
            "Potential impact",
            irm.potential_impact.as_deref().map(label),
        ),
        ("Completion", irm.completion.as_deref().map(label)),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.map(|value| context! { name => name, value => value }))
    .collect();

    let milestones: Vec<minijinja::Value> = pack
        .milestones
        .iter()
        .map(|m| {
            context! {
                position => m.position,
                title => one_line(&m.title),
                start => partial(m.start.as_deref()),
                end => partial(m.end.as_deref()),
                status => m.status.as_deref().map_or_else(|| "Not reported".to_owned(), label),
                completion_level => label(m.completion_level.as_str()),
                expected_output => m.expected_output.as_deref().map(one_line),
                means_of_verification => m.means_of_verification.as_deref().map(one_line),
                responsible => m.responsible,
                evidence => m.evidence.iter().map(evidence_value).collect::<Vec<_>>(),
            }
        })
        .collect();

    let updates: Vec<minijinja::Value> = pack
        .updates
        .iter()
        .map(|u| {
            context! {
                date => u.reported_on.to_string(),
                status => label(&u.status),
                source => label(&u.source).to_lowercase(),
                milestone => u.milestone_position,
                narrative => u.narrative.as_deref().map(str::trim),
                evidence => u.evidence.iter().map(evidence_value).collect::<Vec<_>>(),
            }
        })
        .collect();

    let comments: u64 = pack.feedback.by_kind.values().sum();
    let by_kind = pack
        .feedback
        .by_kind
        .iter()
        .map(|(kind, count)| format!("{count} {kind}"))
        .collect::<Vec<_>>()
        .join(", ");
    let decisions = pack
        .ledger
        .decisions
        .iter()
        .map(|(decision, count)| format!("{}: {count}", label(decision.as_str())))
        .collect::<Vec<_>>()
        .join(", ");
    let answers: Vec<minijinja::Value> = pack
        .answers
        .iter()
        .map(|a| {
            context! {
                proposed => a.proposed_at.date_naive().to_string(),
                answered => a.first_answered_at.date_naive().to_string(),
                decision => label(a.decision.as_str()),
                rationale => a.rationale.as_deref().map(one_line).filter(|r| !r.is_empty()),
            }
        })
        .collect();

    let awareness = &pack.awareness;
    let months: Vec<minijinja::Value> = awareness
        .months
        .iter()
        .map(|point| {
            context! {
                month => point.start.format("%Y-%m").to_string(),
                reach => point.reach(),
                responses => point.responses,
                aware => share(point.aware, point.responses),
            }
        })
        .collect();

    let meetings: Vec<minijinja::Value> = pack
        .meetings
        .iter()
        .map(|m| {
            let by_sector = Sector::ALL
                .iter()
                .map(|sector| (label(sector.as_str()).to_lowercase(), sector.count_in(m)))
                .filter(|(_, count)| *count > 0)
                .map(|(sector, count)| format!("{sector} {count}"))
                .collect::<Vec<_>>()
                .join(", ");
            let total: i64 = Sector::ALL
                .iter()
                .map(|sector| i64::from(sector.count_in(m)))
                .sum();
            context! {
                date => m.held_on.to_string(),
                kind => match m.kind.as_str() {
                    "forum" => "Multi-stakeholder forum".to_owned(),
                    "implementation" => "Implementation meeting".to_owned(),
                    other => label(other),
                },
                total => total,
                by_sector => by_sector,
                minutes => m.minutes_url,
            }
        })
        .collect();

    context! {
        language => pack.language,
        generated => pack.generated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        code => pack.code,
        title => one_line(&pack.title),
        full_title => pack.full_title.as_deref().map(one_line).filter(|t| *t != one_line(&pack.title)),
        status => label(&pack.status),
        plan_key => pack.plan.key,
        plan_title => pack.plan.title.as_deref().map(one_line),
        lead_institution => pack.lead_institution,
        period => format!(
            "{} to {}",
            partial(pack.period_start.as_deref()),
            partial(pack.period_end.as_deref())
        ),
        completion_level => label(pack.completion_level.as_str()),
        description => description,
        irm_pending => pack.irm.pending(),
        irm => irm_fields,
        milestones => milestones,
        updates => updates,
        comments => comments,
        by_kind => by_kind,
        awaiting => pack.feedback.awaiting_response,
        first_response => pack.feedback.seconds_to_first_response.map(duration),
        received => pack.ledger.received,
        answered => pack.ledger.answered,
        awaiting_response => pack.ledger.awaiting_response(),
        median_days => pack.ledger.median_days_to_answer.map(|d| format!("{d}")),
        decisions => decisions,
        answers => answers,
        has_awareness => awareness.has_figures(),
        awareness_from => awareness.current.from.to_string(),
        awareness_to => awareness.current.to.to_string(),
        previous_from => awareness.previous.from.to_string(),
        previous_to => awareness.previous.to.to_string(),
        reach => awareness.current.reach,
        previous_reach => awareness.previous.reach,
        responses => awareness.current.responses,
        previous_responses => awareness.previous.responses,
        aware_share => share(awareness.current.aware, awareness.current.responses),
        previous_aware_share => share(awareness.previous.aware, awareness.previous.responses),
        months => months,
        meetings => meetings,
        alerts => pack.alerts.iter().map(alert_value).collect::<Vec<_>>(),
        plan_alerts => pack.plan_alerts.iter().map(alert_value).collect::<Vec<_>>(),
        verifiability => pack.verifiability.iter().map(Issue::message).collect::<Vec<_>>(),
    }
}

/// The pack as a document in `format`.
pub fn render(pack: &EvidencePack, format: Format) -> AppResult<String> {
    let values = values(pack);
    match format {
        Format::Html => crate::mail::render("report.html", HTML, AutoEscape::Html, values),
        Format::Markdown => render_markdown("report.md", MARKDOWN, values),
    }
}

/// Renders a Markdown template, every value passed through
/// [`markdown_text`] so that what people wrote stays text.
fn render_markdown(name: &str, source: &str, values: minijinja::Value) -> AppResult<String> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_formatter(|out, state, value| match value.as_str() {
        Some(text) if !value.is_safe() => out.write_str(&markdown_text(text)).map_err(|err| {
            minijinja::Error::new(minijinja::ErrorKind::WriteFailure, err.to_string())
        }),
        _ => minijinja::escape_formatter(out, state, value),
    });
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.add_template(name, source)
        .and_then(|()| env.get_template(name))
        .and_then(|template| template.render(values))
        .map_err(|err| AppError::Internal(format!("report template {name}: {err}")))
}

/// `text` as Markdown that reads the same and renders as the same text:
/// no raw HTML, link or image, and no line that would open a heading or a
/// code block (and so swallow or fake the document's own sections). Other
/// punctuation is left alone, so the source stays readable.
pub fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for (index, line) in text.split('\n').enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let rest = line.trim_start();
        out.push_str(&line[..line.len() - rest.len()]);
        let body = rest.trim_end();
        let underline = !body.is_empty()
            && (body.chars().all(|c| c == '=') || body.chars().all(|c| c == '-' || c == ' '));
        if rest.starts_with(['#', '`', '~']) || underline {
            out.push('\\');
        }
        for c in rest.chars() {
            if matches!(c, '\\' | '<' | '[') {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::{
        accountability::{compliance::AlertKind, verifiability::Problem},
        catalog::vocabulary::ResponseDecision,
    };

    fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(year, month, day, 9, 0, 0).unwrap()
    }

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn empty_pack() -> EvidencePack {
        EvidencePack {
            generated_at: at(2026, 11, 30),
            language: "en".to_owned(),
            code: "MO0018".to_owned(),
            title: "Communicating about OGP".to_owned(),
            full_title: None,
            status: "active".to_owned(),
            plan: Plan {
                key: "morocco-2018-2020".to_owned(),
                title: Some("Morocco Action Plan 2018-2020".to_owned()),
                start: None,
                end: None,
            },
            lead_institution: None,
            period_start: Some("2018-09".to_owned()),
            period_end: Some("2020-08".to_owned()),
            description: Description::default(),
            irm: IrmFields::default(),
            completion_level: IrmCompletion::NoEvidenceAvailable,
            milestones: Vec::new(),
            updates: Vec::new(),
            feedback: FeedbackSummary::default(),
            ledger: ledger::tally(0, &[]),
            answers: Vec::new(),
            awareness: AwarenessEntry::default(),
            meetings: Vec::new(),
            alerts: Vec::new(),
            plan_alerts: Vec::new(),
            verifiability: Vec::new(),
        }
    }

    fn link(title: &str, url: &str) -> EvidenceEntry {
        EvidenceEntry {
            title: title.to_owned(),
            evidence_type: "report".to_owned(),
            dated_on: date(2026, 11, 20),
            url: url.to_owned(),
            file_name: None,
        }
    }

    fn full_pack() -> EvidencePack {
        let evidence = link("Progress report", "https://example.org/progress-report");
        let answer = Answer {
            proposal_id: 7,
            commitment_id: 18,
            proposed_at: at(2026, 11, 1),
            first_answered_at: at(2026, 11, 3),
            decision: ResponseDecision::NotAdopted,
            rationale: Some("Out of budget\nthis year.".to_owned()),
            response_id: 8,
        };
        EvidencePack {
            description: Description {
                public_problem: Some("Nobody knows about OGP.".to_owned()),
                what_it_is: Some("A communication plan.".to_owned()),
                ..Description::default()
            },
            milestones: vec![MilestoneEntry {
                position: 1,
                title: "Write the plan".to_owned(),
                start: Some("2018-09".to_owned()),
                end: Some("2018-10".to_owned()),
                status: None,
                completion_level: IrmCompletion::Limited,
                expected_output: Some("A plan".to_owned()),
                means_of_verification: None,
                responsible: Some("Ministry (MRAFP)".to_owned()),
                evidence: vec![evidence.clone()],
            }],
            updates: vec![UpdateEntry {
                reported_on: date(2026, 11, 20),
                status: "limited".to_owned(),
                source: "government".to_owned(),
                milestone_position: Some(1),
                narrative: Some("The plan was drafted.\n# Meetings\n<script>x</script>".to_owned()),
                evidence: vec![evidence],
            }],
            feedback: FeedbackSummary {
                by_kind: [("comment".to_owned(), 2), ("question".to_owned(), 1)].into(),
                awaiting_response: 2,
                seconds_to_first_response: Some(3 * 86_400),
            },
            ledger: ledger::tally(3, std::slice::from_ref(&answer)),
            answers: vec![answer],
            awareness: AwarenessEntry {
                current: figures::PeriodFigures {
                    from: date(2025, 12, 1),
                    to: date(2026, 11, 30),
                    reach: 1500,
                    responses: 40,
                    aware: 10,
                },
                previous: figures::PeriodFigures::default(),
                months: vec![figures::Point {
                    start: date(2026, 11, 1),
                    end: date(2026, 11, 30),
                    metrics: vec![1500, 0, 0, 0, 0, 0],
                    by_channel: Vec::new(),
                    responses: 40,
                    aware: 10,
                    heard_via: Vec::new(),
                }],
            },
            meetings: vec![meeting::Model {
                id: 1,
                action_plan_id: 1,
                held_on: date(2026, 11, 25),
                kind: "implementation".to_owned(),
                government: 5,
                civil_society: 7,
                private_sector: 0,
                academia: 0,
                other: 0,
                minutes_url: Some("https://example.org/minutes".to_owned()),
                staff_id: 1,
                created_at: at(2026, 11, 25),
            }],
            alerts: vec![Alert {
                kind: AlertKind::MilestonesOverdue,
                commitment: Some((18, "MO0018".to_owned())),
                count: Some(1),
                since: Some(date(2018, 11, 1)),
                message: "1 milestone of MO0018 is past its end date.".to_owned(),
            }],
            verifiability: vec![Issue {
                problem: Problem::MissingDueDate,
                milestone: None,
            }],
            ..empty_pack()
        }
    }

    /// Where each section heading is in `document`, in `SECTIONS` order.
    fn positions(document: &str, heading: impl Fn(&str) -> String) -> Vec<usize> {
        SECTIONS
            .iter()
            .map(|section| {
                let wanted = heading(section);
                document
                    .find(&wanted)
                    .unwrap_or_else(|| panic!("{wanted:?} missing from:\n{document}"))
            })
            .collect()
    }

    #[test]
    fn markdown_has_every_section_in_order_and_empty_ones_say_so() {
        let document = render(&empty_pack(), Format::Markdown).unwrap();
        let found = positions(&document, |s| format!("\n## {s}\n"));
        assert!(found.windows(2).all(|w| w[0] < w[1]), "{document}");
        for sentence in [
            "No implementation update has been published.",
            "The commitment has no milestones.",
            "No citizen has commented on this commitment.",
            "No proposal has been answered yet.",
            "No awareness figure has been recorded for this period.",
            "No meeting that discussed this commitment has been recorded.",
            "No compliance alert is raised.",
            "Nothing is missing for the IRM to find the commitment verifiable.",
            "No description has been published.",
            "Pending IRM review.",
        ] {
            assert!(
                document.contains(sentence),
                "{sentence:?} missing:\n{document}"
            );
        }
        assert!(
            document.starts_with("# MO0018: Communicating about OGP\n"),
            "{document}"
        );
    }

    #[test]
    fn markdown_lists_what_the_pack_holds() {
        let document = render(&full_pack(), Format::Markdown).unwrap();
        for expected in [
            "### What is the public problem that the commitment will address?\n\nNobody knows about OGP.",
            "### Milestone 1: Write the plan",
            "- Completion level (from evidence): Limited",
            "- Progress report (Report, 2026-11-20): https://example.org/progress-report",
            "### 2026-11-20: Limited (government), milestone 1",
            "- Published comments: 3 (2 comment, 1 question)",
            "- Time to the first official response: 3 days",
            "- Proposals received: 3, answered: 1, awaiting a response: 2",
            "Not adopted: 1",
            "- Proposed on 2026-11-01, answered on 2026-11-03: **Not adopted**. Out of budget this year.",
            "- People reached: 1500 (previous period: 0)",
            "- Aware of the commitment: 25% (previous period: –)",
            "| 2026-11 | 1500 | 40 | 25% |",
            "- 2026-11-25, Implementation meeting: 12 attendees (government 5, civil society 7); minutes: https://example.org/minutes",
            "- 1 milestone of MO0018 is past its end date. (since 2018-11-01)",
            "- The commitment has no end date.",
        ] {
            assert!(
                document.contains(expected),
                "{expected:?} missing from:\n{document}"
            );
        }
        // A narrative cannot fake a section nor carry markup.
        assert!(document.contains("\n\\# Meetings\n"), "{document}");
        assert!(document.contains("\\<script>x\\</script>"), "{document}");
        assert_eq!(document.matches("\n## Meetings\n").count(), 1, "{document}");
    }

    #[test]
    fn html_escapes_what_people_wrote() {
        let document = render(&full_pack(), Format::Html).unwrap();
        assert!(
            document.contains("&lt;script&gt;x&lt;/script&gt;"),
            "{document}"
        );
        assert!(!document.contains("<script>"), "{document}");
        let found = positions(&document, |s| format!(">{s}</h2>"));
        assert!(found.windows(2).all(|w| w[0] < w[1]), "{document}");
        assert!(
            document
                .contains(r#"<a href="https://example.org/progress-report">Progress report</a>"#),
            "{document}"
        );
        let empty = render(&empty_pack(), Format::Html).unwrap();
        assert!(
            empty.contains("No implementation update has been published."),
            "{empty}"
        );
    }

    #[test]
    fn markdown_text_neutralises_markup_but_stays_readable() {
        assert_eq!(markdown_text("plain *text*, 3 - 2"), "plain *text*, 3 - 2");
        assert_eq!(markdown_text("<b>x</b>"), "\\<b>x\\</b>");
        assert_eq!(markdown_text("[a](javascript:x)"), "\\[a](javascript:x)");
        assert_eq!(markdown_text("a\n## b"), "a\n\\## b");
        assert_eq!(markdown_text("title\n---"), "title\n\\---");
        assert_eq!(markdown_text("x\n  ```\ny"), "x\n  \\```\ny");
        assert_eq!(markdown_text("a\\<b"), "a\\\\\\<b");
    }

    #[test]
    fn labels_durations_and_periods_read_naturally() {
        assert_eq!(label("not_adopted"), "Not adopted");
        assert_eq!(duration(90), "1 minute");
        assert_eq!(duration(5 * 3_600), "5 hours");
        assert_eq!(duration(3 * 86_400 + 43_200), "3.5 days");
        let row = commitment::Model {
            id: 1,
            code: "MO0018".to_owned(),
            action_plan_id: 1,
            status: "active".to_owned(),
            lead_institution_id: None,
            period_start: Some("2018-09".to_owned()),
            period_end: Some("2020-08".to_owned()),
            irm_report: None,
            irm_starred: None,
            irm_early_results: None,
            irm_verifiable: None,
            irm_ogp_values: None,
            irm_potential_impact: None,
            irm_completion: None,
        };
        assert_eq!(
            awareness_period(&row, None, date(2026, 11, 30)),
            (date(2018, 9, 1), date(2020, 8, 31))
        );
        assert_eq!(
            awareness_period(&row, None, date(2019, 6, 30)),
            (date(2018, 7, 1), date(2019, 6, 30))
        );
    }
}
