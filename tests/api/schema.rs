//! The committed `schema.graphql` is the schema the code builds, and every
//! type and field frontends see is documented.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{Backend, TestApp};

#[test]
fn committed_schema_matches_the_code() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = ogp_pulse::graphql::sdl();
    if committed != generated {
        let diff = similar::TextDiff::from_lines(&committed, &generated)
            .unified_diff()
            .header("schema.graphql (committed)", "schema from the code")
            .to_string();
        panic!(
            "schema.graphql is out of date. Review the change below (fields may only be added or deprecated), then run\n    cargo run -- export-schema > schema.graphql\n\n{diff}"
        );
    }
}

#[tokio::test]
async fn every_type_field_and_enum_value_is_documented() {
    let app = TestApp::empty(Backend::Sqlite).await;
    let reply = app
        .query(
            "{ __schema { types { name kind description fields { name description } inputFields { name description } enumValues { name description } } } }",
            json!({}),
        )
        .await;
    let mut undocumented = Vec::new();
    let described = |item: &Value| {
        item["description"]
            .as_str()
            .is_some_and(|d| !d.trim().is_empty())
    };
    for ty in reply.data()["__schema"]["types"].as_array().expect("types") {
        let name = ty["name"].as_str().unwrap_or_default();
        let built_in =
            name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name);
        if built_in {
            continue;
        }
        // async-graphql generates connection types without a description;
        // their fields are documented and checked below.
        if !described(ty) && !name.ends_with("Connection") {
            undocumented.push(name.to_owned());
        }
        for list in ["fields", "inputFields", "enumValues"] {
            for item in ty[list].as_array().into_iter().flatten() {
                if !described(item) {
                    undocumented.push(format!(
                        "{name}.{}",
                        item["name"].as_str().unwrap_or_default()
                    ));
                }
            }
        }
    }
    assert!(
        undocumented.is_empty(),
        "add /// docs to: {undocumented:#?}"
    );
}
