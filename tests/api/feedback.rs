//! Citizens' feedback: submitting, replies, moderation modes, the honeypot,
//! rate limits, official responses, and commenters' emails staying private.

use chrono::Duration;
use futures_util::future::join_all;
use ogp_pulse::{config::ApiArgs, staff::Role};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::support::{Reply, TestApp, on_both_backends};

const SUBMIT: &str = "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { status feedback { id kind stance body authorName official depth commitment { code } } } }";
const SECRET_EMAIL: &str = "citizen.secret@example.org";

fn comment(commitment: &str, body: &str) -> Value {
    json!({ "input": { "commitmentId": commitment, "body": body } })
}

async fn stored_feedback(app: &TestApp) -> u64 {
    entity::feedback::Entity::find()
        .count(app.conn())
        .await
        .expect("count feedback")
}

fn submitted_id(reply: &Reply) -> String {
    reply.data()["submitFeedback"]["feedback"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no feedback id in {}", reply.body))
        .to_owned()
}

const LIST: &str = r#"query($filter: FeedbackFilter) { commitment(code: "MO0018") {
    feedback(filter: $filter) { totalCount nodes { id body kind official authorName replies { totalCount nodes { body depth official responder { name title institution } } } } }
    feedbackSummary { total byKind { kind count } awaitingResponse secondsToFirstResponse }
} }"#;

on_both_backends! {
    async fn a_citizen_comments_and_others_reply_three_levels_deep(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let mo18 = app.commitment_id("MO0018").await;
        let body = "  Where can I read the <b>communication plan</b>? & when?  ";
        let reply = app
            .query(SUBMIT, json!({ "input": {
                "commitmentId": mo18, "kind": "QUESTION", "stance": "IN_FAVOUR", "body": body,
                "authorName": "Fatima", "authorEmail": SECRET_EMAIL, "notifyOnResponse": true, "language": "en"
            } }))
            .await;
        let submitted = &reply.data()["submitFeedback"];
        assert_eq!(submitted["status"], "PUBLISHED");
        assert_eq!(submitted["feedback"]["body"], body.trim(), "stored as written, never as HTML");
        assert_eq!(submitted["feedback"]["kind"], "QUESTION");
        assert_eq!(submitted["feedback"]["stance"], "IN_FAVOUR");
        assert_eq!(submitted["feedback"]["authorName"], "Fatima");
        assert_eq!(submitted["feedback"]["commitment"]["code"], "MO0018");
        let question = submitted_id(&reply);

        let first = app.query(SUBMIT, json!({ "input": { "commitmentId": mo18, "parentId": question, "body": "Same question" } })).await;
        assert_eq!(first.data()["submitFeedback"]["feedback"]["depth"], 1);
        let second = app.query(SUBMIT, json!({ "input": { "commitmentId": mo18, "parentId": submitted_id(&first), "body": "+1" } })).await;
        assert_eq!(second.data()["submitFeedback"]["feedback"]["depth"], 2);
        let third = app.query(SUBMIT, json!({ "input": { "commitmentId": mo18, "parentId": submitted_id(&second), "body": "too deep" } })).await;
        assert_eq!(third.error_code(), "BAD_USER_INPUT");
        assert_eq!(third.body["errors"][0]["extensions"]["field"], "parentId");

        let listed = app.query(LIST, json!({})).await;
        let feedback = &listed.data()["commitment"]["feedback"];
        assert_eq!(feedback["totalCount"], 1, "replies hang below their comment");
        assert_eq!(feedback["nodes"][0]["replies"]["totalCount"], 1);
        assert_eq!(listed.data()["commitment"]["feedbackSummary"]["byKind"], json!([{ "kind": "QUESTION", "count": 1 }]));
        assert_eq!(listed.data()["commitment"]["feedbackSummary"]["awaitingResponse"], 1);
        let node = app.query("query($id: ID!) { node(id: $id) { ... on Feedback { body } } }", json!({ "id": question })).await;
        assert_eq!(node.data()["node"]["body"], body.trim());
    }

    async fn bad_input_is_refused_naming_the_field(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let mo18 = app.commitment_id("MO0018").await;
        let mo1_milestone = app.query(r#"{ commitment(code: "MO0018") { milestones { id } } }"#, json!({})).await.data()["commitment"]["milestones"][0]["id"].clone();
        let cases = [
            (json!({ "commitmentId": mo18, "body": "   " }), "body"),
            (json!({ "commitmentId": mo18, "body": "x".repeat(2001) }), "body"),
            (json!({ "commitmentId": mo18, "body": "ok", "authorEmail": "not-an-address" }), "authorEmail"),
            (json!({ "commitmentId": mo18, "body": "ok", "notifyOnResponse": true }), "notifyOnResponse"),
        ];
        for (input, field) in cases {
            let reply = app.query(SUBMIT, json!({ "input": input })).await;
            assert_eq!(reply.error_code(), "BAD_USER_INPUT", "{input}");
            assert_eq!(reply.body["errors"][0]["extensions"]["field"], field, "{input}");
            assert!(!reply.body.to_string().contains("not-an-address"), "an error never repeats an email");
        }
        // Each refused attempt counted against the limit; move on a minute.
        app.clock.advance(Duration::minutes(1));
        let more = [
            (json!({ "commitmentId": mo18, "body": "ok", "language": "English" }), "language"),
            (json!({ "commitmentId": mo1_milestone, "body": "ok" }), "commitmentId"),
            (json!({ "commitmentId": app.commitment_id("MO0001").await, "milestoneId": mo1_milestone, "body": "ok" }), "milestoneId"),
            (json!({ "commitmentId": mo18, "parentId": "RmVlZGJhY2s6OTk5", "body": "ok" }), "parentId"),
        ];
        for (input, field) in more {
            let reply = app.query(SUBMIT, json!({ "input": input })).await;
            assert_eq!(reply.error_code(), "BAD_USER_INPUT", "{input}");
            assert_eq!(reply.body["errors"][0]["extensions"]["field"], field, "{input}");
        }
        assert_eq!(stored_feedback(&app).await, 0, "nothing half-written");
    }

    async fn pre_moderated_plans_queue_feedback_out_of_sight(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let admin = app.staff("admin@example.org", &[Role::Admin], None).await;
        let plan = app.query(r#"{ actionPlan(key: "morocco-2018-2020") { id } }"#, json!({})).await.data()["actionPlan"]["id"].clone();
        let reply = app
            .query_as(&admin, "mutation($id: ID!) { updateActionPlan(input: { id: $id, moderationMode: PRE }) { moderationMode } }", json!({ "id": plan }))
            .await;
        assert_eq!(reply.data()["updateActionPlan"]["moderationMode"], "PRE");
        let mo18 = app.commitment_id("MO0018").await;
        let reply = app.query(SUBMIT, comment(&mo18, "Queued please")).await;
        assert_eq!(reply.data()["submitFeedback"], json!({ "status": "QUEUED", "feedback": null }));
        assert_eq!(stored_feedback(&app).await, 1);
        let listed = app.query(LIST, json!({})).await;
        assert_eq!(listed.data()["commitment"]["feedback"]["totalCount"], 0);
        assert_eq!(listed.data()["commitment"]["feedbackSummary"]["total"], 0);
        // A queued comment cannot be replied to, nor found by id.
        let queued = entity::feedback::Entity::find().one(app.conn()).await.expect("query").expect("row");
        let id = ogp_pulse_global_id("Feedback", queued.id);
        let reply = app.query(SUBMIT, json!({ "input": { "commitmentId": mo18, "parentId": id, "body": "reply" } })).await;
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], "parentId");
        let node = app.query("query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
        assert!(node.data()["node"].is_null());
    }

    async fn the_honeypot_is_answered_like_a_success_and_stores_nothing(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let mo18 = app.commitment_id("MO0018").await;
        let reply = app
            .query(SUBMIT, json!({ "input": { "commitmentId": mo18, "body": "Buy cheap pills", "homepage": "http://spam.example" } }))
            .await;
        assert_eq!(reply.data()["submitFeedback"], json!({ "status": "QUEUED", "feedback": null }));
        assert_eq!(stored_feedback(&app).await, 0);
    }

    async fn the_sixth_comment_in_a_minute_is_refused(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let mo18 = app.commitment_id("MO0018").await;
        for n in 1..=5 {
            let reply = app.query(SUBMIT, comment(&mo18, &format!("comment {n}"))).await;
            assert_eq!(reply.data()["submitFeedback"]["status"], "PUBLISHED");
        }
        let reply = app.query(SUBMIT, comment(&mo18, "comment 6")).await;
        assert_eq!(reply.error_code(), "RATE_LIMITED");
        let wait = reply.body["errors"][0]["extensions"]["retryAfterSeconds"].as_u64().expect("retryAfterSeconds");
        assert!((1..=60).contains(&wait), "{wait}");
        // Aliases in one request do not add to the allowance.
        let aliased = format!(
            "mutation($c: ID!) {{ {} }}",
            (1..=3).map(|n| format!("a{n}: submitFeedback(input: {{ commitmentId: $c, body: \"alias {n}\" }}) {{ status }}")).collect::<Vec<_>>().join(" ")
        );
        let reply = app.query(&aliased, json!({ "c": mo18 })).await;
        assert_eq!(reply.error_code(), "RATE_LIMITED");
        assert_eq!(stored_feedback(&app).await, 5);

        app.clock.advance(Duration::minutes(1));
        let reply = app.query(SUBMIT, comment(&mo18, "later")).await;
        assert_eq!(reply.data()["submitFeedback"]["status"], "PUBLISHED");
        // 30 an hour: the minute windows alone would allow more.
        for n in 0..24 {
            app.clock.advance(Duration::seconds(61));
            let reply = app.query(SUBMIT, comment(&mo18, &format!("hourly {n}"))).await;
            assert_eq!(reply.data()["submitFeedback"]["status"], "PUBLISHED", "{n}");
        }
        app.clock.advance(Duration::seconds(61));
        let reply = app.query(SUBMIT, comment(&mo18, "31st this hour")).await;
        assert_eq!(reply.error_code(), "RATE_LIMITED");
    }

    async fn focal_points_answer_officially_on_their_commitment(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let focal = app.staff("amal@example.org", &[Role::FocalPoint], Some("MO0018")).await;
        let mo18 = app.commitment_id("MO0018").await;
        let mo1 = app.commitment_id("MO0001").await;
        let question = submitted_id(&app.query(SUBMIT, comment(&mo18, "When is the plan published?")).await);
        let elsewhere = submitted_id(&app.query(SUBMIT, comment(&mo1, "And this one?")).await);

        let awaiting = app.query(LIST, json!({ "filter": { "awaitingResponse": true } })).await;
        assert_eq!(awaiting.data()["commitment"]["feedback"]["totalCount"], 1);

        app.clock.advance(Duration::hours(2));
        const RESPOND: &str = "mutation($id: ID!, $body: String!) { respondToFeedback(feedbackId: $id, body: $body) { official body depth } }";
        let reply = app.query(RESPOND, json!({ "id": question, "body": "In June." })).await;
        assert_eq!(reply.error_code(), "UNAUTHENTICATED");
        let reply = app.query_as(&focal, RESPOND, json!({ "id": elsewhere, "body": "Not mine" })).await;
        assert_eq!(reply.error_code(), "FORBIDDEN");
        let reply = app.query_as(&focal, RESPOND, json!({ "id": question, "body": "The plan is published in June." })).await;
        assert_eq!(reply.data()["respondToFeedback"], json!({ "official": true, "body": "The plan is published in June.", "depth": 1 }));

        let listed = app.query(LIST, json!({})).await;
        let response = &listed.data()["commitment"]["feedback"]["nodes"][0]["replies"]["nodes"][0];
        assert_eq!(response["official"], true);
        assert_eq!(response["responder"], json!({ "name": "Staff amal@example.org", "title": "Head of Communication Division", "institution": "Ministry of Adminsitration Reform and Civil Service" }));
        let summary = &listed.data()["commitment"]["feedbackSummary"];
        assert_eq!(summary["awaitingResponse"], 0);
        assert_eq!(summary["secondsToFirstResponse"], 7200);
        let answered = app.query(LIST, json!({ "filter": { "awaitingResponse": false } })).await;
        assert_eq!(answered.data()["commitment"]["feedback"]["totalCount"], 1);
    }

    async fn a_hundred_concurrent_submissions_are_a_hundred_items(backend: Backend) {
        let api = ApiArgs { feedback_per_minute: 1000, feedback_per_hour: 1000, ..ApiArgs::default() };
        let app = TestApp::with_pool(backend, api, 5).await;
        ogp_pulse::import::load_bundled_if_empty(app.conn()).await.expect("bundled data");
        let mo18 = app.commitment_id("MO0018").await;
        let replies = join_all((0..100).map(|n| app.query(SUBMIT, comment(&mo18, &format!("concurrent {n}"))))).await;
        for reply in &replies {
            assert_eq!(reply.data()["submitFeedback"]["status"], "PUBLISHED");
        }
        assert_eq!(stored_feedback(&app).await, 100);
        let listed = app.query(LIST, json!({})).await;
        assert_eq!(listed.data()["commitment"]["feedback"]["totalCount"], 100);
    }

    async fn a_comment_is_stored_by_one_statement(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let mo18 = app.commitment_id("MO0018").await;
        let status_only = "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { status } }";
        let before = app.database.db.statements_run();
        let reply = app.query(status_only, comment(&mo18, "Counted")).await;
        assert_eq!(reply.data()["submitFeedback"]["status"], "PUBLISHED");
        assert_eq!(app.database.db.statements_run() - before, 1, "the commitment, its plan's moderation and the insert in one");
        // The same statement finds that a commitment does not exist.
        let before = app.database.db.statements_run();
        let missing = app.query(status_only, comment("Q29tbWl0bWVudDo5OTk5OTk=", "Nowhere")).await;
        assert_eq!(missing.body["errors"][0]["extensions"]["field"], "commitmentId");
        assert_eq!(app.database.db.statements_run() - before, 1);
        assert_eq!(stored_feedback(&app).await, 1);
    }

    async fn no_response_ever_carries_a_commenters_email(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let admin = app.staff("admin@example.org", &[Role::Admin], None).await;
        let focal = app.staff("amal@example.org", &[Role::FocalPoint], Some("MO0018")).await;
        let mo18 = app.commitment_id("MO0018").await;
        let reply = app
            .query(SUBMIT, json!({ "input": { "commitmentId": mo18, "body": "Private", "authorEmail": SECRET_EMAIL, "notifyOnResponse": true } }))
            .await;
        let id = submitted_id(&reply);
        let answered = app.query_as(&focal, "mutation($id: ID!) { respondToFeedback(feedbackId: $id, body: \"Thanks\") { body } }", json!({ "id": id })).await;
        let mut bodies = vec![reply.body.to_string(), answered.body.to_string()];
        for (token, query) in [
            (None, LIST.to_owned()),
            (None, format!("{{ node(id: \"{id}\") {{ ... on Feedback {{ body authorName }} }} }}")),
            (Some(&admin), "{ auditLog { nodes { before after } } }".to_owned()),
        ] {
            let reply = match token {
                Some(token) => app.query_as(token, &query, json!({})).await,
                None => app.query(&query, json!({})).await,
            };
            bodies.push(reply.body.to_string());
        }
        for body in bodies {
            assert!(!body.contains(SECRET_EMAIL), "an email leaked: {body}");
        }

        // And no field of the schema could return one: email fields exist only
        // on staff types, never on anything a citizen wrote.
        let schema = app.query("{ __schema { types { name fields { name } } } }", json!({})).await;
        for ty in schema.data()["__schema"]["types"].as_array().expect("types") {
            for field in ty["fields"].as_array().into_iter().flatten() {
                let name = field["name"].as_str().unwrap_or_default().to_lowercase();
                if name.contains("email") {
                    let owner = ty["name"].as_str().unwrap_or_default();
                    assert!(["Me", "AuditStaff", "FocalPoint"].contains(&owner), "{owner}.{name} may return an email");
                }
            }
        }
    }
}

/// POSTs a query as the visitor holding `token` (the `OGP-Visitor` header).
async fn as_visitor(app: &TestApp, token: &str, query: &str, variables: Value) -> Reply {
    app.post_json(
        "/graphql",
        &json!({ "query": query, "variables": variables }),
        &[("ogp-visitor", token)],
    )
    .await
}

const REPORT: &str =
    "mutation($id: ID!) { reportFeedback(id: $id, reason: SPAM, note: \"advert\") }";
const SUPPORT: &str = "mutation($id: ID!) { supportFeedback(id: $id) { supportCount } }";
const QUEUE: &str = "{ moderationQueue { totalCount nodes { id body moderationState } } }";
const MODERATE: &str = "mutation($id: ID!, $action: ModerationAction!) { moderateFeedback(id: $id, action: $action, reason: \"checked\") { moderationState } }";

on_both_backends! {
    async fn three_distinct_reporters_hide_a_comment_and_moderators_decide(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let moderator = app.staff("moderator@example.org", &[Role::Moderator], None).await;
        let admin = app.staff("admin@example.org", &[Role::Admin], None).await;
        let focal = app.staff("amal@example.org", &[Role::FocalPoint], Some("MO0018")).await;
        let mo18 = app.commitment_id("MO0018").await;
        let id = submitted_id(&app.query(SUBMIT, comment(&mo18, "Visit cheap-pills.example")).await);
        let reply_to_it = submitted_id(&app.query(SUBMIT, json!({ "input": { "commitmentId": mo18, "parentId": id, "body": "Spam!" } })).await);

        // One visitor reporting three times is one report.
        for _ in 0..3 {
            let reply = as_visitor(&app, "visitor-one-token", REPORT, json!({ "id": id })).await;
            assert_eq!(reply.data()["reportFeedback"], true);
        }
        assert_eq!(app.query(LIST, json!({})).await.data()["commitment"]["feedback"]["totalCount"], 1);
        for visitor in ["visitor-two-token", "visitor-three-token"] {
            as_visitor(&app, visitor, REPORT, json!({ "id": id })).await.data();
        }
        assert_eq!(app.query(LIST, json!({})).await.data()["commitment"]["feedback"]["totalCount"], 0, "hidden after three distinct reports");
        let node = app.query("query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
        assert!(node.data()["node"].is_null());
        // Its replies are kept.
        let node = app.query("query($id: ID!) { node(id: $id) { ... on Feedback { body } } }", json!({ "id": reply_to_it })).await;
        assert_eq!(node.data()["node"]["body"], "Spam!");

        assert_eq!(app.query(QUEUE, json!({})).await.error_code(), "UNAUTHENTICATED");
        assert_eq!(app.query_as(&focal, QUEUE, json!({})).await.error_code(), "FORBIDDEN");
        let queue = app.query_as(&moderator, QUEUE, json!({})).await;
        assert_eq!(queue.data()["moderationQueue"]["totalCount"], 1);
        assert_eq!(queue.data()["moderationQueue"]["nodes"][0]["moderationState"], "HIDDEN");

        assert_eq!(app.query_as(&focal, MODERATE, json!({ "id": id, "action": "RESTORE" })).await.error_code(), "FORBIDDEN");
        let restored = app.query_as(&moderator, MODERATE, json!({ "id": id, "action": "RESTORE" })).await;
        assert_eq!(restored.data()["moderateFeedback"]["moderationState"], "PUBLISHED");
        let again = app.query_as(&moderator, MODERATE, json!({ "id": id, "action": "RESTORE" })).await;
        assert_eq!(again.error_code(), "BAD_USER_INPUT");
        let rejected = app.query_as(&moderator, MODERATE, json!({ "id": id, "action": "REJECT_AS_SPAM" })).await;
        assert_eq!(rejected.data()["moderateFeedback"]["moderationState"], "REJECTED");
        assert_eq!(app.query(LIST, json!({})).await.data()["commitment"]["feedback"]["totalCount"], 0);

        let log = app
            .query_as(&admin, r#"{ auditLog(filter: { entity: "feedback" }) { totalCount nodes { action before after staff { email } } } }"#, json!({}))
            .await;
        assert_eq!(log.data()["auditLog"]["totalCount"], 2);
        assert_eq!(log.data()["auditLog"]["nodes"][0]["after"], json!({ "status": "rejected", "reason": "checked" }));
        assert_eq!(log.data()["auditLog"]["nodes"][1]["before"], json!({ "status": "hidden" }));
        assert_eq!(log.data()["auditLog"]["nodes"][1]["staff"]["email"], "moderator@example.org");
    }

    async fn most_supported_first_pages_through_ties(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let mo18 = app.commitment_id("MO0018").await;
        let mut ids = Vec::new();
        for n in 1..=5 {
            ids.push(submitted_id(&app.query(SUBMIT, comment(&mo18, &format!("c{n}"))).await));
        }
        for visitor in ["fan-one-token", "fan-two-token"] {
            as_visitor(&app, visitor, SUPPORT, json!({ "id": ids[2] })).await.data();
        }
        as_visitor(&app, "fan-one-token", SUPPORT, json!({ "id": ids[0] })).await.data();
        const PAGE: &str = r#"query($after: String) { commitment(code: "MO0018") { feedback(first: 2, after: $after, orderBy: MOST_SUPPORTED) { nodes { body supportCount } pageInfo { hasNextPage endCursor } } } }"#;
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let reply = app.query(PAGE, json!({ "after": after })).await;
            let page = reply.data()["commitment"]["feedback"].clone();
            for node in page["nodes"].as_array().expect("nodes") {
                seen.push((node["body"].as_str().expect("body").to_owned(), node["supportCount"].as_i64().expect("count")));
            }
            if page["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        let expected: Vec<(String, i64)> = [("c3", 2), ("c1", 1), ("c5", 0), ("c4", 0), ("c2", 0)]
            .into_iter()
            .map(|(body, count)| (body.to_owned(), count))
            .collect();
        assert_eq!(seen, expected);
    }

    async fn support_counts_each_visitor_once(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let mo18 = app.commitment_id("MO0018").await;
        let id = submitted_id(&app.query(SUBMIT, comment(&mo18, "Good idea")).await);
        for _ in 0..2 {
            let reply = as_visitor(&app, "supporter-one", SUPPORT, json!({ "id": id })).await;
            assert_eq!(reply.data()["supportFeedback"]["supportCount"], 1);
        }
        let reply = as_visitor(&app, "supporter-two", SUPPORT, json!({ "id": id })).await;
        assert_eq!(reply.data()["supportFeedback"]["supportCount"], 2);
        let reply = as_visitor(&app, "supporter-two", SUPPORT, json!({ "id": "RmVlZGJhY2s6OTk5" })).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT");
    }

    async fn pre_moderated_feedback_is_approved_by_a_moderator(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let admin = app.staff("admin@example.org", &[Role::Admin], None).await;
        let moderator = app.staff("moderator@example.org", &[Role::Moderator], None).await;
        let plan = app.query(r#"{ actionPlan(key: "morocco-2018-2020") { id } }"#, json!({})).await.data()["actionPlan"]["id"].clone();
        app.query_as(&admin, "mutation($id: ID!) { updateActionPlan(input: { id: $id, moderationMode: PRE }) { key } }", json!({ "id": plan })).await.data();
        let mo18 = app.commitment_id("MO0018").await;
        app.query(SUBMIT, comment(&mo18, "Please approve")).await.data();
        // Moderators see every item in the commitment's list; the public does not.
        let public = app.query(LIST, json!({})).await;
        assert_eq!(public.data()["commitment"]["feedback"]["totalCount"], 0);
        let seen = app.query_as(&moderator, LIST, json!({})).await;
        assert_eq!(seen.data()["commitment"]["feedback"]["totalCount"], 1);
        let queue = app.query_as(&moderator, QUEUE, json!({})).await;
        let item = queue.data()["moderationQueue"]["nodes"][0].clone();
        assert_eq!(item["moderationState"], "QUEUED");
        let approved = app.query_as(&moderator, MODERATE, json!({ "id": item["id"], "action": "APPROVE" })).await;
        assert_eq!(approved.data()["moderateFeedback"]["moderationState"], "PUBLISHED");
        let listed = app.query(LIST, json!({})).await;
        assert_eq!(listed.data()["commitment"]["feedback"]["nodes"][0]["body"], "Please approve");
        assert_eq!(app.query_as(&moderator, QUEUE, json!({})).await.data()["moderationQueue"]["totalCount"], 0);
    }

    async fn an_admin_erases_a_citizens_personal_data_on_request(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let admin = app.staff("admin@example.org", &[Role::Admin], None).await;
        let moderator = app.staff("moderator@example.org", &[Role::Moderator], None).await;
        let mo18 = app.commitment_id("MO0018").await;
        app.query(SUBMIT, json!({ "input": { "commitmentId": mo18, "body": "Mine", "authorName": "Fatima", "authorEmail": SECRET_EMAIL, "notifyOnResponse": true } })).await.data();
        const ERASE: &str = "mutation($email: String!) { eraseFeedbackAuthorData(email: $email) }";
        let upper = SECRET_EMAIL.to_uppercase();
        assert_eq!(app.query_as(&moderator, ERASE, json!({ "email": upper })).await.error_code(), "FORBIDDEN");
        let reply = app.query_as(&admin, ERASE, json!({ "email": upper })).await;
        assert_eq!(reply.data()["eraseFeedbackAuthorData"], 1);
        let row = entity::feedback::Entity::find().one(app.conn()).await.expect("query").expect("row");
        assert_eq!((row.author_name, row.author_email, row.notify_on_response), (None, None, false));
        assert_eq!(row.body, "Mine", "the text stays");
        let log = app.query_as(&admin, "{ auditLog { nodes { entity after } } }", json!({})).await;
        assert!(!log.body.to_string().to_lowercase().contains(SECRET_EMAIL), "the log never names whose data");
        assert_eq!(log.data()["auditLog"]["nodes"][0]["after"], json!({ "erasedItems": 1 }));
    }
}

fn ogp_pulse_global_id(kind: &str, id: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{kind}:{id}"))
}
