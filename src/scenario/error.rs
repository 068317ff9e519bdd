//! Located errors in scenario files.
//!
//! Every problem found in a scenario becomes a [`Diagnostic`] with the byte
//! span it concerns; [`ScenarioError`] renders them as
//! `file:line:column: message`, the offending line with a caret, and a
//! `help:` line saying how to fix it. All problems are collected, so one
//! `goodhart validate` shows every mistake at once.

use std::fmt;
use std::ops::Range;

/// One problem at one place.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub span: Option<Range<usize>>,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            span: Some(span),
            message: message.into(),
            help: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Problems reading a scenario: I/O, TOML syntax or invalid content.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", render(.path, .text, .diagnostics))]
    Invalid {
        path: String,
        text: String,
        diagnostics: Vec<Diagnostic>,
    },
}

impl ScenarioError {
    /// The diagnostics, empty for I/O errors.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ScenarioError::Io { .. } => &[],
            ScenarioError::Invalid { diagnostics, .. } => diagnostics,
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    LineIndex::new(text).line_col(text, offset)
}

/// The byte offset where each line starts, so that locating a diagnostic
/// takes a binary search instead of a scan from the top of the file.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    /// 1-based line and column (in characters) of byte `offset`.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        (line, text[start..offset].chars().count() + 1)
    }

    /// The text of 1-based line `line`, without its line break.
    pub fn line<'a>(&self, text: &'a str, line: usize) -> Option<&'a str> {
        let start = *self.starts.get(line - 1)?;
        let end = self.starts.get(line).map_or(text.len(), |&e| e - 1);
        Some(text[start..end].trim_end_matches('\r'))
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Problems shown in full; the rest are counted ("... and 731 more").
pub const MAX_SHOWN: usize = 20;

fn render(path: &str, text: &str, diagnostics: &[Diagnostic]) -> String {
    let index = LineIndex::new(text);
    let mut out = String::new();
    for (n, d) in diagnostics.iter().take(MAX_SHOWN).enumerate() {
        if n > 0 {
            out.push('\n');
        }
        out.push_str(&render_one(path, text, &index, d));
    }
    let count = diagnostics.len();
    if count > MAX_SHOWN {
        out.push_str(&format!(
            "\n... and {} more (fix these and validate again)",
            count - MAX_SHOWN
        ));
    }
    if count > 1 {
        out.push_str(&format!("\n{count} problems in {path}"));
    }
    out
}

fn render_one(path: &str, text: &str, index: &LineIndex, d: &Diagnostic) -> String {
    let Some(span) = &d.span else {
        let mut s = format!("{path}: {}", d.message);
        if let Some(h) = &d.help {
            s.push_str(&format!("\n  help: {h}"));
        }
        return s;
    };
    let (line, col) = index.line_col(text, span.start);
    let mut s = format!("{path}:{line}:{col}: {}", d.message);
    if let Some(src_line) = index.line(text, line) {
        let gutter = line.to_string().len();
        let width = {
            let (end_line, end_col) = index.line_col(text, span.end);
            if end_line == line && end_col > col {
                end_col - col
            } else {
                1
            }
        };
        s.push_str(&format!(
            "\n{:gutter$} |\n{line} | {src_line}\n{:gutter$} | {}{}",
            "",
            "",
            " ".repeat(col - 1),
            "^".repeat(width)
        ));
    }
    if let Some(h) = &d.help {
        s.push_str(&format!("\n  help: {h}"));
    }
    s
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_error_lists_are_capped_with_a_count() {
        let text = "x = 1\n".repeat(50);
        let ds: Vec<Diagnostic> = (0..50)
            .map(|i| Diagnostic::new(6 * i..6 * i + 1, format!("problem {i}")))
            .collect();
        let s = render("f.toml", &text, &ds);
        assert!(s.contains("f.toml:20:1: problem 19"), "{s}");
        assert!(!s.contains("problem 20"), "{s}");
        assert!(s.contains("... and 30 more"), "{s}");
        assert!(s.ends_with("50 problems in f.toml"), "{s}");
    }

    #[test]
    fn line_and_column_are_one_based() {
        let text = "a = 1\nbb = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 11), (2, 6));
    }

    #[test]
    fn render_shows_location_caret_and_help() {
        let text = "[policy]\nadoption_targt = 0.8\n";
        let d = Diagnostic::new(9..23, "unknown key `adoption_targt`")
            .help("did you mean `adoption_target`?");
        let s = render("s.toml", text, &[d]);
        assert_eq!(
            LineIndex::new(text).line(text, 2),
            Some("adoption_targt = 0.8")
        );
        assert!(s.starts_with("s.toml:2:1: unknown key"), "{s}");
        assert!(s.contains("2 | adoption_targt = 0.8"), "{s}");
        assert!(s.contains("^^^^^^^^^^^^^^"), "{s}");
        assert!(s.contains("help: did you mean `adoption_target`?"), "{s}");
    }
}
