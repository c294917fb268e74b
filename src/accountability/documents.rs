//! Documents uploaded as evidence: checked (size, and a type read from the
//! bytes themselves), stored in the uploads folder under a random name, and
//! public once an update's evidence refers to them.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use entity::{evidence, evidence_document};
use rand_core::{OsRng, RngCore};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter,
};
use sha2::{Digest, Sha256};

use crate::{
    error::{AppError, AppResult},
    staff::{Actor, Role},
};

/// The types a document may have: what evidence usually is, and nothing a
/// browser would run.
pub const ACCEPTED_TYPES: [&str; 9] = [
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
];

/// Longest file name kept, in characters.
const MAX_FILE_NAME_CHARS: usize = 200;

/// Where documents are kept, and how large one may be.
#[derive(Clone, Debug)]
pub struct DocumentStore {
    pub dir: PathBuf,
    pub max_bytes: usize,
}

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum UploadRefusal {
    #[error("{0}")]
    Refused(#[from] AppError),
    /// The declared type is not accepted, or the bytes are not of that type.
    #[error("{0}")]
    UnsupportedType(String),
}

/// The declared content type without its parameters, lowercased.
fn media_type(declared: &str) -> String {
    declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Checks that `bytes` really are of the declared `media_type`.
fn check_type(media_type: &str, bytes: &[u8]) -> Result<(), UploadRefusal> {
    if !ACCEPTED_TYPES.contains(&media_type) {
        return Err(UploadRefusal::UnsupportedType(format!(
            "{media_type:?} is not accepted; send one of: {}",
            ACCEPTED_TYPES.join(", ")
        )));
    }
    let matches = match media_type {
        // Text has no signature: it must be UTF-8 without control bytes a
        // text file would not hold.
        "text/plain" | "text/csv" => std::str::from_utf8(bytes).is_ok_and(|text| {
            !text
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        }),
        expected => infer::get(bytes).is_some_and(|found| found.mime_type() == expected),
    };
    if matches {
        Ok(())
    } else {
        Err(UploadRefusal::UnsupportedType(format!(
            "the file's content is not {media_type}"
        )))
    }
}

/// The file name as shown to readers: its last path part, without control
/// characters, at most [`MAX_FILE_NAME_CHARS`].
fn clean_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(MAX_FILE_NAME_CHARS)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "document".to_owned()
    } else {
        cleaned
    }
}

fn random_name() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Stores an upload of `bytes` declared as `declared_type` and named
/// `file_name`, by staff who post updates (admins and focal points).
pub async fn upload(
    db: &DatabaseConnection,
    store: &DocumentStore,
    actor: &Actor,
    now: DateTime<Utc>,
    file_name: &str,
    declared_type: &str,
    bytes: &[u8],
) -> Result<evidence_document::Model, UploadRefusal> {
    let by = actor.staff()?;
    if !by.has(Role::Admin) && !by.has(Role::FocalPoint) {
        return Err(AppError::forbidden("upload evidence").into());
    }
    if bytes.is_empty() {
        return Err(AppError::bad_input("file", "the file is empty").into());
    }
    if bytes.len() > store.max_bytes {
        return Err(
            AppError::bad_input("file", format!("larger than {} bytes", store.max_bytes)).into(),
        );
    }
    let media_type = media_type(declared_type);
    check_type(&media_type, bytes)?;
    let stored_name = random_name();
    write_file(&store.dir, &stored_name, bytes).await?;
    let sha256: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let saved = evidence_document::ActiveModel {
        file_name: Set(clean_file_name(file_name)),
        content_type: Set(media_type),
        size_bytes: Set(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
        sha256: Set(sha256),
        stored_name: Set(stored_name.clone()),
        staff_id: Set(by.staff_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    match saved {
        Ok(row) => Ok(row),
        Err(err) => {
            // No row refers to the file: do not keep it.
            let _ = tokio::fs::remove_file(store.dir.join(&stored_name)).await;
            Err(AppError::from(err).into())
        }
    }
}

/// Writes the file under a temporary name first, so a reader never finds
/// half a file.
async fn write_file(dir: &Path, stored_name: &str, bytes: &[u8]) -> AppResult<()> {
    let failed = |err: std::io::Error| {
        AppError::Internal(format!(
            "cannot store an upload in {}: {err}",
            dir.display()
        ))
    };
    tokio::fs::create_dir_all(dir).await.map_err(failed)?;
    let partial = dir.join(format!("{stored_name}.partial"));
    tokio::fs::write(&partial, bytes).await.map_err(failed)?;
    tokio::fs::rename(&partial, dir.join(stored_name))
        .await
        .map_err(failed)
}

/// A public document and where its bytes are; none when there is no such
/// document or no evidence refers to it yet.
pub async fn published(
    db: &DatabaseConnection,
    store: &DocumentStore,
    id: i64,
) -> AppResult<Option<(evidence_document::Model, PathBuf)>> {
    let attached = evidence::Entity::find()
        .filter(evidence::Column::DocumentId.eq(id))
        .count(db)
        .await?
        > 0;
    if !attached {
        return Ok(None);
    }
    Ok(evidence_document::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|row| {
            let path = store.dir.join(&row.stored_name);
            (row, path)
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_what_its_bytes_say_not_what_it_is_called() {
        assert!(check_type("application/pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj").is_ok());
        assert!(matches!(
            check_type("application/pdf", b"just some text"),
            Err(UploadRefusal::UnsupportedType(_))
        ));
        assert!(
            check_type(
                "text/csv; charset=utf-8".split(';').next().unwrap_or(""),
                b"a,b\n1,2\n"
            )
            .is_ok()
        );
        assert!(check_type("text/plain", b"\x00\x01binary").is_err());
        assert!(check_type("application/x-msdownload", b"MZ\x90\x00").is_err());
    }

    #[test]
    fn file_names_lose_their_paths_and_control_characters() {
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("C:\\reports\\plan\u{7}.pdf"), "plan.pdf");
        assert_eq!(clean_file_name("   "), "document");
        assert_eq!(clean_file_name(".hidden"), "hidden");
    }
}
