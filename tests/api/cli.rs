//! The real `ogp-pulse` binary, on SQLite files in temporary directories.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    time::Duration,
};

use serde_json::json;

use crate::{
    process::{Running, graphql, http, ogp_pulse, run, serve, sqlite_url},
    support::{bundled_json, mo0018},
};

fn bundled_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/morocco-2018-2020.json")
}

#[test]
fn export_schema_prints_the_committed_schema() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut command = ogp_pulse(dir.path());
    command.arg("export-schema");
    let finished = run(command, dir.path(), None);
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
    let finished = run(command, dir.path(), None);
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
        run(command, dir.path(), None)
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
    let finished = run(command, dir.path(), None);
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
    let finished = run(command, dir.path(), None);
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
    let finished = run(command, dir.path(), None);
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
    let finished = run(command, dir.path(), None);
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
    let finished = run(command, dir.path(), None);
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
fn a_pool_of_no_connections_is_refused_before_serving() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut command = ogp_pulse(dir.path());
    command.args([
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--database-url",
        &sqlite_url(dir.path()),
        "--database-pool-size",
        "0",
    ]);
    let finished = run(command, dir.path(), None);
    // 2: a usage error, as for every flag given a value it does not take.
    assert_eq!(finished.status.code(), Some(2), "{}", finished.stderr);
    assert!(
        finished.stderr.contains("--database-pool-size") && finished.stderr.contains("1..=1000"),
        "{}",
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

#[test]
fn serve_answers_graphql_and_graphiql() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (running, port) = serve(dir.path(), &[]);

    let (status, answer) = graphql(
        port,
        None,
        r#"{ commitment(code: "MO0018") { milestones { title } } }"#,
        json!({}),
    );
    assert_eq!(status, 200, "{answer}");
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

    let (status, page) = http(port, "GET", "/", &[], None).expect("GET /");
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
    let (status, answer) = graphql(port, None, "{ commitments { totalCount } }", json!({}));
    assert_eq!(status, 200, "{answer}");
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
    let finished = run(command, dir.path(), None);
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
    let finished = run(command, dir.path(), None);
    finished.assert_clean_failure();
    assert!(
        finished.stderr.contains("cannot open database"),
        "{}",
        finished.stderr
    );
}
