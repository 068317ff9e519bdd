//! Result files: `weekly.csv`, `summary.csv` and `manifest.json`.
//!
//! Files are tidy (one row per observation, self-describing columns) so
//! pandas and R read them without cleaning. A command writes its files
//! into a staging directory that replaces the result directory as a whole
//! ([`resultdir`]); files added to an existing set (charts, reports) are
//! written to a temporary file and renamed into place, so no file is ever
//! seen half-written under its final name.

pub mod resultdir;

use crate::experiment::RunResult;
use crate::model::metrics::WeekMetrics;
use crate::params::registry::{Kind, Value};
use crate::params::timeline::EventRecord;
use crate::params::{MODEL_PARAMS, ModelParams};
use crate::scenario::Scenario;
use crate::stats::{Summary, summarise};
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

fn csv_bytes(
    path: &str,
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<Vec<u8>, OutputError> {
    let enc = |e: csv::Error| OutputError::Encode {
        path: path.to_string(),
        message: e.to_string(),
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(enc)?;
    for r in rows {
        w.write_record(&r).map_err(enc)?;
    }
    w.into_inner().map_err(|e| OutputError::Encode {
        path: path.to_string(),
        message: e.to_string(),
    })
}

/// `weekly.csv`: scenario, variant, replicate, seed, week, then every
/// metric.
pub fn weekly_csv(scenario: &str, runs: &[RunResult]) -> Result<Vec<u8>, OutputError> {
    let mut header = vec!["scenario", "variant", "replicate", "seed", "week"];
    header.extend_from_slice(WeekMetrics::NAMES);
    let rows = runs.iter().flat_map(|r| {
        r.weeks.iter().enumerate().map(move |(week, m)| {
            let mut row = vec![
                scenario.to_string(),
                r.variant.clone(),
                r.replicate.to_string(),
                r.seed.to_string(),
                week.to_string(),
            ];
            row.extend(m.values().into_iter().map(num));
            row
        })
    });
    csv_bytes("weekly.csv", &header, rows)
}

/// One row of `summary.csv`.
#[derive(Clone, Debug, Serialize)]
pub struct SummaryRow {
    pub variant: String,
    pub metric: &'static str,
    /// `final` (last week's value) or `run_average` (mean over weeks).
    pub statistic: &'static str,
    pub summary: Summary,
}

/// Per variant (in run order) and metric, the replicate summary of its
/// final-week value and of its run average.
pub fn summary_rows(runs: &[RunResult]) -> Vec<SummaryRow> {
    let mut variants: Vec<&str> = Vec::new();
    for r in runs {
        if !variants.contains(&r.variant.as_str()) {
            variants.push(&r.variant);
        }
    }
    variants
        .into_iter()
        .flat_map(|v| {
            let arm: Vec<&RunResult> = runs.iter().filter(|r| r.variant == v).collect();
            variant_rows(v, &arm)
        })
        .collect()
}

fn variant_rows(variant: &str, runs: &[&RunResult]) -> Vec<SummaryRow> {
    let mut rows = Vec::new();
    for (k, &metric) in WeekMetrics::NAMES.iter().enumerate() {
        let finals: Vec<f64> = runs
            .iter()
            .filter_map(|r| r.weeks.last().map(|m| m.values()[k]))
            .collect();
        let averages: Vec<f64> = runs
            .iter()
            .map(|r| {
                r.weeks.iter().map(|m| m.values()[k]).sum::<f64>() / r.weeks.len().max(1) as f64
            })
            .collect();
        rows.push(SummaryRow {
            variant: variant.to_string(),
            metric,
            statistic: "final",
            summary: summarise(&finals),
        });
        rows.push(SummaryRow {
            variant: variant.to_string(),
            metric,
            statistic: "run_average",
            summary: summarise(&averages),
        });
    }
    rows
}

/// `summary.csv`: scenario, variant, metric, statistic, n, mean, sd,
/// ci_low, ci_high.
pub fn summary_csv(scenario: &str, rows: &[SummaryRow]) -> Result<Vec<u8>, OutputError> {
    let header = [
        "scenario",
        "variant",
        "metric",
        "statistic",
        "n",
        "mean",
        "sd",
        "ci_low",
        "ci_high",
    ];
    let rows = rows.iter().map(|r| {
        let s = r.summary;
        vec![
            scenario.to_string(),
            r.variant.clone(),
            r.metric.to_string(),
            r.statistic.to_string(),
            s.n.to_string(),
            num(s.mean),
            num(s.sd),
            num(s.ci_low),
            num(s.ci_high),
        ]
    });
    csv_bytes("summary.csv", &header, rows)
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

/// Provenance of a batch of runs.
#[derive(Serialize)]
pub struct Manifest<'a> {
    pub goodhart_version: &'static str,
    /// `run` (sweeps write `sweep`): what the result directory holds.
    pub kind: &'static str,
    pub scenario: &'a str,
    pub description: &'a str,
    pub input_file: String,
    pub input_sha256: &'a str,
    pub command_line: Vec<String>,
    pub master_seed: u64,
    pub replicates: usize,
    pub run_seeds: Vec<u64>,
    pub parameters: serde_json::Map<String, serde_json::Value>,
    pub timeline: Vec<EventRecord>,
    pub variants: Vec<VariantRecord>,
    pub files: Vec<&'static str>,
}

/// A variant in a manifest: the parameters it changes from the base, and
/// its timeline.
#[derive(Serialize)]
pub struct VariantRecord {
    pub name: String,
    pub description: String,
    pub changes: serde_json::Map<String, serde_json::Value>,
    pub timeline: Vec<EventRecord>,
}

impl<'a> Manifest<'a> {
    pub fn new(sc: &'a Scenario, input_file: &Path) -> Self {
        Manifest {
            goodhart_version: env!("CARGO_PKG_VERSION"),
            kind: "run",
            scenario: &sc.name,
            description: &sc.description,
            input_file: input_file.display().to_string(),
            input_sha256: &sc.input_sha256,
            command_line: std::env::args().collect(),
            master_seed: sc.run.seed,
            replicates: sc.run.replicates,
            run_seeds: (0..sc.run.replicates)
                .map(|r| crate::model::rng::run_seed(sc.run.seed, r as u64))
                .collect(),
            parameters: resolved_params(&sc.params),
            timeline: sc.timeline.events.iter().map(EventRecord::from).collect(),
            variants: sc
                .variants
                .iter()
                .map(|v| {
                    let base = resolved_params(&sc.params);
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
            files: vec!["weekly.csv", "summary.csv", "manifest.json"],
        }
    }

    pub fn to_json(&self) -> Result<Vec<u8>, OutputError> {
        let mut v = serde_json::to_vec_pretty(self).map_err(|e| OutputError::Encode {
            path: "manifest.json".into(),
            message: e.to_string(),
        })?;
        v.push(b'\n');
        Ok(v)
    }
}

/// Writes the three result files of a batch into `dir`.
pub fn write_run_outputs(
    dir: &Path,
    sc: &Scenario,
    input: &Path,
    runs: &[RunResult],
) -> Result<Vec<SummaryRow>, OutputError> {
    let weekly = weekly_csv(&sc.name, runs)?;
    let rows = summary_rows(runs);
    let summary = summary_csv(&sc.name, &rows)?;
    let manifest = Manifest::new(sc, input).to_json()?;
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
