//! Email through the outbox: a response notice reaches the citizen who asked
//! (and no one else), once; transient SMTP failures are retried until one
//! delivery; a permanent one stops mailing the address; two senders at once
//! deliver each message once. SMTP runs against a scripted server on a real
//! socket.

use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use entity::mail_outbox;
use ogp_pulse::{
    config::ApiArgs,
    import,
    mail::{
        delivery::{DeliveryReport, Sender, deliver_due},
        outbox::{NewMail, claim, enqueue, purge_finished},
        transport::MailTransport,
    },
    staff::Role,
};
use sea_orm::EntityTrait;
use serde_json::json;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

use crate::support::{TestApp, on_both_backends};

pub(crate) fn files_sender(dir: &std::path::Path) -> Sender {
    Sender {
        transport: MailTransport::from_settings(None, dir).expect("outbox folder"),
        from: "ogp-pulse <no-reply@example.org>".parse().expect("address"),
        domain: "example.org".to_owned(),
    }
}

fn smtp_sender(port: u16) -> Sender {
    Sender {
        transport: MailTransport::from_settings(
            Some(&format!("smtp://127.0.0.1:{port}")),
            std::path::Path::new("unused"),
        )
        .expect("smtp url"),
        from: "ogp-pulse <no-reply@example.org>".parse().expect("address"),
        domain: "example.org".to_owned(),
    }
}

/// The `.eml` files in `dir`, headers unfolded.
pub(crate) fn eml_files(dir: &std::path::Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("outbox folder")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().extension().is_some_and(|e| e == "eml"))
        .map(|entry| {
            std::fs::read_to_string(entry.path())
                .expect("readable")
                .replace("\r\n ", " ")
                .replace("\r\n\t", "\t")
                .replace("\n ", " ")
        })
        .collect();
    files.sort();
    files
}

/// What the scripted SMTP server saw.
#[derive(Default)]
struct Seen {
    connections: usize,
    attempts: usize,
    accepted: Vec<String>,
}

/// An SMTP server on a real socket that answers RCPT with `rcpt` and each
/// end of DATA with the next of `data_replies` (then 250).
async fn scripted_smtp(
    rcpt: &'static str,
    data_replies: Vec<&'static str>,
) -> (u16, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let replies = Arc::new(Mutex::new(data_replies.into_iter()));
    let shared = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            shared.lock().expect("lock").connections += 1;
            let (seen, replies) = (Arc::clone(&shared), Arc::clone(&replies));
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 test ESMTP\r\n").await;
                let mut message: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = message.as_mut() {
                        if line == "." {
                            let body = message.take().unwrap_or_default();
                            let reply = {
                                let reply = replies
                                    .lock()
                                    .expect("lock")
                                    .next()
                                    .unwrap_or("250 2.0.0 accepted");
                                let mut seen = seen.lock().expect("lock");
                                seen.attempts += 1;
                                if reply.starts_with('2') {
                                    seen.accepted.push(body);
                                }
                                reply
                            };
                            let _ = write.write_all(format!("{reply}\r\n").as_bytes()).await;
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    let reply = match verb.as_str() {
                        "EHLO" | "HELO" => "250 test",
                        "MAIL" | "RSET" | "NOOP" => "250 2.1.0 ok",
                        "RCPT" => rcpt,
                        "DATA" => {
                            message = Some(String::new());
                            "354 go ahead"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => "502 5.5.2 not implemented",
                    };
                    let _ = write.write_all(format!("{reply}\r\n").as_bytes()).await;
                }
            });
        }
    });
    (port, seen)
}

async fn mail(app: &TestApp, key: &str, to: &str) {
    let new = NewMail {
        dedupe_key: key.to_owned(),
        recipient: to.to_owned(),
        subject: "A subject".to_owned(),
        text_body: "Plain text".to_owned(),
        html_body: "<p>HTML</p>".to_owned(),
        list_unsubscribe: None,
    };
    enqueue(app.conn(), new, Utc::now())
        .await
        .expect("enqueued");
}

async fn rows(app: &TestApp) -> Vec<mail_outbox::Model> {
    mail_outbox::Entity::find()
        .all(app.conn())
        .await
        .expect("outbox")
}

const SUBMIT: &str = "mutation($c: ID!, $email: String, $notify: Boolean!) { submitFeedback(input: { commitmentId: $c, kind: QUESTION, body: \"Where is the plan?\", authorName: \"Fatima\", authorEmail: $email, notifyOnResponse: $notify }) { feedback { id } } }";
const RESPOND: &str =
    "mutation($id: ID!, $body: String!) { respondToFeedback(feedbackId: $id, body: $body) { id } }";

on_both_backends! {
    async fn an_official_response_emails_the_citizen_who_asked_once(backend: Backend) {
        let api = ApiArgs { public_url: "https://pulse.example.org/".to_owned(), ..ApiArgs::default() };
        let app = TestApp::with_api(backend, api).await;
        import::load_bundled_if_empty(app.conn()).await.expect("bundled data");
        let mo18 = app.commitment_id("MO0018").await;
        let admin = app.staff("admin@example.org", &[Role::Admin], None).await;
        let asked = app.query(SUBMIT, json!({ "c": mo18, "email": "fatima@example.net", "notify": true })).await;
        let asked = asked.data()["submitFeedback"]["feedback"]["id"].clone();
        let silent = app.query(SUBMIT, json!({ "c": mo18, "email": "other@example.net", "notify": false })).await;
        let silent = silent.data()["submitFeedback"]["feedback"]["id"].clone();

        let body = "It is published <script>alert(1)</script> on our site.";
        app.query_as(&admin, RESPOND, json!({ "id": asked, "body": body })).await.data();
        app.query_as(&admin, RESPOND, json!({ "id": silent, "body": "Thank you." })).await.data();
        let pending = rows(&app).await;
        assert_eq!(pending.len(), 1, "only the citizen who asked is written to");
        assert_eq!(pending[0].status, "pending");

        let dir = tempfile::tempdir().expect("temporary folder");
        let sender = files_sender(dir.path());
        let report = deliver_due(app.conn(), &sender, Utc::now()).await.expect("delivery");
        assert_eq!(report, DeliveryReport { sent: 1, ..DeliveryReport::default() });
        let files = eml_files(dir.path());
        assert_eq!(files.len(), 1);
        let eml = &files[0];
        assert!(eml.contains("To: fatima@example.net"), "{eml}");
        assert!(eml.contains("Subject: Official response to your question on MO0018"), "{eml}");
        assert!(eml.contains("multipart/alternative"), "{eml}");
        assert!(eml.contains("Message-ID: <response-notice."), "{eml}");
        assert!(!eml.contains("other@example.net"), "no other citizen's address");
        let decoded = eml.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
        assert!(decoded.contains("https://pulse.example.org/commitments/MO0018#feedback-"), "{decoded}");
        assert!(decoded.contains("&lt;script&gt;"), "escaped in HTML: {decoded}");

        // Delivered once: nothing is left, and the address is forgotten.
        let again = deliver_due(app.conn(), &sender, Utc::now()).await.expect("delivery");
        assert_eq!(again, DeliveryReport::default());
        assert_eq!(eml_files(dir.path()).len(), 1);
        let sent = rows(&app).await;
        assert_eq!((sent[0].status.as_str(), sent[0].recipient.as_str()), ("sent", ""));
    }

    async fn transient_failures_are_retried_until_one_delivery(backend: Backend) {
        let app = TestApp::empty(backend).await;
        mail(&app, "test:retry", "citizen@example.net").await;
        let (port, seen) = scripted_smtp("250 2.1.5 ok", vec!["451 4.3.0 try again later", "451 4.3.0 try again later"]).await;
        let sender = smtp_sender(port);
        let now = Utc::now();
        let first = deliver_due(app.conn(), &sender, now).await.expect("delivery");
        assert_eq!(first, DeliveryReport { retried: 1, ..DeliveryReport::default() });
        // Not due again at once.
        assert_eq!(deliver_due(app.conn(), &sender, now).await.expect("delivery"), DeliveryReport::default());
        let second = deliver_due(app.conn(), &sender, now + Duration::minutes(10)).await.expect("delivery");
        assert_eq!(second, DeliveryReport { retried: 1, ..DeliveryReport::default() });
        let third = deliver_due(app.conn(), &sender, now + Duration::hours(1)).await.expect("delivery");
        assert_eq!(third, DeliveryReport { sent: 1, ..DeliveryReport::default() });
        assert_eq!(deliver_due(app.conn(), &sender, now + Duration::days(1)).await.expect("delivery"), DeliveryReport::default());

        {
            let seen = seen.lock().expect("lock");
            assert_eq!((seen.attempts, seen.accepted.len()), (3, 1), "exactly one delivery");
            assert!(seen.accepted[0].contains("Message-ID: <test.retry@example.org>"), "{}", seen.accepted[0]);
        }
        let row = &rows(&app).await[0];
        assert_eq!((row.status.as_str(), row.attempts), ("sent", 3));
        assert_eq!(row.last_error, None);
    }

    async fn a_permanent_failure_stops_mailing_the_address(backend: Backend) {
        let app = TestApp::empty(backend).await;
        mail(&app, "test:bounce", "Gone@Example.net").await;
        let (port, seen) = scripted_smtp("550 5.1.1 <gone@example.net>: no such user", vec![]).await;
        let sender = smtp_sender(port);
        let report = deliver_due(app.conn(), &sender, Utc::now()).await.expect("delivery");
        assert_eq!(report, DeliveryReport { failed: 1, ..DeliveryReport::default() });
        let row = &rows(&app).await[0];
        assert_eq!(row.status, "failed");
        assert_eq!(row.recipient, "", "the address is forgotten");
        let error = row.last_error.clone().unwrap_or_default();
        assert!(error.contains("550") && !error.contains("gone@"), "a code, never the server's text: {error}");

        // The same address (in any case) is not contacted again.
        mail(&app, "test:bounce-2", "gone@example.net").await;
        let connections = seen.lock().expect("lock").connections;
        let report = deliver_due(app.conn(), &sender, Utc::now()).await.expect("delivery");
        assert_eq!(report, DeliveryReport { suppressed: 1, ..DeliveryReport::default() });
        assert_eq!(seen.lock().expect("lock").connections, connections);
    }

    async fn a_sender_that_dies_holding_messages_gives_them_up_after_its_lease(backend: Backend) {
        let app = TestApp::empty(backend).await;
        mail(&app, "test:crash", "citizen@example.net").await;
        let now = Utc::now();
        // A sender takes the message, then dies before recording anything.
        let taken = claim(app.conn(), now, Duration::minutes(5), 10).await.expect("claim");
        assert_eq!(taken.len(), 1);
        let dir = tempfile::tempdir().expect("folder");
        let sender = files_sender(dir.path());
        let meanwhile = deliver_due(app.conn(), &sender, now + Duration::minutes(4)).await.expect("delivery");
        assert_eq!(meanwhile, DeliveryReport::default(), "still held by the first sender");
        let later = deliver_due(app.conn(), &sender, now + Duration::minutes(6)).await.expect("delivery");
        assert_eq!(later, DeliveryReport { sent: 1, ..DeliveryReport::default() });
        assert_eq!(eml_files(dir.path()).len(), 1);
    }

    async fn finished_mail_is_purged_after_its_keeping_time_and_waiting_mail_never(backend: Backend) {
        let app = TestApp::empty(backend).await;
        mail(&app, "test:sent", "citizen@example.net").await;
        let dir = tempfile::tempdir().expect("folder");
        let now = Utc::now();
        deliver_due(app.conn(), &files_sender(dir.path()), now).await.expect("delivery");
        mail(&app, "test:waiting", "other@example.net").await;
        let keep = Duration::days(30);
        // Not yet old enough: nothing goes.
        assert_eq!(purge_finished(app.conn(), now - keep).await.expect("purge"), 0);
        assert_eq!(rows(&app).await.len(), 2);
        // Long after: the delivered message goes, the waiting one stays.
        let later = now + Duration::days(31);
        assert_eq!(purge_finished(app.conn(), later - keep).await.expect("purge"), 1);
        let left = rows(&app).await;
        assert_eq!(left.iter().map(|row| row.dedupe_key.as_str()).collect::<Vec<_>>(), ["test:waiting"]);
    }

    async fn two_senders_at_once_deliver_each_message_once(backend: Backend) {
        let app = TestApp::empty(backend).await;
        for n in 0..30 {
            mail(&app, &format!("test:many-{n}"), &format!("citizen{n}@example.net")).await;
        }
        // A repeated cause writes nothing more.
        mail(&app, "test:many-0", "citizen0@example.net").await;
        let (one, two) = (tempfile::tempdir().expect("folder"), tempfile::tempdir().expect("folder"));
        let (a, b) = (files_sender(one.path()), files_sender(two.path()));
        let now = Utc::now();
        let (first, second) = tokio::join!(deliver_due(app.conn(), &a, now), deliver_due(app.conn(), &b, now));
        let (first, second) = (first.expect("delivery"), second.expect("delivery"));
        assert_eq!(first.sent + second.sent, 30);
        let mut delivered: Vec<String> = eml_files(one.path()).into_iter().chain(eml_files(two.path())).collect();
        assert_eq!(delivered.len(), 30);
        delivered.sort();
        delivered.dedup();
        assert_eq!(delivered.len(), 30, "no message twice");
    }
}

/// The service delivers the outbox by itself: with no SMTP server
/// configured, a response notice appears as an `.eml` file in `outbox/`.
#[test]
fn the_running_service_delivers_notices_to_its_outbox_folder() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let dir = dir.path();
    let admin = crate::metrics_cli::add_staff(dir, "admin@example.org", &["admin"]);
    let (_server, port) =
        crate::process::serve(dir, &["--public-url", "https://pulse.example.org"]);
    let (_, ids) = crate::process::graphql(
        port,
        None,
        r#"{ commitment(code: "MO0018") { id } }"#,
        json!({}),
    );
    let mo18 = ids["data"]["commitment"]["id"].clone();
    let (_, asked) = crate::process::graphql(
        port,
        None,
        SUBMIT,
        json!({ "c": mo18, "email": "fatima@example.net", "notify": true }),
    );
    let id = asked["data"]["submitFeedback"]["feedback"]["id"].clone();
    let (_, answered) = crate::process::graphql(
        port,
        Some(&admin),
        RESPOND,
        json!({ "id": id, "body": "Here it is." }),
    );
    assert!(answered.get("errors").is_none(), "{answered}");
    let outbox = dir.join("outbox");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while std::time::Instant::now() < deadline
        && (!outbox.exists() || eml_files(&outbox).is_empty())
    {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let files = eml_files(&outbox);
    assert_eq!(files.len(), 1, "one notice delivered by the service");
    assert!(files[0].contains("To: fatima@example.net"), "{}", files[0]);
}
