//! Digests for focal points: subscribing (who may, what is refused),
//! double opt-in through a confirmation page, what a digest holds (new
//! published feedback only, escaped, never an author's address), no empty
//! digests, scheduling in the subscriber's time zone, one-click unsubscribe
//! for digests and response notices, and one digest when two runs race.
//!
//! Every run is given its `now`; the application's clock is moved by hand to
//! fixed instants in March 2027 (Monday 1 March 2027 starts ISO week 9; the
//! United States move to summer time on Sunday 14 March 2027).

use chrono::{DateTime, Duration, Utc};
use entity::{digest_subscription, mail_outbox};
use ogp_pulse::{
    clock::Clock,
    config::ApiArgs,
    digests::{
        DigestSettings,
        run::{preview, run_due},
    },
    import,
    mail::delivery::{DeliveryReport, deliver_due},
    staff::Role,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::{
    campaigns::{global_id, number, plan_id},
    mail::{eml_files, files_sender},
    support::{Backend, Reply, TestApp, at, on_both_backends, outbox, set_clock, token_after},
};

const PUBLIC_URL: &str = "https://pulse.example.org";
/// MO0018's focal point's published address (bundled).
const FOCAL_EMAIL: &str = "a.alami@mmsp.gov.ma";
/// An address a commenter left: it must never reach a focal point.
const PLANTED_EMAIL: &str = "planted-author@example.net";
const FORM: &str = "application/x-www-form-urlencoded";
const ONE_CLICK: &str = "List-Unsubscribe=One-Click";

const SUBSCRIBE: &str = "mutation($input: SubscribeToDigestInput!) { subscribeToDigest(input: $input) { status frequency language sendHour timeZone confirmedAt lastDigestAt nextDigestAt focalPoint { id key } } }";
const SUBSCRIPTIONS: &str = "{ digestSubscriptions { status frequency language sendHour timeZone confirmedAt lastDigestAt nextDigestAt focalPoint { key } } }";
const BACKLOG: &str = "{ mailBacklog { pending sending sent failed suppressed oldestPendingAt } }";
const SUBMIT: &str = "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { status feedback { id } } }";
const MODERATE: &str = "mutation($id: ID!, $action: ModerationAction!) { moderateFeedback(id: $id, action: $action, reason: \"checked\") { moderationState } }";
const RESPOND: &str =
    "mutation($id: ID!, $body: String!) { respondToFeedback(feedbackId: $id, body: $body) { id } }";
const CREATE_FOCAL_POINT: &str =
    "mutation($input: CreateFocalPointInput!) { createFocalPoint(input: $input) { id key } }";
const PRE_MODERATION: &str = "mutation($id: ID!) { updateActionPlan(input: { id: $id, moderationMode: PRE }) { moderationMode } }";

/// A GraphQL `DateTime` as an instant.
fn instant(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|time| time.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("not a date-time: {value}"))
}

fn settings() -> DigestSettings {
    DigestSettings {
        public_url: PUBLIC_URL.into(),
        compliance: Default::default(),
    }
}

/// The bundled plan, links in emails to [`PUBLIC_URL`], limits on
/// comments high enough for the fixtures, the clock at `start`.
async fn digest_app(backend: Backend, start: &str) -> TestApp {
    let api = ApiArgs {
        public_url: PUBLIC_URL.to_owned(),
        feedback_per_minute: 1000,
        feedback_per_hour: 1000,
        ..ApiArgs::default()
    };
    let app = TestApp::with_api(backend, api).await;
    import::load_bundled_if_empty(app.conn())
        .await
        .expect("the bundled catalogue imports");
    set_clock(&app, at(start));
    app
}

/// MO0018's focal point: its global id and number.
async fn mo18_focal_point(app: &TestApp) -> (String, i64) {
    let reply = app
        .query(
            r#"{ commitment(code: "MO0018") { focalPoints { id key } } }"#,
            json!({}),
        )
        .await;
    let focal_point = &reply.data()["commitment"]["focalPoints"][0];
    assert_eq!(focal_point["key"], "amal-alami", "{}", reply.body);
    let id = focal_point["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no focal point id in {}", reply.body))
        .to_owned();
    let numbered = number(&focal_point["id"]);
    (id, numbered)
}

/// A new focal point (by an admin); its global id.
async fn new_focal_point(app: &TestApp, admin: &str, key: &str, email: Option<&str>) -> String {
    let reply = app
        .query_as(
            admin,
            CREATE_FOCAL_POINT,
            json!({ "input": { "key": key, "name": format!("Focal point {key}"), "email": email } }),
        )
        .await;
    reply.data()["createFocalPoint"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no focal point id in {}", reply.body))
        .to_owned()
}

/// `input` with the focal point (and any `extra` fields) set.
fn subscription_input(focal_point: &str, extra: &Value) -> Value {
    let mut input = json!({ "focalPointId": focal_point });
    if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
        for (name, value) in extra {
            input.insert(name.clone(), value.clone());
        }
    }
    json!({ "input": input })
}

async fn subscribe(app: &TestApp, token: Option<&str>, focal_point: &str, extra: &Value) -> Reply {
    let variables = subscription_input(focal_point, extra);
    match token {
        Some(token) => app.query_as(token, SUBSCRIBE, variables).await,
        None => app.query(SUBSCRIBE, variables).await,
    }
}

async fn subscription_row(app: &TestApp, focal_point: i64) -> digest_subscription::Model {
    digest_subscription::Entity::find()
        .filter(digest_subscription::Column::FocalPointId.eq(focal_point))
        .one(app.conn())
        .await
        .expect("read subscriptions")
        .unwrap_or_else(|| panic!("no subscription for focal point {focal_point}"))
}

async fn subscription_count(app: &TestApp) -> u64 {
    digest_subscription::Entity::find()
        .count(app.conn())
        .await
        .expect("count subscriptions")
}

/// Outbox rows whose dedupe key starts with `prefix`, oldest first.
async fn rows_keyed(app: &TestApp, prefix: &str) -> Vec<mail_outbox::Model> {
    outbox(app)
        .await
        .into_iter()
        .filter(|row| row.dedupe_key.starts_with(prefix))
        .collect()
}

async fn digest_rows(app: &TestApp) -> Vec<mail_outbox::Model> {
    rows_keyed(app, "digest:").await
}

async fn confirmation_rows(app: &TestApp, subscription: i64) -> Vec<mail_outbox::Model> {
    rows_keyed(app, &format!("digest-confirm:{subscription}:")).await
}

/// The token of the latest confirmation email of `subscription`.
async fn confirmation_token(app: &TestApp, subscription: i64) -> String {
    let rows = confirmation_rows(app, subscription).await;
    let row = rows
        .last()
        .unwrap_or_else(|| panic!("no confirmation email for subscription {subscription}"));
    token_after(
        &row.text_body,
        &format!("{PUBLIC_URL}/digest/confirm?token="),
    )
}

async fn post_form(app: &TestApp, path: &str, body: &str) -> Reply {
    app.post_raw(path, FORM, body.as_bytes().to_vec()).await
}

async fn confirm(app: &TestApp, token: &str) {
    let reply = post_form(app, "/digest/confirm", &format!("token={token}")).await;
    assert_eq!(reply.status, 200, "confirming: {}", reply.body);
}

/// An HTML page's text.
fn page(reply: &Reply) -> &str {
    reply
        .body
        .as_str()
        .unwrap_or_else(|| panic!("not a page: {}", reply.body))
}

/// A page that asks before acting: a form posting back, with a button.
fn assert_confirmation_form(reply: &Reply) {
    assert_eq!(reply.status, 200, "{}", reply.body);
    let html = page(reply).to_ascii_lowercase();
    assert!(html.contains("<form"), "no form: {html}");
    assert!(
        html.contains(r#"method="post""#),
        "the form must POST: {html}"
    );
    assert!(
        html.contains("<button") || html.contains(r#"type="submit""#),
        "no button: {html}"
    );
}

/// The subscriptions the holder of `token` sees, by focal point key.
async fn subscriptions(app: &TestApp, token: &str) -> Vec<Value> {
    let reply = app.query_as(token, SUBSCRIPTIONS, json!({})).await;
    reply.data()["digestSubscriptions"]
        .as_array()
        .unwrap_or_else(|| panic!("no subscriptions in {}", reply.body))
        .clone()
}

/// The subscription of the focal point `key`, as an admin sees it.
async fn subscription_of(app: &TestApp, admin: &str, key: &str) -> Value {
    subscriptions(app, admin)
        .await
        .into_iter()
        .find(|subscription| subscription["focalPoint"]["key"] == key)
        .unwrap_or_else(|| panic!("no subscription of {key}"))
}

/// A published comment on `commitment` by an author who left
/// [`PLANTED_EMAIL`]; its number.
async fn comment(app: &TestApp, commitment: &str, body: &str) -> i64 {
    let reply = app
        .query(
            SUBMIT,
            json!({ "input": {
                "commitmentId": commitment, "body": body, "authorName": "Fatima",
                "authorEmail": PLANTED_EMAIL, "notifyOnResponse": true
            } }),
        )
        .await;
    assert_eq!(
        reply.data()["submitFeedback"]["status"],
        "PUBLISHED",
        "{}",
        reply.body
    );
    number(&reply.data()["submitFeedback"]["feedback"]["id"])
}

/// Whether `text` links to feedback `id` on MO0018.
fn links_to(text: &str, id: i64) -> bool {
    let link = format!("{PUBLIC_URL}/commitments/MO0018#feedback-{id}");
    text.match_indices(&link).any(|(start, _)| {
        !text[start + link.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

/// What a run reported: rows written, subscriptions due with nothing new,
/// and each digest as (focal point, subscription, subject).
#[derive(Debug, Default, PartialEq, Eq)]
struct Ran {
    composed: u64,
    nothing_new: u64,
    digests: Vec<(i64, i64, String)>,
}

async fn run_at(app: &TestApp, now: &str, dry_run: bool) -> Ran {
    let report = run_due(app.conn(), &settings(), at(now), dry_run)
        .await
        .expect("a digest run");
    Ran {
        composed: report.composed,
        nothing_new: report.nothing_new,
        digests: report
            .digests
            .iter()
            .map(|digest| {
                (
                    digest.focal_point_id,
                    digest.subscription_id,
                    digest.subject.clone(),
                )
            })
            .collect(),
    }
}

/// The path and query of an absolute link under [`PUBLIC_URL`].
fn local_path(url: &str) -> &str {
    url.strip_prefix(PUBLIC_URL)
        .unwrap_or_else(|| panic!("{url} is not under {PUBLIC_URL}"))
}

/// MO0018's focal point, subscribed by an admin (with `extra` settings) at
/// `start` and confirmed five minutes later.
struct Subscribed {
    app: TestApp,
    admin: String,
    /// MO0018's global id.
    mo18: String,
    focal_point: i64,
    subscription: i64,
}

async fn subscribed(backend: Backend, start: &str, extra: Value) -> Subscribed {
    let app = digest_app(backend, start).await;
    let admin = app.staff("admin@example.org", &[Role::Admin], None).await;
    let mo18 = app.commitment_id("MO0018").await;
    let (focal_point_id, focal_point) = mo18_focal_point(&app).await;
    let reply = subscribe(&app, Some(&admin), &focal_point_id, &extra).await;
    assert_eq!(
        reply.data()["subscribeToDigest"]["status"],
        "PENDING_CONFIRMATION"
    );
    let subscription = subscription_row(&app, focal_point).await.id;
    let token = confirmation_token(&app, subscription).await;
    app.clock.advance(Duration::minutes(5));
    confirm(&app, &token).await;
    assert_eq!(
        subscription_of(&app, &admin, "amal-alami").await["status"],
        "ACTIVE"
    );
    Subscribed {
        app,
        admin,
        mo18,
        focal_point,
        subscription,
    }
}

on_both_backends! {
    async fn focal_points_and_admins_subscribe_others_may_not(backend: Backend) {
        let app = digest_app(backend, "2027-03-02T10:00:00Z").await;
        let admin = app.staff("admin@example.org", &[Role::Admin], None).await;
        let amal = app.staff("amal@example.org", &[Role::FocalPoint], Some("MO0018")).await;
        let moderator = app.staff("moderator@example.org", &[Role::Moderator], None).await;
        let (amal_point, amal_number) = mo18_focal_point(&app).await;
        let karim_point = new_focal_point(&app, &admin, "karim-bennani", Some("k.bennani@example.gov")).await;
        let karim = app.staff("karim@example.org", &[Role::FocalPoint], Some("karim-bennani")).await;
        let silent_point = new_focal_point(&app, &admin, "no-address", None).await;

        // Refused, and nothing written.
        let reply = subscribe(&app, None, &amal_point, &json!({})).await;
        assert_eq!(reply.error_code(), "UNAUTHENTICATED", "anonymous");
        let reply = subscribe(&app, Some(&karim), &amal_point, &json!({})).await;
        assert_eq!(reply.error_code(), "FORBIDDEN", "another focal point's account");
        let reply = subscribe(&app, Some(&moderator), &amal_point, &json!({})).await;
        assert_eq!(reply.error_code(), "FORBIDDEN", "a moderator");
        let unknown = global_id("FocalPoint", 999);
        let reply = subscribe(&app, Some(&admin), &unknown, &json!({})).await;
        assert_eq!(reply.error_code(), "NOT_FOUND", "an unknown focal point");
        let bad = [
            (amal_point.as_str(), json!({ "sendHour": 24 }), "sendHour"),
            (amal_point.as_str(), json!({ "sendHour": -1 }), "sendHour"),
            (amal_point.as_str(), json!({ "timeZone": "Mars/Olympus" }), "timeZone"),
            (amal_point.as_str(), json!({ "language": "English" }), "language"),
            (silent_point.as_str(), json!({}), "focalPointId"),
        ];
        for (focal_point, extra, field) in bad {
            let reply = subscribe(&app, Some(&admin), focal_point, &extra).await;
            assert_eq!(reply.error_code(), "BAD_USER_INPUT", "{extra}: {}", reply.body);
            assert_eq!(reply.body["errors"][0]["extensions"]["field"], field, "{extra}: {}", reply.body);
        }
        assert_eq!(subscription_count(&app).await, 0, "a refusal subscribes no one");
        assert!(outbox(&app).await.is_empty(), "a refusal mails no one");

        // The focal point's own account, with the defaults.
        let reply = subscribe(&app, Some(&amal), &amal_point, &json!({})).await;
        assert_eq!(
            reply.data()["subscribeToDigest"],
            json!({
                "status": "PENDING_CONFIRMATION", "frequency": "WEEKLY", "language": "en", "sendHour": 8,
                "timeZone": "UTC", "confirmedAt": null, "lastDigestAt": null, "nextDigestAt": null,
                "focalPoint": { "id": amal_point, "key": "amal-alami" }
            })
        );
        let amal_subscription = subscription_row(&app, amal_number).await;
        assert_eq!(amal_subscription.status, "pending");
        let mails = confirmation_rows(&app, amal_subscription.id).await;
        assert_eq!(mails.len(), 1, "one confirmation email");
        assert_eq!(mails[0].recipient, FOCAL_EMAIL);
        assert_eq!(mails[0].status, "pending");
        assert!(mails[0].text_body.contains(&format!("{PUBLIC_URL}/digest/confirm?token=")), "{}", mails[0].text_body);

        // An admin, for another focal point, with settings of its own.
        app.clock.advance(Duration::minutes(1));
        let extra = json!({ "frequency": "DAILY", "language": "fr", "sendHour": 7, "timeZone": "Africa/Casablanca" });
        let reply = subscribe(&app, Some(&admin), &karim_point, &extra).await;
        let answered = &reply.data()["subscribeToDigest"];
        assert_eq!(
            (&answered["status"], &answered["frequency"], &answered["language"], &answered["sendHour"], &answered["timeZone"]),
            (&json!("PENDING_CONFIRMATION"), &json!("DAILY"), &json!("fr"), &json!(7), &json!("Africa/Casablanca"))
        );
        let karim_subscription = subscription_row(&app, number(&json!(karim_point))).await;
        let mails = confirmation_rows(&app, karim_subscription.id).await;
        assert_eq!(mails.len(), 1, "one confirmation email");
        assert_eq!(mails[0].recipient, "k.bennani@example.gov");
        assert!(mails[0].text_body.contains(&format!("{PUBLIC_URL}/digest/confirm?token=")), "{}", mails[0].text_body);
        assert_eq!(rows_keyed(&app, "digest-confirm:").await.len(), 2);

        // Who sees which subscriptions.
        let keys = |list: Vec<Value>| -> Vec<String> {
            let mut keys: Vec<String> = list.iter().map(|s| s["focalPoint"]["key"].as_str().expect("key").to_owned()).collect();
            keys.sort();
            keys
        };
        assert_eq!(keys(subscriptions(&app, &admin).await), ["amal-alami", "karim-bennani"]);
        assert_eq!(keys(subscriptions(&app, &amal).await), ["amal-alami"]);
        assert_eq!(keys(subscriptions(&app, &karim).await), ["karim-bennani"]);

        // The mail backlog: admins only, counted from the outbox.
        assert_eq!(app.query(BACKLOG, json!({})).await.error_code(), "UNAUTHENTICATED");
        assert_eq!(app.query_as(&amal, BACKLOG, json!({})).await.error_code(), "FORBIDDEN");
        assert_eq!(app.query_as(&moderator, BACKLOG, json!({})).await.error_code(), "FORBIDDEN");
        let counted = |rows: &[mail_outbox::Model], status: &str| rows.iter().filter(|row| row.status == status).count();
        let rows = outbox(&app).await;
        let backlog = app.query_as(&admin, BACKLOG, json!({})).await;
        let backlog = &backlog.data()["mailBacklog"];
        assert_eq!(
            (&backlog["pending"], &backlog["sending"], &backlog["sent"], &backlog["failed"], &backlog["suppressed"]),
            (&json!(2), &json!(0), &json!(0), &json!(0), &json!(0))
        );
        assert_eq!(backlog["pending"], counted(&rows, "pending"));
        assert_eq!(instant(&backlog["oldestPendingAt"]), at("2027-03-02T10:00:00Z"), "the first confirmation");

        let dir = tempfile::tempdir().expect("temporary folder");
        let report = deliver_due(app.conn(), &files_sender(dir.path()), app.clock.now()).await.expect("delivery");
        assert_eq!(report, DeliveryReport { sent: 2, ..DeliveryReport::default() });
        let rows = outbox(&app).await;
        let backlog = app.query_as(&admin, BACKLOG, json!({})).await;
        let backlog = &backlog.data()["mailBacklog"];
        assert_eq!(
            backlog,
            &json!({ "pending": 0, "sending": 0, "sent": 2, "failed": 0, "suppressed": 0, "oldestPendingAt": null })
        );
        assert_eq!(backlog["sent"], counted(&rows, "sent"));

        // `/metrics` counts the same outbox at each scrape.
        let metrics = app.get("/metrics").await;
        let text = metrics.body.as_str().expect("text").to_owned();
        let value = |line: &str| -> Option<f64> {
            text.lines()
                .find_map(|l| l.strip_prefix(line).and_then(|rest| rest.trim().parse().ok()))
        };
        assert_eq!(value(r#"ogp_pulse_mail_outbox_messages{status="sent"}"#), Some(2.0), "{text}");
        assert_eq!(value(r#"ogp_pulse_mail_outbox_messages{status="pending"}"#), Some(0.0), "{text}");
    }

    async fn a_subscription_is_confirmed_by_post_never_by_opening_the_link(backend: Backend) {
        let app = digest_app(backend, "2027-03-02T10:00:00Z").await;
        let admin = app.staff("admin@example.org", &[Role::Admin], None).await;
        let (focal_point_id, focal_point) = mo18_focal_point(&app).await;
        subscribe(&app, Some(&admin), &focal_point_id, &json!({})).await.data();
        let subscription = subscription_row(&app, focal_point).await.id;
        let token = confirmation_token(&app, subscription).await;

        // Opening the link (as a mail scanner would) only shows a form.
        let opened = app.get(&format!("/digest/confirm?token={token}")).await;
        assert_confirmation_form(&opened);
        let seen = subscription_of(&app, &admin, "amal-alami").await;
        assert_eq!((&seen["status"], &seen["confirmedAt"]), (&json!("PENDING_CONFIRMATION"), &Value::Null));
        assert_eq!(subscription_row(&app, focal_point).await.status, "pending");

        // Unknown and missing tokens.
        assert_eq!(post_form(&app, "/digest/confirm", "token=not-a-token").await.status, 404);
        assert_eq!(app.get("/digest/confirm?token=not-a-token").await.status, 404);
        assert_eq!(post_form(&app, "/digest/confirm", "").await.status, 400);
        assert_eq!(app.get("/digest/confirm").await.status, 400);
        assert_eq!(subscription_row(&app, focal_point).await.status, "pending");

        // Tuesday 10:05 UTC: this week's Monday 08:00 has passed, so the
        // first digest is next Monday's.
        app.clock.advance(Duration::minutes(5));
        confirm(&app, &token).await;
        let seen = subscription_of(&app, &admin, "amal-alami").await;
        assert_eq!(seen["status"], "ACTIVE");
        assert_eq!(instant(&seen["confirmedAt"]), at("2027-03-02T10:05:00Z"));
        assert_eq!(instant(&seen["nextDigestAt"]), at("2027-03-08T08:00:00Z"));
        assert_eq!(seen["lastDigestAt"], Value::Null);
        let row = subscription_row(&app, focal_point).await;
        assert_eq!(row.status, "active");
        assert_eq!(row.period_start, Some(at("2027-03-02T10:05:00Z")), "the first period starts at confirmation");

        // Confirming again changes nothing.
        app.clock.advance(Duration::minutes(1));
        confirm(&app, &token).await;
        assert_eq!(subscription_of(&app, &admin, "amal-alami").await["status"], "ACTIVE");

        // Subscribing again while active with the same address: new settings,
        // still active, no second email.
        let extra = json!({ "frequency": "DAILY", "sendHour": 7, "timeZone": "Europe/Paris" });
        let reply = subscribe(&app, Some(&admin), &focal_point_id, &extra).await;
        let answered = &reply.data()["subscribeToDigest"];
        assert_eq!(
            (&answered["status"], &answered["frequency"], &answered["sendHour"], &answered["timeZone"]),
            (&json!("ACTIVE"), &json!("DAILY"), &json!(7), &json!("Europe/Paris"))
        );
        assert_eq!(confirmation_rows(&app, subscription).await.len(), 1, "no second confirmation email");
    }

    async fn a_weekly_digest_lists_new_published_feedback_escaped_without_addresses(backend: Backend) {
        let s = subscribed(backend, "2027-03-02T10:00:00Z", json!({})).await;
        let app = &s.app;
        let moderator = app.staff("moderator@example.org", &[Role::Moderator], None).await;

        set_clock(app, at("2027-03-03T09:00:00Z"));
        let script = "Is the plan online? <script>alert(1)</script>";
        let plain = "The website has had no news since June.";
        let first = comment(app, &s.mo18, script).await;
        let second = comment(app, &s.mo18, plain).await;
        let hidden = comment(app, &s.mo18, "Hidden marker: buy cheap pills").await;
        let reply = app.query_as(&moderator, MODERATE, json!({ "id": global_id("Feedback", hidden), "action": "HIDE" })).await;
        assert_eq!(reply.data()["moderateFeedback"]["moderationState"], "HIDDEN");
        let plan = plan_id(app).await;
        app.query_as(&s.admin, PRE_MODERATION, json!({ "id": plan })).await.data();
        let queued = app
            .query(SUBMIT, json!({ "input": { "commitmentId": s.mo18, "body": "Queued marker: awaiting moderation", "authorEmail": PLANTED_EMAIL, "notifyOnResponse": true } }))
            .await;
        assert_eq!(queued.data()["submitFeedback"]["status"], "QUEUED");

        // Not straight after confirming: the week's send moment had passed.
        assert_eq!(run_at(app, "2027-03-03T10:00:00Z", false).await, Ran::default());
        assert!(digest_rows(app).await.is_empty());

        let monday = "2027-03-08T09:00:00Z";
        let subject = "MO0018: 2 new comments, 2 awaiting your response — week of 2 Mar 2027";
        assert_eq!(
            run_at(app, monday, false).await,
            Ran { composed: 1, nothing_new: 0, digests: vec![(s.focal_point, s.subscription, subject.to_owned())] }
        );
        let rows = digest_rows(app).await;
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row.dedupe_key, format!("digest:{}:week-2027-W10", s.subscription));
        assert_eq!((row.recipient.as_str(), row.status.as_str()), (FOCAL_EMAIL, "pending"));
        assert_eq!(row.subject, subject);
        assert!(row.subject.starts_with("MO0018:") && row.subject.contains("new comment"));

        let (text, html) = (&row.text_body, &row.html_body);
        assert!(text.contains(script), "the excerpt as written: {text}");
        assert!(text.contains(plain), "{text}");
        assert!(links_to(text, first) && links_to(text, second), "links to both comments: {text}");
        assert!(!links_to(text, hidden) && !links_to(html, hidden), "no link to hidden feedback");
        assert!(html.contains("&lt;script&gt;"), "escaped in HTML: {html}");
        assert!(!html.contains("<script"), "never as markup: {html}");
        for body in [text, html, &row.subject] {
            assert!(!body.contains(PLANTED_EMAIL), "an author's address leaked: {body}");
            assert!(!body.contains("Hidden marker"), "hidden feedback shown: {body}");
            assert!(!body.contains("Queued marker"), "queued feedback shown: {body}");
        }
        assert!(text.contains(&format!("{PUBLIC_URL}/unsubscribe?token=")), "an unsubscribe link: {text}");
        assert!(html.contains("unsubscribe?token="), "an unsubscribe link: {html}");
        let unsubscribe = row.list_unsubscribe.clone().expect("a digest carries its unsubscribe link");
        assert!(unsubscribe.starts_with(&format!("{PUBLIC_URL}/unsubscribe?token=")), "{unsubscribe}");

        // Run again at the same moment: nothing more.
        assert_eq!(run_at(app, monday, false).await, Ran::default());
        assert_eq!(digest_rows(app).await.len(), 1);

        // Delivered with the one-click unsubscribe headers; the link is
        // then forgotten.
        let dir = tempfile::tempdir().expect("temporary folder");
        let report = deliver_due(app.conn(), &files_sender(dir.path()), at("2027-03-08T09:01:00Z")).await.expect("delivery");
        assert_eq!(report, DeliveryReport { sent: 2, ..DeliveryReport::default() }, "the confirmation email and the digest");
        let header = format!("List-Unsubscribe: <{unsubscribe}>");
        let digests: Vec<String> = eml_files(dir.path()).into_iter().filter(|eml| eml.contains(&header)).collect();
        assert_eq!(digests.len(), 1, "one email with {header}");
        assert!(digests[0].contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{}", digests[0]);
        assert!(digests[0].contains(&format!("To: {FOCAL_EMAIL}")), "{}", digests[0]);
        assert!(!digests[0].contains(PLANTED_EMAIL), "{}", digests[0]);
        let row = digest_rows(app).await.remove(0);
        assert_eq!((row.status.as_str(), row.list_unsubscribe), ("sent", None));
        let seen = subscription_of(app, &s.admin, "amal-alami").await;
        let last = instant(&seen["lastDigestAt"]);
        assert!(at(monday) <= last && last <= at("2027-03-08T09:01:00Z"), "lastDigestAt {last}");
    }

    async fn nothing_new_means_no_email_and_runs_write_once(backend: Backend) {
        let app = digest_app(backend, "2027-03-02T10:00:00Z").await;
        let admin = app.staff("admin@example.org", &[Role::Admin], None).await;
        let mo18 = app.commitment_id("MO0018").await;
        let (focal_point_id, focal_point) = mo18_focal_point(&app).await;
        // Awaiting a response, but older than the subscription: not new.
        comment(&app, &mo18, "Asked before anyone subscribed").await;
        app.clock.advance(Duration::minutes(1));
        subscribe(&app, Some(&admin), &focal_point_id, &json!({})).await.data();
        let subscription = subscription_row(&app, focal_point).await.id;
        let token = confirmation_token(&app, subscription).await;
        app.clock.advance(Duration::minutes(5));
        confirm(&app, &token).await;

        let monday = "2027-03-08T09:00:00Z";
        let previewed = preview(app.conn(), &settings(), focal_point, at(monday)).await.expect("preview");
        assert!(previewed.is_none(), "nothing new to preview");
        assert_eq!(run_at(&app, monday, false).await, Ran { composed: 0, nothing_new: 1, digests: vec![] });
        assert!(digest_rows(&app).await.is_empty(), "no empty digest");
        assert_eq!(subscription_row(&app, focal_point).await.period_start, Some(at(monday)), "the period still advances");
        assert_eq!(run_at(&app, monday, false).await, Ran::default(), "due once a week");
        assert!(digest_rows(&app).await.is_empty());

        // Something new in the next period.
        set_clock(&app, at("2027-03-09T12:00:00Z"));
        let fresh = "Will the assessment be published?";
        let id = comment(&app, &mo18, fresh).await;
        let next = "2027-03-15T09:00:00Z";
        let subject = "MO0018: 1 new comment, 2 awaiting your response — week of 8 Mar 2027";
        let previewed = preview(app.conn(), &settings(), focal_point, at(next)).await.expect("preview").expect("something new");
        assert_eq!(previewed.subject, subject);
        assert!(previewed.text.contains(fresh) && links_to(&previewed.text, id), "{}", previewed.text);

        // A dry run composes and reports, and writes nothing.
        let dry = run_at(&app, next, true).await;
        assert_eq!((dry.nothing_new, dry.digests), (0, vec![(focal_point, subscription, subject.to_owned())]));
        assert!(digest_rows(&app).await.is_empty(), "a dry run writes no email");
        assert_eq!(subscription_row(&app, focal_point).await.period_start, Some(at(monday)), "a dry run advances nothing");

        let expected = Ran { composed: 1, nothing_new: 0, digests: vec![(focal_point, subscription, subject.to_owned())] };
        assert_eq!(run_at(&app, next, false).await, expected);
        let rows = digest_rows(&app).await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].dedupe_key, format!("digest:{subscription}:week-2027-W11"));
        assert_eq!(rows[0].subject, subject);
        assert!(rows[0].text_body.contains(fresh));
        assert_eq!(subscription_row(&app, focal_point).await.period_start, Some(at(next)));

        // The same run again: idempotent.
        assert_eq!(run_at(&app, next, false).await, Ran::default());
        assert_eq!(digest_rows(&app).await.len(), 1);
        assert!(preview(app.conn(), &settings(), focal_point, at(next)).await.expect("preview").is_none(), "sent means not new");
    }

    async fn a_daily_digest_in_tokyo_is_due_at_eight_tokyo_time(backend: Backend) {
        // Confirmed on Tuesday 2 March 21:05 in Tokyo: that day's 08:00 has
        // passed, the first digest is Wednesday 3 March 08:00 JST, which is
        // 23:00 UTC on Tuesday.
        let s = subscribed(backend, "2027-03-02T12:00:00Z", json!({ "frequency": "DAILY", "sendHour": 8, "timeZone": "Asia/Tokyo" })).await;
        let app = &s.app;
        let seen = subscription_of(app, &s.admin, "amal-alami").await;
        assert_eq!((&seen["frequency"], &seen["timeZone"]), (&json!("DAILY"), &json!("Asia/Tokyo")));
        assert_eq!(instant(&seen["nextDigestAt"]), at("2027-03-02T23:00:00Z"));
        set_clock(app, at("2027-03-02T13:00:00Z"));
        comment(app, &s.mo18, "Any news on the communication plan?").await;

        assert_eq!(run_at(app, "2027-03-02T22:30:00Z", false).await, Ran::default(), "07:30 in Tokyo");
        assert!(digest_rows(app).await.is_empty());
        let ran = run_at(app, "2027-03-02T23:30:00Z", false).await;
        assert_eq!((ran.composed, ran.nothing_new, ran.digests.len()), (1, 0, 1), "08:30 in Tokyo: {ran:?}");
        assert!(ran.digests[0].2.starts_with("MO0018: 1 new comment, 1 awaiting your response — "), "{ran:?}");
        let rows = digest_rows(app).await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].dedupe_key, format!("digest:{}:day-2027-03-03", s.subscription), "the local date");
        assert_eq!(run_at(app, "2027-03-02T23:45:00Z", false).await, Ran::default(), "once a day");

        // The next Tokyo day, nothing new: no email.
        assert_eq!(run_at(app, "2027-03-03T22:59:00Z", false).await, Ran::default(), "07:59 in Tokyo");
        assert_eq!(run_at(app, "2027-03-03T23:00:00Z", false).await, Ran { composed: 0, nothing_new: 1, digests: vec![] });
        assert_eq!(digest_rows(app).await.len(), 1);
    }

    async fn a_weekly_digest_in_new_york_is_due_monday_eight_local_and_catches_up(backend: Backend) {
        // Confirmed on Tuesday 2 March, 07:05 in New York (EST, UTC-5).
        let s = subscribed(backend, "2027-03-02T12:00:00Z", json!({ "frequency": "WEEKLY", "sendHour": 8, "timeZone": "America/New_York" })).await;
        let app = &s.app;
        assert_eq!(instant(&subscription_of(app, &s.admin, "amal-alami").await["nextDigestAt"]), at("2027-03-08T13:00:00Z"));
        set_clock(app, at("2027-03-03T15:00:00Z"));
        comment(app, &s.mo18, "When does the campaign start?").await;

        assert_eq!(run_at(app, "2027-03-08T04:30:00Z", false).await, Ran::default(), "Sunday 23:30 in New York");
        assert_eq!(run_at(app, "2027-03-08T12:30:00Z", false).await, Ran::default(), "Monday 07:30 in New York");
        assert!(digest_rows(app).await.is_empty());
        let ran = run_at(app, "2027-03-08T13:00:00Z", false).await;
        let subject = "MO0018: 1 new comment, 1 awaiting your response — week of 2 Mar 2027";
        assert_eq!(ran, Ran { composed: 1, nothing_new: 0, digests: vec![(s.focal_point, s.subscription, subject.to_owned())] });
        let keys: Vec<String> = digest_rows(app).await.into_iter().map(|row| row.dedupe_key).collect();
        assert_eq!(keys, [format!("digest:{}:week-2027-W10", s.subscription)]);

        // New feedback; no run on Monday 15 March (summer time by then):
        // Wednesday catches up, once.
        set_clock(app, at("2027-03-09T10:00:00Z"));
        comment(app, &s.mo18, "Is there a budget for the campaign?").await;
        let ran = run_at(app, "2027-03-17T15:00:00Z", false).await;
        assert_eq!((ran.composed, ran.nothing_new, ran.digests.len()), (1, 0, 1), "{ran:?}");
        assert!(ran.digests[0].2.starts_with("MO0018: 1 new comment, 2 awaiting your response — week of 8 Mar 2027"), "{ran:?}");
        assert_eq!(run_at(app, "2027-03-18T15:00:00Z", false).await, Ran::default(), "once a week");
        let keys: Vec<String> = digest_rows(app).await.into_iter().map(|row| row.dedupe_key).collect();
        assert_eq!(keys, [format!("digest:{}:week-2027-W10", s.subscription), format!("digest:{}:week-2027-W11", s.subscription)]);
        // Seen on Thursday 18 March, the next is Monday 22 March, 08:00 EDT
        // (UTC-4).
        set_clock(app, at("2027-03-18T15:00:00Z"));
        assert_eq!(instant(&subscription_of(app, &s.admin, "amal-alami").await["nextDigestAt"]), at("2027-03-22T12:00:00Z"));
    }

    async fn one_click_unsubscribe_stops_digests_and_opening_the_link_does_not(backend: Backend) {
        let s = subscribed(backend, "2027-03-02T10:00:00Z", json!({})).await;
        let app = &s.app;
        set_clock(app, at("2027-03-03T09:00:00Z"));
        comment(app, &s.mo18, "Who runs the campaign?").await;
        assert_eq!(run_at(app, "2027-03-08T09:00:00Z", false).await.composed, 1);
        let rows = digest_rows(app).await;
        assert_eq!(rows.len(), 1);
        let url = rows[0].list_unsubscribe.clone().expect("a digest carries its unsubscribe link");
        assert!(url.starts_with(&format!("{PUBLIC_URL}/unsubscribe?token=")), "{url}");
        let path = local_path(&url).to_owned();

        // Opening the link only shows a form.
        assert_confirmation_form(&app.get(&path).await);
        assert_eq!(subscription_of(app, &s.admin, "amal-alami").await["status"], "ACTIVE");
        assert_eq!(subscription_row(app, s.focal_point).await.status, "active");

        // Unknown and missing tokens.
        assert_eq!(post_form(app, "/unsubscribe?token=not-a-token", ONE_CLICK).await.status, 404);
        assert_eq!(app.get("/unsubscribe?token=not-a-token").await.status, 404);
        assert_eq!(post_form(app, "/unsubscribe", ONE_CLICK).await.status, 400);
        assert_eq!(app.get("/unsubscribe").await.status, 400);
        assert_eq!(subscription_row(app, s.focal_point).await.status, "active");

        // One click, as a mail client sends it: no login, no redirect.
        for attempt in ["first", "second"] {
            let reply = post_form(app, &path, ONE_CLICK).await;
            assert_eq!(reply.status, 200, "{attempt} POST: {}", reply.body);
            assert!(reply.headers.get("location").is_none(), "{attempt} POST redirects");
        }
        assert_eq!(subscription_of(app, &s.admin, "amal-alami").await["status"], "UNSUBSCRIBED");
        assert_eq!(subscription_row(app, s.focal_point).await.status, "unsubscribed");

        // New feedback, next Monday: nothing for this subscriber.
        set_clock(app, at("2027-03-10T09:00:00Z"));
        comment(app, &s.mo18, "Still waiting for an answer").await;
        assert_eq!(run_at(app, "2027-03-15T09:00:00Z", false).await, Ran::default());
        assert_eq!(digest_rows(app).await.len(), 1, "no digest after unsubscribing");

        // Subscribing again asks for confirmation again.
        let reply = subscribe(app, Some(&s.admin), &global_id("FocalPoint", s.focal_point), &json!({})).await;
        assert_eq!(reply.data()["subscribeToDigest"]["status"], "PENDING_CONFIRMATION");
        assert_eq!(confirmation_rows(app, s.subscription).await.len(), 2);
    }

    async fn response_notices_carry_a_one_click_unsubscribe_that_stops_later_notices(backend: Backend) {
        const QUESTION: &str = "mutation($c: ID!, $body: String!) { submitFeedback(input: { commitmentId: $c, kind: QUESTION, body: $body, authorName: \"Fatima\", authorEmail: \"fatima@example.net\", notifyOnResponse: true }) { feedback { id } } }";
        let app = digest_app(backend, "2027-03-02T10:00:00Z").await;
        let admin = app.staff("admin@example.org", &[Role::Admin], None).await;
        let mo18 = app.commitment_id("MO0018").await;
        let asked = app.query(QUESTION, json!({ "c": mo18, "body": "Where is the plan?" })).await;
        let asked = asked.data()["submitFeedback"]["feedback"]["id"].clone();
        app.query_as(&admin, RESPOND, json!({ "id": asked, "body": "Online since May." })).await.data();
        let notices = rows_keyed(&app, "response-notice:").await;
        assert_eq!(notices.len(), 1);
        let url = notices[0].list_unsubscribe.clone().expect("a notice carries an unsubscribe link");
        assert!(url.starts_with(&format!("{PUBLIC_URL}/unsubscribe?token=")), "{url}");

        let dir = tempfile::tempdir().expect("temporary folder");
        let sender = files_sender(dir.path());
        let report = deliver_due(app.conn(), &sender, app.clock.now()).await.expect("delivery");
        assert_eq!(report, DeliveryReport { sent: 1, ..DeliveryReport::default() });
        let files = eml_files(dir.path());
        assert_eq!(files.len(), 1);
        assert!(files[0].contains(&format!("List-Unsubscribe: <{url}>")), "{}", files[0]);
        assert!(files[0].contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{}", files[0]);
        let sent = rows_keyed(&app, "response-notice:").await.remove(0);
        assert_eq!((sent.status.as_str(), sent.list_unsubscribe), ("sent", None), "the link is forgotten once sent");

        let path = local_path(&url);
        for attempt in ["first", "second"] {
            let reply = post_form(&app, path, ONE_CLICK).await;
            assert_eq!(reply.status, 200, "{attempt} POST: {}", reply.body);
            assert!(reply.headers.get("location").is_none(), "{attempt} POST redirects");
        }

        // A later notice to the same address is not sent.
        app.clock.advance(Duration::minutes(10));
        let again = app.query(QUESTION, json!({ "c": mo18, "body": "And the assessment?" })).await;
        let again = again.data()["submitFeedback"]["feedback"]["id"].clone();
        app.query_as(&admin, RESPOND, json!({ "id": again, "body": "Next year." })).await.data();
        assert_eq!(rows_keyed(&app, "response-notice:").await.len(), 2);
        let report = deliver_due(app.conn(), &sender, app.clock.now()).await.expect("delivery");
        assert_eq!(report, DeliveryReport { suppressed: 1, ..DeliveryReport::default() });
        let later = rows_keyed(&app, "response-notice:").await.remove(1);
        assert_eq!(later.status, "suppressed");
        assert_eq!(eml_files(dir.path()).len(), 1, "nothing more delivered");
    }
}

/// Two runs at the same moment, on two connections of the pool, write one
/// digest between them, week after week.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_at_once_compose_one_digest_on_postgres() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let s = subscribed(backend, "2027-03-02T10:00:00Z", json!({})).await;
    let app = &s.app;
    let weeks = [
        ("2027-03-03T09:00:00Z", "2027-03-08T09:00:00Z", "W10"),
        ("2027-03-09T09:00:00Z", "2027-03-15T09:00:00Z", "W11"),
        ("2027-03-16T09:00:00Z", "2027-03-22T09:00:00Z", "W12"),
    ];
    let mut expected_keys = Vec::new();
    for (written, due, week) in weeks {
        set_clock(app, at(written));
        comment(app, &s.mo18, &format!("A comment in the week before {due}")).await;
        let now = at(due);
        let (one, two) = (app.conn().clone(), app.conn().clone());
        let first = tokio::spawn(async move { run_due(&one, &settings(), now, false).await });
        let second = tokio::spawn(async move { run_due(&two, &settings(), now, false).await });
        let (first, second) = tokio::join!(first, second);
        let first = first
            .expect("the first run finishes")
            .expect("the first run");
        let second = second
            .expect("the second run finishes")
            .expect("the second run");
        assert_eq!(
            (
                first.composed + second.composed,
                first.digests.len() + second.digests.len()
            ),
            (1, 1),
            "one digest between both runs for {week}"
        );
        expected_keys.push(format!("digest:{}:week-2027-{week}", s.subscription));
        let keys: Vec<String> = digest_rows(app)
            .await
            .into_iter()
            .map(|row| row.dedupe_key)
            .collect();
        assert_eq!(keys, expected_keys);
    }
}
