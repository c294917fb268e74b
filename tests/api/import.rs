//! `ogp_pulse::import`: importing twice changes nothing, an edited file
//! updates in place, and a bad file is refused whole, naming record and field.

use std::collections::BTreeMap;

use entity::{
    action_plan, action_plan_translation, campaign, campaign_commitment, campaign_milestone,
    commitment, commitment_focal_point, commitment_policy_area, commitment_relation,
    commitment_support_institution, commitment_translation, country, focal_point, institution,
    institution_translation, milestone, milestone_translation, policy_area,
};
use ogp_pulse::{
    config::ApiArgs,
    import::{self, ImportError, ImportReport, Problem},
};
use sea_orm::{
    DatabaseConnection, EntityTrait, IdenStatic, Iterable, PaginatorTrait, PrimaryKeyToColumn,
};
use serde_json::{Value, json};

use crate::support::{TestApp, bundled_json, mo0018, on_both_backends};

const PLAN: &str = "actionPlans[morocco-2018-2020]";

/// Every row of every catalogue table: table name → primary key → row.
type Dump = BTreeMap<&'static str, BTreeMap<String, Value>>;

/// Reads all rows of one table into the dump, keyed by primary key.
async fn dump_table<E: EntityTrait>(conn: &DatabaseConnection, dump: &mut Dump) {
    let table = E::default().table_name();
    let key_columns: Vec<&'static str> = E::PrimaryKey::iter()
        .map(|key| key.into_column().as_str())
        .collect();
    let rows = E::find()
        .into_json()
        .all(conn)
        .await
        .unwrap_or_else(|err| panic!("cannot read table {table}: {err}"));
    let mut keyed = BTreeMap::new();
    for row in rows {
        let key = key_columns
            .iter()
            .map(|column| {
                let value = &row[*column];
                assert!(
                    !value.is_null(),
                    "{table}.{column} is a key and cannot be null: {row}"
                );
                value.to_string()
            })
            .collect::<Vec<_>>()
            .join("/");
        let previous = keyed.insert(key, row);
        assert!(
            previous.is_none(),
            "two rows of {table} share a primary key"
        );
    }
    assert!(
        dump.insert(table, keyed).is_none(),
        "table {table} dumped twice"
    );
}

/// All fifteen catalogue tables, row by row.
async fn dump(conn: &DatabaseConnection) -> Dump {
    let mut dump = Dump::new();
    dump_table::<country::Entity>(conn, &mut dump).await;
    dump_table::<institution::Entity>(conn, &mut dump).await;
    dump_table::<institution_translation::Entity>(conn, &mut dump).await;
    dump_table::<policy_area::Entity>(conn, &mut dump).await;
    dump_table::<focal_point::Entity>(conn, &mut dump).await;
    dump_table::<action_plan::Entity>(conn, &mut dump).await;
    dump_table::<action_plan_translation::Entity>(conn, &mut dump).await;
    dump_table::<commitment::Entity>(conn, &mut dump).await;
    dump_table::<commitment_translation::Entity>(conn, &mut dump).await;
    dump_table::<commitment_support_institution::Entity>(conn, &mut dump).await;
    dump_table::<commitment_policy_area::Entity>(conn, &mut dump).await;
    dump_table::<commitment_relation::Entity>(conn, &mut dump).await;
    dump_table::<commitment_focal_point::Entity>(conn, &mut dump).await;
    dump_table::<milestone::Entity>(conn, &mut dump).await;
    dump_table::<milestone_translation::Entity>(conn, &mut dump).await;
    dump_table::<campaign::Entity>(conn, &mut dump).await;
    dump_table::<campaign_commitment::Entity>(conn, &mut dump).await;
    dump_table::<campaign_milestone::Entity>(conn, &mut dump).await;
    assert_eq!(dump.len(), 18);
    dump
}

fn row_count(dump: &Dump) -> u64 {
    dump.values().map(|rows| rows.len() as u64).sum()
}

/// The rows that really changed between two dumps, counted like a report.
fn changes(before: &Dump, after: &Dump) -> ImportReport {
    let mut report = ImportReport::default();
    let empty = BTreeMap::new();
    for (table, after_rows) in after {
        let before_rows = before.get(table).unwrap_or(&empty);
        for (key, row) in after_rows {
            match before_rows.get(key) {
                None => report.inserted += 1,
                Some(old) if old != row => report.updated += 1,
                Some(_) => {}
            }
        }
        report.deleted += before_rows
            .keys()
            .filter(|key| !after_rows.contains_key(*key))
            .count() as u64;
    }
    report
}

/// The problems of an import that must have been refused as invalid.
fn problems(result: Result<ImportReport, ImportError>) -> Vec<Problem> {
    match result {
        Err(ImportError::Invalid(problems)) => problems,
        other => panic!("expected ImportError::Invalid, got {other:?}"),
    }
}

/// The sorted paths of a list of problems.
fn paths(problems: &[Problem]) -> Vec<String> {
    let mut paths: Vec<String> = problems.iter().map(|p| p.path.clone()).collect();
    paths.sort();
    paths
}

fn problem<'a>(problems: &'a [Problem], path: &str) -> &'a Problem {
    problems
        .iter()
        .find(|p| p.path == path)
        .unwrap_or_else(|| panic!("no problem at {path} in {problems:?}"))
}

fn syntax_message(result: Result<ImportReport, ImportError>) -> String {
    match result {
        Err(ImportError::Syntax(message)) => message,
        other => panic!("expected ImportError::Syntax, got {other:?}"),
    }
}

/// The commitments of the bundled plan (to be edited).
fn commitments(catalog: &mut Value) -> &mut Vec<Value> {
    catalog["actionPlans"][0]["commitments"]
        .as_array_mut()
        .expect("commitments")
}

fn commitment_record<'a>(catalog: &'a mut Value, code: &str) -> &'a mut Value {
    commitments(catalog)
        .iter_mut()
        .find(|c| c["code"] == code)
        .unwrap_or_else(|| panic!("{code} is bundled"))
}

const MO0018: &str =
    r#"{ commitment(code: "MO0018") { id title milestones { title } focalPoints { phone } } }"#;

on_both_backends! {
    async fn importing_the_bundled_file_twice_changes_nothing(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let before = dump(app.conn()).await;
        assert_eq!(before["commitment"].len(), 24, "the bundled plan has 24 commitments");
        assert_eq!(before["milestone"].len(), 3);
        assert_eq!(before["commitment_relation"].len(), 23);

        let report = import::import_json(app.conn(), import::BUNDLED_CATALOG)
            .await
            .expect("the bundled file imports again");
        assert!(report.changed_nothing(), "a second import reported changes: {report}");
        assert_eq!(report, ImportReport::default());
        assert_eq!(dump(app.conn()).await, before, "the second import changed rows");
    }

    async fn an_edited_file_updates_in_place(backend: Backend) {
        // Without the response cache: this reads right after writing
        // around the API (the cache learns of such writes within a second).
        let app = TestApp::with_api(backend, ApiArgs { response_cache_ttl_seconds: 0, ..ApiArgs::default() }).await;
        import::load_bundled_if_empty(app.conn()).await.expect("bundled data");
        let old = app.query(MO0018, json!({})).await;
        let old = &old.data()["commitment"];
        assert_eq!(old["milestones"].as_array().map(Vec::len), Some(3));
        let before = dump(app.conn()).await;

        let mut catalog = bundled_json();
        let record = mo0018(&mut catalog);
        record["title"]["en"] = json!("Telling everyone about Morocco and the OGP");
        record["title"]["fr"] = json!("Communiquer largement sur l'adhésion du Maroc à l'OGP");
        record["milestones"]
            .as_array_mut()
            .expect("milestones")
            .truncate(2);
        catalog["focalPoints"][0]["phone"] = json!("+212 5 37 00 00 00");
        // The communication plan no longer names the dropped milestone.
        catalog["campaigns"][0]["milestones"]
            .as_array_mut()
            .expect("campaign milestones")
            .truncate(2);
        let edited = catalog.to_string();

        let report = import::import_json(app.conn(), &edited)
            .await
            .expect("the edited file imports");
        let after = dump(app.conn()).await;
        // One French translation inserted; the English title and the phone
        // updated; the third milestone, its translation and the campaign's
        // link to it deleted.
        assert_eq!(report, ImportReport { inserted: 1, updated: 2, deleted: 3 }, "{report}");
        assert_eq!(
            changes(&before, &after),
            ImportReport { inserted: 1, updated: 2, deleted: 3 },
            "rows changed in the database"
        );
        assert_eq!(after["milestone"].len(), 2);
        assert_eq!(
            after["milestone_translation"].len(),
            2,
            "the deleted milestone's translation must not be left behind"
        );
        assert_eq!(after["commitment"], before["commitment"], "commitment rows keep their ids");

        let new = app.query(MO0018, json!({})).await;
        let new = &new.data()["commitment"];
        assert_eq!(new["id"], old["id"], "MO0018 keeps its id");
        assert_eq!(new["title"], "Telling everyone about Morocco and the OGP");
        assert_eq!(
            new["milestones"],
            json!([
                { "title": "Development of a communication plan about Open Government" },
                { "title": "Implementation of the communication plan" }
            ])
        );
        assert_eq!(new["focalPoints"], json!([{ "phone": "+212 5 37 00 00 00" }]));
        let french = app
            .query_with_headers("/graphql", MO0018, &[("accept-language", "fr")])
            .await;
        assert_eq!(
            french.data()["commitment"]["title"],
            "Communiquer largement sur l'adhésion du Maroc à l'OGP"
        );

        // The edited file is now the state: importing it again changes nothing.
        let again = import::import_json(app.conn(), &edited)
            .await
            .expect("the edited file imports again");
        assert!(again.changed_nothing(), "{again}");
        assert_eq!(dump(app.conn()).await, after);
    }

    async fn the_report_counts_the_rows_the_import_changed(backend: Backend) {
        let app = TestApp::empty(backend).await;
        let empty = dump(app.conn()).await;
        assert_eq!(row_count(&empty), 0);
        let report = import::import_json(app.conn(), import::BUNDLED_CATALOG)
            .await
            .expect("the bundled file imports");
        let bundled = dump(app.conn()).await;
        assert_eq!(report, changes(&empty, &bundled), "first import of the bundled file");
        assert_eq!(report.inserted, row_count(&bundled));

        let mut catalog = bundled_json();
        mo0018(&mut catalog)["milestones"]
            .as_array_mut()
            .expect("milestones")
            .truncate(2);
        catalog["campaigns"][0]["milestones"]
            .as_array_mut()
            .expect("campaign milestones")
            .truncate(2);
        let report = import::import_json(app.conn(), &catalog.to_string())
            .await
            .expect("the edited file imports");
        let edited = dump(app.conn()).await;
        // `ImportReport` counts database rows: the milestone and its English
        // translation are 2 deleted rows (the committed apply.rs counted 1,
        // letting ON DELETE CASCADE remove the translation uncounted).
        assert_eq!(report, changes(&bundled, &edited), "dropping MO0018's third milestone");
    }

    async fn a_bad_file_changes_nothing_and_names_each_record_and_field(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let before = dump(app.conn()).await;

        let mut catalog = bundled_json();
        let record = mo0018(&mut catalog);
        record["status"] = json!("paused");
        record["milestones"][0]["startDate"] = json!("2018-13");
        // A valid change too: it must not be written either.
        record["title"]["en"] = json!("A title that must not be written");
        catalog["institutions"][2]["kind"] = json!("ngo");
        catalog["institutions"][0]["name"]["English"] = json!("Ministry of Administration Reform");
        commitment_record(&mut catalog, "MO0001")["title"] = json!({});

        let result = import::import_json(app.conn(), &catalog.to_string()).await;
        let message = match &result {
            Err(err) => err.to_string(),
            Ok(report) => panic!("a bad file was imported: {report}"),
        };
        let problems = problems(result);
        let expected = [
            format!("{PLAN}.commitments[MO0001].title"),
            format!("{PLAN}.commitments[MO0018].milestones[1].startDate"),
            format!("{PLAN}.commitments[MO0018].status"),
            "institutions[civil-society].kind".to_owned(),
            "institutions[mrafp].name.English".to_owned(),
        ];
        assert_eq!(paths(&problems), expected, "{problems:#?}");
        for path in &expected {
            assert!(message.contains(path.as_str()), "the error does not name {path}: {message}");
        }
        assert!(problem(&problems, &format!("{PLAN}.commitments[MO0018].status")).message.contains("paused"));
        assert!(problem(&problems, "institutions[civil-society].kind").message.contains("ngo"));
        assert!(problem(&problems, &format!("{PLAN}.commitments[MO0018].milestones[1].startDate")).message.contains("2018-13"));
        assert!(message.starts_with("5 problem(s)"), "{message}");

        assert_eq!(dump(app.conn()).await, before, "a refused file changed the database");
    }

    async fn unknown_references_are_refused_and_nothing_is_written(backend: Backend) {
        let app = TestApp::empty(backend).await;
        let mut catalog = bundled_json();
        commitment_record(&mut catalog, "MO0001")["leadInstitution"] = json!("nope");
        let record = mo0018(&mut catalog);
        record["supportInstitutions"] = json!(["civil-society", "nope"]);
        record["policyAreas"] = json!(["E-Government", "Nope"]);
        record["focalPoints"] = json!(["amal-alami", "nope"]);
        // MO0001 is not written (its lead institution is unknown), so MO0018
        // does not name it: only the unknown MO9999 is reported here.
        record["relatedCommitments"] = json!(["MO0002", "MO9999"]);

        let problems = problems(import::import_json(app.conn(), &catalog.to_string()).await);
        assert_eq!(
            paths(&problems),
            [
                format!("{PLAN}.commitments[MO0001].leadInstitution"),
                format!("{PLAN}.commitments[MO0018].focalPoints"),
                format!("{PLAN}.commitments[MO0018].policyAreas"),
                format!("{PLAN}.commitments[MO0018].relatedCommitments"),
                format!("{PLAN}.commitments[MO0018].supportInstitutions"),
            ],
            "{problems:#?}"
        );
        assert!(problem(&problems, &format!("{PLAN}.commitments[MO0018].relatedCommitments")).message.contains("MO9999"));
        assert!(problem(&problems, &format!("{PLAN}.commitments[MO0018].policyAreas")).message.contains("Nope"));

        // Countries, institutions… were written inside the transaction before
        // the problems were found: all of it must have been rolled back.
        assert_eq!(country::Entity::find().count(app.conn()).await.expect("count countries"), 0);
        let after = dump(app.conn()).await;
        assert_eq!(row_count(&after), 0, "rows left behind: {after:#?}");
    }

    async fn a_problem_found_while_applying_rolls_back_earlier_updates(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let before = dump(app.conn()).await;
        let mut catalog = bundled_json();
        catalog["countries"][0]["name"] = json!("Kingdom of Morocco");
        mo0018(&mut catalog)["title"]["en"] = json!("A title that must not be written");
        commitment_record(&mut catalog, "MO0024")["leadInstitution"] = json!("nope");

        let problems = problems(import::import_json(app.conn(), &catalog.to_string()).await);
        assert_eq!(paths(&problems), [format!("{PLAN}.commitments[MO0024].leadInstitution")]);
        assert_eq!(dump(app.conn()).await, before, "updates before the problem were kept");
    }

    async fn a_file_that_is_not_a_catalogue_is_a_syntax_error_with_its_path(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let before = dump(app.conn()).await;

        let mut catalog = bundled_json();
        mo0018(&mut catalog)["titel"] = json!({ "en": "typo" });
        let message = syntax_message(import::import_json(app.conn(), &catalog.to_string()).await);
        // Syntax errors locate by position (MO0018 is the 18th commitment),
        // as serde_path_to_error reports them.
        assert!(message.starts_with("actionPlans[0].commitments[17].titel: "), "{message}");
        assert!(message.contains("unknown field `titel`"), "{message}");

        let mut catalog = bundled_json();
        catalog["actionPlans"][0]["cycleYear"] = json!("2018");
        let message = syntax_message(import::import_json(app.conn(), &catalog.to_string()).await);
        assert!(message.starts_with("actionPlans[0].cycleYear"), "{message}");

        let mut catalog = bundled_json();
        // Positions here count from 0: this is MO0018's second milestone.
        mo0018(&mut catalog)["milestones"][1]["title"] = json!("not a map of languages");
        let message = syntax_message(import::import_json(app.conn(), &catalog.to_string()).await);
        assert!(message.starts_with("actionPlans[0].commitments[17].milestones[1].title"), "{message}");

        let message = syntax_message(import::import_json(app.conn(), "{ \"format\": ").await);
        assert!(!message.is_empty());

        assert_eq!(dump(app.conn()).await, before);
    }

    async fn an_unknown_format_is_refused_with_path_format(backend: Backend) {
        let app = TestApp::empty(backend).await;
        let mut catalog = bundled_json();
        catalog["format"] = json!("ogp-pulse/catalog-v2");
        let problems = problems(import::import_json(app.conn(), &catalog.to_string()).await);
        assert_eq!(paths(&problems), ["format"]);
        assert!(problems[0].message.contains("ogp-pulse/catalog-v2"), "{problems:?}");
        assert!(problems[0].message.contains(import::FORMAT), "{problems:?}");
        assert_eq!(row_count(&dump(app.conn()).await), 0);
    }

    async fn the_bundled_plan_is_loaded_only_into_an_empty_catalogue(backend: Backend) {
        let app = TestApp::empty(backend).await;
        let report = import::load_bundled_if_empty(app.conn())
            .await
            .expect("the bundled plan loads")
            .expect("an empty catalogue gets the bundled plan");
        let loaded = dump(app.conn()).await;
        assert_eq!(loaded["commitment"].len(), 24);
        assert_eq!(report.inserted, row_count(&loaded), "{report}");
        assert_eq!((report.updated, report.deleted), (0, 0), "{report}");

        let again = import::load_bundled_if_empty(app.conn()).await.expect("no error");
        assert_eq!(again, None, "a catalogue with commitments is left alone");
        assert_eq!(dump(app.conn()).await, loaded);

        // Any commitment at all means "not empty": the bundled plan is not
        // merged into someone else's catalogue.
        let other = TestApp::empty(backend).await;
        let mut catalog = bundled_json();
        commitments(&mut catalog).retain(|c| c["code"] == "MO0001");
        catalog["campaigns"] = json!([]);
        import::import_json(other.conn(), &catalog.to_string())
            .await
            .expect("a one-commitment catalogue imports");
        let before = dump(other.conn()).await;
        assert_eq!(before["commitment"].len(), 1);
        let none = import::load_bundled_if_empty(other.conn()).await.expect("no error");
        assert_eq!(none, None);
        assert_eq!(dump(other.conn()).await, before);
    }

    async fn an_invalid_email_is_reported_without_the_address(backend: Backend) {
        let app = TestApp::bundled(backend).await;
        let before = dump(app.conn()).await;
        let mut catalog = bundled_json();
        catalog["focalPoints"][0]["email"] = json!("a.alami.private-mmsp.gov.ma");
        catalog["focalPoints"]
            .as_array_mut()
            .expect("focal points")
            .push(json!({ "key": "second-contact", "name": "Someone Else", "email": "someone.else@localhost" }));

        let result = import::import_json(app.conn(), &catalog.to_string()).await;
        let shown = match &result {
            Err(err) => format!("{err} {err:?}"),
            Ok(report) => panic!("a bad email was imported: {report}"),
        };
        let problems = problems(result);
        assert_eq!(
            paths(&problems),
            ["focalPoints[amal-alami].email", "focalPoints[second-contact].email"],
            "{problems:#?}"
        );
        for secret in ["a.alami.private-mmsp.gov.ma", "private-mmsp", "someone.else@localhost", "someone.else"] {
            assert!(!shown.contains(secret), "the error shows contact data {secret:?}: {shown}");
        }
        assert_eq!(dump(app.conn()).await, before);
    }
}
