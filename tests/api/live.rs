//! Live updates over a real websocket (graphql-transport-ws at
//! `/graphql/ws`): published feedback arrives, queued feedback and other
//! commitments' feedback do not.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use ogp_pulse::{
    app::{AppState, routes},
    config::ApiArgs,
    import,
    staff::{Role, accounts},
};
use poem::{Server, listener::TcpAcceptor};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

use crate::{
    process::graphql,
    support::{TestDatabase, on_both_backends},
};

/// The next GraphQL message of the socket within `wait`, skipping pings.
pub(crate) async fn next_message<S>(socket: &mut S, wait: Duration) -> Option<Value>
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next())
            .await
            .ok()??
            .ok()?;
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(text.as_str()).ok()?;
            if value["type"] != "ping" && value["type"] != "pong" {
                return Some(value);
            }
        }
    }
}

/// Runs a GraphQL request against the live server off the async threads.
async fn call(port: u16, token: Option<String>, query: &'static str, variables: Value) -> Value {
    tokio::task::spawn_blocking(move || graphql(port, token.as_deref(), query, variables).1)
        .await
        .expect("request thread")
}

const SUBMIT: &str = "mutation($c: ID!, $body: String!) { submitFeedback(input: { commitmentId: $c, body: $body }) { status } }";

on_both_backends! {
    async fn subscribers_receive_published_feedback_only(backend: Backend) {
        let database = TestDatabase::new(backend).await;
        import::load_bundled_if_empty(&database.db.conn).await.expect("bundled data");
        let new = accounts::NewStaff {
            email: "admin@example.org".to_owned(),
            name: "Admin".to_owned(),
            roles: vec![Role::Admin],
            ..Default::default()
        };
        let (_, admin) = accounts::create(&database.db.conn, new, chrono::Utc::now()).await.expect("admin");
        let api = ApiArgs { feedback_per_minute: 100, feedback_per_hour: 100, ..ApiArgs::default() };
        let state = AppState::new(database.db.clone(), &api);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("address").port();
        let acceptor = TcpAcceptor::from_std(listener).expect("acceptor");
        let server = tokio::spawn(Server::new_with_acceptor(acceptor).run(routes(state)));

        let ids = call(port, None, r#"{ a: commitment(code: "MO0018") { id actionPlan { id } } b: commitment(code: "MO0001") { id } }"#, json!({})).await;
        let mo18 = ids["data"]["a"]["id"].clone();
        let mo1 = ids["data"]["b"]["id"].clone();
        let plan = ids["data"]["a"]["actionPlan"]["id"].clone();

        let mut request = format!("ws://127.0.0.1:{port}/graphql/ws").into_client_request().expect("request");
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().expect("header"));
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("websocket");
        socket.send(Message::text(json!({ "type": "connection_init" }).to_string())).await.expect("init");
        let ack = next_message(&mut socket, Duration::from_secs(10)).await.expect("ack");
        assert_eq!(ack["type"], "connection_ack");
        let subscribe = json!({ "id": "1", "type": "subscribe", "payload": {
            "query": "subscription($c: ID!) { feedbackPosted(commitmentId: $c) { body official commitment { code } } }",
            "variables": { "c": mo18 }
        } });
        socket.send(Message::text(subscribe.to_string())).await.expect("subscribe");

        // The subscription starts asynchronously: post until the first arrives.
        let mut first = None;
        for attempt in 0..20 {
            let posted = call(port, None, SUBMIT, json!({ "c": mo18, "body": format!("live {attempt}") })).await;
            assert_eq!(posted["data"]["submitFeedback"]["status"], "PUBLISHED", "{posted}");
            if let Some(message) = next_message(&mut socket, Duration::from_millis(500)).await {
                first = Some(message);
                break;
            }
        }
        let first = first.expect("a published comment arrives");
        assert_eq!(first["type"], "next", "{first}");
        assert!(first["payload"]["data"]["feedbackPosted"]["body"].as_str().is_some_and(|b| b.starts_with("live")));
        assert_eq!(first["payload"]["data"]["feedbackPosted"]["commitment"]["code"], "MO0018");
        // Anything posted during the retries above is drained.
        while next_message(&mut socket, Duration::from_millis(300)).await.is_some() {}

        // Another commitment's comment does not arrive.
        call(port, None, SUBMIT, json!({ "c": mo1, "body": "elsewhere" })).await;
        // A queued comment does not arrive.
        let switched = call(port, Some(admin.clone()), "mutation($id: ID!) { updateActionPlan(input: { id: $id, moderationMode: PRE }) { moderationMode } }", json!({ "id": plan })).await;
        assert_eq!(switched["data"]["updateActionPlan"]["moderationMode"], "PRE", "{switched}");
        let queued = call(port, None, SUBMIT, json!({ "c": mo18, "body": "queued" })).await;
        assert_eq!(queued["data"]["submitFeedback"]["status"], "QUEUED");
        assert_eq!(next_message(&mut socket, Duration::from_secs(1)).await, None, "nothing but published feedback of MO0018 arrives");

        // The channel still works: back to post-moderation, the next one arrives.
        call(port, Some(admin), "mutation($id: ID!) { updateActionPlan(input: { id: $id, moderationMode: POST }) { moderationMode } }", json!({ "id": plan })).await;
        call(port, None, SUBMIT, json!({ "c": mo18, "body": "published again" })).await;
        let next = next_message(&mut socket, Duration::from_secs(10)).await.expect("published comment");
        assert_eq!(next["payload"]["data"]["feedbackPosted"]["body"], "published again");
        server.abort();
    }
}
