//! Open-data exports: every dataset as CSV (read back by a CSV library) and
//! JSON, published feedback only, nothing personal in any file, and the
//! validators that let mirrors download a file again only when it changed.

use ogp_pulse::{clock::Clock, staff::Role};
use poem::http::StatusCode;
use serde_json::{Value, json};

use crate::support::{DATASETS, TestApp, csv_rows, on_both_backends};

const PLAN: &str = "morocco-2018-2020";
const SECRET_EMAIL: &str = "planted.secret@example.org";
const SECRET_NAME: &str = "Planted Citizen Name";

const SUBMIT: &str =
    "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { feedback { id } } }";
const RESPOND: &str = "mutation($id: ID!) { respondToFeedback(feedbackId: $id, body: \"Thank you.\", decision: NOT_ADOPTED, rationale: \"The budget is spent.\") { id } }";
const MODERATE: &str =
    "mutation($id: ID!) { moderateFeedback(id: $id, action: HIDE, reason: \"spam\") { id } }";
const POST_UPDATE: &str = "mutation($input: PostImplementationUpdateInput!) { postImplementationUpdate(input: $input) { id } }";

async fn comment(app: &TestApp, commitment: &str, body: &str) -> String {
    let reply = app
        .query(
            SUBMIT,
            json!({ "input": { "commitmentId": commitment, "body": body, "authorName": SECRET_NAME, "authorEmail": SECRET_EMAIL, "notifyOnResponse": true } }),
        )
        .await;
    reply.data()["submitFeedback"]["feedback"]["id"]
        .as_str()
        .expect("feedback id")
        .to_owned()
}

/// MO0018 with two comments (one hidden later), an answered one with a
/// decision, and an update with a link.
async fn plan_with_activity(app: &TestApp) -> (String, String) {
    let admin = app.staff("admin@example.org", &[Role::Admin], None).await;
    let mo18 = app.commitment_id("MO0018").await;
    let kept = comment(app, &mo18, "Publish the plan in Arabic, please").await;
    let hidden = comment(app, &mo18, "Buy cheap pills here").await;
    app.query_as(&admin, MODERATE, json!({ "id": hidden }))
        .await
        .data();
    app.clock.advance(chrono::Duration::days(2));
    app.query_as(&admin, RESPOND, json!({ "id": kept }))
        .await
        .data();
    let today = app.clock.now().date_naive().to_string();
    let update = json!({ "input": {
        "commitmentId": mo18, "date": today, "status": "LIMITED",
        "narrative": [{ "language": "en", "text": "The communication plan is drafted." }],
        "evidence": [{ "title": "Draft plan", "type": "REPORT", "date": today, "url": "https://gov.example.ma/plan.pdf" }]
    } });
    app.query_as(&admin, POST_UPDATE, update).await.data();
    (kept, hidden)
}

on_both_backends! {
    async fn every_dataset_exports_as_csv_and_json_with_documented_columns(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let (kept, hidden) = plan_with_activity(&app).await;
        let number = |id: &str| {
            use base64::Engine;
            let text = base64::engine::general_purpose::STANDARD.decode(id).expect("base64 id");
            String::from_utf8(text).expect("utf-8").rsplit(':').next().expect("a number").to_owned()
        };

        let reply = app.get(&format!("/export/{PLAN}/commitments.csv")).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.headers.get("content-type").and_then(|v| v.to_str().ok()), Some("text/csv; charset=utf-8"));
        let (header, rows) = csv_rows(&reply.body);
        assert_eq!(header[..4], ["code", "status", "language", "title"]);
        assert_eq!(rows.len(), 24);
        let mo18 = rows.iter().find(|row| row[0] == "MO0018").expect("MO0018 exported");
        let completion = header.iter().position(|c| c == "completion_level").expect("completion_level column");
        assert_eq!(mo18[completion], "limited");
        assert!(mo18[3].starts_with("Communicating at a Large Scale"), "{mo18:?}");

        let reply = app.get(&format!("/export/{PLAN}/milestones.csv")).await;
        let (header, rows) = csv_rows(&reply.body);
        assert_eq!(header[0], "commitment");
        assert_eq!(rows.iter().filter(|row| row[0] == "MO0018").count(), 3);

        // Published feedback only, each with its decision and rationale.
        let reply = app.get(&format!("/export/{PLAN}/feedback.csv")).await;
        let (header, rows) = csv_rows(&reply.body);
        assert_eq!(
            header,
            ["id", "commitment", "parent_id", "depth", "kind", "stance", "language", "body", "created_at", "official", "decision", "rationale"]
        );
        let ids: Vec<&str> = rows.iter().map(|row| row[0].as_str()).collect();
        assert!(ids.contains(&number(&kept).as_str()), "{ids:?}");
        assert!(!ids.contains(&number(&hidden).as_str()), "a hidden comment was exported: {ids:?}");
        let response = rows.iter().find(|row| row[9] == "true").expect("the official response");
        assert_eq!((response[10].as_str(), response[11].as_str()), ("not_adopted", "The budget is spent."));

        let reply = app.get(&format!("/export/{PLAN}/responses.json")).await;
        assert_eq!(reply.status, StatusCode::OK);
        let answers = reply.body.as_array().expect("a JSON array");
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0]["proposal_id"], json!(number(&kept).parse::<i64>().expect("a number")));
        assert_eq!(answers[0]["decision"], "not_adopted");
        assert_eq!(answers[0]["days_to_answer"], 2.0);

        let reply = app.get(&format!("/export/{PLAN}/updates.json")).await;
        let updates = reply.body.as_array().expect("a JSON array");
        assert_eq!(updates.len(), 1);
        assert_eq!(updates[0]["commitment"], "MO0018");
        assert_eq!(updates[0]["narrative"], "The communication plan is drafted.");
        assert_eq!(updates[0]["evidence"][0]["url"], "https://gov.example.ma/plan.pdf");

        let reply = app.get(&format!("/export/{PLAN}/awareness.csv")).await;
        assert_eq!(reply.status, StatusCode::OK);
        let (header, _) = csv_rows(&reply.body);
        assert_eq!(header, ["period_start", "period_end", "reach", "responses", "aware"]);
    }

    async fn no_export_holds_personal_data(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        plan_with_activity(&app).await;
        for dataset in DATASETS {
            for format in ["csv", "json"] {
                let reply = app.get(&format!("/export/{PLAN}/{dataset}.{format}")).await;
                assert_eq!(reply.status, StatusCode::OK, "{dataset}.{format}");
                let text = reply.body.to_string();
                for secret in [SECRET_EMAIL, SECRET_NAME, "admin@example.org"] {
                    assert!(!text.contains(secret), "{secret} in {dataset}.{format}: {text}");
                }
            }
        }
    }

    async fn an_unchanged_export_is_not_sent_again(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let first = app.get(&format!("/export/{PLAN}/feedback.csv")).await;
        let etag = first.headers.get("etag").and_then(|v| v.to_str().ok()).expect("an ETag").to_owned();
        let again = app.get_with_headers(&format!("/export/{PLAN}/feedback.csv"), &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);

        // Another format or language is another file.
        let json = app.get(&format!("/export/{PLAN}/feedback.json")).await;
        assert_ne!(json.headers.get("etag").and_then(|v| v.to_str().ok()), Some(etag.as_str()));

        // A new comment changes the file, and its validators.
        let mo18 = app.commitment_id("MO0018").await;
        app.clock.advance(chrono::Duration::minutes(5));
        comment(&app, &mo18, "One more").await;
        let changed = app.get_with_headers(&format!("/export/{PLAN}/feedback.csv"), &[("if-none-match", &etag)]).await;
        assert_eq!(changed.status, StatusCode::OK);
        let (_, rows) = csv_rows(&changed.body);
        assert_eq!(rows.len(), 1);
        let modified = changed.headers.get("last-modified").and_then(|v| v.to_str().ok()).expect("Last-Modified").to_owned();
        let since = app.get_with_headers(&format!("/export/{PLAN}/feedback.csv"), &[("if-modified-since", &modified)]).await;
        assert_eq!(since.status, StatusCode::NOT_MODIFIED);

        // Hiding a comment changes the file too.
        let admin = app.staff("admin@example.org", &[Role::Admin], None).await;
        let new_etag = changed.headers.get("etag").and_then(|v| v.to_str().ok()).expect("an ETag").to_owned();
        let id = {
            let reply = app.query(r#"{ commitment(code: "MO0018") { feedback { nodes { id } } } }"#, json!({})).await;
            reply.data()["commitment"]["feedback"]["nodes"][0]["id"].as_str().expect("an id").to_owned()
        };
        app.query_as(&admin, MODERATE, json!({ "id": id })).await.data();
        let hidden = app.get_with_headers(&format!("/export/{PLAN}/feedback.csv"), &[("if-none-match", &new_etag)]).await;
        assert_eq!(hidden.status, StatusCode::OK);
        assert_eq!(csv_rows(&hidden.body).1.len(), 0);
    }

    async fn unknown_plans_and_datasets_are_not_found(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        for path in ["/export/nowhere-2020/feedback.csv", "/export/morocco-2018-2020/secrets.csv", "/export/morocco-2018-2020/feedback.xml", "/export/morocco-2018-2020/feedback"] {
            let reply = app.get(path).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(reply.body["errors"][0]["extensions"]["code"], "NOT_FOUND", "{path}");
        }
    }

    async fn texts_come_in_the_language_asked_with_a_fallback(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let reply = app.get(&format!("/export/{PLAN}/commitments.csv?lang=fr")).await;
        let (_, rows) = csv_rows(&reply.body);
        // The bundled plan is in English only: the rows say so.
        assert!(rows.iter().all(|row| row[2] == "en"), "{rows:?}");
        let english = app.get(&format!("/export/{PLAN}/commitments.csv")).await;
        assert_ne!(reply.headers.get("etag"), english.headers.get("etag"), "a language is its own file");
    }
}

on_both_backends! {
    async fn the_export_command_writes_the_same_file(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        plan_with_activity(&app).await;
        let served = app.get(&format!("/export/{PLAN}/feedback.csv")).await;
        let served = served.body.as_str().expect("CSV text").to_owned();
        let url = app.cli_database_url(backend).await;
        let dir = tempfile::tempdir().expect("a folder");
        let file = dir.path().join("feedback.csv");
        let run = |args: Vec<String>| {
            let dir = dir.path().to_owned();
            let url = url.clone();
            async move {
                tokio::task::spawn_blocking(move || {
                    let mut command = crate::process::ogp_pulse(&dir);
                    command.args(&args).arg("--database-url").arg(&url);
                    command.output().expect("the binary runs")
                })
                .await
                .expect("the command finishes")
            }
        };
        let file_arg = file.to_str().expect("a path").to_owned();
        let output = run(vec!["export".into(), PLAN.into(), "feedback".into(), "--output".into(), file_arg]).await;
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(std::fs::read_to_string(&file).expect("the file"), served);

        let output = run(vec!["export".into(), PLAN.into(), "responses".into(), "--format".into(), "json".into()]).await;
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let answers: Value = serde_json::from_slice(&output.stdout).expect("JSON on standard output");
        assert_eq!(answers[0]["decision"], "not_adopted");

        let output = run(vec!["export".into(), PLAN.into(), "secrets".into()]).await;
        assert_eq!(output.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&output.stderr).contains("choose one of commitments"), "{}", String::from_utf8_lossy(&output.stderr));
    }
}
