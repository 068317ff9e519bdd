//! `goodhart report`: a self-contained HTML report (charts inlined as SVG,
//! no network requests, no scripts) and a Markdown twin that links the PNG
//! charts, built from result directories alone.
//!
//! The report is written for a reader who did not run the study: a title,
//! the date and the goodhart that made it; then for each result directory
//! the scenario's question, an executive summary in sentences with numbers
//! and 95% CIs generated from the results, the effect table, the chart that
//! answers the question, the method and the limitations; a glossary of
//! every metric used; and an appendix with the other charts (those added
//! with `goodhart plot` too), the parameters and the provenance. Print
//! styles make a clean PDF from a browser's print dialog. The HTML is also
//! well-formed XML, which the tests use to check it.

use crate::charts::ChartError;
use crate::model::metrics::Metric;
use crate::output::write_atomic;
use std::path::{Path, PathBuf};

mod explore;
mod figures;
mod render;
mod run;
mod sweep;
mod text;

/// Errors building a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
    #[error(transparent)]
    Read(#[from] crate::results::ReadError),
    #[error("{0}")]
    Data(String),
}

/// Escapes text for HTML (and XML).
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A table cell: its text, whether it is a number (right-aligned) and
/// whether it is emphasised (an effect whose interval excludes zero).
#[derive(Clone, Debug, Default)]
pub(crate) struct Cell {
    pub text: String,
    pub num: bool,
    pub strong: bool,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell {
            text: s.into(),
            ..Cell::default()
        }
    }
    pub fn num(s: impl Into<String>) -> Cell {
        Cell {
            text: s.into(),
            num: true,
            strong: false,
        }
    }
}

/// A captioned table with a header row and a note under it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Table {
    pub caption: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub note: String,
}

/// A chart: its title, the SVG inlined in the HTML, and the file the
/// Markdown twin links (relative to the report).
#[derive(Clone, Debug)]
pub(crate) struct Figure {
    pub title: String,
    pub html: String,
    pub link: String,
}

/// One result directory's part of the report.
pub(crate) struct Section {
    pub title: String,
    pub question: String,
    /// Executive summary: one sentence (or a few) per item.
    pub summary: Vec<String>,
    pub table: Option<Table>,
    /// The charts that answer the question (the first one first).
    pub answer: Vec<Figure>,
    pub method: Vec<String>,
    pub limitations: Vec<String>,
    /// Metrics named in the section, for the glossary.
    pub metrics: Vec<Metric>,
    pub appendix: Appendix,
}

/// What a section leaves for the appendix.
#[derive(Default)]
pub(crate) struct Appendix {
    pub figures: Vec<Figure>,
    pub tables: Vec<Table>,
    pub facts: Vec<(String, String)>,
}

/// The whole report.
pub(crate) struct Report {
    pub title: String,
    pub date: String,
    pub version: String,
    pub sections: Vec<Section>,
}

impl Report {
    /// Every metric any section names, in [`Metric::ALL`] order.
    pub fn glossary(&self) -> Vec<Metric> {
        Metric::ALL
            .iter()
            .copied()
            .filter(|m| self.sections.iter().any(|s| s.metrics.contains(m)))
            .collect()
    }
}

/// Today's date (UTC), or the date of `SOURCE_DATE_EPOCH` when it is set,
/// so that a report can be rebuilt byte for byte.
fn today() -> String {
    let now = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        // Up to the end of year 9999: the date has four digits.
        .filter(|&s| s <= 253_402_300_799)
        .map(|s| std::time::UNIX_EPOCH + std::time::Duration::from_secs(s))
        .unwrap_or_else(std::time::SystemTime::now);
    humantime::format_rfc3339_seconds(now).to_string()[..10].to_string()
}

fn section(dir: &Path, report_dir: &Path) -> Result<Section, ReportError> {
    let header: crate::results::manifest::Header = crate::results::manifest::read(dir)?;
    if header.kind == "sweep" {
        sweep::section(dir, report_dir)
    } else if header.kind == "explore" {
        explore::section(dir, report_dir)
    } else {
        run::section(dir, report_dir)
    }
}

/// Writes `out` (HTML) and its Markdown twin (same name, `.md`) for the
/// result directories `dirs`, titled `title` (by default "goodhart report:"
/// and the scenarios); returns both paths.
pub fn write_report(
    dirs: &[PathBuf],
    out: &Path,
    title: Option<&str>,
) -> Result<(PathBuf, PathBuf), ReportError> {
    if dirs.is_empty() {
        return Err(ReportError::Data(
            "give at least one result directory".into(),
        ));
    }
    if out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md"))
    {
        return Err(ReportError::Data(format!(
            "--out {}: give the HTML file (e.g. report.html); the Markdown twin is written beside it with .md",
            out.display()
        )));
    }
    // A directory named twice is reported once.
    let mut unique: Vec<PathBuf> = Vec::new();
    let mut seen = Vec::new();
    for d in dirs {
        let id = std::fs::canonicalize(d).unwrap_or_else(|_| d.clone());
        if !seen.contains(&id) {
            seen.push(id);
            unique.push(d.clone());
        }
    }
    let dirs = &unique;
    let report_dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(report_dir).map_err(|e| crate::output::io_error(report_dir, e))?;
    let sections = dirs
        .iter()
        .map(|d| section(d, report_dir))
        .collect::<Result<Vec<_>, _>>()?;
    let names: Vec<&str> = sections.iter().map(|s| s.title.as_str()).collect();
    let report = Report {
        title: title.map_or_else(
            || format!("goodhart report: {}", names.join(", ")),
            str::to_string,
        ),
        date: today(),
        version: crate::results::manifest::Header::new("report", "", "", None).version_text(),
        sections,
    };
    let md_path = out.with_extension("md");
    write_atomic(out, render::html(&report).as_bytes())?;
    write_atomic(&md_path, render::markdown(&report).as_bytes())?;
    Ok((out.to_path_buf(), md_path))
}
