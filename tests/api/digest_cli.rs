//! `ogp-pulse digest run` end to end: the real binary on a SQLite file, a
//! focal point subscribed and confirmed through a served API, and a real SMTP
//! server (aiosmtpd, `tests/smtp/smtp_server.py`) receiving what is sent. The
//! received messages are read as a mail client would, by a MIME parser.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration as StdDuration, Instant},
};

use chrono::{DateTime, Datelike, Duration, NaiveTime, SecondsFormat, Utc};
use entity::mail_outbox;
use mail_parser::MimeHeaders;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::{
    metrics_cli::add_staff,
    process::{Finished, graphql, http, ogp_pulse, run, serve, sqlite_url},
};

const BUNDLED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/morocco-2018-2020.json");
const SMTP_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp/smtp_server.py");
const PUBLIC_URL: &str = "https://pulse.example.org";
/// MO0018's focal point (`amal-alami`) as the bundled data publishes it.
const FOCAL_EMAIL: &str = "a.alami@mmsp.gov.ma";
/// A commenter's address, which no email to staff may ever show.
const PLANTED_EMAIL: &str = "planted.commenter@example.net";
const FEEDBACK_BODY: &str = "When will the plan be published? <script>alert(1)</script>";
/// The send hour of the subscription (the default, 08:00 UTC).
const SEND_HOUR: u32 = 8;

// ---------------------------------------------------------------------------
// The SMTP server process

/// Whether the SMTP server can run here. In CI it must: a missing python3 or
/// aiosmtpd fails the test there; elsewhere the test is skipped with a note.
fn smtp_available() -> bool {
    let probe = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let missing = match probe {
        Ok(status) if status.success() => return true,
        Ok(_) => {
            "python3 cannot import aiosmtpd (install it: python3 -m pip install 'aiosmtpd==1.4.6')"
                .to_owned()
        }
        Err(err) => format!("python3 cannot be run ({err})"),
    };
    assert!(
        std::env::var_os("CI").is_none(),
        "{missing}: the digest tests need the real SMTP server of tests/smtp/smtp_server.py and may not be skipped in CI"
    );
    eprintln!("note: {missing}; skipping this digest test");
    false
}

/// `tests/smtp/smtp_server.py` as a child process, killed when dropped.
struct Smtp {
    child: Child,
    port: u16,
    received: PathBuf,
    stderr: PathBuf,
}

impl Smtp {
    /// Starts the server on a free port, saving messages under
    /// `dir/received`, and waits until it says it listens.
    fn start(dir: &Path, extra: &[&str]) -> Self {
        let received = dir.join("received");
        let stderr = dir.join("smtp.stderr");
        let mut child = Command::new("python3")
            .arg(SMTP_SCRIPT)
            .args(["--port", "0", "--dir"])
            .arg(&received)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).expect("create the SMTP server's stderr file"))
            .spawn()
            .expect("start python3 tests/smtp/smtp_server.py");
        let stdout = child.stdout.take();
        // Killed on drop from here on, whatever goes wrong.
        let mut server = Self {
            child,
            port: 0,
            received,
            stderr,
        };
        let stdout = stdout.expect("the SMTP server's piped stdout");
        let (send, receive) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
            let _ = send.send(read);
        });
        let line = match receive.recv_timeout(StdDuration::from_secs(30)) {
            Ok(Ok(line)) => line,
            Ok(Err(err)) => panic!(
                "reading the SMTP server's stdout: {err}; stderr: {}",
                server.stderr()
            ),
            Err(_) => panic!(
                "the SMTP server did not start within 30 s; stderr: {}",
                server.stderr()
            ),
        };
        server.port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "the SMTP server printed {line:?}, not `listening on PORT`; stderr: {}",
                    server.stderr()
                )
            });
        server
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages accepted so far, in the order they arrived.
    fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.received) else {
            return Vec::new();
        };
        let mut numbered: Vec<(u64, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let path = entry.path();
                let number = path
                    .file_name()?
                    .to_str()?
                    .strip_suffix(".eml")?
                    .parse()
                    .ok()?;
                Some((number, path))
            })
            .collect();
        numbered.sort();
        numbered
            .into_iter()
            .map(|(_, path)| std::fs::read_to_string(path).expect("a received message is text"))
            .collect()
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------
// Reading a message as a mail client would

/// A received message, parsed by a MIME library as a mail client would.
struct Mail {
    raw: String,
    message: mail_parser::Message<'static>,
}

impl Mail {
    fn parse(raw: &str) -> Self {
        let message = mail_parser::MessageParser::default()
            .parse(raw.as_bytes())
            .unwrap_or_else(|| panic!("not a message:\n{raw}"))
            .into_owned();
        Self {
            raw: raw.to_owned(),
            message,
        }
    }

    /// The one value of a header field (decoded), failing when it is absent
    /// or repeated.
    fn header(&self, name: &str) -> String {
        let count = self
            .message
            .headers()
            .iter()
            .filter(|header| header.name().eq_ignore_ascii_case(name))
            .count();
        assert_eq!(count, 1, "expected one {name} header in:\n{}", self.raw);
        if name.eq_ignore_ascii_case("Subject") {
            return self.message.subject().unwrap_or_default().to_owned();
        }
        self.message
            .header_raw(name)
            .unwrap_or_default()
            .trim()
            .to_owned()
    }

    fn content_type(&self) -> String {
        let content_type = self
            .message
            .content_type()
            .unwrap_or_else(|| panic!("no Content-Type in:\n{}", self.raw));
        format!(
            "{}/{}",
            content_type.ctype(),
            content_type.subtype().unwrap_or_default()
        )
    }

    /// The decoded text of the one part of this MIME type.
    fn part(&self, mime: &str) -> &str {
        let found: Vec<&str> = self
            .message
            .parts
            .iter()
            .filter(|part| {
                part.content_type().is_some_and(|kind| {
                    format!("{}/{}", kind.ctype(), kind.subtype().unwrap_or_default())
                        .eq_ignore_ascii_case(mime)
                })
            })
            .filter_map(|part| part.text_contents())
            .collect();
        assert_eq!(found.len(), 1, "expected one {mime} part in:\n{}", self.raw);
        found[0]
    }

    /// Everything a reader could see: raw, with the subject and parts decoded.
    fn everything(&self) -> String {
        let mut all = self.raw.clone();
        all.push('\n');
        all.push_str(self.message.subject().unwrap_or_default());
        for part in &self.message.parts {
            if let Some(text) = part.text_contents() {
                all.push('\n');
                all.push_str(text);
            }
        }
        all
    }
}

/// The first link starting with `prefix` in `text`, up to where a URL ends.
fn link_starting(text: &str, prefix: &str) -> Option<String> {
    let start = text.find(prefix)?;
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && !"\"'<>()[]".contains(*c))
        .collect();
    Some(link)
}

// ---------------------------------------------------------------------------
// The service, the command line and time

/// `ogp-pulse --database-url sqlite://DIR/x.db ARGS…`, with no mail setting
/// inherited from the environment.
fn ogp(dir: &Path, args: &[&str]) -> Finished {
    let mut command = ogp_pulse(dir);
    command
        .env_remove("SMTP_URL")
        .env_remove("PUBLIC_URL")
        .args(["--database-url", &sqlite_url(dir)])
        .args(args);
    run(command, dir, None)
}

fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `digest run` at `now`, delivering through `smtp`.
fn digest_run(dir: &Path, now: DateTime<Utc>, smtp: &Smtp) -> Finished {
    let now = rfc3339(now);
    let url = smtp.url();
    ogp(
        dir,
        &[
            "digest",
            "run",
            "--now",
            &now,
            "--smtp-url",
            &url,
            "--public-url",
            PUBLIC_URL,
        ],
    )
}

/// `digest run --dry-run` at `now`: what would be composed.
fn digest_dry_run(dir: &Path, now: DateTime<Utc>) -> Finished {
    let now = rfc3339(now);
    ogp(
        dir,
        &[
            "digest",
            "run",
            "--now",
            &now,
            "--dry-run",
            "--public-url",
            PUBLIC_URL,
        ],
    )
}

fn assert_exit(finished: &Finished, code: i32, what: &str) {
    assert_eq!(
        finished.status.code(),
        Some(code),
        "{what}: expected exit code {code}\nstdout: {}\nstderr: {}",
        finished.stdout,
        finished.stderr
    );
    assert!(
        !finished.stderr.contains("panicked"),
        "{what}: the binary panicked: {}",
        finished.stderr
    );
}

/// The first Monday at the send hour (UTC) strictly after `after`.
fn next_monday_send(after: DateTime<Utc>) -> DateTime<Utc> {
    let date = after.date_naive();
    let to_monday = (7 - date.weekday().num_days_from_monday()) % 7;
    let send_time = NaiveTime::from_hms_opt(SEND_HOUR, 0, 0).expect("a valid hour");
    let monday = (date + Duration::days(i64::from(to_monday)))
        .and_time(send_time)
        .and_utc();
    if monday > after {
        monday
    } else {
        monday + Duration::days(7)
    }
}

/// The digest period key of a WEEKLY subscription in UTC at `time`.
fn week_key(time: DateTime<Utc>) -> String {
    let week = time.iso_week();
    format!("week-{}-W{:02}", week.year(), week.week())
}

/// Every row of the outbox of the database in `dir`, read through the library.
fn outbox(dir: &Path) -> Vec<mail_outbox::Model> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime to read the database");
    runtime.block_on(async {
        let db = ogp_pulse::db::Database::connect(&sqlite_url(dir))
            .await
            .expect("open the SQLite file");
        let rows = mail_outbox::Entity::find()
            .all(&db.conn)
            .await
            .expect("read the outbox");
        let _ = db.conn.close().await;
        rows
    })
}

/// POSTs an `application/x-www-form-urlencoded` body: the status, the head
/// and the body of the answer.
fn post_form(port: u16, path: &str, body: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to serve");
    stream
        .set_read_timeout(Some(StdDuration::from_secs(20)))
        .expect("a read timeout");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .expect("send the request");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .expect("read the response");
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers: {response:?}"));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status: {response:?}"));
    (status, head.to_owned(), body.to_owned())
}

const SUBSCRIBE: &str = "mutation($input: SubscribeToDigestInput!) { subscribeToDigest(input: $input) { status frequency sendHour timeZone focalPoint { key } } }";
const SUBSCRIPTIONS: &str =
    "{ digestSubscriptions { status frequency confirmedAt focalPoint { key } } }";
const SUBMIT: &str = "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { status feedback { id } } }";
const UPDATE_MILESTONE: &str =
    "mutation($input: UpdateMilestoneInput!) { updateMilestone(input: $input) { endDate } }";

/// The one digest subscription the focal point's account sees.
fn subscription(port: u16, focal: &str) -> Value {
    let (status, answer) = graphql(port, Some(focal), SUBSCRIPTIONS, json!({}));
    assert_eq!(status, 200, "{answer}");
    assert!(answer.get("errors").is_none(), "{answer}");
    let all = answer["data"]["digestSubscriptions"]
        .as_array()
        .unwrap_or_else(|| panic!("no digestSubscriptions: {answer}"));
    assert_eq!(all.len(), 1, "{answer}");
    all[0].clone()
}

/// A database holding the bundled catalogue whose focal point of MO0018 is
/// subscribed to a WEEKLY digest (confirmed), with one citizen's comment
/// since: what the tests start from. No service runs any more.
struct Subscribed {
    dir: tempfile::TempDir,
    focal: String,
    confirmed_at: DateTime<Utc>,
    /// A moment the first digest is due: a Monday after the send hour.
    due: DateTime<Utc>,
}

impl Subscribed {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path();
        ogp(path, &["migrate"]).assert_success("migrate");
        ogp(path, &["import", BUNDLED]).assert_success("import");
        let admin = add_staff(path, "admin@example.org", &["admin"]);
        let focal = add_staff(path, "amal@example.org", &["focal-point"]);
        let outbox_dir = path.join("outbox");
        let outbox_arg = outbox_dir.to_str().expect("a UTF-8 path").to_owned();
        let (server, port) = serve(
            path,
            &["--public-url", PUBLIC_URL, "--mail-outbox-dir", &outbox_arg],
        );
        let ok = |token: Option<&str>, query: &str, variables: Value| {
            let (status, answer) = graphql(port, token, query, variables);
            assert_eq!(status, 200, "{answer}");
            assert!(answer.get("errors").is_none(), "{answer}");
            answer["data"].clone()
        };

        let mo18 = ok(
            None,
            r#"{ commitment(code: "MO0018") { id focalPoints { id key email } milestones { id } } }"#,
            json!({}),
        )["commitment"]
            .clone();
        assert_eq!(mo18["focalPoints"][0]["key"], "amal-alami", "{mo18}");
        assert_eq!(mo18["focalPoints"][0]["email"], FOCAL_EMAIL, "{mo18}");
        let focal_point = mo18["focalPoints"][0]["id"].clone();

        let subscribed = ok(
            Some(&focal),
            SUBSCRIBE,
            json!({ "input": { "focalPointId": focal_point, "frequency": "WEEKLY" } }),
        );
        assert_eq!(
            subscribed["subscribeToDigest"],
            json!({ "status": "PENDING_CONFIRMATION", "frequency": "WEEKLY", "sendHour": SEND_HOUR,
                    "timeZone": "UTC", "focalPoint": { "key": "amal-alami" } })
        );

        // The service delivers the confirmation request to its outbox
        // folder; every row must be delivered before the service stops, so
        // that `digest run` later finds nothing left over to send.
        let deadline = Instant::now() + StdDuration::from_secs(30);
        loop {
            let rows = outbox(path);
            let delivered = rows
                .iter()
                .any(|row| row.dedupe_key.starts_with("digest-confirm:"))
                && rows.iter().all(|row| row.status == "sent");
            if delivered {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the confirmation request was not delivered within 30 s: {:?}",
                rows.iter()
                    .map(|row| (row.dedupe_key.as_str(), row.status.as_str()))
                    .collect::<Vec<_>>()
            );
            std::thread::sleep(StdDuration::from_millis(200));
        }
        let files: Vec<Mail> = std::fs::read_dir(&outbox_dir)
            .expect("the outbox folder")
            .filter_map(Result::ok)
            .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "eml"))
            .map(|entry| {
                Mail::parse(&std::fs::read_to_string(entry.path()).expect("a readable .eml"))
            })
            .collect();
        assert_eq!(files.len(), 1, "one confirmation request");
        let request = &files[0];
        assert!(
            request.header("To").contains(FOCAL_EMAIL),
            "{}",
            request.raw
        );
        let confirm_prefix = format!("{PUBLIC_URL}/digest/confirm?token=");
        let link = link_starting(request.part("text/plain"), &confirm_prefix)
            .unwrap_or_else(|| panic!("no {confirm_prefix} link in:\n{}", request.raw));
        let token = link[confirm_prefix.len()..].to_owned();
        assert!(!token.is_empty(), "an empty token: {link}");

        // Opening the link changes nothing; the form's POST confirms.
        let (status, page) = http(
            port,
            "GET",
            &format!("/digest/confirm?token={token}"),
            &[],
            None,
        )
        .expect("GET /digest/confirm");
        assert_eq!(status, 200, "{page}");
        assert!(page.to_ascii_lowercase().contains("<form"), "{page}");
        assert_eq!(subscription(port, &focal)["status"], "PENDING_CONFIRMATION");
        for attempt in ["confirm", "confirm again"] {
            let (status, head, body) =
                post_form(port, "/digest/confirm", &format!("token={token}"));
            assert_eq!(status, 200, "{attempt}: {head}\n{body}");
        }
        let confirmed = subscription(port, &focal);
        assert_eq!(confirmed["status"], "ACTIVE", "{confirmed}");
        let confirmed_at = confirmed["confirmedAt"]
            .as_str()
            .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
            .unwrap_or_else(|| panic!("no confirmedAt: {confirmed}"))
            .with_timezone(&Utc);

        // A citizen comments after the confirmation, leaving an address.
        let submitted = ok(
            None,
            SUBMIT,
            json!({ "input": { "commitmentId": mo18["id"], "kind": "QUESTION", "body": FEEDBACK_BODY,
                               "authorName": "Fatima", "authorEmail": PLANTED_EMAIL } }),
        );
        assert_eq!(
            submitted["submitFeedback"]["status"], "PUBLISHED",
            "{submitted}"
        );

        // The first digest is due on the Monday after the confirmation (at
        // least ten minutes ahead, so the clock cannot overtake it).
        let due = next_monday_send(confirmed_at.max(Utc::now() + Duration::minutes(10)))
            + Duration::minutes(5);

        // A milestone ending three days after the first digest becomes
        // overdue during the second week: something new to report then.
        let end = (due + Duration::days(3)).format("%Y-%m-%d").to_string();
        let updated = ok(
            Some(&admin),
            UPDATE_MILESTONE,
            json!({ "input": { "id": mo18["milestones"][0]["id"], "endDate": end } }),
        );
        assert_eq!(updated["updateMilestone"]["endDate"], end.as_str());
        drop(server);
        Self {
            dir,
            focal,
            confirmed_at,
            due,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The subject the first digest must have.
    fn first_subject(&self) -> String {
        format!(
            "MO0018: 1 new comment, 1 awaiting your response — week of {}",
            self.confirmed_at.format("%-d %b %Y")
        )
    }

    /// The digest rows of the outbox.
    fn digest_rows(&self) -> Vec<mail_outbox::Model> {
        outbox(self.path())
            .into_iter()
            .filter(|row| row.dedupe_key.starts_with("digest:"))
            .collect()
    }
}

/// Checks the one digest `raw` as a mail client would read it; returns its
/// unsubscribe address.
fn check_digest(setup: &Subscribed, raw: &str) -> String {
    let mail = Mail::parse(raw);
    assert!(mail.header("To").contains(FOCAL_EMAIL), "{raw}");
    assert_eq!(mail.header("Subject"), setup.first_subject(), "{raw}");
    let message_id = mail.header("Message-ID");
    assert!(
        message_id.starts_with("<digest.") && message_id.contains(&week_key(setup.due)),
        "Message-ID {message_id}"
    );

    let content_type = mail.content_type();
    assert!(
        content_type
            .to_ascii_lowercase()
            .starts_with("multipart/alternative"),
        "{content_type}"
    );
    let text = mail.part("text/plain");
    let html = mail.part("text/html");

    let list_unsubscribe = mail.header("List-Unsubscribe");
    let unsubscribe_prefix = format!("{PUBLIC_URL}/unsubscribe?token=");
    assert!(
        list_unsubscribe.starts_with(&format!("<{unsubscribe_prefix}"))
            && list_unsubscribe.ends_with('>'),
        "List-Unsubscribe: {list_unsubscribe}"
    );
    assert_eq!(
        mail.header("List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    let unsubscribe = list_unsubscribe
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned();
    assert!(
        unsubscribe.len() > unsubscribe_prefix.len(),
        "no token: {unsubscribe}"
    );

    // Links to the commitment and its comment; the unsubscribe link in the
    // footer of both parts.
    for (name, body) in [("text", text), ("html", html)] {
        assert!(
            body.contains(&format!("{PUBLIC_URL}/commitments/MO0018#feedback-")),
            "no link to the comment in the {name} part:\n{body}"
        );
        assert!(
            body.contains(&unsubscribe_prefix),
            "no unsubscribe link in the {name} part:\n{body}"
        );
        assert!(body.contains("New feedback"), "{name}:\n{body}");
        assert!(body.contains("Awaiting your response"), "{name}:\n{body}");
        assert!(
            body.contains("When will the plan be published?"),
            "{name}:\n{body}"
        );
    }
    assert!(
        html.contains(&format!("href=\"{PUBLIC_URL}/commitments/MO0018")),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;"),
        "user text escaped:\n{html}"
    );
    assert!(!html.contains("<script>"), "user text escaped:\n{html}");

    let everything = mail.everything().to_ascii_lowercase();
    assert!(
        !everything.contains(PLANTED_EMAIL),
        "the commenter's address is in the digest:\n{raw}"
    );
    assert!(!everything.contains("planted.commenter"), "{raw}");
    unsubscribe
}

// ---------------------------------------------------------------------------
// The tests

#[test]
fn digest_run_mails_a_weekly_digest_once_over_smtp() {
    if !smtp_available() {
        return;
    }
    let setup = Subscribed::new();
    let dir = setup.path();
    let smtp = Smtp::start(dir, &[]);

    let first = digest_run(dir, setup.due, &smtp);
    assert_exit(&first, 0, "digest run");
    let received = smtp.messages();
    assert_eq!(
        received.len(),
        1,
        "one digest; SMTP server: {}",
        smtp.stderr()
    );
    check_digest(&setup, &received[0]);

    let rows = setup.digest_rows();
    assert_eq!(rows.len(), 1, "one digest row");
    let row = &rows[0];
    assert!(
        row.dedupe_key
            .ends_with(&format!(":{}", week_key(setup.due))),
        "{}",
        row.dedupe_key
    );
    assert_eq!((row.status.as_str(), row.attempts), ("sent", 1));
    assert_eq!(row.recipient, "", "the address is forgotten once sent");
    assert!(
        row.list_unsubscribe
            .as_deref()
            .unwrap_or_default()
            .is_empty(),
        "the unsubscribe address is cleared once sent: {:?}",
        row.list_unsubscribe
    );

    // The same moment again: nothing new is composed or delivered.
    let again = digest_run(dir, setup.due, &smtp);
    assert_exit(&again, 0, "digest run again");
    assert_eq!(smtp.messages().len(), 1, "still one message");
    assert_eq!(setup.digest_rows().len(), 1);
}

#[test]
fn digest_run_retries_a_deferred_digest_until_one_delivery() {
    if !smtp_available() {
        return;
    }
    let setup = Subscribed::new();
    let dir = setup.path();
    let smtp = Smtp::start(dir, &["--fail-first", "2"]);
    let due = setup.due;

    // 451 at the first attempt: deferred, exit code 1.
    let first = digest_run(dir, due, &smtp);
    assert_exit(&first, 1, "digest run answered 451");
    assert!(smtp.messages().is_empty());
    // The first retry comes after about a minute (48 to 72 s): 451 again.
    let second = digest_run(dir, due + Duration::minutes(2), &smtp);
    assert_exit(&second, 1, "digest run answered 451 a second time");
    assert!(smtp.messages().is_empty());
    // The second retry comes about two minutes later (at most 144 s): accepted.
    let third = digest_run(dir, due + Duration::minutes(10), &smtp);
    assert_exit(&third, 0, "digest run accepted");
    let received = smtp.messages();
    assert_eq!(received.len(), 1, "SMTP server: {}", smtp.stderr());
    check_digest(&setup, &received[0]);

    let rows = setup.digest_rows();
    assert_eq!(rows.len(), 1, "composed once");
    assert_eq!((rows[0].status.as_str(), rows[0].attempts), ("sent", 3));

    for later in [Duration::minutes(10), Duration::hours(1)] {
        let run = digest_run(dir, due + later, &smtp);
        assert_exit(&run, 0, "digest run after the delivery");
        assert_eq!(smtp.messages().len(), 1, "delivered once");
    }
}

#[test]
fn the_unsubscribe_link_of_a_digest_stops_the_next_ones() {
    if !smtp_available() {
        return;
    }
    let setup = Subscribed::new();
    let dir = setup.path();
    let smtp = Smtp::start(dir, &[]);
    let first = digest_run(dir, setup.due, &smtp);
    assert_exit(&first, 0, "digest run");
    let received = smtp.messages();
    assert_eq!(received.len(), 1, "SMTP server: {}", smtp.stderr());
    let unsubscribe = check_digest(&setup, &received[0]);
    let path = unsubscribe
        .strip_prefix(PUBLIC_URL)
        .unwrap_or_else(|| panic!("not under {PUBLIC_URL}: {unsubscribe}"))
        .to_owned();

    // A week later a milestone has become overdue: a digest would be due.
    let next_week = setup.due + Duration::days(7);
    let control = digest_dry_run(dir, next_week);
    assert_exit(&control, 0, "digest run --dry-run a week later");
    assert!(
        control.stdout.contains("MO0018:"),
        "without unsubscribing, a digest is due a week later: {}",
        control.stdout
    );

    let (server, port) = serve(dir, &["--public-url", PUBLIC_URL]);
    let (status, page) = http(port, "GET", &path, &[], None).expect("GET the unsubscribe link");
    assert_eq!(status, 200, "{page}");
    assert!(page.to_ascii_lowercase().contains("<form"), "{page}");
    assert_eq!(
        subscription(port, &setup.focal)["status"],
        "ACTIVE",
        "opening the link changes nothing"
    );
    // One click, as a mail client does it (RFC 8058): no login, no redirect;
    // a second click is answered the same.
    for click in ["one click", "a second click"] {
        let (status, head, body) = post_form(port, &path, "List-Unsubscribe=One-Click");
        assert_eq!(status, 200, "{click}: {head}\n{body}");
    }
    assert_eq!(subscription(port, &setup.focal)["status"], "UNSUBSCRIBED");
    drop(server);

    let dry = digest_dry_run(dir, next_week);
    assert_exit(&dry, 0, "digest run --dry-run after unsubscribing");
    assert!(!dry.stdout.contains("MO0018:"), "{}", dry.stdout);
    let later = digest_run(dir, next_week, &smtp);
    assert_exit(&later, 0, "digest run a week later");
    assert_eq!(smtp.messages().len(), 1, "nothing after unsubscribing");
    assert_eq!(setup.digest_rows().len(), 1, "no digest composed");
}
