//! Creating, changing and deleting campaigns.

use chrono::{DateTime, Utc};
use entity::{campaign, campaign_commitment, campaign_milestone, institution, milestone};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter,
};
use serde_json::{Value, json};

use super::{commitment_ids, manager, may_link};
use crate::{
    catalog::{
        partial_date::PartialDate,
        rules::{self, MAX_TEXT_CHARS},
        vocabulary::CampaignStatus,
    },
    editing::{
        Change, audit_write, audited_delete, check_period, in_transaction, json, save_changes,
        stored_date,
    },
    error::{AppError, AppResult},
    language::Language,
    staff::Actor,
};

/// Longest campaign or activity title.
pub const MAX_TITLE_CHARS: usize = 200;

/// Money in hundredths of a currency unit, so that sums stay exact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    pub minor: i64,
    /// ISO 4217 code, e.g. `MAD`.
    pub currency: String,
}

impl Budget {
    /// A budget from an amount with at most two decimals.
    pub fn from_amount(amount: f64, currency: &str) -> AppResult<Self> {
        let hundredths = amount * 100.0;
        if !amount.is_finite() || amount < 0.0 || hundredths > 9e15 {
            return Err(AppError::bad_input(
                "budget.amount",
                "a positive amount of money",
            ));
        }
        if (hundredths - hundredths.round()).abs() > 1e-6 {
            return Err(AppError::bad_input("budget.amount", "at most two decimals"));
        }
        let currency = currency.trim().to_owned();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(AppError::bad_input(
                "budget.currency",
                "an ISO 4217 currency code such as \"MAD\" or \"EUR\"",
            ));
        }
        #[expect(
            clippy::cast_possible_truncation,
            reason = "rounded and bounded just above"
        )]
        let minor = hundredths.round() as i64;
        Ok(Self { minor, currency })
    }

    pub fn amount(&self) -> f64 {
        #[expect(
            clippy::cast_precision_loss,
            reason = "budgets are far below 2^53 hundredths"
        )]
        let minor = self.minor as f64;
        minor / 100.0
    }

    /// The budget stored on a campaign row, if any.
    pub fn of(row: &campaign::Model) -> Option<Self> {
        match (row.budget_minor, &row.budget_currency) {
            (Some(minor), Some(currency)) => Some(Self {
                minor,
                currency: currency.clone(),
            }),
            _ => None,
        }
    }
}

/// The fields of a campaign, as a creation sets them.
pub struct NewCampaign {
    pub title: String,
    pub objective: Option<String>,
    pub target_audience: Option<String>,
    pub languages: Vec<Language>,
    pub start_date: Option<PartialDate>,
    pub end_date: Option<PartialDate>,
    pub status: CampaignStatus,
    pub institution_id: Option<i64>,
    pub budget: Option<Budget>,
    pub commitment_ids: Vec<i64>,
    pub milestone_ids: Vec<i64>,
}

/// Changes to a campaign: `Keep` leaves a field as it is. A new set of
/// commitments drops the linked milestones that belong to none of them.
#[derive(Default)]
pub struct CampaignChanges {
    pub title: Change<String>,
    pub objective: Change<Option<String>>,
    pub target_audience: Change<Option<String>>,
    pub languages: Change<Vec<Language>>,
    pub start_date: Change<Option<PartialDate>>,
    pub end_date: Change<Option<PartialDate>>,
    pub status: Change<CampaignStatus>,
    pub institution_id: Change<Option<i64>>,
    pub budget: Change<Option<Budget>>,
    pub commitment_ids: Change<Vec<i64>>,
    pub milestone_ids: Change<Vec<i64>>,
}

/// A trimmed optional text; empty counts as absent.
pub(crate) fn optional_text(
    field: &str,
    text: Option<String>,
    max: usize,
) -> AppResult<Option<String>> {
    let text = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    if let Some(text) = &text {
        rules::text(text, max).map_err(|message| AppError::bad_input(field, message))?;
    }
    Ok(text)
}

/// A required title, trimmed.
pub(crate) fn title(text: &str) -> AppResult<String> {
    rules::text(text, MAX_TITLE_CHARS).map_err(|message| AppError::bad_input("title", message))?;
    Ok(text.trim().to_owned())
}

fn languages_text(languages: &[Language]) -> String {
    let mut codes: Vec<&str> = languages.iter().map(Language::as_str).collect();
    codes.sort_unstable();
    codes.dedup();
    codes.join(",")
}

/// The languages stored on a campaign row.
pub fn languages_of(row: &campaign::Model) -> Vec<String> {
    row.languages
        .split(',')
        .filter(|code| !code.is_empty())
        .map(str::to_owned)
        .collect()
}

fn date_text(date: Option<PartialDate>) -> Option<String> {
    date.map(|d| d.to_string())
}

fn unique(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

async fn check_institution<C: ConnectionTrait>(db: &C, id: Option<i64>) -> AppResult<()> {
    match id {
        Some(id) if institution::Entity::find_by_id(id).one(db).await?.is_none() => {
            Err(AppError::bad_input("institutionId", "no such institution"))
        }
        _ => Ok(()),
    }
}

/// Checks that every milestone belongs to one of the commitments.
async fn check_milestones<C: ConnectionTrait>(
    db: &C,
    milestone_ids: &[i64],
    commitment_ids: &[i64],
) -> AppResult<()> {
    let within = milestones_within(db, milestone_ids.to_vec(), commitment_ids).await?;
    if within.len() == milestone_ids.len() {
        Ok(())
    } else {
        Err(AppError::bad_input(
            "milestoneIds",
            "not a milestone of the campaign's commitments",
        ))
    }
}

/// The milestones among `milestone_ids` that belong to `commitment_ids`.
async fn milestones_within<C: ConnectionTrait>(
    db: &C,
    milestone_ids: Vec<i64>,
    commitment_ids: &[i64],
) -> AppResult<Vec<i64>> {
    if milestone_ids.is_empty() {
        return Ok(milestone_ids);
    }
    Ok(unique(
        milestone::Entity::find()
            .filter(milestone::Column::Id.is_in(milestone_ids))
            .filter(milestone::Column::CommitmentId.is_in(commitment_ids.to_vec()))
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.id)
            .collect(),
    ))
}

async fn milestone_ids<C: ConnectionTrait>(db: &C, campaign_id: i64) -> AppResult<Vec<i64>> {
    Ok(campaign_milestone::Entity::find()
        .filter(campaign_milestone::Column::CampaignId.eq(campaign_id))
        .all(db)
        .await?
        .into_iter()
        .map(|link| link.milestone_id)
        .collect())
}

/// The campaign with its links, for the audit log.
async fn snapshot<C: ConnectionTrait>(db: &C, row: &campaign::Model) -> AppResult<Value> {
    let commitments = unique(commitment_ids(db, row.id).await?);
    let milestones = unique(milestone_ids(db, row.id).await?);
    Ok(json!({
        "campaign": json(row),
        "commitmentIds": commitments,
        "milestoneIds": milestones,
    }))
}

/// Makes the links of a campaign exactly `commitment_ids` and `milestone_ids`.
pub(crate) async fn set_links<C: ConnectionTrait>(
    db: &C,
    campaign_id: i64,
    commitment_ids: &[i64],
    milestone_ids: &[i64],
) -> AppResult<()> {
    campaign_commitment::Entity::delete_many()
        .filter(campaign_commitment::Column::CampaignId.eq(campaign_id))
        .exec(db)
        .await?;
    campaign_milestone::Entity::delete_many()
        .filter(campaign_milestone::Column::CampaignId.eq(campaign_id))
        .exec(db)
        .await?;
    if !commitment_ids.is_empty() {
        campaign_commitment::Entity::insert_many(commitment_ids.iter().map(|&commitment_id| {
            campaign_commitment::ActiveModel {
                campaign_id: Set(campaign_id),
                commitment_id: Set(commitment_id),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    if !milestone_ids.is_empty() {
        campaign_milestone::Entity::insert_many(milestone_ids.iter().map(|&milestone_id| {
            campaign_milestone::ActiveModel {
                campaign_id: Set(campaign_id),
                milestone_id: Set(milestone_id),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Creates a campaign supporting at least one commitment.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    new: NewCampaign,
) -> AppResult<campaign::Model> {
    let by = actor.staff()?.clone();
    let title = title(&new.title)?;
    let objective = optional_text("objective", new.objective, MAX_TEXT_CHARS)?;
    let target_audience = optional_text("targetAudience", new.target_audience, MAX_TEXT_CHARS)?;
    check_period(new.start_date.as_ref(), new.end_date.as_ref())?;
    let commitment_ids = unique(new.commitment_ids);
    if commitment_ids.is_empty() {
        return Err(AppError::bad_input(
            "commitmentIds",
            "a campaign supports at least one commitment",
        ));
    }
    may_link(db, actor, &commitment_ids).await?;
    check_institution(db, new.institution_id).await?;
    let milestone_ids = unique(new.milestone_ids);
    check_milestones(db, &milestone_ids, &commitment_ids).await?;

    let budget = new.budget;
    let row = campaign::ActiveModel {
        key: Set(None),
        title: Set(title),
        objective: Set(objective),
        target_audience: Set(target_audience),
        languages: Set(languages_text(&new.languages)),
        start_date: Set(date_text(new.start_date)),
        end_date: Set(date_text(new.end_date)),
        status: Set(new.status.as_str().to_owned()),
        institution_id: Set(new.institution_id),
        budget_minor: Set(budget.as_ref().map(|b| b.minor)),
        budget_currency: Set(budget.map(|b| b.currency)),
        created_at: Set(now),
        ..Default::default()
    };
    in_transaction(db, move |txn| {
        Box::pin(async move {
            let row = row.insert(txn).await?;
            set_links(txn, row.id, &commitment_ids, &milestone_ids).await?;
            let after = snapshot(txn, &row).await?;
            audit_write(txn, &by, ("campaign", row.id), None, after, now).await?;
            Ok(row)
        })
    })
    .await
}

/// Changes a campaign (its managers).
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
    changes: CampaignChanges,
) -> AppResult<campaign::Model> {
    let (by, current) = manager(db, actor, id, "id").await?;
    let by = by.clone();
    let mut desired = current.clone();
    if let Change::Set(text) = changes.title {
        desired.title = title(&text)?;
    }
    if let Change::Set(text) = changes.objective {
        desired.objective = optional_text("objective", text, MAX_TEXT_CHARS)?;
    }
    if let Change::Set(text) = changes.target_audience {
        desired.target_audience = optional_text("targetAudience", text, MAX_TEXT_CHARS)?;
    }
    if let Change::Set(languages) = changes.languages {
        desired.languages = languages_text(&languages);
    }
    let start = changes
        .start_date
        .apply(stored_date(current.start_date.as_deref()));
    let end = changes
        .end_date
        .apply(stored_date(current.end_date.as_deref()));
    check_period(start.as_ref(), end.as_ref())?;
    desired.start_date = date_text(start);
    desired.end_date = date_text(end);
    if let Change::Set(status) = changes.status {
        desired.status = status.as_str().to_owned();
    }
    if let Change::Set(institution_id) = changes.institution_id {
        check_institution(db, institution_id).await?;
        desired.institution_id = institution_id;
    }
    if let Change::Set(budget) = changes.budget {
        desired.budget_minor = budget.as_ref().map(|b| b.minor);
        desired.budget_currency = budget.map(|b| b.currency);
    }

    let linked = unique(commitment_ids(db, id).await?);
    let commitments = match changes.commitment_ids {
        Change::Keep => linked.clone(),
        Change::Set(ids) => {
            let ids = unique(ids);
            if ids.is_empty() {
                return Err(AppError::bad_input(
                    "commitmentIds",
                    "a campaign supports at least one commitment",
                ));
            }
            let touched: Vec<i64> = ids
                .iter()
                .filter(|id| !linked.contains(id))
                .chain(linked.iter().filter(|id| !ids.contains(id)))
                .copied()
                .collect();
            may_link(db, actor, &touched).await?;
            ids
        }
    };
    let milestones = match changes.milestone_ids {
        Change::Keep => milestones_within(db, milestone_ids(db, id).await?, &commitments).await?,
        Change::Set(ids) => {
            let ids = unique(ids);
            check_milestones(db, &ids, &commitments).await?;
            ids
        }
    };

    in_transaction(db, move |txn| {
        Box::pin(async move {
            let before = snapshot(txn, &current).await?;
            let row = save_changes(txn, current, desired).await?;
            set_links(txn, row.id, &commitments, &milestones).await?;
            let after = snapshot(txn, &row).await?;
            audit_write(txn, &by, ("campaign", row.id), Some(before), after, now).await?;
            Ok(row)
        })
    })
    .await
}

/// Deletes a campaign with its activities and their figures (its managers).
pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
) -> AppResult<()> {
    let (by, current) = manager(db, actor, id, "id").await?;
    let before = snapshot(db, &current).await?;
    audited_delete(db, by.clone(), ("campaign", id), before, current, now).await
}
