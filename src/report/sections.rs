//! Building a report section from one result directory: facts, tables
//! with confidence intervals, charts, parameters and provenance.

use super::ReportError;
use crate::charts::defaults::{AnyChart, charts_for};
use crate::charts::{Chart, Format, render, to_svg};
use crate::model::metrics::Metric;
use crate::results::{
    AggregateRow, Index, PointRow, RunManifest, SensitivityRow, Statistic, SummaryRow,
    SweepManifest, manifest, read_rows,
};
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

/// `mean [low, high]` to three significant digits, or the mean alone
/// without an interval.
pub(super) fn ci_cell(mean: f64, lo: f64, hi: f64) -> String {
    let f = |x: f64| crate::output::sig(x, 3);
    if lo.is_finite() {
        format!("{} [{}, {}]", f(mean), f(lo), f(hi))
    } else {
        f(mean)
    }
}

/// What a metric is, with its unit, for a table's first column.
fn metric_cell(m: Metric) -> String {
    let label = m.label();
    format!(
        "{} ({})",
        label.split(" (").next().unwrap_or(label),
        m.unit()
    )
}

fn run_tables(dir: &Path) -> Result<Vec<Table>, ReportError> {
    let rows: Vec<SummaryRow> = read_rows::<SummaryRow>(&dir.join("summary.csv"))?
        .into_iter()
        .filter(|r| r.statistic == Statistic::Final)
        .collect();
    let mut variants: Vec<String> = Vec::new();
    for r in &rows {
        if !variants.contains(&r.variant) {
            variants.push(r.variant.clone());
        }
    }
    let mut header = vec!["metric".to_string()];
    header.extend(variants.iter().cloned());
    let mut body = vec![header];
    for m in Metric::HEADLINE {
        let mut row = vec![metric_cell(m)];
        for v in &variants {
            let cell = rows
                .iter()
                .find(|r| r.variant == *v && r.metric == m)
                .map_or(String::new(), |r| ci_cell(r.mean, r.ci_low, r.ci_high));
            row.push(cell);
        }
        body.push(row);
    }
    Ok(vec![(
        "Final week: mean [95% CI over replicates]".into(),
        body,
    )])
}

fn sweep_tables(dir: &Path, manifest: &SweepManifest) -> Result<Vec<Table>, ReportError> {
    let mut tables = Vec::new();
    let mut design = vec![vec!["parameter".to_string(), "values or range".to_string()]];
    for p in &manifest.parameters {
        let dom = match (&p.values, p.low, p.high) {
            (Some(v), _, _) => v.join(", "),
            (None, Some(lo), Some(hi)) => format!("{lo} to {hi}"),
            _ => String::new(),
        };
        design.push(vec![p.name.clone(), dom]);
    }
    tables.push(("Design".to_string(), design));
    let shown = [Metric::PerformativeShare, Metric::GoodhartGap];
    let sens = dir.join("sensitivity.csv");
    if sens.exists() {
        let mut body = vec![
            ["metric", "parameter", "index", "estimate [95% CI]"]
                .map(String::from)
                .to_vec(),
        ];
        for r in read_rows::<SensitivityRow>(&sens)? {
            if r.statistic == Statistic::Final
                && shown.contains(&r.metric)
                && [Index::S1, Index::ST, Index::MuStar, Index::Sigma].contains(&r.index)
            {
                body.push(vec![
                    r.metric.name().to_string(),
                    r.parameter.clone(),
                    r.index.word().to_string(),
                    ci_cell(r.estimate, r.ci_low, r.ci_high),
                ]);
            }
        }
        tables.push(("Sensitivity indices (final week)".into(), body));
    } else {
        let points: Vec<PointRow> = read_rows(&dir.join("points.csv"))?;
        let shown = [
            Metric::PerformativeShare,
            Metric::GoodhartGap,
            Metric::OutputIndex,
        ];
        let mut agg = std::collections::HashMap::new();
        crate::results::each_row(&dir.join("aggregate.csv"), |r: AggregateRow| {
            if r.statistic == Statistic::Final && shown.contains(&r.metric) {
                agg.insert((r.point, r.metric), ci_cell(r.mean, r.ci_low, r.ci_high));
            }
            Ok::<(), ReportError>(())
        })?;
        let mut header = vec!["point".to_string()];
        header.extend(manifest.parameters.iter().map(|p| p.name.clone()));
        header.extend(shown.iter().map(|m| m.name().to_string()));
        let mut body = vec![header];
        for p in points.iter().take(60) {
            let mut row = vec![p.point.to_string()];
            row.extend(p.params.iter().map(|(_, v)| crate::sweep::files::cell(v)));
            row.extend(
                shown
                    .iter()
                    .map(|m| agg.get(&(p.point, *m)).cloned().unwrap_or_default()),
            );
            body.push(row);
        }
        let note = if points.len() > 60 {
            format!(" (first 60 of {} points; see aggregate.csv)", points.len())
        } else {
            String::new()
        };
        tables.push((format!("Final week by point: mean [95% CI]{note}"), body));
    }
    Ok(tables)
}

/// A timeline event as a fact: "week 26: leaderboard = manager".
fn event_text(e: &crate::results::manifest::EventRecord) -> Option<String> {
    match (e.week, &e.value, e.ramp) {
        (Some(w), Some(v), _) => Some(format!("week {w}: {} = {}", e.param, json_text(v))),
        (_, _, Some((from, to, start, end))) => Some(format!(
            "weeks {from}-{to}: {} ramps from {start} to {end}",
            e.param
        )),
        _ => None,
    }
}

pub(super) fn section(dir: &Path, report_dir: &Path) -> Result<Section, ReportError> {
    let header: manifest::Header = manifest::read(dir)?;
    let is_sweep = header.kind == "sweep";
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
    let mut facts = vec![("Scenario".to_string(), header.scenario.clone())];
    let mut provenance = vec![
        (
            "goodhart version".to_string(),
            header.goodhart_version.clone(),
        ),
        ("Input SHA-256".into(), header.input_sha256.clone()),
    ];
    let (question, params, tables) = if is_sweep {
        let m: SweepManifest = manifest::read(dir)?;
        facts.push((
            "Design".into(),
            format!(
                "{} ({} points x {} replicates = {} runs, record {})",
                m.design, m.points, m.replicates, m.runs, m.record
            ),
        ));
        provenance.push(("Master seed".into(), m.master_seed.to_string()));
        let tables = sweep_tables(dir, &m)?;
        (m.description.clone(), m.base_parameters.clone(), tables)
    } else {
        let m: RunManifest = manifest::read(dir)?;
        facts.push(("Replicates".into(), m.replicates.to_string()));
        for v in &m.variants {
            let changes: Vec<String> = v
                .changes
                .iter()
                .map(|(k, x)| format!("{k} = {}", json_text(x)))
                .collect();
            let tl = if v.timeline.is_empty() {
                "; no timeline events"
            } else {
                ""
            };
            facts.push((
                format!("Variant `{}`", v.name),
                format!("{} ({}{tl})", v.description, changes.join(", ")),
            ));
        }
        for e in &m.timeline {
            if let Some(what) = event_text(e) {
                facts.push(("Timeline".into(), what));
            }
        }
        provenance.push(("Master seed".into(), m.master_seed.to_string()));
        provenance.push((
            "Replicate seeds".into(),
            m.run_seeds
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ));
        provenance.push(("Command".into(), m.command_line.join(" ")));
        (
            m.description.clone(),
            m.parameters.clone(),
            run_tables(dir)?,
        )
    };
    provenance.push(("Results".into(), dir.display().to_string()));
    Ok(Section {
        title: header.scenario,
        question,
        facts,
        tables,
        charts: rendered,
        params: params
            .iter()
            .map(|(k, v)| (k.clone(), json_text(v)))
            .collect(),
        provenance,
    })
}
