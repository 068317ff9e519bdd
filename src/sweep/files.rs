//! The sweep's result files as typed rows ([`crate::results`]):
//! `points.csv`, the rows of `runs.csv`, and `manifest.json`.
//!
//! `runs.csv` has, per run, with `record = "weekly"` one row per week
//! (`statistic` `week`), then always its `final` week (with the week's
//! number) and its `run_average` (the mean of each metric over the run's
//! weeks; `week` empty). Each row carries its point's swept parameters.

use super::{Plan, Shard, SweepError};
use crate::model::metrics::WeekMetrics;
use crate::output::{json_bytes, num, resolved_params, run_statistics};
use crate::params::registry::Value;
use crate::results::manifest::{Header, ParamRecord};
use crate::results::{PointRow, RunRow, Statistic, SweepManifest};
#[cfg(test)]
use crate::scenario::Scenario;
use crate::scenario::sweep_spec::{Design, Domain, Record};

pub const POINTS: &str = "points.csv";
pub const RUNS: &str = "runs.csv";
pub const RUNS_PARTIAL: &str = "runs.csv.partial";
pub const PROGRESS: &str = "sweep-in-progress.json";
pub const AGGREGATE: &str = "aggregate.csv";
pub const SENSITIVITY: &str = "sensitivity.csv";
pub const MANIFEST: &str = "manifest.json";
/// An exploration's own files (see [`super::explore`] and
/// [`super::discovery`]).
pub const WORLDS: &str = "worlds.csv";
pub const OUTCOMES: &str = "outcomes.csv";
pub const ROBUSTNESS: &str = "robustness.csv";
pub const TRAJECTORY: &str = "discovery_trajectory.csv";
pub const BOXES: &str = "discovery_boxes.csv";

/// A parameter value as text (words without quotes), for messages and
/// manifests.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Real(x) => num(*x),
        Value::Text(t) => t.clone(),
        Value::Dist(d) => d.to_string(),
    }
}

/// The swept parameters' values at point `p`, as columns (an
/// exploration's point first names its world and policy).
pub fn point_params(plan: &Plan, p: usize) -> Vec<(&'static str, Value)> {
    let [world, policy] = crate::results::EXPLORE_COLUMNS;
    let head = plan.explore.as_ref().map(|e| {
        let (w, a) = e.world_policy(p);
        [
            (world, Value::Int(w as i64)),
            (policy, Value::Text(e.arms[a].name.clone())),
        ]
    });
    head.into_iter()
        .flatten()
        .chain(
            plan.spec
                .params
                .iter()
                .zip(&plan.point(p).values)
                .map(|(sp, v)| (sp.def.name, v.clone())),
        )
        .collect()
}

/// `points.csv`: each point's swept parameter values and, for sampling
/// designs, its unit-cube coordinates.
pub fn point_rows(plan: &Plan) -> impl Iterator<Item = PointRow> + '_ {
    let with_units = plan.spec.design != Design::Grid;
    (0..plan.point_count()).map(move |p| PointRow {
        point: p,
        params: point_params(plan, p),
        units: match plan.point(p).unit.as_ref().filter(|_| with_units) {
            Some(u) => plan
                .spec
                .params
                .iter()
                .map(|sp| sp.def.name)
                .zip(u.iter().copied())
                .collect(),
            None => Vec::new(),
        },
    })
}

/// The rows of run (point, replicate) in `runs.csv`: every week (with
/// `record = "weekly"`), then its final week and its run average.
pub fn run_rows(plan: &Plan, point: usize, replicate: usize, weeks: &[WeekMetrics]) -> Vec<RunRow> {
    let params = point_params(plan, point);
    let seed = plan.seed(replicate);
    let row = |statistic, week, metrics| RunRow {
        point,
        params: params.clone(),
        replicate,
        seed,
        statistic,
        week,
        metrics,
    };
    let mut rows = Vec::new();
    if plan.record() == Record::Weekly {
        rows.extend(
            weeks
                .iter()
                .enumerate()
                .map(|(w, m)| row(Statistic::Week, Some(w), *m)),
        );
    }
    rows.extend(
        run_statistics(weeks)
            .into_iter()
            .map(|(statistic, week, m)| row(statistic, week, m)),
    );
    rows
}

/// The manifest of a sweep (or of one shard of it). It holds no command
/// line or time, so a merged sweep's manifest equals the unsharded one.
pub fn manifest(plan: &Plan, shard: Shard) -> SweepManifest {
    let sc = &plan.scenario;
    let spec = &plan.spec;
    let parameters = spec
        .params
        .iter()
        .map(|p| match &p.domain {
            Domain::Values(v) => ParamRecord {
                name: p.def.name.to_string(),
                values: Some(v.iter().map(cell).collect()),
                low: None,
                high: None,
            },
            Domain::Range { low, high } => ParamRecord {
                name: p.def.name.to_string(),
                values: None,
                low: Some(*low),
                high: Some(*high),
            },
        })
        .collect();
    let mut files = vec![POINTS, RUNS, AGGREGATE];
    if plan.explore.is_some() {
        files.extend([WORLDS, OUTCOMES, ROBUSTNESS, TRAJECTORY, BOXES]);
    } else if matches!(spec.design, Design::Sobol | Design::Morris) {
        files.push(SENSITIVITY);
    }
    files.push(MANIFEST);
    SweepManifest {
        header: Header::new(
            plan.kind(),
            &sc.name,
            &sc.input_sha256,
            (shard != Shard::WHOLE).then(|| format!("{}/{}", shard.index, shard.count)),
        ),
        description: sc.description.clone(),
        design: match &plan.explore {
            Some(e) => e.spec.design.word().into(),
            None => spec.design.word().into(),
        },
        parameters,
        samples: spec.samples,
        levels: spec.levels,
        replicates: spec.replicates,
        record: spec.record.word().into(),
        bootstrap: spec.bootstrap,
        master_seed: sc.run.seed,
        employees: sc.params.employees,
        weeks: sc.params.weeks,
        points: plan.point_count(),
        runs: plan.point_count() * spec.replicates,
        base_parameters: resolved_params(&sc.params),
        files: files.into_iter().map(String::from).collect(),
        scenario_toml: sc.text.clone(),
    }
}

/// `manifest.json` of a sweep, as written.
pub fn manifest_json(plan: &Plan, shard: Shard) -> Vec<u8> {
    json_bytes("manifest.json", &manifest(plan, shard)).unwrap_or_default()
}

/// Rebuilds the plan of the sweep in `dir` from its manifest (for
/// `sensitivity`, `merge`, charts and reports), with the shard it holds.
pub fn plan_from_dir(dir: &std::path::Path) -> Result<(Plan, Shard), SweepError> {
    let m: SweepManifest = crate::results::manifest::read(dir).map_err(SweepError::Read)?;
    plan_from_manifest(&m, dir)
}

/// The plan a sweep manifest describes, with its shard.
pub fn plan_from_manifest(
    m: &SweepManifest,
    dir: &std::path::Path,
) -> Result<(Plan, Shard), SweepError> {
    let corrupt = |message: String| SweepError::Corrupt {
        path: dir.join(MANIFEST).display().to_string(),
        message,
    };
    if m.header.kind != "sweep" && m.header.kind != "explore" {
        return Err(corrupt(
            "not the manifest of a sweep (was it written by `goodhart run`?)".into(),
        ));
    }
    // The settings command-line flags may have changed from the file's
    // (`--seed`, `--employees`, `--weeks`), as the sweep ran them.
    let mut sc = m.scenario(dir).map_err(SweepError::Read)?;
    if let Some(e) = sc.explore.as_mut() {
        e.replicates = m.replicates;
    } else {
        let spec = sc
            .sweep
            .as_mut()
            .ok_or_else(|| corrupt("the embedded scenario has no [sweep] table".into()))?;
        spec.replicates = m.replicates;
        spec.record = Record::from_word(&m.record).ok_or_else(|| corrupt("bad `record`".into()))?;
    }
    let shard = match &m.header.shard {
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
    fn runs_record_their_final_week_and_average_with_their_point() {
        let text = "[organisation]\nweeks = 2\n[sweep]\ndesign = \"grid\"\nreplicates = 1\n[sweep.parameters]\nstake = [1.0, 2.0]\n";
        let mut sc = Scenario::parse(text, "s.toml", "s").unwrap();
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
        let plan = Plan::new(&sc).unwrap();
        let rows = run_rows(&plan, 1, 0, &w);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].statistic, rows[0].week),
            (Statistic::Final, Some(1))
        );
        assert_eq!(
            (rows[1].statistic, rows[1].week),
            (Statistic::RunAverage, None)
        );
        assert_eq!(rows[1].metrics.measured_adoption, 0.75);
        assert_eq!(rows[0].params, vec![("stake", Value::Real(2.0))]);
        sc.sweep.as_mut().unwrap().record = Record::Weekly;
        let plan = Plan::new(&sc).unwrap();
        let weekly = run_rows(&plan, 0, 0, &w);
        assert_eq!(weekly.len(), 4);
        assert_eq!(plan.rows_per_run(0), 4);
    }
}
