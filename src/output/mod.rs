//! Result files: `weekly.csv`, `summary.csv` and `manifest.json`, and
//! with `run --agents`, `agents.csv` ([`agents`]).
//!
//! Files are tidy (one row per observation, self-describing columns) so
//! pandas and R read them without cleaning. A command writes its files
//! into a staging directory that replaces the result directory as a whole
//! ([`resultdir`]); files added to an existing set (charts, reports) are
//! written to a temporary file and renamed into place, so no file is ever
//! seen half-written under its final name.

pub mod agents;
pub mod resultdir;

use crate::experiment::RunResult;
use crate::model::metrics::{Metric, WeekMetrics};
use crate::params::registry::{Kind, Value};
use crate::params::{MODEL_PARAMS, ModelParams};
use crate::results::manifest::{EventRecord, Header, VariantRecord};
use crate::results::{RunManifest, Statistic, SummaryRow, WeeklyRow};
use crate::scenario::Scenario;
use crate::stats::summarise;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// Errors writing results.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot encode {path}: {message}")]
    Encode { path: String, message: String },
}

/// A file being written under a temporary name next to its final path;
/// [`AtomicFile::commit`] syncs it and renames it into place, so readers
/// only ever see the old file or the complete new one.
pub struct AtomicFile {
    path: std::path::PathBuf,
    writer: std::io::BufWriter<tempfile::NamedTempFile>,
}

impl AtomicFile {
    pub fn create(path: &Path) -> Result<AtomicFile, OutputError> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| io_error(path, e))?;
        let mut builder = tempfile::Builder::new();
        // Recognised by resultdir::is_temporary, so that the next command
        // removes one a killed process left.
        builder.prefix(".goodhart-").suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // Results are ordinary files, readable like any other output
            // (tempfile's default is owner-only).
            builder.permissions(std::fs::Permissions::from_mode(0o644));
        }
        let tmp = builder.tempfile_in(dir).map_err(|e| io_error(path, e))?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            writer: std::io::BufWriter::new(tmp),
        })
    }

    pub fn commit(self) -> Result<(), OutputError> {
        let path = self.path;
        let tmp = self
            .writer
            .into_inner()
            .map_err(|e| io_error(&path, e.into_error()))?;
        tmp.as_file().sync_all().map_err(|e| io_error(&path, e))?;
        tmp.persist(&path).map_err(|e| io_error(&path, e.error))?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

/// An I/O error on `path`.
pub fn io_error(path: &Path, source: std::io::Error) -> OutputError {
    OutputError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes `bytes` to `path` atomically (temporary file + rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes).map_err(|e| io_error(path, e))?;
    f.commit()
}

/// `sig` significant digits, thousands separated for large values.
pub fn sig(x: f64, sig: i32) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    if x.abs() >= 10_000.0 {
        let s = format!("{:.0}", x.abs());
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        return if x < 0.0 { format!("-{out}") } else { out };
    }
    let digits = if x == 0.0 {
        0
    } else {
        (sig - 1 - x.abs().log10().floor() as i32).max(0) as usize
    };
    format!("{x:.digits$}")
}

/// Formats a float for CSV: shortest round-trip form, `NaN` for NaN.
pub fn num(x: f64) -> String {
    format!("{x}")
}

/// The CSV text of `rows` (with a header line) for file `path`.
pub fn csv_rows<T: Serialize>(
    path: &str,
    rows: impl IntoIterator<Item = T>,
) -> Result<Vec<u8>, OutputError> {
    crate::results::csv_text(rows, true).map_err(|e| OutputError::Encode {
        path: path.to_string(),
        message: e.to_string(),
    })
}

/// Writes `rows` to `path` atomically, with a header line, streaming them
/// (the file's text is never held in memory as a whole).
pub fn write_rows<T: Serialize>(
    path: &Path,
    rows: impl IntoIterator<Item = T>,
) -> Result<(), OutputError> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(true)
        .from_writer(AtomicFile::create(path)?);
    for r in rows {
        w.serialize(r).map_err(|e| OutputError::Encode {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
    }
    let file = w.into_inner().map_err(|e| io_error(path, e.into_error()))?;
    file.commit()
}

/// The statistics a run records besides its weeks: its final week (with
/// its number) and its average over the weeks.
pub fn run_statistics(weeks: &[WeekMetrics]) -> [(Statistic, Option<usize>, WeekMetrics); 2] {
    [
        (
            Statistic::Final,
            weeks.len().checked_sub(1),
            weeks.last().copied().unwrap_or_default(),
        ),
        (Statistic::RunAverage, None, WeekMetrics::mean_of(weeks)),
    ]
}

/// `weekly.csv`: one row per replicate and week.
pub fn weekly_rows<'a>(
    scenario: &'a str,
    runs: &'a [RunResult],
) -> impl Iterator<Item = WeeklyRow> + 'a {
    runs.iter().flat_map(move |r| {
        r.weeks.iter().enumerate().map(move |(week, m)| WeeklyRow {
            scenario: scenario.to_string(),
            variant: r.variant.clone(),
            replicate: r.replicate,
            seed: r.seed,
            statistic: Statistic::Week,
            week: Some(week),
            metrics: *m,
        })
    })
}

/// `summary.csv`: per arm (in run order), statistic and metric, the
/// replicate summary of the final week's value and of the run average.
pub fn summary_rows(scenario: &str, runs: &[RunResult]) -> Vec<SummaryRow> {
    let mut variants: Vec<&str> = Vec::new();
    for r in runs {
        if !variants.contains(&r.variant.as_str()) {
            variants.push(&r.variant);
        }
    }
    let mut rows = Vec::new();
    for v in variants {
        let arm: Vec<[(Statistic, Option<usize>, WeekMetrics); 2]> = runs
            .iter()
            .filter(|r| r.variant == v)
            .map(|r| run_statistics(&r.weeks))
            .collect();
        for k in 0..2 {
            let (statistic, week, _) = arm[0][k];
            for &metric in Metric::ALL {
                let xs: Vec<f64> = arm.iter().map(|s| s[k].2.get(metric)).collect();
                rows.push(SummaryRow::new(
                    scenario,
                    v,
                    statistic,
                    week,
                    metric,
                    summarise(&xs),
                ));
            }
        }
    }
    rows
}

/// Parameters by their scenario names, with named values ("none",
/// "broad") and distributions written as in a scenario file.
pub fn resolved_params(p: &ModelParams) -> serde_json::Map<String, serde_json::Value> {
    let mut map = serde_json::Map::new();
    for def in MODEL_PARAMS {
        let v = (def.get)(p);
        let json = match (&def.kind, &v) {
            (Kind::Real { .. }, Value::Real(x))
                if !x.is_finite() || def.show(&v).starts_with('"') =>
            {
                serde_json::Value::String(def.show(&v).trim_matches('"').to_string())
            }
            (_, Value::Dist(d)) => serde_json::Value::String(d.to_string()),
            _ => serde_json::to_value(&v).unwrap_or(serde_json::Value::Null),
        };
        map.insert(def.name.to_string(), json);
    }
    map
}

/// The manifest of a run of `sc` from file `input_file` (which recorded
/// agents after `agent_weeks`, if any).
pub fn run_manifest(sc: &Scenario, input_file: &Path, agent_weeks: &[usize]) -> RunManifest {
    let base = resolved_params(&sc.params);
    RunManifest {
        header: Header::new("run", &sc.name, &sc.input_sha256, None),
        description: sc.description.clone(),
        input_file: input_file.display().to_string(),
        command_line: std::env::args().collect(),
        master_seed: sc.run.seed,
        replicates: sc.run.replicates,
        run_seeds: (0..sc.run.replicates)
            .map(|r| crate::model::rng::run_seed(sc.run.seed, r as u64))
            .collect(),
        employees: sc.params.employees,
        weeks: sc.params.weeks,
        parameters: base.clone(),
        timeline: sc.timeline.events.iter().map(EventRecord::from).collect(),
        variants: sc
            .variants
            .iter()
            .map(|v| {
                let mut changes = resolved_params(&v.params);
                changes.retain(|k, val| base.get(k) != Some(val));
                VariantRecord {
                    name: v.name.clone(),
                    description: v.description.clone(),
                    changes,
                    timeline: v.timeline.events.iter().map(EventRecord::from).collect(),
                }
            })
            .collect(),
        agent_weeks: agent_weeks.to_vec(),
        files: ["weekly.csv", "summary.csv", "manifest.json"]
            .into_iter()
            .chain((!agent_weeks.is_empty()).then_some(agents::AGENTS))
            .map(String::from)
            .collect(),
        scenario_toml: sc.text.clone(),
    }
}

/// `value` as pretty JSON with a final newline.
pub fn json_bytes<T: Serialize>(path: &str, value: &T) -> Result<Vec<u8>, OutputError> {
    let mut v = serde_json::to_vec_pretty(value).map_err(|e| OutputError::Encode {
        path: path.into(),
        message: e.to_string(),
    })?;
    v.push(b'\n');
    Ok(v)
}

/// Writes the three result files of a batch into `dir` (where agents.csv,
/// if the runs recorded agents after `agent_weeks`, is already written).
pub fn write_run_outputs(
    dir: &Path,
    sc: &Scenario,
    input: &Path,
    runs: &[RunResult],
    agent_weeks: &[usize],
) -> Result<Vec<SummaryRow>, OutputError> {
    let weekly = csv_rows("weekly.csv", weekly_rows(&sc.name, runs))?;
    let rows = summary_rows(&sc.name, runs);
    let summary = csv_rows("summary.csv", &rows)?;
    let manifest = json_bytes("manifest.json", &run_manifest(sc, input, agent_weeks))?;
    write_atomic(&dir.join("weekly.csv"), &weekly)?;
    write_atomic(&dir.join("summary.csv"), &summary)?;
    write_atomic(&dir.join("manifest.json"), &manifest)?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_files_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/x.csv");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("x.csv")]);
    }

    #[test]
    fn resolved_params_use_scenario_words() {
        let m = resolved_params(&ModelParams::default());
        assert_eq!(m["token_cap"], "none");
        assert_eq!(m["agent_permissions"], "broad");
        assert_eq!(m["leaderboard"], "none");
        assert_eq!(m["rationality"], 3.5);
        assert_eq!(m["credibility"], "{ dist = \"beta\", a = 4, b = 4 }");
    }
}
