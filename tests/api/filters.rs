//! Filters of the commitments connection.

use serde_json::{Value, json};

use crate::support::{TestApp, all_codes, codes, on_both_backends};

const FILTERED: &str = r#"query Filtered($filter: CommitmentFilter) {
    commitments(first: 100, filter: $filter) { totalCount nodes { code } }
}"#;

async fn filtered(app: &TestApp, filter: Value) -> Vec<String> {
    let reply = app.query(FILTERED, json!({ "filter": filter })).await;
    let connection = &reply.data()["commitments"];
    let found = codes(connection);
    assert_eq!(
        connection["totalCount"],
        found.len(),
        "totalCount agrees with the filter"
    );
    found
}

async fn id_of(app: &TestApp, query: &str, pointer: &str) -> Value {
    let reply = app.query(query, json!({})).await;
    reply
        .data()
        .pointer(pointer)
        .cloned()
        .unwrap_or_else(|| panic!("no {pointer} in {}", reply.body))
}

on_both_backends! {
    async fn by_policy_area_status_and_text(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        assert_eq!(filtered(&app, json!({ "policyArea": "e-government" })).await, ["MO0008", "MO0009", "MO0013", "MO0019", "MO0020", "MO0023"]);
        assert_eq!(filtered(&app, json!({ "policyArea": "Legislative" })).await, ["MO0022", "MO0024"]);
        assert_eq!(filtered(&app, json!({ "policyArea": "Space Exploration" })).await, Vec::<String>::new());
        assert_eq!(filtered(&app, json!({ "status": "ACTIVE" })).await, all_codes());
        assert_eq!(filtered(&app, json!({ "status": "WITHDRAWN" })).await, Vec::<String>::new());
        assert_eq!(filtered(&app, json!({ "search": "portal" })).await, ["MO0006", "MO0007", "MO0013"]);
        assert_eq!(filtered(&app, json!({ "search": "  Budget  " })).await, ["MO0011", "MO0012"]);
        assert_eq!(filtered(&app, json!({ "search": "mo0018" })).await, ["MO0018"]);
        // Text of a description section, not of a title.
        assert_eq!(filtered(&app, json!({ "search": "missed opportunity" })).await, ["MO0018"]);
        // LIKE wildcards in user text match themselves only.
        assert_eq!(filtered(&app, json!({ "search": "%" })).await, Vec::<String>::new());
        assert_eq!(filtered(&app, json!({ "search": "_" })).await, Vec::<String>::new());
        assert_eq!(filtered(&app, json!({ "search": "portal", "policyArea": "E-Government" })).await, ["MO0013"]);
    }

    async fn by_action_plan_and_institution_ids(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let plan = id_of(&app, r#"{ actionPlan(key: "morocco-2018-2020") { id } }"#, "/actionPlan/id").await;
        assert_eq!(filtered(&app, json!({ "actionPlanId": plan })).await, all_codes());
        let lead = id_of(&app, r#"{ commitment(code: "MO0018") { leadInstitution { id } } }"#, "/commitment/leadInstitution/id").await;
        assert_eq!(filtered(&app, json!({ "institutionId": lead })).await, ["MO0018"]);
        let support = id_of(&app, r#"{ commitment(code: "MO0018") { supportInstitutions { id } } }"#, "/commitment/supportInstitutions/1/id").await;
        assert_eq!(filtered(&app, json!({ "institutionId": support })).await, ["MO0018"]);

        // An id of the wrong type is refused, naming the field.
        let commitment = id_of(&app, r#"{ commitment(code: "MO0001") { id } }"#, "/commitment/id").await;
        let reply = app.query(FILTERED, json!({ "filter": { "actionPlanId": commitment } })).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT");
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], "filter.actionPlanId");
    }

    async fn nested_lists_apply_their_parent(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let reply = app
            .query(
                r#"{ policyAreas(first: 10) { nodes { name commitments(first: 100, filter: { search: "portal" }) { totalCount nodes { code } } } } }"#,
                json!({}),
            )
            .await;
        let areas = reply.data()["policyAreas"]["nodes"].as_array().expect("nodes").clone();
        let e_gov = areas.iter().find(|a| a["name"] == "E-Government").expect("E-Government");
        assert_eq!(codes(&e_gov["commitments"]), ["MO0013"]);
        let capacity = areas.iter().find(|a| a["name"] == "Capacity Building").expect("Capacity Building");
        assert_eq!(codes(&capacity["commitments"]), ["MO0007"]);

        let reply = app
            .query(r#"{ policyAreas(first: 1) { nodes { commitments(filter: { policyArea: "Legislative" }) { totalCount } } } }"#, json!({}))
            .await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT");
    }

    async fn an_overlong_search_is_refused(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let reply = app.query(FILTERED, json!({ "filter": { "search": "x".repeat(201) } })).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT");
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], "filter.search");
    }
}
