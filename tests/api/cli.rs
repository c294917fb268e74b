//! The real `ogp-pulse` binary, on SQLite files in temporary directories.

use std::{
    fs::File,
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    thread::sleep,
    time::{Duration, Instant},
};

use serde_json::{json, Value};

use crate::support::{bundled_json, mo0018};

/// The binary with none of its settings inherited from the environment,
/// run in `dir` (so a default SQLite file could never land in the repository).
fn ogp_pulse(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ogp-pulse"));
    for (name, _) in std::env::vars_os() {
        let inherited = name.to_str().is_some_and(|name| {
            name == "DATABASE_URL" || name == "RUST_LOG" || name.starts_with("OGP_PULSE_")
        });
        if inherited {
            command.env_remove(name);
        }
    }
    command.current_dir(dir).stdin(Stdio::null());
    command
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}/x.db", dir.display())
}

/// What a finished command printed.
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Finished {
    fn assert_clean_failure(&self) {
        assert_eq!(
            self.status.code(),
            Some(1),
            "expected exit code 1; stderr: {}",
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "the binary panicked: {}",
            self.stderr
        );
    }
}

/// Kills and reaps the child when dropped, whatever happened in the test.
struct Running {
    child: Child,
    stderr: PathBuf,
}

impl Running {
    fn spawn(mut command: Command, dir: &Path, name: &str) -> Self {
        let stdout = dir.join(format!("{name}.stdout"));
        let stderr = dir.join(format!("{name}.stderr"));
        command
            .stdout(File::create(&stdout).expect("create a stdout file"))
            .stderr(File::create(&stderr).expect("create a stderr file"));
        let child = command.spawn().expect("start ogp-pulse");
        Self { child, stderr }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Waits for the child to exit, at most `timeout`.
    fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the child") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command to its end (at most two minutes).
fn run(command: Command, dir: &Path) -> Finished {
    let mut running = Running::spawn(command, dir, "run");
    let Some(status) = running.wait(Duration::from_secs(120)) else {
        panic!(
            "ogp-pulse did not finish within 2 minutes; stderr: {}",
            running.stderr()
        );
    };
    Finished {
        status,
        stdout: std::fs::read_to_string(dir.join("run.stdout")).expect("read stdout"),
        stderr: running.stderr(),
    }
}

fn bundled_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/morocco-2018-2020.json")
}

#[test]
fn export_schema_prints_the_committed_schema() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut command = ogp_pulse(dir.path());
    command.arg("export-schema");
    let finished = run(command, dir.path());
    assert!(finished.status.success(), "{}", finished.stderr);
    let committed =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql"))
            .expect("read schema.graphql");
    if finished.stdout != committed {
        let diff = similar::TextDiff::from_lines(committed.as_str(), finished.stdout.as_str());
        panic!(
            "schema.graphql is stale: run `ogp-pulse export-schema > schema.graphql`\n{}",
            diff.unified_diff()
                .header("schema.graphql", "export-schema")
        );
    }
}

#[tokio::test]
async fn migrate_then_import_twice() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = sqlite_url(dir.path());

    let mut command = ogp_pulse(dir.path());
    command.args(["migrate", "--database-url", &url]);
    let finished = run(command, dir.path());
    assert!(
        finished.status.success(),
        "migrate failed: {}",
        finished.stderr
    );
    assert!(
        dir.path().join("x.db").is_file(),
        "migrate did not create the SQLite file"
    );

    // The same database, named through the environment this time.
    let import = || {
        let mut command = ogp_pulse(dir.path());
        command
            .env("DATABASE_URL", &url)
            .arg("import")
            .arg(bundled_file());
        run(command, dir.path())
    };
    let first = import();
    assert!(first.status.success(), "import failed: {}", first.stderr);
    assert!(
        first.stdout.lines().any(|line| line.contains("imported")),
        "no \"imported\" line: {}",
        first.stdout
    );
    assert!(
        !first.stdout.contains("already up to date"),
        "{}",
        first.stdout
    );

    let second = import();
    assert!(
        second.status.success(),
        "second import failed: {}",
        second.stderr
    );
    assert!(
        second.stdout.contains("already up to date"),
        "{}",
        second.stdout
    );
    assert!(
        second
            .stdout
            .contains("0 rows inserted, 0 updated, 0 deleted"),
        "{}",
        second.stdout
    );

    let db = ogp_pulse::db::Database::connect(&url)
        .await
        .expect("open the imported file");
    let commitments = sea_orm::PaginatorTrait::count(
        <entity::commitment::Entity as sea_orm::EntityTrait>::find(),
        &db.conn,
    )
    .await
    .expect("count commitments");
    assert_eq!(commitments, 24);
}

#[test]
fn import_of_a_bad_file_names_record_and_field() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = sqlite_url(dir.path());
    let mut catalog = bundled_json();
    mo0018(&mut catalog)["status"] = json!("paused");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, catalog.to_string()).expect("write the bad file");

    let mut command = ogp_pulse(dir.path());
    command.args(["--database-url", &url, "import"]).arg(&bad);
    let finished = run(command, dir.path());
    finished.assert_clean_failure();
    assert!(
        finished
            .stderr
            .contains("actionPlans[morocco-2018-2020].commitments[MO0018].status"),
        "{}",
        finished.stderr
    );
    assert!(finished.stderr.contains("paused"), "{}", finished.stderr);
    assert!(
        finished.stderr.contains("nothing was imported"),
        "{}",
        finished.stderr
    );
    assert!(!finished.stdout.contains("imported"), "{}", finished.stdout);

    let not_json = dir.path().join("not.json");
    std::fs::write(&not_json, "{ \"format\": ").expect("write the truncated file");
    let mut command = ogp_pulse(dir.path());
    command
        .args(["--database-url", &url, "import"])
        .arg(&not_json);
    let finished = run(command, dir.path());
    finished.assert_clean_failure();
    assert!(
        finished.stderr.contains("not a catalogue file"),
        "{}",
        finished.stderr
    );

    let mut command = ogp_pulse(dir.path());
    command
        .args(["--database-url", &url, "import"])
        .arg(dir.path().join("missing.json"));
    let finished = run(command, dir.path());
    finished.assert_clean_failure();
    assert!(
        finished.stderr.contains("cannot read"),
        "{}",
        finished.stderr
    );
    assert!(
        finished.stderr.contains("missing.json"),
        "{}",
        finished.stderr
    );
}

#[test]
fn an_unsupported_database_url_is_one_clear_line() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut command = ogp_pulse(dir.path());
    command.args(["--database-url", "mysql://x", "migrate"]);
    let finished = run(command, dir.path());
    finished.assert_clean_failure();
    let lines: Vec<&str> = finished.stderr.trim().lines().collect();
    assert_eq!(lines.len(), 1, "expected one line: {}", finished.stderr);
    assert!(
        lines[0].contains("unsupported database URL"),
        "{}",
        finished.stderr
    );
    assert!(lines[0].contains("mysql://x"), "{}", finished.stderr);

    // A password in the URL is not repeated back.
    let mut command = ogp_pulse(dir.path());
    command
        .env("DATABASE_URL", "mysql://pulse:s3cret@db/ogp")
        .arg("migrate");
    let finished = run(command, dir.path());
    finished.assert_clean_failure();
    assert!(
        finished.stderr.contains("unsupported database URL"),
        "{}",
        finished.stderr
    );
    assert!(
        !finished.stderr.contains("s3cret"),
        "the password was shown: {}",
        finished.stderr
    );
}

#[test]
fn serve_on_a_port_in_use_fails_cleanly() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let port = taken.local_addr().expect("local address").port();

    let mut command = ogp_pulse(dir.path());
    command.args([
        "serve",
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--database-url",
        &sqlite_url(dir.path()),
    ]);
    let mut running = Running::spawn(command, dir.path(), "serve");
    let Some(status) = running.wait(Duration::from_secs(30)) else {
        panic!(
            "serve kept running on a port in use; stderr: {}",
            running.stderr()
        );
    };
    let stderr = running.stderr();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot listen"), "{stderr}");
    assert!(stderr.contains(&port.to_string()), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    drop(taken);
}

/// An HTTP/1.1 exchange over a plain socket: the status and the body.
fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    stream.set_write_timeout(Some(Duration::from_secs(20)))?;
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    let body = body.map(Value::to_string).unwrap_or_default();
    if !body.is_empty() {
        request.push_str("Content-Type: application/json\r\n");
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let response = String::from_utf8_lossy(&response).into_owned();
    let invalid = |what: &str| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{what}: {response:?}"),
        )
    };
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| invalid("no end of headers"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid("no status"))?;
    let chunked = head
        .lines()
        .any(|line| line.to_ascii_lowercase().replace(' ', "") == "transfer-encoding:chunked");
    let body = if chunked {
        dechunk(body).ok_or_else(|| invalid("bad chunks"))?
    } else {
        body.to_owned()
    };
    Ok((status, body))
}

fn dechunk(mut rest: &str) -> Option<String> {
    let mut body = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n")?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(body);
        }
        body.push_str(after.get(..size)?);
        rest = after.get(size..)?.strip_prefix("\r\n")?;
    }
}

/// A port nothing listens on (bound, read, released).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    listener.local_addr().expect("local address").port()
}

/// Starts `serve` and waits until `/health` answers 200.
fn serve(dir: &Path, extra: &[&str]) -> (Running, u16) {
    let port = free_port();
    let mut command = ogp_pulse(dir);
    command
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            &sqlite_url(dir),
        ])
        .args(extra);
    let mut running = Running::spawn(command, dir, "serve");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = running.child.try_wait().expect("poll the server") {
            panic!("serve exited with {status}; stderr: {}", running.stderr());
        }
        match http(port, "GET", "/health", None) {
            Ok((200, _)) => return (running, port),
            Ok((status, body)) => assert!(
                Instant::now() < deadline,
                "/health answers {status}: {body}"
            ),
            Err(err) => assert!(
                Instant::now() < deadline,
                "/health did not answer within 60 s ({err}); stderr: {}",
                running.stderr()
            ),
        }
        sleep(Duration::from_millis(100));
    }
}

fn graphql(port: u16, query: &str) -> Value {
    let (status, body) =
        http(port, "POST", "/graphql", Some(&json!({ "query": query }))).expect("POST /graphql");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap_or_else(|err| panic!("not JSON ({err}): {body}"))
}

#[test]
fn serve_answers_graphql_and_graphiql() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (running, port) = serve(dir.path(), &[]);

    let answer = graphql(
        port,
        r#"{ commitment(code: "MO0018") { milestones { title } } }"#,
    );
    assert!(answer.get("errors").is_none(), "{answer}");
    assert!(
        answer
            .to_string()
            .contains("Implementation of the communication plan"),
        "{answer}"
    );
    assert_eq!(
        answer["data"]["commitment"]["milestones"]
            .as_array()
            .map(Vec::len),
        Some(3),
        "{answer}"
    );

    let (status, page) = http(port, "GET", "/", None).expect("GET /");
    assert_eq!(status, 200, "{page}");
    assert!(page.to_ascii_lowercase().contains("graphiql"), "{page}");
    assert!(
        page.contains("/graphql"),
        "GraphiQL does not point at the API: {page}"
    );
    drop(running);
}

#[test]
fn serve_empty_starts_without_commitments() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (running, port) = serve(dir.path(), &["--empty"]);
    let answer = graphql(port, "{ commitments { totalCount } }");
    assert!(answer.get("errors").is_none(), "{answer}");
    assert_eq!(answer["data"]["commitments"]["totalCount"], 0, "{answer}");
    drop(running);
}

#[test]
fn an_unreachable_database_is_one_clear_line_without_its_password() {
    let dir = tempfile::tempdir().expect("temporary directory");
    // Nothing listens on port 1: the connection is refused at once.
    let mut command = ogp_pulse(dir.path());
    command.args([
        "--database-url",
        "postgres://pulse:s3cret@127.0.0.1:1/ogp",
        "migrate",
    ]);
    let finished = run(command, dir.path());
    finished.assert_clean_failure();
    let lines: Vec<&str> = finished.stderr.trim().lines().collect();
    assert_eq!(lines.len(), 1, "expected one line: {}", finished.stderr);
    assert!(
        lines[0].contains("cannot open database postgres://pulse:***@127.0.0.1:1/ogp"),
        "{}",
        finished.stderr
    );
    assert!(!finished.stderr.contains("s3cret"), "{}", finished.stderr);

    // A SQLite file that cannot be created is just as clear.
    let mut command = ogp_pulse(dir.path());
    command.args([
        "--database-url",
        "sqlite:///nonexistent-dir/x.db",
        "migrate",
    ]);
    let finished = run(command, dir.path());
    finished.assert_clean_failure();
    assert!(
        finished.stderr.contains("cannot open database"),
        "{}",
        finished.stderr
    );
}
