//! Batch look-ups by id: each answers many keys with a fixed number of
//! statements, which is what lets the API resolve a page of 100 commitments
//! and their relations without one query per row.

use std::collections::HashMap;

use entity::{
    action_plan, action_plan_translation,
    by_position::{ByPosition, LinkedFrom, Positional, WithJoined, WithParentJoined},
    commitment, commitment_focal_point, commitment_policy_area, commitment_relation,
    commitment_support_institution, country, focal_point, institution, institution_translation,
    milestone, milestone_translation, policy_area,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, Iterable, JoinType, QueryFilter, QueryOrder,
    QuerySelect, sea_query::IntoCondition,
};

use crate::{error::AppResult, language::LanguagePreference};

/// An institution as documents name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstitutionName {
    /// In the preferred language, else any, else the institution's key.
    pub name: String,
    pub abbreviation: Option<String>,
}

impl InstitutionName {
    /// `Ministry of … (MRAFP)`, or the name alone.
    pub fn with_abbreviation(&self) -> String {
        match self.abbreviation.as_deref().map(str::trim) {
            Some(short) if !short.is_empty() && short != self.name => {
                format!("{} ({short})", self.name)
            }
            _ => self.name.clone(),
        }
    }
}

/// The names of institutions `ids` in `preference`'s language, by id.
pub async fn institution_names<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    preference: &LanguagePreference,
) -> AppResult<HashMap<i64, InstitutionName>> {
    let rows = by_id::<institution::Entity, _>(db, institution::Column::Id, ids, |r| r.id).await?;
    let names = grouped::<institution_translation::Entity, _>(
        db,
        institution_translation::Column::InstitutionId,
        ids,
        |t| t.institution_id,
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, row)| {
            let name = names
                .get(&id)
                .and_then(|own| {
                    preference.pick(
                        own,
                        |t| &t.language,
                        |t| Some(t.name.as_str()).filter(|name| !name.trim().is_empty()),
                    )
                })
                .map_or_else(|| row.key.clone(), |chosen| chosen.value.to_owned());
            (
                id,
                InstitutionName {
                    name,
                    abbreviation: row.abbreviation,
                },
            )
        })
        .collect())
}

/// Rows of `E` whose `column` is one of `ids`, grouped by that column's value
/// (read from each row by `group_of`), with an empty group for an id that has
/// no rows. Suits "by id" and "children of".
pub async fn grouped<E, C>(
    db: &C,
    column: E::Column,
    ids: &[i64],
    group_of: impl Fn(&E::Model) -> i64,
) -> AppResult<HashMap<i64, Vec<E::Model>>>
where
    E: EntityTrait,
    E::Model: ByPosition,
    C: ConnectionTrait,
{
    // Every id gets an entry, empty when it has no rows: "none" is an answer.
    let mut groups: HashMap<i64, Vec<E::Model>> = ids.iter().map(|id| (*id, Vec::new())).collect();
    if ids.is_empty() {
        return Ok(groups);
    }
    let rows = E::find()
        .filter(column.is_in(ids.to_vec()))
        .into_model::<Positional<E::Model>>()
        .all(db)
        .await?;
    for Positional(row) in rows {
        groups.entry(group_of(&row)).or_default().push(row);
    }
    Ok(groups)
}

/// Rows of `E` by their unique id.
pub async fn by_id<E, C>(
    db: &C,
    column: E::Column,
    ids: &[i64],
    id_of: impl Fn(&E::Model) -> i64,
) -> AppResult<HashMap<i64, E::Model>>
where
    E: EntityTrait,
    E::Model: ByPosition,
    C: ConnectionTrait,
{
    Ok(grouped::<E, C>(db, column, ids, id_of)
        .await?
        .into_iter()
        .filter_map(|(id, mut rows)| rows.pop().map(|row| (id, row)))
        .collect())
}

/// A row with its translations (every language).
pub type Translated<R, T> = (R, Vec<T>);

/// Rows of `E` meeting `condition`, each with its rows of the translation
/// table `T` (whose `owner` column holds the row's `id`), in one statement
/// (a left join) where the rows, then their translations, took two. Rows
/// come in the statement's order, each once; a row without translations has
/// an empty list.
pub async fn translated<E, T, C>(
    db: &C,
    condition: impl IntoCondition,
    (id, owner): (E::Column, T::Column),
    id_of: impl Fn(&E::Model) -> i64,
) -> AppResult<Vec<Translated<E::Model, T::Model>>>
where
    E: EntityTrait,
    T: EntityTrait,
    E::Model: ByPosition,
    T::Model: ByPosition,
    C: ConnectionTrait,
{
    let to_translations = E::belongs_to(T::default()).from(id).to(owner).into();
    let joined = E::find()
        .join(JoinType::LeftJoin, to_translations)
        .columns(T::Column::iter())
        .filter(condition)
        .into_model::<WithJoined<E::Model, T::Model>>()
        .all(db)
        .await?;
    Ok(with_translations(joined, id_of))
}

/// The rows of a left join of rows to their translations, each row once
/// (in the order it first comes) with every translation it came with.
pub fn with_translations<R, T>(
    joined: Vec<WithJoined<R, T>>,
    id_of: impl Fn(&R) -> i64,
) -> Vec<Translated<R, T>> {
    // A row repeats once per translation.
    let mut rows: Vec<Translated<R, T>> = Vec::new();
    let mut position_of: HashMap<i64, usize> = HashMap::new();
    for WithJoined { row, joined } in joined {
        let position = *position_of.entry(id_of(&row)).or_insert_with(|| {
            rows.push((row, Vec::new()));
            rows.len() - 1
        });
        if let (Some(translation), Some((_, translations))) = (joined, rows.get_mut(position)) {
            translations.push(translation);
        }
    }
    rows
}

/// Rows of `E` by their unique id, each with its translations (see
/// [`translated`]).
pub async fn by_id_translated<E, T, C>(
    db: &C,
    ids: &[i64],
    (id, owner): (E::Column, T::Column),
    id_of: impl Fn(&E::Model) -> i64,
) -> AppResult<HashMap<i64, Translated<E::Model, T::Model>>>
where
    E: EntityTrait,
    T: EntityTrait,
    E::Model: ByPosition,
    T::Model: ByPosition,
    C: ConnectionTrait,
{
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(
        translated::<E, T, C>(db, id.is_in(ids.to_vec()), (id, owner), &id_of)
            .await?
            .into_iter()
            .map(|(row, translations)| (id_of(&row), (row, translations)))
            .collect(),
    )
}

/// An action plan with its country and its titles (every language).
pub type PlanInCountry = (
    action_plan::Model,
    country::Model,
    Vec<action_plan_translation::Model>,
);

/// Action plans `ids`, each with its country and its titles, in one
/// statement (a page asking a plan's title and its country's name read the
/// plan and its titles, then the country).
pub async fn plans_in_countries<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<HashMap<i64, PlanInCountry>> {
    let mut found: HashMap<i64, PlanInCountry> = HashMap::with_capacity(ids.len());
    if ids.is_empty() {
        return Ok(found);
    }
    let to_country = action_plan::Entity::belongs_to(country::Entity)
        .from(action_plan::Column::CountryId)
        .to(country::Column::Id)
        .into();
    let to_titles = action_plan::Entity::belongs_to(action_plan_translation::Entity)
        .from(action_plan::Column::Id)
        .to(action_plan_translation::Column::ActionPlanId)
        .into();
    let rows = action_plan::Entity::find()
        .join(JoinType::InnerJoin, to_country)
        .columns(country::Column::iter())
        .join(JoinType::LeftJoin, to_titles)
        .columns(action_plan_translation::Column::iter())
        .filter(action_plan::Column::Id.is_in(ids.to_vec()))
        .into_model::<WithParentJoined<action_plan::Model, country::Model, action_plan_translation::Model>>()
        .all(db)
        .await?;
    // A plan with its country is a row like any other to group its titles.
    let joined = rows.into_iter().map(|found| WithJoined {
        row: (found.row, found.parent),
        joined: found.joined,
    });
    for ((plan, country), titles) in with_translations(joined.collect(), |(plan, _)| plan.id) {
        found.insert(plan.id, (plan, country, titles));
    }
    Ok(found)
}

/// A commitment's institutions, each with its names (every language).
#[derive(Clone, Debug, Default)]
pub struct CommitmentInstitutions {
    pub lead: Option<Translated<institution::Model, institution_translation::Model>>,
    /// By id.
    pub supporting: Vec<Translated<institution::Model, institution_translation::Model>>,
}

/// Follows a link table `L` from `ids` (its `link_owner` column) to the rows
/// of `T` its `link_target` column points at, in one statement whatever the
/// number of ids (a join: reading the links, then their targets, was two
/// round trips). Targets keep their id order; an id without links gets an
/// empty list.
async fn linked<L, T, C>(
    db: &C,
    link_owner: L::Column,
    link_target: L::Column,
    ids: &[i64],
    target_id: T::Column,
    id_of: impl Fn(&T::Model) -> i64,
) -> AppResult<HashMap<i64, Vec<T::Model>>>
where
    L: EntityTrait,
    T: EntityTrait,
    T::Model: ByPosition,
    C: ConnectionTrait,
{
    let mut result: HashMap<i64, Vec<T::Model>> = ids.iter().map(|id| (*id, Vec::new())).collect();
    if ids.is_empty() {
        return Ok(result);
    }
    let through_links = T::belongs_to(L::default())
        .from(target_id)
        .to(link_target)
        .into();
    let rows = T::find()
        .join(JoinType::InnerJoin, through_links)
        .column_as(link_owner, LinkedFrom::<T::Model>::COLUMN)
        .filter(link_owner.is_in(ids.to_vec()))
        .into_model::<LinkedFrom<T::Model>>()
        .all(db)
        .await?;
    for LinkedFrom { from, row } in rows {
        result.entry(from).or_default().push(row);
    }
    for rows in result.values_mut() {
        rows.sort_by_key(|row| id_of(row));
    }
    Ok(result)
}

pub async fn policy_areas_of<C: ConnectionTrait>(
    db: &C,
    commitment_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<policy_area::Model>>> {
    let mut areas = linked::<commitment_policy_area::Entity, policy_area::Entity, C>(
        db,
        commitment_policy_area::Column::CommitmentId,
        commitment_policy_area::Column::PolicyAreaId,
        commitment_ids,
        policy_area::Column::Id,
        |area| area.id,
    )
    .await?;
    for list in areas.values_mut() {
        list.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(areas)
}

pub async fn support_institutions_of<C: ConnectionTrait>(
    db: &C,
    commitment_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<institution::Model>>> {
    linked::<commitment_support_institution::Entity, institution::Entity, C>(
        db,
        commitment_support_institution::Column::CommitmentId,
        commitment_support_institution::Column::InstitutionId,
        commitment_ids,
        institution::Column::Id,
        |institution| institution.id,
    )
    .await
}

pub async fn focal_points_of<C: ConnectionTrait>(
    db: &C,
    commitment_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<focal_point::Model>>> {
    linked::<commitment_focal_point::Entity, focal_point::Entity, C>(
        db,
        commitment_focal_point::Column::CommitmentId,
        commitment_focal_point::Column::FocalPointId,
        commitment_ids,
        focal_point::Column::Id,
        |focal_point| focal_point.id,
    )
    .await
}

pub async fn commitments_of_focal_points<C: ConnectionTrait>(
    db: &C,
    focal_point_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<commitment::Model>>> {
    let mut commitments = linked::<commitment_focal_point::Entity, commitment::Entity, C>(
        db,
        commitment_focal_point::Column::FocalPointId,
        commitment_focal_point::Column::CommitmentId,
        focal_point_ids,
        commitment::Column::Id,
        |commitment| commitment.id,
    )
    .await?;
    for list in commitments.values_mut() {
        list.sort_by(|a, b| a.code.cmp(&b.code));
    }
    Ok(commitments)
}

pub async fn related_commitments_of<C: ConnectionTrait>(
    db: &C,
    commitment_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<commitment::Model>>> {
    let mut related = linked::<commitment_relation::Entity, commitment::Entity, C>(
        db,
        commitment_relation::Column::CommitmentId,
        commitment_relation::Column::RelatedCommitmentId,
        commitment_ids,
        commitment::Column::Id,
        |commitment| commitment.id,
    )
    .await?;
    for list in related.values_mut() {
        list.sort_by(|a, b| a.code.cmp(&b.code));
    }
    Ok(related)
}

/// Milestones of each commitment, in their published order.
pub async fn milestones_of<C: ConnectionTrait>(
    db: &C,
    commitment_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<milestone::Model>>> {
    let mut groups: HashMap<i64, Vec<milestone::Model>> =
        commitment_ids.iter().map(|id| (*id, Vec::new())).collect();
    if commitment_ids.is_empty() {
        return Ok(groups);
    }
    let rows = milestone::Entity::find()
        .filter(milestone::Column::CommitmentId.is_in(commitment_ids.to_vec()))
        .order_by_asc(milestone::Column::CommitmentId)
        .order_by_asc(milestone::Column::Position)
        .all(db)
        .await?;
    for row in rows {
        groups.entry(row.commitment_id).or_default().push(row);
    }
    Ok(groups)
}

/// Milestones of each commitment, in their published order, each with its
/// translations (one statement; see [`translated`]).
pub async fn translated_milestones_of<C: ConnectionTrait>(
    db: &C,
    commitment_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<Translated<milestone::Model, milestone_translation::Model>>>> {
    let mut groups: HashMap<i64, Vec<_>> =
        commitment_ids.iter().map(|id| (*id, Vec::new())).collect();
    if commitment_ids.is_empty() {
        return Ok(groups);
    }
    let rows = translated::<milestone::Entity, milestone_translation::Entity, C>(
        db,
        milestone::Column::CommitmentId.is_in(commitment_ids.to_vec()),
        (
            milestone::Column::Id,
            milestone_translation::Column::MilestoneId,
        ),
        |row| row.id,
    )
    .await?;
    for (row, translations) in rows {
        groups
            .entry(row.commitment_id)
            .or_default()
            .push((row, translations));
    }
    for list in groups.values_mut() {
        list.sort_by_key(|(row, _)| (row.position, row.id));
    }
    Ok(groups)
}

/// Action plans of each country, by key.
pub async fn action_plans_of_countries<C: ConnectionTrait>(
    db: &C,
    country_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<action_plan::Model>>> {
    let mut plans =
        grouped::<action_plan::Entity, C>(db, action_plan::Column::CountryId, country_ids, |row| {
            row.country_id
        })
        .await?;
    for list in plans.values_mut() {
        list.sort_by(|a, b| a.key.cmp(&b.key));
    }
    Ok(plans)
}

pub async fn action_plan_by_key<C: ConnectionTrait>(
    db: &C,
    key: &str,
) -> AppResult<Option<action_plan::Model>> {
    Ok(action_plan::Entity::find()
        .filter(action_plan::Column::Key.eq(key.trim()))
        .one(db)
        .await?)
}

/// The commitments each campaign supports, by code.
pub async fn commitments_of_campaigns<C: ConnectionTrait>(
    db: &C,
    campaign_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<commitment::Model>>> {
    let mut commitments = linked::<entity::campaign_commitment::Entity, commitment::Entity, C>(
        db,
        entity::campaign_commitment::Column::CampaignId,
        entity::campaign_commitment::Column::CommitmentId,
        campaign_ids,
        commitment::Column::Id,
        |commitment| commitment.id,
    )
    .await?;
    for list in commitments.values_mut() {
        list.sort_by(|a, b| a.code.cmp(&b.code));
    }
    Ok(commitments)
}

/// The milestones each campaign supports, by commitment and position.
pub async fn milestones_of_campaigns<C: ConnectionTrait>(
    db: &C,
    campaign_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<milestone::Model>>> {
    let mut milestones = linked::<entity::campaign_milestone::Entity, milestone::Entity, C>(
        db,
        entity::campaign_milestone::Column::CampaignId,
        entity::campaign_milestone::Column::MilestoneId,
        campaign_ids,
        milestone::Column::Id,
        |milestone| milestone.id,
    )
    .await?;
    for list in milestones.values_mut() {
        list.sort_by_key(|m| (m.commitment_id, m.position));
    }
    Ok(milestones)
}

/// The figures of each activity, by period and kind.
pub async fn metrics_of_activities<C: ConnectionTrait>(
    db: &C,
    activity_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<entity::awareness_metric::Model>>> {
    use crate::catalog::vocabulary::MetricKind;
    let mut metrics = grouped::<entity::awareness_metric::Entity, C>(
        db,
        entity::awareness_metric::Column::ActivityId,
        activity_ids,
        |row| row.activity_id,
    )
    .await?;
    for list in metrics.values_mut() {
        list.sort_by_key(|m| {
            (
                m.period_start,
                MetricKind::ALL.iter().position(|k| k.as_str() == m.kind),
                m.period_end,
            )
        });
    }
    Ok(metrics)
}
