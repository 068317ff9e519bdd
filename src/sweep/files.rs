//! The sweep's result files: `points.csv`, the rows of `runs.csv`, and
//! `manifest.json`.
//!
//! `runs.csv` has one row per run and recorded week: `point, replicate,
//! seed, week`, then every metric. `week` is the week number (with
//! `record = "weekly"`) or `final`, and every run ends with a
//! `run_average` row (the mean of each metric over the run's weeks).

use super::{Plan, Shard, SweepError};
use crate::model::metrics::WeekMetrics;
use crate::output::{num, resolved_params};
use crate::params::registry::Value;
use crate::scenario::Scenario;
use crate::scenario::sweep_spec::{Design, Domain, Record};
use serde::Serialize;
use std::fmt::Write as _;

pub const POINTS: &str = "points.csv";
pub const RUNS: &str = "runs.csv";
pub const RUNS_PARTIAL: &str = "runs.csv.partial";
pub const PROGRESS: &str = "sweep-in-progress.json";
pub const AGGREGATE: &str = "aggregate.csv";
pub const SENSITIVITY: &str = "sensitivity.csv";
pub const MANIFEST: &str = "manifest.json";

/// A parameter value as a CSV cell (words without quotes).
pub fn cell(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Real(x) => num(*x),
        Value::Text(t) => t.clone(),
        Value::Dist(d) => d.to_string(),
    }
}

/// `points.csv`: point id, one column per swept parameter, and for
/// sampling designs the unit-cube coordinates (`unit_<name>`).
pub fn points_csv(plan: &Plan) -> Vec<u8> {
    let names: Vec<&str> = plan.spec.params.iter().map(|p| p.def.name).collect();
    let mut s = String::from("point");
    for n in &names {
        let _ = write!(s, ",{n}");
    }
    let with_units = plan.spec.design != Design::Grid;
    if with_units {
        for n in &names {
            let _ = write!(s, ",unit_{n}");
        }
    }
    s.push('\n');
    for (id, p) in plan.points.iter().enumerate() {
        let _ = write!(s, "{id}");
        for v in &p.values {
            let _ = write!(s, ",{}", cell(v));
        }
        if let Some(u) = p.unit.as_ref().filter(|_| with_units) {
            for x in u {
                let _ = write!(s, ",{}", num(*x));
            }
        }
        s.push('\n');
    }
    s.into_bytes()
}

/// Header line of `runs.csv`.
pub fn runs_header() -> String {
    let mut s = String::from("point,replicate,seed,week");
    for m in WeekMetrics::NAMES {
        let _ = write!(s, ",{m}");
    }
    s.push('\n');
    s
}

/// The rows of run (point, replicate) with weekly metrics `weeks`.
pub fn run_rows(
    record: Record,
    point: usize,
    replicate: usize,
    seed: u64,
    weeks: &[WeekMetrics],
) -> String {
    let mut s = String::new();
    let mut row = |label: &str, values: &[f64]| {
        let _ = write!(s, "{point},{replicate},{seed},{label}");
        for v in values {
            let _ = write!(s, ",{}", num(*v));
        }
        s.push('\n');
    };
    let all: Vec<Vec<f64>> = weeks.iter().map(|m| m.values()).collect();
    match record {
        Record::Weekly => {
            for (w, v) in all.iter().enumerate() {
                row(&w.to_string(), v);
            }
        }
        Record::Final => row("final", all.last().map_or(&[][..], |v| v)),
    }
    let n = all.len().max(1) as f64;
    let avg: Vec<f64> = (0..WeekMetrics::NAMES.len())
        .map(|k| all.iter().map(|v| v[k]).sum::<f64>() / n)
        .collect();
    row("run_average", &avg);
    s
}

#[derive(Serialize)]
struct ParamRecord {
    name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    values: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    high: Option<f64>,
}

#[derive(Serialize)]
struct Manifest<'a> {
    goodhart_version: &'static str,
    kind: &'static str,
    scenario: &'a str,
    description: &'a str,
    input_sha256: &'a str,
    design: &'static str,
    parameters: Vec<ParamRecord>,
    samples: usize,
    levels: usize,
    replicates: usize,
    record: &'static str,
    bootstrap: usize,
    master_seed: u64,
    points: usize,
    runs: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    shard: Option<String>,
    base_parameters: serde_json::Map<String, serde_json::Value>,
    files: Vec<&'static str>,
    scenario_toml: &'a str,
}

/// `manifest.json` of a sweep (or of one shard). It holds no command line
/// or time, so a merged sweep's manifest equals the unsharded one.
pub fn manifest_json(plan: &Plan, shard: Shard) -> Vec<u8> {
    let sc = &plan.scenario;
    let spec = &plan.spec;
    let parameters = spec
        .params
        .iter()
        .map(|p| match &p.domain {
            Domain::Values(v) => ParamRecord {
                name: p.def.name,
                values: Some(v.iter().map(cell).collect()),
                low: None,
                high: None,
            },
            Domain::Range { low, high } => ParamRecord {
                name: p.def.name,
                values: None,
                low: Some(*low),
                high: Some(*high),
            },
        })
        .collect();
    let mut files = vec![POINTS, RUNS, AGGREGATE];
    if matches!(spec.design, Design::Sobol | Design::Morris) {
        files.push(SENSITIVITY);
    }
    files.push(MANIFEST);
    let m = Manifest {
        goodhart_version: env!("CARGO_PKG_VERSION"),
        kind: "sweep",
        scenario: &sc.name,
        description: &sc.description,
        input_sha256: &sc.input_sha256,
        design: spec.design.word(),
        parameters,
        samples: spec.samples,
        levels: spec.levels,
        replicates: spec.replicates,
        record: spec.record.word(),
        bootstrap: spec.bootstrap,
        master_seed: sc.run.seed,
        points: plan.points.len(),
        runs: plan.points.len() * spec.replicates,
        shard: (shard != Shard::WHOLE).then(|| format!("{}/{}", shard.index, shard.count)),
        base_parameters: resolved_params(&sc.params),
        files,
        scenario_toml: &sc.text,
    };
    let mut v = serde_json::to_vec_pretty(&m).unwrap_or_default();
    v.push(b'\n');
    v
}

/// Rebuilds the plan of a sweep from its manifest (for `sensitivity` and
/// `merge`), returning it with the shard the manifest describes.
pub fn plan_from_manifest(path: &std::path::Path) -> Result<(Plan, Shard), SweepError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| SweepError::Io {
        path: shown.clone(),
        source,
    })?;
    let corrupt = |message: String| SweepError::Corrupt {
        path: shown.clone(),
        message,
    };
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| corrupt(format!("not valid JSON: {e}")))?;
    if json["kind"] != "sweep" {
        return Err(corrupt(
            "not the manifest of a sweep (was it written by `goodhart run`?)".into(),
        ));
    }
    let field = |k: &str| {
        json[k]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| corrupt(format!("missing `{k}`")))
    };
    let toml = field("scenario_toml")?;
    let name = field("scenario")?;
    let mut sc = Scenario::parse(&toml, &format!("{shown} (scenario_toml)"), &name)
        .map_err(|e| corrupt(e.to_string()))?;
    // The settings command-line flags may have changed from the file's
    // (`--seed`, `--employees`, `--weeks`), as the sweep ran them.
    let seed = json["master_seed"]
        .as_u64()
        .ok_or_else(|| corrupt("missing `master_seed`".into()))?;
    sc.set("seed", Value::Int(seed as i64)).map_err(&corrupt)?;
    for name in ["employees", "weeks"] {
        let v = json["base_parameters"][name]
            .as_u64()
            .ok_or_else(|| corrupt(format!("missing `base_parameters.{name}`")))?;
        sc.set(name, Value::Int(v as i64)).map_err(&corrupt)?;
    }
    let spec = sc
        .sweep
        .as_mut()
        .ok_or_else(|| corrupt("the embedded scenario has no [sweep] table".into()))?;
    spec.replicates = json["replicates"]
        .as_u64()
        .ok_or_else(|| corrupt("missing `replicates`".into()))? as usize;
    spec.record =
        Record::from_word(&field("record")?).ok_or_else(|| corrupt("bad `record`".into()))?;
    let shard = match json["shard"].as_str() {
        None => Shard::WHOLE,
        Some(s) => Shard::parse(s).map_err(corrupt)?,
    };
    let plan = Plan::new(&sc)?;
    Ok((plan, shard))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_records_write_final_and_average_rows() {
        let w = vec![
            WeekMetrics {
                measured_adoption: 0.5,
                ..Default::default()
            },
            WeekMetrics {
                measured_adoption: 1.0,
                ..Default::default()
            },
        ];
        let s = run_rows(Record::Final, 3, 1, 42, &w);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("3,1,42,final,1,"));
        assert!(lines[1].starts_with("3,1,42,run_average,0.75,"));
        let weekly = run_rows(Record::Weekly, 0, 0, 1, &w);
        assert_eq!(weekly.lines().count(), 3);
        assert_eq!(
            runs_header().split(',').count(),
            lines[0].split(',').count()
        );
    }
}
