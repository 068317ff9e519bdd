//! `goodhart validate`, `goodhart params` and `goodhart init`: commands
//! that read or write scenario files without simulating.

use crate::params::registry::{ParamDef, Section};
use crate::params::{MODEL_PARAMS, ModelParams, RUN_SETTINGS, RunSettings};
use crate::scenario::{Scenario, template::template};
use std::path::{Path, PathBuf};

/// Output formats of `goodhart params`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ParamsFormat {
    /// Grouped by table, for reading in a terminal.
    Text,
    /// Markdown tables, for documentation.
    Markdown,
    /// CSV (name, section, default, unit, allowed, timeline, meaning).
    Csv,
}

pub(crate) fn validate(paths: &[PathBuf]) -> anyhow::Result<()> {
    let mut bad = 0;
    for path in paths {
        match Scenario::load(path) {
            Ok(sc) => say!(
                "{}: ok (`{}`: {} employees, {} weeks, {} replicates, {} timeline events)",
                path.display(),
                sc.name,
                sc.params.employees,
                sc.params.weeks,
                sc.run.replicates,
                sc.timeline.events.len()
            ),
            Err(e) => {
                bad += 1;
                eprintln!("{e}");
            }
        }
    }
    anyhow::ensure!(
        bad == 0,
        "{bad} of {} scenario files are invalid",
        paths.len()
    );
    Ok(())
}

struct Row {
    name: &'static str,
    section: Section,
    default: String,
    unit: &'static str,
    allowed: String,
    timeline: bool,
    meaning: &'static str,
}

fn rows() -> Vec<Row> {
    fn of<T>(defs: &'static [ParamDef<T>], defaults: &T) -> impl Iterator<Item = Row> {
        defs.iter().map(move |d| Row {
            name: d.name,
            section: d.section,
            default: d.show(&(d.get)(defaults)),
            unit: d.unit,
            allowed: d.kind.describe(),
            timeline: d.timeline,
            meaning: d.meaning,
        })
    }
    let mut rows: Vec<Row> = of(RUN_SETTINGS, &RunSettings::default()).collect();
    rows.extend(of(MODEL_PARAMS, &ModelParams::default()));
    rows
}

pub(crate) fn params(format: ParamsFormat) {
    let rows = rows();
    match format {
        ParamsFormat::Text => {
            for section in Section::ALL {
                say!("[{}]  {}", section.name(), section.describe());
                for r in rows.iter().filter(|r| r.section == section) {
                    let unit = if r.unit == "-" {
                        String::new()
                    } else {
                        format!("  ({})", r.unit)
                    };
                    let tl = if r.timeline { "; timeline" } else { "" };
                    say!("  {} = {}{unit}", r.name, r.default);
                    say!("      {}", r.meaning);
                    say!("      allowed: {}{tl}", r.allowed);
                }
                say!("");
            }
            say!("Parameters marked `timeline` may change during a run ([[timeline]] events).");
        }
        ParamsFormat::Markdown => {
            for section in Section::ALL {
                say!("### [{}]: {}\n", section.name(), section.describe());
                say!("| name | default | unit | allowed | timeline | meaning |");
                say!("|---|---|---|---|---|---|");
                for r in rows.iter().filter(|r| r.section == section) {
                    say!(
                        "| `{}` | `{}` | {} | {} | {} | {} |",
                        r.name,
                        r.default.replace('|', "\\|"),
                        r.unit,
                        r.allowed.replace('|', "\\|"),
                        if r.timeline { "yes" } else { "no" },
                        r.meaning
                    );
                }
                say!("");
            }
        }
        ParamsFormat::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout());
            let _ = w.write_record([
                "name", "section", "default", "unit", "allowed", "timeline", "meaning",
            ]);
            for r in &rows {
                let _ = w.write_record([
                    r.name,
                    r.section.name(),
                    &r.default,
                    r.unit,
                    &r.allowed,
                    if r.timeline { "true" } else { "false" },
                    r.meaning,
                ]);
            }
            let _ = w.flush();
        }
    }
}

pub(crate) fn init(name: &str, force: bool) -> anyhow::Result<()> {
    let path = if name.ends_with(".toml") {
        PathBuf::from(name)
    } else {
        PathBuf::from(format!("{name}.toml"))
    };
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario")
        .to_string();
    super::usage::ensure_usage!(
        stem.starts_with(|c: char| c.is_ascii_alphanumeric())
            && stem
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
        "scenario name {stem:?} cannot be used as a directory name: start with a letter or digit and use letters, digits, '-', '_' or '.'"
    );
    anyhow::ensure!(
        force || !path.exists(),
        "{} already exists; choose another name or pass --force to overwrite it",
        path.display()
    );
    crate::output::write_atomic(Path::new(&path), template(&stem).as_bytes())?;
    say!(
        "wrote {}: every parameter is listed with its default, commented out.",
        path.display()
    );
    say!(
        "edit it, then: goodhart validate {0} && goodhart run {0}",
        path.display()
    );
    Ok(())
}
