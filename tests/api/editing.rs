//! The catalogue's write side: who may do what, input checks that name the
//! field, and an audit entry for every write.

use ogp_pulse::staff::Role;
use serde_json::{Value, json};

use crate::support::{Reply, TestApp, on_both_backends};

/// Tokens of every kind of caller, on the bundled plan.
struct Callers {
    admin: String,
    moderator: String,
    /// The focal point of MO0018.
    focal_point: String,
}

async fn callers(app: &TestApp) -> Callers {
    Callers {
        admin: app.staff("admin@example.org", &[Role::Admin], None).await,
        moderator: app
            .staff("moderator@example.org", &[Role::Moderator], None)
            .await,
        focal_point: app
            .staff("amal@example.org", &[Role::FocalPoint], Some("MO0018"))
            .await,
    }
}

async fn as_caller(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Reply {
    match token {
        Some(token) => app.query_as(token, query, variables).await,
        None => app.query(query, variables).await,
    }
}

/// `None` when the operation succeeded, else its error code.
fn outcome(reply: &Reply) -> Option<String> {
    reply.body["errors"][0]["extensions"]["code"]
        .as_str()
        .map(str::to_owned)
}

async fn audit_count(app: &TestApp, admin: &str) -> u64 {
    let reply = app
        .query_as(admin, "{ auditLog { totalCount } }", json!({}))
        .await;
    reply.data()["auditLog"]["totalCount"]
        .as_u64()
        .expect("totalCount")
}

async fn first_milestone(app: &TestApp, code: &str) -> String {
    let reply = app
        .query(
            "query($code: String!) { commitment(code: $code) { milestones { id } } }",
            json!({ "code": code }),
        )
        .await;
    reply.data()["commitment"]["milestones"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{code} has no milestone"))
        .to_owned()
}

async fn id_of(app: &TestApp, query: &str, pointer: &str) -> Value {
    let reply = app.query(query, json!({})).await;
    reply
        .data()
        .pointer(pointer)
        .cloned()
        .unwrap_or_else(|| panic!("no {pointer} in {}", reply.body))
}

const CREATE_MILESTONE: &str = "mutation($input: CreateMilestoneInput!) { createMilestone(input: $input) { id position title startDate commitment { code } } }";
const UPDATE_MILESTONE: &str = "mutation($input: UpdateMilestoneInput!) { updateMilestone(input: $input) { id status startDate endDate title } }";
const UPDATE_COMMITMENT: &str = "mutation($input: UpdateCommitmentInput!) { updateCommitment(input: $input) { code status title } }";

on_both_backends! {
    async fn each_role_against_each_write(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = callers(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let mo1 = app.commitment_id("MO0001").await;
        let mo18_milestone = first_milestone(&app, "MO0018").await;
        let plan = id_of(&app, r#"{ actionPlan(key: "morocco-2018-2020") { id } }"#, "/actionPlan/id").await;
        let institution = id_of(&app, r#"{ commitment(code: "MO0018") { leadInstitution { id } } }"#, "/commitment/leadInstitution/id").await;
        let focal = id_of(&app, "{ focalPoints { nodes { id } } }", "/focalPoints/nodes/0/id").await;
        let area = id_of(&app, "{ policyAreas { nodes { id } } }", "/policyAreas/nodes/0/id").await;

        // (name, document, variables, may the MO0018 focal point do it?)
        let mut counter = 0;
        let operations = |counter: &mut i32| -> Vec<(&'static str, String, Value, bool)> {
            *counter += 1;
            let n = *counter;
            vec![
                ("create a milestone on MO0018", CREATE_MILESTONE.to_owned(),
                    json!({ "input": { "commitmentId": mo18, "title": [{ "language": "en", "text": format!("Report {n}") }] } }), true),
                ("create a milestone on MO0001", CREATE_MILESTONE.to_owned(),
                    json!({ "input": { "commitmentId": mo1, "title": [{ "language": "en", "text": "Elsewhere" }] } }), false),
                ("update an MO0018 milestone", UPDATE_MILESTONE.to_owned(),
                    json!({ "input": { "id": mo18_milestone, "status": if n % 2 == 0 { "IN_PROGRESS" } else { "COMPLETED" } } }), true),
                ("update MO0018", UPDATE_COMMITMENT.to_owned(),
                    json!({ "input": { "id": mo18, "description": [{ "language": "en", "text": format!("Revised {n}") }] } }), true),
                ("update MO0001", UPDATE_COMMITMENT.to_owned(),
                    json!({ "input": { "id": mo1, "status": "COMPLETED" } }), false),
                ("change MO0018's lead institution", UPDATE_COMMITMENT.to_owned(),
                    json!({ "input": { "id": mo18, "leadInstitutionId": null } }), false),
                ("create a commitment", "mutation($input: CreateCommitmentInput!) { createCommitment(input: $input) { code } }".to_owned(),
                    json!({ "input": { "actionPlanId": plan, "code": format!("MO90{n:02}"), "title": [{ "language": "en", "text": "New" }] } }), false),
                ("link a focal point", "mutation($c: ID!, $f: ID!) { linkFocalPoint(commitmentId: $c, focalPointId: $f) { code } }".to_owned(),
                    json!({ "c": mo1, "f": focal }), false),
                ("unlink a focal point", "mutation($c: ID!, $f: ID!) { unlinkFocalPoint(commitmentId: $c, focalPointId: $f) { code } }".to_owned(),
                    json!({ "c": mo1, "f": focal }), false),
                ("create an institution", "mutation($input: CreateInstitutionInput!) { createInstitution(input: $input) { key } }".to_owned(),
                    json!({ "input": { "key": format!("ministry-{n}"), "kind": "GOVERNMENT", "name": [{ "language": "en", "text": "Ministry" }] } }), false),
                ("update an institution", "mutation($input: UpdateInstitutionInput!) { updateInstitution(input: $input) { key } }".to_owned(),
                    json!({ "input": { "id": institution, "abbreviation": format!("M{n}") } }), false),
                ("create a policy area", "mutation($name: String!) { createPolicyArea(name: $name) { name } }".to_owned(),
                    json!({ "name": format!("Open Justice {n}") }), false),
                ("rename a policy area", "mutation($id: ID!, $name: String!) { renamePolicyArea(id: $id, name: $name) { name } }".to_owned(),
                    json!({ "id": area, "name": format!("Access to Information {n}") }), false),
                ("create a focal point", "mutation($input: CreateFocalPointInput!) { createFocalPoint(input: $input) { name } }".to_owned(),
                    json!({ "input": { "key": format!("contact-{n}"), "name": "Contact" } }), false),
                ("update a focal point", "mutation($input: UpdateFocalPointInput!) { updateFocalPoint(input: $input) { phone } }".to_owned(),
                    json!({ "input": { "id": focal, "phone": format!("+212 {n}") } }), false),
                ("create an action plan", "mutation($input: CreateActionPlanInput!) { createActionPlan(input: $input) { key } }".to_owned(),
                    json!({ "input": { "key": format!("morocco-2021-{n}"), "countryIsoCode": "MA", "cycleYear": 2021, "title": [{ "language": "en", "text": "Morocco Action Plan 2021-2023" }] } }), false),
                ("update an action plan", "mutation($input: UpdateActionPlanInput!) { updateActionPlan(input: $input) { key } }".to_owned(),
                    json!({ "input": { "id": plan, "status": if n % 2 == 0 { "IN_IMPLEMENTATION" } else { "COMPLETED" } } }), false),
            ]
        };

        for (caller, token) in [
            ("anonymous", None),
            ("moderator", Some(who.moderator.as_str())),
            ("focal point", Some(who.focal_point.as_str())),
            ("admin", Some(who.admin.as_str())),
        ] {
            for (operation, document, variables, focal_point_may) in operations(&mut counter) {
                let before = audit_count(&app, &who.admin).await;
                let reply = as_caller(&app, token, &document, variables).await;
                let expected = match caller {
                    "anonymous" => Some("UNAUTHENTICATED"),
                    "admin" => None,
                    "focal point" if focal_point_may => None,
                    _ => Some("FORBIDDEN"),
                };
                assert_eq!(outcome(&reply).as_deref(), expected, "{caller} may {operation}? {}", reply.body);
                let written = audit_count(&app, &who.admin).await - before;
                assert_eq!(written, u64::from(expected.is_none()), "{caller} / {operation}: audit entries written");
            }
        }
    }

    async fn writes_are_visible_and_audited_with_before_and_after(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = callers(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let reply = app
            .query_as(&who.focal_point, CREATE_MILESTONE, json!({ "input": {
                "commitmentId": mo18,
                "title": [{ "language": "en", "text": "Publish the assessment" }, { "language": "fr", "text": "Publier l'évaluation" }],
                "startDate": "2020-07", "endDate": "2020-08"
            } }))
            .await;
        let created = reply.data()["createMilestone"].clone();
        assert_eq!(created["position"], 4);
        assert_eq!(created["commitment"]["code"], "MO0018");
        let reply = app
            .query_as(&who.focal_point, UPDATE_MILESTONE, json!({ "input": { "id": created["id"], "status": "IN_PROGRESS", "endDate": null } }))
            .await;
        assert_eq!(reply.data()["updateMilestone"]["status"], "IN_PROGRESS");
        assert!(reply.data()["updateMilestone"]["endDate"].is_null());
        assert_eq!(reply.data()["updateMilestone"]["startDate"], "2020-07");

        // Public readers see the change at once, in each language.
        let reply = app
            .query_with_headers("/graphql?lang=fr", r#"{ commitment(code: "MO0018") { milestones { title status } } }"#, &[])
            .await;
        assert_eq!(reply.data()["commitment"]["milestones"][3], json!({ "title": "Publier l'évaluation", "status": "IN_PROGRESS" }));

        let reply = app
            .query_as(&who.admin, r#"{ auditLog(first: 10, filter: { entity: "milestone" }) { totalCount nodes { action entity before after staff { email } } } }"#, json!({}))
            .await;
        let log = &reply.data()["auditLog"];
        assert_eq!(log["totalCount"], 2);
        let update = &log["nodes"][0];
        assert_eq!(update["action"], "update");
        assert_eq!(update["staff"]["email"], "amal@example.org");
        assert_eq!(update["before"]["milestone"]["status"], Value::Null);
        assert_eq!(update["before"]["milestone"]["end_date"], "2020-08");
        assert_eq!(update["after"]["milestone"]["status"], "in_progress");
        assert_eq!(update["after"]["milestone"]["end_date"], Value::Null);
        let create = &log["nodes"][1];
        assert_eq!(create["action"], "create");
        assert!(create["before"].is_null());
        assert_eq!(create["after"]["title"]["fr"], "Publier l'évaluation");

        // A write that changes nothing records nothing.
        let reply = app
            .query_as(&who.focal_point, UPDATE_MILESTONE, json!({ "input": { "id": created["id"], "status": "IN_PROGRESS" } }))
            .await;
        assert!(reply.body.get("errors").is_none(), "{}", reply.body);
        assert_eq!(audit_count(&app, &who.admin).await, 2);
    }

    async fn inputs_are_checked_and_errors_name_the_field(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = callers(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let plan = id_of(&app, r#"{ actionPlan(key: "morocco-2018-2020") { id } }"#, "/actionPlan/id").await;
        let cases = [
            (CREATE_MILESTONE, json!({ "input": { "commitmentId": mo18, "title": [] } }), "title"),
            (CREATE_MILESTONE, json!({ "input": { "commitmentId": mo18, "title": [{ "language": "en", "text": "x" }], "startDate": "2020-05", "endDate": "2019-01" } }), "endDate"),
            (CREATE_MILESTONE, json!({ "input": { "commitmentId": mo18, "title": [{ "language": "english", "text": "x" }] } }), "title[0].language"),
            (CREATE_MILESTONE, json!({ "input": { "commitmentId": mo18, "title": [{ "language": "en", "text": "   " }] } }), "title.en"),
            (CREATE_MILESTONE, json!({ "input": { "commitmentId": mo18, "title": [{ "language": "en", "text": "x".repeat(501) }] } }), "title.en"),
            (CREATE_MILESTONE, json!({ "input": { "commitmentId": plan, "title": [{ "language": "en", "text": "x" }] } }), "commitmentId"),
            (UPDATE_COMMITMENT, json!({ "input": { "id": mo18, "ogpRelevance": [{ "language": "fr", "text": "Pertinence" }] } }), "title.fr"),
            ("mutation($input: CreateCommitmentInput!) { createCommitment(input: $input) { code } }",
                json!({ "input": { "actionPlanId": plan, "code": "MO0018", "title": [{ "language": "en", "text": "Duplicate" }] } }), "code"),
            ("mutation($input: CreateCommitmentInput!) { createCommitment(input: $input) { code } }",
                json!({ "input": { "actionPlanId": plan, "code": "mo 25", "title": [{ "language": "en", "text": "Bad code" }] } }), "code"),
            ("mutation($input: CreateInstitutionInput!) { createInstitution(input: $input) { key } }",
                json!({ "input": { "key": "mrafp", "kind": "GOVERNMENT", "name": [{ "language": "en", "text": "Again" }] } }), "key"),
            ("mutation($input: CreateFocalPointInput!) { createFocalPoint(input: $input) { key } }",
                json!({ "input": { "key": "contact", "name": "Contact", "email": "not an address" } }), "email"),
            ("mutation($name: String!) { createPolicyArea(name: $name) { name } }", json!({ "name": "E-Government" }), "name"),
        ];
        for (document, variables, field) in cases {
            let reply = app.query_as(&who.admin, document, variables.clone()).await;
            assert_eq!(outcome(&reply).as_deref(), Some("BAD_USER_INPUT"), "{variables}: {}", reply.body);
            assert_eq!(reply.body["errors"][0]["extensions"]["field"], field, "{variables}");
        }
        assert_eq!(audit_count(&app, &who.admin).await, 0, "refused writes leave no trace");
        // Nothing was half-written either.
        let reply = app.query(r#"{ commitment(code: "MO0018") { milestones { title } } }"#, json!({})).await;
        assert_eq!(reply.data()["commitment"]["milestones"].as_array().map(Vec::len), Some(3));
    }
}
