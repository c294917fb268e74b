//! Keyset (cursor) pagination over any list ordered by a unique column.
//!
//! Offsets get slower and shift under concurrent writes as a list grows;
//! a keyset page is one indexed range scan, and a cursor stays valid however
//! many rows are inserted before it.

use std::collections::HashMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, IdenStatic,
    Iterable, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
    Statement, Value,
    sea_query::{Alias, Asterisk, Expr, ExprTrait, Query, SelectStatement, UnionType, Values},
};

use entity::by_position::{ByPosition, Positional, WithJoined};
use futures_util::future::BoxFuture;

use super::lookups::{Translated, with_translations};
use crate::error::{AppError, AppResult};

pub const DEFAULT_PAGE_SIZE: u64 = 25;
pub const MAX_PAGE_SIZE: u64 = 100;

/// The Relay arguments of a connection field, as the client sent them.
#[derive(Clone, Debug, Default)]
pub struct PageRequest {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// The page-info flags a client asked for. The flag of the side a page
/// walks away from (`hasPreviousPage` after a cursor, `hasNextPage` before
/// one) takes a statement of its own, which a client that does not look at
/// it should not pay for: a flag not asked for is not read, and is false
/// (as Relay allows a server to answer when finding out is costly).
#[derive(Clone, Copy, Debug)]
pub struct FlagsAsked {
    pub has_previous_page: bool,
    pub has_next_page: bool,
}

impl FlagsAsked {
    /// Both flags, read whatever they cost.
    pub const ALL: Self = Self {
        has_previous_page: true,
        has_next_page: true,
    };
}

/// Sort direction of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Ascending,
    Descending,
}

/// How a list is ordered: a name that makes cursors of one ordering unusable
/// with another, and the direction.
#[derive(Clone, Copy, Debug)]
pub struct Ordering {
    pub name: &'static str,
    pub direction: Direction,
}

impl Ordering {
    pub const fn ascending(name: &'static str) -> Self {
        Self {
            name,
            direction: Direction::Ascending,
        }
    }

    /// The SQL order of the list, and its reverse.
    fn sql_orders(&self) -> (Order, Order) {
        match self.direction {
            Direction::Ascending => (Order::Asc, Order::Desc),
            Direction::Descending => (Order::Desc, Order::Asc),
        }
    }

    fn tag(&self) -> String {
        let direction = match self.direction {
            Direction::Ascending => "asc",
            Direction::Descending => "desc",
        };
        format!("{}.{direction}", self.name)
    }
}

/// One page of a list, each item with its cursor.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<(String, T)>,
    pub has_previous_page: bool,
    pub has_next_page: bool,
}

enum Walk {
    /// `first` items after `after`.
    Forward,
    /// `last` items before `before`.
    Backward,
}

struct ValidPage {
    size: u64,
    walk: Walk,
    after: Option<String>,
    before: Option<String>,
}

fn page_size(field: &str, value: i32) -> AppResult<u64> {
    let size =
        u64::try_from(value).map_err(|_| AppError::bad_input(field, "must not be negative"))?;
    if size > MAX_PAGE_SIZE {
        return Err(AppError::bad_input(
            field,
            format!("at most {MAX_PAGE_SIZE} items can be asked for at once (got {size})"),
        ));
    }
    Ok(size)
}

pub fn encode_cursor(ordering: &Ordering, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1|{}|{key}", ordering.tag()))
}

fn decode_cursor(field: &str, ordering: &Ordering, cursor: &str) -> AppResult<String> {
    let invalid = || {
        AppError::bad_input(
            field,
            "not a cursor of this list (cursors come from pageInfo or edges, and only work with the same orderBy)",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let rest = text.strip_prefix("v1|").ok_or_else(invalid)?;
    let (tag, key) = rest.split_once('|').ok_or_else(invalid)?;
    if tag != ordering.tag() {
        return Err(invalid());
    }
    Ok(key.to_owned())
}

impl PageRequest {
    /// The size of the page when this asks for the first page of a list
    /// (no cursor, forward), the one that can be read for many lists at
    /// once; `None` for any other page.
    pub fn first_page_size(&self) -> AppResult<Option<u64>> {
        if self.after.is_some() || self.before.is_some() || self.last.is_some() {
            return Ok(None);
        }
        match self.first {
            Some(first) => page_size("first", first).map(Some),
            None => Ok(Some(DEFAULT_PAGE_SIZE)),
        }
    }

    fn validate(&self, ordering: &Ordering) -> AppResult<ValidPage> {
        if self.first.is_some() && self.last.is_some() {
            return Err(AppError::bad_input(
                "last",
                "pass either `first` (forward) or `last` (backward), not both",
            ));
        }
        let after = self
            .after
            .as_deref()
            .map(|cursor| decode_cursor("after", ordering, cursor))
            .transpose()?;
        let before = self
            .before
            .as_deref()
            .map(|cursor| decode_cursor("before", ordering, cursor))
            .transpose()?;
        let (walk, size) = match (self.first, self.last) {
            (Some(first), _) => (Walk::Forward, page_size("first", first)?),
            (None, Some(last)) => (Walk::Backward, page_size("last", last)?),
            // `before` alone reads the page just before it, as Relay clients expect.
            (None, None) if before.is_some() && after.is_none() => {
                (Walk::Backward, DEFAULT_PAGE_SIZE)
            }
            (None, None) => (Walk::Forward, DEFAULT_PAGE_SIZE),
        };
        Ok(ValidPage {
            size,
            walk,
            after,
            before,
        })
    }
}

/// A unique id column that orders rows with equal keys, and how to read it.
type Tiebreak<E> = (
    <E as EntityTrait>::Column,
    fn(&<E as EntityTrait>::Model) -> i64,
);

/// A list that can be read page by page: a filtered query ordered by a
/// column whose values are of type `K` (text by default, or a number) —
/// unique by itself, or made unique by a tiebreaking id column.
#[derive(Clone, Debug)]
pub struct Listing<E: EntityTrait, K = String> {
    query: Select<E>,
    key: E::Column,
    key_of: fn(&E::Model) -> K,
    tiebreak: Option<Tiebreak<E>>,
    ordering: Ordering,
}

/// What a list's key can be: written into a cursor as text, read back from
/// one, and bound as a value in SQL.
pub trait CursorKey: Clone + ToString + std::str::FromStr + Into<Value> {}

impl<K: Clone + ToString + std::str::FromStr + Into<Value>> CursorKey for K {}

impl<E, K> Listing<E, K>
where
    E: EntityTrait,
    E::Model: Sync + ByPosition,
    K: CursorKey,
{
    /// `key` must be unique; `key_of` reads its value from a row.
    pub fn new(
        query: Select<E>,
        key: E::Column,
        key_of: fn(&E::Model) -> K,
        ordering: Ordering,
    ) -> Self {
        Self {
            query,
            key,
            key_of,
            tiebreak: None,
            ordering,
        }
    }

    /// Orders rows with equal keys by the unique `column` (read from a row
    /// by `id_of`), in the same direction: for keys that repeat, such as
    /// counts.
    pub fn tiebreak(mut self, column: E::Column, id_of: fn(&E::Model) -> i64) -> Self {
        self.tiebreak = Some((column, id_of));
        self
    }

    /// The cursor of `row`: its key, and its tiebreaking id when there is one.
    fn cursor_key(&self, row: &E::Model) -> String {
        let key = (self.key_of)(row).to_string();
        match self.tiebreak {
            Some((_, id_of)) => format!("{key}~{}", id_of(row)),
            None => key,
        }
    }

    fn parse_cursor_key(&self, field: &str, text: &str) -> AppResult<(K, Option<i64>)> {
        match self.tiebreak {
            Some(_) => {
                let (key, id) = text
                    .rsplit_once('~')
                    .ok_or_else(|| AppError::bad_input(field, "not a cursor of this list"))?;
                Ok((parse_key(field, key)?, Some(parse_key(field, id)?)))
            }
            None => Ok((parse_key(field, text)?, None)),
        }
    }

    /// Rows beyond the position (`key`, `tie`): later in the list's order
    /// when `forward`, earlier otherwise; `inclusive` keeps the position.
    fn beyond(&self, (key, tie): &(K, Option<i64>), forward: bool, inclusive: bool) -> Condition {
        let up = (self.ordering.direction == Direction::Ascending) == forward;
        let compare = |column: E::Column, value: Value, or_equal: bool| match (up, or_equal) {
            (true, false) => column.gt(value),
            (true, true) => column.gte(value),
            (false, false) => column.lt(value),
            (false, true) => column.lte(value),
        };
        match (self.tiebreak, tie) {
            (Some((tie_column, _)), Some(tie)) => Condition::any()
                .add(compare(self.key, key.clone().into(), false))
                .add(Condition::all().add(self.key.eq(key.clone())).add(compare(
                    tie_column,
                    (*tie).into(),
                    inclusive,
                ))),
            _ => Condition::all().add(compare(self.key, key.clone().into(), inclusive)),
        }
    }

    fn ordered(&self, query: Select<E>, order: Order) -> Select<E> {
        let query = query.order_by(self.key, order.clone());
        match self.tiebreak {
            Some((column, _)) => query.order_by(column, order),
            None => query,
        }
    }

    /// Number of rows in the whole list.
    pub async fn count<C: ConnectionTrait>(&self, db: &C) -> AppResult<u64> {
        Ok(self.query.clone().count(db).await?)
    }

    /// The first page of `size` rows of each of several lists at once: the
    /// list's rows split by `partition` (e.g. the commitment of a comment),
    /// in one statement. Each list's page is its own ordered, limited read
    /// (an index walk that stops after `size + 1` rows however long the list
    /// is: a window over every row of every list cost 25 ms for a page of
    /// commitments at the OGP world scale). Every id of `ids` gets a page,
    /// empty when it has no rows.
    pub async fn first_pages<C: ConnectionTrait>(
        &self,
        db: &C,
        partition: E::Column,
        partition_of: fn(&E::Model) -> i64,
        ids: &[i64],
        size: u64,
    ) -> AppResult<HashMap<i64, Page<E::Model>>>
    where
        E::Model: FromQueryResult,
    {
        let rows = match self.first_pages_statement(db.get_database_backend(), partition, ids, size)
        {
            None => Vec::new(),
            Some(statement) => {
                E::find()
                    .from_raw_sql(statement)
                    .into_model::<Positional<E::Model>>()
                    .all(db)
                    .await?
            }
        };
        let mut pages: HashMap<i64, Page<E::Model>> = ids
            .iter()
            .map(|&id| {
                let empty = Page {
                    items: Vec::new(),
                    has_previous_page: false,
                    has_next_page: false,
                };
                (id, empty)
            })
            .collect();
        for Positional(row) in rows {
            let Some(page) = pages.get_mut(&partition_of(&row)) else {
                continue;
            };
            if page.items.len() as u64 == size {
                page.has_next_page = true;
            } else {
                let cursor = encode_cursor(&self.ordering, &self.cursor_key(&row));
                page.items.push((cursor, row));
            }
        }
        Ok(pages)
    }

    /// The statement of [`Listing::first_pages`]; none without ids. Rows
    /// come ordered by list, then as each list is ordered.
    ///
    /// On PostgreSQL one page's read is walked once per id of an array
    /// parameter (`CROSS JOIN LATERAL`): the statement's text is the same
    /// for any number of lists, so each connection prepares it once, and
    /// the server builds one page's read instead of one per list (building
    /// the pages of 25 commitments as a `UNION ALL` of 25 reads with three
    /// parameters each was a tenth of a page of commitments with their
    /// comments' instructions, bench/README). SQLite has no lateral join:
    /// there the pages travel together as one `UNION ALL`.
    fn first_pages_statement(
        &self,
        backend: DbBackend,
        partition: E::Column,
        ids: &[i64],
        size: u64,
    ) -> Option<Statement> {
        if ids.is_empty() {
            return None;
        }
        let (order, _) = self.ordering.sql_orders();
        // One row more than the page tells whether another page follows.
        let own_page = |list: Expr| {
            self.ordered(
                self.query.clone().filter(partition.into_expr().eq(list)),
                order.clone(),
            )
            .limit(size + 1)
            .into_query()
        };
        if backend == DbBackend::Postgres {
            let page = backend.build(&own_page(Expr::col((
                Alias::new("wanted"),
                Alias::new("id"),
            ))));
            let mut values = page.values.map(|Values(values)| values).unwrap_or_default();
            let listed: Vec<String> = ids.iter().map(i64::to_string).collect();
            values.push(Value::from(format!("{{{}}}", listed.join(","))));
            let direction = match order {
                Order::Asc => "ASC",
                _ => "DESC",
            };
            let mut sorted = format!(
                r#""page"."{}" ASC, "page"."{}" {direction}"#,
                partition.as_str(),
                self.key.as_str()
            );
            if let Some((tiebreak, _)) = self.tiebreak {
                sorted.push_str(&format!(r#", "page"."{}" {direction}"#, tiebreak.as_str()));
            }
            let sql = format!(
                r#"SELECT "page".* FROM unnest(CAST(${} AS int8[])) AS "wanted"("id") CROSS JOIN LATERAL ({}) AS "page" ORDER BY {sorted}"#,
                values.len(),
                page.sql,
            );
            return Some(Statement::from_sql_and_values(backend, sql, values));
        }
        let mut union: Option<SelectStatement> = None;
        for (index, &id) in ids.iter().enumerate() {
            let part = Query::select()
                .column(Asterisk)
                .from_subquery(own_page(Expr::val(id)), Alias::new(format!("page_{index}")))
                .to_owned();
            match &mut union {
                None => union = Some(part),
                Some(union) => {
                    union.union(UnionType::All, part);
                }
            }
        }
        // The pages in the list's order, whatever order they arrive in.
        let mut all = Query::select()
            .column(Asterisk)
            .from_subquery(union?, Alias::new("pages"))
            .order_by(Alias::new(partition.as_str()), Order::Asc)
            .order_by(Alias::new(self.key.as_str()), order.clone())
            .to_owned();
        if let Some((tiebreak, _)) = self.tiebreak {
            all.order_by(Alias::new(tiebreak.as_str()), order);
        }
        Some(backend.build(&all))
    }

    /// Reads the page `request` asks for, with the flags `asked`.
    pub async fn page<C: ConnectionTrait>(
        &self,
        db: &C,
        (request, asked): (&PageRequest, FlagsAsked),
    ) -> AppResult<Page<E::Model>> {
        let read = |rows: Select<E>, _| -> BoxFuture<'_, AppResult<Vec<E::Model>>> {
            Box::pin(async move {
                let rows = rows.into_model::<Positional<E::Model>>().all(db).await?;
                Ok(rows.into_iter().map(|Positional(row)| row).collect())
            })
        };
        self.page_read_by(db, (request, asked), read, |row| row)
            .await
    }

    /// Reads the page `request` asks for, each row with its rows of the
    /// translation table `T` (whose `owner` column holds the row's `id`), in
    /// one statement where the page, then its translations, took two. The
    /// page is read as [`Listing::page`] reads it, then joined to the
    /// translations (joined inside, the page's limit would count
    /// translations, not rows).
    pub async fn translated_page<T, C>(
        &self,
        db: &C,
        (request, asked): (&PageRequest, FlagsAsked),
        (id, owner): (E::Column, T::Column),
        id_of: fn(&E::Model) -> i64,
    ) -> AppResult<Page<Translated<E::Model, T::Model>>>
    where
        T: EntityTrait,
        T::Model: ByPosition,
        C: ConnectionTrait,
    {
        let read = |rows: Select<E>, order: Order| -> BoxFuture<'_, AppResult<Vec<_>>> {
            Box::pin(async move {
                // The page keeps the table's name, so the columns of the
                // list's order name it as they do in the page's own query.
                let mut joined = Query::select()
                    .columns(E::Column::iter().map(|column| (E::default(), column)))
                    .columns(T::Column::iter().map(|column| (T::default(), column)))
                    .from_subquery(rows.into_query(), E::default())
                    .left_join(
                        T::default(),
                        Expr::col((E::default(), id)).equals((T::default(), owner)),
                    )
                    .order_by((E::default(), self.key), order.clone())
                    .to_owned();
                if let Some((tiebreak, _)) = self.tiebreak {
                    joined.order_by((E::default(), tiebreak), order);
                }
                let backend = db.get_database_backend();
                let joined = E::find()
                    .from_raw_sql(backend.build(&joined))
                    .into_model::<WithJoined<E::Model, T::Model>>()
                    .all(db)
                    .await?;
                Ok(with_translations(joined, id_of))
            })
        };
        self.page_read_by(db, (request, asked), read, |(row, _)| row)
            .await
    }

    /// Reads the page `request` asks for, with the flags `asked`, its rows
    /// read by `read` from the list's query, ordered and limited, and the
    /// order it is read in (reversed when walking backwards); `row_of` finds
    /// a row in what was read.
    async fn page_read_by<'a, C, R>(
        &self,
        db: &'a C,
        (request, asked): (&PageRequest, FlagsAsked),
        read: impl FnOnce(Select<E>, Order) -> BoxFuture<'a, AppResult<Vec<R>>>,
        row_of: fn(&R) -> &E::Model,
    ) -> AppResult<Page<R>>
    where
        C: ConnectionTrait,
    {
        let (query, ordering) = (&self.query, self.ordering);
        let page = request.validate(&ordering)?;
        let after = page
            .after
            .as_deref()
            .map(|key| self.parse_cursor_key("after", key))
            .transpose()?;
        let before = page
            .before
            .as_deref()
            .map(|key| self.parse_cursor_key("before", key))
            .transpose()?;
        let (list_order, reverse_order) = ordering.sql_orders();

        let mut window = query.clone();
        if let Some(after) = &after {
            window = window.filter(self.beyond(after, true, false));
        }
        if let Some(before) = &before {
            window = window.filter(self.beyond(before, false, false));
        }
        // One row more than the page tells whether another page follows.
        let fetch = page.size + 1;
        let (mut rows, has_previous_page, has_next_page) = match page.walk {
            Walk::Forward => {
                let limited = self.ordered(window, list_order.clone()).limit(fetch);
                let mut rows = read(limited, list_order).await?;
                let has_next = rows.len() as u64 > page.size;
                rows.truncate(page.size as usize);
                let has_previous = match &after {
                    Some(after) if asked.has_previous_page => {
                        exists(db, query.clone().filter(self.beyond(after, false, true))).await?
                    }
                    _ => false,
                };
                (rows, has_previous, has_next)
            }
            Walk::Backward => {
                let limited = self.ordered(window, reverse_order.clone()).limit(fetch);
                let mut rows = read(limited, reverse_order).await?;
                let has_previous = rows.len() as u64 > page.size;
                rows.truncate(page.size as usize);
                rows.reverse();
                let has_next = match &before {
                    Some(before) if asked.has_next_page => {
                        exists(db, query.clone().filter(self.beyond(before, true, true))).await?
                    }
                    _ => false,
                };
                (rows, has_previous, has_next)
            }
        };
        let items = rows
            .drain(..)
            .map(|row| {
                let cursor = encode_cursor(&ordering, &self.cursor_key(row_of(&row)));
                (cursor, row)
            })
            .collect();
        Ok(Page {
            items,
            has_previous_page,
            has_next_page,
        })
    }
}

fn parse_key<K: std::str::FromStr>(field: &str, key: &str) -> AppResult<K> {
    key.parse()
        .map_err(|_| AppError::bad_input(field, "not a cursor of this list"))
}

async fn exists<E: EntityTrait, C: ConnectionTrait>(db: &C, query: Select<E>) -> AppResult<bool> {
    Ok(query.limit(1).one(db).await?.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_is_tied_to_its_ordering() {
        let by_code = Ordering::ascending("code");
        let cursor = encode_cursor(&by_code, "MO0018");
        assert_eq!(
            decode_cursor("after", &by_code, &cursor).ok(),
            Some("MO0018".to_owned())
        );
        let descending = Ordering {
            name: "code",
            direction: Direction::Descending,
        };
        assert!(decode_cursor("after", &descending, &cursor).is_err());
        assert!(decode_cursor("after", &by_code, "garbage!").is_err());
    }

    #[test]
    fn first_pages_on_postgres_are_one_statement_for_any_number_of_lists() {
        use entity::feedback;
        let newest = Listing::new(
            feedback::Entity::find(),
            feedback::Column::Id,
            |row: &feedback::Model| row.id,
            Ordering {
                name: "newest",
                direction: Direction::Descending,
            },
        );
        let pages = |backend, ids: &[i64]| {
            newest.first_pages_statement(backend, feedback::Column::CommitmentId, ids, 10)
        };
        let many: Vec<i64> = (1..=25).collect();
        let (Some(two), Some(all)) = (
            pages(DbBackend::Postgres, &[1, 2]),
            pages(DbBackend::Postgres, &many),
        ) else {
            panic!("no statement for lists to read");
        };
        // One text (one prepared statement), the lists an array of ids.
        assert_eq!(two.sql, all.sql);
        assert!(all.sql.contains("CROSS JOIN LATERAL"), "{}", all.sql);
        let last = all.values.and_then(|Values(values)| values.last().cloned());
        let listed: Vec<String> = many.iter().map(i64::to_string).collect();
        assert_eq!(last, Some(Value::from(format!("{{{}}}", listed.join(",")))));
        // SQLite has no lateral join: one read per list, together.
        let Some(sqlite) = pages(DbBackend::Sqlite, &[1, 2, 3]) else {
            panic!("no statement for SQLite");
        };
        assert_eq!(sqlite.sql.matches("UNION ALL").count(), 2, "{}", sqlite.sql);
        assert!(pages(DbBackend::Postgres, &[]).is_none());
    }

    #[test]
    fn page_sizes_are_bounded() {
        let ordering = Ordering::ascending("code");
        let too_many = PageRequest {
            first: Some(101),
            ..PageRequest::default()
        };
        assert!(too_many.validate(&ordering).is_err());
        let negative = PageRequest {
            last: Some(-1),
            ..PageRequest::default()
        };
        assert!(negative.validate(&ordering).is_err());
        let both = PageRequest {
            first: Some(1),
            last: Some(1),
            ..PageRequest::default()
        };
        assert!(both.validate(&ordering).is_err());
    }
}
