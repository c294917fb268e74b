//! The commitments filter's `search` looks in a text the database keeps for
//! each commitment (`commitment.search_text`, kept by triggers): it finds
//! what the commitment's code and texts say now, whatever changed them, and
//! no match runs from one field into the next.

use entity::{commitment, commitment_translation};
use migration::{Migrator, MigratorTrait};
use ogp_pulse::{config::ApiArgs, import};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter,
    sea_query::Expr,
};
use serde_json::{Value, json};

use crate::support::{
    TestApp, TestDatabase, codes, commitment_row_id, migrate_down_through, on_both_backends,
};

/// Two commitments, one with texts in every section.
fn catalog() -> Value {
    json!({
        "format": "ogp-pulse/catalog-v1",
        "countries": [{ "isoCode": "ZZ", "name": "Testland" }],
        "actionPlans": [{
            "key": "testland-2020", "country": "ZZ", "cycleYear": 2020, "title": { "en": "Plan" },
            "commitments": [
                {
                    "code": "TA0001", "status": "active",
                    "title": { "en": "Open" },
                    "fullTitle": { "en": "Budgets for every region" },
                    "publicProblem": { "en": "Nobody reads the ledgers" },
                    "description": { "en": "Publish the ledgers monthly" },
                    "howItContributes": { "en": "Citizens follow spending" },
                    "ogpRelevance": { "en": "Transparency" },
                    "additionalInformation": { "en": "Costs little" }
                },
                { "code": "TA0002", "status": "active", "title": { "en": "Second" } }
            ]
        }]
    })
}

/// The codes a search finds, through the API (its response cache off: the
/// test writes to the database behind the service's back).
async fn found(app: &TestApp, search: &str) -> Vec<String> {
    let reply = app
        .query(
            r#"query Search($search: String) {
                commitments(first: 100, filter: { search: $search }) { nodes { code } }
            }"#,
            json!({ "search": search }),
        )
        .await;
    codes(&reply.data()["commitments"])
}

fn texts(commitment_id: i64, language: &str, title: &str) -> commitment_translation::ActiveModel {
    commitment_translation::ActiveModel {
        commitment_id: Set(commitment_id),
        language: Set(language.to_owned()),
        title: Set(title.to_owned()),
        ..Default::default()
    }
}

/// Sets one text column of the translations `(commitment, language)`, in
/// one statement.
async fn set_texts(
    db: &DatabaseConnection,
    rows: &[(i64, &str)],
    column: commitment_translation::Column,
    value: &str,
) {
    let mut condition = sea_orm::Condition::any();
    for (commitment_id, language) in rows {
        condition = condition.add(
            commitment_translation::Column::CommitmentId
                .eq(*commitment_id)
                .and(commitment_translation::Column::Language.eq(*language)),
        );
    }
    commitment_translation::Entity::update_many()
        .col_expr(column, Expr::val(value))
        .filter(condition)
        .exec(db)
        .await
        .expect("texts updated");
}

async fn uncached_app(backend: crate::support::Backend) -> TestApp {
    let app = TestApp::with_api(
        backend,
        ApiArgs {
            response_cache_ttl_seconds: 0,
            ..ApiArgs::default()
        },
    )
    .await;
    import::import_json(app.conn(), &catalog().to_string())
        .await
        .expect("catalogue imports");
    app
}

on_both_backends! {
    async fn the_search_follows_every_change_of_the_texts(backend: Backend) {
        let app = uncached_app(backend).await;
        let db = app.conn();
        let (first, second) = (commitment_row_id(db, "TA0001").await, commitment_row_id(db, "TA0002").await);

        // Every section, and the code, in any case.
        for text in ["open", "BUDGETS", "ledgers", "monthly", "spending", "transparency", "costs little", "ta0001"] {
            assert_eq!(found(&app, text).await, ["TA0001"], "searching {text:?}");
        }
        assert_eq!(found(&app, "ta000").await, ["TA0001", "TA0002"]);

        set_texts(db, &[(first, "en")], commitment_translation::Column::Description, "Publish the contracts").await;
        assert_eq!(found(&app, "monthly").await, Vec::<String>::new(), "the old description");
        assert_eq!(found(&app, "contracts").await, ["TA0001"], "the new description");

        commitment_translation::Entity::insert(texts(second, "fr", "Registre des contrats"))
            .exec(db)
            .await
            .expect("French texts added");
        assert_eq!(found(&app, "contrats").await, ["TA0002"], "a language added");
        assert_eq!(found(&app, "contracts").await, ["TA0001"]);

        set_texts(db, &[(first, "en"), (second, "fr")], commitment_translation::Column::AdditionalInformation, "Reviewed").await;
        assert_eq!(found(&app, "reviewed").await, ["TA0001", "TA0002"], "two commitments' texts in one statement");

        commitment_translation::Entity::update_many()
            .col_expr(commitment_translation::Column::CommitmentId, Expr::val(first))
            .filter(commitment_translation::Column::CommitmentId.eq(second))
            .filter(commitment_translation::Column::Language.eq("fr"))
            .exec(db)
            .await
            .expect("texts moved");
        assert_eq!(found(&app, "contrats").await, ["TA0001"], "texts moved to another commitment");

        commitment_translation::Entity::delete_many()
            .filter(commitment_translation::Column::Language.eq("fr"))
            .exec(db)
            .await
            .expect("French texts deleted");
        assert_eq!(found(&app, "contrats").await, Vec::<String>::new(), "a language deleted");
        assert_eq!(found(&app, "reviewed").await, ["TA0001"]);

        commitment::Entity::update_many()
            .col_expr(commitment::Column::Code, Expr::val("TB0002"))
            .filter(commitment::Column::Id.eq(second))
            .exec(db)
            .await
            .expect("code changed");
        assert_eq!(found(&app, "tb0002").await, ["TB0002"], "the new code");
        assert_eq!(found(&app, "ta0002").await, Vec::<String>::new(), "the old code");
        assert_eq!(found(&app, "second").await, ["TB0002"], "its texts kept");

        commitment::Entity::delete_by_id(second).exec(db).await.expect("commitment deleted with its texts");
        assert_eq!(found(&app, "ta000").await, ["TA0001"]);
    }

    async fn a_search_never_runs_from_one_field_into_the_next(backend: Backend) {
        let app = uncached_app(backend).await;
        // The code then the title, the title then the full title, and the
        // last section of one language then the title of the next.
        assert_eq!(found(&app, "ta0001open").await, Vec::<String>::new());
        assert_eq!(found(&app, "openbudgets").await, Vec::<String>::new());
        assert_eq!(found(&app, "open budgets").await, Vec::<String>::new());
        let first = commitment_row_id(app.conn(), "TA0001").await;
        commitment_translation::Entity::insert(texts(first, "fr", "Ouvert"))
            .exec(app.conn())
            .await
            .expect("French texts added");
        assert_eq!(found(&app, "littleouvert").await, Vec::<String>::new());
        assert_eq!(found(&app, "ouvertcosts").await, Vec::<String>::new());
        // The separator itself, typed into a search, is no way across.
        assert_eq!(found(&app, "open\u{1f}budgets").await, Vec::<String>::new());
        assert_eq!(found(&app, "open\u{1f}").await, ["TA0001"]);
    }

    async fn commitments_there_before_the_search_text_are_found(backend: Backend) {
        let database = TestDatabase::new(backend).await;
        let db = &database.db.conn;
        migrate_down_through(db, "commitment_search_text").await;
        import::import_json(db, &catalog().to_string())
            .await
            .expect("catalogue imports");
        Migrator::up(db, None).await.expect("the search text's migration goes up");
        let app = TestApp::on(std::sync::Arc::new(database), &ApiArgs {
            response_cache_ttl_seconds: 0,
            ..ApiArgs::default()
        });
        assert_eq!(found(&app, "ledgers").await, ["TA0001"]);
        assert_eq!(found(&app, "ta0002").await, ["TA0002"]);
        assert_eq!(found(&app, "second").await, ["TA0002"]);
    }
}
