//! The report as HTML (self-contained: styles inline, charts as inline
//! SVG, no scripts) and as Markdown (charts linked as PNG files), from one
//! [`Report`]. Tables and figures are numbered across the report.

use super::{Cell, Figure, Report, Section, Table, esc};
use crate::model::metrics::Metric;
use std::fmt::Write as _;

const CSS: &str = "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;max-width:62em;margin:2em auto;padding:0 1.2em;color:#222;line-height:1.5}\
header{border-bottom:3px solid #0072b2;margin-bottom:1.5em}h1{font-size:1.9em;margin:.2em 0}.meta{color:#555;margin:.2em 0 1em}\
h2{font-size:1.45em;border-bottom:2px solid #0072b2;padding-bottom:.2em;margin-top:2.2em}h3{font-size:1.12em;margin-top:1.6em}\
.question{font-size:1.08em;background:#f7f7f7;border-left:4px solid #e69f00;padding:.6em 1em}ul.summary li{margin:.45em 0}\
table{border-collapse:collapse;margin:1em 0 .3em;font-size:.9em}caption{caption-side:top;text-align:left;font-weight:bold;padding-bottom:.4em}\
th,td{border-bottom:1px solid #ddd;padding:.3em .7em;text-align:left;vertical-align:top}thead th{border-bottom:2px solid #555;background:#f2f6fa}\
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.note{font-size:.85em;color:#555;margin:.2em 0 1.2em}\
figure{margin:1.5em 0}figure svg,figure img{display:block;width:100%;height:auto;border:1px solid #eee}figcaption{font-size:.9em;color:#444;margin-top:.3em}\
dl.glossary dt{font-weight:bold;margin-top:.8em}dl.glossary dd{margin:.2em 0 0 1.5em}table.facts th{white-space:nowrap;background:none}table.facts td{word-break:break-word}\
nav.toc ol{margin:.3em 0 1em}\
@page{size:A4;margin:16mm 14mm}\
@media print{body{max-width:none;margin:0;padding:0;font-size:10pt}.num{white-space:normal}h2{break-before:page}section.scenario:first-of-type h2{break-before:auto}\
h2,h3,caption{break-after:avoid}figure,table,.question,ul.summary li{break-inside:avoid}figure svg,figure img{border:none;max-height:22cm}\
nav.toc{display:none}a{color:inherit;text-decoration:none}}";

/// Numbers tables and figures in order of appearance.
#[derive(Default)]
struct Counters {
    table: usize,
    figure: usize,
}

/// What a metric can be, in words.
fn range_text(m: Metric) -> String {
    let r = m.range();
    let bounded = |x: f64| x.is_finite() && x.abs() < f64::MAX;
    let bounds = match (r.min, r.max) {
        (lo, hi) if bounded(lo) && bounded(hi) => format!("Takes values from {lo} to {hi}"),
        (lo, _) if bounded(lo) => format!("Takes values of {lo} or more"),
        _ => "Takes any value".into(),
    };
    match r.undefined {
        Some(when) => format!("{bounds}; undefined {when}."),
        None => format!("{bounds}."),
    }
}

fn cell_html(c: &Cell) -> String {
    // A number with its interval may wrap before the interval, never
    // inside it: a wide table then fits a printed page.
    let shown = if c.num {
        c.text.replace(", ", ",\u{a0}")
    } else {
        c.text.clone()
    };
    let text = if c.strong {
        format!("<strong>{}</strong>", esc(&shown))
    } else {
        esc(&shown)
    };
    if c.num {
        format!("<td class=\"num\">{text}</td>")
    } else {
        format!("<td>{text}</td>")
    }
}

/// Whether column `i` holds numbers (in its first row).
fn numeric(t: &Table, i: usize) -> bool {
    t.rows.first().and_then(|r| r.get(i)).is_some_and(|c| c.num)
}

fn table_html(h: &mut String, t: &Table, n: &mut Counters) {
    n.table += 1;
    let _ = writeln!(
        h,
        "<table>\n<caption>Table {}. {}</caption>\n<thead><tr>{}</tr></thead>\n<tbody>",
        n.table,
        esc(&t.caption),
        t.header
            .iter()
            .enumerate()
            .map(|(i, x)| if numeric(t, i) {
                format!("<th class=\"num\">{}</th>", esc(x))
            } else {
                format!("<th>{}</th>", esc(x))
            })
            .collect::<String>()
    );
    for row in &t.rows {
        let _ = writeln!(
            h,
            "<tr>{}</tr>",
            row.iter().map(cell_html).collect::<String>()
        );
    }
    let _ = writeln!(h, "</tbody>\n</table>");
    if !t.note.is_empty() {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(&t.note));
    }
}

fn figure_html(h: &mut String, f: &Figure, n: &mut Counters) {
    n.figure += 1;
    let _ = writeln!(
        h,
        "<figure>\n{}\n<figcaption>Figure {}. {}</figcaption>\n</figure>",
        f.html,
        n.figure,
        esc(&f.title)
    );
}

fn list_html(h: &mut String, class: &str, items: &[String]) {
    let _ = writeln!(h, "<ul class=\"{class}\">");
    for s in items {
        let _ = writeln!(h, "<li>{}</li>", esc(s));
    }
    let _ = writeln!(h, "</ul>");
}

fn section_html(h: &mut String, i: usize, s: &Section, n: &mut Counters) {
    let _ = writeln!(
        h,
        "<section class=\"scenario\" id=\"s{i}\">\n<h2>{}</h2>",
        esc(&s.title)
    );
    if !s.question.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"question\"><strong>Question.</strong> {}</p>",
            esc(&s.question)
        );
    }
    let _ = writeln!(h, "<h3>Summary</h3>");
    list_html(h, "summary", &s.summary);
    if let Some(t) = &s.table {
        table_html(h, t, n);
    }
    for f in &s.answer {
        figure_html(h, f, n);
    }
    let _ = writeln!(h, "<h3>Method</h3>");
    for p in &s.method {
        let _ = writeln!(h, "<p>{}</p>", esc(p));
    }
    let _ = writeln!(h, "<h3>Limitations</h3>");
    list_html(h, "limitations", &s.limitations);
    let _ = writeln!(h, "</section>");
}

pub fn html(r: &Report) -> String {
    let mut h = String::from(
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n",
    );
    let _ = writeln!(
        h,
        "<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<header>\n<h1>{}</h1>\n<p class=\"meta\">{} · goodhart {} · reference model TM-1 · intervals are 95% confidence intervals (over replicate runs; for an exploration, over its worlds)</p>",
        esc(&r.title),
        esc(&r.title),
        esc(&r.date),
        esc(&r.version)
    );
    if r.sections.len() > 1 {
        let _ = writeln!(h, "<nav class=\"toc\"><ol>");
        for (i, s) in r.sections.iter().enumerate() {
            let _ = writeln!(h, "<li><a href=\"#s{i}\">{}</a></li>", esc(&s.title));
        }
        let _ = writeln!(h, "</ol></nav>");
    }
    let _ = writeln!(h, "</header>\n<main>");
    let mut n = Counters::default();
    for (i, s) in r.sections.iter().enumerate() {
        section_html(&mut h, i, s, &mut n);
    }
    let _ = writeln!(
        h,
        "<section class=\"glossary\" id=\"glossary\">\n<h2>Glossary of metrics</h2>\n<dl class=\"glossary\">"
    );
    for m in r.glossary() {
        let _ = writeln!(
            h,
            "<dt>{} ({}; column {})</dt>\n<dd>{} {}</dd>",
            esc(m.label()),
            esc(m.unit()),
            esc(m.name()),
            esc(m.meaning()),
            esc(&range_text(m))
        );
    }
    let _ = writeln!(
        h,
        "</dl>\n</section>\n<section class=\"appendix\" id=\"appendix\">\n<h2>Appendix</h2>"
    );
    for s in &r.sections {
        let a = &s.appendix;
        let _ = writeln!(h, "<h3>{}: more charts</h3>", esc(&s.title));
        for f in &a.figures {
            figure_html(&mut h, f, &mut n);
        }
        for t in &a.tables {
            table_html(&mut h, t, &mut n);
        }
        let _ = writeln!(
            h,
            "<h3>{}: provenance</h3>\n<table class=\"facts\">",
            esc(&s.title)
        );
        for (k, v) in &a.facts {
            let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
        }
        let _ = writeln!(h, "</table>");
    }
    h.push_str("</section>\n</main>\n</body>\n</html>\n");
    h
}

/// Text for Markdown: characters that would start markup (a tag, an
/// emphasis, a table cell) are escaped.
fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('*', "\\*")
        .replace('_', "\\_")
        .replace('<', "&lt;")
        .replace('\n', " ")
}

fn table_md(m: &mut String, t: &Table, n: &mut Counters) {
    n.table += 1;
    let _ = writeln!(m, "\n**Table {}. {}**\n", n.table, md_cell(&t.caption));
    let _ = writeln!(
        m,
        "| {} |",
        t.header
            .iter()
            .map(|c| md_cell(c))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(
        m,
        "|{}",
        (0..t.header.len())
            .map(|i| if numeric(t, i) { "---:|" } else { "---|" })
            .collect::<String>()
    );
    for row in &t.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| {
                if c.strong {
                    format!("**{}**", md_cell(&c.text))
                } else {
                    md_cell(&c.text)
                }
            })
            .collect();
        let _ = writeln!(m, "| {} |", cells.join(" | "));
    }
    if !t.note.is_empty() {
        let _ = writeln!(m, "\n*{}*", md_cell(&t.note));
    }
}

fn figure_md(m: &mut String, f: &Figure, n: &mut Counters) {
    n.figure += 1;
    let title = format!("Figure {}. {}", n.figure, md_cell(&f.title));
    let _ = writeln!(m, "\n![{title}]({})\n\n*{title}*", f.link);
}

pub fn markdown(r: &Report) -> String {
    let mut m = format!(
        "# {}\n\n{} · goodhart {} · reference model TM-1 · intervals are 95% confidence intervals (over replicate runs; for an exploration, over its worlds)\n",
        md_cell(&r.title),
        r.date,
        r.version
    );
    let mut n = Counters::default();
    for s in &r.sections {
        let _ = writeln!(m, "\n## {}\n", md_cell(&s.title));
        if !s.question.is_empty() {
            let _ = writeln!(m, "> **Question.** {}\n", md_cell(&s.question));
        }
        let _ = writeln!(m, "### Summary\n");
        for x in &s.summary {
            let _ = writeln!(m, "- {}", md_cell(x));
        }
        if let Some(t) = &s.table {
            table_md(&mut m, t, &mut n);
        }
        for f in &s.answer {
            figure_md(&mut m, f, &mut n);
        }
        let _ = writeln!(m, "\n### Method\n");
        for p in &s.method {
            let _ = writeln!(m, "{}\n", md_cell(p));
        }
        let _ = writeln!(m, "### Limitations\n");
        for x in &s.limitations {
            let _ = writeln!(m, "- {}", md_cell(x));
        }
    }
    let _ = writeln!(m, "\n## Glossary of metrics\n");
    for g in r.glossary() {
        let _ = writeln!(
            m,
            "- **{}** ({}; column {}): {} {}",
            md_cell(g.label()),
            md_cell(g.unit()),
            md_cell(g.name()),
            md_cell(g.meaning()),
            md_cell(&range_text(g))
        );
    }
    let _ = writeln!(m, "\n## Appendix");
    for s in &r.sections {
        let _ = writeln!(m, "\n### {}: more charts", md_cell(&s.title));
        for f in &s.appendix.figures {
            figure_md(&mut m, f, &mut n);
        }
        for t in &s.appendix.tables {
            table_md(&mut m, t, &mut n);
        }
        let _ = writeln!(m, "\n### {}: provenance\n", md_cell(&s.title));
        for (k, v) in &s.appendix.facts {
            let _ = writeln!(m, "- **{}**: {}", md_cell(k), md_cell(v));
        }
    }
    m
}
