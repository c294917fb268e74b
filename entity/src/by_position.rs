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
        let row = Row::of(result, M::COLUMNS)?;
        M::decode(&row).map(Positional)
    }
}

enum Backend<'a> {
    Postgres(&'a PgRow),
    Sqlite(&'a SqliteRow),
}

/// One row, read column after column.
pub struct Row<'a> {
    row: Backend<'a>,
    columns: &'static [&'static str],
    next: Cell<usize>,
}

impl<'a> Row<'a> {
    fn of(result: &'a QueryResult, columns: &'static [&'static str]) -> Result<Self, DbErr> {
        let (row, width) = if let Some(row) = result.try_as_pg_row() {
            (Backend::Postgres(row), row.len())
        } else if let Some(row) = result.try_as_sqlite_row() {
            (Backend::Sqlite(row), row.len())
        } else {
            return Err(DbErr::Custom(
                "rows by position: not an sqlx row".to_owned(),
            ));
        };
        if width != columns.len() {
            return Err(DbErr::Type(format!(
                "rows by position: {width} columns selected, {} expected ({})",
                columns.len(),
                columns.join(", ")
            )));
        }
        Ok(Self {
            row,
            columns,
            next: Cell::new(0),
        })
    }

    /// The value of the next column.
    pub fn next<T>(&self) -> Result<T, DbErr>
    where
        T: for<'r> sqlx::Decode<'r, Postgres>
            + sqlx::Type<Postgres>
            + for<'r> sqlx::Decode<'r, Sqlite>
            + sqlx::Type<Sqlite>,
    {
        let index = self.next.get();
        self.next.set(index + 1);
        if cfg!(debug_assertions) {
            let selected = match self.row {
                Backend::Postgres(row) => row.columns().get(index).map(|c| c.name()),
                Backend::Sqlite(row) => row.columns().get(index).map(|c| c.name()),
            };
            let expected = self.columns.get(index).copied();
            if selected != expected {
                return Err(DbErr::Type(format!(
                    "rows by position: column {index} is {selected:?}, expected {expected:?}"
                )));
            }
        }
        let decoded = match self.row {
            Backend::Postgres(row) => row.try_get::<T, _>(index),
            Backend::Sqlite(row) => row.try_get::<T, _>(index),
        };
        decoded.map_err(|err| {
            let column = self.columns.get(index).copied().unwrap_or("?");
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
