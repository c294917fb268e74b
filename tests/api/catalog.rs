//! The read API over the bundled Morocco 2018-2020 plan.

use serde_json::json;

use crate::support::{TestApp, all_codes, codes, on_both_backends};

on_both_backends! {
    async fn the_documented_commitment_query_answers_mo0018_with_three_milestones(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let reply = app
            .query(
                r#"{ commitment(code: "MO0018") { code title leadInstitution { name } policyAreas { name } milestones { title startDate endDate } } }"#,
                json!({}),
            )
            .await;
        assert_eq!(
            reply.data()["commitment"],
            json!({
                "code": "MO0018",
                "title": "Communicating at a Large Scale About Morocco’S Joining the OGP and its Progress in Terms of Open Government",
                "leadInstitution": { "name": "Ministry of Administration Reform and Civil Service" },
                "policyAreas": [],
                "milestones": [
                    { "title": "Development of a communication plan about Open Government", "startDate": "2018-09", "endDate": "2018-10" },
                    { "title": "Implementation of the communication plan", "startDate": "2018-10", "endDate": "2019-12" },
                    { "title": "Assessment of the communications actions carried out", "startDate": "2020-01", "endDate": "2020-06" }
                ]
            })
        );
    }

    async fn the_documented_list_query_answers_the_six_e_government_commitments(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let reply = app
            .query(
                r#"{ commitments(first: 10, filter: { policyArea: "E-Government" }) { totalCount nodes { code title } pageInfo { hasNextPage endCursor } } }"#,
                json!({}),
            )
            .await;
        let commitments = &reply.data()["commitments"];
        assert_eq!(commitments["totalCount"], 6);
        assert_eq!(codes(commitments), ["MO0008", "MO0009", "MO0013", "MO0019", "MO0020", "MO0023"]);
        assert_eq!(commitments["nodes"][0]["title"], "Public Service Framework");
        assert_eq!(commitments["pageInfo"]["hasNextPage"], false);
        assert!(commitments["pageInfo"]["endCursor"].is_string());
    }

    async fn mo0018_is_served_in_full_as_the_page_gives_it(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let reply = app
            .query(
                r#"{ commitment(code: "MO0018") {
                    fullTitle status startDate endDate language
                    publicProblem description howItContributes ogpRelevance additionalInformation
                    actionPlan { key title cycleYear startDate status country { isoCode name } }
                    leadInstitution { key abbreviation kind }
                    supportInstitutions { name kind }
                    focalPoints { name title department email phone commitments { code } }
                    relatedCommitments { code }
                    irmReview { pending report starred earlyResults verifiable relevantToOgpValues potentialImpact completion }
                    milestones { position status commitment { code } }
                } }"#,
                json!({}),
            )
            .await;
        let c = &reply.data()["commitment"];
        assert_eq!(c["fullTitle"], "Communicating at a large scale about Morocco’s joining the OGP and its progress in terms of Open Government");
        assert_eq!(c["status"], "ACTIVE");
        assert_eq!(c["startDate"], "2018-09");
        assert_eq!(c["endDate"], "2020-08");
        assert_eq!(c["language"], "en");
        assert!(c["publicProblem"].as_str().is_some_and(|t| t.starts_with("Morocco recently joined the Open Government Partnership (OGP).")));
        assert!(c["description"].as_str().is_some_and(|t| t.contains("developing and implementing a communication plan")));
        assert!(c["howItContributes"].as_str().is_some_and(|t| t.contains("decisive support measure")));
        assert!(c["ogpRelevance"].as_str().is_some_and(|t| t.starts_with("Raising awareness of the general public")));
        assert_eq!(c["additionalInformation"], "Related commitments: all commitments");
        assert_eq!(
            c["actionPlan"],
            json!({ "key": "morocco-2018-2020", "title": "Morocco Action Plan 2018-2020", "cycleYear": 2018, "startDate": null, "status": null, "country": { "isoCode": "MA", "name": "Morocco" } })
        );
        assert_eq!(c["leadInstitution"], json!({ "key": "mrafp", "abbreviation": "MRAFP", "kind": "GOVERNMENT" }));
        assert_eq!(
            c["supportInstitutions"],
            json!([{ "name": "Government departments", "kind": "GOVERNMENT" }, { "name": "Civil society", "kind": "CIVIL_SOCIETY" }])
        );
        assert_eq!(
            c["focalPoints"],
            json!([{
                "name": "Ms Amal ALAMI",
                "title": "Head of Communication Division",
                "department": "Ministry of Adminsitration Reform and Civil Service",
                "email": "a.alami@mmsp.gov.ma",
                "phone": "+212 5 37 67 98 46",
                "commitments": [{ "code": "MO0018" }]
            }])
        );
        let related: Vec<String> = all_codes().into_iter().filter(|code| code != "MO0018").collect();
        assert_eq!(codes(&json!({ "nodes": c["relatedCommitments"] })), related);
        assert_eq!(
            c["irmReview"],
            json!({ "pending": true, "report": null, "starred": null, "earlyResults": null, "verifiable": null, "relevantToOgpValues": null, "potentialImpact": null, "completion": null })
        );
        assert_eq!(
            c["milestones"],
            json!([
                { "position": 1, "status": null, "commitment": { "code": "MO0018" } },
                { "position": 2, "status": null, "commitment": { "code": "MO0018" } },
                { "position": 3, "status": null, "commitment": { "code": "MO0018" } }
            ])
        );
    }

    async fn all_24_commitments_are_listed_with_their_policy_areas(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let reply = app
            .query("{ commitments(first: 100) { totalCount nodes { code policyAreas { name } } } }", json!({}))
            .await;
        let commitments = &reply.data()["commitments"];
        assert_eq!(commitments["totalCount"], 24);
        assert_eq!(codes(commitments), all_codes());
        let area_of = |code: &str| {
            commitments["nodes"]
                .as_array()
                .and_then(|nodes| nodes.iter().find(|n| n["code"] == code))
                .map(|n| n["policyAreas"].clone())
        };
        assert_eq!(area_of("MO0012"), Some(json!([{ "name": "Anti-Corruption" }])));
        assert_eq!(area_of("MO0011"), Some(json!([{ "name": "Fiscal Openness" }])));
        assert_eq!(area_of("MO0018"), Some(json!([])));
    }

    async fn other_lists_are_connections_too(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let reply = app
            .query(
                r#"{
                    countries { totalCount nodes { isoCode actionPlans { key } } }
                    actionPlans(countryIsoCode: "ma") { totalCount nodes { key commitments(first: 2) { totalCount nodes { code } } } }
                    institutions(kind: GOVERNMENT) { totalCount nodes { key } }
                    policyAreas { totalCount nodes { name } }
                    focalPoints { totalCount nodes { name } }
                    actionPlan(key: "morocco-2018-2020") { title }
                    missing: commitment(code: "XX9999") { code }
                }"#,
                json!({}),
            )
            .await;
        let data = reply.data();
        assert_eq!(data["countries"], json!({ "totalCount": 1, "nodes": [{ "isoCode": "MA", "actionPlans": [{ "key": "morocco-2018-2020" }] }] }));
        assert_eq!(data["actionPlans"]["nodes"][0]["commitments"], json!({ "totalCount": 24, "nodes": [{ "code": "MO0001" }, { "code": "MO0002" }] }));
        assert_eq!(data["institutions"], json!({ "totalCount": 2, "nodes": [{ "key": "government-departments" }, { "key": "mrafp" }] }));
        let areas: Vec<&str> = data["policyAreas"]["nodes"].as_array().expect("nodes").iter().filter_map(|n| n["name"].as_str()).collect();
        assert_eq!(areas, ["Access to Information", "Anti-Corruption", "Capacity Building", "E-Government", "Fiscal Openness", "Legislative"]);
        assert_eq!(data["focalPoints"]["totalCount"], 1);
        assert_eq!(data["actionPlan"]["title"], "Morocco Action Plan 2018-2020");
        assert!(data["missing"].is_null());
    }
}
