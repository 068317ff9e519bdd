//! Statistics computed from a complete `runs.csv`, streamed row by row:
//! `aggregate.csv` (replicate mean, sd and t interval per point, week and
//! metric) and `sensitivity.csv` (Sobol or Morris indices per parameter,
//! metric and statistic).
//!
//! Both read the runs back as typed rows from the CSV text, which
//! round-trips every f64 exactly, so they are the same whether the runs
//! were computed in one process, resumed, or merged from shards.

use super::files::{self, SENSITIVITY};
use super::{Plan, SweepError};
use crate::model::metrics::{Metric, WeekMetrics};
use crate::output::{AtomicFile, io_error};
use crate::params::registry::Value;
use crate::results::{AggregateRow, Index, RunRow, SensitivityRow, Statistic, each_row};
use crate::scenario::sweep_spec::Design;
use crate::sensitivity::{self, Interval};
use crate::stats::summarise;
use std::io::Write;
use std::path::Path;

/// What a group of rows records: a statistic, and the week if any.
type RowKind = (Statistic, Option<usize>);

/// Per point, `[statistic][point][metric]` replicate means.
type Means = [Vec<Vec<f64>>; 2];

/// One point's runs: per (statistic, week) in first-seen order, the
/// replicates' metrics.
pub(super) struct PointRuns {
    pub(super) point: usize,
    params: Vec<(&'static str, Value)>,
    groups: Vec<(RowKind, Vec<WeekMetrics>)>,
}

impl PointRuns {
    fn push(&mut self, row: RunRow) {
        let key = (row.statistic, row.week);
        match self.groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(row.metrics),
            None => self.groups.push((key, vec![row.metrics])),
        }
    }

    /// The replicates' values of one statistic of one metric.
    pub(super) fn values(&self, statistic: Statistic, metric: Metric) -> Option<Vec<f64>> {
        self.groups
            .iter()
            .find(|((s, _), _)| *s == statistic)
            .map(|(_, ms)| ms.iter().map(|m| m.get(metric)).collect())
    }
}

/// Streams `runs.csv` point by point (rows are point-major).
pub(super) fn for_each_point(
    path: &Path,
    mut f: impl FnMut(&PointRuns) -> Result<(), SweepError>,
) -> Result<(), SweepError> {
    let mut cur: Option<PointRuns> = None;
    each_row(path, |row: RunRow| {
        if let Some(c) = cur.take_if(|c| c.point != row.point) {
            f(&c)?;
        }
        cur.get_or_insert_with(|| PointRuns {
            point: row.point,
            params: row.params.clone(),
            groups: Vec::new(),
        })
        .push(row);
        Ok::<(), SweepError>(())
    })?;
    if let Some(c) = &cur {
        f(c)?;
    }
    Ok(())
}

/// Writes `aggregate.csv`: per point, statistic, week and metric, the
/// replicate summary.
pub fn write_aggregate(_plan: &Plan, runs: &Path, out: &Path) -> Result<(), SweepError> {
    let mut w = AtomicFile::create(out)?;
    let mut header = true;
    for_each_point(runs, |pr| {
        let mut rows = Vec::new();
        for ((statistic, week), ms) in &pr.groups {
            for &metric in Metric::ALL {
                let s = summarise(&ms.iter().map(|m| m.get(metric)).collect::<Vec<_>>());
                rows.push(AggregateRow::new(
                    pr.point,
                    pr.params.clone(),
                    *statistic,
                    *week,
                    metric,
                    s,
                ));
            }
        }
        let text = crate::results::csv_text(rows, header).map_err(|e| {
            SweepError::Output(crate::output::OutputError::Encode {
                path: out.display().to_string(),
                message: e.to_string(),
            })
        })?;
        header = false;
        w.write_all(&text)
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
/// average: `[statistic][point][metric]`, and the final week's number.
fn point_means(plan: &Plan, runs: &Path) -> Result<(Means, Option<usize>), SweepError> {
    let m = Metric::ALL.len();
    let mut out = [
        vec![vec![f64::NAN; m]; plan.point_count()],
        vec![vec![f64::NAN; m]; plan.point_count()],
    ];
    // The final week's number, if it is the same at every point (a sweep
    // of `weeks` has several: the column is then empty).
    let mut final_weeks: Vec<Option<usize>> = Vec::new();
    for_each_point(runs, |pr| {
        let w = pr
            .groups
            .iter()
            .find(|((s, _), _)| *s == Statistic::Final)
            .and_then(|((_, w), _)| *w);
        if !final_weeks.contains(&w) {
            final_weeks.push(w);
        }
        for (si, stat) in [Statistic::Final, Statistic::RunAverage]
            .into_iter()
            .enumerate()
        {
            let Some(slot) = out[si].get_mut(pr.point) else {
                continue;
            };
            for (k, &metric) in Metric::ALL.iter().enumerate() {
                if let Some(xs) = pr.values(stat, metric) {
                    slot[k] = summarise(&xs).mean;
                }
            }
        }
        Ok(())
    })?;
    let final_week = match final_weeks.as_slice() {
        [one] => *one,
        _ => None,
    };
    Ok((out, final_week))
}

/// Writes `sensitivity.csv`: per metric, statistic and parameter, each
/// index with its bootstrap interval.
pub fn write_sensitivity(plan: &Plan, runs: &Path, out: &Path) -> Result<(), SweepError> {
    if !has_sensitivity(plan) {
        return Err(SweepError::Invalid(format!(
            "sensitivity indices need a sobol or morris design; this sweep is a {} (see aggregate.csv instead)",
            plan.spec.design.word()
        )));
    }
    let (means, final_week) = point_means(plan, runs)?;
    let k = plan.spec.params.len();
    let units: Vec<Vec<f64>> = plan
        .points
        .iter()
        .map(|p| p.unit.clone().unwrap_or_default())
        .collect();
    let mut rows = Vec::new();
    for (mi, &metric) in Metric::ALL.iter().enumerate() {
        for (si, statistic) in [Statistic::Final, Statistic::RunAverage]
            .into_iter()
            .enumerate()
        {
            let week = (statistic == Statistic::Final)
                .then_some(final_week)
                .flatten();
            let mut row = |param: &str, index: Index, i: Interval| {
                rows.push(SensitivityRow {
                    metric,
                    statistic,
                    week,
                    parameter: param.to_string(),
                    index,
                    estimate: i.estimate,
                    ci_low: i.ci_low,
                    ci_high: i.ci_high,
                });
            };
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
                        row(p.def.name, Index::S1, ix.first);
                        row(p.def.name, Index::ST, ix.total);
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
                        row(p.def.name, Index::MuStar, ix.mu_star);
                        row(p.def.name, Index::Mu, bare(ix.mu));
                        row(p.def.name, Index::Sigma, bare(ix.sigma));
                    }
                }
            }
        }
    }
    crate::output::write_rows(out, rows)?;
    Ok(())
}

/// `goodhart sensitivity OUTDIR`: recomputes `sensitivity.csv` of a
/// complete sweep directory from its manifest and runs.
pub fn sensitivity_for_dir(dir: &Path) -> Result<std::path::PathBuf, SweepError> {
    let (plan, shard) = files::plan_from_dir(dir)?;
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
