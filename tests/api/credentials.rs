//! Staff managing their own API tokens: create (optionally expiring), list
//! without secrets, revoke their own and nobody else's.

use chrono::Duration;
use ogp_pulse::{clock::Clock, staff::Role};
use serde_json::json;

use crate::support::{TestApp, on_both_backends};

const CREATE: &str = "mutation($label: String!, $expiresAt: DateTime) { createApiToken(label: $label, expiresAt: $expiresAt) { token credential { id kind label expiresAt revokedAt } } }";

on_both_backends! {
    async fn staff_create_list_and_revoke_their_own_tokens(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let admin = app.staff("admin@example.org", &[Role::Admin], None).await;
        let moderator = app.staff("moderator@example.org", &[Role::Moderator], None).await;

        let expires_at = (app.clock.now() + Duration::days(30)).to_rfc3339();
        let reply = app
            .query_as(&moderator, CREATE, json!({ "label": "newsroom frontend", "expiresAt": expires_at }))
            .await;
        let created = reply.data()["createApiToken"].clone();
        let token = created["token"].as_str().expect("token").to_owned();
        assert!(token.starts_with("ogp_"));
        assert_eq!(created["credential"]["kind"], "API_TOKEN");
        assert_eq!(created["credential"]["label"], "newsroom frontend");

        let me = app.query_as(&token, "{ me { email credentials { id kind label expiresAt lastUsedAt revokedAt } } }", json!({})).await;
        assert_eq!(me.data()["me"]["email"], "moderator@example.org");
        let listed = me.data()["me"]["credentials"].as_array().expect("credentials").clone();
        assert_eq!(listed.len(), 2, "the account's first token and the new one");
        assert!(listed[0]["lastUsedAt"].is_string(), "use is recorded: {}", me.body);
        assert!(!me.body.to_string().contains(&token), "a token is shown only once");

        // Nobody revokes another account's credential, not even an admin.
        let id = created["credential"]["id"].clone();
        let reply = app.query_as(&admin, "mutation($id: Int!) { revokeCredential(id: $id) }", json!({ "id": id })).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT");
        let reply = app.query_as(&token, "{ me { email } }", json!({})).await;
        assert_eq!(reply.status.as_u16(), 200);

        let reply = app.query_as(&moderator, "mutation($id: Int!) { revokeCredential(id: $id) }", json!({ "id": id })).await;
        assert_eq!(reply.data()["revokeCredential"], true);
        let reply = app.query_as(&token, "{ me { email } }", json!({})).await;
        assert_eq!(reply.status.as_u16(), 401);
        assert_eq!(reply.error_code(), "UNAUTHENTICATED");
    }

    async fn an_expiring_token_stops_at_its_expiry(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let moderator = app.staff("moderator@example.org", &[Role::Moderator], None).await;
        let expires_at = (app.clock.now() + Duration::hours(1)).to_rfc3339();
        let reply = app.query_as(&moderator, CREATE, json!({ "label": "short-lived", "expiresAt": expires_at })).await;
        let token = reply.data()["createApiToken"]["token"].as_str().expect("token").to_owned();
        assert_eq!(app.query_as(&token, "{ me { email } }", json!({})).await.status.as_u16(), 200);
        app.clock.advance(Duration::minutes(61));
        let reply = app.query_as(&token, "{ me { email } }", json!({})).await;
        assert_eq!(reply.status.as_u16(), 401);
        assert!(reply.body["errors"][0]["message"].as_str().is_some_and(|m| m.contains("expired")), "{}", reply.body);

        // Anonymous callers cannot create tokens; past expiries are refused.
        let reply = app.query(CREATE, json!({ "label": "x" })).await;
        assert_eq!(reply.error_code(), "UNAUTHENTICATED");
        let past = (app.clock.now() - Duration::hours(1)).to_rfc3339();
        let reply = app.query_as(&moderator, CREATE, json!({ "label": "x", "expiresAt": past })).await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT");
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], "expiresAt");
    }
}
