//! `ogp-pulse import FILE`: loads a catalogue file (see `data/README.md`).
//!
//! An import is validated in full before anything is written, then applied
//! in one transaction: a bad file changes nothing. Records are matched by
//! their natural keys (country ISO code, institution/action plan/focal point
//! key, policy area name, commitment code, milestone position), so importing
//! the same file twice changes nothing and an edited file updates in place.
//! The file is the truth for what it mentions: a commitment's milestones,
//! translations and links become exactly those of the file. Records the file
//! does not mention are left alone.

mod apply;
mod format;
mod validate;

use std::{fmt, path::Path};

use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};

pub use format::FORMAT;

/// The Morocco 2018–2020 action plan, as the OGP publishes it.
pub const BUNDLED_CATALOG: &str = include_str!("../data/morocco-2018-2020.json");

/// One thing wrong with an import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Record and field, e.g. `actionPlans[morocco-2018-2020].commitments[MO0018].status`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("not a catalogue file: {0}")]
    Syntax(String),
    #[error("{} problem(s) in the file, nothing was imported:\n{}", .0.len(), ProblemList(.0))]
    Invalid(Vec<Problem>),
    #[error("import failed, nothing was imported: {0}")]
    Database(#[from] DbErr),
}

struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, problem) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

/// What an import did, counted in database rows.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    pub inserted: u64,
    pub updated: u64,
    pub deleted: u64,
}

impl ImportReport {
    pub fn changed_nothing(&self) -> bool {
        *self == Self::default()
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} rows inserted, {} updated, {} deleted",
            self.inserted, self.updated, self.deleted
        )
    }
}

pub async fn import_path(
    db: &DatabaseConnection,
    path: &Path,
) -> Result<ImportReport, ImportError> {
    let text = tokio::fs::read_to_string(path)
        .await
        .map_err(|source| ImportError::Read {
            path: path.display().to_string(),
            source,
        })?;
    import_json(db, &text).await
}

pub async fn import_json(db: &DatabaseConnection, text: &str) -> Result<ImportReport, ImportError> {
    let deserializer = &mut serde_json::Deserializer::from_str(text);
    let file: format::CatalogFile =
        serde_path_to_error::deserialize(deserializer).map_err(|err| {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if path == "." {
                ImportError::Syntax(inner.to_string())
            } else {
                ImportError::Syntax(format!("{path}: {inner}"))
            }
        })?;
    tracing::info!(
        source = file.source.as_deref().unwrap_or("unspecified"),
        "importing catalogue"
    );
    let problems = validate::validate(&file);
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    let txn = db.begin().await?;
    // Dropping `txn` without commit rolls back: any error below leaves the
    // database as it was.
    let report = apply::apply(&txn, &file).await?;
    if !report.changed_nothing() {
        // Running instances drop what they cached of the data (a milestone
        // deleted here unlinks feedback too, hence every area).
        crate::response_cache::note_external_write(&txn, crate::response_cache::ALL).await?;
    }
    txn.commit().await?;
    Ok(report)
}

/// Loads the bundled Morocco plan into an empty catalogue. Returns `None` when
/// the catalogue already holds data (nothing is touched then).
pub async fn load_bundled_if_empty(
    db: &DatabaseConnection,
) -> Result<Option<ImportReport>, ImportError> {
    use sea_orm::{EntityTrait, PaginatorTrait};
    if entity::commitment::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    import_json(db, BUNDLED_CATALOG).await.map(Some)
}
