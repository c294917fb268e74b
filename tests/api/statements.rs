//! Every relation is read through a data loader: the number of SQL statements
//! a page needs does not grow with the page size.

use ogp_pulse::import;
use serde_json::{Value, json};

use crate::support::{TestApp, on_both_backends};

/// A catalogue of `count` commitments, each with a lead institution, two
/// support institutions, two policy areas, three milestones, a focal point.
fn generated_catalog(count: usize) -> Value {
    let commitments: Vec<Value> = (1..=count)
        .map(|n| {
            json!({
                "code": format!("GEN{n:04}"),
                "status": "active",
                "title": { "en": format!("Generated commitment {n}"), "fr": format!("Engagement généré {n}") },
                "leadInstitution": format!("institution-{}", n % 7),
                "supportInstitutions": [format!("institution-{}", (n + 1) % 7), format!("institution-{}", (n + 2) % 7)],
                "policyAreas": [format!("Area {}", n % 5), format!("Area {}", (n + 1) % 5)],
                "focalPoints": [format!("focal-{}", n % 3)],
                "milestones": [
                    { "title": { "en": "First" }, "startDate": "2020-01", "endDate": "2020-06" },
                    { "title": { "en": "Second" }, "startDate": "2020-07" },
                    { "title": { "en": "Third" } }
                ]
            })
        })
        .collect();
    json!({
        "format": "ogp-pulse/catalog-v1",
        "countries": [{ "isoCode": "ZZ", "name": "Testland" }],
        "institutions": (0..7).map(|n| json!({ "key": format!("institution-{n}"), "kind": "government", "name": { "en": format!("Institution {n}") } })).collect::<Vec<_>>(),
        "policyAreas": (0..5).map(|n| json!({ "name": format!("Area {n}") })).collect::<Vec<_>>(),
        "focalPoints": (0..3).map(|n| json!({ "key": format!("focal-{n}"), "name": format!("Focal {n}") })).collect::<Vec<_>>(),
        "actionPlans": [{ "key": "testland-2020", "country": "ZZ", "cycleYear": 2020, "title": { "en": "Testland 2020" }, "commitments": commitments }]
    })
}

const PAGE: &str = r#"query($first: Int!) { commitments(first: $first) {
    totalCount
    nodes {
        code title fullTitle language
        leadInstitution { name abbreviation }
        supportInstitutions { name }
        policyAreas { name }
        milestones { title startDate endDate }
        focalPoints { name }
        actionPlan { title country { name } }
    }
} }"#;

async fn statements_for(app: &TestApp, first: usize) -> u64 {
    let before = app.database.db.statements_run();
    let reply = app.query(PAGE, json!({ "first": first })).await;
    let nodes = reply.data()["commitments"]["nodes"]
        .as_array()
        .map(Vec::len);
    assert_eq!(nodes, Some(first));
    app.database.db.statements_run() - before
}

on_both_backends! {
    async fn a_page_of_100_costs_the_same_statements_as_a_page_of_5(backend: Backend) {
        let app = TestApp::empty(backend).await;
        import::import_json(app.conn(), &generated_catalog(150).to_string())
            .await
            .expect("generated catalogue imports");
        let small = statements_for(&app, 5).await;
        let half = statements_for(&app, 50).await;
        let large = statements_for(&app, 100).await;
        // A small page may cost one statement more than a large one (its
        // support institutions are not all among its lead institutions), never
        // fewer: the count follows the shape of the query, not the page size.
        assert!(large <= small, "100 items took {large} statements, 5 took {small}");
        assert_eq!(half, large, "statements must not grow with the page size");
        // page, count, and one batch per relation and translation table.
        assert!(large <= 17, "a page took {large} statements");
    }
}

const WITH_FEEDBACK: &str = r#"query($first: Int!) { commitments(first: $first) {
    nodes { code feedback(first: 3) { nodes { body } pageInfo { hasNextPage } } }
} }"#;

/// Commitment `n` (1-based) gets `n % 5` published comments, newest last
/// written, and one hidden comment that no list may show.
async fn comment_on_every_commitment(app: &TestApp) {
    use entity::{commitment, feedback};
    use sea_orm::{ActiveValue::Set, EntityTrait, QueryOrder};
    let commitments = commitment::Entity::find()
        .order_by_asc(commitment::Column::Code)
        .all(app.conn())
        .await
        .expect("commitments");
    let mut rows = Vec::new();
    for (index, row) in commitments.iter().enumerate() {
        let count = (index + 1) % 5;
        for (n, status) in (0..count).map(|n| (n, "published")).chain([(9, "hidden")]) {
            rows.push(feedback::ActiveModel {
                commitment_id: Set(row.id),
                depth: Set(0),
                kind: Set("comment".to_owned()),
                body: Set(format!("{} #{n}", row.code)),
                notify_on_response: Set(false),
                status: Set(status.to_owned()),
                official: Set(false),
                created_at: Set(chrono::Utc::now()),
                support_count: Set(0),
                ..Default::default()
            });
        }
    }
    feedback::Entity::insert_many(rows)
        .exec_without_returning(app.conn())
        .await
        .expect("comments inserted");
}

on_both_backends! {
    async fn the_newest_comments_of_a_page_of_commitments_cost_one_statement(backend: Backend) {
        let app = TestApp::empty(backend).await;
        import::import_json(app.conn(), &generated_catalog(60).to_string())
            .await
            .expect("generated catalogue imports");
        comment_on_every_commitment(&app).await;
        let mut costs = Vec::new();
        for first in [5, 50] {
            let before = app.database.db.statements_run();
            let reply = app.query(WITH_FEEDBACK, json!({ "first": first })).await;
            costs.push(app.database.db.statements_run() - before);
            let nodes = reply.data()["commitments"]["nodes"].as_array().expect("nodes").clone();
            assert_eq!(nodes.len(), first);
            for (index, node) in nodes.iter().enumerate() {
                let code = node["code"].as_str().expect("code");
                let count = (index + 1) % 5;
                // The newest first (the highest number last written), at most 3.
                let expected: Vec<Value> = (0..count)
                    .rev()
                    .take(3)
                    .map(|n| json!({ "body": format!("{code} #{n}") }))
                    .collect();
                assert_eq!(node["feedback"]["nodes"], json!(expected), "{code}");
                assert_eq!(node["feedback"]["pageInfo"]["hasNextPage"], json!(count > 3), "{code}");
            }
        }
        assert_eq!(costs[0], costs[1], "statements must not grow with the page size: {costs:?}");
    }
}
