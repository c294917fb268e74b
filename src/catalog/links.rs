//! What a commitment links to, read in one statement: its policy areas,
//! focal points, related commitments, lead and supporting institutions
//! (with their names), milestones (with their texts) and action plan (with
//! its country and titles); and, where a query shows feedback figures
//! beside them, the sums of its comment tally, which are no link but would
//! cost a statement of their own.
//!
//! Each of these was a statement of its own: a round trip, and for
//! PostgreSQL a transaction and an executor start, where running the read
//! itself takes 10–20 µs. A query asking several of them (a commitment's
//! page asks them all) now costs one. Each is read as before, by its own
//! indexed joins, as one arm of a `UNION ALL`; every arm selects the
//! columns of every table the query reads, NULL but for its own tables',
//! behind two tags: the kind of row and the commitment it was read for.
//! Only the tables of the parts asked are selected: PostgreSQL's work
//! grows with every column of every row, NULL or not (a page of 25
//! commitments asking two parts cost it 40 % more with every table's
//! columns selected).
//!
//! For the same reason the tables share columns: a row holds the columns
//! of one arm's tables only, so the tables of different arms share the
//! columns of the types they have in common (see [`Packing`]), and a row
//! is about as wide as the widest arm: 18 columns with every part asked,
//! where a column for every table's column made 58. With 58, reading one
//! commitment with every part cost PostgreSQL 225 µs of CPU, and the same
//! joins selecting four columns 110 µs (bench/README, twenty-third round).
//!
//! PostgreSQL gives a column of NULLs in two arms the type text, then
//! refuses a third arm's bigint there. The first arm therefore selects,
//! for every column, a real column of one of the tables using it, and
//! finds no row: the tables left-joined on a false condition, which
//! PostgreSQL plans in a tenth of a millisecond (the same tables
//! cross-joined took 12–30 ms to plan).

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock},
};

use entity::{
    action_plan, action_plan_translation, by_position::Row, commitment, commitment_focal_point,
    commitment_policy_area, commitment_relation, commitment_support_institution, country,
    feedback_tally, focal_point, institution, institution_translation, milestone,
    milestone_translation, policy_area,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, Iterable, QueryResult, Statement,
    Value,
    sea_query::{
        Alias, ColumnType, DynIden, Expr, ExprTrait, IntoIden, Query, SelectStatement, UnionType,
    },
};

use super::lookups::{CommitmentInstitutions, PlanInCountry, Translated};
use crate::{error::AppResult, feedback::read::tallied};

/// What [`links_of`] reads of a commitment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LinkedLists {
    pub policy_areas: bool,
    pub focal_points: bool,
    pub related: bool,
    pub lead_institution: bool,
    pub support_institutions: bool,
    pub milestones: bool,
    pub action_plan: bool,
    /// The sums of its comment tally by kind (see
    /// `feedback::read::counts_from_tally`): not a link, but a read of the
    /// same commitments that needs no statement of its own.
    pub comment_counts: bool,
}

impl LinkedLists {
    /// How many of the lists are asked.
    pub fn count(self) -> usize {
        [
            self.policy_areas,
            self.focal_points,
            self.related,
            self.lead_institution,
            self.support_institutions,
            self.milestones,
            self.action_plan,
            self.comment_counts,
        ]
        .into_iter()
        .filter(|&wanted| wanted)
        .count()
    }

    /// The tables whose columns the statement selects, in order.
    fn tables(self) -> Vec<Table> {
        let asked = |table: Table| match table {
            Table::PolicyArea => self.policy_areas,
            Table::FocalPoint => self.focal_points,
            Table::Commitment => self.related,
            Table::Institution | Table::InstitutionName => {
                self.lead_institution || self.support_institutions
            }
            Table::Milestone | Table::MilestoneText => self.milestones,
            Table::ActionPlan | Table::Country | Table::ActionPlanTitle => self.action_plan,
            Table::Tally => self.comment_counts,
        };
        ALL_TABLES
            .into_iter()
            .filter(|&table| asked(table))
            .collect()
    }
}

/// What a commitment links to, ordered as the reads of each alone order
/// it (policy areas by name, focal points by id, related commitments by
/// code, supporting institutions by id, milestones by position); what was
/// not asked stays empty.
#[derive(Clone, Debug, Default)]
pub struct CommitmentLinks {
    pub policy_areas: Vec<policy_area::Model>,
    pub focal_points: Vec<focal_point::Model>,
    pub related: Vec<commitment::Model>,
    pub institutions: CommitmentInstitutions,
    pub milestones: Vec<Translated<milestone::Model, milestone_translation::Model>>,
    pub action_plan: Option<PlanInCountry>,
    /// The comment tally's sums: kind, comments, awaiting a response.
    pub tally: Vec<(String, i64, i64)>,
}

/// The kinds of rows of [`links_of`], as tagged in its statement.
const AREA: i64 = 0;
const FOCAL_POINT: i64 = 1;
const RELATED: i64 = 2;
const LEAD: i64 = 3;
const SUPPORTING: i64 = 4;
const MILESTONE: i64 = 5;
const PLAN: i64 = 6;
const TALLY: i64 = 7;

/// The tables whose columns a row of [`links_of`] may hold, after its tags.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Table {
    PolicyArea,
    FocalPoint,
    Commitment,
    Institution,
    InstitutionName,
    Milestone,
    MilestoneText,
    ActionPlan,
    Country,
    ActionPlanTitle,
    /// The comment tally summed by commitment and kind: its kind, comments
    /// and those awaiting a response.
    Tally,
}

/// A row of [`links_of`].
enum Linked {
    Area(policy_area::Model),
    FocalPoint(focal_point::Model),
    Related(commitment::Model),
    Lead(institution::Model, Option<institution_translation::Model>),
    Supporting(institution::Model, Option<institution_translation::Model>),
    Milestone(milestone::Model, Option<milestone_translation::Model>),
    Plan(
        action_plan::Model,
        country::Model,
        Option<action_plan_translation::Model>,
    ),
    Tally(String, i64, i64),
}

/// The names the tags of a row are selected as: its kind, and the id of the
/// commitment it was read for.
const KIND: &str = "kind";
const OWNER: &str = "owner";

impl Table {
    fn name(self) -> DynIden {
        match self {
            Self::PolicyArea => policy_area::Entity.into_iden(),
            Self::FocalPoint => focal_point::Entity.into_iden(),
            Self::Commitment => commitment::Entity.into_iden(),
            Self::Institution => institution::Entity.into_iden(),
            Self::InstitutionName => institution_translation::Entity.into_iden(),
            Self::Milestone => milestone::Entity.into_iden(),
            Self::MilestoneText => milestone_translation::Entity.into_iden(),
            Self::ActionPlan => action_plan::Entity.into_iden(),
            Self::Country => country::Entity.into_iden(),
            Self::ActionPlanTitle => action_plan_translation::Entity.into_iden(),
            Self::Tally => feedback_tally::Entity.into_iden(),
        }
    }

    /// Its columns' names, in order.
    #[cfg(test)]
    fn columns(self) -> &'static [&'static str] {
        use entity::by_position::ByPosition;
        match self {
            Self::PolicyArea => policy_area::Model::COLUMNS,
            Self::FocalPoint => focal_point::Model::COLUMNS,
            Self::Commitment => commitment::Model::COLUMNS,
            Self::Institution => institution::Model::COLUMNS,
            Self::InstitutionName => institution_translation::Model::COLUMNS,
            Self::Milestone => milestone::Model::COLUMNS,
            Self::MilestoneText => milestone_translation::Model::COLUMNS,
            Self::ActionPlan => action_plan::Model::COLUMNS,
            Self::Country => country::Model::COLUMNS,
            Self::ActionPlanTitle => action_plan_translation::Model::COLUMNS,
            Self::Tally => &["kind", "comments", "awaiting"],
        }
    }

    /// Which arm's rows the table's columns are read in: tables of one
    /// row never share a column (see [`Packing`]).
    fn row(self) -> u8 {
        match self {
            Self::PolicyArea => 0,
            Self::FocalPoint => 1,
            Self::Commitment => 2,
            Self::Institution | Self::InstitutionName => 3,
            Self::Milestone | Self::MilestoneText => 4,
            Self::ActionPlan | Self::Country | Self::ActionPlanTitle => 5,
            Self::Tally => 6,
        }
    }

    /// The types of its columns, in order, texts of any length as one.
    fn column_types(self) -> Vec<ColumnType> {
        match self {
            Self::PolicyArea => types_of::<policy_area::Entity>(),
            Self::FocalPoint => types_of::<focal_point::Entity>(),
            Self::Commitment => types_of::<commitment::Entity>(),
            Self::Institution => types_of::<institution::Entity>(),
            Self::InstitutionName => types_of::<institution_translation::Entity>(),
            Self::Milestone => types_of::<milestone::Entity>(),
            Self::MilestoneText => types_of::<milestone_translation::Entity>(),
            Self::ActionPlan => types_of::<action_plan::Entity>(),
            Self::Country => types_of::<country::Entity>(),
            Self::ActionPlanTitle => types_of::<action_plan_translation::Entity>(),
            Self::Tally => vec![
                ColumnType::Text,
                ColumnType::BigInteger,
                ColumnType::BigInteger,
            ],
        }
    }

    /// Its column `place` (counted from 0), as selected.
    fn column(self, place: usize) -> Option<Expr> {
        match self {
            Self::PolicyArea => column_of::<policy_area::Entity>(place),
            Self::FocalPoint => column_of::<focal_point::Entity>(place),
            Self::Commitment => column_of::<commitment::Entity>(place),
            Self::Institution => column_of::<institution::Entity>(place),
            Self::InstitutionName => column_of::<institution_translation::Entity>(place),
            Self::Milestone => column_of::<milestone::Entity>(place),
            Self::MilestoneText => column_of::<milestone_translation::Entity>(place),
            Self::ActionPlan => column_of::<action_plan::Entity>(place),
            Self::Country => column_of::<country::Entity>(place),
            Self::ActionPlanTitle => column_of::<action_plan_translation::Entity>(place),
            // The same names in the table (the first arm) and in the sums
            // its own arm reads (`feedback::read::tallied`); counts as
            // bigints in both, whatever the table's type.
            Self::Tally => {
                let column = match place {
                    0 => {
                        return Some(Expr::col((
                            Self::Tally.name(),
                            feedback_tally::Column::Kind,
                        )));
                    }
                    1 => feedback_tally::Column::Comments,
                    2 => feedback_tally::Column::Awaiting,
                    _ => return None,
                };
                Some(Expr::col((Self::Tally.name(), column)).cast_as(Alias::new("BIGINT")))
            }
        }
    }
}

fn types_of<T: EntityTrait>() -> Vec<ColumnType> {
    T::Column::iter()
        .map(|column| match column.def().get_column_type() {
            ColumnType::String(_) | ColumnType::Text => ColumnType::Text,
            other => other.clone(),
        })
        .collect()
}

fn column_of<T: EntityTrait>(place: usize) -> Option<Expr> {
    T::Column::iter()
        .nth(place)
        .map(|column| Expr::col((T::default(), column)))
}

/// The columns of the statement's rows: the tags, then the columns the
/// tables read share (see [`Packing`]).
struct Layout {
    tables: Vec<Table>,
    width: usize,
}

impl Layout {
    fn of(wanted: LinkedLists) -> Self {
        let tables = wanted.tables();
        Self {
            width: TAGS + shared_width(&tables),
            tables,
        }
    }

    /// The first of `own` tables with a column in column `slot` (counted
    /// after the tags), and which of its columns that is.
    fn own_column(slot: usize, own: &[Table]) -> Option<(Table, usize)> {
        own.iter().find_map(|&table| {
            PACKING
                .places(table)
                .iter()
                .position(|&place| place == TAGS + slot)
                .map(|column| (table, column))
        })
    }

    /// A row: the commitment it was read for, and what it holds (`None`
    /// when its own table's columns are NULL, a join that found nothing).
    fn decode(&self, result: &QueryResult) -> Result<(i64, Option<Linked>), DbErr> {
        let row = Row::unnamed(result, self.width)?;
        let kind: i64 = row.next()?;
        let owner: i64 = row.next()?;
        let at = |table: Table| {
            if self.tables.contains(&table) {
                row.follow(PACKING.places(table));
                Ok(())
            } else {
                Err(DbErr::Type(format!(
                    "a commitment's links: a row of kind {kind} where its table is not read"
                )))
            }
        };
        // Each table's columns are followed where they are (see
        // `Packing`).
        let found = match kind {
            AREA => {
                at(Table::PolicyArea)?;
                row.optional()?.map(Linked::Area)
            }
            FOCAL_POINT => {
                at(Table::FocalPoint)?;
                row.optional()?.map(Linked::FocalPoint)
            }
            RELATED => {
                at(Table::Commitment)?;
                row.optional()?.map(Linked::Related)
            }
            LEAD | SUPPORTING => {
                at(Table::Institution)?;
                match row.optional()? {
                    None => None,
                    Some(institution) => {
                        at(Table::InstitutionName)?;
                        let name = row.optional()?;
                        Some(if kind == LEAD {
                            Linked::Lead(institution, name)
                        } else {
                            Linked::Supporting(institution, name)
                        })
                    }
                }
            }
            MILESTONE => {
                at(Table::Milestone)?;
                match row.optional()? {
                    None => None,
                    Some(milestone) => {
                        at(Table::MilestoneText)?;
                        Some(Linked::Milestone(milestone, row.optional()?))
                    }
                }
            }
            PLAN => {
                at(Table::ActionPlan)?;
                let plan = row.optional()?;
                at(Table::Country)?;
                match (plan, row.optional()?) {
                    (Some(plan), Some(country)) => {
                        at(Table::ActionPlanTitle)?;
                        Some(Linked::Plan(plan, country, row.optional()?))
                    }
                    _ => None,
                }
            }
            TALLY => {
                at(Table::Tally)?;
                Some(Linked::Tally(row.next()?, row.next()?, row.next()?))
            }
            other => {
                return Err(DbErr::Type(format!(
                    "a commitment's links: no kind {other}"
                )));
            }
        };
        Ok((owner, found))
    }
}

/// How many columns `tables` take after the tags, sharing them (see
/// [`Packing`]).
fn shared_width(tables: &[Table]) -> usize {
    tables
        .iter()
        .flat_map(|&table| PACKING.places(table))
        .map(|&place| place + 1 - TAGS)
        .max()
        .unwrap_or(0)
}

/// The tags before the tables' columns: a row's kind and owner.
const TAGS: usize = 2;

/// Which of the statement's columns each table's columns are read from.
///
/// A row holds the columns of one arm's tables only (an institution and
/// its name; a milestone and its text; a plan, its country and its title;
/// or one table), so the tables of different arms share columns: each of
/// a table's columns goes to the first column of its type that no table
/// of its own rows uses yet. PostgreSQL gives a union's column one type,
/// and a text where a bigint is decoded fails; texts of any length count
/// as one type (PostgreSQL reads `varchar` and `text` as text). Each type
/// thus takes as many columns as the arm with most columns of it.
struct Packing {
    /// By table (`Table as usize`): its columns' places among the
    /// statement's columns, the tags included.
    places: [Vec<usize>; ALL_TABLES.len()],
}

static PACKING: LazyLock<Packing> = LazyLock::new(Packing::new);

impl Packing {
    fn new() -> Self {
        // Per column after the tags: its type, and the rows (`Table::row`)
        // whose tables use it.
        let mut columns: Vec<(ColumnType, Vec<u8>)> = Vec::new();
        let mut places: [Vec<usize>; ALL_TABLES.len()] = Default::default();
        for table in ALL_TABLES {
            let row = table.row();
            for wanted in table.column_types() {
                let free = columns
                    .iter()
                    .position(|(held, rows)| *held == wanted && !rows.contains(&row));
                let place = match free {
                    Some(place) => place,
                    None => {
                        columns.push((wanted, Vec::new()));
                        columns.len() - 1
                    }
                };
                if let Some((_, rows)) = columns.get_mut(place) {
                    rows.push(row);
                }
                places[table as usize].push(TAGS + place);
            }
        }
        Self { places }
    }

    /// Where `table`'s columns are, in order.
    fn places(&self, table: Table) -> &[usize] {
        &self.places[table as usize]
    }
}

/// The `wanted` links of commitments `ids` in one statement (see the
/// module's comment). Every id gets an entry.
pub async fn links_of<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    wanted: LinkedLists,
) -> AppResult<HashMap<i64, CommitmentLinks>> {
    let mut found: HashMap<i64, CommitmentLinks> = ids
        .iter()
        .map(|&id| (id, CommitmentLinks::default()))
        .collect();
    if ids.is_empty() || wanted.count() == 0 {
        return Ok(found);
    }
    let statement = built(db.get_database_backend(), ids, wanted);
    let layout = Layout::of(wanted);
    for result in db.query_all_raw(statement).await? {
        let (owner, row) = layout.decode(&result)?;
        let (Some(row), Some(links)) = (row, found.get_mut(&owner)) else {
            continue;
        };
        match row {
            Linked::Area(area) => links.policy_areas.push(area),
            Linked::FocalPoint(focal_point) => links.focal_points.push(focal_point),
            Linked::Related(related) => links.related.push(related),
            Linked::Lead(institution, name) => {
                let lead = links
                    .institutions
                    .lead
                    .get_or_insert_with(|| (institution, Vec::new()));
                lead.1.extend(name);
            }
            Linked::Supporting(institution, name) => {
                add_translated(
                    &mut links.institutions.supporting,
                    institution,
                    name,
                    |row| row.id,
                );
            }
            Linked::Milestone(milestone, text) => {
                add_translated(&mut links.milestones, milestone, text, |row| row.id);
            }
            Linked::Plan(plan, country, title) => {
                let plan = links
                    .action_plan
                    .get_or_insert_with(|| (plan, country, Vec::new()));
                plan.2.extend(title);
            }
            Linked::Tally(kind, comments, awaiting) => links.tally.push((kind, comments, awaiting)),
        }
    }
    for links in found.values_mut() {
        links.policy_areas.sort_by(|a, b| a.name.cmp(&b.name));
        links.focal_points.sort_by_key(|focal_point| focal_point.id);
        links.related.sort_by(|a, b| a.code.cmp(&b.code));
        links.institutions.supporting.sort_by_key(|(row, _)| row.id);
        links
            .milestones
            .sort_by_key(|(row, _)| (row.position, row.id));
    }
    Ok(found)
}

/// Adds `translation` to `row` in `rows`, `row` first when it is not there
/// (a row comes once per translation).
fn add_translated<R, T>(
    rows: &mut Vec<Translated<R, T>>,
    row: R,
    translation: Option<T>,
    id_of: impl Fn(&R) -> i64,
) {
    let id = id_of(&row);
    let position = match rows.iter().position(|(known, _)| id_of(known) == id) {
        Some(position) => position,
        None => {
            rows.push((row, Vec::new()));
            rows.len() - 1
        }
    };
    if let Some(((_, translations), translation)) = rows.get_mut(position).zip(translation) {
        translations.push(translation);
    }
}

/// The texts of [`statement`] by database (PostgreSQL or not), lists
/// wanted and number of ids, each built once: building one, some 500
/// expressions written out, was a twentieth of the server's work for a
/// commitment's page.
static TEXTS: LazyLock<moka::sync::Cache<(bool, LinkedLists, usize), Arc<str>>> =
    LazyLock::new(|| moka::sync::Cache::new(256));

/// [`statement`] for `backend`, its text built once (see [`TEXTS`]).
fn built(backend: DbBackend, ids: &[i64], wanted: LinkedLists) -> Statement {
    let key = (backend == DbBackend::Postgres, wanted, ids.len());
    let sql = TEXTS.get_with(key, || {
        Arc::from(backend.build(&statement(ids, wanted)).sql)
    });
    // The ids are the statement's only values, once per arm of a list
    // wanted, in the arms' order.
    let values = (0..wanted.count())
        .flat_map(|_| ids.iter().map(|&id| Value::from(id)))
        .collect::<Vec<_>>();
    Statement::from_sql_and_values(backend, sql.to_string(), values)
}

/// The statement of [`links_of`]: the typing arm, then one arm per list
/// wanted.
fn statement(ids: &[i64], wanted: LinkedLists) -> SelectStatement {
    let tables = wanted.tables();
    let tables = &tables;
    let mut union = typing_arm(tables);
    let institutions = &[Table::Institution, Table::InstitutionName];
    if wanted.policy_areas {
        union.union(
            UnionType::All,
            pointed_at::<commitment_policy_area::Entity, policy_area::Entity>(
                AREA,
                (
                    commitment_policy_area::Column::CommitmentId,
                    commitment_policy_area::Column::PolicyAreaId,
                ),
                policy_area::Column::Id,
                ids,
                (&[Table::PolicyArea], tables),
            ),
        );
    }
    if wanted.focal_points {
        union.union(
            UnionType::All,
            pointed_at::<commitment_focal_point::Entity, focal_point::Entity>(
                FOCAL_POINT,
                (
                    commitment_focal_point::Column::CommitmentId,
                    commitment_focal_point::Column::FocalPointId,
                ),
                focal_point::Column::Id,
                ids,
                (&[Table::FocalPoint], tables),
            ),
        );
    }
    if wanted.related {
        union.union(
            UnionType::All,
            pointed_at::<commitment_relation::Entity, commitment::Entity>(
                RELATED,
                (
                    commitment_relation::Column::CommitmentId,
                    commitment_relation::Column::RelatedCommitmentId,
                ),
                commitment::Column::Id,
                ids,
                (&[Table::Commitment], tables),
            ),
        );
    }
    if wanted.lead_institution {
        let arm = pointed_at::<commitment::Entity, institution::Entity>(
            LEAD,
            (
                commitment::Column::Id,
                commitment::Column::LeadInstitutionId,
            ),
            institution::Column::Id,
            ids,
            (institutions, tables),
        );
        union.union(UnionType::All, with_names(arm));
    }
    if wanted.support_institutions {
        let arm = pointed_at::<commitment_support_institution::Entity, institution::Entity>(
            SUPPORTING,
            (
                commitment_support_institution::Column::CommitmentId,
                commitment_support_institution::Column::InstitutionId,
            ),
            institution::Column::Id,
            ids,
            (institutions, tables),
        );
        union.union(UnionType::All, with_names(arm));
    }
    if wanted.milestones {
        let mut arm = arm(
            MILESTONE,
            milestone::Column::CommitmentId,
            &[Table::Milestone, Table::MilestoneText],
            tables,
        );
        arm.from(milestone::Entity)
            .left_join(
                milestone_translation::Entity,
                Expr::col((
                    milestone_translation::Entity,
                    milestone_translation::Column::MilestoneId,
                ))
                .equals((milestone::Entity, milestone::Column::Id)),
            )
            .and_where(milestone::Column::CommitmentId.is_in(ids.iter().copied()));
        union.union(UnionType::All, arm);
    }
    if wanted.action_plan {
        let mut arm = arm(
            PLAN,
            commitment::Column::Id,
            &[Table::ActionPlan, Table::Country, Table::ActionPlanTitle],
            tables,
        );
        arm.from(commitment::Entity)
            .inner_join(
                action_plan::Entity,
                Expr::col((action_plan::Entity, action_plan::Column::Id))
                    .equals((commitment::Entity, commitment::Column::ActionPlanId)),
            )
            .inner_join(
                country::Entity,
                Expr::col((country::Entity, country::Column::Id))
                    .equals((action_plan::Entity, action_plan::Column::CountryId)),
            )
            .left_join(
                action_plan_translation::Entity,
                Expr::col((
                    action_plan_translation::Entity,
                    action_plan_translation::Column::ActionPlanId,
                ))
                .equals((action_plan::Entity, action_plan::Column::Id)),
            )
            .and_where(commitment::Column::Id.is_in(ids.iter().copied()));
        union.union(UnionType::All, arm);
    }
    if wanted.comment_counts {
        let mut arm = arm(
            TALLY,
            feedback_tally::Column::CommitmentId,
            &[Table::Tally],
            tables,
        );
        arm.from_subquery(tallied(ids), Table::Tally.name());
        union.union(UnionType::All, arm);
    }
    union
}

/// The first arm: in each column, a real column of one of the `tables`
/// read that uses it (see [`Packing`]), which gives the union's column its
/// type; and no row.
fn typing_arm(tables: &[Table]) -> SelectStatement {
    let never = || Expr::cust("1 = 0");
    let mut arm = Query::select();
    arm.expr_as(bigint(-1), Alias::new(KIND))
        .expr_as(bigint(0), Alias::new(OWNER));
    select_columns(&mut arm, tables, tables);
    for (place, &table) in tables.iter().enumerate() {
        let name = table.name();
        if place == 0 {
            arm.from(name);
        } else {
            arm.left_join(name, never());
        }
    }
    arm.and_where(never());
    arm
}

const ALL_TABLES: [Table; 11] = [
    Table::PolicyArea,
    Table::FocalPoint,
    Table::Commitment,
    Table::Institution,
    Table::InstitutionName,
    Table::Milestone,
    Table::MilestoneText,
    Table::ActionPlan,
    Table::Country,
    Table::ActionPlanTitle,
    Table::Tally,
];

/// An arm of rows of `kind`, read for the commitment in `owner`, holding the
/// columns of its `own` tables among the `tables` read (its `FROM` and
/// joins are the caller's).
fn arm(kind: i64, owner: impl ColumnTrait, own: &[Table], tables: &[Table]) -> SelectStatement {
    let mut arm = Query::select();
    arm.expr(bigint(kind))
        .expr(Expr::col(owner.as_column_ref()));
    select_columns(&mut arm, own, tables);
    arm
}

/// An arm of rows of `kind`: the rows of `T` (by their `id`) that the rows
/// of `F` whose `owner` is one of `ids` point at by `pointing` (a link
/// table's column, or a commitment's own), each read for its owner, holding
/// the columns of its `own` tables among the `tables` read.
fn pointed_at<F: EntityTrait, T: EntityTrait>(
    kind: i64,
    (owner, pointing): (F::Column, F::Column),
    id: T::Column,
    ids: &[i64],
    (own, tables): (&[Table], &[Table]),
) -> SelectStatement {
    let mut arm = arm(kind, owner, own, tables);
    arm.from(F::default())
        .inner_join(
            T::default(),
            Expr::col((T::default(), id)).equals((F::default(), pointing)),
        )
        .and_where(owner.is_in(ids.iter().copied()));
    arm
}

/// Joins (left) the names of the arm's institutions.
fn with_names(mut arm: SelectStatement) -> SelectStatement {
    arm.left_join(
        institution_translation::Entity,
        Expr::col((
            institution_translation::Entity,
            institution_translation::Column::InstitutionId,
        ))
        .equals((institution::Entity, institution::Column::Id)),
    );
    arm
}

/// Selects the columns `tables` share (see [`Packing`]): in each, the
/// column of the first of `own` that uses it, or NULL.
fn select_columns(arm: &mut SelectStatement, own: &[Table], tables: &[Table]) {
    for slot in 0..shared_width(tables) {
        let column = Layout::own_column(slot, own).and_then(|(table, place)| table.column(place));
        arm.expr(column.unwrap_or_else(|| Expr::cust("NULL")));
    }
}

/// `value` as a 64-bit integer on both databases (a bare literal is a 32-bit
/// integer to PostgreSQL, which the tags' decoding would misread).
fn bigint(value: i64) -> Expr {
    Expr::cust(format!("CAST({value} AS BIGINT)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every list and pair of lists, and all of them.
    fn some_wanted() -> Vec<LinkedLists> {
        let one = |index: usize| {
            let mut flags = [false; 8];
            flags[index] = true;
            flags
        };
        let mut all = Vec::new();
        for first in 0..8 {
            all.push(one(first));
            for second in first + 1..8 {
                let mut flags = one(first);
                flags[second] = true;
                all.push(flags);
            }
        }
        all.push([true; 8]);
        all.into_iter()
            .map(|flags| LinkedLists {
                policy_areas: flags[0],
                focal_points: flags[1],
                related: flags[2],
                lead_institution: flags[3],
                support_institutions: flags[4],
                milestones: flags[5],
                action_plan: flags[6],
                comment_counts: flags[7],
            })
            .collect()
    }

    #[test]
    fn tables_are_numbered_in_the_order_of_all_tables() {
        for (place, table) in ALL_TABLES.into_iter().enumerate() {
            assert_eq!(table as usize, place);
        }
    }

    #[test]
    fn tables_share_columns_only_of_their_type_and_never_within_a_row() {
        let mut held: HashMap<usize, Vec<(Table, ColumnType)>> = HashMap::new();
        for table in ALL_TABLES {
            let places = PACKING.places(table);
            let types = table.column_types();
            assert_eq!(places.len(), table.columns().len());
            for (&place, column_type) in places.iter().zip(types) {
                assert!(place >= TAGS, "a table's column where the tags are");
                held.entry(place).or_default().push((table, column_type));
            }
        }
        let mut shared = 0;
        for (place, tables) in &held {
            let (first, first_type) = &tables[0];
            for (table, column_type) in &tables[1..] {
                shared += 1;
                assert_eq!(column_type, first_type, "column {place}");
                assert!(
                    tables
                        .iter()
                        .filter(|(other, _)| other.row() == table.row())
                        .count()
                        == 1,
                    "column {place}: {} and a table of its own rows",
                    table.name()
                );
                assert!(first.row() != table.row(), "column {place}");
            }
        }
        assert!(shared > 0, "no column is shared");
        // Every part asked: as wide as the widest arm's columns of each type.
        let all = Layout::of(some_wanted().pop().unwrap_or_default());
        assert_eq!(all.width, TAGS + 16, "every part asked");
    }

    #[test]
    fn a_kept_text_gets_the_values_a_statement_built_afresh_has() {
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            for wanted in some_wanted() {
                // The text is kept by number of ids: other ids reuse it.
                built(backend, &[7, 8, 9], wanted);
                for ids in [vec![1, 2, 3], vec![4], vec![5, 6]] {
                    let fresh = backend.build(&statement(&ids, wanted));
                    let kept = built(backend, &ids, wanted);
                    assert_eq!(kept.sql, fresh.sql, "{wanted:?}");
                    assert_eq!(kept.values, fresh.values, "{wanted:?} {ids:?}");
                }
            }
        }
    }
}
