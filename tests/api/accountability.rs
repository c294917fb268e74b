//! Accountability: implementation updates and the completion level their
//! evidence sets, evidence documents uploaded and served over HTTP, the
//! verifiability of commitments and milestones, reasoned responses and the
//! response ledger, the record of meetings, and the compliance clock (its
//! alerts in the API and at the top of focal points' digests).
//!
//! "Now" is the application's manual clock: fixture dates are counted in
//! days from it, and every threshold is crossed by moving it.

use chrono::{Duration, NaiveDate};
use ogp_pulse::{
    accountability::compliance::ComplianceRules,
    clock::Clock,
    config::{ApiArgs, ComplianceArgs},
    digests::{DigestSettings, run::run_due},
    import,
    staff::Role,
};
use poem::http::StatusCode;
use serde_json::{Value, json};

use crate::{
    campaigns::{bundled_app, decoded, global_id, milestone_ids, plan_id},
    support::{
        Raw, Reply, TestApp, at, encode, on_both_backends, outbox, raw, set_clock, token_after,
    },
};

const PLAN_KEY: &str = "morocco-2018-2020";
const PUBLIC_URL: &str = "https://pulse.example.org";
/// How MO0018's focal point (`amal@example.org`) signs official writes.
fn amal_responder() -> Value {
    json!({
        "name": "Staff amal@example.org",
        "title": "Head of Communication Division",
        "institution": "Ministry of Adminsitration Reform and Civil Service"
    })
}

const POST_UPDATE: &str =
    "mutation($input: PostImplementationUpdateInput!) { postImplementationUpdate(input: $input) {
    id date status source narrative language hasEvidence
    commitment { code } milestone { id }
    evidence { kind title type date url fileName contentType sizeBytes }
    postedBy { name title institution }
} }";
const LEVELS: &str = "query($code: String!) { commitment(code: $code) {
    completionLevel
    implementationUpdates { nodes { id date status hasEvidence } }
    milestones { id completionLevel implementationUpdates { nodes { id status } } }
} }";
const SUBMIT: &str = "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { status feedback { id } } }";
const MODERATE: &str = "mutation($id: ID!, $action: ModerationAction!) { moderateFeedback(id: $id, action: $action, reason: \"checked\") { moderationState } }";
const RESPOND: &str = "mutation($id: ID!, $body: String!, $decision: ResponseDecision!, $rationale: String) {
    respondToFeedback(feedbackId: $id, body: $body, decision: $decision, rationale: $rationale) { id official decision rationale }
}";
/// A response as written before decisions existed.
const RESPOND_OLD_STYLE: &str = "mutation($id: ID!, $body: String!) { respondToFeedback(feedbackId: $id, body: $body) { id official decision rationale } }";
const DECISION: &str =
    "query($id: ID!) { node(id: $id) { ... on Feedback { official decision rationale } } }";
const LEDGER_FIELDS: &str = "responseLedger { received answered awaitingResponse decisions { decision count } medianDaysToAnswer }";
const RECORD_MEETING: &str = "mutation($input: RecordMeetingInput!) { recordMeeting(input: $input) {
    id date kind attendees { sector count } totalAttendees minutesUrl commitments { code } actionPlan { key }
} }";
const MEETINGS: &str = "query($key: String!) {
    actionPlan(key: $key) { meetings { nodes { id } } }
    mo18: commitment(code: \"MO0018\") { meetings { nodes { id } } }
    mo1: commitment(code: \"MO0001\") { meetings { nodes { id } } }
    mo2: commitment(code: \"MO0002\") { meetings { nodes { id } } }
}";
const ISSUES: &str = "query($code: String!) { commitment(code: $code) {
    verifiabilityIssues { problem message milestone { id } }
    milestones { id expectedOutput meansOfVerification verifiabilityIssues { problem milestone { id } } }
} }";
const UPDATE_MILESTONE: &str = "mutation($input: UpdateMilestoneInput!) { updateMilestone(input: $input) { id status expectedOutput meansOfVerification } }";
const CREATE_MILESTONE: &str =
    "mutation($input: CreateMilestoneInput!) { createMilestone(input: $input) { id position } }";
const CREATE_COMMITMENT: &str =
    "mutation($input: CreateCommitmentInput!) { createCommitment(input: $input) { id code } }";
const COMMITMENT_ALERTS: &str = "query($code: String!) { commitment(code: $code) { complianceAlerts { kind message count since commitment { code } } } }";
const PLAN_ALERTS: &str = "query($key: String!) { actionPlan(key: $key) { complianceAlerts { kind message count since commitment { code } } } }";

// ---------------------------------------------------------------------------
// Fixture helpers

/// The date `days` days from the application's today (negative: past).
fn day(app: &TestApp, days: i64) -> String {
    let today: NaiveDate = app.clock.now().date_naive();
    (today + Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// A translated text in English only.
fn english(text: &str) -> Value {
    json!([{ "language": "en", "text": text }])
}

/// One link as evidence, dated `date`.
fn link_evidence(date: &str) -> Value {
    json!([{ "title": "Progress report", "type": "REPORT", "date": date, "url": "https://example.org/progress-report" }])
}

/// An update on `commitment` dated `date` at `status`, with `evidence`.
fn update(commitment: &str, date: &str, status: &str, evidence: &Value) -> Value {
    json!({
        "commitmentId": commitment, "date": date, "status": status,
        "narrative": english("The communication plan was drafted."), "evidence": evidence
    })
}

async fn post_update(app: &TestApp, token: &str, input: &Value) -> Reply {
    app.query_as(token, POST_UPDATE, json!({ "input": input }))
        .await
}

/// Posts an update that must succeed; what the API answered.
async fn posted(app: &TestApp, token: &str, input: &Value) -> Value {
    let reply = post_update(app, token, input).await;
    reply.data()["postImplementationUpdate"].clone()
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
        .to_owned()
}

/// `extensions.field` of the first error.
fn error_field(reply: &Reply) -> String {
    reply.body["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("no extensions.field in {}", reply.body))
        .to_owned()
}

/// A refusal as bad input naming exactly `field`.
fn assert_bad_input(reply: &Reply, field: &str, case: &str) {
    assert_eq!(
        reply.error_code(),
        "BAD_USER_INPUT",
        "{case}: {}",
        reply.body
    );
    assert_eq!(error_field(reply), field, "{case}: {}", reply.body);
}

/// A refusal as bad input naming a field inside `parent` (the contract does
/// not spell nested names; the house style is e.g. `title[0].language`),
/// which mentions `leaf` when given.
fn assert_bad_nested_input(reply: &Reply, parent: &str, leaf: Option<&str>, case: &str) {
    assert_eq!(
        reply.error_code(),
        "BAD_USER_INPUT",
        "{case}: {}",
        reply.body
    );
    let field = error_field(reply);
    assert!(
        field.starts_with(parent),
        "{case}: field {field} is not under {parent}"
    );
    if let Some(leaf) = leaf {
        assert!(
            field.contains(leaf),
            "{case}: field {field} does not name {leaf}"
        );
    }
}

/// The staff tokens most tests need.
struct Staff {
    admin: String,
    moderator: String,
    /// The focal point of MO0018 (and of no other commitment).
    amal: String,
}

async fn staff(app: &TestApp) -> Staff {
    Staff {
        admin: app.staff("admin@example.org", &[Role::Admin], None).await,
        moderator: app
            .staff("moderator@example.org", &[Role::Moderator], None)
            .await,
        amal: app
            .staff("amal@example.org", &[Role::FocalPoint], Some("MO0018"))
            .await,
    }
}

/// A published citizen's comment (a reply when `parent` is given); its id.
async fn citizen_comment(
    app: &TestApp,
    commitment: &str,
    parent: Option<&str>,
    body: &str,
) -> String {
    let reply = app
        .query(
            SUBMIT,
            json!({ "input": { "commitmentId": commitment, "parentId": parent, "body": body } }),
        )
        .await;
    assert_eq!(
        reply.data()["submitFeedback"]["status"],
        "PUBLISHED",
        "{}",
        reply.body
    );
    text(&reply.data()["submitFeedback"]["feedback"]["id"])
}

async fn respond(
    app: &TestApp,
    token: &str,
    feedback: &str,
    decision: &str,
    rationale: Option<&str>,
) -> Reply {
    app.query_as(
        token,
        RESPOND,
        json!({ "id": feedback, "body": "Thank you for your comment.", "decision": decision, "rationale": rationale }),
    )
    .await
}

/// The five decisions in enum order with their counts.
fn decisions(adopted: u64, partly: u64, not_adopted: u64, under: u64, out_of_scope: u64) -> Value {
    json!([
        { "decision": "ADOPTED", "count": adopted },
        { "decision": "PARTLY_ADOPTED", "count": partly },
        { "decision": "NOT_ADOPTED", "count": not_adopted },
        { "decision": "UNDER_CONSIDERATION", "count": under },
        { "decision": "OUT_OF_SCOPE", "count": out_of_scope },
    ])
}

/// The ledger of commitment `code` and that of the bundled plan.
async fn ledgers(app: &TestApp, code: &str) -> (Value, Value) {
    let query = format!(
        "query($code: String!, $key: String!) {{ commitment(code: $code) {{ {LEDGER_FIELDS} }} actionPlan(key: $key) {{ {LEDGER_FIELDS} }} }}"
    );
    let reply = app
        .query(&query, json!({ "code": code, "key": PLAN_KEY }))
        .await;
    (
        reply.data()["commitment"]["responseLedger"].clone(),
        reply.data()["actionPlan"]["responseLedger"].clone(),
    )
}

fn assert_median(ledger: &Value, expected: f64) {
    let median = ledger["medianDaysToAnswer"]
        .as_f64()
        .unwrap_or_else(|| panic!("no medianDaysToAnswer in {ledger}"));
    assert!(
        (median - expected).abs() < 1e-9,
        "median {median}, expected {expected}: {ledger}"
    );
}

/// Records a meeting that must succeed; what the API answered.
async fn meeting(app: &TestApp, token: &str, input: Value) -> Value {
    let reply = app
        .query_as(token, RECORD_MEETING, json!({ "input": input }))
        .await;
    reply.data()["recordMeeting"].clone()
}

/// A meeting of the bundled plan of `kind` dated `date`.
fn meeting_input(plan: &str, date: &str, kind: &str) -> Value {
    json!({ "actionPlanId": plan, "date": date, "kind": kind })
}

fn ids(connection: &Value) -> Vec<String> {
    connection["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no nodes in {connection}"))
        .iter()
        .map(|node| text(&node["id"]))
        .collect()
}

/// (problem, milestone id or None) of a list of verifiability issues.
fn problems(issues: &Value) -> Vec<(String, Option<String>)> {
    issues
        .as_array()
        .unwrap_or_else(|| panic!("not a list of issues: {issues}"))
        .iter()
        .map(|issue| {
            (
                text(&issue["problem"]),
                issue["milestone"]["id"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn issue(problem: &str, milestone: Option<&str>) -> (String, Option<String>) {
    (problem.to_owned(), milestone.map(str::to_owned))
}

async fn commitment_alerts(app: &TestApp, code: &str) -> Vec<Value> {
    let reply = app.query(COMMITMENT_ALERTS, json!({ "code": code })).await;
    reply.data()["commitment"]["complianceAlerts"]
        .as_array()
        .unwrap_or_else(|| panic!("no complianceAlerts in {}", reply.body))
        .clone()
}

async fn plan_alerts(app: &TestApp) -> Vec<Value> {
    let reply = app.query(PLAN_ALERTS, json!({ "key": PLAN_KEY })).await;
    reply.data()["actionPlan"]["complianceAlerts"]
        .as_array()
        .unwrap_or_else(|| panic!("no complianceAlerts in {}", reply.body))
        .clone()
}

/// The alert of `kind` on commitment `code`, if raised.
async fn commitment_alert(app: &TestApp, code: &str, kind: &str) -> Option<Value> {
    let alerts = commitment_alerts(app, code).await;
    let mut found = alerts.into_iter().filter(|alert| alert["kind"] == kind);
    let alert = found.next();
    assert!(found.next().is_none(), "{kind} raised twice on {code}");
    alert
}

/// The plan-level alert of `kind` on the bundled plan, if raised.
async fn plan_alert(app: &TestApp, kind: &str) -> Option<Value> {
    let alerts = plan_alerts(app).await;
    let mut found = alerts
        .into_iter()
        .filter(|alert| alert["kind"] == kind && alert["commitment"].is_null());
    let alert = found.next();
    assert!(found.next().is_none(), "plan-level {kind} raised twice");
    alert
}

/// The count of the plan's TOO_FEW_IMPLEMENTATION_MEETINGS alert, if raised.
async fn implementation_meetings(app: &TestApp) -> Option<Value> {
    plan_alert(app, "TOO_FEW_IMPLEMENTATION_MEETINGS")
        .await
        .map(|alert| alert["count"].clone())
}

/// The count of MO0018's MILESTONES_OVERDUE alert, if raised.
async fn overdue(app: &TestApp) -> Option<Value> {
    commitment_alert(app, "MO0018", "MILESTONES_OVERDUE")
        .await
        .map(|alert| alert["count"].clone())
}

fn sorted_kinds(alerts: &[Value]) -> Vec<String> {
    let mut kinds: Vec<String> = alerts.iter().map(|alert| text(&alert["kind"])).collect();
    kinds.sort();
    kinds
}

// ---------------------------------------------------------------------------
// Raw HTTP for documents (bytes both ways)

/// Uploads `bytes` as a document named `name`, declared as `content_type`.
async fn upload(
    app: &TestApp,
    token: Option<&str>,
    name: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> Raw {
    let mut request = app
        .client
        .post(format!("/evidence/documents?name={}", encode(name)))
        .header("content-type", content_type)
        .body(bytes);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    raw(request.send().await).await
}

/// Uploads a document that must be accepted; its id.
async fn uploaded(
    app: &TestApp,
    token: &str,
    name: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> String {
    let answer = upload(app, Some(token), name, content_type, bytes).await;
    assert_eq!(
        answer.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&answer.bytes)
    );
    text(&answer.json()["id"])
}

async fn download(app: &TestApp, path: &str) -> Raw {
    raw(app.client.get(path).send().await).await
}

/// A small PDF: enough structure for anything sniffing its bytes.
fn pdf(padding: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'%', padding));
    bytes.extend_from_slice(b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
    bytes
}

/// The error code of an HTTP refusal's JSON body.
fn http_error_code(answer: &Raw) -> String {
    let body = answer.json();
    text(&body["errors"][0]["extensions"]["code"])
}

/// The completion level of commitment `code` and of its milestones.
async fn completion_levels(app: &TestApp, code: &str) -> (Value, Vec<Value>) {
    let reply = app.query(LEVELS, json!({ "code": code })).await;
    let commitment = &reply.data()["commitment"];
    let milestones = commitment["milestones"]
        .as_array()
        .unwrap_or_else(|| panic!("no milestones in {}", reply.body))
        .iter()
        .map(|milestone| milestone["completionLevel"].clone())
        .collect();
    (commitment["completionLevel"].clone(), milestones)
}

/// (status, hasEvidence) of commitment `code`'s updates, as listed.
async fn update_history(app: &TestApp, code: &str) -> Vec<(String, bool)> {
    let reply = app.query(LEVELS, json!({ "code": code })).await;
    reply.data()["commitment"]["implementationUpdates"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no updates in {}", reply.body))
        .iter()
        .map(|node| (text(&node["status"]), node["hasEvidence"] == true))
        .collect()
}

// ---------------------------------------------------------------------------
// Implementation updates

on_both_backends! {
    async fn an_update_without_evidence_is_kept_but_sets_no_completion_level(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = staff(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let date = day(&app, -10);
        let input = json!({
            "commitmentId": mo18, "date": date, "status": "LIMITED",
            "narrative": english("The communication plan was drafted.")
        });
        let answered = posted(&app, &who.amal, &input).await;
        assert_eq!(answered["date"], date.as_str());
        assert_eq!(answered["status"], "LIMITED");
        assert_eq!(answered["source"], "GOVERNMENT", "the default source");
        assert_eq!(answered["narrative"], "The communication plan was drafted.");
        assert_eq!(answered["language"], "en");
        assert_eq!(answered["hasEvidence"], false);
        assert_eq!(answered["evidence"], json!([]));
        assert_eq!(answered["commitment"]["code"], "MO0018");
        assert!(answered["milestone"].is_null());
        assert_eq!(answered["postedBy"], amal_responder());

        let reply = app.query(LEVELS, json!({ "code": "MO0018" })).await;
        let commitment = &reply.data()["commitment"];
        assert_eq!(commitment["completionLevel"], "NO_EVIDENCE_AVAILABLE");
        assert_eq!(
            commitment["implementationUpdates"]["nodes"],
            json!([{ "id": answered["id"], "date": date, "status": "LIMITED", "hasEvidence": false }])
        );
    }

    async fn the_latest_dated_update_with_evidence_sets_the_completion_level(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = staff(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let (d20, d10, d5, d1) = (day(&app, -20), day(&app, -10), day(&app, -5), day(&app, -1));

        posted(&app, &who.amal, &update(&mo18, &d10, "LIMITED", &json!([]))).await;
        assert_eq!(completion_levels(&app, "MO0018").await.0, "NO_EVIDENCE_AVAILABLE");

        // A link as evidence: its update's status becomes the level.
        let with_link = posted(&app, &who.amal, &update(&mo18, &d10, "SUBSTANTIAL", &link_evidence(&d10))).await;
        assert_eq!(with_link["hasEvidence"], true);
        let evidence = &with_link["evidence"][0];
        assert_eq!(
            (&evidence["kind"], &evidence["title"], &evidence["type"], &evidence["date"], &evidence["url"]),
            (&json!("LINK"), &json!("Progress report"), &json!("REPORT"), &json!(d10), &json!("https://example.org/progress-report"))
        );
        assert_eq!(with_link["evidence"].as_array().map(Vec::len), Some(1));
        assert_eq!(completion_levels(&app, "MO0018").await.0, "SUBSTANTIAL");

        // Posted later but dated earlier: it does not win.
        posted(&app, &who.amal, &update(&mo18, &d20, "COMPLETE", &link_evidence(&d20))).await;
        assert_eq!(completion_levels(&app, "MO0018").await.0, "SUBSTANTIAL");

        // Dated later, with evidence: it wins, even at a lower status.
        posted(&app, &who.amal, &update(&mo18, &d5, "LIMITED", &link_evidence(&d5))).await;
        assert_eq!(completion_levels(&app, "MO0018").await.0, "LIMITED");

        // Dated later still, without evidence: history only.
        posted(&app, &who.amal, &update(&mo18, &d1, "COMPLETE", &json!([]))).await;
        assert_eq!(completion_levels(&app, "MO0018").await.0, "LIMITED");

        // Newest first: by date, then the later posted of the same date.
        let history: Vec<(String, bool)> = [
            ("COMPLETE", false),
            ("LIMITED", true),
            ("SUBSTANTIAL", true),
            ("LIMITED", false),
            ("COMPLETE", true),
        ]
        .into_iter()
        .map(|(status, evidence)| (status.to_owned(), evidence))
        .collect();
        assert_eq!(update_history(&app, "MO0018").await, history);
    }

    async fn a_milestone_update_sets_that_milestones_level(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = staff(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let milestones = milestone_ids(&app, "MO0018").await;
        let date = day(&app, -3);
        let mut input = update(&mo18, &date, "SUBSTANTIAL", &link_evidence(&date));
        input["milestoneId"] = json!(milestones[1]);
        let answered = posted(&app, &who.amal, &input).await;
        assert_eq!(answered["milestone"]["id"], milestones[1].as_str());

        let reply = app.query(LEVELS, json!({ "code": "MO0018" })).await;
        let listed = &reply.data()["commitment"]["milestones"];
        let levels: Vec<&Value> = (0..3).map(|n| &listed[n]["completionLevel"]).collect();
        assert_eq!(levels, [&json!("NO_EVIDENCE_AVAILABLE"), &json!("SUBSTANTIAL"), &json!("NO_EVIDENCE_AVAILABLE")]);
        assert_eq!(listed[1]["implementationUpdates"]["nodes"], json!([{ "id": answered["id"], "status": "SUBSTANTIAL" }]));
        assert_eq!(listed[0]["implementationUpdates"]["nodes"], json!([]));
        assert_eq!(ids(&reply.data()["commitment"]["implementationUpdates"]), [text(&answered["id"])], "the commitment lists all its updates");
    }

    async fn only_the_commitments_editors_post_updates(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = staff(&app).await;
        let mo1 = app.commitment_id("MO0001").await;
        let mo18 = app.commitment_id("MO0018").await;
        let date = day(&app, -1);
        let on_mo1 = update(&mo1, &date, "LIMITED", &link_evidence(&date));

        let reply = app.query(POST_UPDATE, json!({ "input": on_mo1 })).await;
        assert_eq!(reply.error_code(), "UNAUTHENTICATED");
        let reply = post_update(&app, &who.amal, &on_mo1).await;
        assert_eq!(reply.error_code(), "FORBIDDEN", "MO0018's focal point on MO0001");
        let reply = post_update(&app, &who.moderator, &update(&mo18, &date, "LIMITED", &json!([]))).await;
        assert_eq!(reply.error_code(), "FORBIDDEN", "a moderator");
        assert!(update_history(&app, "MO0001").await.is_empty(), "a refusal writes nothing");
        assert!(update_history(&app, "MO0018").await.is_empty(), "a refusal writes nothing");

        let answered = posted(&app, &who.admin, &on_mo1).await;
        assert_eq!(answered["commitment"]["code"], "MO0001");
        assert_eq!(update_history(&app, "MO0001").await, [("LIMITED".to_owned(), true)]);
        assert_eq!(completion_levels(&app, "MO0001").await.0, "LIMITED");
    }

    async fn bad_updates_are_refused_naming_the_field(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = staff(&app).await;
        let mo1 = app.commitment_id("MO0001").await;
        let mo18 = app.commitment_id("MO0018").await;
        let mo18_milestone = milestone_ids(&app, "MO0018").await.remove(0);
        let document = uploaded(&app, &who.admin, "minutes.pdf", "application/pdf", pdf(0)).await;
        let (today, future) = (day(&app, 0), day(&app, 2));
        let with = |changes: Value| {
            let mut input = update(&mo18, &today, "LIMITED", &json!([]));
            for (name, value) in changes.as_object().expect("an object of changes") {
                input[name] = value.clone();
            }
            input
        };
        let evidence = |changes: Value| {
            let mut one = json!({ "title": "Minutes", "type": "MINUTES", "date": today, "url": "https://example.org/minutes" });
            for (name, value) in changes.as_object().expect("an object of changes") {
                one[name] = value.clone();
            }
            with(json!({ "evidence": [one] }))
        };

        let top_level = [
            ("a future date", with(json!({ "date": future })), "date"),
            ("no narrative", with(json!({ "narrative": [] })), "narrative"),
            ("a milestone of another commitment", {
                let mut input = update(&mo1, &today, "LIMITED", &json!([]));
                input["milestoneId"] = json!(mo18_milestone);
                input
            }, "milestoneId"),
            ("21 pieces of evidence", with(json!({ "evidence": vec![link_evidence(&today)[0].clone(); 21] })), "evidence"),
        ];
        for (case, input, field) in top_level {
            let reply = post_update(&app, &who.admin, &input).await;
            assert_bad_input(&reply, field, case);
        }
        let nested = [
            ("an empty narrative text", with(json!({ "narrative": english("   ") })), "narrative", None),
            ("a narrative of 10001 characters", with(json!({ "narrative": english(&"x".repeat(10_001)) })), "narrative", None),
            ("a url that is not one", evidence(json!({ "url": "not a url" })), "evidence", Some("url")),
            ("a url that is not http(s)", evidence(json!({ "url": "ftp://example.org/minutes" })), "evidence", Some("url")),
            ("both a url and a document", evidence(json!({ "documentId": document })), "evidence", None),
            ("neither a url nor a document", evidence(json!({ "url": null })), "evidence", None),
            ("an empty evidence title", evidence(json!({ "title": "   " })), "evidence", Some("title")),
            ("a future evidence date", evidence(json!({ "date": future })), "evidence", Some("date")),
        ];
        for (case, input, parent, leaf) in nested {
            let reply = post_update(&app, &who.admin, &input).await;
            assert_bad_nested_input(&reply, parent, leaf, case);
        }
        assert!(update_history(&app, "MO0018").await.is_empty(), "nothing half-written");
        assert!(update_history(&app, "MO0001").await.is_empty(), "nothing half-written");
    }

    async fn the_narrative_is_answered_in_the_language_asked(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = staff(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let mut input = update(&mo18, &day(&app, -1), "LIMITED", &json!([]));
        input["narrative"] = json!([
            { "language": "en", "text": "The plan was drafted." },
            { "language": "fr", "text": "Le plan a été rédigé." }
        ]);
        let id = posted(&app, &who.amal, &input).await["id"].clone();

        let query = json!({
            "query": "query($id: ID!) { node(id: $id) { __typename ... on ImplementationUpdate { narrative language translations { language narrative } } } }",
            "variables": { "id": id }
        });
        // (path, Accept-Language, language answered)
        let asks = [
            ("/graphql", None, "en"),
            ("/graphql?lang=fr", None, "fr"),
            ("/graphql", Some("fr-MA,fr;q=0.9"), "fr"),
            ("/graphql?lang=en", Some("fr"), "en"),
            ("/graphql", Some("ar"), "en"),
        ];
        for (path, accept, language) in asks {
            let headers: Vec<(&str, &str)> = accept.map(|accept| ("accept-language", accept)).into_iter().collect();
            let reply = app.post_json(path, &query, &headers).await;
            let node = &reply.data()["node"];
            assert_eq!(node["__typename"], "ImplementationUpdate");
            let expected = if language == "fr" { "Le plan a été rédigé." } else { "The plan was drafted." };
            assert_eq!((&node["language"], &node["narrative"]), (&json!(language), &json!(expected)), "{path} {accept:?}");
            let mut translations = node["translations"].as_array().expect("translations").clone();
            translations.sort_by_key(|t| text(&t["language"]));
            assert_eq!(
                translations,
                [
                    json!({ "language": "en", "narrative": "The plan was drafted." }),
                    json!({ "language": "fr", "narrative": "Le plan a été rédigé." })
                ]
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Evidence documents

on_both_backends! {
    async fn an_uploaded_document_becomes_downloadable_once_attached(backend: Backend) {
        let api = ApiArgs { public_url: PUBLIC_URL.to_owned(), ..ApiArgs::default() };
        let app = TestApp::with_api(backend, api).await;
        import::load_bundled_if_empty(app.conn()).await.expect("the bundled catalogue imports");
        let who = staff(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let bytes = pdf(64);

        let answer = upload(&app, Some(who.amal.as_str()), "progress report.pdf", "application/pdf", bytes.clone()).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&answer.bytes));
        let stored = answer.json();
        assert_eq!(stored["fileName"], "progress report.pdf");
        assert_eq!(stored["contentType"], "application/pdf");
        assert_eq!(stored["sizeBytes"], bytes.len());
        let id = text(&stored["id"]);
        // Kept whole in the uploads folder, under a name of its own.
        let kept: Vec<std::path::PathBuf> = std::fs::read_dir(app.uploads.path())
            .expect("the uploads folder exists")
            .map(|entry| entry.expect("a folder entry").path())
            .collect();
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(std::fs::read(&kept[0]).expect("the stored file"), bytes);
        assert!(!kept[0].to_string_lossy().contains("progress report"), "{kept:?}");

        // Not public before it is attached to an update.
        assert_eq!(download(&app, &format!("/evidence/documents/{id}")).await.status, StatusCode::NOT_FOUND);

        let date = day(&app, -2);
        let evidence = json!([{ "title": "Progress report", "type": "REPORT", "date": date, "documentId": id }]);
        let answered = posted(&app, &who.amal, &update(&mo18, &date, "SUBSTANTIAL", &evidence)).await;
        assert_eq!(answered["hasEvidence"], true);
        let attached = &answered["evidence"][0];
        assert_eq!(
            (&attached["kind"], &attached["fileName"], &attached["contentType"], &attached["sizeBytes"]),
            (&json!("DOCUMENT"), &json!("progress report.pdf"), &json!("application/pdf"), &json!(bytes.len()))
        );
        let url = text(&attached["url"]);
        let path = url
            .strip_prefix(PUBLIC_URL)
            .unwrap_or_else(|| panic!("{url} is not an absolute URL under {PUBLIC_URL}"));
        assert!(path.starts_with("/evidence/documents/"), "{url}");
        assert_eq!(completion_levels(&app, "MO0018").await.0, "SUBSTANTIAL");

        // Anyone may now download it, as uploaded.
        let got = download(&app, path).await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.bytes, bytes);
        assert_eq!(got.header("content-type"), Some("application/pdf"));
        let disposition = got.header("content-disposition").unwrap_or_default();
        assert!(disposition.starts_with("attachment"), "Content-Disposition: {disposition}");

        // An unknown document.
        let kind = decoded(&json!(id));
        let kind = kind.split_once(':').map_or("Document", |(kind, _)| kind);
        let unknown = global_id(kind, 999_999);
        assert_eq!(download(&app, &format!("/evidence/documents/{unknown}")).await.status, StatusCode::NOT_FOUND);

        // A document is evidence of one update only.
        let again = post_update(&app, &who.amal, &update(&mo18, &date, "COMPLETE", &evidence)).await;
        assert_bad_nested_input(&again, "evidence", None, "a document already attached");
        assert_eq!(update_history(&app, "MO0018").await.len(), 1);
    }

    async fn uploads_need_a_token_a_true_type_and_a_bounded_size(backend: Backend) {
        let api = ApiArgs { max_upload_mib: 1, ..ApiArgs::default() };
        let app = TestApp::with_api(backend, api).await;
        let admin = app.staff("admin@example.org", &[Role::Admin], None).await;

        let anonymous = upload(&app, None, "report.pdf", "application/pdf", pdf(0)).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        assert_eq!(http_error_code(&anonymous), "UNAUTHENTICATED");

        let text_as_pdf = b"Minutes of the forum of 12 March: 40 people attended.\n".to_vec();
        let lying = upload(&app, Some(admin.as_str()), "minutes.pdf", "application/pdf", text_as_pdf.clone()).await;
        assert_eq!(lying.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(!http_error_code(&lying).is_empty());
        // The same bytes, declared as what they are, are welcome.
        let honest = upload(&app, Some(admin.as_str()), "minutes.txt", "text/plain", text_as_pdf).await;
        assert_eq!(honest.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&honest.bytes));
        assert_eq!(honest.json()["contentType"], "text/plain");

        let mib = 1024 * 1024;
        let too_large = upload(&app, Some(admin.as_str()), "big.pdf", "application/pdf", pdf(mib)).await;
        assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(!http_error_code(&too_large).is_empty());
        let just_under = pdf(mib - 1024);
        assert!(just_under.len() < mib);
        let fits = upload(&app, Some(admin.as_str()), "fits.pdf", "application/pdf", just_under.clone()).await;
        assert_eq!(fits.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&fits.bytes));
        assert_eq!(fits.json()["sizeBytes"], just_under.len());
    }
}

// ---------------------------------------------------------------------------
// Verifiability

on_both_backends! {
    async fn bundled_mo0018_lacks_expected_outputs_and_means_of_verification(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let milestones = milestone_ids(&app, "MO0018").await;
        let reply = app.query(ISSUES, json!({ "code": "MO0018" })).await;
        let commitment = &reply.data()["commitment"];
        let expected: Vec<_> = milestones
            .iter()
            .flat_map(|m| [issue("MISSING_EXPECTED_OUTPUT", Some(m.as_str())), issue("MISSING_MEANS_OF_VERIFICATION", Some(m.as_str()))])
            .collect();
        assert_eq!(problems(&commitment["verifiabilityIssues"]), expected);
        for issue in commitment["verifiabilityIssues"].as_array().expect("issues") {
            assert!(issue["message"].as_str().is_some_and(|m| !m.trim().is_empty()), "a message for people: {issue}");
        }
        for (n, milestone) in milestones.iter().enumerate() {
            assert_eq!(
                problems(&commitment["milestones"][n]["verifiabilityIssues"]),
                [issue("MISSING_EXPECTED_OUTPUT", Some(milestone.as_str())), issue("MISSING_MEANS_OF_VERIFICATION", Some(milestone.as_str()))]
            );
            assert!(commitment["milestones"][n]["expectedOutput"].is_null());
            assert!(commitment["milestones"][n]["meansOfVerification"].is_null());
        }
    }

    async fn a_milestone_given_an_output_and_its_verification_has_no_issues(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = staff(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let milestones = milestone_ids(&app, "MO0018").await;
        let reply = app
            .query_as(&who.amal, UPDATE_MILESTONE, json!({ "input": {
                "id": milestones[1],
                "expectedOutput": english("A communication plan, adopted"),
                "meansOfVerification": english("The plan published on the ministry's website")
            } }))
            .await;
        let updated = &reply.data()["updateMilestone"];
        assert_eq!(updated["expectedOutput"], "A communication plan, adopted");
        assert_eq!(updated["meansOfVerification"], "The plan published on the ministry's website");

        // A new milestone without an end date; its responsible institution
        // falls back to the commitment's lead (MRAFP).
        let reply = app
            .query_as(&who.amal, CREATE_MILESTONE, json!({ "input": { "commitmentId": mo18, "title": english("Publish the assessment") } }))
            .await;
        let added = text(&reply.data()["createMilestone"]["id"]);

        let reply = app.query(ISSUES, json!({ "code": "MO0018" })).await;
        let (m1, m3) = (Some(milestones[0].as_str()), Some(milestones[2].as_str()));
        assert_eq!(
            problems(&reply.data()["commitment"]["verifiabilityIssues"]),
            [
                issue("MISSING_EXPECTED_OUTPUT", m1),
                issue("MISSING_MEANS_OF_VERIFICATION", m1),
                issue("MISSING_EXPECTED_OUTPUT", m3),
                issue("MISSING_MEANS_OF_VERIFICATION", m3),
                issue("MISSING_EXPECTED_OUTPUT", Some(added.as_str())),
                issue("MISSING_DUE_DATE", Some(added.as_str())),
                issue("MISSING_MEANS_OF_VERIFICATION", Some(added.as_str())),
            ]
        );
        assert_eq!(reply.data()["commitment"]["milestones"][1]["verifiabilityIssues"], json!([]));
    }

    async fn a_bare_commitment_shows_its_own_problems(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = staff(&app).await;
        let plan = plan_id(&app).await;
        let reply = app
            .query_as(&who.admin, CREATE_COMMITMENT, json!({ "input": {
                "actionPlanId": plan, "code": "MO0025", "title": english("Open contracting")
            } }))
            .await;
        let commitment = text(&reply.data()["createCommitment"]["id"]);
        let reply = app.query(ISSUES, json!({ "code": "MO0025" })).await;
        assert_eq!(
            problems(&reply.data()["commitment"]["verifiabilityIssues"]),
            [
                issue("MISSING_EXPECTED_OUTPUT", None),
                issue("MISSING_DUE_DATE", None),
                issue("MISSING_RESPONSIBLE_INSTITUTION", None),
                issue("NO_MILESTONES", None),
            ]
        );

        // One milestone with nothing but a title: no lead to fall back on.
        let reply = app
            .query_as(&who.admin, CREATE_MILESTONE, json!({ "input": { "commitmentId": commitment, "title": english("Publish contracts") } }))
            .await;
        let milestone = text(&reply.data()["createMilestone"]["id"]);
        let reply = app.query(ISSUES, json!({ "code": "MO0025" })).await;
        let m = Some(milestone.as_str());
        assert_eq!(
            problems(&reply.data()["commitment"]["verifiabilityIssues"]),
            [
                issue("MISSING_EXPECTED_OUTPUT", None),
                issue("MISSING_DUE_DATE", None),
                issue("MISSING_RESPONSIBLE_INSTITUTION", None),
                issue("MISSING_EXPECTED_OUTPUT", m),
                issue("MISSING_DUE_DATE", m),
                issue("MISSING_RESPONSIBLE_INSTITUTION", m),
                issue("MISSING_MEANS_OF_VERIFICATION", m),
            ]
        );

        // Its own responsible institution is enough for the milestone.
        let reply = app.query(r#"{ commitment(code: "MO0018") { leadInstitution { id } } }"#, json!({})).await;
        let mrafp = reply.data()["commitment"]["leadInstitution"]["id"].clone();
        let reply = app
            .query_as(&who.admin, UPDATE_MILESTONE, json!({ "input": { "id": milestone, "responsibleInstitutionId": mrafp } }))
            .await;
        assert!(reply.body.get("errors").is_none(), "{}", reply.body);
        let reply = app.query(ISSUES, json!({ "code": "MO0025" })).await;
        assert_eq!(
            problems(&reply.data()["commitment"]["milestones"][0]["verifiabilityIssues"]),
            [issue("MISSING_EXPECTED_OUTPUT", m), issue("MISSING_DUE_DATE", m), issue("MISSING_MEANS_OF_VERIFICATION", m)]
        );
    }
}

// ---------------------------------------------------------------------------
// Reasoned responses and the ledger

on_both_backends! {
    async fn the_ledger_counts_answers_decisions_and_the_median_time_to_answer(backend: Backend) {
        let app = bundled_app(backend).await;
        let who = staff(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let mo1 = app.commitment_id("MO0001").await;

        // At t0: four comments on MO0018, a citizen's reply to one of them,
        // one more hidden by a moderator, and one comment on MO0001.
        let a = citizen_comment(&app, &mo18, None, "Publish the plan in Arabic").await;
        let b = citizen_comment(&app, &mo18, None, "Close the ministry's website").await;
        let c = citizen_comment(&app, &mo18, None, "Hold the forum in Tangier too").await;
        let d = citizen_comment(&app, &mo18, None, "When is the next forum?").await;
        let reply_to_d = citizen_comment(&app, &mo18, Some(d.as_str()), "I would like to know too").await;
        let hidden = citizen_comment(&app, &mo18, None, "Buy cheap pills").await;
        let g = citizen_comment(&app, &mo1, None, "Where is the access to information portal?").await;
        let reply = app.query_as(&who.moderator, MODERATE, json!({ "id": hidden, "action": "HIDE" })).await;
        assert_eq!(reply.data()["moderateFeedback"]["moderationState"], "HIDDEN");

        let (ledger, _) = ledgers(&app, "MO0018").await;
        assert_eq!(
            ledger,
            // Replies are conversation, not proposals: the reply to D is not
            // counted, nor is the hidden comment.
            json!({ "received": 4, "answered": 0, "awaitingResponse": 4, "decisions": decisions(0, 0, 0, 0, 0), "medianDaysToAnswer": null })
        );

        // t0 + 12 h: C is under consideration (no rationale needed).
        app.clock.advance(Duration::hours(12));
        let reply = respond(&app, &who.amal, &c, "UNDER_CONSIDERATION", None).await;
        let response = &reply.data()["respondToFeedback"];
        assert_eq!((&response["official"], &response["decision"], &response["rationale"]), (&json!(true), &json!("UNDER_CONSIDERATION"), &Value::Null));

        // t0 + 36 h: A is adopted.
        app.clock.advance(Duration::hours(24));
        let reply = respond(&app, &who.amal, &a, "ADOPTED", Some("The Arabic version is planned for June.")).await;
        assert_eq!(reply.data()["respondToFeedback"]["decision"], "ADOPTED");
        assert_eq!(reply.data()["respondToFeedback"]["rationale"], "The Arabic version is planned for June.");

        // t0 + 72 h: B is not adopted, for a reason.
        app.clock.advance(Duration::hours(36));
        let reply = respond(&app, &who.amal, &b, "NOT_ADOPTED", Some("The website is how the plan is published.")).await;
        assert_eq!(reply.data()["respondToFeedback"]["decision"], "NOT_ADOPTED");

        // t0 + 96 h: C is adopted after all; G gets an old-style response.
        app.clock.advance(Duration::hours(24));
        respond(&app, &who.amal, &c, "ADOPTED", Some("A forum in Tangier is scheduled.")).await.data();
        let reply = app.query_as(&who.admin, RESPOND_OLD_STYLE, json!({ "id": g, "body": "It opens in May." })).await;
        assert_eq!(reply.data()["respondToFeedback"]["decision"], "UNDER_CONSIDERATION");

        // MO0018: A (1.5 days), B (3 days), C (first answered after 0.5
        // days, decided since); D waits.
        let (commitment, plan) = ledgers(&app, "MO0018").await;
        assert_eq!(
            (&commitment["received"], &commitment["answered"], &commitment["awaitingResponse"]),
            (&json!(4), &json!(3), &json!(1))
        );
        assert_eq!(commitment["decisions"], decisions(2, 0, 1, 0, 0));
        assert_median(&commitment, 1.5);
        // The plan adds G (4 days, under consideration): median of 0.5, 1.5, 3, 4.
        assert_eq!(
            (&plan["received"], &plan["answered"], &plan["awaitingResponse"]),
            (&json!(5), &json!(4), &json!(1))
        );
        assert_eq!(plan["decisions"], decisions(2, 0, 1, 1, 0));
        assert_median(&plan, 2.25);
        let (untouched, _) = ledgers(&app, "MO0002").await;
        assert_eq!(
            untouched,
            json!({ "received": 0, "answered": 0, "awaitingResponse": 0, "decisions": decisions(0, 0, 0, 0, 0), "medianDaysToAnswer": null })
        );

        // Each citizen's item carries its newest official response's decision.
        let expected = [
            (&a, json!("ADOPTED"), json!("The Arabic version is planned for June.")),
            (&b, json!("NOT_ADOPTED"), json!("The website is how the plan is published.")),
            (&c, json!("ADOPTED"), json!("A forum in Tangier is scheduled.")),
            (&d, Value::Null, Value::Null),
            (&reply_to_d, Value::Null, Value::Null),
            (&g, json!("UNDER_CONSIDERATION"), Value::Null),
        ];
        for (id, decision, rationale) in expected {
            let reply = app.query(DECISION, json!({ "id": id })).await;
            let node = &reply.data()["node"];
            assert_eq!((&node["official"], &node["decision"], &node["rationale"]), (&json!(false), &decision, &rationale), "{id}");
        }
    }

    async fn a_decision_other_than_under_consideration_needs_a_rationale(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = staff(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let item = citizen_comment(&app, &mo18, None, "Publish the budget").await;
        let cases = [
            ("NOT_ADOPTED", None),
            ("ADOPTED", None),
            ("PARTLY_ADOPTED", Some("   ".to_owned())),
            ("OUT_OF_SCOPE", Some("x".repeat(5001))),
        ];
        for (decision, rationale) in cases {
            let reply = respond(&app, &who.amal, &item, decision, rationale.as_deref()).await;
            assert_bad_input(&reply, "rationale", decision);
        }
        let (ledger, _) = ledgers(&app, "MO0018").await;
        assert_eq!((&ledger["received"], &ledger["answered"]), (&json!(1), &json!(0)), "nothing written");

        let reply = respond(&app, &who.amal, &item, "OUT_OF_SCOPE", Some("The budget is the Finance Ministry's.")).await;
        assert_eq!(reply.data()["respondToFeedback"]["decision"], "OUT_OF_SCOPE");
        let (ledger, _) = ledgers(&app, "MO0018").await;
        assert_eq!(ledger["decisions"], decisions(0, 0, 0, 0, 1));
    }

    async fn an_old_style_response_counts_as_under_consideration(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = staff(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let item = citizen_comment(&app, &mo18, None, "When is the plan published?").await;
        app.clock.advance(Duration::hours(6));
        let reply = app.query_as(&who.amal, RESPOND_OLD_STYLE, json!({ "id": item, "body": "In June." })).await;
        let response = &reply.data()["respondToFeedback"];
        assert_eq!((&response["official"], &response["decision"], &response["rationale"]), (&json!(true), &json!("UNDER_CONSIDERATION"), &Value::Null));
        let reply = app.query(DECISION, json!({ "id": response["id"] })).await;
        assert_eq!(reply.data()["node"], json!({ "official": true, "decision": "UNDER_CONSIDERATION", "rationale": null }));

        let (ledger, _) = ledgers(&app, "MO0018").await;
        assert_eq!(
            (&ledger["received"], &ledger["answered"], &ledger["awaitingResponse"], &ledger["decisions"]),
            (&json!(1), &json!(1), &json!(0), &decisions(0, 0, 0, 1, 0))
        );
        assert_median(&ledger, 0.25);
    }
}

// ---------------------------------------------------------------------------
// Meetings

on_both_backends! {
    async fn focal_points_record_meetings_of_their_plan(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = staff(&app).await;
        let plan = plan_id(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let mo1 = app.commitment_id("MO0001").await;
        let (d30, d3) = (day(&app, -30), day(&app, -3));

        let mut input = meeting_input(&plan, &d30, "FORUM");
        input["attendees"] = json!([
            { "sector": "CIVIL_SOCIETY", "count": 7 },
            { "sector": "ACADEMIA", "count": 0 },
            { "sector": "GOVERNMENT", "count": 5 }
        ]);
        input["minutesUrl"] = json!("https://example.org/forum-minutes");
        input["commitmentIds"] = json!([mo18, mo1]);
        let forum = meeting(&app, &who.amal, input).await;
        assert_eq!(forum["date"], d30.as_str());
        assert_eq!(forum["kind"], "FORUM");
        assert_eq!(
            forum["attendees"],
            json!([{ "sector": "GOVERNMENT", "count": 5 }, { "sector": "CIVIL_SOCIETY", "count": 7 }]),
            "sectors with people, in enum order"
        );
        assert_eq!(forum["totalAttendees"], 12);
        assert_eq!(forum["minutesUrl"], "https://example.org/forum-minutes");
        assert_eq!(forum["actionPlan"]["key"], PLAN_KEY);
        let mut discussed: Vec<String> = forum["commitments"].as_array().expect("commitments").iter().map(|c| text(&c["code"])).collect();
        discussed.sort();
        assert_eq!(discussed, ["MO0001", "MO0018"]);

        let mut input = meeting_input(&plan, &d3, "IMPLEMENTATION");
        input["commitmentIds"] = json!([mo18]);
        let implementation = meeting(&app, &who.admin, input).await;
        assert_eq!(implementation["attendees"], json!([]));
        assert_eq!(implementation["totalAttendees"], 0);
        assert!(implementation["minutesUrl"].is_null());

        let reply = app.query(MEETINGS, json!({ "key": PLAN_KEY })).await;
        let data = reply.data();
        let (forum, implementation) = (text(&forum["id"]), text(&implementation["id"]));
        assert_eq!(ids(&data["actionPlan"]["meetings"]), [implementation.clone(), forum.clone()], "newest first");
        assert_eq!(ids(&data["mo18"]["meetings"]), [implementation, forum.clone()]);
        assert_eq!(ids(&data["mo1"]["meetings"]), [forum]);
        assert!(ids(&data["mo2"]["meetings"]).is_empty());
    }

    async fn meetings_are_refused_to_others_and_with_bad_input(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = staff(&app).await;
        let plan = plan_id(&app).await;
        let today = day(&app, 0);

        let reply = app.query(RECORD_MEETING, json!({ "input": meeting_input(&plan, &today, "FORUM") })).await;
        assert_eq!(reply.error_code(), "UNAUTHENTICATED");
        let reply = app.query_as(&who.moderator, RECORD_MEETING, json!({ "input": meeting_input(&plan, &today, "FORUM") })).await;
        assert_eq!(reply.error_code(), "FORBIDDEN", "a moderator");

        // A second plan, with a commitment of its own.
        let reply = app
            .query_as(&who.admin, "mutation($input: CreateActionPlanInput!) { createActionPlan(input: $input) { id } }", json!({ "input": {
                "key": "morocco-2021-2023", "countryIsoCode": "MA", "cycleYear": 2021, "title": english("Morocco Action Plan 2021-2023")
            } }))
            .await;
        let other_plan = text(&reply.data()["createActionPlan"]["id"]);
        let reply = app
            .query_as(&who.admin, CREATE_COMMITMENT, json!({ "input": { "actionPlanId": other_plan, "code": "MO0025", "title": english("Open contracting") } }))
            .await;
        let other_commitment = text(&reply.data()["createCommitment"]["id"]);
        let reply = app.query_as(&who.amal, RECORD_MEETING, json!({ "input": meeting_input(&other_plan, &today, "FORUM") })).await;
        assert_eq!(reply.error_code(), "FORBIDDEN", "MO0018's focal point has no commitment in the 2021 plan");

        let with = |changes: Value| {
            let mut input = meeting_input(&plan, &today, "FORUM");
            for (name, value) in changes.as_object().expect("an object of changes") {
                input[name] = value.clone();
            }
            json!({ "input": input })
        };
        let reply = app.query_as(&who.amal, RECORD_MEETING, with(json!({ "commitmentIds": [other_commitment] }))).await;
        assert_bad_nested_input(&reply, "commitmentIds", None, "a commitment of another plan");
        let reply = app.query_as(&who.amal, RECORD_MEETING, with(json!({ "date": day(&app, 2) }))).await;
        assert_bad_input(&reply, "date", "a future date");
        let reply = app.query_as(&who.amal, RECORD_MEETING, with(json!({ "minutesUrl": "minutes.pdf" }))).await;
        assert_bad_input(&reply, "minutesUrl", "a relative url");
        let reply = app
            .query_as(&who.amal, RECORD_MEETING, with(json!({ "attendees": [{ "sector": "GOVERNMENT", "count": 2 }, { "sector": "GOVERNMENT", "count": 3 }] })))
            .await;
        assert_bad_nested_input(&reply, "attendees", None, "a sector twice");
        let reply = app.query_as(&who.amal, RECORD_MEETING, with(json!({ "attendees": [{ "sector": "ACADEMIA", "count": -1 }] }))).await;
        assert_bad_nested_input(&reply, "attendees", None, "a negative count");

        let reply = app.query(MEETINGS, json!({ "key": PLAN_KEY })).await;
        assert!(ids(&reply.data()["actionPlan"]["meetings"]).is_empty(), "nothing recorded");
    }
}

// ---------------------------------------------------------------------------
// The compliance clock

on_both_backends! {
    async fn a_fresh_bundled_plan_raises_the_expected_alerts(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let mo18 = commitment_alerts(&app, "MO0018").await;
        assert_eq!(sorted_kinds(&mo18), ["MILESTONES_OVERDUE", "REPOSITORY_STALE"]);
        for alert in &mo18 {
            assert_eq!(alert["commitment"]["code"], "MO0018");
            assert!(alert["message"].as_str().is_some_and(|m| !m.trim().is_empty()), "a message for people: {alert}");
        }
        let overdue = commitment_alert(&app, "MO0018", "MILESTONES_OVERDUE").await.expect("MILESTONES_OVERDUE");
        assert_eq!(overdue["count"], 3);
        // MO0001 has no milestones and no feedback.
        assert_eq!(sorted_kinds(&commitment_alerts(&app, "MO0001").await), ["REPOSITORY_STALE"]);

        assert!(plan_alert(&app, "NO_RECENT_FORUM").await.is_some());
        let meetings = plan_alert(&app, "TOO_FEW_IMPLEMENTATION_MEETINGS").await.expect("TOO_FEW_IMPLEMENTATION_MEETINGS");
        assert_eq!(meetings["count"], 0);

        // Plan-level alerts first, then each commitment's, by code.
        let all = plan_alerts(&app).await;
        let first_commitment = all.iter().position(|alert| !alert["commitment"].is_null()).expect("commitments' alerts");
        assert!(all[first_commitment..].iter().all(|alert| !alert["commitment"].is_null()), "plan-level alerts first");
        let codes: Vec<String> = all[first_commitment..].iter().map(|alert| text(&alert["commitment"]["code"])).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        assert_eq!(codes, sorted, "by code");
        assert_eq!(codes.iter().filter(|code| *code == "MO0018").count(), 2, "MO0018's two alerts");
    }

    async fn only_evidence_keeps_the_repository_fresh_and_for_183_days(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = staff(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        assert!(commitment_alert(&app, "MO0018", "REPOSITORY_STALE").await.is_some());
        assert!(plan_alert(&app, "REPOSITORY_STALE").await.is_some(), "no evidence on any commitment of the plan");

        let today = day(&app, 0);
        posted(&app, &who.amal, &update(&mo18, &today, "LIMITED", &json!([]))).await;
        assert!(commitment_alert(&app, "MO0018", "REPOSITORY_STALE").await.is_some(), "an update without evidence does not count");

        posted(&app, &who.amal, &update(&mo18, &today, "LIMITED", &link_evidence(&today))).await;
        assert!(commitment_alert(&app, "MO0018", "REPOSITORY_STALE").await.is_none());
        assert!(plan_alert(&app, "REPOSITORY_STALE").await.is_none(), "one commitment has evidence");
        assert!(commitment_alert(&app, "MO0001", "REPOSITORY_STALE").await.is_some(), "other commitments stay stale");

        app.clock.advance(Duration::days(182));
        assert!(commitment_alert(&app, "MO0018", "REPOSITORY_STALE").await.is_none(), "182 days on");
        app.clock.advance(Duration::days(2));
        assert!(commitment_alert(&app, "MO0018", "REPOSITORY_STALE").await.is_some(), "184 days on");
        assert!(plan_alert(&app, "REPOSITORY_STALE").await.is_some(), "184 days on");
    }

    async fn feedback_awaits_a_response_for_thirty_days_before_an_alert(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = staff(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let item = citizen_comment(&app, &mo18, None, "When is the plan published?").await;
        assert!(commitment_alert(&app, "MO0018", "FEEDBACK_AWAITING_RESPONSE").await.is_none());

        app.clock.advance(Duration::days(29));
        assert!(commitment_alert(&app, "MO0018", "FEEDBACK_AWAITING_RESPONSE").await.is_none(), "29 days old");
        app.clock.advance(Duration::days(2));
        let alert = commitment_alert(&app, "MO0018", "FEEDBACK_AWAITING_RESPONSE").await.expect("31 days old");
        assert_eq!(alert["count"], 1);
        assert_eq!(alert["commitment"]["code"], "MO0018");
        // A citizen's reply is no response (and is itself new).
        citizen_comment(&app, &mo18, Some(item.as_str()), "Still waiting").await;
        let alert = commitment_alert(&app, "MO0018", "FEEDBACK_AWAITING_RESPONSE").await.expect("still awaiting");
        assert_eq!(alert["count"], 1);

        respond(&app, &who.amal, &item, "UNDER_CONSIDERATION", None).await.data();
        assert!(commitment_alert(&app, "MO0018", "FEEDBACK_AWAITING_RESPONSE").await.is_none(), "answered");
    }

    async fn the_response_deadline_is_configurable(backend: Backend) {
        let api = ApiArgs {
            compliance: ComplianceArgs { response_due_days: 7, ..ComplianceArgs::default() },
            ..ApiArgs::default()
        };
        let app = TestApp::with_api(backend, api).await;
        import::load_bundled_if_empty(app.conn()).await.expect("the bundled catalogue imports");
        let mo18 = app.commitment_id("MO0018").await;
        citizen_comment(&app, &mo18, None, "When is the plan published?").await;
        app.clock.advance(Duration::days(6));
        assert!(commitment_alert(&app, "MO0018", "FEEDBACK_AWAITING_RESPONSE").await.is_none(), "6 days old");
        app.clock.advance(Duration::days(2));
        let alert = commitment_alert(&app, "MO0018", "FEEDBACK_AWAITING_RESPONSE").await.expect("8 days old");
        assert_eq!(alert["count"], 1);
    }

    async fn a_forum_keeps_the_plan_in_order_for_183_days(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = staff(&app).await;
        let plan = plan_id(&app).await;
        assert!(plan_alert(&app, "NO_RECENT_FORUM").await.is_some());
        meeting(&app, &who.amal, meeting_input(&plan, &day(&app, 0), "IMPLEMENTATION")).await;
        assert!(plan_alert(&app, "NO_RECENT_FORUM").await.is_some(), "an implementation meeting is no forum");
        meeting(&app, &who.amal, meeting_input(&plan, &day(&app, -200), "FORUM")).await;
        assert!(plan_alert(&app, "NO_RECENT_FORUM").await.is_some(), "a forum 200 days ago");
        meeting(&app, &who.amal, meeting_input(&plan, &day(&app, 0), "FORUM")).await;
        assert!(plan_alert(&app, "NO_RECENT_FORUM").await.is_none(), "a forum today");

        app.clock.advance(Duration::days(182));
        assert!(plan_alert(&app, "NO_RECENT_FORUM").await.is_none(), "182 days on");
        app.clock.advance(Duration::days(2));
        assert!(plan_alert(&app, "NO_RECENT_FORUM").await.is_some(), "184 days on");
    }

    async fn implementation_meetings_are_counted_over_the_last_year(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = staff(&app).await;
        let plan = plan_id(&app).await;
        assert_eq!(implementation_meetings(&app).await, Some(json!(0)));
        meeting(&app, &who.amal, meeting_input(&plan, &day(&app, -400), "IMPLEMENTATION")).await;
        assert_eq!(implementation_meetings(&app).await, Some(json!(0)), "more than a year ago");
        meeting(&app, &who.amal, meeting_input(&plan, &day(&app, 0), "FORUM")).await;
        assert_eq!(implementation_meetings(&app).await, Some(json!(0)), "a forum is no implementation meeting");
        meeting(&app, &who.amal, meeting_input(&plan, &day(&app, -10), "IMPLEMENTATION")).await;
        assert_eq!(implementation_meetings(&app).await, Some(json!(1)));
        meeting(&app, &who.amal, meeting_input(&plan, &day(&app, 0), "IMPLEMENTATION")).await;
        assert_eq!(implementation_meetings(&app).await, None, "two in the last year");

        // 360 days on, the one held 10 days before is 370 days old.
        app.clock.advance(Duration::days(360));
        assert_eq!(implementation_meetings(&app).await, Some(json!(1)));
    }

    async fn overdue_milestones_are_counted_until_completed(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = staff(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let milestones = milestone_ids(&app, "MO0018").await;
        let today = day(&app, 0);
        let on_milestone = |n: usize, status: &str, evidence: &Value| {
            let mut input = update(&mo18, &today, status, evidence);
            input["milestoneId"] = json!(milestones[n]);
            input
        };
        assert_eq!(overdue(&app).await, Some(json!(3)));

        posted(&app, &who.amal, &on_milestone(0, "COMPLETE", &link_evidence(&today))).await;
        assert_eq!(overdue(&app).await, Some(json!(2)), "the first is complete, with evidence");
        posted(&app, &who.amal, &on_milestone(2, "COMPLETE", &json!([]))).await;
        assert_eq!(overdue(&app).await, Some(json!(2)), "complete without evidence does not count");
        posted(&app, &who.amal, &on_milestone(2, "SUBSTANTIAL", &link_evidence(&today))).await;
        assert_eq!(overdue(&app).await, Some(json!(2)), "evidence, but not of completion");

        let reply = app
            .query_as(&who.amal, UPDATE_MILESTONE, json!({ "input": { "id": milestones[1], "status": "COMPLETED" } }))
            .await;
        assert_eq!(reply.data()["updateMilestone"]["status"], "COMPLETED");
        assert_eq!(overdue(&app).await, Some(json!(1)), "the second is marked completed");
    }

    async fn withdrawn_commitments_and_completed_plans_raise_no_alerts(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let who = staff(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let plan = plan_id(&app).await;
        let reply = app
            .query_as(&who.admin, "mutation($id: ID!) { updateCommitment(input: { id: $id, status: WITHDRAWN }) { status } }", json!({ "id": mo18 }))
            .await;
        assert_eq!(reply.data()["updateCommitment"]["status"], "WITHDRAWN");
        assert_eq!(commitment_alerts(&app, "MO0018").await, Vec::<Value>::new());
        assert!(
            plan_alerts(&app).await.iter().all(|alert| alert["commitment"]["code"] != "MO0018"),
            "a withdrawn commitment is out of the plan's alerts"
        );
        assert!(!commitment_alerts(&app, "MO0001").await.is_empty());

        let reply = app
            .query_as(&who.admin, "mutation($id: ID!) { updateActionPlan(input: { id: $id, status: COMPLETED }) { status } }", json!({ "id": plan }))
            .await;
        assert_eq!(reply.data()["updateActionPlan"]["status"], "COMPLETED");
        assert_eq!(plan_alerts(&app).await, Vec::<Value>::new());
        assert_eq!(commitment_alerts(&app, "MO0001").await, Vec::<Value>::new());
    }
}

// ---------------------------------------------------------------------------
// Digests

on_both_backends! {
    async fn a_focal_points_digest_opens_with_compliance_alerts(backend: Backend) {
        let api = ApiArgs { public_url: PUBLIC_URL.to_owned(), ..ApiArgs::default() };
        let app = TestApp::with_api(backend, api).await;
        import::load_bundled_if_empty(app.conn()).await.expect("the bundled catalogue imports");
        set_clock(&app, at("2027-03-02T10:00:00Z"));
        let admin = app.staff("admin@example.org", &[Role::Admin], None).await;
        let mo18 = app.commitment_id("MO0018").await;

        // MO0018's focal point subscribes (by an admin) and confirms.
        let reply = app.query(r#"{ commitment(code: "MO0018") { focalPoints { id } } }"#, json!({})).await;
        let focal_point = reply.data()["commitment"]["focalPoints"][0]["id"].clone();
        let reply = app
            .query_as(&admin, "mutation($input: SubscribeToDigestInput!) { subscribeToDigest(input: $input) { status } }", json!({ "input": { "focalPointId": focal_point } }))
            .await;
        assert_eq!(reply.data()["subscribeToDigest"]["status"], "PENDING_CONFIRMATION");
        let confirmation = outbox(&app)
            .await
            .into_iter()
            .find(|row| row.dedupe_key.starts_with("digest-confirm:"))
            .expect("a confirmation email");
        let token = token_after(&confirmation.text_body, &format!("{PUBLIC_URL}/digest/confirm?token="));
        app.clock.advance(Duration::minutes(5));
        let confirmed = app
            .post_raw("/digest/confirm", "application/x-www-form-urlencoded", format!("token={token}").into_bytes())
            .await;
        assert_eq!(confirmed.status, 200, "{}", confirmed.body);

        set_clock(&app, at("2027-03-03T09:00:00Z"));
        citizen_comment(&app, &mo18, None, "Is the plan online?").await;

        let monday = at("2027-03-08T09:00:00Z");
        let settings = DigestSettings { public_url: PUBLIC_URL.to_owned(), compliance: ComplianceRules::default() };
        let report = run_due(app.conn(), &settings, monday, false).await.expect("a digest run");
        assert_eq!(report.composed, 1);
        let digest = outbox(&app)
            .await
            .into_iter()
            .find(|row| row.dedupe_key.starts_with("digest:"))
            .expect("a digest");
        let body = &digest.text_body;

        let heading = body.find("Compliance alerts").unwrap_or_else(|| panic!("no Compliance alerts section: {body}"));
        let feedback = body.find("New feedback").unwrap_or_else(|| panic!("no feedback section: {body}"));
        assert!(heading < feedback, "alerts come before the feedback: {body}");
        if let Some(awaiting) = body.find("Awaiting your response") {
            assert!(heading < awaiting, "alerts come before the feedback: {body}");
        }

        // The alerts of MO0018 and of its plan, as the API tells them then.
        set_clock(&app, monday);
        let mut alerts = commitment_alerts(&app, "MO0018").await;
        assert_eq!(sorted_kinds(&alerts), ["MILESTONES_OVERDUE", "REPOSITORY_STALE"]);
        alerts.extend(plan_alerts(&app).await.into_iter().filter(|alert| alert["commitment"].is_null()));
        let section = &body[heading..feedback];
        for alert in &alerts {
            let message = text(&alert["message"]);
            assert!(
                section.lines().any(|line| line.contains(&message)),
                "no line for {} ({message}) in the alerts section: {section}",
                alert["kind"]
            );
        }
    }
}
