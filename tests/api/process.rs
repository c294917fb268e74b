//! The real `ogp-pulse` binary as a child process, and plain HTTP to it:
//! helpers shared by the tests that run commands and serve a SQLite file in
//! a temporary directory (`cli` and the `staff` commands).

use std::{
    fs::File,
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    thread::sleep,
    time::{Duration, Instant},
};

use serde_json::{Value, json};

/// The binary with none of its settings inherited from the environment,
/// run in `dir` (so a default SQLite file could never land in the repository).
pub fn ogp_pulse(dir: &Path) -> Command {
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

pub fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}/x.db", dir.display())
}

/// What a finished command printed.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    pub fn assert_success(&self, what: &str) {
        assert!(
            self.status.success(),
            "{what} failed ({}): {}",
            self.status,
            self.stderr
        );
    }

    pub fn assert_clean_failure(&self) {
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
pub struct Running {
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Running {
    pub fn spawn(mut command: Command, dir: &Path, name: &str) -> Self {
        let stdout = dir.join(format!("{name}.stdout"));
        let stderr = dir.join(format!("{name}.stderr"));
        command
            .stdout(File::create(&stdout).expect("create a stdout file"))
            .stderr(File::create(&stderr).expect("create a stderr file"));
        let child = command.spawn().expect("start ogp-pulse");
        Self {
            child,
            stdout,
            stderr,
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Waits for the child to exit, at most `timeout`.
    pub fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
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

/// Runs a command to its end (at most two minutes), with `input` on its
/// standard input.
pub fn run(mut command: Command, dir: &Path, input: Option<&str>) -> Finished {
    if input.is_some() {
        command.stdin(Stdio::piped());
    }
    let mut running = Running::spawn(command, dir, "run");
    if let Some(input) = input {
        let mut stdin = running.child.stdin.take().expect("a piped stdin");
        stdin
            .write_all(input.as_bytes())
            .expect("write to the child's stdin");
        drop(stdin);
    }
    let Some(status) = running.wait(Duration::from_secs(120)) else {
        panic!(
            "ogp-pulse did not finish within 2 minutes; stderr: {}",
            running.stderr()
        );
    };
    Finished {
        status,
        stdout: std::fs::read_to_string(&running.stdout).expect("read stdout"),
        stderr: running.stderr(),
    }
}

/// An HTTP/1.1 exchange over a plain socket: the status and the body.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    stream.set_write_timeout(Some(Duration::from_secs(20)))?;
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
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

/// Starts `serve` on the database in `dir`, with `extra` arguments, and
/// waits until `/health` answers 200.
pub fn serve(dir: &Path, extra: &[&str]) -> (Running, u16) {
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
        match http(port, "GET", "/health", &[], None) {
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

/// POSTs a GraphQL query, with a bearer token when given: the status and
/// the JSON answer.
pub fn graphql(port: u16, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
    let authorization = token.map(|token| format!("Bearer {token}"));
    let headers: Vec<(&str, &str)> = authorization
        .iter()
        .map(|value| ("Authorization", value.as_str()))
        .collect();
    let (status, body) = http(
        port,
        "POST",
        "/graphql",
        &headers,
        Some(&json!({ "query": query, "variables": variables })),
    )
    .expect("POST /graphql");
    let answer =
        serde_json::from_str(&body).unwrap_or_else(|err| panic!("not JSON ({err}): {body}"));
    (status, answer)
}
