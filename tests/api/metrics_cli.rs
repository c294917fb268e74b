//! `ogp-pulse metrics import FILE.csv --staff EMAIL`: awareness metrics from a
//! CSV file, as a staff account (its permissions, its name in the audit
//! log), all or nothing, corrections rather than duplicates on re-import. On
//! a SQLite file in a temporary directory, read back through a served API.

use std::path::Path;

use serde_json::{Value, json};

use crate::{
    campaigns::{CREATE_ACTIVITY, CREATE_CAMPAIGN, number},
    process::{Finished, Running, graphql, ogp_pulse, run, serve, sqlite_url},
};

const BUNDLED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/morocco-2018-2020.json");

const HEADER: &str = "activity,kind,value,period_start,period_end,source";

/// `ogp-pulse --database-url sqlite://DIR/x.db ARGS…`.
fn ogp(dir: &Path, args: &[&str]) -> Finished {
    let mut command = ogp_pulse(dir);
    command
        .args(["--database-url", &sqlite_url(dir)])
        .args(args);
    run(command, dir, None)
}

/// Adds a staff account and returns the token it printed last.
pub(crate) fn add_staff(dir: &Path, email: &str, roles: &[&str]) -> String {
    let mut args = vec!["staff", "add", "--email", email, "--name", email];
    for role in roles {
        args.extend(["--role", role]);
    }
    if roles.contains(&"focal-point") {
        args.extend(["--focal-point", "amal-alami"]);
    }
    let added = ogp(dir, &args);
    added.assert_success("staff add");
    added
        .stdout
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// Writes `rows` under the header to `name` and imports it as `staff`.
fn import(dir: &Path, name: &str, rows: &[String], staff: &str) -> Finished {
    let file = dir.join(name);
    let mut text = format!("{HEADER}\n");
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    std::fs::write(&file, text).expect("write the CSV file");
    let file = file.to_str().expect("a UTF-8 path").to_owned();
    ogp(dir, &["metrics", "import", &file, "--staff", staff])
}

/// A served database holding the bundled catalogue, an admin, MO0018's focal
/// point, and a campaign of MO0018 with a radio and a social media activity.
struct Served {
    _server: Running,
    port: u16,
    admin: String,
    /// Global ids.
    radio: String,
    social: String,
    campaign: String,
}

/// What `read` answers once it answers `expected`, or after three seconds.
fn eventually(read: impl Fn() -> Value, expected: &Value) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        let value = read();
        if &value == expected || std::time::Instant::now() > deadline {
            return value;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn served(dir: &Path) -> Served {
    ogp(dir, &["import", BUNDLED]).assert_success("import");
    let admin = add_staff(dir, "admin@example.org", &["admin"]);
    let focal = add_staff(dir, "amal@example.org", &["focal-point"]);
    add_staff(dir, "moderator@example.org", &["moderator"]);
    let (server, port) = serve(dir, &[]);

    let ok = |token: &str, query: &str, variables: Value| {
        let (status, answer) = graphql(port, Some(token), query, variables);
        assert_eq!(status, 200, "{answer}");
        assert!(answer.get("errors").is_none(), "{answer}");
        answer["data"].clone()
    };
    let (_, answer) = graphql(
        port,
        None,
        r#"{ commitment(code: "MO0018") { id } }"#,
        json!({}),
    );
    let mo18 = answer["data"]["commitment"]["id"].clone();
    let campaign = ok(
        &focal,
        CREATE_CAMPAIGN,
        json!({ "input": { "title": "Radio and posts", "commitmentIds": [mo18] } }),
    )["createCampaign"]["id"]
        .as_str()
        .expect("campaign id")
        .to_owned();
    let activity = |channel: &str, title: &str| {
        ok(
            &focal,
            CREATE_ACTIVITY,
            json!({ "input": { "campaignId": campaign, "channel": channel, "title": title, "startDate": "2024-03-01" } }),
        )["createCampaignActivity"]["id"]
            .as_str()
            .expect("activity id")
            .to_owned()
    };
    let radio = activity("RADIO", "Radio spots");
    let social = activity("SOCIAL_MEDIA", "Posts");
    Served {
        _server: server,
        port,
        admin,
        radio,
        social,
        campaign,
    }
}

impl Served {
    /// An activity's metrics, as anyone reads them.
    fn metrics(&self, activity: &str) -> Value {
        let (_, answer) = graphql(
            self.port,
            None,
            "query($id: ID!) { node(id: $id) { ... on CampaignActivity { metrics { kind value periodStart periodEnd source } } } }",
            json!({ "id": activity }),
        );
        assert!(answer.get("errors").is_none(), "{answer}");
        answer["data"]["node"]["metrics"].clone()
    }

    fn reach(&self) -> Value {
        let (_, answer) = graphql(
            self.port,
            None,
            "query($id: ID!) { node(id: $id) { ... on Campaign { summary { reach } } } }",
            json!({ "id": self.campaign }),
        );
        answer["data"]["node"]["summary"]["reach"].clone()
    }

    /// The metric entries of the audit log: `(action, staff email)`, newest first.
    fn metric_audit(&self) -> Vec<(String, String)> {
        let (_, answer) = graphql(
            self.port,
            Some(&self.admin),
            r#"{ auditLog(first: 50, filter: { entity: "awareness_metric" }) { nodes { action staff { email } } } }"#,
            json!({}),
        );
        answer["data"]["auditLog"]["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("no audit log: {answer}"))
            .iter()
            .map(|entry| {
                (
                    entry["action"].as_str().unwrap_or_default().to_owned(),
                    entry["staff"]["email"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            })
            .collect()
    }
}

fn assert_summary_line(finished: &Finished, expected: &[&str]) {
    finished.assert_success("metrics import");
    for part in expected {
        assert!(
            finished.stdout.contains(part),
            "{part:?} missing from: {}",
            finished.stdout
        );
    }
}

#[test]
fn metrics_import_records_then_corrects_on_reimport() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let dir = dir.path();
    let served = served(dir);
    let social_number = number(&json!(served.social));
    let rows = vec![
        format!(
            "{},reach,1200,2024-03-01,2024-03-07,Audience survey",
            served.radio
        ),
        format!("{social_number},IMPRESSIONS,5000,2024-03-02,,"),
        format!("{},Media_Mentions,3,2024-03-02,2024-03-02,", served.social),
    ];
    let first = import(dir, "metrics.csv", &rows, "amal@example.org");
    assert_summary_line(
        &first,
        &["recorded 3 metrics", "3 new", "0 corrected", "0 unchanged"],
    );
    assert_eq!(
        served.metrics(&served.radio),
        json!([{ "kind": "REACH", "value": 1200, "periodStart": "2024-03-01", "periodEnd": "2024-03-07", "source": "Audience survey" }])
    );
    assert_eq!(
        served.metrics(&served.social),
        json!([
            { "kind": "IMPRESSIONS", "value": 5000, "periodStart": "2024-03-02", "periodEnd": "2024-03-02", "source": null },
            { "kind": "MEDIA_MENTIONS", "value": 3, "periodStart": "2024-03-02", "periodEnd": "2024-03-02", "source": null },
        ])
    );
    assert_eq!(served.reach(), 1200);

    // The same file again: nothing doubles.
    let again = import(dir, "metrics.csv", &rows, "amal@example.org");
    assert_summary_line(
        &again,
        &["recorded 3 metrics", "0 new", "0 corrected", "3 unchanged"],
    );
    assert_eq!(served.reach(), 1200);
    assert_eq!(
        served.metrics(&served.social).as_array().map(Vec::len),
        Some(2)
    );

    // A corrected figure and one more row.
    let mut corrected = rows.clone();
    corrected[0] = format!(
        "{},REACH,1500,2024-03-01,2024-03-07,Audience survey",
        served.radio
    );
    corrected.push(format!("{},clicks,40,2024-03-03,,", served.social));
    let third = import(dir, "corrected.csv", &corrected, "amal@example.org");
    assert_summary_line(
        &third,
        &["recorded 4 metrics", "1 new", "1 corrected", "2 unchanged"],
    );
    // The running service learns of the command line's write within a second
    // (it may have cached the old figures).
    assert_eq!(
        eventually(|| served.reach(), &json!(1500)),
        1500,
        "corrected, not added"
    );
    assert_eq!(served.metrics(&served.radio)[0]["value"], 1500);
    assert_eq!(
        served.metrics(&served.social).as_array().map(Vec::len),
        Some(3)
    );

    // Audited as the staff account: three creations, a correction, a creation.
    let audit = served.metric_audit();
    assert_eq!(audit.len(), 5, "{audit:?}");
    assert!(
        audit.iter().all(|(_, email)| email == "amal@example.org"),
        "{audit:?}"
    );
}

#[test]
fn metrics_import_with_a_bad_line_writes_nothing() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let dir = dir.path();
    let served = served(dir);

    // Line 4 (the header is line 1) has a negative value.
    let rows = vec![
        format!("{},reach,100,2024-04-01,,", served.radio),
        format!("{},clicks,20,2024-04-01,,", served.social),
        format!("{},reach,-3,2024-04-02,,", served.radio),
        format!("{},engagements,7,2024-04-02,,", served.social),
    ];
    let refused = import(dir, "bad.csv", &rows, "amal@example.org");
    refused.assert_clean_failure();
    assert!(refused.stderr.contains("line 4"), "{}", refused.stderr);
    assert!(refused.stderr.contains("value"), "{}", refused.stderr);
    for good in ["line 2", "line 3", "line 5"] {
        assert!(
            !refused.stderr.contains(good),
            "{good} is fine: {}",
            refused.stderr
        );
    }
    assert!(!refused.stdout.contains("recorded"), "{}", refused.stdout);
    assert_eq!(
        served.metrics(&served.radio),
        json!([]),
        "nothing was written"
    );
    assert_eq!(
        served.metrics(&served.social),
        json!([]),
        "nothing was written"
    );

    // Unknown staff, and staff without the right: non-zero, nothing written.
    let good = vec![format!("{},reach,100,2024-04-01,,", served.radio)];
    let unknown = import(dir, "good.csv", &good, "nobody@example.org");
    assert!(!unknown.status.success(), "{}", unknown.stdout);
    assert!(!unknown.stderr.contains("panicked"), "{}", unknown.stderr);
    assert!(unknown.stderr.contains("staff"), "{}", unknown.stderr);
    let forbidden = import(dir, "good.csv", &good, "moderator@example.org");
    assert!(
        !forbidden.status.success(),
        "a moderator imported metrics: {}",
        forbidden.stdout
    );
    assert!(
        !forbidden.stderr.contains("panicked"),
        "{}",
        forbidden.stderr
    );
    assert_eq!(served.metrics(&served.radio), json!([]));
    assert!(served.metric_audit().is_empty());

    // The same file as the focal point goes through.
    let accepted = import(dir, "good.csv", &good, "amal@example.org");
    assert_summary_line(&accepted, &["recorded 1 metric", "1 new"]);
    assert_eq!(served.reach(), 100);
}

#[test]
fn metrics_import_lists_every_bad_line() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let dir = dir.path();
    let served = served(dir);
    // Line 3: no such activity; line 4: a period ending before it starts.
    let rows = vec![
        format!("{},reach,100,2024-04-01,,", served.radio),
        "999999,reach,5,2024-04-01,,".to_owned(),
        format!("{},reach,7,2024-04-05,2024-04-01,", served.social),
    ];
    let refused = import(dir, "bad.csv", &rows, "amal@example.org");
    refused.assert_clean_failure();
    for (line, column) in [("line 3", "activity"), ("line 4", "period_end")] {
        let listed = refused
            .stderr
            .lines()
            .any(|text| text.contains(line) && text.contains(column));
        assert!(listed, "{line} ({column}) missing: {}", refused.stderr);
    }
    assert!(!refused.stderr.contains("line 2"), "{}", refused.stderr);

    // The same, after a line that cannot be read at all (an unknown kind):
    // line 3: an unknown kind; line 4: no such activity; line 5: a period
    // ending before it starts.
    let rows = vec![
        format!("{},reach,100,2024-04-01,,", served.radio),
        format!("{},views,20,2024-04-01,,", served.social),
        "999999,reach,5,2024-04-01,,".to_owned(),
        format!("{},reach,7,2024-04-05,2024-04-01,", served.social),
    ];
    let refused = import(dir, "worse.csv", &rows, "amal@example.org");
    refused.assert_clean_failure();
    for (line, column) in [
        ("line 3", "kind"),
        ("line 4", "activity"),
        ("line 5", "period_end"),
    ] {
        let listed = refused
            .stderr
            .lines()
            .any(|text| text.contains(line) && text.contains(column));
        assert!(listed, "{line} ({column}) missing: {}", refused.stderr);
    }
    assert!(!refused.stderr.contains("line 2"), "{}", refused.stderr);
    assert_eq!(served.metrics(&served.radio), json!([]));
    assert_eq!(served.metrics(&served.social), json!([]));
}
