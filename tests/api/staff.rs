//! Staff identities through HTTP: API tokens and login sessions, what is
//! refused before GraphQL runs, login throttling, the audit log and who may
//! read it, what stays hidden from anonymous visitors, and the
//! `ogp-pulse staff` commands against a served database.

use std::{
    collections::{BTreeSet, HashMap},
    path::Path,
    sync::Arc,
};

use chrono::{DateTime, Utc};
use entity::{staff_account, staff_credential};
use ogp_pulse::{
    clock::Clock,
    staff::{
        Role,
        accounts::{self, NewStaff},
        credentials,
    },
};
use poem::http::{StatusCode, header};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::{
    process::{Finished, graphql, ogp_pulse, run, serve, sqlite_url},
    support::{Reply, TestApp, on_both_backends},
};

/// A query anyone may run, on an empty database as on the bundled one: a
/// refusal of it can only come from the credentials.
const PUBLIC_QUERY: &str = "{ commitments { totalCount } }";

const ME: &str = "{ me { email name roles focalPoint { name } } }";

const LOGIN: &str = "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token expiresAt me { email } } }";

const AUDIT_LOG: &str = "{ auditLog { totalCount nodes { action entity entityId before after at staff { name email } } } }";

const PASSWORD: &str = "correct horse battery staple";

/// What a stored password hash starts with (Argon2id, OWASP parameters).
const ARGON2_PREFIX: &str = "$argon2id$v=19$m=19456,t=2,p=1$";

/// Creates an account with `PASSWORD` and returns its API token.
async fn account_with_password(app: &TestApp, email: &str, roles: &[Role]) -> String {
    let new = NewStaff {
        email: email.to_owned(),
        name: format!("Staff {email}"),
        roles: roles.to_vec(),
        focal_point: None,
        password: Some(PASSWORD.to_owned()),
    };
    let (_, token) = accounts::create(app.conn(), new, app.clock.now())
        .await
        .expect("staff account with a password");
    token
}

async fn login(app: &TestApp, email: &str, password: &str) -> Reply {
    app.query(LOGIN, json!({ "email": email, "password": password }))
        .await
}

/// The session token of a successful `login`.
fn session_token(reply: &Reply) -> String {
    reply.data()["login"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token in {}", reply.body))
        .to_owned()
}

/// `PUBLIC_QUERY` with this exact `Authorization` header.
async fn with_authorization(app: &TestApp, authorization: &str) -> Reply {
    app.post_json(
        "/graphql",
        &json!({ "query": PUBLIC_QUERY }),
        &[("authorization", authorization)],
    )
    .await
}

/// A 401 with a challenge, a GraphQL-shaped `UNAUTHENTICATED` error and no
/// `data`: GraphQL never ran.
fn assert_refused(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "{what}: {}",
        reply.body
    );
    assert!(
        reply.headers.contains_key(header::WWW_AUTHENTICATE),
        "{what}: no WWW-Authenticate header in {:?}",
        reply.headers
    );
    assert_eq!(reply.error_code(), "UNAUTHENTICATED", "{what}");
    assert!(
        reply.body.get("data").is_none(),
        "{what}: GraphQL ran: {}",
        reply.body
    );
}

/// `PUBLIC_QUERY` answered normally.
fn assert_accepted(reply: &Reply, what: &str) {
    assert_eq!(reply.status, StatusCode::OK, "{what}: {}", reply.body);
    assert!(
        reply.data()["commitments"]["totalCount"].is_number(),
        "{what}: {}",
        reply.body
    );
}

fn error_codes(reply: &Reply) -> Vec<String> {
    reply.body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|error| {
            error["extensions"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

fn timestamp(value: &Value) -> DateTime<Utc> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a timestamp: {value}"));
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|err| panic!("not RFC 3339 ({err}): {text}"))
        .with_timezone(&Utc)
}

/// Standard base64 with padding, as global ids are encoded.
fn base64(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut encoded = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let mut bytes = [0u8; 3];
        bytes[..chunk.len()].copy_from_slice(chunk);
        let n = (u32::from(bytes[0]) << 16) | (u32::from(bytes[1]) << 8) | u32::from(bytes[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let index = usize::try_from((n >> (18 - 6 * i)) & 63).expect("six bits");
                encoded.push(char::from(ALPHABET[index]));
            } else {
                encoded.push('=');
            }
        }
    }
    encoded
}

async fn credentials_with_hash(app: &TestApp, hash: &str) -> u64 {
    staff_credential::Entity::find()
        .filter(staff_credential::Column::TokenHash.eq(hash))
        .count(app.conn())
        .await
        .expect("count credentials")
}

#[test]
fn base64_matches_the_global_id_encoding() {
    assert_eq!(base64("StaffAccount:1"), "U3RhZmZBY2NvdW50OjE=");
    assert_eq!(base64("Me:12"), "TWU6MTI=");
    assert_eq!(base64("abc"), "YWJj");
}

on_both_backends! {
    async fn a_token_answers_for_its_account(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let admin = app.staff("Ada@Example.org", &[Role::Moderator, Role::Admin], None).await;
        let focal = app.staff("amal@example.org", &[Role::FocalPoint], Some("MO0018")).await;
        assert!(admin.starts_with("ogp_"), "{admin}");
        assert_ne!(admin, focal);

        let reply = app.query_as(&admin, ME, json!({})).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(
            reply.data()["me"],
            json!({
                "email": "ada@example.org",
                "name": "Staff Ada@Example.org",
                "roles": ["ADMIN", "MODERATOR"],
                "focalPoint": null,
            })
        );

        let reply = app.query_as(&focal, ME, json!({})).await;
        assert_eq!(
            reply.data()["me"],
            json!({
                "email": "amal@example.org",
                "name": "Staff amal@example.org",
                "roles": ["FOCAL_POINT"],
                "focalPoint": { "name": "Ms Amal ALAMI" },
            })
        );

        // The scheme is case-insensitive (RFC 7235).
        let reply = app
            .post_json("/graphql", &json!({ "query": "{ me { email } }" }), &[("authorization", &format!("bearer {focal}"))])
            .await;
        assert_eq!(reply.data()["me"]["email"], "amal@example.org");

        let reply = app.query(ME, json!({})).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.data().get("me"), Some(&Value::Null), "{}", reply.body);
    }

    async fn bad_credentials_are_refused_before_graphql_runs(backend: Backend) {
        let app = TestApp::empty(backend).await;
        let token = app.staff("kept@example.org", &[Role::Moderator], None).await;
        assert_accepted(&with_authorization(&app, &format!("Bearer {token}")).await, "a valid token");
        assert_accepted(&app.query(PUBLIC_QUERY, json!({})).await, "no Authorization header");

        let unknown = format!("ogp_{}", "A".repeat(43));
        let basic_token = format!("Basic {token}");
        let malformed = [
            ("Basic xyz", "a Basic header"),
            ("Bearer", "Bearer without a token"),
            ("Bearer ", "Bearer and a space"),
            ("Bearer not-our-format", "a token not in our format"),
            (basic_token.as_str(), "a valid token under another scheme"),
            (token.as_str(), "a valid token without a scheme"),
            (unknown.as_str(), "an unknown token without a scheme"),
        ];
        for (authorization, what) in malformed {
            assert_refused(&with_authorization(&app, authorization).await, what);
        }
        let reply = with_authorization(&app, &format!("Bearer {unknown}")).await;
        assert_refused(&reply, "an unknown well-formed token");

        // Revoked: every credential of the account, whatever the email's case.
        let revoked = app.staff("gone@example.org", &[Role::Admin], None).await;
        assert_accepted(&app.query_as(&revoked, PUBLIC_QUERY, json!({})).await, "before revocation");
        let count = accounts::revoke_by_email(app.conn(), "GONE@example.org", app.clock.now())
            .await
            .expect("revoke by email");
        assert_eq!(count, 1);
        assert_refused(&app.query_as(&revoked, PUBLIC_QUERY, json!({})).await, "a revoked token");
        // Another account's token is untouched.
        assert_accepted(&app.query_as(&token, PUBLIC_QUERY, json!({})).await, "another account");

        // Expired: a session lasts 12 hours; API tokens do not expire.
        let api_token = account_with_password(&app, "session@example.org", &[Role::Moderator]).await;
        let session = session_token(&login(&app, "session@example.org", PASSWORD).await);
        assert_accepted(&app.query_as(&session, PUBLIC_QUERY, json!({})).await, "a fresh session");
        app.clock.advance(chrono::Duration::hours(11));
        assert_accepted(&app.query_as(&session, PUBLIC_QUERY, json!({})).await, "an 11-hour-old session");
        app.clock.advance(chrono::Duration::hours(2));
        let reply = app.query_as(&session, PUBLIC_QUERY, json!({})).await;
        assert_refused(&reply, "an expired session");
        assert!(
            reply.body["errors"][0]["message"].as_str().is_some_and(|m| m.contains("expired")),
            "the message should say the session expired: {}",
            reply.body
        );
        assert_accepted(&app.query_as(&api_token, PUBLIC_QUERY, json!({})).await, "an API token 13 hours later");
    }

    async fn tokens_are_stored_only_as_hashes(backend: Backend) {
        let app = TestApp::empty(backend).await;
        let api_token = account_with_password(&app, "hashed@example.org", &[Role::Admin]).await;
        let session = session_token(&login(&app, "hashed@example.org", PASSWORD).await);
        for token in [&api_token, &session] {
            assert_eq!(credentials_with_hash(&app, token).await, 0, "{token} is stored in clear");
            assert_eq!(
                credentials_with_hash(&app, &credentials::hash_token(token)).await,
                1,
                "no credential has the hash of {token}"
            );
        }
        let rows = staff_credential::Entity::find()
            .all(app.conn())
            .await
            .expect("read credentials");
        assert_eq!(rows.len(), 2);
        for row in rows {
            assert!(!row.token_hash.starts_with("ogp_"), "{}", row.token_hash);
            assert_eq!(row.token_hash.len(), 64, "{}", row.token_hash);
        }
    }

    async fn login_opens_a_session_and_logout_ends_it(backend: Backend) {
        let app = TestApp::empty(backend).await;
        let api_token = account_with_password(&app, "Lena@Example.org", &[Role::Admin]).await;
        let account = staff_account::Entity::find()
            .filter(staff_account::Column::Email.eq("lena@example.org"))
            .one(app.conn())
            .await
            .expect("read the account")
            .expect("the account is stored with its email lowercased");
        let stored = account.password_hash.expect("a password hash is stored");
        assert!(stored.starts_with(ARGON2_PREFIX), "{stored}");
        assert!(!stored.contains(PASSWORD));

        // The email is case-insensitive.
        let reply = login(&app, "  LENA@example.ORG", PASSWORD).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert!(!reply.body.to_string().contains("$argon2"), "{}", reply.body);
        let session = session_token(&reply);
        assert!(session.starts_with("ogp_"), "{session}");
        assert_ne!(session, api_token);
        assert_eq!(reply.data()["login"]["me"]["email"], "lena@example.org");
        let expires_at = timestamp(&reply.data()["login"]["expiresAt"]);
        let expected = app.clock.now() + chrono::Duration::hours(12);
        assert!(
            (expires_at - expected).num_seconds().abs() <= 1,
            "a session should last 12 hours: expires {expires_at}, expected {expected}"
        );

        let reply = app.query_as(&session, ME, json!({})).await;
        assert_eq!(reply.data()["me"]["email"], "lena@example.org");
        assert_eq!(reply.data()["me"]["roles"], json!(["ADMIN"]));
        assert!(!reply.body.to_string().contains("$argon2"), "{}", reply.body);

        // Wrong password and unknown email: the same refusal.
        let wrong = login(&app, "lena@example.org", "not the right password").await;
        let unknown = login(&app, "nobody@example.org", PASSWORD).await;
        for reply in [&wrong, &unknown] {
            assert_eq!(reply.error_code(), "UNAUTHENTICATED", "{}", reply.body);
            assert!(reply.body["data"].is_null(), "{}", reply.body);
            assert!(!reply.body.to_string().contains("ogp_"), "a token leaked: {}", reply.body);
        }
        assert_eq!(wrong.body["errors"][0]["message"], unknown.body["errors"][0]["message"]);
        let not_an_email = login(&app, "not an email", PASSWORD).await;
        assert_eq!(not_an_email.error_code(), "UNAUTHENTICATED", "{}", not_an_email.body);
        assert_eq!(not_an_email.body["errors"][0]["message"], unknown.body["errors"][0]["message"]);

        // The audit log names staff but never shows their hashes.
        let reply = app
            .query_as(&session, r#"mutation { createPolicyArea(name: "Open Justice") { name } }"#, json!({}))
            .await;
        assert_eq!(reply.data()["createPolicyArea"]["name"], "Open Justice");
        let reply = app.query_as(&session, AUDIT_LOG, json!({})).await;
        assert_eq!(reply.data()["auditLog"]["totalCount"], 1, "{}", reply.body);
        assert!(!reply.body.to_string().contains("$argon2"), "{}", reply.body);

        // Logout revokes the session it was made with, and only that.
        let reply = app.query_as(&session, "mutation { logout }", json!({})).await;
        assert_eq!(reply.data()["logout"], true);
        assert_refused(&app.query_as(&session, ME, json!({})).await, "a logged-out session");
        let reply = app.query_as(&api_token, ME, json!({})).await;
        assert_eq!(reply.data()["me"]["email"], "lena@example.org");
        // The API token can be logged out too.
        let reply = app.query_as(&api_token, "mutation { logout }", json!({})).await;
        assert_eq!(reply.data()["logout"], true);
        assert_refused(&app.query_as(&api_token, ME, json!({})).await, "a logged-out API token");

        let reply = app.query("mutation { logout }", json!({})).await;
        assert_eq!(reply.error_code(), "UNAUTHENTICATED", "{}", reply.body);

        // The account can still sign in again.
        let again = session_token(&login(&app, "lena@example.org", PASSWORD).await);
        assert_eq!(app.query_as(&again, ME, json!({})).await.data()["me"]["email"], "lena@example.org");
    }

    async fn accounts_without_a_password_cannot_log_in(backend: Backend) {
        let app = TestApp::empty(backend).await;
        // Created with an API token only, as `staff add` without --password-stdin does.
        let token = app.staff("tokens-only@example.org", &[Role::Admin], None).await;
        assert_eq!(app.query_as(&token, ME, json!({})).await.data()["me"]["email"], "tokens-only@example.org");
        // Whatever the password, including the decoy that unknown emails are
        // checked against (it is in the source code for anyone to read).
        for password in [PASSWORD, "", "decoy password that never matches anything"] {
            let reply = login(&app, "tokens-only@example.org", password).await;
            assert_eq!(
                error_codes(&reply),
                ["UNAUTHENTICATED"],
                "an account without a password was signed in with {password:?}: {}",
                reply.body
            );
            assert!(!reply.body.to_string().contains("ogp_"), "a token leaked: {}", reply.body);
        }
    }

    async fn five_wrong_passwords_lock_the_account_for_fifteen_minutes(backend: Backend) {
        let app = TestApp::empty(backend).await;
        account_with_password(&app, "throttled@example.org", &[Role::Moderator]).await;
        account_with_password(&app, "bystander@example.org", &[Role::Moderator]).await;
        // Changing the email's case does not open a new allowance.
        for (n, email) in ["throttled@example.org", "THROTTLED@example.org", " Throttled@Example.org"]
            .into_iter()
            .cycle()
            .take(5)
            .enumerate()
        {
            let reply = login(&app, email, "wrong password, try again").await;
            assert_eq!(reply.error_code(), "UNAUTHENTICATED", "attempt {}: {}", n + 1, reply.body);
        }

        let locked = login(&app, "throttled@example.org", PASSWORD).await;
        assert_eq!(locked.status, StatusCode::OK, "{}", locked.body);
        assert_eq!(locked.error_code(), "RATE_LIMITED", "the right password after 5 failures: {}", locked.body);
        let retry_after = locked.body["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .unwrap_or_else(|| panic!("no retryAfterSeconds: {}", locked.body));
        assert!((1..=900).contains(&retry_after), "retryAfterSeconds = {retry_after}");
        assert!(!locked.body.to_string().contains("ogp_"), "a token leaked: {}", locked.body);

        // Other accounts are not locked out.
        let reply = login(&app, "bystander@example.org", PASSWORD).await;
        assert!(reply.data()["login"]["token"].is_string(), "{}", reply.body);

        // Still locked a minute before the window ends.
        app.clock.advance(chrono::Duration::minutes(14));
        let reply = login(&app, "throttled@example.org", PASSWORD).await;
        assert_eq!(reply.error_code(), "RATE_LIMITED", "{}", reply.body);
        let retry_after = reply.body["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .unwrap_or_else(|| panic!("no retryAfterSeconds: {}", reply.body));
        assert!((1..=60).contains(&retry_after), "retryAfterSeconds = {retry_after} with a minute left");

        app.clock.advance(chrono::Duration::minutes(1));
        let session = session_token(&login(&app, "throttled@example.org", PASSWORD).await);
        assert_eq!(app.query_as(&session, ME, json!({})).await.data()["me"]["email"], "throttled@example.org");
    }

    async fn concurrent_wrong_passwords_are_limited_like_sequential_ones(backend: Backend) {
        let app = Arc::new(TestApp::empty(backend).await);
        account_with_password(&app, "raced@example.org", &[Role::Moderator]).await;
        // Twelve guesses at once, fewer than one client's 20 attempts.
        let mut guesses = tokio::task::JoinSet::new();
        for n in 0..12 {
            let app = Arc::clone(&app);
            guesses.spawn(async move {
                let reply = login(&app, "raced@example.org", &format!("guess number {n:02}")).await;
                error_codes(&reply)
            });
        }
        let mut checked = 0;
        let mut limited = 0;
        while let Some(codes) = guesses.join_next().await {
            let codes = codes.expect("a guess task");
            match codes.as_slice() {
                [code] if code == "UNAUTHENTICATED" => checked += 1,
                [code] if code == "RATE_LIMITED" => limited += 1,
                other => panic!("unexpected answer to a wrong password: {other:?}"),
            }
        }
        assert!(
            checked <= 5,
            "{checked} passwords were checked against one account at once ({limited} refused): the limit is 5 failures per window"
        );
        let reply = login(&app, "raced@example.org", PASSWORD).await;
        assert_eq!(reply.error_code(), "RATE_LIMITED", "{}", reply.body);
    }

    async fn one_client_cannot_spray_many_accounts(backend: Backend) {
        let app = TestApp::empty(backend).await;
        account_with_password(&app, "target@example.org", &[Role::Moderator]).await;
        for n in 0..20 {
            let reply = login(&app, &format!("user{n}@example.org"), PASSWORD).await;
            assert_eq!(reply.error_code(), "UNAUTHENTICATED", "attempt {}: {}", n + 1, reply.body);
        }
        let reply = login(&app, "target@example.org", PASSWORD).await;
        assert_eq!(reply.error_code(), "RATE_LIMITED", "the 21st attempt from one client: {}", reply.body);
        app.clock.advance(chrono::Duration::minutes(15));
        let reply = login(&app, "target@example.org", PASSWORD).await;
        assert!(reply.data()["login"]["token"].is_string(), "{}", reply.body);
    }

    async fn one_request_attempts_one_login(backend: Backend) {
        let app = TestApp::empty(backend).await;
        account_with_password(&app, "aliased@example.org", &[Role::Moderator]).await;
        account_with_password(&app, "second@example.org", &[Role::Moderator]).await;
        let reply = app
            .query(
                "mutation($a: String!, $b: String!, $password: String!) {
                    a: login(email: $a, password: $password) { token }
                    b: login(email: $b, password: $password) { token }
                }",
                json!({ "a": "aliased@example.org", "b": "second@example.org", "password": PASSWORD }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(error_codes(&reply), ["RATE_LIMITED"], "{}", reply.body);
        assert_eq!(reply.body["errors"][0]["path"], json!(["b"]), "{}", reply.body);

        // Both operations in one batch are refused before either runs.
        let operation = json!({ "query": LOGIN, "variables": { "email": "aliased@example.org", "password": PASSWORD } });
        let reply = app.post_json("/graphql", &json!([operation, operation]), &[]).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
        assert_eq!(reply.error_code(), "BATCH_NOT_SUPPORTED");
        assert!(!reply.body.to_string().contains("ogp_"), "a token leaked: {}", reply.body);
    }

    async fn the_audit_log_is_for_admins_and_append_only(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let admin = app.staff("admin@example.org", &[Role::Admin], None).await;
        let moderator = app.staff("moderator@example.org", &[Role::Moderator], None).await;
        let focal = app.staff("focal@example.org", &[Role::FocalPoint], Some("MO0018")).await;

        let reply = app.query(AUDIT_LOG, json!({})).await;
        assert_eq!(reply.error_code(), "UNAUTHENTICATED", "{}", reply.body);
        assert!(reply.body["data"].is_null(), "{}", reply.body);
        for (token, who) in [(&moderator, "a moderator"), (&focal, "a focal point")] {
            let reply = app.query_as(token, AUDIT_LOG, json!({})).await;
            assert_eq!(reply.error_code(), "FORBIDDEN", "{who}: {}", reply.body);
            assert!(reply.body["data"].is_null(), "{who}: {}", reply.body);
        }

        let reply = app.query_as(&admin, AUDIT_LOG, json!({})).await;
        assert_eq!(reply.data()["auditLog"], json!({ "totalCount": 0, "nodes": [] }));

        let reply = app
            .query_as(&admin, r#"mutation { createPolicyArea(name: "Open Justice") { id name } }"#, json!({}))
            .await;
        let created = reply.data()["createPolicyArea"].clone();
        assert_eq!(created["name"], "Open Justice");
        // A refused write leaves no entry.
        let reply = app
            .query_as(&moderator, r#"mutation { createPolicyArea(name: "Not Allowed") { id } }"#, json!({}))
            .await;
        assert_eq!(reply.error_code(), "FORBIDDEN", "{}", reply.body);

        let reply = app.query_as(&admin, AUDIT_LOG, json!({})).await;
        let log = &reply.data()["auditLog"];
        assert_eq!(log["totalCount"], 1, "{log}");
        let entry = &log["nodes"][0];
        assert_eq!(entry["action"], "create", "{entry}");
        assert_eq!(entry["entity"], "policy_area", "{entry}");
        assert_eq!(entry["before"], Value::Null, "{entry}");
        assert_eq!(entry["after"]["name"], "Open Justice", "{entry}");
        assert_eq!(entry["staff"], json!({ "name": "Staff admin@example.org", "email": "admin@example.org" }));
        let entity_id = entry["entityId"].as_i64().unwrap_or_else(|| panic!("no entityId: {entry}"));
        assert_eq!(created["id"], base64(&format!("PolicyArea:{entity_id}")), "{entry}");
        let at = timestamp(&entry["at"]);
        assert!((at - app.clock.now()).num_seconds().abs() <= 1, "at {at}, now {}", app.clock.now());

        let reply = app
            .query_as(&admin, r#"{ auditLog(filter: { entity: "milestone" }) { totalCount } }"#, json!({}))
            .await;
        assert_eq!(reply.data()["auditLog"]["totalCount"], 0);

        // Nobody can rewrite history, not even with the service's own connection.
        for statement in ["UPDATE audit_entry SET action = 'x'", "DELETE FROM audit_entry"] {
            let outcome = app.conn().execute_unprepared(statement).await;
            let Err(err) = outcome else {
                panic!("{statement} succeeded on the audit log");
            };
            assert!(err.to_string().contains("append-only"), "{statement}: {err}");
        }
        let reply = app.query_as(&admin, AUDIT_LOG, json!({})).await;
        assert_eq!(reply.data()["auditLog"]["totalCount"], 1);
        assert_eq!(reply.data()["auditLog"]["nodes"][0]["action"], "create");
    }

    async fn staff_records_are_not_reachable_anonymously(backend: Backend) {
        let app = TestApp::empty(backend).await;
        let admin = app.staff("hidden@example.org", &[Role::Admin], None).await;
        let reply = app
            .query_as(&admin, r#"mutation { createPolicyArea(name: "Open Justice") { id } }"#, json!({}))
            .await;
        assert!(reply.data()["createPolicyArea"]["id"].is_string());

        let ids: Vec<String> = ["StaffAccount", "Staff", "StaffCredential", "AuditEntry", "AuditStaff", "Me"]
            .iter()
            .map(|name| base64(&format!("{name}:1")))
            .collect();
        for id in &ids {
            for token in [None, Some(admin.as_str())] {
                let query = "query($id: ID!) { node(id: $id) { __typename id } }";
                let reply = match token {
                    Some(token) => app.query_as(token, query, json!({ "id": id })).await,
                    None => app.query(query, json!({ "id": id })).await,
                };
                assert_eq!(reply.data()["node"], Value::Null, "{id}: {}", reply.body);
            }
        }
        let reply = app
            .query("query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", json!({ "ids": ids }))
            .await;
        assert!(
            reply.data()["nodes"].as_array().is_some_and(|nodes| nodes.iter().all(Value::is_null)),
            "{}",
            reply.body
        );
        let reply = app.query("{ policyAreas { nodes { name } } }", json!({})).await;
        assert!(!reply.body.to_string().contains("hidden@example.org"), "{}", reply.body);

        // The schema: staff types are reachable from `me` and `auditLog` only
        // (and `login`'s payload, for the one signing in).
        let reply = app
            .query(
                "{ __schema {
                    queryType { name } mutationType { name }
                    types { name fields { name type { ...Ref } } possibleTypes { name } interfaces { name } }
                } }
                fragment Ref on __Type { name ofType { name ofType { name ofType { name } } } }",
                json!({}),
            )
            .await;
        let schema = &reply.data()["__schema"];
        let mut fields: HashMap<String, Vec<(String, String)>> = HashMap::new();
        let mut related: HashMap<String, Vec<String>> = HashMap::new();
        for ty in schema["types"].as_array().expect("types") {
            let name = ty["name"].as_str().expect("type name").to_owned();
            for field in ty["fields"].as_array().into_iter().flatten() {
                let mut reference = &field["type"];
                while reference["name"].is_null() && !reference["ofType"].is_null() {
                    reference = &reference["ofType"];
                }
                let target = reference["name"].as_str().unwrap_or_else(|| panic!("unnamed type in {field}"));
                let field_name = field["name"].as_str().expect("field name").to_owned();
                fields.entry(name.clone()).or_default().push((field_name, target.to_owned()));
            }
            for list in ["possibleTypes", "interfaces"] {
                for other in ty[list].as_array().into_iter().flatten() {
                    let other = other["name"].as_str().expect("type name").to_owned();
                    related.entry(name.clone()).or_default().push(other);
                }
            }
        }
        let reachable = |roots: Vec<String>| {
            let mut seen = BTreeSet::new();
            let mut pending = roots;
            while let Some(name) = pending.pop() {
                if seen.insert(name.clone()) {
                    pending.extend(fields.get(&name).into_iter().flatten().map(|(_, target)| target.clone()));
                    pending.extend(related.get(&name).into_iter().flatten().cloned());
                }
            }
            seen
        };
        let staff_types = ["Me", "AuditEntry", "AuditEntryConnection", "AuditEntryEdge", "AuditStaff", "LoginPayload"];
        let exposing = |root: &str| -> Vec<String> {
            fields
                .get(root)
                .unwrap_or_else(|| panic!("no {root} type"))
                .iter()
                .filter(|(_, target)| {
                    let seen = reachable(vec![target.clone()]);
                    staff_types.iter().any(|ty| seen.contains(*ty))
                })
                .map(|(name, _)| name.clone())
                .collect()
        };
        assert_eq!(schema["queryType"]["name"], "Query");
        assert_eq!(schema["mutationType"]["name"], "Mutation");
        assert_eq!(exposing("Query"), ["me", "auditLog"], "Query fields that lead to staff records");
        assert_eq!(exposing("Mutation"), ["login"], "Mutation fields that lead to staff records");
        let node_types = related.get("Node").expect("the Node interface");
        assert!(
            node_types.iter().all(|ty| !staff_types.contains(&ty.as_str()) && !ty.starts_with("Staff")),
            "{node_types:?}"
        );
    }
}

// --- The `ogp-pulse staff` commands, on a SQLite file.

/// `ogp-pulse --database-url sqlite://DIR/x.db ARGS…`.
fn staff_command(dir: &Path, args: &[&str], input: Option<&str>) -> Finished {
    let mut command = ogp_pulse(dir);
    command
        .args(["--database-url", &sqlite_url(dir)])
        .args(args);
    run(command, dir, input)
}

/// The token `staff add` printed as its last line.
fn printed_token(finished: &Finished) -> String {
    let token = finished
        .stdout
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_owned();
    assert!(
        token.starts_with("ogp_") && token.len() == 47,
        "the last line is not a token: {}",
        finished.stdout
    );
    token
}

#[test]
fn staff_commands_manage_accounts_that_the_server_honours() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let dir = dir.path();
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/morocco-2018-2020.json");
    let bundled = bundled.to_str().expect("a UTF-8 path");
    staff_command(dir, &["import", bundled], None).assert_success("import");

    let added = staff_command(
        dir,
        &[
            "staff",
            "add",
            "--email",
            "admin@example.org",
            "--name",
            "Ada",
            "--role",
            "admin",
        ],
        None,
    );
    added.assert_success("staff add --role admin");
    let admin = printed_token(&added);

    let added = staff_command(
        dir,
        &[
            "staff",
            "add",
            "--email",
            "amal@example.org",
            "--name",
            "Amal",
            "--role",
            "focal-point",
            "--focal-point",
            "MO0018",
        ],
        None,
    );
    added.assert_success("staff add --role focal-point");
    let focal = printed_token(&added);
    assert_ne!(admin, focal);

    for email in ["admin@example.org", "Admin@Example.org"] {
        let duplicate = staff_command(
            dir,
            &[
                "staff",
                "add",
                "--email",
                email,
                "--name",
                "Other",
                "--role",
                "moderator",
            ],
            None,
        );
        assert_eq!(
            duplicate.status.code(),
            Some(1),
            "a duplicate {email}: {}",
            duplicate.stderr
        );
        let errors: Vec<&str> = duplicate
            .stderr
            .lines()
            .filter(|line| line.starts_with("ogp-pulse:"))
            .collect();
        assert_eq!(
            errors.len(),
            1,
            "one error line expected: {}",
            duplicate.stderr
        );
        assert!(errors[0].contains("--email"), "{}", duplicate.stderr);
        assert!(errors[0].contains("exists"), "{}", duplicate.stderr);
        assert!(
            !duplicate.stderr.contains("panicked"),
            "{}",
            duplicate.stderr
        );
        assert!(
            !duplicate.stdout.contains("ogp_"),
            "a token was printed: {}",
            duplicate.stdout
        );
    }

    let owner = staff_command(
        dir,
        &[
            "staff",
            "add",
            "--email",
            "owner@example.org",
            "--name",
            "Own",
            "--role",
            "owner",
        ],
        None,
    );
    assert!(
        !owner.status.success(),
        "--role owner was accepted: {}",
        owner.stdout
    );
    assert!(owner.stderr.contains("owner"), "{}", owner.stderr);
    assert!(!owner.stderr.contains("panicked"), "{}", owner.stderr);

    let added = staff_command(
        dir,
        &[
            "staff",
            "add",
            "--email",
            "mo@example.org",
            "--name",
            "Mo",
            "--role",
            "moderator",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    added.assert_success("staff add --password-stdin");
    let moderator = printed_token(&added);
    assert!(
        !added.stdout.contains(PASSWORD),
        "the password was echoed: {}",
        added.stdout
    );

    let listed = staff_command(dir, &["staff", "list"], None);
    listed.assert_success("staff list");
    for expected in [
        "admin@example.org",
        "amal@example.org",
        "mo@example.org",
        "admin",
        "focal_point",
        "moderator",
    ] {
        assert!(
            listed.stdout.contains(expected),
            "{expected} missing: {}",
            listed.stdout
        );
    }
    assert!(
        !listed.stdout.contains("owner@example.org"),
        "{}",
        listed.stdout
    );
    for secret in [&admin, &focal, &moderator] {
        assert!(
            !listed.stdout.contains(secret.as_str()),
            "a token was listed: {}",
            listed.stdout
        );
    }
    assert!(!listed.stdout.contains("ogp_"), "{}", listed.stdout);
    assert!(
        !listed.stdout.to_lowercase().contains("argon2"),
        "{}",
        listed.stdout
    );

    let revoked = staff_command(
        dir,
        &["staff", "revoke", "--email", "admin@example.org"],
        None,
    );
    revoked.assert_success("staff revoke");

    let (server, port) = serve(dir, &[]);

    let (status, answer) = graphql(port, Some(&admin), PUBLIC_QUERY, json!({}));
    assert_eq!(status, 401, "the revoked token: {answer}");
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{answer}"
    );
    assert!(answer.get("data").is_none(), "{answer}");

    let (status, answer) = graphql(port, Some(&moderator), ME, json!({}));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["data"]["me"]["roles"],
        json!(["MODERATOR"]),
        "{answer}"
    );

    let (status, answer) = graphql(
        port,
        None,
        LOGIN,
        json!({ "email": "mo@example.org", "password": PASSWORD }),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["data"]["login"]["me"]["email"], "mo@example.org",
        "the password from stdin does not log in: {answer}"
    );

    let milestones =
        "query($code: String!) { commitment(code: $code) { milestones { id position status } } }";
    let (_, answer) = graphql(port, None, milestones, json!({ "code": "MO0018" }));
    let first = answer["data"]["commitment"]["milestones"]
        .as_array()
        .and_then(|milestones| milestones.iter().find(|m| m["position"] == 1))
        .unwrap_or_else(|| panic!("no first milestone of MO0018: {answer}"))
        .clone();
    assert_ne!(first["status"], "IN_PROGRESS", "{first}");
    let update = "mutation($id: ID!) { updateMilestone(input: { id: $id, status: IN_PROGRESS }) { status } }";
    let (status, answer) = graphql(port, Some(&focal), update, json!({ "id": first["id"] }));
    assert_eq!(status, 200, "{answer}");
    assert!(answer.get("errors").is_none(), "{answer}");
    assert_eq!(
        answer["data"]["updateMilestone"]["status"], "IN_PROGRESS",
        "{answer}"
    );
    let (_, answer) = graphql(port, None, milestones, json!({ "code": "MO0018" }));
    assert!(
        answer["data"]["commitment"]["milestones"]
            .as_array()
            .is_some_and(|all| all
                .iter()
                .any(|m| m["id"] == first["id"] && m["status"] == "IN_PROGRESS")),
        "the change was not kept: {answer}"
    );

    // A moderator is not the commitment's focal point.
    let (status, answer) = graphql(port, Some(&moderator), update, json!({ "id": first["id"] }));
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{answer}"
    );

    drop(server);
}

#[tokio::test]
async fn staff_token_issues_another_expiring_token_that_works() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let dir = dir.path();
    staff_command(
        dir,
        &[
            "staff",
            "add",
            "--email",
            "ops@example.org",
            "--name",
            "Ops",
            "--role",
            "moderator",
        ],
        None,
    )
    .assert_success("staff add");
    let issued = staff_command(
        dir,
        &[
            "staff",
            "token",
            "--email",
            "OPS@example.org",
            "--label",
            "dashboard",
            "--expires-in-days",
            "30",
        ],
        None,
    );
    issued.assert_success("staff token");
    assert!(issued.stdout.contains("expires"), "{}", issued.stdout);
    let token = printed_token(&issued);

    let url = sqlite_url(dir);
    let db = ogp_pulse::db::Database::connect(&url)
        .await
        .expect("open the database");
    let now = Utc::now();
    match credentials::authenticate(&db.conn, &token, now)
        .await
        .expect("query")
    {
        Ok(principal) => assert_eq!(principal.email, "ops@example.org"),
        Err(refusal) => panic!("the new token is refused: {refusal:?}"),
    }
    let later = now + chrono::Duration::days(31);
    let refusal = credentials::authenticate(&db.conn, &token, later)
        .await
        .expect("query");
    assert!(
        matches!(refusal, Err(credentials::Refusal::Expired)),
        "{refusal:?}"
    );

    let unknown = staff_command(
        dir,
        &[
            "staff",
            "token",
            "--email",
            "nobody@example.org",
            "--label",
            "x",
        ],
        None,
    );
    unknown.assert_clean_failure();
}
