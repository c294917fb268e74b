//! The IRM evidence pack of a commitment, through `Commitment.evidencePack`
//! and through `ogp-pulse report commitment`: every section, what was
//! posted, answered and recorded on MO0018 — and nothing of who the
//! citizens are.

use chrono::{Duration, SecondsFormat};
use ogp_pulse::{clock::Clock, staff::Role};
use serde_json::{Value, json};

use crate::{
    campaigns::{bundled_app, plan_id},
    process::{Finished, ogp_pulse, run},
    support::{Backend, TestApp, on_both_backends},
};

const SECTIONS: [&str; 8] = [
    "Description",
    "Milestones",
    "Implementation updates",
    "Feedback and responses",
    "Awareness",
    "Meetings",
    "Compliance alerts",
    "Verifiability",
];
const NARRATIVE: &str = "The communication plan was drafted and shared with the forum.";
const SCRIPT: &str = "<script>alert('pack')</script>";
const EVIDENCE_TITLE: &str = "Draft communication plan";
const EVIDENCE_URL: &str = "https://example.org/evidence/communication-plan";
const PLANTED_EMAIL: &str = "planted.secret@example.org";
const PLANTED_NAME: &str = "Zineb Planted-Author";
const COMMENT: &str = "Please also publish the plan in Amazigh (comment body marker).";
const RATIONALE: &str = "Translations are planned for the next action plan.";
const MINUTES: &str = "https://example.org/minutes/implementation-meeting";

const PACK: &str = "query($format: ReportFormat!) { commitment(code: \"MO0018\") { evidencePack(format: $format) } }";
const ALERTS: &str = "{
    commitment(code: \"MO0018\") { complianceAlerts { message } }
    actionPlan(key: \"morocco-2018-2020\") { complianceAlerts { message commitment { code } } }
}";

/// The date `days` days from the application's today.
fn day(app: &TestApp, days: i64) -> String {
    (app.clock.now().date_naive() + Duration::days(days)).to_string()
}

fn english(text: &str) -> Value {
    json!([{ "language": "en", "text": text }])
}

/// MO0018 after its focal point posted an update with a link, answered a
/// citizen (NOT_ADOPTED, with a rationale) and recorded a meeting; returns
/// the meeting's date.
async fn fill(app: &TestApp) -> String {
    let amal = app
        .staff("amal@example.org", &[Role::FocalPoint], Some("MO0018"))
        .await;
    let commitment = app.commitment_id("MO0018").await;

    let update = app
        .query_as(
            &amal,
            "mutation($input: PostImplementationUpdateInput!) { postImplementationUpdate(input: $input) { id } }",
            json!({ "input": {
                "commitmentId": commitment, "date": day(app, -3), "status": "LIMITED",
                "narrative": english(&format!("{NARRATIVE}\n{SCRIPT}")),
                "evidence": [{ "title": EVIDENCE_TITLE, "type": "REPORT", "date": day(app, -4), "url": EVIDENCE_URL }],
            } }),
        )
        .await;
    update.data();

    let submitted = app
        .query(
            "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { status feedback { id } } }",
            json!({ "input": {
                "commitmentId": commitment, "kind": "SUGGESTION", "body": COMMENT,
                "authorName": PLANTED_NAME, "authorEmail": PLANTED_EMAIL,
            } }),
        )
        .await;
    assert_eq!(
        submitted.data()["submitFeedback"]["status"],
        "PUBLISHED",
        "{}",
        submitted.body
    );
    let feedback = submitted.data()["submitFeedback"]["feedback"]["id"].clone();
    let answered = app
        .query_as(
            &amal,
            "mutation($id: ID!, $rationale: String) { respondToFeedback(feedbackId: $id, body: \"Thank you.\", decision: NOT_ADOPTED, rationale: $rationale) { id } }",
            json!({ "id": feedback, "rationale": RATIONALE }),
        )
        .await;
    answered.data();

    let held_on = day(app, -2);
    let meeting = app
        .query_as(
            &amal,
            "mutation($input: RecordMeetingInput!) { recordMeeting(input: $input) { id } }",
            json!({ "input": {
                "actionPlanId": plan_id(app).await, "date": held_on, "kind": "IMPLEMENTATION",
                "attendees": [{ "sector": "GOVERNMENT", "count": 4 }, { "sector": "CIVIL_SOCIETY", "count": 6 }],
                "minutesUrl": MINUTES, "commitmentIds": [commitment],
            } }),
        )
        .await;
    meeting.data();
    held_on
}

async fn pack(app: &TestApp, format: &str) -> String {
    let reply = app.query(PACK, json!({ "format": format })).await;
    reply.data()["commitment"]["evidencePack"]
        .as_str()
        .unwrap_or_else(|| panic!("no evidencePack in {}", reply.body))
        .to_owned()
}

/// The messages of MO0018's alerts and of its plan's own, as the API
/// lists them.
async fn alert_messages(app: &TestApp) -> Vec<String> {
    let reply = app.query(ALERTS, json!({})).await;
    let data = reply.data();
    let own = data["commitment"]["complianceAlerts"].as_array().cloned();
    let plan = data["actionPlan"]["complianceAlerts"].as_array().cloned();
    let messages: Vec<String> = own
        .into_iter()
        .flatten()
        .chain(
            plan.into_iter()
                .flatten()
                .filter(|alert| alert["commitment"].is_null()),
        )
        .map(|alert| alert["message"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        messages.len() >= 2,
        "MO0018 and its plan raise alerts: {}",
        reply.body
    );
    messages
}

/// What every Markdown pack of the filled MO0018 must say, and must not.
fn check_markdown(document: &str, held_on: &str, alerts: &[String]) {
    let mut last = 0;
    for section in SECTIONS {
        let heading = format!("\n## {section}\n");
        let at = document
            .find(&heading)
            .unwrap_or_else(|| panic!("{heading:?} missing from:\n{document}"));
        assert!(at > last, "{section} out of order:\n{document}");
        last = at;
    }
    for expected in [
        NARRATIVE,
        EVIDENCE_TITLE,
        EVIDENCE_URL,
        &format!("**Not adopted**. {RATIONALE}"),
        "Proposals received: 1, answered: 1, awaiting a response: 0",
        held_on,
        "Implementation meeting: 10 attendees (government 4, civil society 6)",
        MINUTES,
        "### Milestone 1: Development of a communication plan about Open Government",
    ] {
        assert!(
            document.contains(expected),
            "{expected:?} missing from:\n{document}"
        );
    }
    for alert in alerts {
        assert!(
            document.contains(alert.as_str()),
            "alert {alert:?} missing from:\n{document}"
        );
    }
    for secret in [PLANTED_EMAIL, PLANTED_NAME, "Zineb", COMMENT, "Amazigh"] {
        assert!(
            !document.contains(secret),
            "{secret:?} leaked into:\n{document}"
        );
    }
    assert!(
        !document.contains(SCRIPT),
        "raw markup in Markdown:\n{document}"
    );
}

/// `ogp-pulse report commitment CODE ARGS…` on the test's database, at
/// the application's now.
async fn report(app: &TestApp, backend: Backend, code: &str, args: &[&str]) -> Finished {
    let url = app.cli_database_url(backend).await;
    let now = app.clock.now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut all: Vec<String> = [
        "report",
        "commitment",
        code,
        "--database-url",
        &url,
        "--now",
        &now,
    ]
    .iter()
    .map(|arg| (*arg).to_owned())
    .collect();
    all.extend(args.iter().map(|arg| (*arg).to_owned()));
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut command = ogp_pulse(dir.path());
        command.args(&all);
        run(command, dir.path(), None)
    })
    .await
    .expect("the command ran")
}

on_both_backends! {
    async fn the_evidence_pack_assembles_what_was_done_on_a_commitment(backend: Backend) {
        let app = bundled_app(backend).await;
        let held_on = fill(&app).await;
        let alerts = alert_messages(&app).await;

        let markdown = pack(&app, "MARKDOWN").await;
        check_markdown(&markdown, &held_on, &alerts);
        assert!(
            markdown.starts_with("# MO0018: "),
            "a Markdown document with its title:\n{markdown}"
        );
        assert!(
            markdown.contains("\\<script>"),
            "the narrative's markup is kept as text:\n{markdown}"
        );
        let default = app
            .query("{ commitment(code: \"MO0018\") { evidencePack } }", json!({}))
            .await;
        assert_eq!(
            default.data()["commitment"]["evidencePack"], markdown,
            "Markdown by default"
        );

        let html = pack(&app, "HTML").await;
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(&#x27;pack&#x27;)&lt;/script&gt;"),
            "the narrative's markup is escaped:\n{html}"
        );
        assert!(!html.contains(SCRIPT), "{html}");
        assert!(html.contains(NARRATIVE), "{html}");
        assert!(
            html.contains(&format!(r#"<a href="{EVIDENCE_URL}">{EVIDENCE_TITLE}</a>"#)),
            "{html}"
        );
        for section in SECTIONS {
            assert!(html.contains(&format!(">{section}</h2>")), "{section}:\n{html}");
        }
        for secret in [PLANTED_EMAIL, PLANTED_NAME, COMMENT] {
            assert!(!html.contains(secret), "{secret:?} leaked into:\n{html}");
        }
    }

    async fn the_report_command_prints_the_same_pack(backend: Backend) {
        let app = bundled_app(backend).await;
        let held_on = fill(&app).await;
        let alerts = alert_messages(&app).await;

        let markdown = report(&app, backend, "MO0018", &[]).await;
        markdown.assert_success("report commitment");
        check_markdown(&markdown.stdout, &held_on, &alerts);
        assert_eq!(
            markdown.stdout,
            pack(&app, "MARKDOWN").await,
            "the command and the API print the same document"
        );

        let html = report(&app, backend, "MO0018", &["--format", "html"]).await;
        html.assert_success("report commitment --format html");
        assert!(html.stdout.starts_with("<!DOCTYPE html>"), "{}", html.stdout);
        assert!(!html.stdout.contains(SCRIPT), "{}", html.stdout);
        assert!(!html.stdout.contains(PLANTED_EMAIL), "{}", html.stdout);

        let unknown = report(&app, backend, "MO9999", &[]).await;
        unknown.assert_clean_failure();
        assert!(
            unknown.stderr.contains("commitment MO9999 not found"),
            "{}",
            unknown.stderr
        );
        assert!(unknown.stdout.is_empty(), "{}", unknown.stdout);
    }
}
