//! Awareness campaigns, their activities and metrics through the API: who may
//! write them, an audit entry for every write, input checks that name the
//! field, public reads, the bundled campaign, `Campaign.summary`, global ids,
//! and metrics that are corrected (never added up) when recorded again.
//!
//! The fixture helpers here are shared with `awareness` and `metrics_cli`.

use base64::Engine;
use chrono::{DateTime, Utc};
use ogp_pulse::{clock::Clock, config::ApiArgs, staff::Role};
use serde_json::{Value, json};

use crate::support::{Backend, Reply, TestApp, on_both_backends};

pub const CREATE_CAMPAIGN: &str = "mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id title objective targetAudience languages startDate endDate status institution { key } budget { amount currency } commitments { code } milestones { id } } }";
pub const UPDATE_CAMPAIGN: &str = "mutation($input: UpdateCampaignInput!) { updateCampaign(input: $input) { id title objective targetAudience languages startDate endDate status institution { key } budget { amount currency } commitments { code } milestones { id } } }";
pub const DELETE_CAMPAIGN: &str = "mutation($id: ID!) { deleteCampaign(id: $id) }";
pub const CREATE_ACTIVITY: &str = "mutation($input: CreateCampaignActivityInput!) { createCampaignActivity(input: $input) { id channel title startDate endDate region language link notes campaign { id } } }";
pub const UPDATE_ACTIVITY: &str = "mutation($input: UpdateCampaignActivityInput!) { updateCampaignActivity(input: $input) { id channel title startDate endDate region language link notes campaign { id } } }";
pub const DELETE_ACTIVITY: &str = "mutation($id: ID!) { deleteCampaignActivity(id: $id) }";
pub const RECORD_METRICS: &str = "mutation($input: [AwarenessMetricInput!]!) { recordAwarenessMetrics(input: $input) { created corrected unchanged metrics { id kind value periodStart periodEnd source activity { id } } } }";
pub const DELETE_METRIC: &str = "mutation($id: ID!) { deleteAwarenessMetric(id: $id) }";

const SUMMARY: &str = "query($id: ID!) { node(id: $id) { ... on Campaign { summary { activities reach totals { channel kind value } budget { amount currency } costPerReach firstActivity lastActivity } } } }";

const NODE: &str = "query($id: ID!) { node(id: $id) { __typename id } }";

/// The bundled catalogue, with limits on public writes high enough for
/// fixtures where many citizens answer from the test client's one address.
pub async fn bundled_app(backend: Backend) -> TestApp {
    let api = ApiArgs {
        feedback_per_minute: 1000,
        feedback_per_hour: 1000,
        ..ApiArgs::default()
    };
    let app = TestApp::with_api(backend, api).await;
    ogp_pulse::import::load_bundled_if_empty(app.conn())
        .await
        .expect("the bundled catalogue imports");
    app
}

/// A global id as the service encodes them: base64 of `Type:number`.
pub fn global_id(kind: &str, number: i64) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{kind}:{number}"))
}

/// The `Type:number` a global id encodes.
pub fn decoded(id: &Value) -> String {
    let text = id.as_str().unwrap_or_else(|| panic!("not an id: {id}"));
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap_or_else(|err| panic!("{text} is not base64: {err}"));
    String::from_utf8(bytes).expect("a UTF-8 global id")
}

/// The database number behind a global id.
pub fn number(id: &Value) -> i64 {
    let decoded = decoded(id);
    decoded
        .split_once(':')
        .and_then(|(_, number)| number.parse().ok())
        .unwrap_or_else(|| panic!("not a global id: {decoded}"))
}

/// `extensions.field` of the first error.
pub fn error_field(reply: &Reply) -> &Value {
    &reply.body["errors"][0]["extensions"]["field"]
}

/// `None` when the operation succeeded, else its error code.
pub fn outcome(reply: &Reply) -> Option<String> {
    reply.body["errors"][0]["extensions"]["code"]
        .as_str()
        .map(str::to_owned)
}

pub async fn as_caller(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Reply {
    match token {
        Some(token) => app.query_as(token, query, variables).await,
        None => app.query(query, variables).await,
    }
}

/// The string at `pointer` in the data of a successful answer.
pub fn text_at(reply: &Reply, pointer: &str) -> String {
    reply
        .data()
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no {pointer} in {}", reply.body))
        .to_owned()
}

pub async fn plan_id(app: &TestApp) -> String {
    let reply = app
        .query(
            r#"{ actionPlan(key: "morocco-2018-2020") { id } }"#,
            json!({}),
        )
        .await;
    text_at(&reply, "/actionPlan/id")
}

/// The ids of a commitment's milestones, by position.
pub async fn milestone_ids(app: &TestApp, code: &str) -> Vec<String> {
    let reply = app
        .query(
            "query($code: String!) { commitment(code: $code) { milestones { id } } }",
            json!({ "code": code }),
        )
        .await;
    reply.data()["commitment"]["milestones"]
        .as_array()
        .unwrap_or_else(|| panic!("no milestones: {}", reply.body))
        .iter()
        .map(|m| m["id"].as_str().expect("milestone id").to_owned())
        .collect()
}

/// The id of the bundled campaign (the only one of MO0018 on a fresh
/// catalogue).
pub async fn bundled_campaign_id(app: &TestApp) -> String {
    let reply = app
        .query(
            r#"{ commitment(code: "MO0018") { campaigns { nodes { id } } } }"#,
            json!({}),
        )
        .await;
    text_at(&reply, "/commitment/campaigns/nodes/0/id")
}

/// Creates a campaign and returns its id.
pub async fn create_campaign(app: &TestApp, token: &str, input: Value) -> String {
    let reply = app
        .query_as(token, CREATE_CAMPAIGN, json!({ "input": input }))
        .await;
    text_at(&reply, "/createCampaign/id")
}

/// Creates an activity and returns its id.
pub async fn create_activity(
    app: &TestApp,
    token: &str,
    campaign: &str,
    channel: &str,
    title: &str,
    start: &str,
    end: Option<&str>,
) -> String {
    let mut input =
        json!({ "campaignId": campaign, "channel": channel, "title": title, "startDate": start });
    if let Some(end) = end {
        input["endDate"] = json!(end);
    }
    let reply = app
        .query_as(token, CREATE_ACTIVITY, json!({ "input": input }))
        .await;
    text_at(&reply, "/createCampaignActivity/id")
}

/// One row of `recordAwarenessMetrics`; without `end` the period is one day.
pub fn metric(activity: &str, kind: &str, value: i64, start: &str, end: Option<&str>) -> Value {
    let mut row =
        json!({ "activityId": activity, "kind": kind, "value": value, "periodStart": start });
    if let Some(end) = end {
        row["periodEnd"] = json!(end);
    }
    row
}

/// Records metrics that must be accepted; returns the payload.
pub async fn record_metrics(app: &TestApp, token: &str, rows: Value) -> Value {
    let reply = app
        .query_as(token, RECORD_METRICS, json!({ "input": rows }))
        .await;
    reply.data()["recordAwarenessMetrics"].clone()
}

/// `(created, corrected, unchanged)` of a payload.
fn counts(payload: &Value) -> (i64, i64, i64) {
    let count = |name: &str| {
        payload[name]
            .as_i64()
            .unwrap_or_else(|| panic!("no {name} in {payload}"))
    };
    (count("created"), count("corrected"), count("unchanged"))
}

pub async fn summary(app: &TestApp, campaign: &str) -> Value {
    let reply = app.query(SUMMARY, json!({ "id": campaign })).await;
    reply.data()["node"]["summary"].clone()
}

/// The metrics of an activity, as anyone reads them.
async fn activity_metrics(app: &TestApp, activity: &str) -> Value {
    let reply = app
        .query(
            "query($id: ID!) { node(id: $id) { ... on CampaignActivity { metrics { kind value periodStart periodEnd source } } } }",
            json!({ "id": activity }),
        )
        .await;
    reply.data()["node"]["metrics"].clone()
}

/// Audit entries, of one entity when given.
pub async fn audit_count(app: &TestApp, admin: &str, entity: Option<&str>) -> u64 {
    let filter = entity.map(|entity| json!({ "entity": entity }));
    let reply = app
        .query_as(
            admin,
            "query($filter: AuditLogFilter) { auditLog(filter: $filter) { totalCount } }",
            json!({ "filter": filter }),
        )
        .await;
    reply.data()["auditLog"]["totalCount"]
        .as_u64()
        .expect("totalCount")
}

/// Creates a second focal point, responsible for MO0001 only, and a staff
/// account for it; returns the account's token.
pub async fn focal_point_of_mo0001(app: &TestApp, admin: &str) -> String {
    let reply = app
        .query_as(
            admin,
            r#"mutation { createFocalPoint(input: { key: "karim-bennani", name: "Mr Karim BENNANI" }) { id } }"#,
            json!({}),
        )
        .await;
    let focal_point = text_at(&reply, "/createFocalPoint/id");
    let mo1 = app.commitment_id("MO0001").await;
    app.query_as(
        admin,
        "mutation($c: ID!, $f: ID!) { linkFocalPoint(commitmentId: $c, focalPointId: $f) { code } }",
        json!({ "c": mo1, "f": focal_point }),
    )
    .await
    .data();
    app.staff(
        "karim@example.org",
        &[Role::FocalPoint],
        Some("karim-bennani"),
    )
    .await
}

/// The token of MO0018's focal point (Amal Alami, in the bundled catalogue).
pub async fn focal_point_of_mo0018(app: &TestApp) -> String {
    app.staff("amal@example.org", &[Role::FocalPoint], Some("amal-alami"))
        .await
}

pub async fn admin(app: &TestApp) -> String {
    app.staff("admin@example.org", &[Role::Admin], None).await
}

/// Removes and returns the `id` of an object.
fn split_id(mut object: Value) -> (Value, Value) {
    let id = object
        .as_object_mut()
        .and_then(|fields| fields.remove("id"))
        .unwrap_or_else(|| panic!("no id in {object}"));
    (id, object)
}

fn titles(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no nodes in {connection}"))
        .iter()
        .map(|node| node["title"].as_str().expect("title").to_owned())
        .collect()
}

const CAMPAIGN_LISTS: &str = r#"{
    mo18: commitment(code: "MO0018") { campaigns { totalCount nodes { title } } }
    mo1: commitment(code: "MO0001") { campaigns { totalCount nodes { title } } }
    actionPlan(key: "morocco-2018-2020") { campaigns { totalCount nodes { title } } }
}"#;

on_both_backends! {
    async fn the_bundled_catalogue_has_mo0018s_communication_plan(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let milestones = milestone_ids(&app, "MO0018").await;
        assert_eq!(milestones.len(), 3);
        let reply = app
            .query(
                r#"{ commitment(code: "MO0018") { campaigns { totalCount nodes {
                    title status startDate endDate institution { key abbreviation } budget { amount currency }
                    commitments { code } milestones { id position commitment { code } }
                    activities { totalCount nodes { id } }
                    summary { activities reach totals { value } budget { amount } costPerReach firstActivity lastActivity }
                } } } }"#,
                json!({}),
            )
            .await;
        let campaigns = &reply.data()["commitment"]["campaigns"];
        assert_eq!(campaigns["totalCount"], 1, "{campaigns}");
        assert_eq!(
            campaigns["nodes"][0],
            json!({
                "title": "Communication plan about Open Government",
                "status": "RUNNING",
                "startDate": "2018-10",
                "endDate": "2019-12",
                "institution": { "key": "mrafp", "abbreviation": "MRAFP" },
                "budget": null,
                "commitments": [{ "code": "MO0018" }],
                "milestones": [
                    { "id": milestones[0], "position": 1, "commitment": { "code": "MO0018" } },
                    { "id": milestones[1], "position": 2, "commitment": { "code": "MO0018" } },
                    { "id": milestones[2], "position": 3, "commitment": { "code": "MO0018" } },
                ],
                "activities": { "totalCount": 0, "nodes": [] },
                "summary": {
                    "activities": 0, "reach": 0, "totals": [], "budget": null,
                    "costPerReach": null, "firstActivity": null, "lastActivity": null,
                },
            })
        );
        let lists = app.query(CAMPAIGN_LISTS, json!({})).await;
        assert_eq!(lists.data()["mo1"]["campaigns"]["totalCount"], 0);
        assert_eq!(titles(&lists.data()["actionPlan"]["campaigns"]), ["Communication plan about Open Government"]);
    }

    async fn each_caller_against_each_campaign_write(backend: Backend) {
        let app = bundled_app(backend).await;
        let admin = admin(&app).await;
        let moderator = app.staff("moderator@example.org", &[Role::Moderator], None).await;
        let focal = focal_point_of_mo0018(&app).await;
        let other_focal = focal_point_of_mo0001(&app, &admin).await;
        let mo18 = app.commitment_id("MO0018").await;
        let mo1 = app.commitment_id("MO0001").await;
        let bundled = bundled_campaign_id(&app).await;

        for (caller, token) in [
            ("anonymous", None),
            ("a moderator", Some(moderator.as_str())),
            ("MO0001's focal point", Some(other_focal.as_str())),
            ("MO0018's focal point", Some(focal.as_str())),
            ("an admin", Some(admin.as_str())),
        ] {
            // Fresh records for this caller to write to, made by the admin.
            let own = create_campaign(&app, &admin, json!({ "title": format!("Radio week ({caller})"), "commitmentIds": [mo18] })).await;
            let shared = create_campaign(&app, &admin, json!({ "title": format!("Shared ({caller})"), "commitmentIds": [mo18, mo1] })).await;
            let doomed = create_campaign(&app, &admin, json!({ "title": format!("Cancelled ({caller})"), "commitmentIds": [mo18] })).await;
            let activity = create_activity(&app, &admin, &own, "RADIO", "Spots", "2024-03-01", None).await;
            let doomed_activity = create_activity(&app, &admin, &own, "PRESS", "Cancelled interview", "2024-03-02", None).await;
            let payload = record_metrics(&app, &admin, json!([metric(&activity, "REACH", 100, "2024-03-01", None)])).await;
            let stored_metric = payload["metrics"][0]["id"].clone();

            // (what, audited entity, document, variables, may MO0018's focal point?, may MO0001's?)
            let operations = [
                ("create a campaign for MO0018", "campaign", CREATE_CAMPAIGN,
                    json!({ "input": { "title": format!("Budget week ({caller})"), "commitmentIds": [mo18] } }), true, false),
                ("create a campaign for MO0001", "campaign", CREATE_CAMPAIGN,
                    json!({ "input": { "title": format!("Access week ({caller})"), "commitmentIds": [mo1] } }), false, true),
                ("create a campaign for MO0018 and MO0001", "campaign", CREATE_CAMPAIGN,
                    json!({ "input": { "title": format!("Joint week ({caller})"), "commitmentIds": [mo18, mo1] } }), false, false),
                ("update a campaign of MO0018", "campaign", UPDATE_CAMPAIGN,
                    json!({ "input": { "id": own, "status": "RUNNING" } }), true, false),
                ("update the bundled campaign", "campaign", UPDATE_CAMPAIGN,
                    json!({ "input": { "id": bundled, "objective": format!("Objective set by {caller}") } }), true, false),
                ("link MO0001 to a campaign of MO0018", "campaign", UPDATE_CAMPAIGN,
                    json!({ "input": { "id": own, "commitmentIds": [mo18, mo1] } }), false, false),
                ("rename a campaign of MO0018 and MO0001", "campaign", UPDATE_CAMPAIGN,
                    json!({ "input": { "id": shared, "title": format!("Shared, renamed by {caller}") } }), true, true),
                ("unlink MO0001 from a campaign of MO0018 and MO0001", "campaign", UPDATE_CAMPAIGN,
                    json!({ "input": { "id": shared, "commitmentIds": [mo18] } }), false, true),
                ("add an activity", "campaign_activity", CREATE_ACTIVITY,
                    json!({ "input": { "campaignId": own, "channel": "TELEVISION", "title": "TV spot", "startDate": "2024-03-05" } }), true, false),
                ("update an activity", "campaign_activity", UPDATE_ACTIVITY,
                    json!({ "input": { "id": activity, "title": "Radio spots" } }), true, false),
                ("record a metric", "awareness_metric", RECORD_METRICS,
                    json!({ "input": [metric(&activity, "IMPRESSIONS", 5000, "2024-03-01", None)] }), true, false),
                ("correct a metric", "awareness_metric", RECORD_METRICS,
                    json!({ "input": [metric(&activity, "REACH", 120, "2024-03-01", None)] }), true, false),
                ("delete a metric", "awareness_metric", DELETE_METRIC,
                    json!({ "id": stored_metric }), true, false),
                ("delete an activity", "campaign_activity", DELETE_ACTIVITY,
                    json!({ "id": doomed_activity }), true, false),
                ("delete a campaign", "campaign", DELETE_CAMPAIGN,
                    json!({ "id": doomed }), true, false),
            ];
            for (operation, entity, document, variables, mo18_focal_may, mo1_focal_may) in operations {
                let before = (audit_count(&app, &admin, None).await, audit_count(&app, &admin, Some(entity)).await);
                let reply = as_caller(&app, token, document, variables).await;
                let expected = match caller {
                    "anonymous" => Some("UNAUTHENTICATED"),
                    "an admin" => None,
                    "MO0018's focal point" if mo18_focal_may => None,
                    "MO0001's focal point" if mo1_focal_may => None,
                    _ => Some("FORBIDDEN"),
                };
                assert_eq!(outcome(&reply).as_deref(), expected, "{caller} may {operation}? {}", reply.body);
                let after = (audit_count(&app, &admin, None).await, audit_count(&app, &admin, Some(entity)).await);
                let written = u64::from(expected.is_none());
                assert_eq!(
                    (after.0 - before.0, after.1 - before.1),
                    (written, written),
                    "{caller} / {operation}: audit entries written (all, {entity})"
                );
            }
        }

        // Refused writes changed nothing: count what each commitment lists.
        // MO0018: bundled + 3 targets × 5 callers + 2 "Budget week" + 1 joint − 2 deleted.
        // MO0001: 5 shared − 2 unlinked + 2 "Access week" + 1 joint + the
        // admin's "Radio week", which the admin linked to MO0001.
        let lists = app.query(CAMPAIGN_LISTS, json!({})).await;
        assert_eq!(lists.data()["mo18"]["campaigns"]["totalCount"], 17, "{}", lists.body);
        assert_eq!(lists.data()["mo1"]["campaigns"]["totalCount"], 7, "{}", lists.body);
        let reply = app
            .query("query($id: ID!) { node(id: $id) { ... on Campaign { objective } } }", json!({ "id": bundled }))
            .await;
        assert_eq!(reply.data()["node"]["objective"], "Objective set by an admin");
    }

    async fn every_write_is_audited_under_its_entity(backend: Backend) {
        let app = bundled_app(backend).await;
        let admin = admin(&app).await;
        let focal = focal_point_of_mo0018(&app).await;
        let mo18 = app.commitment_id("MO0018").await;

        let campaign = create_campaign(&app, &focal, json!({ "title": "Budget week", "commitmentIds": [mo18] })).await;
        app.query_as(&focal, UPDATE_CAMPAIGN, json!({ "input": { "id": campaign, "title": "Budget weeks" } })).await.data();
        let activity = create_activity(&app, &focal, &campaign, "RADIO", "Spots", "2024-03-01", None).await;
        app.query_as(&focal, UPDATE_ACTIVITY, json!({ "input": { "id": activity, "region": "Oriental" } })).await.data();
        let payload = record_metrics(&app, &focal, json!([metric(&activity, "REACH", 10, "2024-03-01", None)])).await;
        let recorded = payload["metrics"][0]["id"].clone();
        let payload = record_metrics(&app, &focal, json!([metric(&activity, "REACH", 12, "2024-03-01", None)])).await;
        assert_eq!(counts(&payload), (0, 1, 0));
        // Recording what is already stored changes nothing and records nothing.
        let payload = record_metrics(&app, &focal, json!([metric(&activity, "REACH", 12, "2024-03-01", None)])).await;
        assert_eq!(counts(&payload), (0, 0, 1));
        assert_eq!(audit_count(&app, &admin, Some("awareness_metric")).await, 2);
        app.query_as(&focal, DELETE_METRIC, json!({ "id": recorded })).await.data();
        app.query_as(&focal, DELETE_ACTIVITY, json!({ "id": activity })).await.data();
        app.query_as(&focal, DELETE_CAMPAIGN, json!({ "id": campaign })).await.data();

        const LOG: &str = "query($entity: String!) { auditLog(filter: { entity: $entity }) { totalCount nodes { action entity entityId before after staff { email } } } }";
        for (entity, id) in [("campaign", json!(campaign)), ("campaign_activity", json!(activity)), ("awareness_metric", recorded)] {
            let reply = app.query_as(&admin, LOG, json!({ "entity": entity })).await;
            let log = &reply.data()["auditLog"];
            assert_eq!(log["totalCount"], 3, "{entity}: {log}");
            // Newest first: delete, update (or correction), create.
            let nodes = log["nodes"].as_array().expect("nodes");
            for node in nodes {
                assert_eq!(node["entity"], entity, "{node}");
                assert_eq!(node["entityId"], number(&id), "{entity}: {node}");
                assert_eq!(node["staff"]["email"], "amal@example.org", "{node}");
            }
            assert_eq!(nodes[2]["action"], "create", "{entity}: {log}");
            assert!(nodes[2]["before"].is_null() && !nodes[2]["after"].is_null(), "{entity}: {log}");
            assert_eq!(nodes[1]["action"], "update", "{entity}: {log}");
            assert!(!nodes[1]["before"].is_null() && !nodes[1]["after"].is_null(), "{entity}: {log}");
            assert!(!nodes[0]["before"].is_null(), "a deletion keeps what was deleted: {entity}: {log}");
        }
    }

    async fn campaigns_are_created_read_updated_and_deleted(backend: Backend) {
        let app = bundled_app(backend).await;
        let focal = focal_point_of_mo0018(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let milestones = milestone_ids(&app, "MO0018").await;
        let reply = app.query(r#"{ commitment(code: "MO0018") { leadInstitution { id } } }"#, json!({})).await;
        let mrafp = text_at(&reply, "/commitment/leadInstitution/id");

        let reply = app
            .query_as(&focal, CREATE_CAMPAIGN, json!({ "input": {
                "title": "Budget transparency week",
                "objective": "Explain the citizens' budget",
                "targetAudience": "Young voters",
                "languages": ["fr", "ar"],
                "startDate": "2024-01",
                "endDate": "2024-03",
                "status": "RUNNING",
                "institutionId": mrafp,
                "commitmentIds": [mo18],
                "milestoneIds": [milestones[2], milestones[0]],
                "budget": { "amount": 12500.5, "currency": "MAD" },
            } }))
            .await;
        let (id, created) = split_id(reply.data()["createCampaign"].clone());
        assert!(decoded(&id).starts_with("Campaign:"), "{id}");
        assert_eq!(
            created,
            json!({
                "title": "Budget transparency week",
                "objective": "Explain the citizens' budget",
                "targetAudience": "Young voters",
                "languages": ["ar", "fr"],
                "startDate": "2024-01",
                "endDate": "2024-03",
                "status": "RUNNING",
                "institution": { "key": "mrafp" },
                "budget": { "amount": 12500.5, "currency": "MAD" },
                "commitments": [{ "code": "MO0018" }],
                "milestones": [{ "id": milestones[0] }, { "id": milestones[2] }],
            })
        );

        // Defaults.
        let reply = app
            .query_as(&focal, CREATE_CAMPAIGN, json!({ "input": { "title": "Radio week", "commitmentIds": [mo18] } }))
            .await;
        let (_, minimal) = split_id(reply.data()["createCampaign"].clone());
        assert_eq!(
            minimal,
            json!({
                "title": "Radio week", "objective": null, "targetAudience": null, "languages": [],
                "startDate": null, "endDate": null, "status": "PLANNED", "institution": null, "budget": null,
                "commitments": [{ "code": "MO0018" }], "milestones": [],
            })
        );

        // Null clears, absent keeps, lists replace.
        let reply = app
            .query_as(&focal, UPDATE_CAMPAIGN, json!({ "input": {
                "id": id, "title": "Budget week", "objective": null, "budget": null,
                "endDate": "2024-04", "status": "COMPLETED", "milestoneIds": [milestones[1]],
            } }))
            .await;
        let (_, updated) = split_id(reply.data()["updateCampaign"].clone());
        assert_eq!(
            updated,
            json!({
                "title": "Budget week",
                "objective": null,
                "targetAudience": "Young voters",
                "languages": ["ar", "fr"],
                "startDate": "2024-01",
                "endDate": "2024-04",
                "status": "COMPLETED",
                "institution": { "key": "mrafp" },
                "budget": null,
                "commitments": [{ "code": "MO0018" }],
                "milestones": [{ "id": milestones[1] }],
            })
        );

        // Activities.
        let reply = app
            .query_as(&focal, CREATE_ACTIVITY, json!({ "input": {
                "campaignId": id, "channel": "RADIO", "title": "Radio spots",
                "startDate": "2024-01-15", "endDate": "2024-01-28", "region": "Rabat-Salé-Kénitra",
                "language": "ar", "link": "https://radio.example.ma/spots", "notes": "Prime time",
            } }))
            .await;
        let (activity, created) = split_id(reply.data()["createCampaignActivity"].clone());
        assert!(decoded(&activity).starts_with("CampaignActivity:"), "{activity}");
        assert_eq!(
            created,
            json!({
                "channel": "RADIO", "title": "Radio spots", "startDate": "2024-01-15", "endDate": "2024-01-28",
                "region": "Rabat-Salé-Kénitra", "language": "ar", "link": "https://radio.example.ma/spots",
                "notes": "Prime time", "campaign": { "id": id },
            })
        );
        let reply = app
            .query_as(&focal, UPDATE_ACTIVITY, json!({ "input": {
                "id": activity, "title": "Radio spots in Darija", "endDate": null, "link": null, "channel": "TELEVISION",
            } }))
            .await;
        let (_, updated) = split_id(reply.data()["updateCampaignActivity"].clone());
        assert_eq!(
            updated,
            json!({
                "channel": "TELEVISION", "title": "Radio spots in Darija", "startDate": "2024-01-15", "endDate": null,
                "region": "Rabat-Salé-Kénitra", "language": "ar", "link": null,
                "notes": "Prime time", "campaign": { "id": id },
            })
        );
        let activity = activity.as_str().expect("activity id").to_owned();
        let payload = record_metrics(&app, &focal, json!([
            { "activityId": activity, "kind": "REACH", "value": 3000, "periodStart": "2024-01-15", "periodEnd": "2024-01-21", "source": "Médiamétrie" },
        ]))
        .await;
        assert_eq!(counts(&payload), (1, 0, 0));
        let recorded = payload["metrics"][0]["id"].clone();
        assert!(decoded(&recorded).starts_with("AwarenessMetric:"), "{recorded}");

        // Anyone reads them.
        let reply = app
            .query(
                "query($id: ID!) { node(id: $id) { ... on Campaign { title activities { totalCount nodes { title metrics {
                    kind value periodStart periodEnd source recordedAt activity { title }
                } } } summary { activities reach } } } }",
                json!({ "id": id }),
            )
            .await;
        let mut read = reply.data()["node"].clone();
        let recorded_at = read["activities"]["nodes"][0]["metrics"][0]["recordedAt"].take();
        let recorded_at = DateTime::parse_from_rfc3339(recorded_at.as_str().unwrap_or_default())
            .unwrap_or_else(|err| panic!("recordedAt is not RFC 3339 ({err}): {}", reply.body))
            .with_timezone(&Utc);
        assert!((recorded_at - app.clock.now()).num_seconds().abs() <= 1, "recorded at {recorded_at}");
        assert_eq!(
            read,
            json!({
                "title": "Budget week",
                "activities": { "totalCount": 1, "nodes": [{ "title": "Radio spots in Darija", "metrics": [{
                    "kind": "REACH", "value": 3000, "periodStart": "2024-01-15", "periodEnd": "2024-01-21",
                    "source": "Médiamétrie", "recordedAt": null, "activity": { "title": "Radio spots in Darija" },
                }] }] },
                "summary": { "activities": 1, "reach": 3000 },
            })
        );
        let lists = app.query(CAMPAIGN_LISTS, json!({})).await;
        assert_eq!(
            titles(&lists.data()["mo18"]["campaigns"]),
            ["Communication plan about Open Government", "Budget week", "Radio week"],
            "oldest created first"
        );
        assert_eq!(lists.data()["mo18"]["campaigns"]["totalCount"], 3);

        // Deleting a campaign deletes its activities and metrics.
        let reply = app.query_as(&focal, DELETE_CAMPAIGN, json!({ "id": id })).await;
        assert_eq!(reply.data()["deleteCampaign"], id);
        for gone in [id.clone(), json!(activity), recorded] {
            let reply = app.query(NODE, json!({ "id": gone })).await;
            assert!(reply.data()["node"].is_null(), "{gone} still resolves: {}", reply.body);
        }
        let lists = app.query(CAMPAIGN_LISTS, json!({})).await;
        assert_eq!(titles(&lists.data()["mo18"]["campaigns"]), ["Communication plan about Open Government", "Radio week"]);
        assert_eq!(lists.data()["actionPlan"]["campaigns"]["totalCount"], 2);
    }

    async fn invalid_input_is_refused_naming_the_field(backend: Backend) {
        let app = bundled_app(backend).await;
        let admin = admin(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let mo1 = app.commitment_id("MO0001").await;
        // A milestone of a commitment the campaign is not linked to.
        let reply = app
            .query_as(&admin, "mutation($c: ID!) { createMilestone(input: { commitmentId: $c, title: [{ language: \"en\", text: \"Launch\" }] }) { id } }", json!({ "c": mo1 }))
            .await;
        let elsewhere = text_at(&reply, "/createMilestone/id");
        let campaign = bundled_campaign_id(&app).await;
        let activity = create_activity(&app, &admin, &campaign, "RADIO", "Spots", "2024-03-01", None).await;
        let campaign_input = |changes: Value| {
            let mut input = json!({ "title": "Budget week", "commitmentIds": [mo18] });
            for (key, value) in changes.as_object().expect("changes") {
                input[key] = value.clone();
            }
            json!({ "input": input })
        };
        let activity_input = |changes: Value| {
            let mut input = json!({ "campaignId": campaign, "channel": "PRESS", "title": "Interview", "startDate": "2024-03-05" });
            for (key, value) in changes.as_object().expect("changes") {
                input[key] = value.clone();
            }
            json!({ "input": input })
        };
        let cases = [
            (CREATE_CAMPAIGN, campaign_input(json!({ "title": "" })), "title"),
            (CREATE_CAMPAIGN, campaign_input(json!({ "title": "x".repeat(201) })), "title"),
            (CREATE_CAMPAIGN, campaign_input(json!({ "commitmentIds": [] })), "commitmentIds"),
            (CREATE_CAMPAIGN, campaign_input(json!({ "milestoneIds": [elsewhere] })), "milestoneIds"),
            (CREATE_CAMPAIGN, campaign_input(json!({ "startDate": "2024-05", "endDate": "2024-01" })), "endDate"),
            (CREATE_CAMPAIGN, campaign_input(json!({ "languages": ["fr", "english"] })), "languages"),
            (CREATE_CAMPAIGN, campaign_input(json!({ "budget": { "amount": -1.0, "currency": "MAD" } })), "budget.amount"),
            (CREATE_CAMPAIGN, campaign_input(json!({ "budget": { "amount": 10.125, "currency": "MAD" } })), "budget.amount"),
            (CREATE_CAMPAIGN, campaign_input(json!({ "budget": { "amount": 10.0, "currency": "dirham" } })), "budget.currency"),
            (UPDATE_CAMPAIGN, json!({ "input": { "id": campaign, "title": "" } }), "title"),
            (UPDATE_CAMPAIGN, json!({ "input": { "id": campaign, "endDate": "2018-01" } }), "endDate"),
            (UPDATE_CAMPAIGN, json!({ "input": { "id": campaign, "commitmentIds": [] } }), "commitmentIds"),
            (CREATE_ACTIVITY, activity_input(json!({ "endDate": "2024-03-04" })), "endDate"),
            (CREATE_ACTIVITY, activity_input(json!({ "link": "ftp://example.org/spot.mp3" })), "link"),
            (CREATE_ACTIVITY, activity_input(json!({ "link": "not a link" })), "link"),
            (CREATE_ACTIVITY, activity_input(json!({ "language": "Arabic" })), "language"),
            (UPDATE_ACTIVITY, json!({ "input": { "id": activity, "endDate": "2024-02-01" } }), "endDate"),
            (UPDATE_ACTIVITY, json!({ "input": { "id": activity, "link": "javascript:alert(1)" } }), "link"),
        ];
        let before = audit_count(&app, &admin, None).await;
        for (document, variables, field) in cases {
            let reply = app.query_as(&admin, document, variables.clone()).await;
            assert_eq!(outcome(&reply).as_deref(), Some("BAD_USER_INPUT"), "{variables}: {}", reply.body);
            assert_eq!(error_field(&reply), field, "{variables}: {}", reply.body);
        }
        assert_eq!(audit_count(&app, &admin, None).await, before, "refused writes leave no trace");
        let lists = app.query(CAMPAIGN_LISTS, json!({})).await;
        assert_eq!(lists.data()["actionPlan"]["campaigns"]["totalCount"], 1, "nothing was created");
        let reply = app
            .query("query($id: ID!) { node(id: $id) { ... on Campaign { title endDate activities { totalCount } } } }", json!({ "id": campaign }))
            .await;
        assert_eq!(
            reply.data()["node"],
            json!({ "title": "Communication plan about Open Government", "endDate": "2019-12", "activities": { "totalCount": 1 } })
        );
    }

    async fn an_action_plan_lists_a_campaign_of_two_of_its_commitments_once(backend: Backend) {
        let app = bundled_app(backend).await;
        let admin = admin(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let mo1 = app.commitment_id("MO0001").await;
        let reply = app
            .query_as(&admin, CREATE_CAMPAIGN, json!({ "input": { "title": "Open government days", "commitmentIds": [mo18, mo1] } }))
            .await;
        assert_eq!(reply.data()["createCampaign"]["commitments"], json!([{ "code": "MO0001" }, { "code": "MO0018" }]), "ordered by code");

        let lists = app.query(CAMPAIGN_LISTS, json!({})).await;
        let plan = &lists.data()["actionPlan"]["campaigns"];
        assert_eq!(plan["totalCount"], 2, "{plan}");
        let mut listed = titles(plan);
        listed.sort();
        assert_eq!(listed, ["Communication plan about Open Government", "Open government days"]);
        assert_eq!(titles(&lists.data()["mo1"]["campaigns"]), ["Open government days"]);
        assert_eq!(lists.data()["mo18"]["campaigns"]["totalCount"], 2);

        // Paging through the plan's campaigns meets each once too.
        let reply = app
            .query(r#"{ actionPlan(key: "morocco-2018-2020") { campaigns(first: 1) { edges { cursor node { title } } pageInfo { hasNextPage endCursor } } } }"#, json!({}))
            .await;
        let first = reply.data()["actionPlan"]["campaigns"].clone();
        assert_eq!(first["pageInfo"]["hasNextPage"], true, "{first}");
        let reply = app
            .query(
                r#"query($after: String) { actionPlan(key: "morocco-2018-2020") { campaigns(first: 5, after: $after) { nodes { title } pageInfo { hasNextPage } } } }"#,
                json!({ "after": first["pageInfo"]["endCursor"] }),
            )
            .await;
        let rest = &reply.data()["actionPlan"]["campaigns"];
        let mut paged = vec![first["edges"][0]["node"]["title"].as_str().expect("title").to_owned()];
        paged.extend(titles(rest));
        paged.sort();
        assert_eq!(paged, ["Communication plan about Open Government", "Open government days"]);
        assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    }

    async fn the_summary_adds_up_metrics_by_channel_and_kind(backend: Backend) {
        let app = bundled_app(backend).await;
        let focal = focal_point_of_mo0018(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let campaign = create_campaign(&app, &focal, json!({
            "title": "Citizens' budget tour", "commitmentIds": [mo18], "budget": { "amount": 1000.0, "currency": "MAD" },
        }))
        .await;
        // Created out of date order: listed by start date, then creation.
        let event = create_activity(&app, &focal, &campaign, "EVENT", "Town hall in Fès", "2024-03-20", Some("2024-03-22")).await;
        let radio = create_activity(&app, &focal, &campaign, "RADIO", "Radio spots", "2024-03-04", Some("2024-03-10")).await;
        create_activity(&app, &focal, &campaign, "WEBSITE", "Budget page", "2024-03-15", None).await;
        let social = create_activity(&app, &focal, &campaign, "SOCIAL_MEDIA", "Launch post", "2024-03-01", None).await;
        let press = create_activity(&app, &focal, &campaign, "PRESS", "Press release", "2024-03-20", None).await;
        let payload = record_metrics(&app, &focal, json!([
            metric(&radio, "REACH", 1500, "2024-03-04", Some("2024-03-07")),
            metric(&radio, "REACH", 500, "2024-03-08", Some("2024-03-10")),
            metric(&social, "CLICKS", 120, "2024-03-02", None),
            metric(&social, "ENGAGEMENTS", 300, "2024-03-01", Some("2024-03-03")),
            metric(&social, "IMPRESSIONS", 9000, "2024-03-01", None),
            metric(&social, "REACH", 2000, "2024-03-01", None),
            metric(&event, "ATTENDEES", 80, "2024-03-20", None),
            metric(&event, "MEDIA_MENTIONS", 3, "2024-03-21", None),
            metric(&press, "MEDIA_MENTIONS", 2, "2024-03-20", None),
        ]))
        .await;
        assert_eq!(counts(&payload), (9, 0, 0));
        let kinds: Vec<&Value> = payload["metrics"].as_array().expect("metrics").iter().map(|m| &m["kind"]).collect();
        assert_eq!(kinds, ["REACH", "REACH", "CLICKS", "ENGAGEMENTS", "IMPRESSIONS", "REACH", "ATTENDEES", "MEDIA_MENTIONS", "MEDIA_MENTIONS"], "in input order");

        assert_eq!(
            summary(&app, &campaign).await,
            json!({
                "activities": 5,
                "reach": 4000,
                "totals": [
                    { "channel": "PRESS", "kind": "MEDIA_MENTIONS", "value": 2 },
                    { "channel": "RADIO", "kind": "REACH", "value": 2000 },
                    { "channel": "SOCIAL_MEDIA", "kind": "REACH", "value": 2000 },
                    { "channel": "SOCIAL_MEDIA", "kind": "IMPRESSIONS", "value": 9000 },
                    { "channel": "SOCIAL_MEDIA", "kind": "ENGAGEMENTS", "value": 300 },
                    { "channel": "SOCIAL_MEDIA", "kind": "CLICKS", "value": 120 },
                    { "channel": "EVENT", "kind": "ATTENDEES", "value": 80 },
                    { "channel": "EVENT", "kind": "MEDIA_MENTIONS", "value": 3 },
                ],
                "budget": { "amount": 1000.0, "currency": "MAD" },
                "costPerReach": 0.25,
                "firstActivity": "2024-03-01",
                "lastActivity": "2024-03-22",
            })
        );
        // An activity's metrics: by period start, then kind.
        assert_eq!(
            activity_metrics(&app, &social).await,
            json!([
                { "kind": "REACH", "value": 2000, "periodStart": "2024-03-01", "periodEnd": "2024-03-01", "source": null },
                { "kind": "IMPRESSIONS", "value": 9000, "periodStart": "2024-03-01", "periodEnd": "2024-03-01", "source": null },
                { "kind": "ENGAGEMENTS", "value": 300, "periodStart": "2024-03-01", "periodEnd": "2024-03-03", "source": null },
                { "kind": "CLICKS", "value": 120, "periodStart": "2024-03-02", "periodEnd": "2024-03-02", "source": null },
            ])
        );
        // Activities: by start date, then creation; paged.
        const PAGE: &str = "query($id: ID!, $after: String) { node(id: $id) { ... on Campaign { activities(first: 2, after: $after) { totalCount nodes { title } pageInfo { hasNextPage endCursor } } } } }";
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let reply = app.query(PAGE, json!({ "id": campaign, "after": after })).await;
            let page = reply.data()["node"]["activities"].clone();
            assert_eq!(page["totalCount"], 5);
            seen.extend(titles(&page));
            if page["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen, ["Launch post", "Radio spots", "Budget page", "Town hall in Fès", "Press release"]);

        // Without the town hall: its metrics go with it.
        app.query_as(&focal, DELETE_ACTIVITY, json!({ "id": event })).await.data();
        let after_delete = summary(&app, &campaign).await;
        assert_eq!(after_delete["activities"], 4);
        assert_eq!(after_delete["reach"], 4000);
        assert_eq!(after_delete["lastActivity"], "2024-03-20");
        assert_eq!(after_delete["totals"].as_array().map(Vec::len), Some(6), "{after_delete}");

        // A budget without reach has no cost per reach; neither has reach without a budget.
        let unreached = create_campaign(&app, &focal, json!({
            "title": "Posters", "commitmentIds": [mo18], "budget": { "amount": 250.75, "currency": "EUR" },
        }))
        .await;
        assert_eq!(
            summary(&app, &unreached).await,
            json!({
                "activities": 0, "reach": 0, "totals": [], "budget": { "amount": 250.75, "currency": "EUR" },
                "costPerReach": null, "firstActivity": null, "lastActivity": null,
            })
        );
        app.query_as(&focal, UPDATE_CAMPAIGN, json!({ "input": { "id": campaign, "budget": null } })).await.data();
        let unbudgeted = summary(&app, &campaign).await;
        assert_eq!((&unbudgeted["budget"], &unbudgeted["costPerReach"], &unbudgeted["reach"]), (&Value::Null, &Value::Null, &json!(4000)));
    }

    async fn node_resolves_campaigns_activities_and_metrics(backend: Backend) {
        let app = bundled_app(backend).await;
        let focal = focal_point_of_mo0018(&app).await;
        let campaign = bundled_campaign_id(&app).await;
        let activity = create_activity(&app, &focal, &campaign, "SMS", "Text blast", "2024-06-01", None).await;
        let payload = record_metrics(&app, &focal, json!([metric(&activity, "REACH", 42000, "2024-06-01", None)])).await;
        let recorded = payload["metrics"][0]["id"].clone();
        assert_eq!(payload["metrics"][0]["activity"]["id"], activity);

        let reply = app
            .query(
                "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
                    ... on Campaign { title }
                    ... on CampaignActivity { title campaign { title } }
                    ... on AwarenessMetric { value activity { title } }
                } }",
                json!({ "ids": [campaign, activity, recorded] }),
            )
            .await;
        assert_eq!(
            reply.data()["nodes"],
            json!([
                { "__typename": "Campaign", "id": campaign, "title": "Communication plan about Open Government" },
                { "__typename": "CampaignActivity", "id": activity, "title": "Text blast", "campaign": { "title": "Communication plan about Open Government" } },
                { "__typename": "AwarenessMetric", "id": recorded, "value": 42000, "activity": { "title": "Text blast" } },
            ])
        );
        for id in [json!(campaign), json!(activity)] {
            let reply = app.query(NODE, json!({ "id": id })).await;
            assert_eq!(reply.data()["node"]["id"], id);
        }
        // An unknown number names nothing.
        let reply = app.query(NODE, json!({ "id": global_id("Campaign", 999_999) })).await;
        assert!(reply.data()["node"].is_null(), "{}", reply.body);
    }

    async fn recording_a_metric_again_corrects_it(backend: Backend) {
        let app = bundled_app(backend).await;
        let focal = focal_point_of_mo0018(&app).await;
        let campaign = bundled_campaign_id(&app).await;
        let radio = create_activity(&app, &focal, &campaign, "RADIO", "Radio spots", "2024-03-01", Some("2024-03-31")).await;

        let first = record_metrics(&app, &focal, json!([
            { "activityId": radio, "kind": "REACH", "value": 100, "periodStart": "2024-03-01", "periodEnd": "2024-03-07", "source": "Station log" },
            metric(&radio, "REACH", 10, "2024-03-10", None),
        ]))
        .await;
        assert_eq!(counts(&first), (2, 0, 0));
        let weekly = first["metrics"][0]["id"].clone();

        let again = record_metrics(&app, &focal, json!([
            { "activityId": radio, "kind": "REACH", "value": 150, "periodStart": "2024-03-01", "periodEnd": "2024-03-07", "source": "Station log" },
            // A one-day period, its end given this time: the same key.
            metric(&radio, "REACH", 12, "2024-03-10", Some("2024-03-10")),
            // Another period end: another metric.
            metric(&radio, "REACH", 5, "2024-03-01", Some("2024-03-02")),
        ]))
        .await;
        assert_eq!(counts(&again), (1, 2, 0), "{again}");
        assert_eq!(again["metrics"][0]["id"], weekly, "a correction keeps the metric");
        assert_eq!(again["metrics"][0]["value"], 150);
        assert_eq!(again["metrics"][1]["value"], 12);

        let same = record_metrics(&app, &focal, json!([
            { "activityId": radio, "kind": "REACH", "value": 150, "periodStart": "2024-03-01", "periodEnd": "2024-03-07", "source": "Station log" },
        ]))
        .await;
        assert_eq!(counts(&same), (0, 0, 1), "{same}");
        assert_eq!(same["metrics"][0]["id"], weekly);
        // A new source alone is a correction too.
        let resourced = record_metrics(&app, &focal, json!([
            { "activityId": radio, "kind": "REACH", "value": 150, "periodStart": "2024-03-01", "periodEnd": "2024-03-07", "source": "Audience survey" },
        ]))
        .await;
        assert_eq!(counts(&resourced), (0, 1, 0), "{resourced}");

        // Two of them share their start and kind: compare in a fixed order.
        let mut stored = activity_metrics(&app, &radio).await.as_array().expect("metrics").clone();
        stored.sort_by_key(|m| (m["periodStart"].to_string(), m["periodEnd"].to_string()));
        assert_eq!(
            Value::Array(stored),
            json!([
                { "kind": "REACH", "value": 5, "periodStart": "2024-03-01", "periodEnd": "2024-03-02", "source": null },
                { "kind": "REACH", "value": 150, "periodStart": "2024-03-01", "periodEnd": "2024-03-07", "source": "Audience survey" },
                { "kind": "REACH", "value": 12, "periodStart": "2024-03-10", "periodEnd": "2024-03-10", "source": null },
            ])
        );
        assert_eq!(summary(&app, &campaign).await["reach"], 167, "150 + 12 + 5, never the sum of versions");
        let reply = app
            .query(
                "query($s: ID!) { awarenessSeries(subject: $s, from: \"2024-03-01\", to: \"2024-03-10\", granularity: MONTH) { points { reach } } }",
                json!({ "s": campaign }),
            )
            .await;
        assert_eq!(reply.data()["awarenessSeries"]["points"], json!([{ "reach": 167 }]));

        // Deleting a metric.
        let reply = app.query_as(&focal, DELETE_METRIC, json!({ "id": weekly })).await;
        assert_eq!(reply.data()["deleteAwarenessMetric"], weekly);
        assert_eq!(summary(&app, &campaign).await["reach"], 17);
        let reply = app.query(NODE, json!({ "id": weekly })).await;
        assert!(reply.data()["node"].is_null());
    }

    async fn a_batch_with_bad_rows_stores_nothing_and_names_every_row(backend: Backend) {
        let app = bundled_app(backend).await;
        let admin = admin(&app).await;
        let focal = focal_point_of_mo0018(&app).await;
        let campaign = bundled_campaign_id(&app).await;
        let radio = create_activity(&app, &focal, &campaign, "RADIO", "Radio spots", "2024-03-01", None).await;
        let social = create_activity(&app, &focal, &campaign, "SOCIAL_MEDIA", "Posts", "2024-03-01", None).await;
        record_metrics(&app, &focal, json!([metric(&radio, "REACH", 100, "2024-03-01", None)])).await;
        let audited = audit_count(&app, &admin, None).await;

        let reply = app
            .query_as(&focal, RECORD_METRICS, json!({ "input": [
                metric(&social, "REACH", 500, "2024-03-02", None),
                metric(&radio, "REACH", 250, "2024-03-01", None),
                metric(&social, "CLICKS", -3, "2024-03-02", None),
                metric(&social, "IMPRESSIONS", 800, "2024-03-05", Some("2024-03-04")),
                metric(&social, "ENGAGEMENTS", 20, "2024-03-03", None),
            ] }))
            .await;
        assert_eq!(outcome(&reply).as_deref(), Some("BAD_USER_INPUT"), "{}", reply.body);
        assert_eq!(error_field(&reply), "input[2].value", "{}", reply.body);
        let message = reply.body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("input[2].value"), "{message}");
        let problems = reply.body["errors"][0]["extensions"]["problems"]
            .as_array()
            .unwrap_or_else(|| panic!("no problems listed: {}", reply.body));
        let fields: Vec<&Value> = problems.iter().map(|problem| &problem["field"]).collect();
        assert_eq!(fields, ["input[2].value", "input[3].periodEnd"], "{}", reply.body);
        assert!(problems.iter().all(|problem| problem["message"].as_str().is_some_and(|m| !m.is_empty())), "{}", reply.body);

        // Nothing of the batch landed: neither the new rows nor the correction.
        assert_eq!(
            activity_metrics(&app, &radio).await,
            json!([{ "kind": "REACH", "value": 100, "periodStart": "2024-03-01", "periodEnd": "2024-03-01", "source": null }])
        );
        assert_eq!(activity_metrics(&app, &social).await, json!([]));
        assert_eq!(audit_count(&app, &admin, None).await, audited);

        // Sizes: 1..1000 rows.
        let reply = app.query_as(&focal, RECORD_METRICS, json!({ "input": [] })).await;
        assert_eq!(outcome(&reply).as_deref(), Some("BAD_USER_INPUT"), "{}", reply.body);
        let too_many: Vec<Value> = (0..1001)
            .map(|day| metric(&social, "REACH", 1, &(chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("a date") + chrono::Days::new(day)).to_string(), None))
            .collect();
        let reply = app.query_as(&focal, RECORD_METRICS, json!({ "input": too_many })).await;
        assert_eq!(outcome(&reply).as_deref(), Some("BAD_USER_INPUT"), "{}", reply.body);
        assert_eq!(activity_metrics(&app, &social).await, json!([]));
    }

    async fn a_key_twice_in_one_batch_is_refused(backend: Backend) {
        let app = bundled_app(backend).await;
        let focal = focal_point_of_mo0018(&app).await;
        let campaign = bundled_campaign_id(&app).await;
        let radio = create_activity(&app, &focal, &campaign, "RADIO", "Radio spots", "2024-03-01", None).await;
        let reply = app
            .query_as(&focal, RECORD_METRICS, json!({ "input": [
                metric(&radio, "REACH", 100, "2024-03-01", Some("2024-03-07")),
                metric(&radio, "IMPRESSIONS", 900, "2024-03-01", Some("2024-03-07")),
                metric(&radio, "REACH", 120, "2024-03-01", Some("2024-03-07")),
            ] }))
            .await;
        assert_eq!(outcome(&reply).as_deref(), Some("BAD_USER_INPUT"), "{}", reply.body);
        let field = error_field(&reply).as_str().unwrap_or_default();
        assert!(field.starts_with("input[2]"), "the later row is the one refused: {}", reply.body);
        assert_eq!(activity_metrics(&app, &radio).await, json!([]));
    }
}
