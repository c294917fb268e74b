//! One language or all: negotiation, per-field fallback, every translation.

use ogp_pulse::import;
use serde_json::json;

use crate::support::{Backend, TestApp, bundled_json, mo0018, on_both_backends};

const TEXTS: &str = r#"{ commitment(code: "MO0018") {
    title language description
    milestones { title language }
    leadInstitution { name language }
    translations { language title description }
} }"#;

/// The bundled plan plus French texts for part of MO0018 (its title, its
/// first milestone and its lead institution), as a government would add them.
async fn with_some_french(backend: Backend) -> TestApp {
    let app = TestApp::bundled(backend).await;
    let mut catalog = bundled_json();
    let commitment = mo0018(&mut catalog);
    commitment["title"]["fr"] =
        json!("Communiquer à grande échelle sur l'adhésion du Maroc à l'OGP");
    commitment["milestones"][0]["title"]["fr"] = json!("Élaboration d'un plan de communication");
    catalog["institutions"][0]["name"]["fr"] =
        json!("Ministère de la Réforme de l'Administration et de la Fonction Publique");
    import::import_json(app.conn(), &catalog.to_string())
        .await
        .expect("the French texts import");
    app
}

on_both_backends! {
    async fn accept_language_selects_french_and_each_field_falls_back_alone(backend: Backend) {
        let app = with_some_french(backend).await;
        let reply = app.query_with_headers("/graphql", TEXTS, &[("accept-language", "fr-MA,fr;q=0.9,en;q=0.5")]).await;
        let c = &reply.data()["commitment"];
        assert_eq!(c["title"], "Communiquer à grande échelle sur l'adhésion du Maroc à l'OGP");
        assert_eq!(c["language"], "fr");
        // No French description exists: that field alone falls back to English.
        assert!(c["description"].as_str().is_some_and(|d| d.starts_with("This commitment consists")));
        assert_eq!(c["milestones"][0], json!({ "title": "Élaboration d'un plan de communication", "language": "fr" }));
        assert_eq!(c["milestones"][1], json!({ "title": "Implementation of the communication plan", "language": "en" }));
        assert_eq!(c["leadInstitution"]["language"], "fr");
        assert_eq!(reply.headers.get("vary").and_then(|v| v.to_str().ok()), Some("Accept-Language, Authorization, Accept-Encoding"));
    }

    async fn the_lang_parameter_overrides_the_header(backend: Backend) {
        let app = with_some_french(backend).await;
        let reply = app.query_with_headers("/graphql?lang=en", TEXTS, &[("accept-language", "fr")]).await;
        assert_eq!(reply.data()["commitment"]["language"], "en");
        let reply = app.query_with_headers("/graphql?lang=fr", TEXTS, &[]).await;
        assert_eq!(reply.data()["commitment"]["language"], "fr");
        let get = app.get(&format!("/graphql?lang=fr&query={}", "%7B%20commitment(code%3A%20%22MO0018%22)%20%7B%20language%20%7D%20%7D")).await;
        assert_eq!(get.data()["commitment"]["language"], "fr");
    }

    async fn repeated_requests_are_answered_from_the_cache_in_their_own_language(backend: Backend) {
        // The same bytes asked in French and in English, twice each: the
        // second round is answered from the cache (no statement), each time
        // in the language asked, whether the header or `lang` chose it.
        let app = with_some_french(backend).await;
        // (path, Accept-Language, language answered)
        let asks = [
            ("/graphql", "fr", "fr"),
            ("/graphql", "en", "en"),
            ("/graphql?lang=en", "fr", "en"),
        ];
        for round in 0..2 {
            for (path, accept, language) in asks {
                let headers = [("accept-language", accept)];
                let before = app.database.db.statements_run();
                let reply = app.query_with_headers(path, TEXTS, &headers).await;
                assert_eq!(reply.data()["commitment"]["language"], language, "{path} {headers:?}");
                let cost = app.database.db.statements_run() - before;
                if round == 1 {
                    assert_eq!(cost, 0, "{path} {headers:?} comes from the cache");
                }
            }
        }
    }

    async fn unknown_or_unavailable_languages_fall_back_to_english(backend: Backend) {
        let app = with_some_french(backend).await;
        for header in ["ar", "*", "xx-invalid-tag, ;q=", "es;q=1.0"] {
            let reply = app.query_with_headers("/graphql", TEXTS, &[("accept-language", header)]).await;
            assert_eq!(reply.data()["commitment"]["language"], "en", "{header}");
        }
        // Arabic first, then French: the first available preference wins.
        let reply = app.query_with_headers("/graphql", TEXTS, &[("accept-language", "ar, fr;q=0.8")]).await;
        assert_eq!(reply.data()["commitment"]["language"], "fr");
    }

    async fn translations_return_every_language(backend: Backend) {
        let app = with_some_french(backend).await;
        let reply = app.query(TEXTS, json!({})).await;
        let translations = &reply.data()["commitment"]["translations"];
        assert_eq!(translations.as_array().map(Vec::len), Some(2));
        assert_eq!(translations[0]["language"], "en");
        assert_eq!(translations[1]["language"], "fr");
        assert!(translations[1]["description"].is_null(), "no French description was published");
    }

    async fn a_record_without_english_answers_in_a_language_it_has(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let mut catalog = bundled_json();
        let commitment = mo0018(&mut catalog);
        commitment["title"] = json!({ "fr": "Titre seulement en français", "ar": "عنوان" });
        commitment["fullTitle"] = json!({});
        for section in ["publicProblem", "description", "howItContributes", "ogpRelevance", "additionalInformation"] {
            commitment[section] = json!({});
        }
        import::import_json(app.conn(), &catalog.to_string()).await.expect("import");
        let reply = app.query(r#"{ commitment(code: "MO0018") { title language } }"#, json!({})).await;
        // English is missing: the alphabetically first language is used.
        assert_eq!(reply.data()["commitment"], json!({ "title": "عنوان", "language": "ar" }));
    }
}
