//! Where export rows go: serialized as CSV or JSON into chunks, each handed
//! to the reader through a bounded channel (the writer waits while the
//! reader is behind).

use bytes::Bytes;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use super::{CHUNK_BYTES, ExportError};

/// How an export is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// RFC 4180 CSV with a header row, UTF-8.
    Csv,
    /// A JSON array of objects keyed by column.
    Json,
}

impl Format {
    pub fn parse(extension: &str) -> Option<Self> {
        match extension {
            "csv" => Some(Self::Csv),
            "json" => Some(Self::Json),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        }
    }
}

pub struct Sink {
    format: Format,
    columns: &'static [&'static str],
    buffer: Vec<u8>,
    rows: u64,
    sender: mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl Sink {
    pub fn new(
        format: Format,
        columns: &'static [&'static str],
        sender: mpsc::Sender<Result<Bytes, std::io::Error>>,
    ) -> Self {
        Self {
            format,
            columns,
            buffer: Vec::with_capacity(CHUNK_BYTES * 2),
            rows: 0,
            sender,
        }
    }

    /// The header row, or the array's opening.
    pub async fn begin(&mut self) -> Result<(), ExportError> {
        match self.format {
            Format::Csv => {
                let cells = self.columns.iter().map(|c| Value::from(*c)).collect();
                self.csv_record(cells)?;
            }
            Format::Json => self.buffer.push(b'['),
        }
        Ok(())
    }

    /// One row, its cells in the order of the columns.
    pub async fn row(&mut self, cells: Vec<Value>) -> Result<(), ExportError> {
        debug_assert_eq!(cells.len(), self.columns.len());
        match self.format {
            Format::Csv => self.csv_record(cells)?,
            Format::Json => {
                if self.rows > 0 {
                    self.buffer.push(b',');
                }
                self.buffer.push(b'\n');
                let object: Map<String, Value> = self
                    .columns
                    .iter()
                    .map(|c| (*c).to_owned())
                    .zip(cells)
                    .collect();
                serde_json::to_writer(&mut self.buffer, &object).map_err(|err| {
                    ExportError::Failed(crate::error::AppError::Internal(err.to_string()))
                })?;
            }
        }
        self.rows += 1;
        if self.buffer.len() >= CHUNK_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    /// The array's end, and what is left.
    pub async fn finish(&mut self) -> Result<(), ExportError> {
        if self.format == Format::Json {
            self.buffer.extend_from_slice(b"\n]\n");
        }
        self.flush().await
    }

    async fn flush(&mut self) -> Result<(), ExportError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buffer));
        self.buffer.reserve(CHUNK_BYTES * 2);
        self.sender
            .send(Ok(chunk))
            .await
            .map_err(|_| ExportError::Closed)
    }

    fn csv_record(&mut self, cells: Vec<Value>) -> Result<(), ExportError> {
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(&mut self.buffer);
        let fields: Vec<String> = cells.into_iter().map(csv_text).collect();
        writer
            .write_record(&fields)
            .and_then(|()| writer.flush().map_err(csv::Error::from))
            .map_err(|err| ExportError::Failed(crate::error::AppError::Internal(err.to_string())))
    }
}

/// A cell as CSV text: empty for null.
fn csv_text(value: Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn written(format: Format, rows: Vec<Vec<Value>>) -> String {
        let (sender, mut receiver) = mpsc::channel(16);
        let mut sink = Sink::new(format, &["id", "text", "ok"], sender);
        sink.begin().await.ok();
        for row in rows {
            sink.row(row).await.ok();
        }
        sink.finish().await.ok();
        drop(sink);
        let mut out = Vec::new();
        while let Some(Ok(chunk)) = receiver.recv().await {
            out.extend_from_slice(&chunk);
        }
        String::from_utf8(out).unwrap_or_default()
    }

    #[tokio::test]
    async fn rows_become_csv_with_quotes_and_json_objects() {
        let rows = vec![
            vec![
                Value::from(1),
                Value::from("a, \"quoted\"\nline"),
                Value::from(true),
            ],
            vec![Value::from(2), Value::Null, Value::from(false)],
        ];
        let csv = written(Format::Csv, rows.clone()).await;
        assert_eq!(
            csv,
            "id,text,ok\n1,\"a, \"\"quoted\"\"\nline\",true\n2,,false\n"
        );
        let json = written(Format::Json, rows).await;
        let parsed: Value = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(parsed[0]["text"], "a, \"quoted\"\nline");
        assert_eq!(parsed[1]["text"], Value::Null);
        assert_eq!(written(Format::Json, Vec::new()).await, "[\n]\n");
    }
}
