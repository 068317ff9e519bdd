//! Building a report section from one result directory: facts, tables
//! with confidence intervals, charts, parameters and provenance.

use super::ReportError;
use crate::charts::data::{HEADLINE, describe};
use crate::charts::defaults::{AnyChart, charts_for};
use crate::charts::{Chart, Format, render, to_svg};
use std::path::{Path, PathBuf};

/// A captioned table: header row then body rows.
pub(super) type Table = (String, Vec<Vec<String>>);

/// One section's content, rendered twice (HTML and Markdown).
pub(super) struct Section {
    pub(super) title: String,
    pub(super) question: String,
    pub(super) facts: Vec<(String, String)>,
    pub(super) tables: Vec<Table>,
    /// (title, inline svg, png path relative to the report).
    pub(super) charts: Vec<(String, String, String)>,
    pub(super) params: Vec<(String, String)>,
    pub(super) provenance: Vec<(String, String)>,
}

fn read_manifest(dir: &Path) -> Result<serde_json::Value, ReportError> {
    let text = std::fs::read_to_string(dir.join("manifest.json"))
        .map_err(|e| ReportError::Data(format!("{}: no readable manifest.json ({e}); give result directories of `goodhart run` or `goodhart sweep`", dir.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| ReportError::Data(format!("{}/manifest.json: {e}", dir.display())))
}

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(super) fn relative(from_dir: &Path, to: &Path) -> String {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (from, to) = (abs(from_dir), abs(to));
    let common = from
        .components()
        .zip(to.components())
        .take_while(|(a, b)| a == b)
        .count();
    let ups = from.components().count() - common;
    let mut rel = PathBuf::new();
    (0..ups).for_each(|_| rel.push(".."));
    to.components().skip(common).for_each(|c| rel.push(c));
    rel.to_string_lossy().replace('\\', "/")
}

pub(super) fn ci_cell(mean: &str, lo: &str, hi: &str) -> String {
    let f = |s: &str| {
        s.parse::<f64>()
            .map_or(s.to_string(), |x| crate::output::sig(x, 3))
    };
    if lo == "NaN" {
        f(mean)
    } else {
        format!("{} [{}, {}]", f(mean), f(lo), f(hi))
    }
}

fn run_tables(dir: &Path) -> Result<Vec<Table>, ReportError> {
    let mut rdr = csv::Reader::from_path(dir.join("summary.csv"))
        .map_err(|e| ReportError::Data(format!("{}/summary.csv: {e}", dir.display())))?;
    let rows: Vec<csv::StringRecord> = rdr
        .records()
        .filter_map(Result::ok)
        .filter(|r| &r[3] == "final")
        .collect();
    let mut variants: Vec<String> = Vec::new();
    for r in &rows {
        if !variants.iter().any(|v| v == &r[1]) {
            variants.push(r[1].to_string());
        }
    }
    let mut header = vec!["metric".to_string()];
    header.extend(variants.iter().cloned());
    let mut body = vec![header];
    let metrics = HEADLINE.iter().chain(
        [
            "productive_adoption",
            "tokens_per_employee_mtok",
            "net_value_usd",
            "incidents",
        ]
        .iter(),
    );
    for m in metrics {
        let (name, unit) = describe(m);
        let mut row = vec![format!(
            "{} ({unit})",
            name.split(" (").next().unwrap_or(name)
        )];
        for v in &variants {
            let cell = rows
                .iter()
                .find(|r| &r[1] == v && &r[2] == *m)
                .map_or(String::new(), |r| ci_cell(&r[5], &r[7], &r[8]));
            row.push(cell);
        }
        body.push(row);
    }
    Ok(vec![(
        "Final week: mean [95% CI over replicates]".into(),
        body,
    )])
}

fn sweep_tables(dir: &Path, manifest: &serde_json::Value) -> Result<Vec<Table>, ReportError> {
    let mut tables = Vec::new();
    let mut design = vec![vec!["parameter".to_string(), "values or range".to_string()]];
    for p in manifest["parameters"].as_array().into_iter().flatten() {
        let dom = match p["values"].as_array() {
            Some(v) => v.iter().map(json_text).collect::<Vec<_>>().join(", "),
            None => format!("{} to {}", json_text(&p["low"]), json_text(&p["high"])),
        };
        design.push(vec![json_text(&p["name"]), dom]);
    }
    tables.push(("Design".to_string(), design));
    if let Ok(mut rdr) = csv::Reader::from_path(dir.join("sensitivity.csv")) {
        let mut body = vec![
            ["metric", "parameter", "index", "estimate [95% CI]"]
                .map(String::from)
                .to_vec(),
        ];
        for r in rdr.records().filter_map(Result::ok) {
            if &r[1] == "final"
                && ["performative_share", "goodhart_gap"].contains(&&r[0])
                && ["S1", "ST", "mu_star", "sigma"].contains(&&r[3])
            {
                body.push(vec![
                    r[0].to_string(),
                    r[2].to_string(),
                    r[3].to_string(),
                    ci_cell(&r[4], &r[5], &r[6]),
                ]);
            }
        }
        tables.push(("Sensitivity indices (final week)".into(), body));
    } else {
        let pts: Vec<csv::StringRecord> = csv::Reader::from_path(dir.join("points.csv"))
            .map_err(|e| ReportError::Data(e.to_string()))?
            .records()
            .filter_map(Result::ok)
            .collect();
        let names: Vec<String> = manifest["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| json_text(&p["name"]))
            .collect();
        let shown = ["performative_share", "goodhart_gap", "output_index"];
        let mut agg = std::collections::HashMap::new();
        let mut rdr = csv::Reader::from_path(dir.join("aggregate.csv"))
            .map_err(|e| ReportError::Data(e.to_string()))?;
        for r in rdr.records().filter_map(Result::ok) {
            if &r[1] == "final" && shown.contains(&&r[2]) {
                agg.insert(
                    (r[0].to_string(), r[2].to_string()),
                    ci_cell(&r[3], &r[5], &r[6]),
                );
            }
        }
        let mut header = vec!["point".to_string()];
        header.extend(names.iter().cloned());
        header.extend(shown.iter().map(|s| s.to_string()));
        let mut body = vec![header];
        for p in pts.iter().take(60) {
            let mut row: Vec<String> = (0..=names.len())
                .map(|i| p.get(i).unwrap_or("").to_string())
                .collect();
            row.extend(shown.iter().map(|m| {
                agg.get(&(p[0].to_string(), m.to_string()))
                    .cloned()
                    .unwrap_or_default()
            }));
            body.push(row);
        }
        let note = if pts.len() > 60 {
            format!(" (first 60 of {} points; see aggregate.csv)", pts.len())
        } else {
            String::new()
        };
        tables.push((format!("Final week by point: mean [95% CI]{note}"), body));
    }
    Ok(tables)
}

pub(super) fn section(dir: &Path, report_dir: &Path) -> Result<Section, ReportError> {
    let m = read_manifest(dir)?;
    let is_sweep = m["kind"] == "sweep";
    let charts: Vec<AnyChart> = charts_for(dir, &[])?;
    let chart_dir = dir.join("charts");
    let mut rendered = Vec::new();
    for c in &charts {
        // PNGs for the Markdown twin (drawn if missing).
        let png = chart_dir.join(format!("{}.png", c.stem()));
        if !png.exists() {
            render(c, &chart_dir, Format::Png)?;
        }
        rendered.push((c.title(), to_svg(c)?, relative(report_dir, &png)));
    }
    let mut facts = vec![("Scenario".to_string(), json_text(&m["scenario"]))];
    if is_sweep {
        facts.push((
            "Design".into(),
            format!(
                "{} ({} points x {} replicates = {} runs, record {})",
                json_text(&m["design"]),
                m["points"],
                m["replicates"],
                m["runs"],
                json_text(&m["record"])
            ),
        ));
    } else {
        facts.push(("Replicates".into(), json_text(&m["replicates"])));
        for v in m["variants"].as_array().into_iter().flatten() {
            let changes: Vec<String> = v["changes"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, x)| format!("{k} = {}", json_text(x)))
                .collect();
            let tl = if v["timeline"].as_array().is_some_and(|t| t.is_empty()) {
                "; no timeline events"
            } else {
                ""
            };
            facts.push((
                format!("Variant `{}`", json_text(&v["name"])),
                format!(
                    "{} ({}{tl})",
                    json_text(&v["description"]),
                    changes.join(", ")
                ),
            ));
        }
    }
    for e in m["timeline"].as_array().into_iter().flatten() {
        let what = match (&e["week"], &e["ramp"]) {
            (serde_json::Value::Number(w), _) => format!(
                "week {w}: {} = {}",
                json_text(&e["param"]),
                json_text(&e["value"])
            ),
            (_, serde_json::Value::Array(r)) => format!(
                "weeks {}-{}: {} ramps from {} to {}",
                r[0],
                r[1],
                json_text(&e["param"]),
                r[2],
                r[3]
            ),
            _ => continue,
        };
        facts.push(("Timeline".into(), what));
    }
    let params_json = if is_sweep {
        &m["base_parameters"]
    } else {
        &m["parameters"]
    };
    let params = params_json
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), json_text(v)))
        .collect();
    let mut provenance = vec![
        (
            "goodhart version".to_string(),
            json_text(&m["goodhart_version"]),
        ),
        ("Input SHA-256".into(), json_text(&m["input_sha256"])),
        ("Master seed".into(), json_text(&m["master_seed"])),
    ];
    if let Some(seeds) = m["run_seeds"].as_array() {
        provenance.push((
            "Replicate seeds".into(),
            seeds.iter().map(json_text).collect::<Vec<_>>().join(", "),
        ));
    }
    if let Some(cmd) = m["command_line"].as_array() {
        provenance.push((
            "Command".into(),
            cmd.iter().map(json_text).collect::<Vec<_>>().join(" "),
        ));
    }
    provenance.push(("Results".into(), dir.display().to_string()));
    Ok(Section {
        title: json_text(&m["scenario"]),
        question: json_text(&m["description"]),
        facts,
        tables: if is_sweep {
            sweep_tables(dir, &m)?
        } else {
            run_tables(dir)?
        },
        charts: rendered,
        params,
        provenance,
    })
}
