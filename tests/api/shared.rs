//! Several instances sharing one database and one Redis behave as one
//! service: rate limits hold across them, live updates reach subscribers on
//! any of them; and Redis going away fails no request.

use std::{
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use futures_util::{SinkExt, StreamExt};
use ogp_pulse::{
    app::{AppState, routes},
    config::ApiArgs,
    import,
};
use poem::{Server, listener::TcpAcceptor};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

use crate::{
    live::next_message,
    process::graphql,
    support::{TestApp, TestDatabase, TestRedis, on_both_backends, redis_keys},
};

const SUBMIT: &str = "mutation($c: ID!, $body: String!) { submitFeedback(input: { commitmentId: $c, body: $body }) { status } }";

fn limits(per_minute: u32) -> ApiArgs {
    ApiArgs {
        feedback_per_minute: per_minute,
        feedback_per_hour: 100,
        visitor_salt: Some("one salt for every instance".to_owned()),
        ..ApiArgs::default()
    }
}

async fn submit(app: &TestApp, commitment: &str, visitor: &str, body: &str) -> Value {
    let request = json!({ "query": SUBMIT, "variables": { "c": commitment, "body": body } });
    app.post_json("/graphql", &request, &[("OGP-Visitor", visitor)])
        .await
        .body
}

/// The `extensions.code` of the first error, or "OK".
fn outcome(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("OK")
        .to_owned()
}

/// A `redis-server` of the test's own, on a free port, to stop and start.
struct OwnRedis {
    port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    fn free_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("address").port()
    }

    /// A server on a free port of its own.
    fn start() -> Self {
        for _ in 0..10 {
            if let Some(server) = Self::try_start_on(Self::free_port()) {
                return server;
            }
        }
        panic!("no redis-server could be started");
    }

    /// A server on `port` again (after `stop`).
    fn start_on(port: u16) -> Self {
        for _ in 0..20 {
            if let Some(server) = Self::try_start_on(port) {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start again on port {port}");
    }

    /// Starts a server on `port`; `None` when the port is taken (by another
    /// test's server: then the server answering is not this one).
    fn try_start_on(port: u16) -> Option<Self> {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs (Debian package redis-server)");
        let mut server = Self {
            port,
            child: Some(child),
        };
        for _ in 0..100 {
            let exited = server
                .child
                .as_mut()
                .is_none_or(|child| !matches!(child.try_wait(), Ok(None)));
            if exited {
                server.child = None;
                return None;
            }
            if redis::Client::open(server.url())
                .and_then(|c| c.get_connection())
                .is_ok()
            {
                // Still ours once answering: not a server of another test.
                std::thread::sleep(Duration::from_millis(20));
                if server
                    .child
                    .as_mut()
                    .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
                {
                    return Some(server);
                }
                server.child = None;
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Mixed reads and comments until `done`; answers the failed ones.
async fn load_worker(app: &TestApp, mo18: &str, n: usize, done: &AtomicBool) -> Vec<Value> {
    let mut failures = Vec::new();
    let mut i = 0;
    while !done.load(Ordering::Relaxed) {
        i += 1;
        let body = if i % 4 == 0 {
            submit(
                app,
                mo18,
                &format!("load-visitor-{n}"),
                &format!("load {n}/{i}"),
            )
            .await
        } else {
            let query = format!(
                r#"{{ commitments(first: {}) {{ totalCount nodes {{ code }} }} }}"#,
                1 + i % 5
            );
            app.query(&query, json!({})).await.body
        };
        if body.get("errors").is_some() {
            failures.push(body);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    failures
}

/// Failed response cache commands so far, from `/metrics`.
async fn cache_errors(app: &TestApp) -> f64 {
    let metrics = app
        .get("/metrics")
        .await
        .body
        .as_str()
        .unwrap_or_default()
        .to_owned();
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(r#"ogp_pulse_response_cache_total{result="error"} "#))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0)
}

async fn health(app: &TestApp) -> Value {
    app.get("/health").await.body
}

on_both_backends! {
    async fn rate_limits_hold_across_instances(backend: Backend) {
        let Some(redis) = TestRedis::new() else { return };
        let a = TestApp::with_api(backend, redis.api(limits(3))).await;
        import::load_bundled_if_empty(a.conn()).await.expect("bundled data");
        let b = a.instance(&redis.api(limits(3)));
        let mo18 = a.commitment_id("MO0018").await;

        for n in 0..2 {
            assert_eq!(outcome(&submit(&a, &mo18, "visitor-token-1", &format!("a{n}")).await), "OK");
        }
        assert_eq!(outcome(&submit(&b, &mo18, "visitor-token-1", "b0").await), "OK");
        // The fourth submission of the minute is refused, whichever instance gets it.
        let refused = submit(&b, &mo18, "visitor-token-1", "b1").await;
        assert_eq!(outcome(&refused), "RATE_LIMITED", "{refused}");
        assert_eq!(outcome(&submit(&a, &mo18, "visitor-token-1", "a2").await), "RATE_LIMITED");
        // The counts live in Redis, under the test's prefix, without the token.
        let keys = redis.keys();
        assert!(keys.iter().any(|k| k.contains("ratelimit:feedback:visitor:minute:")), "{keys:?}");
        assert!(keys.iter().all(|k| !k.contains("visitor-token-1")), "{keys:?}");
        assert_eq!(health(&a).await["cache"], "ok");
    }

    async fn without_redis_limits_still_hold_and_requests_succeed(backend: Backend) {
        // Nothing listens on the port: Redis is "down" from the start.
        let api = ApiArgs {
            redis_url: Some(format!("redis://127.0.0.1:{}", OwnRedis::free_port())),
            ..limits(2)
        };
        let app = TestApp::with_api(backend, api).await;
        import::load_bundled_if_empty(app.conn()).await.expect("bundled data");
        let mo18 = app.commitment_id("MO0018").await;
        assert_eq!(outcome(&submit(&app, &mo18, "visitor-token-2", "one").await), "OK");
        assert_eq!(outcome(&submit(&app, &mo18, "visitor-token-2", "two").await), "OK");
        // Counted in-process meanwhile: never no limit.
        assert_eq!(outcome(&submit(&app, &mo18, "visitor-token-2", "three").await), "RATE_LIMITED");
        let reply = app.query(r#"{ commitment(code: "MO0018") { feedback { totalCount } } }"#, json!({})).await;
        assert_eq!(reply.data()["commitment"]["feedback"]["totalCount"], 2);
        let status = app.get("/health").await;
        assert_eq!(status.status.as_u16(), 200);
        assert_eq!(status.body["cache"], "degraded");
    }

    async fn a_redis_outage_fails_no_request_and_sharing_resumes(backend: Backend) {
        let mut redis = OwnRedis::start();
        let port = redis.port;
        let prefix = "ogp-pulse-outage:";
        let api = ApiArgs { redis_url: Some(redis.url()), redis_prefix: prefix.to_owned(), ..limits(50) };
        let app = TestApp::with_api(backend, api).await;
        import::load_bundled_if_empty(app.conn()).await.expect("bundled data");
        let mo18 = app.commitment_id("MO0018").await;

        assert_eq!(outcome(&submit(&app, &mo18, "visitor-token-3", "before").await), "OK");
        assert!(!redis_keys(&redis.url(), prefix).is_empty(), "counted in Redis");

        redis.stop();
        for n in 0..5 {
            let body = submit(&app, &mo18, "visitor-token-3", &format!("during {n}")).await;
            assert_eq!(outcome(&body), "OK", "{body}");
        }
        let read = app.query(r#"{ commitment(code: "MO0018") { feedback { totalCount } } }"#, json!({})).await;
        assert_eq!(read.data()["commitment"]["feedback"]["totalCount"], 6);
        assert_eq!(health(&app).await["cache"], "degraded");

        let redis = OwnRedis::start_on(port);
        let mut back = false;
        for _ in 0..50 {
            if health(&app).await["cache"] == "ok" {
                back = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(back, "the connection comes back by itself");
        assert_eq!(outcome(&submit(&app, &mo18, "visitor-token-3", "after").await), "OK");
        assert!(!redis_keys(&redis.url(), prefix).is_empty(), "counted in Redis again");
        // Caching resumes, and what was written meanwhile is not hidden by it.
        let read = app.query(r#"{ commitment(code: "MO0018") { feedback { totalCount } } }"#, json!({})).await;
        assert_eq!(read.data()["commitment"]["feedback"]["totalCount"], 7);
        assert!(
            redis_keys(&redis.url(), prefix).iter().any(|k| k.contains("response:")),
            "responses are cached in Redis again"
        );
    }

    async fn killing_redis_under_load_fails_no_request(backend: Backend) {
        let mut redis = OwnRedis::start();
        let port = redis.port;
        let api = ApiArgs { redis_url: Some(redis.url()), redis_prefix: "ogp-pulse-load:".to_owned(), ..limits(1000) };
        let a = TestApp::with_api(backend, api.clone()).await;
        import::load_bundled_if_empty(a.conn()).await.expect("bundled data");
        let b = a.instance(&api);
        let mo18 = a.commitment_id("MO0018").await;

        let done = AtomicBool::new(false);
        let load = futures_util::future::join_all((0..8).map(|n| load_worker(if n % 2 == 0 { &a } else { &b }, &mo18, n, &done)));
        // Redis dies under the load, and stays down until the load has met
        // the outage (a failed Redis command on both instances), then returns.
        let outage = async {
            tokio::time::sleep(Duration::from_millis(150)).await;
            redis.stop();
            for _ in 0..100 {
                if cache_errors(&a).await > 0.0 && cache_errors(&b).await > 0.0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let restarted = OwnRedis::start_on(port);
            tokio::time::sleep(Duration::from_millis(300)).await;
            done.store(true, Ordering::Relaxed);
            restarted
        };
        let (failures, restarted) = tokio::join!(load, outage);
        let failures: Vec<Value> = failures.into_iter().flatten().collect();
        assert!(failures.is_empty(), "{} failed requests, e.g. {}", failures.len(), failures[0]);
        assert!(cache_errors(&a).await > 0.0 && cache_errors(&b).await > 0.0, "the load met the outage");
        drop(restarted);
    }

    async fn live_updates_reach_subscribers_on_another_instance(backend: Backend) {
        let Some(redis) = TestRedis::new() else { return };
        let database = TestDatabase::new(backend).await;
        import::load_bundled_if_empty(&database.db.conn).await.expect("bundled data");
        let api = redis.api(limits(100));
        let mut ports = Vec::new();
        let mut servers = Vec::new();
        for _ in 0..2 {
            let state = AppState::new(database.db.clone(), &api);
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.set_nonblocking(true).expect("non-blocking");
            ports.push(listener.local_addr().expect("address").port());
            let acceptor = TcpAcceptor::from_std(listener).expect("acceptor");
            servers.push(tokio::spawn(Server::new_with_acceptor(acceptor).run(routes(state))));
        }
        let (a, b) = (ports[0], ports[1]);
        let call = |port: u16, query: &'static str, variables: Value| async move {
            tokio::task::spawn_blocking(move || graphql(port, None, query, variables).1)
                .await
                .expect("request thread")
        };
        let ids = call(a, r#"{ commitment(code: "MO0018") { id } }"#, json!({})).await;
        let mo18 = ids["data"]["commitment"]["id"].clone();

        // What crosses Redis: the id alone, no text, no personal data.
        let mut watcher = redis::Client::open(redis.url.as_str())
            .expect("redis url")
            .get_async_pubsub()
            .await
            .expect("redis pub/sub");
        watcher.subscribe(format!("{}feedback:published", redis.prefix)).await.expect("subscribe");
        let mut watched = watcher.on_message();

        // A citizen watches MO0018 on instance B…
        let mut request = format!("ws://127.0.0.1:{b}/graphql/ws").into_client_request().expect("request");
        request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().expect("header"));
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("websocket");
        socket.send(Message::text(json!({ "type": "connection_init" }).to_string())).await.expect("init");
        assert_eq!(next_message(&mut socket, Duration::from_secs(10)).await.expect("ack")["type"], "connection_ack");
        let subscribe = json!({ "id": "1", "type": "subscribe", "payload": {
            "query": "subscription($c: ID!) { feedbackPosted(commitmentId: $c) { body } }",
            "variables": { "c": mo18 }
        } });
        socket.send(Message::text(subscribe.to_string())).await.expect("subscribe");

        // …and another posts on instance A (until the subscription is in place).
        let mut arrived = None;
        for attempt in 0..20 {
            let posted = call(a, SUBMIT, json!({ "c": mo18, "body": format!("from A {attempt}") })).await;
            assert_eq!(posted["data"]["submitFeedback"]["status"], "PUBLISHED", "{posted}");
            if let Some(message) = next_message(&mut socket, Duration::from_millis(500)).await {
                arrived = Some(message);
                break;
            }
        }
        let arrived = arrived.expect("feedback posted on A reaches a subscriber on B");
        assert!(arrived["payload"]["data"]["feedbackPosted"]["body"].as_str().is_some_and(|b| b.starts_with("from A")), "{arrived}");

        // B counts its open subscription.
        let (_, metrics) = tokio::task::spawn_blocking(move || {
            crate::process::http(b, "GET", "/metrics", &[], None).expect("GET /metrics")
        })
        .await
        .expect("request thread");
        assert!(metrics.lines().any(|l| l == "ogp_pulse_subscriptions 1"), "{metrics}");

        let message = tokio::time::timeout(Duration::from_secs(5), watched.next())
            .await
            .expect("a message on the channel")
            .expect("the channel is open");
        let payload: String = message.get_payload().expect("text payload");
        assert!(payload.parse::<i64>().is_ok(), "only an id crosses Redis, not {payload:?}");
        for server in servers {
            server.abort();
        }
    }
}
