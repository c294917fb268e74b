//! Open-data exports of an action plan — OGP's public repository
//! requirement: commitments, milestones, implementation updates, published
//! feedback, the responses ledger and the awareness series, as CSV or JSON.
//!
//! Rows are read in keyset batches and written to a bounded channel as the
//! reader takes them, so an export of ten million comments needs the memory
//! of one batch, not of the file. Columns are the same whatever the
//! language; texts are given in the language asked for (falling back like
//! the API), with a `language` column saying which one each row got.
//! Nothing personal is ever exported: no author names or addresses, no
//! visitor keys, no staff accounts.

mod datasets;
mod fingerprint;
mod sink;

use bytes::Bytes;
use entity::action_plan;
use sea_orm::DatabaseConnection;
use tokio::sync::mpsc;

pub use fingerprint::{Fingerprint, fingerprint};
pub use sink::Format;

use crate::{error::AppError, language::LanguagePreference};

/// Why writing an export stopped early.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The reader went away (the client hung up): nothing to report.
    #[error("the reader went away")]
    Closed,
    #[error(transparent)]
    Failed(#[from] AppError),
}

impl From<sea_orm::DbErr> for ExportError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Failed(err.into())
    }
}

/// What can be exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dataset {
    Commitments,
    Milestones,
    Updates,
    Feedback,
    Responses,
    Awareness,
}

impl Dataset {
    pub const ALL: [Self; 6] = [
        Self::Commitments,
        Self::Milestones,
        Self::Updates,
        Self::Feedback,
        Self::Responses,
        Self::Awareness,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Commitments => "commitments",
            Self::Milestones => "milestones",
            Self::Updates => "updates",
            Self::Feedback => "feedback",
            Self::Responses => "responses",
            Self::Awareness => "awareness",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.name() == text)
    }

    /// The columns, in order: documented in the README, the same for every
    /// language.
    pub fn columns(self) -> &'static [&'static str] {
        datasets::columns(self)
    }
}

/// One export to produce.
#[derive(Clone, Debug)]
pub struct Export {
    pub plan: action_plan::Model,
    pub dataset: Dataset,
    pub format: Format,
    pub language: LanguagePreference,
    /// Base of document links (`PUBLIC_URL`).
    pub public_url: String,
    /// Where the awareness series ends.
    pub now: chrono::DateTime<chrono::Utc>,
}

/// Rows kept in memory at once: one batch.
pub const BATCH: u64 = 1_000;
/// Bytes gathered before they are handed on.
const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks waiting for a slow reader before the writer pauses.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Starts writing `export`; its bytes arrive on the receiver in order. A
/// failure midway ends the stream with an error (and is logged), so a
/// client never mistakes half a file for a whole one.
pub fn start(
    db: DatabaseConnection,
    export: Export,
) -> mpsc::Receiver<Result<Bytes, std::io::Error>> {
    let (sender, receiver) = mpsc::channel(CHUNKS_IN_FLIGHT);
    tokio::spawn(async move {
        let mut sink = sink::Sink::new(export.format, export.dataset.columns(), sender.clone());
        let outcome = async {
            sink.begin().await?;
            datasets::write(&db, &export, &mut sink).await?;
            sink.finish().await
        }
        .await;
        match outcome {
            Ok(()) | Err(ExportError::Closed) => {}
            Err(ExportError::Failed(err)) => {
                tracing::error!(error = %err, dataset = export.dataset.name(), plan = %export.plan.key, "an export failed midway");
                let _ = sender
                    .send(Err(std::io::Error::other("the export failed midway")))
                    .await;
            }
        }
    });
    receiver
}

/// Writes `export` to `out` as it is produced (the command line's
/// `ogp-pulse export`); the number of bytes written.
pub async fn write_to(
    db: DatabaseConnection,
    export: Export,
    out: &mut impl std::io::Write,
) -> std::io::Result<u64> {
    let mut chunks = start(db, export);
    let mut written = 0;
    while let Some(chunk) = chunks.recv().await {
        let chunk = chunk?;
        out.write_all(&chunk)?;
        written += chunk.len() as u64;
    }
    out.flush()?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database that fails as soon as an export reads it: it has no tables.
    async fn broken_database() -> DatabaseConnection {
        sea_orm::Database::connect("sqlite::memory:")
            .await
            .expect("an in-memory database")
    }

    #[tokio::test]
    async fn an_export_that_fails_ends_in_an_error_not_a_short_file() {
        let export = Export {
            plan: action_plan::Model {
                id: 1,
                key: "morocco-2018-2020".to_owned(),
                country_id: 1,
                cycle_year: 2018,
                start_date: None,
                end_date: None,
                status: None,
                moderation_mode: "post".to_owned(),
            },
            dataset: Dataset::Feedback,
            format: Format::Csv,
            language: LanguagePreference::only(&crate::language::Language::english()),
            public_url: "http://127.0.0.1:8000".to_owned(),
            now: chrono::Utc::now(),
        };
        let mut chunks = start(broken_database().await, export);
        let mut items = Vec::new();
        while let Some(item) = chunks.recv().await {
            items.push(item);
        }
        assert!(
            matches!(items.last(), Some(Err(_))),
            "the stream must end with an error, got {} items",
            items.len()
        );
    }
}
