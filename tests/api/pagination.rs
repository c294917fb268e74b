//! Keyset pagination, forwards and backwards, across page boundaries.

use serde_json::{Value, json};

use crate::support::{TestApp, all_codes, codes, on_both_backends};

const PAGE: &str = r#"query Page($first: Int, $after: String, $last: Int, $before: String, $order: CommitmentOrder) {
    commitments(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
        totalCount
        edges { cursor node { code } }
        nodes { code }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
}"#;

async fn page(app: &TestApp, variables: Value) -> Value {
    app.query(PAGE, variables).await.data()["commitments"].clone()
}

/// [`PAGE`] asking for the commitments' texts too, which come with the page
/// (`Listing::translated_page`) rather than after it.
const PAGE_WITH_TEXTS: &str = r#"query Page($first: Int, $after: String, $last: Int, $before: String, $order: CommitmentOrder) {
    commitments(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
        totalCount
        edges { cursor node { code } }
        nodes { code title translations { language title fullTitle } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
}"#;

/// The page info a query answered and the statements it ran.
async fn flags_and_statements(app: &TestApp, query: &str, variables: Value) -> (Value, u64) {
    let before = app.database.db.statements_run();
    let reply = app.query(query, variables).await;
    let statements = app.database.db.statements_run() - before;
    (reply.data()["commitments"]["pageInfo"].clone(), statements)
}

const ONE_WITH_TEXTS: &str = r#"query($code: String!) { commitment(code: $code) { title translations { language title fullTitle } } }"#;

on_both_backends! {
    async fn forward_pages_cover_the_list_once_in_order(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let mut seen = Vec::new();
        let mut after = Value::Null;
        let mut pages = 0;
        loop {
            let current = page(&app, json!({ "first": 10, "after": after })).await;
            pages += 1;
            assert_eq!(current["totalCount"], 24, "totalCount is the whole list on every page");
            assert_eq!(current["pageInfo"]["hasPreviousPage"], pages > 1);
            let edge_codes: Vec<String> = current["edges"].as_array().expect("edges").iter().map(|e| e["node"]["code"].as_str().expect("code").to_owned()).collect();
            assert_eq!(edge_codes, codes(&current));
            assert_eq!(current["pageInfo"]["endCursor"], current["edges"].as_array().and_then(|e| e.last()).map(|e| e["cursor"].clone()).unwrap_or(Value::Null));
            seen.extend(codes(&current));
            if current["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = current["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(pages, 3);
        assert_eq!(seen, all_codes());
    }

    async fn backward_pages_cover_the_list_once_in_order(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let last_page = page(&app, json!({ "last": 10 })).await;
        assert_eq!(codes(&last_page), all_codes()[14..].to_vec());
        assert_eq!(last_page["pageInfo"]["hasPreviousPage"], true);
        assert_eq!(last_page["pageInfo"]["hasNextPage"], false);

        let middle = page(&app, json!({ "last": 10, "before": last_page["pageInfo"]["startCursor"] })).await;
        assert_eq!(codes(&middle), all_codes()[4..14].to_vec());
        assert_eq!(middle["pageInfo"]["hasNextPage"], true);

        let first_page = page(&app, json!({ "last": 10, "before": middle["pageInfo"]["startCursor"] })).await;
        assert_eq!(codes(&first_page), all_codes()[..4].to_vec());
        assert_eq!(first_page["pageInfo"]["hasPreviousPage"], false);

        // And forwards again from a cursor met while going backwards.
        let again = page(&app, json!({ "first": 3, "after": first_page["pageInfo"]["endCursor"] })).await;
        assert_eq!(codes(&again), ["MO0005", "MO0006", "MO0007"]);
    }

    async fn a_window_between_two_cursors(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let all = page(&app, json!({ "first": 24 })).await;
        let edges = all["edges"].as_array().expect("edges").clone();
        let window = page(&app, json!({ "first": 50, "after": edges[2]["cursor"], "before": edges[6]["cursor"] })).await;
        assert_eq!(codes(&window), ["MO0004", "MO0005", "MO0006"]);
    }

    async fn descending_order_pages_and_keeps_its_cursors_apart(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let descending = json!({ "direction": "DESC" });
        let first = page(&app, json!({ "first": 3, "order": descending })).await;
        assert_eq!(codes(&first), ["MO0024", "MO0023", "MO0022"]);
        let next = page(&app, json!({ "first": 3, "after": first["pageInfo"]["endCursor"], "order": descending })).await;
        assert_eq!(codes(&next), ["MO0021", "MO0020", "MO0019"]);
        let back = page(&app, json!({ "last": 2, "before": next["pageInfo"]["startCursor"], "order": descending })).await;
        assert_eq!(codes(&back), ["MO0023", "MO0022"]);

        // A cursor of the ascending list means nothing in the descending one.
        let ascending = page(&app, json!({ "first": 1 })).await;
        let reply = app
            .query(PAGE, json!({ "first": 3, "after": ascending["pageInfo"]["endCursor"], "order": descending }))
            .await;
        assert_eq!(reply.error_code(), "BAD_USER_INPUT");
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], "after");
    }

    async fn pages_read_with_their_texts_are_the_same_pages(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let descending = json!({ "direction": "DESC" });
        let forward = page(&app, json!({ "first": 10 })).await;
        let backward = page(&app, json!({ "last": 10, "before": forward["pageInfo"]["endCursor"] })).await;
        let pages = [
            json!({ "first": 10 }),
            json!({ "first": 10, "after": forward["pageInfo"]["endCursor"] }),
            json!({ "last": 7 }),
            json!({ "last": 4, "before": backward["pageInfo"]["startCursor"] }),
            json!({ "first": 5, "order": descending }),
            json!({ "last": 5, "order": descending }),
            json!({ "first": 0 }),
        ];
        for variables in pages {
            let plain = page(&app, variables.clone()).await;
            let with_texts = app.query(PAGE_WITH_TEXTS, variables.clone()).await.data()["commitments"].clone();
            // The same items, cursors, count and neighbours...
            for field in ["totalCount", "edges", "pageInfo"] {
                assert_eq!(with_texts[field], plain[field], "{field} of {variables}");
            }
            assert_eq!(codes(&with_texts), codes(&plain), "{variables}");
            // ...each with its own texts, all of them, once: as the
            // commitment read alone has them.
            for node in with_texts["nodes"].as_array().expect("nodes") {
                let alone = app.query(ONE_WITH_TEXTS, json!({ "code": node["code"] })).await.data()["commitment"].clone();
                assert_eq!(node["title"], alone["title"], "{variables}");
                assert_eq!(node["translations"], alone["translations"], "{variables}");
                assert!(!alone["translations"].as_array().expect("translations").is_empty());
            }
        }
    }

    async fn the_flag_behind_a_cursor_is_read_only_when_asked_for(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let after = page(&app, json!({ "first": 5 })).await["pageInfo"]["endCursor"].clone();
        let before = page(&app, json!({ "last": 5 })).await["pageInfo"]["startCursor"].clone();
        // The page alone, and the page with its texts (read another way).
        for nodes in ["code", "code title"] {
            let forward = |flags: &str| {
                let fragment = if flags.contains("...Flags") { "fragment Flags on PageInfo { hasPreviousPage }" } else { "" };
                format!("query($after: String) {{ commitments(first: 5, after: $after) {{ nodes {{ {nodes} }} pageInfo {{ {flags} }} }} }} {fragment}")
            };
            let (asked, with_flag) = flags_and_statements(&app, &forward("hasPreviousPage hasNextPage"), json!({ "after": after })).await;
            assert_eq!(asked["hasPreviousPage"], true, "{nodes}: pages come before the cursor");
            let (_, without_flag) = flags_and_statements(&app, &forward("hasNextPage"), json!({ "after": after })).await;
            assert_eq!(without_flag, with_flag - 1, "{nodes}: one statement fewer without hasPreviousPage");
            let (fragment, through_fragment) = flags_and_statements(&app, &forward("hasNextPage ...Flags"), json!({ "after": after })).await;
            assert_eq!(fragment["hasPreviousPage"], true, "{nodes}: asked for in a fragment");
            assert_eq!(through_fragment, with_flag, "{nodes}: the fragment's flag is read");

            let backward = |flags: &str| format!(
                "query($before: String) {{ commitments(last: 5, before: $before) {{ nodes {{ {nodes} }} pageInfo {{ {flags} }} }} }}"
            );
            let (asked, with_flag) = flags_and_statements(&app, &backward("hasNextPage hasPreviousPage"), json!({ "before": before })).await;
            assert_eq!(asked["hasNextPage"], true, "{nodes}: pages come after the cursor");
            let (_, without_flag) = flags_and_statements(&app, &backward("hasPreviousPage"), json!({ "before": before })).await;
            assert_eq!(without_flag, with_flag - 1, "{nodes}: one statement fewer without hasNextPage");
        }
    }

    async fn default_page_size_is_25_and_zero_is_an_empty_page(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let everything = page(&app, json!({})).await;
        assert_eq!(codes(&everything).len(), 24);
        let empty = page(&app, json!({ "first": 0 })).await;
        assert_eq!(codes(&empty), Vec::<String>::new());
        assert_eq!(empty["pageInfo"]["hasNextPage"], true);
    }

    async fn page_arguments_are_checked(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        for (variables, field) in [
            (json!({ "first": 101 }), "first"),
            (json!({ "last": 500 }), "last"),
            (json!({ "first": -1 }), "first"),
            (json!({ "first": 1, "last": 1 }), "last"),
            (json!({ "first": 1, "after": "not-a-cursor" }), "after"),
            (json!({ "last": 1, "before": "djF8Y29kZS5hc2M" }), "before"),
        ] {
            let reply = app.query(PAGE, variables.clone()).await;
            assert_eq!(reply.error_code(), "BAD_USER_INPUT", "{variables}");
            assert_eq!(reply.body["errors"][0]["extensions"]["field"], field, "{variables}");
            assert!(reply.body["data"].is_null(), "{variables}");
        }
    }
}
