//! Awareness figures from a spreadsheet: `ogp-pulse metrics import FILE.csv`.
//!
//! The file has a header row naming its columns, in any order:
//! `activity,kind,value,period_start,period_end,source` (the last two may be
//! left empty or out). Problems are reported by line of the file, the header
//! being line 1, and a file with any problem records nothing.

use std::fmt;

use chrono::NaiveDate;

use super::metrics::MetricRow;
use crate::{catalog::vocabulary::MetricKind, error::RowProblem};

/// Columns a file must have.
const REQUIRED: [&str; 4] = ["activity", "kind", "value", "period_start"];
/// Columns a file may have.
const OPTIONAL: [&str; 2] = ["period_end", "source"];

/// Something wrong on one line of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineProblem {
    pub line: u64,
    /// The column at fault, when there is one.
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for LineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(f, "line {}: {column}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// The rows of a file, each with the line it came from.
#[derive(Debug, Default)]
pub struct MetricsFile {
    pub rows: Vec<MetricRow>,
    lines: Vec<u64>,
}

impl MetricsFile {
    /// The problems of recording, by line of the file.
    pub fn locate(&self, problems: Vec<RowProblem>) -> Vec<LineProblem> {
        problems
            .into_iter()
            .map(|problem| LineProblem {
                line: self.lines.get(problem.row).copied().unwrap_or_default(),
                column: Some(column_of(&problem.field).to_owned()),
                message: problem.message,
            })
            .collect()
    }
}

/// The file column behind a field of a recorded row.
fn column_of(field: &str) -> &str {
    match field {
        "activityId" => "activity",
        "periodStart" => "period_start",
        "periodEnd" => "period_end",
        other => other,
    }
}

fn problem(line: u64, column: &str, message: impl Into<String>) -> LineProblem {
    LineProblem {
        line,
        column: Some(column.to_owned()),
        message: message.into(),
    }
}

fn date(line: u64, column: &str, text: &str) -> Result<NaiveDate, LineProblem> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| problem(line, column, format!("{text:?} is not a date (YYYY-MM-DD)")))
}

/// Reads a file: the rows that could be read, and the problems of the
/// others (of the whole file when its header is wrong). `activity` turns the
/// text of the activity column (an id as the API shows it, or a plain
/// number) into an activity's number.
pub fn parse(
    text: &str,
    activity: impl Fn(&str) -> Option<i64>,
) -> (MetricsFile, Vec<LineProblem>) {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(err) => {
            return (
                MetricsFile::default(),
                vec![problem(1, "header", err.to_string())],
            );
        }
    };
    let position = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let mut problems = Vec::new();
    for name in REQUIRED {
        if position(name).is_none() {
            problems.push(problem(1, name, "missing column"));
        }
    }
    for header in &headers {
        let known = REQUIRED
            .iter()
            .chain(OPTIONAL.iter())
            .any(|name| header.eq_ignore_ascii_case(name));
        if !known {
            problems.push(problem(1, header, "unknown column"));
        }
    }
    if !problems.is_empty() {
        return (MetricsFile::default(), problems);
    }

    let mut file = MetricsFile::default();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                let line = err.position().map_or(0, csv::Position::line);
                problems.push(LineProblem {
                    line,
                    column: None,
                    message: err.to_string(),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, csv::Position::line);
        let field = |name: &str| {
            position(name)
                .and_then(|index| record.get(index))
                .filter(|value| !value.is_empty())
        };
        let row = (|| {
            let activity_text =
                field("activity").ok_or_else(|| problem(line, "activity", "missing"))?;
            let activity_id = activity(activity_text).ok_or_else(|| {
                problem(
                    line,
                    "activity",
                    "not an activity id (use the id the API shows)",
                )
            })?;
            let kind_text = field("kind").ok_or_else(|| problem(line, "kind", "missing"))?;
            let kind = MetricKind::parse(&kind_text.to_ascii_lowercase()).ok_or_else(|| {
                problem(line, "kind", format!("one of {}", MetricKind::expected()))
            })?;
            let value_text = field("value").ok_or_else(|| problem(line, "value", "missing"))?;
            let value = value_text
                .parse::<i64>()
                .map_err(|_| problem(line, "value", "a whole number"))?;
            let start_text =
                field("period_start").ok_or_else(|| problem(line, "period_start", "missing"))?;
            let period_start = date(line, "period_start", start_text)?;
            let period_end = field("period_end")
                .map(|text| date(line, "period_end", text))
                .transpose()?;
            Ok::<_, LineProblem>(MetricRow {
                activity_id,
                kind,
                value,
                period_start,
                period_end,
                source: field("source").map(str::to_owned),
            })
        })();
        match row {
            Ok(row) => {
                file.rows.push(row);
                file.lines.push(line);
            }
            Err(found) => problems.push(found),
        }
    }
    (file, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> Option<i64> {
        text.parse().ok()
    }

    #[test]
    fn reads_rows_in_any_column_order_and_case() {
        let text = "kind,activity,value,period_start,period_end,source\n\
                    REACH,7,1200,2019-03-04,2019-03-10,platform analytics\n\
                    media_mentions,7,3,2019-03-04,,\n";
        let (file, problems) = parse(text, number);
        assert_eq!(problems, vec![]);
        assert_eq!(file.rows.len(), 2);
        assert_eq!(file.rows[0].kind, MetricKind::Reach);
        assert_eq!(file.rows[0].value, 1200);
        assert_eq!(file.rows[1].period_end, None);
        assert_eq!(file.rows[1].source, None);
        assert_eq!(file.lines, vec![2, 3]);
    }

    #[test]
    fn reports_every_bad_line_by_its_number() {
        let text = "activity,kind,value,period_start\n\
                    7,reach,10,2019-03-04\n\
                    7,reach,ten,2019-03-04\n\
                    x,reach,10,2019-03-04\n\
                    7,likes,10,2019-13-01\n";
        let (file, problems) = parse(text, number);
        assert_eq!(
            file.rows.len(),
            1,
            "the good row is kept for further checks"
        );
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 3, "{shown:?}");
        assert!(shown[0].starts_with("line 3: value:"), "{shown:?}");
        assert!(shown[1].starts_with("line 4: activity:"), "{shown:?}");
        assert!(shown[2].starts_with("line 5: kind:"), "{shown:?}");
    }

    #[test]
    fn a_missing_column_is_reported_on_the_header() {
        let (_, problems) = parse("activity,kind,value\n7,reach,1\n", number);
        assert_eq!(
            problems[0].to_string(),
            "line 1: period_start: missing column"
        );
    }
}
