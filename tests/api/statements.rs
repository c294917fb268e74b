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
    let statements = app.database.db.statements_run() - before;
    let nodes = reply.data()["commitments"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(nodes.len(), first);
    for node in &nodes {
        // GEN0001 leads with institution 1, supported by 2 and 3.
        let n: usize = node["code"]
            .as_str()
            .and_then(|code| code.strip_prefix("GEN"))
            .and_then(|n| n.parse().ok())
            .expect("a generated code");
        let name = |k: usize| json!(format!("Institution {}", k % 7));
        assert_eq!(node["leadInstitution"]["name"], name(n), "{node}");
        let mut supporting: Vec<String> = node["supportInstitutions"]
            .as_array()
            .expect("supporting institutions")
            .iter()
            .map(|institution| institution["name"].to_string())
            .collect();
        supporting.sort();
        let mut expected = vec![name(n + 1).to_string(), name(n + 2).to_string()];
        expected.sort();
        assert_eq!(supporting, expected, "{node}");
        // Read with its country and titles in one statement.
        let plan = &node["actionPlan"];
        assert_eq!(plan["title"], json!("Testland 2020"), "{node}");
        assert_eq!(plan["country"]["name"], json!("Testland"), "{node}");
    }
    statements
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
        // The count follows the shape of the query, not the page size.
        assert_eq!(small, large, "100 items took {large} statements, 5 took {small}");
        assert_eq!(half, large, "statements must not grow with the page size");
        // The page with the commitments' texts, its count, and what the
        // commitments link to (see `catalog::links`): the lead and
        // supporting institutions with their names, policy areas, focal
        // points, milestones with their texts, action plans with their
        // countries and titles, rows and their translations read together.
        assert_eq!(large, 3, "a page took {large} statements");
    }
}

/// Each part of what a commitment links to, as a query asks it.
const EVERY_LINK: [&str; 7] = [
    "policyAreas { name }",
    "focalPoints { name }",
    "relatedCommitments { code }",
    "leadInstitution { name abbreviation translations { language name } }",
    "supportInstitutions { name translations { language name } }",
    "milestones { position title startDate endDate translations { language title } }",
    "actionPlan { title translations { language title } country { name } }",
];

on_both_backends! {
    async fn what_commitments_link_to_reads_together_as_each_part_reads_alone(backend: Backend) {
        let app = TestApp::empty(backend).await;
        import::import_json(app.conn(), &generated_catalog(12).to_string())
            .await
            .expect("generated catalogue imports");
        let query = |fields: &[&str]| {
            format!("query {{ commitments(first: 12) {{ nodes {{ code {} }} }} }}", fields.join(" "))
        };
        let nodes = |reply: &Value| reply["commitments"]["nodes"].as_array().cloned().unwrap_or_default();
        let before = app.database.db.statements_run();
        let together = nodes(app.query(&query(&EVERY_LINK), json!({})).await.data());
        let statements = app.database.db.statements_run() - before;
        // The page with its texts, then every part in one statement.
        assert_eq!(statements, 2, "the page took {statements} statements");
        assert_eq!(together.len(), 12);
        // One part alone is read by its own statement (see `prefetch`).
        for field in EVERY_LINK {
            let name = field.split_whitespace().next().unwrap_or_default();
            let alone = nodes(app.query(&query(&[field]), json!({})).await.data());
            assert_eq!(alone.len(), together.len(), "{field}");
            for (all, one) in together.iter().zip(&alone) {
                assert_eq!(all["code"], one["code"]);
                assert_eq!(all[name], one[name], "{name} of {}", one["code"]);
            }
        }
        // The generated commitments have every part but related ones.
        for node in &together {
            assert_eq!(node["milestones"].as_array().map(Vec::len), Some(3), "{node}");
            assert_eq!(node["supportInstitutions"].as_array().map(Vec::len), Some(2), "{node}");
            assert_eq!(node["policyAreas"].as_array().map(Vec::len), Some(2), "{node}");
            assert_eq!(node["focalPoints"].as_array().map(Vec::len), Some(1), "{node}");
            assert_eq!(node["actionPlan"]["country"]["name"], json!("Testland"), "{node}");
            assert!(node["leadInstitution"]["name"].is_string(), "{node}");
        }
    }
}

const TRANSLATED: &str = r#"query($code: String!) { commitment(code: $code) {
    title translations { language title }
    leadInstitution { translations { language name } }
    supportInstitutions { key translations { language name } }
    milestones { position translations { language title } }
    actionPlan { translations { language title } }
} }"#;

on_both_backends! {
    async fn rows_come_once_each_with_all_their_translations(backend: Backend) {
        let app = TestApp::empty(backend).await;
        let catalog = json!({
            "format": "ogp-pulse/catalog-v1",
            "countries": [{ "isoCode": "ZZ", "name": "Testland" }],
            "institutions": [
                { "key": "two-names", "kind": "government", "name": { "en": "Ministry", "fr": "Ministère" } },
                { "key": "one-name", "kind": "government", "name": { "en": "Agency" } }
            ],
            "actionPlans": [{
                "key": "testland-2020", "country": "ZZ", "cycleYear": 2020,
                "title": { "en": "Plan", "fr": "Plan d'action", "ar": "خطة" },
                "commitments": [{
                    "code": "TR0001", "status": "active", "title": { "en": "Translated", "fr": "Traduit" },
                    "leadInstitution": "two-names",
                    "supportInstitutions": ["one-name", "two-names"],
                    "milestones": [
                        { "title": { "en": "First", "fr": "Premier" } },
                        { "title": { "en": "Second" } }
                    ]
                }]
            }]
        });
        import::import_json(app.conn(), &catalog.to_string())
            .await
            .expect("catalogue imports");
        let before = app.database.db.statements_run();
        let reply = app.query(TRANSLATED, json!({ "code": "TR0001" })).await;
        let statements = app.database.db.statements_run() - before;
        let commitment = &reply.data()["commitment"];
        let sorted = |list: &Value, field: &str| -> Vec<(String, String)> {
            let mut pairs: Vec<(String, String)> = list
                .as_array()
                .expect("a list of translations")
                .iter()
                .map(|t| (t["language"].as_str().unwrap_or("").to_owned(), t[field].as_str().unwrap_or("").to_owned()))
                .collect();
            pairs.sort();
            pairs
        };
        let pairs = |items: &[(&str, &str)]| -> Vec<(String, String)> {
            items.iter().map(|(l, v)| ((*l).to_owned(), (*v).to_owned())).collect()
        };
        assert_eq!(commitment["title"], json!("Translated"));
        assert_eq!(
            sorted(&commitment["translations"], "title"),
            pairs(&[("en", "Translated"), ("fr", "Traduit")])
        );
        assert_eq!(
            sorted(&commitment["leadInstitution"]["translations"], "name"),
            pairs(&[("en", "Ministry"), ("fr", "Ministère")])
        );
        let support = commitment["supportInstitutions"].as_array().expect("support");
        assert_eq!(support.len(), 2, "each institution once: {support:?}");
        let by_key = |key: &str| {
            support
                .iter()
                .find(|i| i["key"] == json!(key))
                .unwrap_or_else(|| panic!("{key} among the supporting institutions"))
        };
        assert_eq!(sorted(&by_key("one-name")["translations"], "name"), pairs(&[("en", "Agency")]));
        assert_eq!(
            sorted(&by_key("two-names")["translations"], "name"),
            pairs(&[("en", "Ministry"), ("fr", "Ministère")])
        );
        let milestones = commitment["milestones"].as_array().expect("milestones");
        assert_eq!(milestones.len(), 2, "each milestone once: {milestones:?}");
        assert_eq!(milestones[0]["position"], json!(1));
        assert_eq!(
            sorted(&milestones[0]["translations"], "title"),
            pairs(&[("en", "First"), ("fr", "Premier")])
        );
        assert_eq!(sorted(&milestones[1]["translations"], "title"), pairs(&[("en", "Second")]));
        assert_eq!(
            sorted(&commitment["actionPlan"]["translations"], "title"),
            pairs(&[("ar", "خطة"), ("en", "Plan"), ("fr", "Plan d'action")])
        );
        // The commitment with its texts; its lead and supporting
        // institutions with their names, milestones with their texts and
        // the plan with its titles, together.
        assert_eq!(statements, 2, "the query took {statements} statements");
    }
}

const WITH_FEEDBACK: &str = r#"query($first: Int!) { commitments(first: $first) {
    nodes { code feedback(first: 3) { nodes { body } pageInfo { hasNextPage } } }
} }"#;

/// A citizen's comment (`parent` none) or an official reply, as stored.
fn feedback_row(
    commitment_id: i64,
    parent: Option<i64>,
    body: String,
    status: &str,
) -> entity::feedback::ActiveModel {
    use sea_orm::ActiveValue::Set;
    entity::feedback::ActiveModel {
        commitment_id: Set(commitment_id),
        parent_id: Set(parent),
        depth: Set(i32::from(parent.is_some())),
        kind: Set("comment".to_owned()),
        body: Set(body),
        notify_on_response: Set(false),
        status: Set(status.to_owned()),
        official: Set(parent.is_some()),
        created_at: Set(chrono::Utc::now()),
        support_count: Set(0),
        ..Default::default()
    }
}

async fn store_feedback(app: &TestApp, rows: Vec<entity::feedback::ActiveModel>) {
    use sea_orm::EntityTrait;
    entity::feedback::Entity::insert_many(rows)
        .exec_without_returning(app.conn())
        .await
        .expect("feedback stored");
}

/// Sixty generated commitments; commitment `n` (1-based, by code) gets
/// `n % 5` published comments, newest last written, and one hidden comment
/// that no public list may show.
async fn commented_catalog(backend: crate::support::Backend) -> TestApp {
    use entity::commitment;
    use sea_orm::{EntityTrait, QueryOrder};
    let app = TestApp::empty(backend).await;
    import::import_json(app.conn(), &generated_catalog(60).to_string())
        .await
        .expect("generated catalogue imports");
    let commitments = commitment::Entity::find()
        .order_by_asc(commitment::Column::Code)
        .all(app.conn())
        .await
        .expect("commitments");
    let mut rows = Vec::new();
    for (index, row) in commitments.iter().enumerate() {
        let count = (index + 1) % 5;
        for (n, status) in (0..count).map(|n| (n, "published")).chain([(9, "hidden")]) {
            rows.push(feedback_row(
                row.id,
                None,
                format!("{} #{n}", row.code),
                status,
            ));
        }
    }
    store_feedback(&app, rows).await;
    app
}

/// The first `first` commitments `query` lists, and the statements it took.
async fn commitments_and_statements(app: &TestApp, query: &str, first: usize) -> (Vec<Value>, u64) {
    let before = app.database.db.statements_run();
    let reply = app.query(query, json!({ "first": first })).await;
    let cost = app.database.db.statements_run() - before;
    let nodes = reply.data()["commitments"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    assert_eq!(nodes.len(), first);
    (nodes, cost)
}

on_both_backends! {
    async fn the_newest_comments_of_a_page_of_commitments_cost_one_statement(backend: Backend) {
        let app = commented_catalog(backend).await;
        let mut costs = Vec::new();
        for first in [5, 50] {
            let (nodes, cost) = commitments_and_statements(&app, WITH_FEEDBACK, first).await;
            costs.push(cost);
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

const WITH_FIGURES: &str = r#"query($first: Int!) { commitments(first: $first) {
    nodes {
        code
        feedback(first: 2) { totalCount }
        comments: feedback(first: 2, filter: { kind: COMMENT }) { totalCount }
        questions: feedback(first: 2, filter: { kind: QUESTION }) { totalCount }
        awaiting: feedback(first: 2, filter: { awaitingResponse: true }) { totalCount }
        feedbackSummary { total awaitingResponse byKind { kind count } }
    }
} }"#;

/// Answers the first comment of every commitment with two comments or more
/// officially (a published official reply).
async fn answer_first_comments(app: &TestApp) {
    use entity::feedback;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let comments = feedback::Entity::find()
        .filter(feedback::Column::Status.eq("published"))
        .filter(feedback::Column::ParentId.is_null())
        .order_by_asc(feedback::Column::Id)
        .all(app.conn())
        .await
        .expect("comments");
    let mut seen = std::collections::HashMap::<i64, Vec<&feedback::Model>>::new();
    for comment in &comments {
        seen.entry(comment.commitment_id).or_default().push(comment);
    }
    let replies = seen
        .values()
        .filter(|own| own.len() >= 2)
        .map(|own| {
            let first = own[0];
            feedback_row(
                first.commitment_id,
                Some(first.id),
                "Official answer".to_owned(),
                "published",
            )
        })
        .collect();
    store_feedback(app, replies).await;
}

on_both_backends! {
    async fn a_page_of_commitments_counts_its_feedback_once_per_figure(backend: Backend) {
        let app = commented_catalog(backend).await;
        answer_first_comments(&app).await;
        let moderator = app.staff("mod@example.org", &[ogp_pulse::staff::Role::Moderator], None).await;
        let mut costs = Vec::new();
        for first in [5, 50] {
            let (nodes, cost) = commitments_and_statements(&app, WITH_FIGURES, first).await;
            costs.push(cost);
            for (index, node) in nodes.iter().enumerate() {
                let code = node["code"].as_str().expect("code");
                // Published comments; the hidden one and the reply not counted.
                let count = (index + 1) % 5;
                let awaiting = if count >= 2 { count - 1 } else { count };
                assert_eq!(node["feedback"]["totalCount"], json!(count), "{code}");
                assert_eq!(node["comments"]["totalCount"], json!(count), "{code}");
                assert_eq!(node["questions"]["totalCount"], json!(0), "{code}");
                assert_eq!(node["awaiting"]["totalCount"], json!(awaiting), "{code}");
                let summary = &node["feedbackSummary"];
                assert_eq!(summary["total"], json!(count), "{code}");
                assert_eq!(summary["awaitingResponse"], json!(awaiting), "{code}");
                let by_kind = if count == 0 {
                    json!([])
                } else {
                    json!([{ "kind": "COMMENT", "count": count }])
                };
                assert_eq!(summary["byKind"], by_kind, "{code}");
            }
        }
        assert_eq!(costs[0], costs[1], "statements must not grow with the page size: {costs:?}");
        // The page; the first pages of the four lists; one count of the
        // comments by kind and of those awaiting a response, shared by the
        // lists and the summary.
        assert_eq!(costs[1], 6, "the page took {} statements", costs[1]);

        // One commitment showing both figures counts them in one statement
        // too, beside the one reading the commitment.
        // GEN0002: two published comments, the first answered officially.
        let code = "GEN0002";
        let before = app.database.db.statements_run();
        let reply = app
            .query(
                r#"query($code: String!) { commitment(code: $code) {
                    feedbackSummary { total awaitingResponse byKind { count } }
                } }"#,
                json!({ "code": code }),
            )
            .await;
        let statements = app.database.db.statements_run() - before;
        let summary = &reply.data()["commitment"]["feedbackSummary"];
        assert_eq!(summary["total"], json!(2), "{summary}");
        assert_eq!(summary["awaitingResponse"], json!(1), "{summary}");
        assert_eq!(summary["byKind"], json!([{ "count": 2 }]), "{summary}");
        assert_eq!(statements, 2, "one commitment's figures took {statements} statements");

        // Moderators' lists also hold hidden comments: counted by their own
        // statements, while the summary stays the public's figures.
        let reply = app.query_as(&moderator, WITH_FIGURES, json!({ "first": 10 })).await;
        let nodes = reply.data()["commitments"]["nodes"].as_array().expect("nodes").clone();
        for (index, node) in nodes.iter().enumerate() {
            let code = node["code"].as_str().expect("code");
            let count = (index + 1) % 5;
            assert_eq!(node["feedback"]["totalCount"], json!(count + 1), "{code}");
            assert_eq!(node["feedbackSummary"]["total"], json!(count), "{code}");
        }
    }
}

/// [`WITH_FIGURES`] with two of what the commitments link to.
fn with_figures_and_links() -> String {
    let links = "code\n        leadInstitution { name }\n        milestones { position title }";
    let document = WITH_FIGURES.replacen("code", links, 1);
    assert_ne!(
        document, WITH_FIGURES,
        "WITH_FIGURES no longer selects code"
    );
    document
}

on_both_backends! {
    async fn feedback_figures_read_with_the_links_cost_no_statement_of_their_own(backend: Backend) {
        let app = commented_catalog(backend).await;
        answer_first_comments(&app).await;
        let (alone, figures_cost) = commitments_and_statements(&app, WITH_FIGURES, 20).await;
        let (together, cost) = commitments_and_statements(&app, &with_figures_and_links(), 20).await;
        // The page; the first pages of the four lists; the links and the
        // comment tally in one statement.
        assert_eq!(cost, figures_cost, "the links added {} statements", cost - figures_cost);
        assert_eq!(cost, 6, "the page took {cost} statements");
        let figures = ["feedback", "comments", "questions", "awaiting", "feedbackSummary"];
        for (one, all) in alone.iter().zip(&together) {
            assert_eq!(one["code"], all["code"]);
            for figure in figures {
                assert_eq!(one[figure], all[figure], "{figure} of {}", one["code"]);
            }
            assert_eq!(all["milestones"].as_array().map(Vec::len), Some(3), "{all}");
            assert!(all["leadInstitution"]["name"].is_string(), "{all}");
        }
        // Some commitments have comments awaiting an answer, some answered.
        let awaiting: Vec<&Value> = together.iter().map(|node| &node["feedbackSummary"]["awaitingResponse"]).collect();
        assert!(awaiting.contains(&&json!(1)) && awaiting.contains(&&json!(3)), "{awaiting:?}");
    }
}

on_both_backends! {
    async fn official_and_citizens_comments_of_one_kind_are_counted_together(backend: Backend) {
        use sea_orm::ActiveValue::Set;
        let app = commented_catalog(backend).await;
        // GEN0002: two published comments; an official post of the same
        // kind beside them (the API only ever answers, but imported or
        // older data may hold one) is counted with them, and never awaits
        // a response.
        let code = "GEN0002";
        let target = crate::support::commitment_row_id(app.conn(), code).await;
        let mut post = feedback_row(target, None, "Official post".to_owned(), "published");
        post.official = Set(true);
        store_feedback(&app, vec![post]).await;

        let by_kind = app
            .query(
                r#"query($code: String!) { commitment(code: $code) {
                    feedbackSummary { total byKind { kind count } }
                } }"#,
                json!({ "code": code }),
            )
            .await;
        let summary = &by_kind.data()["commitment"]["feedbackSummary"];
        assert_eq!(summary["total"], json!(3), "{summary}");
        assert_eq!(summary["byKind"], json!([{ "kind": "COMMENT", "count": 3 }]), "{summary}");

        let both = app
            .query(
                r#"query($code: String!) { commitment(code: $code) {
                    feedbackSummary { total awaitingResponse byKind { kind count } }
                } }"#,
                json!({ "code": code }),
            )
            .await;
        let summary = &both.data()["commitment"]["feedbackSummary"];
        assert_eq!(summary["total"], json!(3), "{summary}");
        assert_eq!(summary["awaitingResponse"], json!(2), "{summary}");
        assert_eq!(summary["byKind"], json!([{ "kind": "COMMENT", "count": 3 }]), "{summary}");
    }
}

/// Commitments with two policy areas, focal points and related commitments
/// in every combination, some with none of one list.
fn linked_catalog() -> Value {
    let commitment = |code: &str, areas: &[&str], focal: &[&str], related: &[&str]| {
        json!({
            "code": code, "status": "active", "title": { "en": code },
            "policyAreas": areas, "focalPoints": focal, "relatedCommitments": related
        })
    };
    json!({
        "format": "ogp-pulse/catalog-v1",
        "countries": [{ "isoCode": "ZZ", "name": "Testland" }],
        "policyAreas": [{ "name": "Open data" }, { "name": "Access to information" }, { "name": "Budget" }],
        "focalPoints": [
            { "key": "focal-b", "name": "Focal B" },
            { "key": "focal-a", "name": "Focal A" }
        ],
        "actionPlans": [{
            "key": "testland-2020", "country": "ZZ", "cycleYear": 2020, "title": { "en": "Plan" },
            "commitments": [
                commitment("LK0001", &["Open data", "Access to information"], &["focal-b", "focal-a"], &["LK0003", "LK0002"]),
                commitment("LK0002", &[], &["focal-a"], &["LK0001"]),
                commitment("LK0003", &["Budget"], &[], &[]),
                commitment("LK0004", &[], &[], &[])
            ]
        }]
    })
}

const LINKS: &str = r#"query {
    commitments(first: 10) { nodes {
        code
        policyAreas { name }
        focalPoints { name commitments { code } }
        relatedCommitments { code policyAreas { name } }
    } }
}"#;

/// The lists of each commitment, as `LINKS` or a query asking some of its
/// fields shows them.
fn lists_of(reply: &Value) -> Vec<(String, Value, Value, Value)> {
    reply["commitments"]["nodes"]
        .as_array()
        .expect("a page of commitments")
        .iter()
        .map(|node| {
            (
                node["code"].as_str().unwrap_or_default().to_owned(),
                node["policyAreas"].clone(),
                node["focalPoints"].clone(),
                node["relatedCommitments"].clone(),
            )
        })
        .collect()
}

on_both_backends! {
    async fn a_commitments_linked_lists_are_read_together_as_they_read_apart(backend: Backend) {
        let app = TestApp::empty(backend).await;
        import::import_json(app.conn(), &linked_catalog().to_string())
            .await
            .expect("catalogue imports");
        let before = app.database.db.statements_run();
        let together = app.query(LINKS, json!({})).await.data().clone();
        let statements = app.database.db.statements_run() - before;
        // The page with its texts; the three lists; the focal points'
        // commitments and the related commitments' policy areas, one list
        // each below them.
        assert_eq!(statements, 4, "the page took {statements} statements");
        let lists = lists_of(&together);
        let names = |list: &Value, field: &str| -> Vec<String> {
            list.as_array()
                .expect("a list")
                .iter()
                .map(|item| item[field].as_str().unwrap_or_default().to_owned())
                .collect()
        };
        // A code, then the names of its areas and focal points, the codes
        // of its related commitments.
        type Lists<'a> = (&'a str, &'a [&'a str], &'a [&'a str], &'a [&'a str]);
        let expected: [Lists<'_>; 4] = [
            ("LK0001", &["Access to information", "Open data"], &["Focal B", "Focal A"], &["LK0002", "LK0003"]),
            ("LK0002", &[], &["Focal A"], &["LK0001"]),
            ("LK0003", &["Budget"], &[], &[]),
            ("LK0004", &[], &[], &[]),
        ];
        assert_eq!(lists.len(), expected.len(), "{together}");
        for ((code, areas, focal, related), (want_code, want_areas, want_focal, want_related)) in
            lists.iter().zip(expected)
        {
            assert_eq!(code, want_code);
            assert_eq!(names(areas, "name"), want_areas, "{code}");
            assert_eq!(names(focal, "name"), want_focal, "{code}");
            assert_eq!(names(related, "code"), want_related, "{code}");
        }
        // What sits below the lists came with them.
        let first = &together["commitments"]["nodes"][0];
        assert_eq!(first["focalPoints"][1]["commitments"], json!([{ "code": "LK0001" }, { "code": "LK0002" }]));
        assert_eq!(first["relatedCommitments"][1]["policyAreas"], json!([{ "name": "Budget" }]));

        // Each list alone, and each pair, reads as it does with the others.
        let fields = [
            "policyAreas { name }",
            "focalPoints { name commitments { code } }",
            "relatedCommitments { code policyAreas { name } }",
        ];
        for asked in [[true, false, false], [false, true, false], [false, false, true], [true, true, false], [true, false, true], [false, true, true]] {
            let selection: Vec<&str> = fields.iter().zip(asked).filter(|(_, on)| *on).map(|(field, _)| *field).collect();
            let query = format!("query {{ commitments(first: 10) {{ nodes {{ code {} }} }} }}", selection.join(" "));
            let apart = app.query(&query, json!({})).await.data().clone();
            for ((_, areas, focal, related), (_, areas_apart, focal_apart, related_apart)) in
                lists.iter().zip(lists_of(&apart))
            {
                let shown = |list: &Value, on: bool| if on { list.clone() } else { Value::Null };
                assert_eq!(shown(areas, asked[0]), areas_apart, "{query}");
                assert_eq!(shown(focal, asked[1]), focal_apart, "{query}");
                assert_eq!(shown(related, asked[2]), related_apart, "{query}");
            }
        }
    }
}
