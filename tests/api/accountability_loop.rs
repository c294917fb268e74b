//! The accountability loop closed end to end, as the issue's "Done when"
//! puts it: a focal point of MO0018 posts an update with evidence and
//! answers a citizen with a decision and a rationale, and the digest, the
//! compliance alerts, the open-data exports and `ogp-pulse report
//! commitment MO0018` all show it — while nothing personal the citizen
//! gave (name, address) leaks into any export or the report, and the
//! address never reaches the digest.
//!
//! "Now" is the application's manual clock, set to a fixed week (Monday
//! 2027-03-01) so the weekly digest of Monday 2027-03-08 covers it all.

use chrono::{Duration, SecondsFormat};
use entity::mail_outbox;
use ogp_pulse::{
    accountability::compliance::ComplianceRules,
    clock::Clock,
    config::ApiArgs,
    digests::{DigestSettings, run::run_due},
    import,
    staff::Role,
};
use poem::http::StatusCode;
use serde_json::{Value, json};

use crate::{
    process::{Finished, ogp_pulse, run},
    support::{
        Backend, DATASETS, TestApp, at, csv_rows, on_both_backends, outbox, set_clock, token_after,
    },
};

const PLAN: &str = "morocco-2018-2020";
const PUBLIC_URL: &str = "https://pulse.example.org";
const PLANTED_EMAIL: &str = "planted.loop@example.org";
const PLANTED_NAME: &str = "Planted Name";
const COMMENT: &str = "Please publish the communication plan in Arabic and Amazigh.";
const NARRATIVE: &str = "Communication plan adopted by the ministry.";
const EVIDENCE_TITLE: &str = "Communication plan";
const EVIDENCE_URL: &str = "https://gov.example.ma/plan.pdf";
const RATIONALE: &str = "Arabic first, Amazigh next year.";
/// The day the update is posted and reports on (in the digest's week).
const UPDATE_DAY: &str = "2027-03-04";

const FOCAL_POINTS: &str = r#"{ commitment(code: "MO0018") { focalPoints { id } } }"#;
const SUBSCRIBE: &str =
    "mutation($input: SubscribeToDigestInput!) { subscribeToDigest(input: $input) { status } }";
const SUBMIT: &str = "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { status feedback { id } } }";
const POST_UPDATE: &str = "mutation($input: PostImplementationUpdateInput!) { postImplementationUpdate(input: $input) { status hasEvidence } }";
const RESPOND: &str = "mutation($id: ID!, $rationale: String) {
    respondToFeedback(feedbackId: $id, body: \"Thank you for your comment.\", decision: PARTLY_ADOPTED, rationale: $rationale) { official decision rationale }
}";
const STANDING: &str =
    r#"{ commitment(code: "MO0018") { completionLevel complianceAlerts { kind message } } }"#;

/// MO0018's focal point subscribes itself to the weekly digest and follows
/// the confirmation link.
async fn subscribe_and_confirm(app: &TestApp, token: &str) {
    let reply = app.query(FOCAL_POINTS, json!({})).await;
    let focal_point = reply.data()["commitment"]["focalPoints"][0]["id"].clone();
    let input = json!({ "input": { "focalPointId": focal_point, "frequency": "WEEKLY" } });
    let reply = app.query_as(token, SUBSCRIBE, input).await;
    assert_eq!(
        reply.data()["subscribeToDigest"]["status"],
        "PENDING_CONFIRMATION"
    );
    let confirmation = outbox(app)
        .await
        .into_iter()
        .find(|row| row.dedupe_key.starts_with("digest-confirm:"))
        .expect("a confirmation email");
    let marker = format!("{PUBLIC_URL}/digest/confirm?token=");
    let link = token_after(&confirmation.text_body, &marker);
    app.clock.advance(Duration::minutes(5));
    let body = format!("token={link}").into_bytes();
    let confirmed = app
        .post_raw("/digest/confirm", "application/x-www-form-urlencoded", body)
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
}

/// MO0018's completion level and its compliance alerts (kind, message).
async fn standing(app: &TestApp) -> (Value, Vec<(String, String)>) {
    let reply = app.query(STANDING, json!({})).await;
    let commitment = &reply.data()["commitment"];
    let alerts = commitment["complianceAlerts"]
        .as_array()
        .unwrap_or_else(|| panic!("no complianceAlerts in {}", reply.body))
        .iter()
        .map(|alert| {
            let field = |name: &str| alert[name].as_str().unwrap_or_default().to_owned();
            (field("kind"), field("message"))
        })
        .collect();
    (commitment["completionLevel"].clone(), alerts)
}

fn raised(alerts: &[(String, String)], kind: &str) -> bool {
    alerts.iter().any(|(raised, _)| raised == kind)
}

/// After the loop: LIMITED, evidence fresh, the citizen answered — and the
/// alerts are computed at all (MO0018's milestones stay overdue).
async fn assert_loop_standing(app: &TestApp, when: &str) {
    let (level, alerts) = standing(app).await;
    assert_eq!(level, "LIMITED", "{when}");
    assert!(!raised(&alerts, "REPOSITORY_STALE"), "{when}: {alerts:?}");
    assert!(
        !raised(&alerts, "FEEDBACK_AWAITING_RESPONSE"),
        "{when}: {alerts:?}"
    );
    assert!(raised(&alerts, "MILESTONES_OVERDUE"), "{when}: {alerts:?}");
}

/// The digest's text opens with the compliance alerts (the overdue
/// milestones' message among them), lists the update and the responses
/// given, and never quotes the citizen's address.
fn check_digest(digest: &mail_outbox::Model, overdue: &str) {
    let body = &digest.text_body;
    let alerts = body
        .find("Compliance alerts")
        .unwrap_or_else(|| panic!("no Compliance alerts section:\n{body}"));
    let updates = body
        .find("Implementation updates published")
        .unwrap_or_else(|| panic!("no Implementation updates published section:\n{body}"));
    let feedback = body
        .find("New feedback")
        .unwrap_or_else(|| panic!("no New feedback section:\n{body}"));
    assert!(
        alerts < updates && alerts < feedback,
        "the digest opens with its alerts:\n{body}"
    );
    assert!(
        body[alerts..updates.min(feedback)].contains(overdue),
        "no MILESTONES_OVERDUE line ({overdue}) among the alerts:\n{body}"
    );
    assert!(
        body[updates..].lines().any(|line| line.contains(UPDATE_DAY)
            && line.contains("Limited")
            && line.contains("1 piece of evidence")),
        "no line for the update of {UPDATE_DAY} under its section:\n{body}"
    );
    assert!(
        body.lines()
            .any(|line| line.contains("Responses given") && line.contains("Partly adopted: 1")),
        "no Responses given line with Partly adopted: 1:\n{body}"
    );
    for part in [&digest.subject, &digest.text_body, &digest.html_body] {
        assert!(
            !part.contains(PLANTED_EMAIL),
            "the citizen's address in the digest:\n{part}"
        );
    }
}

/// The position of `name` in a CSV header.
fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|column| column == name)
        .unwrap_or_else(|| panic!("no {name} column in {header:?}"))
}

/// A dataset of the plan in a format, served with 200.
async fn export(app: &TestApp, file: &str) -> Value {
    let reply = app.get(&format!("/export/{PLAN}/{file}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{file}: {}", reply.body);
    reply.body
}

/// The update in updates.csv, the answer in feedback.csv and
/// responses.json.
async fn check_exports(app: &TestApp) {
    let (header, rows) = csv_rows(&export(app, "updates.csv").await);
    let (code, narrative, evidence) = (
        column(&header, "commitment"),
        column(&header, "narrative"),
        column(&header, "evidence"),
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][code], "MO0018", "{rows:?}");
    assert_eq!(rows[0][narrative], NARRATIVE, "{rows:?}");
    assert!(rows[0][evidence].contains(EVIDENCE_URL), "{rows:?}");
    assert!(rows[0][evidence].contains(EVIDENCE_TITLE), "{rows:?}");

    let (header, rows) = csv_rows(&export(app, "feedback.csv").await);
    let (official, decision, rationale) = (
        column(&header, "official"),
        column(&header, "decision"),
        column(&header, "rationale"),
    );
    let answers: Vec<&Vec<String>> = rows.iter().filter(|row| row[official] == "true").collect();
    assert_eq!(answers.len(), 1, "one official response: {rows:?}");
    assert_eq!(answers[0][decision], "partly_adopted", "{rows:?}");
    assert_eq!(answers[0][rationale], RATIONALE, "{rows:?}");

    let responses = export(app, "responses.json").await;
    let answers = responses
        .as_array()
        .unwrap_or_else(|| panic!("not a JSON array: {responses}"));
    assert_eq!(answers.len(), 1, "{responses}");
    assert_eq!(answers[0]["decision"], "partly_adopted", "{responses}");
    assert_eq!(answers[0]["rationale"], RATIONALE, "{responses}");
}

/// Neither the citizen's name nor address in any dataset, in any format.
async fn check_no_export_leaks(app: &TestApp) {
    for dataset in DATASETS {
        for format in ["csv", "json"] {
            let body = export(app, &format!("{dataset}.{format}")).await;
            let text = body
                .as_str()
                .map_or_else(|| body.to_string(), str::to_owned);
            for secret in [PLANTED_EMAIL, PLANTED_NAME] {
                assert!(
                    !text.contains(secret),
                    "{secret} leaked into {dataset}.{format}:\n{text}"
                );
            }
        }
    }
}

/// `ogp-pulse report commitment MO0018 --now NOW` on the test's database.
async fn report(app: &TestApp, backend: Backend) -> Finished {
    let url = app.cli_database_url(backend).await;
    let now = app.clock.now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let args = [
        "report",
        "commitment",
        "MO0018",
        "--database-url",
        &url,
        "--now",
        &now,
    ]
    .map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut command = ogp_pulse(dir.path());
        command.args(&args);
        run(command, dir.path(), None)
    })
    .await
    .expect("the command ran")
}

/// The printed pack holds the update (its narrative, and its evidence's
/// title and link on one line) and the answer (decision and rationale on
/// one line), and nothing of who the citizen is.
fn check_report(pack: &str) {
    assert!(pack.contains(NARRATIVE), "no narrative in:\n{pack}");
    let line_with = |parts: [&str; 2]| {
        pack.lines()
            .any(|line| parts.iter().all(|p| line.contains(p)))
    };
    assert!(
        line_with([EVIDENCE_TITLE, EVIDENCE_URL]),
        "no evidence line ({EVIDENCE_TITLE}, {EVIDENCE_URL}) in:\n{pack}"
    );
    assert!(
        line_with(["Partly adopted", RATIONALE]),
        "no answer line (Partly adopted, {RATIONALE}) in:\n{pack}"
    );
    for secret in [PLANTED_EMAIL, PLANTED_NAME] {
        assert!(!pack.contains(secret), "{secret:?} leaked into:\n{pack}");
    }
}

on_both_backends! {
    async fn the_accountability_loop_closes_for_mo0018(backend: Backend) {
        let api = ApiArgs { public_url: PUBLIC_URL.to_owned(), ..ApiArgs::default() };
        let app = TestApp::with_api(backend, api).await;
        import::load_bundled_if_empty(app.conn()).await.expect("the bundled catalogue imports");
        set_clock(&app, at("2027-03-02T10:00:00Z"));
        let amal = app.staff("amal@example.org", &[Role::FocalPoint], Some("MO0018")).await;
        let mo18 = app.commitment_id("MO0018").await;
        subscribe_and_confirm(&app, &amal).await;

        // Before the loop: no evidence, so stale and not LIMITED.
        let (level, alerts) = standing(&app).await;
        assert_ne!(level, "LIMITED", "before any update");
        assert!(raised(&alerts, "REPOSITORY_STALE"), "before any evidence: {alerts:?}");

        // A citizen comments, giving a name and an address.
        set_clock(&app, at("2027-03-03T09:00:00Z"));
        let submitted = app
            .query(SUBMIT, json!({ "input": {
                "commitmentId": mo18, "body": COMMENT,
                "authorName": PLANTED_NAME, "authorEmail": PLANTED_EMAIL, "notifyOnResponse": true,
            } }))
            .await;
        assert_eq!(submitted.data()["submitFeedback"]["status"], "PUBLISHED", "{}", submitted.body);
        let comment = submitted.data()["submitFeedback"]["feedback"]["id"].clone();

        // The focal point posts an update with evidence and answers.
        set_clock(&app, at("2027-03-04T10:00:00Z"));
        let update = json!({ "input": {
            "commitmentId": mo18, "date": UPDATE_DAY, "status": "LIMITED",
            "narrative": [{ "language": "en", "text": NARRATIVE }],
            "evidence": [{ "title": EVIDENCE_TITLE, "type": "REPORT", "date": UPDATE_DAY, "url": EVIDENCE_URL }],
        } });
        let posted = app.query_as(&amal, POST_UPDATE, update).await;
        assert_eq!(posted.data()["postImplementationUpdate"], json!({ "status": "LIMITED", "hasEvidence": true }));
        let answered = app.query_as(&amal, RESPOND, json!({ "id": comment, "rationale": RATIONALE })).await;
        assert_eq!(
            answered.data()["respondToFeedback"],
            json!({ "official": true, "decision": "PARTLY_ADOPTED", "rationale": RATIONALE })
        );

        // 1. Compliance alerts: right away.
        assert_loop_standing(&app, "right after the answer").await;

        // 2. The weekly digest of the next Monday.
        let monday = at("2027-03-08T09:00:00Z");
        set_clock(&app, monday);
        let (_, alerts) = standing(&app).await;
        let overdue = alerts
            .iter()
            .find(|(kind, _)| kind == "MILESTONES_OVERDUE")
            .map(|(_, message)| message.clone())
            .unwrap_or_else(|| panic!("MO0018 keeps MILESTONES_OVERDUE: {alerts:?}"));
        let settings = DigestSettings { public_url: PUBLIC_URL.to_owned(), compliance: ComplianceRules::default() };
        let ran = run_due(app.conn(), &settings, monday, false).await.expect("a digest run");
        assert_eq!(ran.composed, 1, "{ran:?}");
        let digest = outbox(&app)
            .await
            .into_iter()
            .find(|row| row.dedupe_key.starts_with("digest:"))
            .expect("a digest");
        check_digest(&digest, &overdue);

        // 1 again, past the 30-day response deadline of the comment: an
        // unanswered comment would be flagged by now.
        set_clock(&app, at("2027-04-12T09:00:00Z"));
        assert_loop_standing(&app, "40 days after the comment").await;

        // 3. The open-data exports.
        check_exports(&app).await;
        check_no_export_leaks(&app).await;

        // 4. The IRM evidence pack from the command line.
        let printed = report(&app, backend).await;
        assert_eq!(printed.status.code(), Some(0), "report commitment failed: {}", printed.stderr);
        check_report(&printed.stdout);
    }
}
