//! Each commitment's searchable text in one lower-cased column,
//! `commitment.search_text`: its code and every text of every language,
//! kept by the database itself.
//!
//! The commitments filter's `search` looked, for each commitment the page
//! walked past, into its translations, lower-casing seven columns of each:
//! a deep page of a common word ("data" on the benchmark's world data)
//! checks 165 commitments to find 26, and the look-ups were two thirds of
//! the database's time for that page (bench/README, fourteenth round). One
//! column of the commitment's own row is one comparison.
//!
//! The fields are joined with the unit separator (U+001F), which the service
//! removes from search text, so that no match runs from one field into the
//! next. Lower-casing is the database's, as it was when the search
//! lower-cased the columns as it read them.
//!
//! Triggers keep the column, so that no write path can forget it: the
//! catalogue import, editing, and hand-made repairs. The service never writes
//! it, and the commitment entity does not list it.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Commitment {
    Table,
    SearchText,
}

/// What the two databases call the same things.
struct Dialect {
    /// The separator between fields, as an SQL expression.
    separator: &'static str,
    /// The aggregate joining texts with a separator.
    join_texts: &'static str,
}

const POSTGRES: Dialect = Dialect {
    separator: "chr(31)",
    join_texts: "string_agg",
};

const SQLITE: Dialect = Dialect {
    separator: "char(31)",
    join_texts: "group_concat",
};

/// The search text of the commitment whose id and code are `id` and `code`
/// (SQL expressions): the same text on both databases.
fn search_text(dialect: &Dialect, id: &str, code: &str) -> String {
    let Dialect {
        separator,
        join_texts,
    } = dialect;
    let fields = [
        "title",
        "full_title",
        "public_problem",
        "description",
        "how_it_contributes",
        "ogp_relevance",
        "additional_information",
    ]
    .map(|column| format!("coalesce(texts.{column}, '')"))
    .join(&format!(" || {separator} || "));
    format!(
        "lower({code} || {separator} || coalesce((SELECT {join_texts}({fields}, {separator}) \
         FROM commitment_translation AS texts WHERE texts.commitment_id = {id}), ''))"
    )
}

/// Sets the search text of the commitment whose id is `id`, from its row
/// (an `UPDATE commitment` takes no alias on SQLite).
fn refresh(dialect: &Dialect, id: &str) -> String {
    let text = search_text(dialect, "commitment.id", "commitment.code");
    format!("UPDATE commitment SET search_text = {text} WHERE commitment.id = {id};")
}

fn postgres_up() -> String {
    let own = search_text(&POSTGRES, "NEW.id", "NEW.code");
    let (refresh_old, refresh_new) = (
        refresh(&POSTGRES, "OLD.commitment_id"),
        refresh(&POSTGRES, "NEW.commitment_id"),
    );
    format!(
        r#"
CREATE FUNCTION commitment_search_text_own() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_text := {own};
    RETURN NEW;
END
$$;
CREATE TRIGGER commitment_search_text_own
    BEFORE INSERT OR UPDATE OF code ON commitment
    FOR EACH ROW EXECUTE FUNCTION commitment_search_text_own();

CREATE FUNCTION commitment_search_text_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN {refresh_old} END IF;
    IF TG_OP = 'INSERT'
        OR (TG_OP = 'UPDATE' AND NEW.commitment_id IS DISTINCT FROM OLD.commitment_id) THEN
        {refresh_new}
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER commitment_search_text_follow
    AFTER INSERT OR UPDATE OR DELETE ON commitment_translation
    FOR EACH ROW EXECUTE FUNCTION commitment_search_text_follow();
"#
    )
}

const POSTGRES_DOWN: &str = "
DROP TRIGGER commitment_search_text_follow ON commitment_translation;
DROP FUNCTION commitment_search_text_follow();
DROP TRIGGER commitment_search_text_own ON commitment;
DROP FUNCTION commitment_search_text_own();
";

/// SQLite has no `BEFORE` trigger that can change the new row: the row is
/// updated after it is written.
fn sqlite_up() -> Vec<String> {
    let (own, refresh_old, refresh_new) = (
        refresh(&SQLITE, "NEW.id"),
        refresh(&SQLITE, "OLD.commitment_id"),
        refresh(&SQLITE, "NEW.commitment_id"),
    );
    vec![
        format!(
            "CREATE TRIGGER commitment_search_text_insert AFTER INSERT ON commitment BEGIN {own} END"
        ),
        format!(
            "CREATE TRIGGER commitment_search_text_code AFTER UPDATE OF code ON commitment BEGIN {own} END"
        ),
        format!(
            "CREATE TRIGGER commitment_search_text_texts_insert AFTER INSERT ON commitment_translation \
             BEGIN {refresh_new} END"
        ),
        format!(
            "CREATE TRIGGER commitment_search_text_texts_update AFTER UPDATE ON commitment_translation \
             BEGIN {refresh_old} {refresh_new} END"
        ),
        format!(
            "CREATE TRIGGER commitment_search_text_texts_delete AFTER DELETE ON commitment_translation \
             BEGIN {refresh_old} END"
        ),
    ]
}

const SQLITE_DOWN: [&str; 5] = [
    "DROP TRIGGER commitment_search_text_texts_delete",
    "DROP TRIGGER commitment_search_text_texts_update",
    "DROP TRIGGER commitment_search_text_texts_insert",
    "DROP TRIGGER commitment_search_text_code",
    "DROP TRIGGER commitment_search_text_insert",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Commitment::Table)
                    .add_column(text(Commitment::SearchText).default(""))
                    .to_owned(),
            )
            .await?;
        let dialect = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES,
            _ => SQLITE,
        };
        // The commitments already there.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "UPDATE commitment SET search_text = {}",
                search_text(&dialect, "commitment.id", "commitment.code")
            ))
            .await?;
        crate::execute_on_backend(manager, [postgres_up()], sqlite_up()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::execute_on_backend(manager, [POSTGRES_DOWN], SQLITE_DOWN).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Commitment::Table)
                    .drop_column(Commitment::SearchText)
                    .to_owned(),
            )
            .await
    }
}
