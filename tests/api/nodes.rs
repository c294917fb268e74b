//! Relay global ids: every entity is reachable through `node(id:)`.

use serde_json::json;

use crate::support::{TestApp, on_both_backends};

on_both_backends! {
    async fn every_entity_round_trips_through_node(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let reply = app
            .query(
                r#"{ commitment(code: "MO0018") {
                    id code
                    actionPlan { id key country { id isoCode } }
                    leadInstitution { id key }
                    milestones { id position }
                    focalPoints { id name }
                } policyAreas(first: 1) { nodes { id name } } }"#,
                json!({}),
            )
            .await;
        let data = reply.data().clone();
        let c = &data["commitment"];
        let expectations = [
            (c["id"].clone(), "... on Commitment { code }", json!({ "code": "MO0018" })),
            (c["actionPlan"]["id"].clone(), "... on ActionPlan { key }", json!({ "key": "morocco-2018-2020" })),
            (c["actionPlan"]["country"]["id"].clone(), "... on Country { isoCode }", json!({ "isoCode": "MA" })),
            (c["leadInstitution"]["id"].clone(), "... on Institution { key }", json!({ "key": "mrafp" })),
            (c["milestones"][2]["id"].clone(), "... on Milestone { position }", json!({ "position": 3 })),
            (c["focalPoints"][0]["id"].clone(), "... on FocalPoint { name }", json!({ "name": "Ms Amal ALAMI" })),
            (data["policyAreas"]["nodes"][0]["id"].clone(), "... on PolicyArea { name }", json!({ "name": "Access to Information" })),
        ];
        for (id, fragment, expected) in expectations {
            let reply = app.query(&format!("query($id: ID!) {{ node(id: $id) {{ {fragment} }} }}"), json!({ "id": id })).await;
            assert_eq!(reply.data()["node"], expected, "{fragment}");
        }
        let ids = json!([c["id"], "bm90IGFuIGlk", c["leadInstitution"]["id"]]);
        let reply = app.query("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", json!({ "ids": ids })).await;
        assert_eq!(reply.data()["nodes"], json!([{ "id": c["id"] }, null, { "id": c["leadInstitution"]["id"] }]));
    }

    async fn unknown_ids_are_null_and_too_many_are_refused(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        // "Commitment:999999" and things that are not ids at all.
        for id in ["Q29tbWl0bWVudDo5OTk5OTk=", "not base64!", "U3RhZmY6MQ=="] {
            let reply = app.query("query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
            assert!(reply.data()["node"].is_null(), "{id}");
        }
        let ids: Vec<String> = (0..101).map(|n| format!("id{n}")).collect();
        let reply = app.query("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", json!({ "ids": ids })).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT");
    }
}
