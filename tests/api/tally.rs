//! The tally of published comments (`feedback_tally`, kept by triggers)
//! always says what counting the comments themselves says, whatever changes
//! them: inserts, moderation, reclassification, official responses coming
//! and going, moves, deletions, a commitment deleted with its comments, and
//! many comments at once.

use std::collections::BTreeMap;

use entity::{commitment, feedback};
use ogp_pulse::import;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Statement, Value, sea_query::Expr,
};
use serde_json::json;

use migration::{Migrator, MigratorTrait};

use crate::support::{
    TestApp, TestDatabase, commitment_row_id, migrate_down_through, on_both_backends,
};

/// Published top-level comments and those of them from citizens without an
/// official response, by commitment and kind.
type Counts = BTreeMap<(i64, String), (i64, i64)>;

async fn counts_of(db: &DatabaseConnection, sql: &str) -> Counts {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("counts read");
    rows.iter()
        .map(|row| {
            let value = |index| row.try_get_by_index::<i64>(index).expect("a count");
            let kind = row.try_get_by_index::<String>(1).expect("a kind");
            ((value(0), kind), (value(2), value(3)))
        })
        .filter(|(_, figures)| *figures != (0, 0))
        .collect()
}

/// What the tally holds, its stripes added up (kinds brought to zero left
/// out: their rows stay behind).
async fn tallied(db: &DatabaseConnection) -> Counts {
    counts_of(
        db,
        "SELECT commitment_id, kind, CAST(SUM(comments) AS BIGINT), \
         CAST(SUM(awaiting) AS BIGINT) FROM feedback_tally GROUP BY commitment_id, kind",
    )
    .await
}

/// The same figures counted from the comments and their replies.
async fn counted(db: &DatabaseConnection) -> Counts {
    counts_of(
        db,
        "SELECT commitment_id, kind, COUNT(*), \
         CAST(SUM(CASE WHEN official OR EXISTS (SELECT 1 FROM feedback AS reply \
             WHERE reply.parent_id = comment.id AND reply.commitment_id = comment.commitment_id \
             AND reply.official) THEN 0 ELSE 1 END) AS BIGINT) \
         FROM feedback AS comment WHERE parent_id IS NULL AND status = 'published' \
         GROUP BY commitment_id, kind",
    )
    .await
}

async fn assert_tally_follows(db: &DatabaseConnection, after: &str) {
    let counted = counted(db).await;
    assert_eq!(tallied(db).await, counted, "after {after}");
}

fn comment(commitment_id: i64, kind: &str, status: &str) -> feedback::ActiveModel {
    feedback::ActiveModel {
        commitment_id: Set(commitment_id),
        depth: Set(0),
        kind: Set(kind.to_owned()),
        body: Set(format!("A {kind}")),
        notify_on_response: Set(false),
        status: Set(status.to_owned()),
        official: Set(false),
        created_at: Set(chrono::Utc::now()),
        support_count: Set(0),
        ..Default::default()
    }
}

async fn insert(db: &DatabaseConnection, row: feedback::ActiveModel) -> i64 {
    feedback::Entity::insert(row)
        .exec(db)
        .await
        .expect("feedback stored")
        .last_insert_id
}

/// Sets `column` of the feedback rows `ids` (several at once: one statement
/// changing many rows) to `value`.
async fn set(
    db: &DatabaseConnection,
    ids: &[i64],
    column: feedback::Column,
    value: impl Into<Value>,
) {
    feedback::Entity::update_many()
        .col_expr(column, Expr::val(value))
        .filter(feedback::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await
        .expect("feedback updated");
}

async fn two_commitments(db: &DatabaseConnection) -> (i64, i64) {
    let catalog = json!({
        "format": "ogp-pulse/catalog-v1",
        "countries": [{ "isoCode": "ZZ", "name": "Testland" }],
        "actionPlans": [{
            "key": "testland-2020", "country": "ZZ", "cycleYear": 2020, "title": { "en": "Plan" },
            "commitments": [
                { "code": "TA0001", "status": "active", "title": { "en": "First" } },
                { "code": "TA0002", "status": "active", "title": { "en": "Second" } }
            ]
        }]
    });
    import::import_json(db, &catalog.to_string())
        .await
        .expect("catalogue imports");
    (
        commitment_row_id(db, "TA0001").await,
        commitment_row_id(db, "TA0002").await,
    )
}

on_both_backends! {
    async fn the_tally_follows_every_change_of_the_comments(backend: Backend) {
        let app = TestApp::empty(backend).await;
        let db = app.conn();
        let (first, second) = two_commitments(db).await;

        let mut published = Vec::new();
        for kind in ["comment", "question", "question", "concern"] {
            published.push(insert(db, comment(first, kind, "published")).await);
        }
        let queued = insert(db, comment(first, "suggestion", "queued")).await;
        let hidden = insert(db, comment(second, "comment", "hidden")).await;
        let mut post = comment(first, "comment", "published");
        post.official = Set(true);
        let post = insert(db, post).await;
        let reply = insert(db, reply_to(first, published[0])).await;
        let answer = insert(db, official_reply_to(first, published[1])).await;
        assert_tally_follows(db, "inserts").await;
        assert_eq!(
            tallied(db).await.get(&(first, "question".to_owned())),
            Some(&(2, 1)),
            "two questions, one answered"
        );

        let second_answer = insert(db, official_reply_to(first, published[1])).await;
        let third_answer = insert(db, official_reply_to(first, published[3])).await;
        assert_tally_follows(db, "more official responses").await;
        feedback::Entity::delete_by_id(second_answer).exec(db).await.expect("answer deleted");
        assert_tally_follows(db, "one of two official responses deleted").await;
        set(db, &[third_answer], feedback::Column::Official, false).await;
        assert_tally_follows(db, "a response no longer official").await;
        set(db, &[third_answer], feedback::Column::Official, true).await;
        set(db, &[third_answer], feedback::Column::Status, "hidden").await;
        assert_tally_follows(db, "a response official again, then hidden").await;
        set(db, &[third_answer], feedback::Column::ParentId, published[2]).await;
        assert_tally_follows(db, "a response moved to another comment").await;

        set(db, &[queued, hidden], feedback::Column::Status, "published").await;
        assert_tally_follows(db, "publishing two queued or hidden comments at once").await;
        set(db, &[published[1], published[2]], feedback::Column::Status, "hidden").await;
        assert_tally_follows(db, "hiding two comments at once").await;
        set(db, &[published[3]], feedback::Column::Kind, "suggestion").await;
        assert_tally_follows(db, "reclassifying a comment").await;
        set(db, &[post], feedback::Column::Official, false).await;
        assert_tally_follows(db, "an official post becoming a citizen's").await;
        set(db, &[published[0]], feedback::Column::CommitmentId, second).await;
        assert_tally_follows(db, "moving a comment to another commitment").await;
        set(db, &[published[1]], feedback::Column::CommitmentId, second).await;
        assert_tally_follows(db, "moving an answered comment away from its response").await;
        set(db, &[published[1]], feedback::Column::CommitmentId, first).await;
        assert_tally_follows(db, "moving it back").await;
        set(db, &[reply], feedback::Column::ParentId, Option::<i64>::None).await;
        assert_tally_follows(db, "a reply becoming a comment").await;
        set(db, &[published[3]], feedback::Column::Body, "Edited").await;
        set(db, &[published[3]], feedback::Column::Status, "published").await;
        assert_tally_follows(db, "changes that leave the counts as they were").await;

        feedback::Entity::delete_by_id(answer).exec(db).await.expect("answer deleted");
        feedback::Entity::delete_by_id(published[3]).exec(db).await.expect("comment deleted");
        assert_tally_follows(db, "deletions").await;

        let second_before = tallied(db).await.keys().filter(|(id, _)| *id == second).count();
        assert!(second_before > 0, "the second commitment has counted comments");
        commitment::Entity::delete_by_id(second)
            .exec(db)
            .await
            .expect("commitment deleted with its comments");
        assert_tally_follows(db, "deleting a commitment with its comments").await;
    }

    async fn comments_there_before_the_tally_are_counted_by_its_migration(backend: Backend) {
        let database = TestDatabase::new(backend).await;
        let db = &database.db.conn;
        migrate_down_through(db, "feedback_tally").await;
        let (first, second) = two_commitments(db).await;
        for (commitment, kind, status) in [
            (first, "question", "published"),
            (first, "question", "published"),
            (first, "concern", "hidden"),
            (second, "comment", "published"),
        ] {
            insert(db, comment(commitment, kind, status)).await;
        }
        let mut post = comment(second, "comment", "published");
        post.official = Set(true);
        let post = insert(db, post).await;
        let answered = insert(db, comment(second, "question", "published")).await;
        insert(db, official_reply_to(second, answered)).await;
        insert(db, reply_to(second, post)).await;
        Migrator::up(db, None).await.expect("the tally's migration goes up");
        assert_tally_follows(db, "the migration").await;
        let tallied = tallied(db).await;
        assert_eq!(tallied.len(), 3, "three commitments' kinds counted: {tallied:?}");
        assert_eq!(tallied.get(&(second, "question".to_owned())), Some(&(1, 0)), "answered");
    }

    async fn comments_sent_side_by_side_are_all_counted(backend: Backend) {
        let app = TestApp::empty(backend).await;
        let (first, _) = two_commitments(app.conn()).await;
        // Many transactions on one commitment and kind at once: the rows
        // they share are created and updated concurrently.
        let writes = (0..48).map(|_| insert(app.conn(), comment(first, "question", "published")));
        futures_util::future::join_all(writes).await;
        assert_tally_follows(app.conn(), "concurrent inserts").await;
        assert_eq!(
            tallied(app.conn()).await.get(&(first, "question".to_owned())),
            Some(&(48, 48)),
            "forty-eight questions, none answered"
        );
    }
}

fn reply_to(commitment_id: i64, parent: i64) -> feedback::ActiveModel {
    let mut reply = comment(commitment_id, "comment", "published");
    reply.parent_id = Set(Some(parent));
    reply.depth = Set(1);
    reply
}

fn official_reply_to(commitment_id: i64, parent: i64) -> feedback::ActiveModel {
    let mut reply = reply_to(commitment_id, parent);
    reply.official = Set(true);
    reply
}
