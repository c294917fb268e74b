//! Batch look-ups by id: each answers many keys with a fixed number of
//! statements, which is what lets the API resolve a page of 100 commitments
//! and their relations without one query per row.

use std::collections::HashMap;

use entity::{
    action_plan, action_plan_translation,
    by_position::{
        ByPosition, LinkedFrom, LinkedOneOf, OneOf, Positional, ReachedWithJoined, WithJoined,
        WithParentJoined,
    },
    commitment, commitment_focal_point, commitment_policy_area, commitment_relation,
    commitment_support_institution, country, focal_point, institution, institution_translation,
    milestone, milestone_translation, policy_area,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, Iterable, JoinType, QueryFilter,
    QueryOrder, QuerySelect, sea_query::IntoCondition,
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

/// The lead and supporting institutions of commitments `ids`, with their
/// names, in one statement: the commitments' own lead institutions and
/// their supporting links, as one derived table, joined to the institutions
/// and their names. Every id gets an entry.
pub async fn institutions_of<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> AppResult<HashMap<i64, CommitmentInstitutions>> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, UnionType};
    type Reached = ReachedWithJoined<institution::Model, institution_translation::Model>;
    let mut found: HashMap<i64, CommitmentInstitutions> = ids
        .iter()
        .map(|&id| (id, CommitmentInstitutions::default()))
        .collect();
    if ids.is_empty() {
        return Ok(found);
    }
    let null = || Expr::cust("NULL");
    let (owned_by, linked_from, target) = (
        Alias::new(Reached::OWNED_BY),
        Alias::new(Reached::LINKED_FROM),
        Alias::new("institution_id"),
    );
    let reached = Query::select()
        .expr_as(null(), owned_by.clone())
        .expr_as(
            Expr::col(commitment_support_institution::Column::CommitmentId),
            linked_from.clone(),
        )
        .expr_as(
            Expr::col(commitment_support_institution::Column::InstitutionId),
            target.clone(),
        )
        .from(commitment_support_institution::Entity)
        .and_where(commitment_support_institution::Column::CommitmentId.is_in(ids.to_vec()))
        .union(
            UnionType::All,
            Query::select()
                .expr_as(Expr::col(commitment::Column::Id), owned_by.clone())
                .expr_as(null(), linked_from.clone())
                .expr_as(
                    Expr::col(commitment::Column::LeadInstitutionId),
                    target.clone(),
                )
                .from(commitment::Entity)
                .and_where(commitment::Column::Id.is_in(ids.to_vec()))
                .and_where(commitment::Column::LeadInstitutionId.is_not_null())
                .to_owned(),
        )
        .to_owned();
    let links = Alias::new("reached");
    let to_names = institution::Entity::belongs_to(institution_translation::Entity)
        .from(institution::Column::Id)
        .to(institution_translation::Column::InstitutionId)
        .into();
    let mut select = institution::Entity::find()
        .join(JoinType::LeftJoin, to_names)
        .columns(institution_translation::Column::iter())
        .expr(Expr::col((links.clone(), owned_by)))
        .expr(Expr::col((links.clone(), linked_from)));
    QuerySelect::query(&mut select).join_subquery(
        JoinType::InnerJoin,
        reached,
        links.clone(),
        Expr::col((links, target)).equals((institution::Entity, institution::Column::Id)),
    );
    let rows = select.into_model::<Reached>().all(db).await?;
    // An institution repeats once per name and per commitment reaching it.
    let mut institutions: HashMap<
        i64,
        Translated<institution::Model, institution_translation::Model>,
    > = HashMap::new();
    let mut reaching: Vec<(Option<i64>, Option<i64>, i64)> = Vec::new();
    for ReachedWithJoined {
        owned_by,
        linked_from,
        row,
        joined,
    } in rows
    {
        reaching.push((owned_by, linked_from, row.id));
        let (_, names) = institutions
            .entry(row.id)
            .or_insert_with(|| (row, Vec::new()));
        if let Some(name) = joined {
            if !names.iter().any(|known| known.language == name.language) {
                names.push(name);
            }
        }
    }
    reaching.sort_unstable();
    reaching.dedup();
    for (owned_by, linked_from, institution_id) in reaching {
        let Some(institution) = institutions.get(&institution_id) else {
            continue;
        };
        if let Some(entry) = owned_by.and_then(|id| found.get_mut(&id)) {
            entry.lead = Some(institution.clone());
        }
        if let Some(entry) = linked_from.and_then(|id| found.get_mut(&id)) {
            // Sorted by institution id above.
            entry.supporting.push(institution.clone());
        }
    }
    Ok(found)
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

/// Which of a commitment's linked lists [`links_of`] reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LinkedLists {
    pub policy_areas: bool,
    pub focal_points: bool,
    pub related: bool,
}

impl LinkedLists {
    /// How many of the lists are asked.
    pub fn count(self) -> usize {
        [self.policy_areas, self.focal_points, self.related]
            .into_iter()
            .filter(|&wanted| wanted)
            .count()
    }
}

/// A commitment's linked lists, ordered as [`policy_areas_of`],
/// [`focal_points_of`] and [`related_commitments_of`] order them; those not
/// asked stay empty.
#[derive(Clone, Debug, Default)]
pub struct CommitmentLinks {
    pub policy_areas: Vec<policy_area::Model>,
    pub focal_points: Vec<focal_point::Model>,
    pub related: Vec<commitment::Model>,
}

type Linked = LinkedOneOf<policy_area::Model, focal_point::Model, commitment::Model>;

/// The `wanted` linked lists of commitments `ids` in one statement, where
/// each list was a statement (a round trip, and for PostgreSQL a
/// transaction and an executor of its own: most of what such a small read
/// costs it). The links of every list asked, tagged with the list, form one
/// derived table; each row of it is joined (left) to the table its list
/// points at, so a row holds one table's columns and NULL in the others'.
/// NULLs padding a `UNION ALL` of the tables' own reads instead would need
/// a type each on PostgreSQL. Every id gets an entry.
pub async fn links_of<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    wanted: LinkedLists,
) -> AppResult<HashMap<i64, CommitmentLinks>> {
    use sea_orm::sea_query::{Alias, Expr, Query, UnionType};
    let mut found: HashMap<i64, CommitmentLinks> = ids
        .iter()
        .map(|&id| (id, CommitmentLinks::default()))
        .collect();
    if ids.is_empty() {
        return Ok(found);
    }
    let mut arms = Vec::with_capacity(3);
    if wanted.policy_areas {
        arms.push(links_of_list::<commitment_policy_area::Entity>(
            commitment_policy_area::Column::CommitmentId,
            commitment_policy_area::Column::PolicyAreaId,
            ids,
            AREAS,
        ));
    }
    if wanted.focal_points {
        arms.push(links_of_list::<commitment_focal_point::Entity>(
            commitment_focal_point::Column::CommitmentId,
            commitment_focal_point::Column::FocalPointId,
            ids,
            FOCAL_POINTS,
        ));
    }
    if wanted.related {
        arms.push(links_of_list::<commitment_relation::Entity>(
            commitment_relation::Column::CommitmentId,
            commitment_relation::Column::RelatedCommitmentId,
            ids,
            RELATED,
        ));
    }
    let mut arms = arms.into_iter();
    let Some(mut reached) = arms.next() else {
        return Ok(found);
    };
    for arm in arms {
        reached.union(UnionType::All, arm);
    }
    let mut select = Query::select();
    select.from_subquery(reached, Alias::new(LINKS));
    join_list::<policy_area::Entity>(
        &mut select,
        wanted.policy_areas,
        AREAS,
        policy_area::Column::Id,
    );
    join_list::<focal_point::Entity>(
        &mut select,
        wanted.focal_points,
        FOCAL_POINTS,
        focal_point::Column::Id,
    );
    join_list::<commitment::Entity>(&mut select, wanted.related, RELATED, commitment::Column::Id);
    select.expr(Expr::col((Alias::new(LINKS), Alias::new(Linked::COLUMN))));
    let rows = Linked::find_by_statement(db.get_database_backend().build(&select))
        .all(db)
        .await?;
    for LinkedOneOf { from, row } in rows {
        let entry = found.entry(from).or_default();
        match row {
            OneOf::First(area) => entry.policy_areas.push(area),
            OneOf::Second(focal_point) => entry.focal_points.push(focal_point),
            OneOf::Third(related) => entry.related.push(related),
        }
    }
    for links in found.values_mut() {
        links.policy_areas.sort_by(|a, b| a.name.cmp(&b.name));
        links.focal_points.sort_by_key(|focal_point| focal_point.id);
        links.related.sort_by(|a, b| a.code.cmp(&b.code));
    }
    Ok(found)
}

/// The derived table of [`links_of`], and its columns: the commitment a link
/// is from, the list it belongs to, the row it points at.
const LINKS: &str = "links";
const LIST: &str = "list";
const TARGET: &str = "target";
/// The lists of [`links_of`], in the order their tables' columns are
/// selected.
const AREAS: i64 = 0;
const FOCAL_POINTS: i64 = 1;
const RELATED: i64 = 2;

/// The links of one list of [`links_of`] from commitments `ids`.
fn links_of_list<L: EntityTrait>(
    owner: L::Column,
    pointing: L::Column,
    ids: &[i64],
    list: i64,
) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::sea_query::{Alias, Expr, Query};
    Query::select()
        .expr_as(Expr::col(owner), Alias::new(Linked::COLUMN))
        .expr_as(Expr::val(list), Alias::new(LIST))
        .expr_as(Expr::col(pointing), Alias::new(TARGET))
        .from(L::default())
        .and_where(owner.is_in(ids.to_vec()))
        .to_owned()
}

/// Joins (left) to each link of `list` the row of `T` it points at, `T`'s
/// columns selected; NULL in their place when the list is not `asked`.
fn join_list<T: EntityTrait>(
    select: &mut sea_orm::sea_query::SelectStatement,
    asked: bool,
    list: i64,
    id: T::Column,
) where
    T::Model: ByPosition,
{
    use sea_orm::sea_query::{Alias, Expr, ExprTrait};
    if !asked {
        for &name in T::Model::COLUMNS {
            select.expr_as(Expr::cust("NULL"), Alias::new(name));
        }
        return;
    }
    let links = Alias::new(LINKS);
    select.left_join(
        T::default(),
        Expr::col((links.clone(), Alias::new(LIST)))
            .eq(list)
            .and(Expr::col((T::default(), id)).equals((links, Alias::new(TARGET)))),
    );
    select.exprs(T::Column::iter().map(|column| Expr::col((T::default(), column))));
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
