//! The activities of a campaign: a press release, a broadcast, a workshop,
//! each on a channel, on a day or over a few.

use chrono::{DateTime, NaiveDate, Utc};
use entity::campaign_activity;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait};

use super::{
    manager,
    writing::{optional_text, title},
};
use crate::{
    catalog::{rules::MAX_TEXT_CHARS, vocabulary::Channel},
    editing::{Change, audit_write, audited_delete, in_transaction, json, save_changes},
    error::{AppError, AppResult},
    language::Language,
    staff::Actor,
};

/// Longest region name.
pub const MAX_REGION_CHARS: usize = 100;
/// Longest link.
const MAX_LINK_CHARS: usize = 2000;

pub struct NewActivity {
    pub campaign_id: i64,
    pub channel: Channel,
    pub title: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub region: Option<String>,
    pub language: Option<Language>,
    pub link: Option<String>,
    pub notes: Option<String>,
}

#[derive(Default)]
pub struct ActivityChanges {
    pub channel: Change<Channel>,
    pub title: Change<String>,
    pub start_date: Change<NaiveDate>,
    pub end_date: Change<Option<NaiveDate>>,
    pub region: Change<Option<String>>,
    pub language: Change<Option<Language>>,
    pub link: Change<Option<String>>,
    pub notes: Change<Option<String>>,
}

/// A web address people can open: `http` or `https` only.
fn link(text: Option<String>) -> AppResult<Option<String>> {
    let Some(text) = optional_text("link", text, MAX_LINK_CHARS)? else {
        return Ok(None);
    };
    crate::catalog::rules::web_link(&text)
        .map_err(|message| AppError::bad_input("link", message))?;
    Ok(Some(text))
}

fn check_dates(start: NaiveDate, end: Option<NaiveDate>) -> AppResult<()> {
    match end {
        Some(end) if end < start => Err(AppError::bad_input(
            "endDate",
            format!("{end} is before the start date {start}"),
        )),
        _ => Ok(()),
    }
}

/// Adds an activity to a campaign (its managers).
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    new: NewActivity,
) -> AppResult<campaign_activity::Model> {
    let (by, _) = manager(db, actor, new.campaign_id, "campaignId").await?;
    let by = by.clone();
    check_dates(new.start_date, new.end_date)?;
    let row = campaign_activity::ActiveModel {
        campaign_id: Set(new.campaign_id),
        channel: Set(new.channel.as_str().to_owned()),
        title: Set(title(&new.title)?),
        start_date: Set(new.start_date),
        end_date: Set(new.end_date),
        region: Set(optional_text("region", new.region, MAX_REGION_CHARS)?),
        language: Set(new.language.map(|l| l.as_str().to_owned())),
        link: Set(link(new.link)?),
        notes: Set(optional_text("notes", new.notes, MAX_TEXT_CHARS)?),
        ..Default::default()
    };
    in_transaction(db, move |txn| {
        Box::pin(async move {
            let row = row.insert(txn).await?;
            audit_write(
                txn,
                &by,
                ("campaign_activity", row.id),
                None,
                json(&row),
                now,
            )
            .await?;
            Ok(row)
        })
    })
    .await
}

async fn find(db: &DatabaseConnection, id: i64) -> AppResult<campaign_activity::Model> {
    campaign_activity::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input("id", "no such activity"))
}

/// Changes an activity (the managers of its campaign).
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
    changes: ActivityChanges,
) -> AppResult<campaign_activity::Model> {
    let current = find(db, id).await?;
    let (by, _) = manager(db, actor, current.campaign_id, "id").await?;
    let by = by.clone();
    let mut desired = current.clone();
    if let Change::Set(channel) = changes.channel {
        desired.channel = channel.as_str().to_owned();
    }
    if let Change::Set(text) = changes.title {
        desired.title = title(&text)?;
    }
    desired.start_date = changes.start_date.apply(current.start_date);
    desired.end_date = changes.end_date.apply(current.end_date);
    check_dates(desired.start_date, desired.end_date)?;
    if let Change::Set(region) = changes.region {
        desired.region = optional_text("region", region, MAX_REGION_CHARS)?;
    }
    if let Change::Set(language) = changes.language {
        desired.language = language.map(|l| l.as_str().to_owned());
    }
    if let Change::Set(text) = changes.link {
        desired.link = link(text)?;
    }
    if let Change::Set(notes) = changes.notes {
        desired.notes = optional_text("notes", notes, MAX_TEXT_CHARS)?;
    }
    in_transaction(db, move |txn| {
        Box::pin(async move {
            let before = json(&current);
            let row = save_changes(txn, current, desired).await?;
            let after = json(&row);
            audit_write(
                txn,
                &by,
                ("campaign_activity", id),
                Some(before),
                after,
                now,
            )
            .await?;
            Ok(row)
        })
    })
    .await
}

/// Deletes an activity and its figures (the managers of its campaign).
pub async fn delete(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
) -> AppResult<()> {
    let current = find(db, id).await?;
    let (by, _) = manager(db, actor, current.campaign_id, "id").await?;
    let before = json(&current);
    audited_delete(
        db,
        by.clone(),
        ("campaign_activity", id),
        before,
        current,
        now,
    )
    .await
}
