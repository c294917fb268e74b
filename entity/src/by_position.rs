//! Rows decoded by column position.
//!
//! sea-orm's derived decoding looks each column up by name, and for every
//! NULL it formats the column's name into an error that it then discards.
//! Translations and comments are mostly optional texts, so reading a list
//! spent a tenth of its CPU there. The models that lists read declare their
//! columns with [`decode_by_position!`] instead. The order is the one
//! `Entity::find()` selects, which is the field order. A test beside each
//! model checks the order against the entity, and debug builds also check
//! every row's column names.

use std::cell::Cell;

use sea_orm::{
    DbErr, FromQueryResult, QueryResult,
    sqlx::{self, Column as _, Postgres, Row as _, Sqlite, postgres::PgRow, sqlite::SqliteRow},
};

/// A model that decodes its rows by column position.
pub trait ByPosition: Sized {
    /// Column names in the order they are selected.
    const COLUMNS: &'static [&'static str];

    fn decode(row: &Row<'_>) -> Result<Self, DbErr>;
}

/// Reads `M` by position: `select.into_model::<Positional<M>>()`.
pub struct Positional<M>(pub M);

impl<M: ByPosition> FromQueryResult for Positional<M> {
    fn from_query_result(result: &QueryResult, _prefix: &str) -> Result<Self, DbErr> {
        let parts = [M::COLUMNS];
        let row = Row::of(result, &parts)?;
        M::decode(&row).map(Positional)
    }
}

/// A row of `M` followed by the id of the row it was reached from through a
/// link table, selected as [`LinkedFrom::COLUMN`]: one statement follows a
/// link table where reading the links, then their targets, took two.
pub struct LinkedFrom<M> {
    pub from: i64,
    pub row: M,
}

impl<M> LinkedFrom<M> {
    /// The name the linking id is selected as, after `M`'s columns.
    pub const COLUMN: &'static str = "linked_from";
}

impl<M: ByPosition> FromQueryResult for LinkedFrom<M> {
    fn from_query_result(result: &QueryResult, _prefix: &str) -> Result<Self, DbErr> {
        let parts = [M::COLUMNS, &[Self::COLUMN]];
        let row = Row::of(result, &parts)?;
        let model = M::decode(&row)?;
        let from = row.next()?;
        Ok(Self { from, row: model })
    }
}

/// A row of `M` joined (left) with one row of `J`, `J`'s columns selected
/// after `M`'s: a row and its translations in one statement, where reading
/// the rows, then their translations, took two. `joined` is `None` when
/// nothing matched the join (its first column is then NULL; the joined
/// tables' first columns are never NULL in a row of their own).
pub struct WithJoined<M, J> {
    pub row: M,
    pub joined: Option<J>,
}

impl<M: ByPosition, J: ByPosition> FromQueryResult for WithJoined<M, J> {
    fn from_query_result(result: &QueryResult, _prefix: &str) -> Result<Self, DbErr> {
        let parts = [M::COLUMNS, J::COLUMNS];
        let row = Row::of(result, &parts)?;
        let model = M::decode(&row)?;
        let joined = row.optional::<J>()?;
        Ok(Self { row: model, joined })
    }
}

/// A row of `M` with the row of `P` it belongs to (an inner join: a parent,
/// always there), then joined (left) with one row of `J`, the columns
/// selected in that order: an action plan with its country and its titles
/// in one statement, where that took three, or two one after the other.
pub struct WithParentJoined<M, P, J> {
    pub row: M,
    pub parent: P,
    pub joined: Option<J>,
}

impl<M: ByPosition, P: ByPosition, J: ByPosition> FromQueryResult for WithParentJoined<M, P, J> {
    fn from_query_result(result: &QueryResult, _prefix: &str) -> Result<Self, DbErr> {
        let parts = [M::COLUMNS, P::COLUMNS, J::COLUMNS];
        let row = Row::of(result, &parts)?;
        let model = M::decode(&row)?;
        let parent = P::decode(&row)?;
        let joined = row.optional::<J>()?;
        Ok(Self {
            row: model,
            parent,
            joined,
        })
    }
}

enum Backend<'a> {
    Postgres(&'a PgRow),
    Sqlite(&'a SqliteRow),
}

/// One row, read column after column.
pub struct Row<'a> {
    row: Backend<'a>,
    /// The columns selected, in order: a table's, then a joined table's, or
    /// an id (see [`WithJoined`], [`LinkedFrom`]); none for an unnamed row
    /// (see [`Row::unnamed`]).
    parts: &'a [&'static [&'static str]],
    next: Cell<usize>,
    /// Where the columns read next are, when they are not side by side
    /// (see [`Row::follow`]).
    places: Cell<Option<&'a [usize]>>,
}

impl<'a> Row<'a> {
    /// `result`, holding the columns of `parts` in order.
    pub fn of(
        result: &'a QueryResult,
        parts: &'a [&'static [&'static str]],
    ) -> Result<Self, DbErr> {
        let row = Self {
            row: Self::read(result)?,
            parts,
            next: Cell::new(0),
            places: Cell::new(None),
        };
        row.check_width()?;
        Ok(row)
    }

    fn read(result: &'a QueryResult) -> Result<Backend<'a>, DbErr> {
        if let Some(row) = result.try_as_pg_row() {
            Ok(Backend::Postgres(row))
        } else if let Some(row) = result.try_as_sqlite_row() {
            Ok(Backend::Sqlite(row))
        } else {
            Err(DbErr::Custom(
                "rows by position: not an sqlx row".to_owned(),
            ))
        }
    }

    /// `result`, holding `width` columns whose names say nothing of what
    /// they hold: a union's columns, each holding one table's column in
    /// some rows and another's in others (its caller decodes it with
    /// [`Row::follow`] and [`Row::optional`]). Debug builds still check
    /// each column's type.
    pub fn unnamed(result: &'a QueryResult, width: usize) -> Result<Self, DbErr> {
        let row = Self {
            row: Self::read(result)?,
            parts: &[],
            next: Cell::new(0),
            places: Cell::new(None),
        };
        row.check_width_is(width)?;
        Ok(row)
    }

    fn check_width(&self) -> Result<(), DbErr> {
        let expected: usize = self.parts.iter().map(|columns| columns.len()).sum();
        self.check_width_is(expected)
    }

    fn check_width_is(&self, expected: usize) -> Result<(), DbErr> {
        let width = match self.row {
            Backend::Postgres(row) => row.len(),
            Backend::Sqlite(row) => row.len(),
        };
        if width != expected {
            let names: Vec<&str> = self.names().collect();
            return Err(DbErr::Type(format!(
                "rows by position: {width} columns selected, {expected} expected ({})",
                names.join(", ")
            )));
        }
        Ok(())
    }

    /// The names of the columns expected, in order.
    fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.parts.iter().copied().flatten().copied()
    }

    /// The name column `index` is expected to have.
    fn name_at(&self, index: usize) -> Option<&'static str> {
        self.names().nth(index)
    }

    /// Reads the next columns from `places` (column indexes, counted from
    /// 0), in order: a table whose columns are spread over the row.
    pub fn follow(&self, places: &'a [usize]) {
        self.places.set(Some(places));
        self.next.set(0);
    }

    /// Where the next column is, and moves past it when `consume`.
    fn take_index(&self, consume: bool) -> Result<usize, DbErr> {
        let next = self.next.get();
        if consume {
            self.next.set(next + 1);
        }
        match self.places.get() {
            None => Ok(next),
            Some(places) => places.get(next).copied().ok_or_else(|| {
                DbErr::Type(format!(
                    "rows by position: column {next} read of {} followed",
                    places.len()
                ))
            }),
        }
    }

    /// The next columns as a row of a left-joined `J`, `None` when the join
    /// found none (its first column is then NULL; a table's first column is
    /// never NULL in a row of its own).
    pub fn optional<J: ByPosition>(&self) -> Result<Option<J>, DbErr> {
        if self.next_is_null()? {
            Ok(None)
        } else {
            J::decode(self).map(Some)
        }
    }

    /// Whether the next column holds NULL (it is not consumed).
    fn next_is_null(&self) -> Result<bool, DbErr> {
        use sqlx::ValueRef as _;
        let index = self.take_index(false)?;
        let raw_is_null = match self.row {
            Backend::Postgres(row) => row.try_get_raw(index).map(|value| value.is_null()),
            Backend::Sqlite(row) => row.try_get_raw(index).map(|value| value.is_null()),
        };
        raw_is_null.map_err(|err| DbErr::Type(format!("column {index}: {err}")))
    }

    /// The value of the next column.
    pub fn next<T>(&self) -> Result<T, DbErr>
    where
        T: for<'r> sqlx::Decode<'r, Postgres>
            + sqlx::Type<Postgres>
            + for<'r> sqlx::Decode<'r, Sqlite>
            + sqlx::Type<Sqlite>,
    {
        let index = self.take_index(true)?;
        // An unnamed row's columns have no names to check (see `unnamed`).
        if cfg!(debug_assertions) && !self.parts.is_empty() {
            let selected = match self.row {
                Backend::Postgres(row) => row.columns().get(index).map(|c| c.name()),
                Backend::Sqlite(row) => row.columns().get(index).map(|c| c.name()),
            };
            let expected = self.name_at(index);
            if selected != expected {
                return Err(DbErr::Type(format!(
                    "rows by position: column {index} is {selected:?}, expected {expected:?}"
                )));
            }
        }
        // Debug builds (every test) also check that the column's SQL type
        // suits `T`. Release builds skip that check: sqlx compares the
        // column's type with each type `T` accepts, for every value, about a
        // tenth of the server's work on a page of commitments with their
        // milestones and comments. The columns and their types come from the
        // migrations, the same in both builds.
        let decoded = match self.row {
            Backend::Postgres(row) if cfg!(debug_assertions) => row.try_get::<T, _>(index),
            Backend::Sqlite(row) if cfg!(debug_assertions) => row.try_get::<T, _>(index),
            Backend::Postgres(row) => row.try_get_unchecked::<T, _>(index),
            Backend::Sqlite(row) => row.try_get_unchecked::<T, _>(index),
        };
        decoded.map_err(|err| {
            let column = self.name_at(index).unwrap_or("?");
            DbErr::Type(format!("{column}: {err}"))
        })
    }
}

/// Panics unless `columns` are `E`'s columns in the order it selects them
/// (for the test each [`decode_by_position!`] adds).
#[cfg(test)]
pub fn assert_selected_in_order<E: sea_orm::EntityTrait>(columns: &[&str]) {
    use sea_orm::{IdenStatic, Iterable};
    let selected: Vec<&str> = E::Column::iter().map(|column| column.as_str()).collect();
    assert_eq!(
        selected, columns,
        "decode_by_position! lists the columns out of order"
    );
}

/// Declares that the module's `Model` decodes by position, listing its
/// fields in order (they are its column names).
#[macro_export]
macro_rules! decode_by_position {
    ($($field:ident),+ $(,)?) => {
        impl $crate::by_position::ByPosition for Model {
            const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),+];

            fn decode(row: &$crate::by_position::Row<'_>) -> Result<Self, sea_orm::DbErr> {
                // Struct fields are evaluated in the order written.
                Ok(Self { $($field: row.next()?),+ })
            }
        }

        #[cfg(test)]
        #[test]
        fn columns_are_decoded_in_the_order_they_are_selected() {
            $crate::by_position::assert_selected_in_order::<Entity>(
                <Model as $crate::by_position::ByPosition>::COLUMNS,
            );
        }
    };
}
