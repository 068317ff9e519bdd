//! `goodhart report`: a self-contained HTML report (charts inlined as SVG,
//! no network requests, no scripts) and a Markdown twin that links the PNG
//! charts, built from result directories alone.
//!
//! Each directory becomes a section: the question, the scenario and its
//! variants, a headline table with 95% CIs, the charts, the parameters and
//! the provenance (version, seeds, input hash). The HTML is also
//! well-formed XML, which the tests use to check it.

use crate::charts::ChartError;
use crate::output::write_atomic;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

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

mod sections;

use sections::{Section, section};

/// Escapes text for HTML (and XML).
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const CSS: &str = "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\
h1{font-size:1.8em}h2{border-bottom:2px solid #0072b2;padding-bottom:.2em;margin-top:2em}\
table{border-collapse:collapse;margin:1em 0;font-size:.92em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}\
th{background:#f2f6fa}td.num{text-align:right}figure{margin:1.5em 0}figure svg{width:100%;height:auto;border:1px solid #eee}\
figcaption{font-size:.9em;color:#555}.question{font-size:1.1em;background:#f7f7f7;border-left:4px solid #e69f00;padding:.6em 1em}\
details{margin:1em 0}code{font-size:.92em}";

fn html(sections: &[Section]) -> String {
    let mut h = String::from(
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n",
    );
    let names: Vec<&str> = sections.iter().map(|s| s.title.as_str()).collect();
    let _ = writeln!(
        h,
        "<title>goodhart report: {}</title>\n<style>{CSS}</style>\n</head>\n<body>",
        esc(&names.join(", "))
    );
    let _ = writeln!(h, "<h1>goodhart report: {}</h1>", esc(&names.join(", ")));
    let _ = writeln!(
        h,
        "<p>Simulated with goodhart (reference model TM-1). Intervals are 95% confidence intervals over replicate runs.</p>"
    );
    for (i, s) in sections.iter().enumerate() {
        let _ = writeln!(h, "<section id=\"s{i}\">\n<h2>{}</h2>", esc(&s.title));
        if !s.question.is_empty() {
            let _ = writeln!(
                h,
                "<p class=\"question\"><strong>Question.</strong> {}</p>",
                esc(&s.question)
            );
        }
        let _ = writeln!(h, "<table>");
        for (k, v) in &s.facts {
            let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
        }
        let _ = writeln!(h, "</table>");
        for (caption, rows) in &s.tables {
            let _ = writeln!(h, "<h3>{}</h3>\n<table>", esc(caption));
            for (r, row) in rows.iter().enumerate() {
                let cells: String = row
                    .iter()
                    .map(|c| {
                        if r == 0 {
                            format!("<th>{}</th>", esc(c))
                        } else {
                            format!("<td>{}</td>", esc(c))
                        }
                    })
                    .collect();
                let _ = writeln!(h, "<tr>{cells}</tr>");
            }
            let _ = writeln!(h, "</table>");
        }
        let _ = writeln!(h, "<h3>Charts</h3>");
        for (title, svg, _) in &s.charts {
            let body = svg.trim_start_matches(|c| c != '<').trim();
            let body = if body.starts_with("<?xml") {
                body.split_once("?>").map_or(body, |x| x.1)
            } else {
                body
            };
            let _ = writeln!(
                h,
                "<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>",
                body.trim(),
                esc(title)
            );
        }
        let _ = writeln!(
            h,
            "<details><summary>Parameters ({})</summary>\n<table>\n<tr><th>name</th><th>value</th></tr>",
            s.params.len()
        );
        for (k, v) in &s.params {
            let _ = writeln!(
                h,
                "<tr><td><code>{}</code></td><td><code>{}</code></td></tr>",
                esc(k),
                esc(v)
            );
        }
        let _ = writeln!(h, "</table>\n</details>\n<h3>Provenance</h3>\n<table>");
        for (k, v) in &s.provenance {
            let _ = writeln!(
                h,
                "<tr><th>{}</th><td><code>{}</code></td></tr>",
                esc(k),
                esc(v)
            );
        }
        let _ = writeln!(h, "</table>\n</section>");
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn markdown(sections: &[Section]) -> String {
    let names: Vec<&str> = sections.iter().map(|s| s.title.as_str()).collect();
    let mut m = format!(
        "# goodhart report: {}\n\nSimulated with goodhart (reference model TM-1). Intervals are 95% confidence intervals over replicate runs.\n",
        names.join(", ")
    );
    for s in sections {
        let _ = writeln!(m, "\n## {}\n", s.title);
        if !s.question.is_empty() {
            let _ = writeln!(m, "> **Question.** {}\n", md_cell(&s.question));
        }
        for (k, v) in &s.facts {
            let _ = writeln!(m, "- **{}**: {}", md_cell(k), md_cell(v));
        }
        for (caption, rows) in &s.tables {
            let _ = writeln!(m, "\n### {caption}\n");
            for (r, row) in rows.iter().enumerate() {
                let _ = writeln!(
                    m,
                    "| {} |",
                    row.iter()
                        .map(|c| md_cell(c))
                        .collect::<Vec<_>>()
                        .join(" | ")
                );
                if r == 0 {
                    let _ = writeln!(m, "|{}", "---|".repeat(row.len()));
                }
            }
        }
        let _ = writeln!(m, "\n### Charts\n");
        for (title, _, png) in &s.charts {
            let _ = writeln!(m, "![{}]({png})\n", md_cell(title));
        }
        let _ = writeln!(m, "### Parameters\n\n| name | value |\n|---|---|");
        for (k, v) in &s.params {
            let _ = writeln!(m, "| `{}` | `{}` |", md_cell(k), md_cell(v));
        }
        let _ = writeln!(m, "\n### Provenance\n");
        for (k, v) in &s.provenance {
            let _ = writeln!(m, "- **{k}**: `{}`", md_cell(v));
        }
    }
    m
}

/// Writes `out` (HTML) and its Markdown twin (same name, `.md`) for the
/// result directories `dirs`; returns both paths.
pub fn write_report(dirs: &[PathBuf], out: &Path) -> Result<(PathBuf, PathBuf), ReportError> {
    if dirs.is_empty() {
        return Err(ReportError::Data(
            "give at least one result directory".into(),
        ));
    }
    let report_dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(report_dir).map_err(|e| crate::output::io_error(report_dir, e))?;
    let sections = dirs
        .iter()
        .map(|d| section(d, report_dir))
        .collect::<Result<Vec<_>, _>>()?;
    let md_path = out.with_extension("md");
    write_atomic(out, html(&sections).as_bytes())?;
    write_atomic(&md_path, markdown(&sections).as_bytes())?;
    Ok((out.to_path_buf(), md_path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sections::{ci_cell, relative};

    #[test]
    fn escaping_and_relative_paths() {
        assert_eq!(esc("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
        assert_eq!(
            relative(Path::new("/x/out"), Path::new("/x/res/charts/a.png")),
            "../res/charts/a.png"
        );
        assert_eq!(ci_cell(0.5, 0.4, 0.6), "0.500 [0.400, 0.600]");
        assert_eq!(ci_cell(1.0123, f64::NAN, f64::NAN), "1.01");
    }
}
