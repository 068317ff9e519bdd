//! Statistics computed from a complete `runs.csv`, streamed row by row:
//! `aggregate.csv` (replicate mean, sd and t interval per point, week and
//! metric) and `sensitivity.csv` (Sobol or Morris indices per parameter,
//! metric and statistic).
//!
//! Both read the numbers back from the CSV text, which round-trips every
//! f64 exactly, so they are the same whether the runs were computed in one
//! process, resumed, or merged from shards.

use super::files::{self, SENSITIVITY};
use super::{Plan, SweepError};
use crate::model::metrics::WeekMetrics;
use crate::output::{AtomicFile, io_error, num};
use crate::scenario::sweep_spec::Design;
use crate::sensitivity::{self, Interval};
use crate::stats::summarise;
use std::io::Write;
use std::path::Path;

/// One row of `runs.csv`.
struct Row {
    point: usize,
    label: String,
    values: Vec<f64>,
}

fn corrupt(path: &Path, message: String) -> SweepError {
    SweepError::Corrupt {
        path: path.display().to_string(),
        message,
    }
}

/// Calls `f` for every row of `runs.csv`, in file order.
fn for_each_row(
    path: &Path,
    mut f: impl FnMut(Row) -> Result<(), SweepError>,
) -> Result<(), SweepError> {
    let mut rdr = csv::Reader::from_path(path).map_err(|e| corrupt(path, e.to_string()))?;
    let metrics = WeekMetrics::NAMES.len();
    let mut rec = csv::StringRecord::new();
    while rdr
        .read_record(&mut rec)
        .map_err(|e| corrupt(path, e.to_string()))?
    {
        let bad = |what: &str| {
            corrupt(
                path,
                format!(
                    "line {}: bad {what}",
                    rec.position().map_or(0, |p| p.line())
                ),
            )
        };
        if rec.len() != 4 + metrics {
            return Err(bad("number of columns"));
        }
        let point = rec[0].parse().map_err(|_| bad("point"))?;
        let values = (4..4 + metrics)
            .map(|i| rec[i].parse::<f64>().map_err(|_| bad("number")))
            .collect::<Result<Vec<f64>, _>>()?;
        f(Row {
            point,
            label: rec[3].to_string(),
            values,
        })?;
    }
    Ok(())
}

/// Per-point collection of replicate values: labels in first-seen order,
/// then metric, then replicate.
#[derive(Default)]
struct PointValues {
    point: usize,
    labels: Vec<(String, Vec<Vec<f64>>)>,
}

impl PointValues {
    fn push(&mut self, row: Row) {
        let slot = match self.labels.iter().position(|(l, _)| *l == row.label) {
            Some(i) => i,
            None => {
                self.labels
                    .push((row.label, vec![Vec::new(); row.values.len()]));
                self.labels.len() - 1
            }
        };
        for (acc, v) in self.labels[slot].1.iter_mut().zip(row.values) {
            acc.push(v);
        }
    }
}

/// Streams `runs.csv` point by point.
fn for_each_point(
    path: &Path,
    mut f: impl FnMut(&PointValues) -> Result<(), SweepError>,
) -> Result<(), SweepError> {
    let mut cur: Option<PointValues> = None;
    for_each_row(path, |row| {
        if cur.as_ref().is_some_and(|c| c.point != row.point) {
            f(cur.as_ref().expect("checked"))?;
            cur = None;
        }
        cur.get_or_insert_with(|| PointValues {
            point: row.point,
            ..Default::default()
        })
        .push(row);
        Ok(())
    })?;
    if let Some(c) = &cur {
        f(c)?;
    }
    Ok(())
}

/// Writes `aggregate.csv`: point, week, metric, mean, sd, ci_low, ci_high, n.
pub fn write_aggregate(_plan: &Plan, runs: &Path, out: &Path) -> Result<(), SweepError> {
    let mut w = AtomicFile::create(out)?;
    let werr = |e| SweepError::Output(io_error(out, e));
    w.write_all(b"point,week,metric,mean,sd,ci_low,ci_high,n\n")
        .map_err(werr)?;
    for_each_point(runs, |pv| {
        let mut s = String::new();
        for (label, metrics) in &pv.labels {
            for (name, xs) in WeekMetrics::NAMES.iter().zip(metrics) {
                let m = summarise(xs);
                s.push_str(&format!(
                    "{},{label},{name},{},{},{},{},{}\n",
                    pv.point,
                    num(m.mean),
                    num(m.sd),
                    num(m.ci_low),
                    num(m.ci_high),
                    m.n
                ));
            }
        }
        w.write_all(s.as_bytes())
            .map_err(|e| SweepError::Output(io_error(out, e)))
    })?;
    w.commit()?;
    Ok(())
}

/// Whether the design supports sensitivity indices.
pub fn has_sensitivity(plan: &Plan) -> bool {
    matches!(plan.spec.design, Design::Sobol | Design::Morris)
}

/// Replicate means per point of each metric's final-week value and run
/// average: `[statistic][point][metric]`.
fn point_means(plan: &Plan, runs: &Path) -> Result<[Vec<Vec<f64>>; 2], SweepError> {
    let m = WeekMetrics::NAMES.len();
    let mut out = [
        vec![vec![f64::NAN; m]; plan.points.len()],
        vec![vec![f64::NAN; m]; plan.points.len()],
    ];
    for_each_point(runs, |pv| {
        // The final week is the `final` row, or the last numbered week.
        let final_row = pv.labels.iter().rev().find(|(l, _)| l != "run_average");
        let avg_row = pv.labels.iter().find(|(l, _)| l == "run_average");
        for (stat, row) in [final_row, avg_row].into_iter().enumerate() {
            let (Some((_, metrics)), Some(slot)) = (row, out[stat].get_mut(pv.point)) else {
                continue;
            };
            for (k, xs) in metrics.iter().enumerate() {
                slot[k] = summarise(xs).mean;
            }
        }
        Ok(())
    })?;
    Ok(out)
}

/// Writes `sensitivity.csv`: metric, statistic, parameter, index,
/// estimate, ci_low, ci_high.
pub fn write_sensitivity(plan: &Plan, runs: &Path, out: &Path) -> Result<(), SweepError> {
    if !has_sensitivity(plan) {
        return Err(SweepError::Invalid(format!(
            "sensitivity indices need a sobol or morris design; this sweep is a {} (see aggregate.csv instead)",
            plan.spec.design.word()
        )));
    }
    let means = point_means(plan, runs)?;
    let k = plan.spec.params.len();
    let units: Vec<Vec<f64>> = plan
        .points
        .iter()
        .map(|p| p.unit.clone().unwrap_or_default())
        .collect();
    let mut s = String::from("metric,statistic,parameter,index,estimate,ci_low,ci_high\n");
    let mut line = |metric: &str, stat: &str, param: &str, index: &str, i: Interval| {
        s.push_str(&format!(
            "{metric},{stat},{param},{index},{},{},{}\n",
            num(i.estimate),
            num(i.ci_low),
            num(i.ci_high)
        ));
    };
    for (mi, metric) in WeekMetrics::NAMES.iter().enumerate() {
        for (si, stat) in ["final", "run_average"].into_iter().enumerate() {
            let y: Vec<f64> = means[si].iter().map(|row| row[mi]).collect();
            let seed = crate::model::rng::run_seed(
                plan.scenario.run.seed ^ 0x5e45_171e,
                (mi * 2 + si) as u64,
            );
            let reps = plan.spec.bootstrap;
            match plan.spec.design {
                Design::Sobol => {
                    for (p, ix) in plan
                        .spec
                        .params
                        .iter()
                        .zip(sensitivity::sobol(&y, k, reps, seed))
                    {
                        line(metric, stat, p.def.name, "S1", ix.first);
                        line(metric, stat, p.def.name, "ST", ix.total);
                    }
                }
                _ => {
                    for (p, ix) in plan
                        .spec
                        .params
                        .iter()
                        .zip(sensitivity::morris(&units, &y, k, reps, seed))
                    {
                        let bare = |v: f64| Interval {
                            estimate: v,
                            ci_low: f64::NAN,
                            ci_high: f64::NAN,
                        };
                        line(metric, stat, p.def.name, "mu_star", ix.mu_star);
                        line(metric, stat, p.def.name, "mu", bare(ix.mu));
                        line(metric, stat, p.def.name, "sigma", bare(ix.sigma));
                    }
                }
            }
        }
    }
    crate::output::write_atomic(out, s.as_bytes())?;
    Ok(())
}

/// `goodhart sensitivity OUTDIR`: recomputes `sensitivity.csv` of a
/// complete sweep directory from its manifest and runs.
pub fn sensitivity_for_dir(dir: &Path) -> Result<std::path::PathBuf, SweepError> {
    let (plan, shard) = files::plan_from_manifest(&dir.join(files::MANIFEST))?;
    if shard != super::Shard::WHOLE {
        return Err(SweepError::Invalid(format!(
            "{} holds shard {}/{} only; merge the shards first (`goodhart merge`)",
            dir.display(),
            shard.index,
            shard.count
        )));
    }
    let out = dir.join(SENSITIVITY);
    write_sensitivity(&plan, &dir.join(files::RUNS), &out)?;
    Ok(out)
}
