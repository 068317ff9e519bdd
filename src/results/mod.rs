//! The result files' schema: one typed row per CSV file ([`rows`]) and one
//! typed manifest per kind of result ([`manifest`]), each defined once with
//! Serialize and Deserialize and used by every writer and every reader.
//!
//! CSV files are written through `csv::Writer` (a header from the row's
//! field names) and read by header name into typed rows; a malformed row
//! is an error naming the file and line. Result directories of an older
//! layout (before [`FORMAT_VERSION`]) are refused with a message saying
//! so, rather than read as garbage.

mod columns;
pub mod explore_rows;
pub mod manifest;
pub mod rows;

pub use columns::EXPLORE_COLUMNS;
pub use explore_rows::{BoxRow, OutcomeRow, RobustnessRow, TrajectoryRow};
pub use manifest::{RunManifest, SweepManifest};
pub use rows::{
    AgentRow, AggregateRow, Index, PointRow, RunRow, SensitivityRow, Statistic, SummaryRow,
    WeeklyRow,
};

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::Path;

/// The layout of result files this goodhart writes and reads: 2 since the
/// typed, tidy rows (`statistic` and integer `week` columns, swept
/// parameters in sweep rows).
pub const FORMAT_VERSION: u32 = 2;

/// Problems reading result files.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}, line {line}: {message}")]
    Row {
        path: String,
        line: u64,
        message: String,
    },
    #[error(
        "{path} was written by an older goodhart ({}; this one reads format {FORMAT_VERSION}): run the scenario again to rewrite it",
        if *.found == 0 { "its files have no format version".to_string() } else { format!("result format {}", .found) }
    )]
    Old { path: String, found: u32 },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// The error of a CSV reader at `path`, with the line it stopped at and
/// the column it concerns; a missing or unexpected column is the header's
/// (line 1), whichever row found it.
fn row_error(path: &Path, headers: &csv::StringRecord, e: csv::Error) -> ReadError {
    let mut line = e.position().map_or(0, |p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => {
            let what = err.kind().to_string();
            if [
                "unexpected column",
                "missing column",
                "unknown field",
                "missing field",
            ]
            .iter()
            .any(|p| what.starts_with(p))
            {
                line = 1;
            }
            match err.field().and_then(|i| headers.get(i as usize)) {
                Some(col) => format!("column `{col}`: {what}"),
                None => what,
            }
        }
        _ => e.to_string(),
    };
    ReadError::Row {
        path: path.display().to_string(),
        line,
        message,
    }
}

/// Calls `f` with every row of the CSV file `path`, in order, read by
/// header name into a `T`.
pub fn each_row<T: DeserializeOwned, E: From<ReadError>>(
    path: &Path,
    mut f: impl FnMut(T) -> Result<(), E>,
) -> Result<(), E> {
    let mut rdr = csv::Reader::from_path(path).map_err(|e| match e.into_kind() {
        csv::ErrorKind::Io(source) => ReadError::Io {
            path: path.display().to_string(),
            source,
        },
        other => ReadError::Invalid {
            path: path.display().to_string(),
            message: format!("{other:?}"),
        },
    })?;
    let headers = rdr
        .headers()
        .map_err(|e| row_error(path, &csv::StringRecord::new(), e))?
        .clone();
    for row in rdr.deserialize() {
        f(row.map_err(|e| row_error(path, &headers, e))?)?;
    }
    Ok(())
}

/// Every row of the CSV file `path`.
pub fn read_rows<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, ReadError> {
    let mut out = Vec::new();
    each_row(path, |r| {
        out.push(r);
        Ok::<(), ReadError>(())
    })?;
    Ok(out)
}

/// The CSV text of `rows`, with a header line unless `header` is false
/// (rows appended to a file that has one).
pub fn csv_text<T: Serialize>(
    rows: impl IntoIterator<Item = T>,
    header: bool,
) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(header)
        .from_writer(Vec::new());
    for r in rows {
        w.serialize(r)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests;
