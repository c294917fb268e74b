//! Citizens' awareness pulse and what is made of it: one answer per visitor,
//! subject and UTC day (the latest counts); input checks and rate limits;
//! `awarenessSeries` by day, week and month over a known fixture (empty
//! periods, month and week boundaries, widening, channels, answers);
//! `awareness` figures and their trend; the same answers on SQLite and
//! PostgreSQL; and a focal point's campaign told week by week.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use ogp_pulse::{clock::Clock, config::ApiArgs, feedback::Visitor};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::{
    campaigns::{
        admin, bundled_app, bundled_campaign_id, create_activity, create_campaign, error_field,
        focal_point_of_mo0018, global_id, metric, milestone_ids, outcome, plan_id, record_metrics,
        summary,
    },
    support::{Backend, Reply, TestApp, on_both_backends},
};

const RECORD: &str =
    "mutation($input: RecordAwarenessInput!) { recordAwareness(input: $input) { replaced } }";

const SERIES: &str = "query($subject: ID!, $from: Date!, $to: Date!, $granularity: Granularity!) {
    awarenessSeries(subject: $subject, from: $from, to: $to, granularity: $granularity) {
        granularity from to
        points {
            periodStart periodEnd reach metrics { kind value }
            byChannel { channel reach metrics { kind value } }
            responses awareResponses awareShare heardVia { channel count }
        }
    }
}";

const FIGURES: &str = "from to reach responses awareShare trend { previousFrom previousTo previousReach previousResponses previousAwareShare reachChange awareShareChange direction }";

/// The metric kinds, in enum order.
const KINDS: [&str; 6] = [
    "REACH",
    "IMPRESSIONS",
    "ENGAGEMENTS",
    "ATTENDEES",
    "CLICKS",
    "MEDIA_MENTIONS",
];

/// Moves the server's clock to `at` (RFC 3339), backwards or forwards.
fn set_clock(app: &TestApp, at: &str) {
    let target = DateTime::parse_from_rfc3339(at)
        .unwrap_or_else(|err| panic!("{at} is not RFC 3339: {err}"))
        .with_timezone(&Utc);
    app.clock.advance(target - app.clock.now());
}

/// Answers the pulse as the visitor holding `visitor` (the `OGP-Visitor`
/// header).
async fn answer(app: &TestApp, visitor: &str, input: Value) -> Reply {
    app.post_json(
        "/graphql",
        &json!({ "query": RECORD, "variables": { "input": input } }),
        &[("ogp-visitor", visitor)],
    )
    .await
}

/// An answer that must be accepted; returns whether it replaced another.
async fn answered(app: &TestApp, visitor: &str, input: Value) -> bool {
    let reply = answer(app, visitor, input).await;
    reply.data()["recordAwareness"]["replaced"]
        .as_bool()
        .unwrap_or_else(|| panic!("no replaced in {}", reply.body))
}

/// A pulse answer: `field` is `commitmentId` or `actionPlanId`.
fn about(field: &str, subject: &str, aware: bool, channel: Option<&str>) -> Value {
    let mut input = json!({ field: subject, "aware": aware });
    if let Some(channel) = channel {
        input["channel"] = json!(channel);
    }
    input
}

async fn series_reply(
    app: &TestApp,
    subject: &str,
    from: &str,
    to: &str,
    granularity: &str,
) -> Reply {
    app.query(
        SERIES,
        json!({ "subject": subject, "from": from, "to": to, "granularity": granularity }),
    )
    .await
}

async fn series(app: &TestApp, subject: &str, from: &str, to: &str, granularity: &str) -> Value {
    let reply = series_reply(app, subject, from, to, granularity).await;
    reply.data()["awarenessSeries"].clone()
}

/// The six kinds with these values, in enum order.
fn kinds(values: [i64; 6]) -> Value {
    KINDS
        .iter()
        .zip(values)
        .map(|(kind, value)| json!({ "kind": kind, "value": value }))
        .collect()
}

/// A channel's figures; its reach is the REACH value (the first).
fn channel(name: &str, values: [i64; 6]) -> Value {
    json!({ "channel": name, "reach": values[0], "metrics": kinds(values) })
}

/// An expected point: metric totals (six kinds, REACH first), channels,
/// answers and the channels citizens heard of it through.
fn point(
    period: (&str, &str),
    values: [i64; 6],
    by_channel: &[Value],
    responses: i32,
    aware: i32,
    heard_via: &[(&str, i32)],
) -> Value {
    let share = if responses == 0 {
        Value::Null
    } else {
        json!(f64::from(aware) / f64::from(responses))
    };
    let heard: Vec<Value> = heard_via
        .iter()
        .map(|(channel, count)| json!({ "channel": channel, "count": count }))
        .collect();
    json!({
        "periodStart": period.0,
        "periodEnd": period.1,
        "reach": values[0],
        "metrics": kinds(values),
        "byChannel": by_channel,
        "responses": responses,
        "awareResponses": aware,
        "awareShare": share,
        "heardVia": heard,
    })
}

/// A period with nothing in it.
fn empty(period: (&str, &str)) -> Value {
    point(period, [0; 6], &[], 0, 0, &[])
}

/// Compares a series with what is expected, point by point.
fn assert_series(actual: &Value, granularity: &str, from: &str, to: &str, expected: &[Value]) {
    assert_eq!(
        (&actual["granularity"], &actual["from"], &actual["to"]),
        (&json!(granularity), &json!(from), &json!(to)),
        "{actual}"
    );
    let points = actual["points"]
        .as_array()
        .unwrap_or_else(|| panic!("no points in {actual}"));
    assert_eq!(points.len(), expected.len(), "number of points: {actual}");
    for (n, (got, want)) in points.iter().zip(expected).enumerate() {
        assert_eq!(got, want, "point {n} of the {granularity} series");
    }
}

/// Expected `awareness` figures: `(from, to, reach, responses, aware)` now
/// and in the previous period.
fn figures(
    current: (&str, &str, i64, i32, i32),
    previous: (&str, &str, i64, i32, i32),
    direction: &str,
) -> Value {
    let share = |responses: i32, aware: i32| {
        (responses > 0).then(|| f64::from(aware) / f64::from(responses))
    };
    let now = share(current.3, current.4);
    let before = share(previous.3, previous.4);
    let change = now.zip(before).map(|(now, before)| now - before);
    json!({
        "from": current.0, "to": current.1, "reach": current.2, "responses": current.3, "awareShare": now,
        "trend": {
            "previousFrom": previous.0, "previousTo": previous.1, "previousReach": previous.2,
            "previousResponses": previous.3, "previousAwareShare": before,
            "reachChange": current.2 - previous.2, "awareShareChange": change, "direction": direction,
        },
    })
}

/// Compares figures; `awareShareChange` within rounding.
fn assert_figures(actual: &Value, expected: &Value, what: &str) {
    let mut actual = actual.clone();
    let mut expected = expected.clone();
    let got = actual["trend"]["awareShareChange"].take();
    let want = expected["trend"]["awareShareChange"].take();
    assert_eq!(actual, expected, "{what}");
    match (got.as_f64(), want.as_f64()) {
        (Some(got), Some(want)) => assert!(
            (got - want).abs() < 1e-9,
            "{what}: awareShareChange {got}, expected {want}"
        ),
        _ => assert_eq!(got, want, "{what}: awareShareChange"),
    }
}

async fn commitment_awareness(app: &TestApp, from: Option<&str>, to: Option<&str>) -> Reply {
    app.query(
        &format!(
            "query($from: Date, $to: Date) {{ commitment(code: \"MO0018\") {{ awareness(from: $from, to: $to) {{ {FIGURES} }} }} }}"
        ),
        json!({ "from": from, "to": to }),
    )
    .await
}

/// The subjects of the fixture.
struct Fixture {
    mo18: String,
    mo1: String,
    plan: String,
    /// "Open budget weeks", linked to MO0001 and MO0018.
    campaign: String,
}

/// Two campaigns and their metrics, then eight answers from five citizens.
///
/// "Open budget weeks" (MO0001 and MO0018): RADIO reach 1000 on Mon 29 Jan
/// 2024 (a week-long period), 400 on 1 Feb, 200 on 20 Feb; SOCIAL_MEDIA
/// reach 700 and impressions 5000 on 31 Jan, engagements 250 on 1 Feb,
/// clicks 90 on 2 Feb; EVENT reach 300, attendees 60, media mentions 4 on
/// 10 Feb. "Press kit" (MO0001 only): PRESS reach 50 and media mentions 7
/// on 12 Feb.
///
/// Answers: 30 Jan one (MO0018, aware, RADIO) and two (MO0018, not aware,
/// at 23:50 UTC); 1 Feb one (MO0018, aware, SOCIAL_MEDIA), three (MO0018,
/// aware), four (the plan, aware, PRESS), five (MO0001, not aware); 10 Feb
/// two (MO0018, aware, EVENT); 20 Feb three (MO0018, not aware).
async fn fixture(app: &TestApp) -> Fixture {
    let admin = admin(app).await;
    let mo18 = app.commitment_id("MO0018").await;
    let mo1 = app.commitment_id("MO0001").await;
    let plan = plan_id(app).await;
    let campaign = create_campaign(
        app,
        &admin,
        json!({ "title": "Open budget weeks", "commitmentIds": [mo18, mo1] }),
    )
    .await;
    let press_kit = create_campaign(
        app,
        &admin,
        json!({ "title": "Press kit", "commitmentIds": [mo1] }),
    )
    .await;
    let radio = create_activity(
        app,
        &admin,
        &campaign,
        "RADIO",
        "Radio spots",
        "2024-01-29",
        Some("2024-02-20"),
    )
    .await;
    let social = create_activity(
        app,
        &admin,
        &campaign,
        "SOCIAL_MEDIA",
        "Launch posts",
        "2024-01-31",
        None,
    )
    .await;
    let event = create_activity(
        app,
        &admin,
        &campaign,
        "EVENT",
        "Town hall",
        "2024-02-10",
        None,
    )
    .await;
    let press = create_activity(
        app,
        &admin,
        &press_kit,
        "PRESS",
        "Press kit",
        "2024-02-12",
        None,
    )
    .await;
    let payload = record_metrics(
        app,
        &admin,
        json!([
            metric(&radio, "REACH", 1000, "2024-01-29", Some("2024-02-04")),
            metric(&radio, "REACH", 400, "2024-02-01", None),
            metric(&social, "REACH", 700, "2024-01-31", None),
            metric(&social, "IMPRESSIONS", 5000, "2024-01-31", None),
            metric(&social, "ENGAGEMENTS", 250, "2024-02-01", None),
            metric(&social, "CLICKS", 90, "2024-02-02", None),
            metric(&event, "REACH", 300, "2024-02-10", None),
            metric(&event, "ATTENDEES", 60, "2024-02-10", None),
            metric(
                &event,
                "MEDIA_MENTIONS",
                4,
                "2024-02-10",
                Some("2024-02-11")
            ),
            metric(&radio, "REACH", 200, "2024-02-20", None),
            metric(&press, "REACH", 50, "2024-02-12", None),
            metric(&press, "MEDIA_MENTIONS", 7, "2024-02-12", None),
        ]),
    )
    .await;
    assert_eq!(payload["created"], 12, "{payload}");
    let answers = [
        (
            "2024-01-30T09:00:00Z",
            "citizen-one-token",
            "commitmentId",
            &mo18,
            true,
            Some("RADIO"),
        ),
        (
            "2024-01-30T23:50:00Z",
            "citizen-two-token",
            "commitmentId",
            &mo18,
            false,
            None,
        ),
        (
            "2024-02-01T08:00:00Z",
            "citizen-one-token",
            "commitmentId",
            &mo18,
            true,
            Some("SOCIAL_MEDIA"),
        ),
        (
            "2024-02-01T08:05:00Z",
            "citizen-three-token",
            "commitmentId",
            &mo18,
            true,
            None,
        ),
        (
            "2024-02-01T08:10:00Z",
            "citizen-four-token",
            "actionPlanId",
            &plan,
            true,
            Some("PRESS"),
        ),
        (
            "2024-02-01T08:15:00Z",
            "citizen-five-token",
            "commitmentId",
            &mo1,
            false,
            None,
        ),
        (
            "2024-02-10T12:00:00Z",
            "citizen-two-token",
            "commitmentId",
            &mo18,
            true,
            Some("EVENT"),
        ),
        (
            "2024-02-20T12:00:00Z",
            "citizen-three-token",
            "commitmentId",
            &mo18,
            false,
            None,
        ),
    ];
    for (at, visitor, field, subject, aware, channel) in answers {
        set_clock(app, at);
        let replaced = answered(app, visitor, about(field, subject, aware, channel)).await;
        assert!(
            !replaced,
            "{at} {visitor}: a first answer replaced something"
        );
    }
    Fixture {
        mo18,
        mo1,
        plan,
        campaign,
    }
}

on_both_backends! {
    async fn one_answer_per_visitor_subject_and_day_the_latest_counts(backend: Backend) {
        let app = bundled_app(backend).await;
        let mo18 = app.commitment_id("MO0018").await;
        let plan = plan_id(&app).await;
        set_clock(&app, "2024-05-06T08:00:00Z");
        assert!(!answered(&app, "visitor-anna-0001", about("commitmentId", &mo18, false, None)).await);
        set_clock(&app, "2024-05-06T20:00:00Z");
        let mut changed = about("commitmentId", &mo18, true, Some("RADIO"));
        changed["region"] = json!("  Fès-Meknès  ");
        assert!(answered(&app, "visitor-anna-0001", changed).await, "the second answer of the day replaces the first");
        assert!(!answered(&app, "visitor-anna-0001", about("actionPlanId", &plan, true, Some("PRESS"))).await, "another subject");
        set_clock(&app, "2024-05-07T00:30:00Z");
        assert!(!answered(&app, "visitor-anna-0001", about("commitmentId", &mo18, true, Some("TELEVISION"))).await, "a new UTC day");
        assert!(!answered(&app, "visitor-badr-0002", about("commitmentId", &mo18, false, None)).await, "another visitor");
        assert!(answered(&app, "visitor-badr-0002", about("commitmentId", &mo18, false, None)).await, "the same answer again");

        // A header shorter than 8 characters is no visitor token: both
        // answers come from the same token-less visitor.
        set_clock(&app, "2024-05-08T09:00:00Z");
        let reply = app.query(RECORD, json!({ "input": about("commitmentId", &mo18, true, None) })).await;
        assert_eq!(reply.data()["recordAwareness"]["replaced"], false);
        assert!(answered(&app, "short", about("commitmentId", &mo18, false, None)).await, "a too-short token is ignored");

        let by_day = series(&app, &mo18, "2024-05-06", "2024-05-07", "DAY").await;
        assert_series(&by_day, "DAY", "2024-05-06", "2024-05-07", &[
            point(("2024-05-06", "2024-05-06"), [0; 6], &[], 1, 1, &[("RADIO", 1)]),
            point(("2024-05-07", "2024-05-07"), [0; 6], &[], 2, 1, &[("TELEVISION", 1)]),
        ]);
        // The plan counts answers about itself and about its commitments.
        let by_day = series(&app, &plan, "2024-05-06", "2024-05-07", "DAY").await;
        assert_series(&by_day, "DAY", "2024-05-06", "2024-05-07", &[
            point(("2024-05-06", "2024-05-06"), [0; 6], &[], 2, 2, &[("PRESS", 1), ("RADIO", 1)]),
            point(("2024-05-07", "2024-05-07"), [0; 6], &[], 2, 1, &[("TELEVISION", 1)]),
        ]);
    }

    async fn survey_answers_keep_no_personal_data(backend: Backend) {
        let api = ApiArgs { visitor_salt: Some("pepper".to_owned()), trusted_proxies: 1, ..ApiArgs::default() };
        let app = TestApp::with_api(backend, api).await;
        ogp_pulse::import::load_bundled_if_empty(app.conn()).await.expect("bundled data");
        let mo18 = app.commitment_id("MO0018").await;
        const TOKEN: &str = "private-visitor-token-42";
        const ADDRESS: &str = "203.0.113.9";
        let headers = [("ogp-visitor", TOKEN), ("x-forwarded-for", ADDRESS)];
        for at in ["2024-05-06T10:00:00Z", "2024-05-07T10:00:00Z"] {
            set_clock(&app, at);
            let mut input = about("commitmentId", &mo18, true, Some("RADIO"));
            input["region"] = json!("  Fès-Meknès ");
            let reply = app.post_json("/graphql", &json!({ "query": RECORD, "variables": { "input": input } }), &headers).await;
            assert_eq!(reply.data()["recordAwareness"]["replaced"], false);
        }
        let rows = entity::awareness_answer::Entity::find().all(app.conn()).await.expect("read answers");
        assert_eq!(rows.len(), 2);
        let visitor = Visitor::identify("pepper", Some(TOKEN), ADDRESS);
        for row in &rows {
            let stored = format!("{row:?}");
            for secret in [TOKEN, ADDRESS, visitor.key.as_str(), visitor.address_key.as_str()] {
                assert!(!stored.contains(secret), "{secret} is stored: {stored}");
            }
            assert_eq!(row.region.as_deref(), Some("Fès-Meknès"), "trimmed");
        }
        assert_ne!(rows[0].respondent_key, rows[1].respondent_key, "one visitor's answers of two days cannot be linked");
    }

    async fn survey_answers_are_checked(backend: Backend) {
        let app = bundled_app(backend).await;
        let mo18 = app.commitment_id("MO0018").await;
        let plan = plan_id(&app).await;
        set_clock(&app, "2024-05-06T10:00:00Z");
        let cases = [
            (json!({ "commitmentId": mo18, "actionPlanId": plan, "aware": true }), "commitmentId"),
            (json!({ "aware": true }), "commitmentId"),
            (json!({ "commitmentId": mo18, "aware": false, "channel": "RADIO" }), "channel"),
            (json!({ "commitmentId": global_id("Commitment", 999_999), "aware": true }), "commitmentId"),
            (json!({ "commitmentId": plan, "aware": true }), "commitmentId"),
            (json!({ "actionPlanId": global_id("ActionPlan", 999_999), "aware": true }), "actionPlanId"),
            (json!({ "actionPlanId": mo18, "aware": true }), "actionPlanId"),
            (json!({ "commitmentId": mo18, "aware": true, "region": "x".repeat(101) }), "region"),
        ];
        for (input, field) in cases {
            let reply = answer(&app, "visitor-checked-01", input.clone()).await;
            assert_eq!(outcome(&reply).as_deref(), Some("BAD_USER_INPUT"), "{input}: {}", reply.body);
            assert_eq!(error_field(&reply), field, "{input}: {}", reply.body);
        }
        let by_day = series(&app, &plan, "2024-05-06", "2024-05-06", "DAY").await;
        assert_eq!(by_day["points"][0]["responses"], 0, "refused answers are not counted");

        // A region is trimmed before it is measured.
        let padded = format!("  {}  ", "r".repeat(100));
        let reply = answer(&app, "visitor-checked-01", json!({ "commitmentId": mo18, "aware": true, "region": padded })).await;
        assert_eq!(reply.data()["recordAwareness"]["replaced"], false);
        let by_day = series(&app, &plan, "2024-05-06", "2024-05-06", "DAY").await;
        assert_eq!(by_day["points"][0]["responses"], 1);
    }

    async fn survey_answers_are_rate_limited_on_their_own_counters(backend: Backend) {
        let api = ApiArgs { feedback_per_minute: 2, feedback_per_hour: 100, ..ApiArgs::default() };
        let app = TestApp::with_api(backend, api).await;
        ogp_pulse::import::load_bundled_if_empty(app.conn()).await.expect("bundled data");
        let subjects = [
            app.commitment_id("MO0018").await,
            app.commitment_id("MO0001").await,
            app.commitment_id("MO0002").await,
        ];
        set_clock(&app, "2024-05-06T10:00:00Z");
        // Feedback uses up its own allowance…
        const SUBMIT: &str = "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { status } }";
        for n in 1..=3 {
            let reply = app
                .query(SUBMIT, json!({ "input": { "commitmentId": subjects[0], "body": format!("comment {n}") } }))
                .await;
            let expected = if n <= 2 { None } else { Some("RATE_LIMITED") };
            assert_eq!(outcome(&reply).as_deref(), expected, "comment {n}: {}", reply.body);
        }
        // …and leaves the pulse's untouched.
        assert!(!answered(&app, "visitor-busy-0001", about("commitmentId", &subjects[0], true, None)).await);
        assert!(!answered(&app, "visitor-busy-0001", about("commitmentId", &subjects[1], true, None)).await);
        let reply = answer(&app, "visitor-busy-0001", about("commitmentId", &subjects[2], true, None)).await;
        assert_eq!(reply.error_code(), "RATE_LIMITED", "{}", reply.body);
        let wait = reply.body["errors"][0]["extensions"]["retryAfterSeconds"].as_u64().unwrap_or_default();
        assert!((1..=60).contains(&wait), "retryAfterSeconds = {wait}: {}", reply.body);

        app.clock.advance(Duration::minutes(1));
        assert!(!answered(&app, "visitor-busy-0001", about("commitmentId", &subjects[2], false, None)).await);
        let plan = plan_id(&app).await;
        let by_day = series(&app, &plan, "2024-05-06", "2024-05-06", "DAY").await;
        assert_eq!(by_day["points"][0]["responses"], 3, "the refused answer was not stored");
    }

    async fn series_by_day_has_a_point_for_every_day(backend: Backend) {
        let app = bundled_app(backend).await;
        let fixture = fixture(&app).await;
        let by_day = series(&app, &fixture.mo18, "2024-01-30", "2024-02-02", "DAY").await;
        assert_series(&by_day, "DAY", "2024-01-30", "2024-02-02", &[
            // The week-long radio metric starts on the 29th: not in range.
            point(("2024-01-30", "2024-01-30"), [0; 6], &[], 2, 1, &[("RADIO", 1)]),
            point(("2024-01-31", "2024-01-31"), [700, 5000, 0, 0, 0, 0], &[channel("SOCIAL_MEDIA", [700, 5000, 0, 0, 0, 0])], 0, 0, &[]),
            point(("2024-02-01", "2024-02-01"), [400, 0, 250, 0, 0, 0], &[
                channel("RADIO", [400, 0, 0, 0, 0, 0]),
                channel("SOCIAL_MEDIA", [0, 0, 250, 0, 0, 0]),
            ], 2, 2, &[("SOCIAL_MEDIA", 1)]),
            point(("2024-02-02", "2024-02-02"), [0, 0, 0, 0, 90, 0], &[channel("SOCIAL_MEDIA", [0, 0, 0, 0, 90, 0])], 0, 0, &[]),
        ]);
    }

    async fn series_by_week_widens_to_iso_weeks(backend: Backend) {
        let app = bundled_app(backend).await;
        let fixture = fixture(&app).await;
        // Wednesday 31 January to Wednesday 14 February: Monday 29 January
        // to Sunday 18 February, the first week spanning two months.
        let first_week = [
            channel("RADIO", [1400, 0, 0, 0, 0, 0]),
            channel("SOCIAL_MEDIA", [700, 5000, 250, 0, 90, 0]),
        ];
        let event_week = [channel("EVENT", [300, 0, 0, 60, 0, 4])];
        let by_week = series(&app, &fixture.mo18, "2024-01-31", "2024-02-14", "WEEK").await;
        assert_series(&by_week, "WEEK", "2024-01-29", "2024-02-18", &[
            point(("2024-01-29", "2024-02-04"), [2100, 5000, 250, 0, 90, 0], &first_week, 4, 3, &[("RADIO", 1), ("SOCIAL_MEDIA", 1)]),
            point(("2024-02-05", "2024-02-11"), [300, 0, 0, 60, 0, 4], &event_week, 1, 1, &[("EVENT", 1)]),
            empty(("2024-02-12", "2024-02-18")),
        ]);

        // The campaign: its own metrics, answers about both its commitments
        // (not about the plan).
        let by_week = series(&app, &fixture.campaign, "2024-01-31", "2024-02-14", "WEEK").await;
        assert_series(&by_week, "WEEK", "2024-01-29", "2024-02-18", &[
            point(("2024-01-29", "2024-02-04"), [2100, 5000, 250, 0, 90, 0], &first_week, 5, 3, &[("RADIO", 1), ("SOCIAL_MEDIA", 1)]),
            point(("2024-02-05", "2024-02-11"), [300, 0, 0, 60, 0, 4], &event_week, 1, 1, &[("EVENT", 1)]),
            empty(("2024-02-12", "2024-02-18")),
        ]);

        // MO0001: both campaigns, its one answer.
        let by_week = series(&app, &fixture.mo1, "2024-01-29", "2024-02-18", "WEEK").await;
        assert_series(&by_week, "WEEK", "2024-01-29", "2024-02-18", &[
            point(("2024-01-29", "2024-02-04"), [2100, 5000, 250, 0, 90, 0], &first_week, 1, 0, &[]),
            point(("2024-02-05", "2024-02-11"), [300, 0, 0, 60, 0, 4], &event_week, 0, 0, &[]),
            point(("2024-02-12", "2024-02-18"), [50, 0, 0, 0, 0, 7], &[channel("PRESS", [50, 0, 0, 0, 0, 7])], 0, 0, &[]),
        ]);
    }

    async fn series_by_month_splits_at_month_ends(backend: Backend) {
        let app = bundled_app(backend).await;
        let fixture = fixture(&app).await;
        let january = [
            channel("RADIO", [1000, 0, 0, 0, 0, 0]),
            channel("SOCIAL_MEDIA", [700, 5000, 0, 0, 0, 0]),
        ];
        // 31 January and 1 February fall in different months.
        let by_month = series(&app, &fixture.mo18, "2024-01-15", "2024-03-01", "MONTH").await;
        assert_series(&by_month, "MONTH", "2024-01-01", "2024-03-31", &[
            point(("2024-01-01", "2024-01-31"), [1700, 5000, 0, 0, 0, 0], &january, 2, 1, &[("RADIO", 1)]),
            point(("2024-02-01", "2024-02-29"), [900, 0, 250, 60, 90, 4], &[
                channel("RADIO", [600, 0, 0, 0, 0, 0]),
                channel("SOCIAL_MEDIA", [0, 0, 250, 0, 90, 0]),
                channel("EVENT", [300, 0, 0, 60, 0, 4]),
            ], 4, 3, &[("SOCIAL_MEDIA", 1), ("EVENT", 1)]),
            empty(("2024-03-01", "2024-03-31")),
        ]);

        // The plan: "Open budget weeks" once although linked to two of its
        // commitments, "Press kit" too, and answers about the plan itself
        // and about each of its commitments.
        let by_month = series(&app, &fixture.plan, "2024-01-15", "2024-03-01", "MONTH").await;
        assert_series(&by_month, "MONTH", "2024-01-01", "2024-03-31", &[
            point(("2024-01-01", "2024-01-31"), [1700, 5000, 0, 0, 0, 0], &january, 2, 1, &[("RADIO", 1)]),
            point(("2024-02-01", "2024-02-29"), [950, 0, 250, 60, 90, 11], &[
                channel("PRESS", [50, 0, 0, 0, 0, 7]),
                channel("RADIO", [600, 0, 0, 0, 0, 0]),
                channel("SOCIAL_MEDIA", [0, 0, 250, 0, 90, 0]),
                channel("EVENT", [300, 0, 0, 60, 0, 4]),
            ], 6, 4, &[("PRESS", 1), ("SOCIAL_MEDIA", 1), ("EVENT", 1)]),
            empty(("2024-03-01", "2024-03-31")),
        ]);
    }

    async fn series_arguments_are_checked(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let mo18 = app.commitment_id("MO0018").await;
        let milestone = milestone_ids(&app, "MO0018").await.remove(0);
        let refused = [
            (mo18.clone(), "2024-02-10", "2024-02-01", "DAY", "to"),
            (mo18.clone(), "2023-01-01", "2024-01-02", "DAY", "granularity"),
            (milestone, "2024-01-01", "2024-01-31", "WEEK", "subject"),
            (global_id("Campaign", 999_999), "2024-01-01", "2024-01-31", "WEEK", "subject"),
            (global_id("Commitment", 999_999), "2024-01-01", "2024-01-31", "WEEK", "subject"),
            (global_id("ActionPlan", 999_999), "2024-01-01", "2024-01-31", "WEEK", "subject"),
            ("not an id".to_owned(), "2024-01-01", "2024-01-31", "WEEK", "subject"),
        ];
        for (subject, from, to, granularity, field) in refused {
            let reply = series_reply(&app, &subject, from, to, granularity).await;
            assert_eq!(outcome(&reply).as_deref(), Some("BAD_USER_INPUT"), "{subject} {from}..{to} {granularity}: {}", reply.body);
            assert_eq!(error_field(&reply), field, "{subject} {from}..{to} {granularity}: {}", reply.body);
        }

        // 366 days is the most a series may have.
        let year = series(&app, &mo18, "2024-01-01", "2024-12-31", "DAY").await;
        let days = year["points"].as_array().expect("points");
        assert_eq!(days.len(), 366);
        assert_eq!((&days[0]["periodStart"], &days[365]["periodEnd"]), (&json!("2024-01-01"), &json!("2024-12-31")));
        assert_eq!(days[59]["periodStart"], "2024-02-29");

        // Two years by week: Monday to Sunday, back to back.
        let weeks = series(&app, &mo18, "2022-01-01", "2023-12-31", "WEEK").await;
        assert_eq!((&weeks["from"], &weeks["to"]), (&json!("2021-12-27"), &json!("2023-12-31")));
        let weeks = weeks["points"].as_array().expect("points");
        assert_eq!(weeks.len(), 105);
        let date = |value: &Value| {
            NaiveDate::parse_from_str(value.as_str().unwrap_or_default(), "%Y-%m-%d")
                .unwrap_or_else(|err| panic!("not a date ({err}): {value}"))
        };
        let mut next = date(&json!("2021-12-27"));
        for week in weeks {
            let (start, end) = (date(&week["periodStart"]), date(&week["periodEnd"]));
            assert_eq!((start, start.weekday(), end), (next, Weekday::Mon, start + Duration::days(6)), "{week}");
            assert_eq!(week, &empty((week["periodStart"].as_str().unwrap_or_default(), week["periodEnd"].as_str().unwrap_or_default())));
            next = end + Duration::days(1);
        }

        // … and by month.
        let months = series(&app, &mo18, "2022-01-01", "2023-12-31", "MONTH").await;
        let months = months["points"].as_array().expect("points");
        assert_eq!(months.len(), 24);
        assert_eq!((&months[13]["periodStart"], &months[13]["periodEnd"]), (&json!("2023-02-01"), &json!("2023-02-28")));

        // One day widens to its whole month (a leap February).
        let february = series(&app, &mo18, "2024-02-15", "2024-02-15", "MONTH").await;
        assert_series(&february, "MONTH", "2024-02-01", "2024-02-29", &[empty(("2024-02-01", "2024-02-29"))]);

        // WEEK is the default granularity.
        let reply = app
            .query(
                "query($s: ID!) { awarenessSeries(subject: $s, from: \"2024-01-03\", to: \"2024-01-03\") { granularity from to } }",
                json!({ "s": mo18 }),
            )
            .await;
        assert_eq!(reply.data()["awarenessSeries"], json!({ "granularity": "WEEK", "from": "2024-01-01", "to": "2024-01-07" }));
    }

    async fn commitment_awareness_compares_with_the_previous_period(backend: Backend) {
        let app = bundled_app(backend).await;
        fixture(&app).await;
        let cases = [
            (Some("2024-02-01"), Some("2024-02-14"),
                figures(("2024-02-01", "2024-02-14", 700, 3, 3), ("2024-01-18", "2024-01-31", 1700, 2, 1), "RISING")),
            (Some("2024-02-10"), Some("2024-02-19"),
                figures(("2024-02-10", "2024-02-19", 300, 1, 1), ("2024-01-31", "2024-02-09", 1100, 2, 2), "STEADY")),
            (Some("2024-02-20"), Some("2024-02-29"),
                figures(("2024-02-20", "2024-02-29", 200, 1, 0), ("2024-02-10", "2024-02-19", 300, 1, 1), "FALLING")),
            (Some("2024-03-01"), Some("2024-03-31"),
                figures(("2024-03-01", "2024-03-31", 0, 0, 0), ("2024-01-30", "2024-02-29", 1600, 6, 4), "UNKNOWN")),
            (Some("2024-01-30"), Some("2024-01-30"),
                figures(("2024-01-30", "2024-01-30", 0, 2, 1), ("2024-01-29", "2024-01-29", 1000, 0, 0), "UNKNOWN")),
            // Without `from`: the 30 days ending on `to`.
            (None, Some("2024-02-29"),
                figures(("2024-01-31", "2024-02-29", 1600, 4, 3), ("2024-01-01", "2024-01-30", 1000, 2, 1), "RISING")),
        ];
        for (from, to, expected) in cases {
            let reply = commitment_awareness(&app, from, to).await;
            assert_figures(&reply.data()["commitment"]["awareness"], &expected, &format!("{from:?}..{to:?}"));
        }
        // The commitment, then both periods' reach and answers in one
        // statement (a period not asked yet, which no cache answers).
        let before = app.database.db.statements_run();
        let reply = commitment_awareness(&app, Some("2024-02-02"), Some("2024-02-15")).await;
        assert!(reply.body["errors"].is_null(), "{}", reply.body);
        let statements = app.database.db.statements_run() - before;
        assert_eq!(statements, 2, "the figures took {statements} statements");

        // Without arguments: the 30 days ending today (the server's clock).
        set_clock(&app, "2024-03-10T12:00:00Z");
        let reply = app
            .query(&format!("{{ commitment(code: \"MO0018\") {{ awareness {{ {FIGURES} }} }} }}"), json!({}))
            .await;
        assert_figures(
            &reply.data()["commitment"]["awareness"],
            &figures(("2024-02-10", "2024-03-10", 500, 2, 1), ("2024-01-11", "2024-02-09", 2100, 4, 3), "FALLING"),
            "the last 30 days",
        );

        let reply = commitment_awareness(&app, Some("2024-02-10"), Some("2024-02-01")).await;
        assert_eq!(outcome(&reply).as_deref(), Some("BAD_USER_INPUT"), "{}", reply.body);
        assert_eq!(error_field(&reply), "to");
    }

    async fn action_plan_awareness_counts_the_plan_and_its_commitments(backend: Backend) {
        let app = bundled_app(backend).await;
        fixture(&app).await;
        let reply = app
            .query(
                &format!(
                    "{{ actionPlan(key: \"morocco-2018-2020\") {{ awareness(from: \"2024-02-01\", to: \"2024-02-14\") {{ {FIGURES} }} }}
                       commitment(code: \"MO0001\") {{ awareness(from: \"2024-02-01\", to: \"2024-02-14\") {{ {FIGURES} }} }} }}"
                ),
                json!({}),
            )
            .await;
        // "Open budget weeks" once (400 + 300) and "Press kit" (50); the
        // answers about MO0018, MO0001 and the plan itself.
        assert_figures(
            &reply.data()["actionPlan"]["awareness"],
            &figures(("2024-02-01", "2024-02-14", 750, 5, 4), ("2024-01-18", "2024-01-31", 1700, 2, 1), "RISING"),
            "the plan",
        );
        assert_figures(
            &reply.data()["commitment"]["awareness"],
            &figures(("2024-02-01", "2024-02-14", 750, 1, 0), ("2024-01-18", "2024-01-31", 1700, 0, 0), "UNKNOWN"),
            "MO0001",
        );
    }

    async fn a_focal_points_campaign_told_week_by_week(backend: Backend) {
        let app = bundled_app(backend).await;
        let focal = focal_point_of_mo0018(&app).await;
        let mo18 = app.commitment_id("MO0018").await;
        let campaign = bundled_campaign_id(&app).await;

        // MO0018's focal point records the communication plan's activities…
        let press = create_activity(&app, &focal, &campaign, "PRESS", "Press conference", "2025-03-04", None).await;
        let radio = create_activity(&app, &focal, &campaign, "RADIO", "Radio spots", "2025-03-05", Some("2025-03-25")).await;
        let social = create_activity(&app, &focal, &campaign, "SOCIAL_MEDIA", "Social media posts", "2025-03-10", Some("2025-03-30")).await;
        let workshop = create_activity(&app, &focal, &campaign, "WORKSHOP", "Workshop in Rabat", "2025-03-26", None).await;
        // …and their reach, week after week.
        let weeks = [
            json!([
                metric(&press, "REACH", 12000, "2025-03-04", None),
                metric(&press, "MEDIA_MENTIONS", 9, "2025-03-04", Some("2025-03-07")),
                metric(&radio, "REACH", 30000, "2025-03-05", Some("2025-03-11")),
            ]),
            json!([
                metric(&radio, "REACH", 25000, "2025-03-12", Some("2025-03-18")),
                metric(&social, "REACH", 8000, "2025-03-10", Some("2025-03-16")),
                metric(&social, "IMPRESSIONS", 40000, "2025-03-10", Some("2025-03-16")),
                metric(&social, "ENGAGEMENTS", 1200, "2025-03-10", Some("2025-03-16")),
            ]),
            json!([
                metric(&radio, "REACH", 20000, "2025-03-19", Some("2025-03-25")),
                metric(&social, "REACH", 9500, "2025-03-17", Some("2025-03-23")),
                metric(&social, "CLICKS", 600, "2025-03-17", Some("2025-03-23")),
            ]),
            json!([
                metric(&workshop, "ATTENDEES", 85, "2025-03-26", None),
                metric(&workshop, "REACH", 85, "2025-03-26", None),
            ]),
        ];
        for rows in weeks {
            let expected = rows.as_array().map(Vec::len);
            let payload = record_metrics(&app, &focal, rows).await;
            assert_eq!(payload["created"].as_u64().and_then(|n| usize::try_from(n).ok()), expected, "{payload}");
        }

        // Citizens answer the pulse on different days.
        let answers = [
            ("2025-03-06T10:00:00Z", "citizen-01-token", true, Some("PRESS")),
            ("2025-03-06T18:30:00Z", "citizen-02-token", false, None),
            ("2025-03-13T09:00:00Z", "citizen-01-token", true, Some("RADIO")),
            ("2025-03-13T11:00:00Z", "citizen-03-token", true, Some("SOCIAL_MEDIA")),
            ("2025-03-13T12:00:00Z", "citizen-04-token", true, Some("RADIO")),
            ("2025-03-13T13:00:00Z", "citizen-05-token", false, None),
            ("2025-03-20T08:00:00Z", "citizen-02-token", true, Some("SOCIAL_MEDIA")),
            ("2025-03-20T08:30:00Z", "citizen-06-token", false, None),
            // Citizen 6 remembers the radio spot that evening.
            ("2025-03-20T21:00:00Z", "citizen-06-token", true, Some("RADIO")),
            ("2025-03-27T10:00:00Z", "citizen-07-token", true, Some("WORKSHOP")),
            ("2025-03-27T10:05:00Z", "citizen-08-token", true, None),
            ("2025-03-27T10:10:00Z", "citizen-09-token", false, None),
            ("2025-03-27T10:15:00Z", "citizen-10-token", false, None),
        ];
        let mut replaced = Vec::new();
        for (at, visitor, aware, channel) in answers {
            set_clock(&app, at);
            if answered(&app, visitor, about("commitmentId", &mo18, aware, channel)).await {
                replaced.push(at);
            }
        }
        assert_eq!(replaced, ["2025-03-20T21:00:00Z"]);

        let reply = app
            .query(SERIES, json!({ "subject": mo18, "from": "2025-03-03", "to": "2025-03-30", "granularity": "WEEK" }))
            .await;
        let weekly = &reply.data()["awarenessSeries"];
        assert_eq!((&weekly["granularity"], &weekly["from"], &weekly["to"]), (&json!("WEEK"), &json!("2025-03-03"), &json!("2025-03-30")));
        let expected = json!([
            {
                "periodStart": "2025-03-03", "periodEnd": "2025-03-09", "reach": 42000,
                "metrics": [
                    { "kind": "REACH", "value": 42000 }, { "kind": "IMPRESSIONS", "value": 0 }, { "kind": "ENGAGEMENTS", "value": 0 },
                    { "kind": "ATTENDEES", "value": 0 }, { "kind": "CLICKS", "value": 0 }, { "kind": "MEDIA_MENTIONS", "value": 9 },
                ],
                "byChannel": [
                    { "channel": "PRESS", "reach": 12000, "metrics": [
                        { "kind": "REACH", "value": 12000 }, { "kind": "IMPRESSIONS", "value": 0 }, { "kind": "ENGAGEMENTS", "value": 0 },
                        { "kind": "ATTENDEES", "value": 0 }, { "kind": "CLICKS", "value": 0 }, { "kind": "MEDIA_MENTIONS", "value": 9 },
                    ] },
                    { "channel": "RADIO", "reach": 30000, "metrics": [
                        { "kind": "REACH", "value": 30000 }, { "kind": "IMPRESSIONS", "value": 0 }, { "kind": "ENGAGEMENTS", "value": 0 },
                        { "kind": "ATTENDEES", "value": 0 }, { "kind": "CLICKS", "value": 0 }, { "kind": "MEDIA_MENTIONS", "value": 0 },
                    ] },
                ],
                "responses": 2, "awareResponses": 1, "awareShare": 0.5,
                "heardVia": [{ "channel": "PRESS", "count": 1 }],
            },
            {
                "periodStart": "2025-03-10", "periodEnd": "2025-03-16", "reach": 33000,
                "metrics": [
                    { "kind": "REACH", "value": 33000 }, { "kind": "IMPRESSIONS", "value": 40000 }, { "kind": "ENGAGEMENTS", "value": 1200 },
                    { "kind": "ATTENDEES", "value": 0 }, { "kind": "CLICKS", "value": 0 }, { "kind": "MEDIA_MENTIONS", "value": 0 },
                ],
                "byChannel": [
                    { "channel": "RADIO", "reach": 25000, "metrics": [
                        { "kind": "REACH", "value": 25000 }, { "kind": "IMPRESSIONS", "value": 0 }, { "kind": "ENGAGEMENTS", "value": 0 },
                        { "kind": "ATTENDEES", "value": 0 }, { "kind": "CLICKS", "value": 0 }, { "kind": "MEDIA_MENTIONS", "value": 0 },
                    ] },
                    { "channel": "SOCIAL_MEDIA", "reach": 8000, "metrics": [
                        { "kind": "REACH", "value": 8000 }, { "kind": "IMPRESSIONS", "value": 40000 }, { "kind": "ENGAGEMENTS", "value": 1200 },
                        { "kind": "ATTENDEES", "value": 0 }, { "kind": "CLICKS", "value": 0 }, { "kind": "MEDIA_MENTIONS", "value": 0 },
                    ] },
                ],
                "responses": 4, "awareResponses": 3, "awareShare": 0.75,
                "heardVia": [{ "channel": "RADIO", "count": 2 }, { "channel": "SOCIAL_MEDIA", "count": 1 }],
            },
            {
                "periodStart": "2025-03-17", "periodEnd": "2025-03-23", "reach": 29500,
                "metrics": [
                    { "kind": "REACH", "value": 29500 }, { "kind": "IMPRESSIONS", "value": 0 }, { "kind": "ENGAGEMENTS", "value": 0 },
                    { "kind": "ATTENDEES", "value": 0 }, { "kind": "CLICKS", "value": 600 }, { "kind": "MEDIA_MENTIONS", "value": 0 },
                ],
                "byChannel": [
                    { "channel": "RADIO", "reach": 20000, "metrics": [
                        { "kind": "REACH", "value": 20000 }, { "kind": "IMPRESSIONS", "value": 0 }, { "kind": "ENGAGEMENTS", "value": 0 },
                        { "kind": "ATTENDEES", "value": 0 }, { "kind": "CLICKS", "value": 0 }, { "kind": "MEDIA_MENTIONS", "value": 0 },
                    ] },
                    { "channel": "SOCIAL_MEDIA", "reach": 9500, "metrics": [
                        { "kind": "REACH", "value": 9500 }, { "kind": "IMPRESSIONS", "value": 0 }, { "kind": "ENGAGEMENTS", "value": 0 },
                        { "kind": "ATTENDEES", "value": 0 }, { "kind": "CLICKS", "value": 600 }, { "kind": "MEDIA_MENTIONS", "value": 0 },
                    ] },
                ],
                "responses": 2, "awareResponses": 2, "awareShare": 1.0,
                "heardVia": [{ "channel": "RADIO", "count": 1 }, { "channel": "SOCIAL_MEDIA", "count": 1 }],
            },
            {
                "periodStart": "2025-03-24", "periodEnd": "2025-03-30", "reach": 85,
                "metrics": [
                    { "kind": "REACH", "value": 85 }, { "kind": "IMPRESSIONS", "value": 0 }, { "kind": "ENGAGEMENTS", "value": 0 },
                    { "kind": "ATTENDEES", "value": 85 }, { "kind": "CLICKS", "value": 0 }, { "kind": "MEDIA_MENTIONS", "value": 0 },
                ],
                "byChannel": [
                    { "channel": "WORKSHOP", "reach": 85, "metrics": [
                        { "kind": "REACH", "value": 85 }, { "kind": "IMPRESSIONS", "value": 0 }, { "kind": "ENGAGEMENTS", "value": 0 },
                        { "kind": "ATTENDEES", "value": 85 }, { "kind": "CLICKS", "value": 0 }, { "kind": "MEDIA_MENTIONS", "value": 0 },
                    ] },
                ],
                "responses": 4, "awareResponses": 2, "awareShare": 0.5,
                "heardVia": [{ "channel": "WORKSHOP", "count": 1 }],
            },
        ]);
        let points = weekly["points"].as_array().unwrap_or_else(|| panic!("no points: {weekly}"));
        let expected = expected.as_array().expect("expected points");
        assert_eq!(points.len(), expected.len(), "{weekly}");
        for (n, (got, want)) in points.iter().zip(expected).enumerate() {
            assert_eq!(got, want, "week {}", n + 1);
        }
        let summary = summary(&app, &campaign).await;
        assert_eq!((&summary["activities"], &summary["reach"]), (&json!(4), &json!(104_585)));
        assert_eq!((&summary["firstActivity"], &summary["lastActivity"]), (&json!("2025-03-04"), &json!("2025-03-30")));
    }
}

/// The same fixture on SQLite and, when `TEST_DATABASE_URL` is set, on
/// PostgreSQL: every series and the summary must be the same JSON.
#[tokio::test]
async fn sqlite_and_postgresql_answer_alike() {
    let mut runs = Vec::new();
    for backend in std::iter::once(Backend::Sqlite).chain(Backend::postgres()) {
        let app = bundled_app(backend).await;
        let fixture = fixture(&app).await;
        let campaign_summary = summary(&app, &fixture.campaign).await;
        assert_eq!(
            campaign_summary,
            json!({
                "activities": 3,
                "reach": 2600,
                "totals": [
                    { "channel": "RADIO", "kind": "REACH", "value": 1600 },
                    { "channel": "SOCIAL_MEDIA", "kind": "REACH", "value": 700 },
                    { "channel": "SOCIAL_MEDIA", "kind": "IMPRESSIONS", "value": 5000 },
                    { "channel": "SOCIAL_MEDIA", "kind": "ENGAGEMENTS", "value": 250 },
                    { "channel": "SOCIAL_MEDIA", "kind": "CLICKS", "value": 90 },
                    { "channel": "EVENT", "kind": "REACH", "value": 300 },
                    { "channel": "EVENT", "kind": "ATTENDEES", "value": 60 },
                    { "channel": "EVENT", "kind": "MEDIA_MENTIONS", "value": 4 },
                ],
                "budget": null,
                "costPerReach": null,
                "firstActivity": "2024-01-29",
                "lastActivity": "2024-02-20",
            }),
            "{backend:?}"
        );
        let mut answers = vec![campaign_summary];
        for subject in [
            &fixture.mo18,
            &fixture.mo1,
            &fixture.plan,
            &fixture.campaign,
        ] {
            for (granularity, from, to) in [
                ("DAY", "2024-01-25", "2024-02-25"),
                ("WEEK", "2024-01-01", "2024-03-10"),
                ("MONTH", "2023-12-15", "2024-03-15"),
            ] {
                answers.push(series(&app, subject, from, to, granularity).await);
            }
        }
        runs.push((backend, answers));
    }
    if let [(_, sqlite), (_, postgres)] = runs.as_slice() {
        assert_eq!(sqlite.len(), postgres.len());
        for (n, (on_sqlite, on_postgres)) in sqlite.iter().zip(postgres).enumerate() {
            assert_eq!(
                on_sqlite, on_postgres,
                "answer {n} differs between SQLite and PostgreSQL"
            );
        }
    }
}
