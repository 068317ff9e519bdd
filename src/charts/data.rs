//! Reading result directories back for charts and reports: typed rows
//! and manifests only ([`crate::results`]), nothing re-simulated. The
//! run's scenario (its parameters and timeline) is rebuilt from the text
//! its manifest embeds, so lever paths follow the timeline's own rules.

use super::ChartError;
use crate::model::metrics::Metric;
use crate::params::registry::{self, Value};
use crate::params::timeline::Change;
use crate::params::{MODEL_PARAMS, ModelParams};
use crate::results::{
    AggregateRow, PointRow, RunManifest, SensitivityRow, Statistic, SweepManifest, WeeklyRow,
    each_row, manifest, read_rows,
};
use crate::scenario::Scenario;
use crate::stats::{Summary, summarise};
use std::collections::HashMap;
use std::path::Path;

impl From<crate::results::ReadError> for ChartError {
    fn from(e: crate::results::ReadError) -> Self {
        ChartError::Data(e.to_string())
    }
}

/// A timeline event as drawn on charts, with the arms that have it.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    /// Indices (into [`RunResults::variants`]) of the arms with the event.
    pub arms: Vec<usize>,
    pub kind: MarkerKind,
}

/// What a timeline event does.
#[derive(Clone, Debug, PartialEq)]
pub enum MarkerKind {
    /// A lever set at a week: `what` says from what to what.
    Set { week: usize, what: String },
    /// A lever ramped over weeks `from..=to`.
    Ramp {
        from: usize,
        to: usize,
        what: String,
        rising: bool,
    },
}

impl Marker {
    /// The first week the event acts in.
    pub fn week(&self) -> usize {
        match self.kind {
            MarkerKind::Set { week, .. } => week,
            MarkerKind::Ramp { from, .. } => from,
        }
    }

    /// What the event does, in words ("week 26: leaderboard org → manager").
    pub fn describe(&self) -> String {
        match &self.kind {
            MarkerKind::Set { week, what } => format!("week {week}: {what}"),
            MarkerKind::Ramp { from, to, what, .. } => format!("weeks {from}-{to}: {what}"),
        }
    }
}

/// The results of `goodhart run` in one directory.
pub struct RunResults {
    pub scenario: String,
    pub description: String,
    pub variants: Vec<String>,
    pub weeks: usize,
    pub replicates: usize,
    pub manifest: RunManifest,
    /// The scenario the runs used (rebuilt from the manifest).
    pub source: Scenario,
    /// values[variant][metric][week][replicate] (NaN where missing).
    values: Vec<Vec<Vec<Vec<f64>>>>,
    /// seeds[variant][replicate]: the seed each replicate ran with.
    seeds: Vec<Vec<Option<u64>>>,
}

impl RunResults {
    pub fn load(dir: &Path) -> Result<RunResults, ChartError> {
        let header: manifest::Header = manifest::read(dir)?;
        if header.kind != "run" {
            return Err(ChartError::Data(format!(
                "{} holds a {}, not a run",
                dir.display(),
                header.kind
            )));
        }
        let manifest: RunManifest = manifest::read(dir)?;
        let source = manifest.scenario(dir)?;
        let mut variants: Vec<String> = Vec::new();
        let mut values: Vec<Vec<Vec<Vec<f64>>>> = Vec::new();
        let mut seeds: Vec<Vec<Option<u64>>> = Vec::new();
        let mut weeks = 0;
        each_row(&dir.join("weekly.csv"), |row: WeeklyRow| {
            let vi = match variants.iter().position(|x| *x == row.variant) {
                Some(i) => i,
                None => {
                    variants.push(row.variant.clone());
                    values.push(vec![Vec::new(); Metric::ALL.len()]);
                    seeds.push(Vec::new());
                    variants.len() - 1
                }
            };
            let Some(w) = row.week.filter(|_| row.statistic == Statistic::Week) else {
                return Err(ChartError::Data(format!(
                    "weekly.csv: a `{}` row where weeks were expected",
                    row.statistic.word()
                )));
            };
            weeks = weeks.max(w + 1);
            let r = row.replicate;
            let known = &mut seeds[vi];
            if known.len() <= r {
                known.resize(r + 1, None);
            }
            if known[r].is_some_and(|s| s != row.seed) {
                return Err(ChartError::Data(format!(
                    "weekly.csv: replicate {r} of variant {} appears with two seeds",
                    row.variant
                )));
            }
            known[r] = Some(row.seed);
            for &m in Metric::ALL {
                let series = &mut values[vi][m as usize];
                if series.len() <= w {
                    series.resize(w + 1, Vec::new());
                }
                if series[w].len() <= r {
                    series[w].resize(r + 1, f64::NAN);
                }
                series[w][r] = row.metrics.get(m);
            }
            Ok(())
        })?;
        if variants.is_empty() {
            return Err(ChartError::Data(format!(
                "{} has no rows: nothing to draw",
                dir.join("weekly.csv").display()
            )));
        }
        // Arm 0 is the base, whatever order the file lists the arms in:
        // every difference is taken against it.
        let Some(base) = variants.iter().position(|v| v == crate::scenario::BASE_ARM) else {
            return Err(ChartError::Data(format!(
                "{} has no rows of the base arm (variant {}): differences need it",
                dir.join("weekly.csv").display(),
                crate::scenario::BASE_ARM
            )));
        };
        if base != 0 {
            let arm = variants.remove(base);
            variants.insert(0, arm);
            let v = values.remove(base);
            values.insert(0, v);
            let sd = seeds.remove(base);
            seeds.insert(0, sd);
        }
        Ok(RunResults {
            scenario: manifest.header.scenario.clone(),
            description: manifest.description.clone(),
            replicates: manifest.replicates,
            variants,
            weeks,
            manifest,
            source,
            values,
            seeds,
        })
    }

    /// The results of runs made in this process (`goodhart serve`): the
    /// same as loading the directory `goodhart run` would write for them.
    pub fn from_runs(
        sc: &Scenario,
        runs: &[crate::experiment::RunResult],
    ) -> Result<RunResults, ChartError> {
        let manifest = crate::output::run_manifest(sc, Path::new("(explorer)"), &[]);
        let mut variants: Vec<String> = Vec::new();
        let mut values: Vec<Vec<Vec<Vec<f64>>>> = Vec::new();
        let mut seeds: Vec<Vec<Option<u64>>> = Vec::new();
        let mut weeks = 0;
        for run in runs {
            let vi = match variants.iter().position(|v| *v == run.variant) {
                Some(i) => i,
                None => {
                    variants.push(run.variant.clone());
                    values.push(vec![Vec::new(); Metric::ALL.len()]);
                    seeds.push(Vec::new());
                    variants.len() - 1
                }
            };
            weeks = weeks.max(run.weeks.len());
            if seeds[vi].len() <= run.replicate {
                seeds[vi].resize(run.replicate + 1, None);
            }
            seeds[vi][run.replicate] = Some(run.seed);
            for &m in Metric::ALL {
                let series = &mut values[vi][m as usize];
                for (w, wm) in run.weeks.iter().enumerate() {
                    if series.len() <= w {
                        series.resize(w + 1, Vec::new());
                    }
                    if series[w].len() <= run.replicate {
                        series[w].resize(run.replicate + 1, f64::NAN);
                    }
                    series[w][run.replicate] = wm.get(m);
                }
            }
        }
        if variants.first().map(String::as_str) != Some(crate::scenario::BASE_ARM) {
            return Err(ChartError::Data("the runs have no base arm first".into()));
        }
        Ok(RunResults {
            scenario: sc.name.clone(),
            description: sc.description.clone(),
            replicates: sc.run.replicates,
            variants,
            weeks,
            manifest,
            source: sc.clone(),
            values,
            seeds,
        })
    }

    /// (week, mean, ci_low, ci_high) of a metric for one variant; the
    /// interval is cut to the metric's declared range (a count's interval
    /// does not go below zero), and is the mean itself with one replicate.
    pub fn band(&self, variant: usize, metric: Metric) -> Vec<(f64, f64, f64, f64)> {
        self.band_from(variant, metric, 0)
    }

    /// [`RunResults::band`] from week `first` on.
    pub fn band_from(
        &self,
        variant: usize,
        metric: Metric,
        first: usize,
    ) -> Vec<(f64, f64, f64, f64)> {
        let r = metric.range();
        self.values[variant][metric as usize]
            .iter()
            .enumerate()
            .skip(first)
            .map(|(w, xs)| {
                let s = summarise(xs);
                let (lo, hi) = if s.ci_low.is_finite() {
                    (s.ci_low.max(r.min), s.ci_high.min(r.max))
                } else {
                    (s.mean, s.mean)
                };
                (w as f64, s.mean, lo, hi)
            })
            .collect()
    }

    /// Replicate summary of a metric's value in `week` (the interval cut
    /// to the metric's range).
    pub fn at_week(&self, variant: usize, metric: Metric, week: usize) -> Summary {
        let xs = self.values[variant][metric as usize]
            .get(week)
            .map_or(&[][..], |v| v);
        bounded(summarise(xs), metric.range().min, metric.range().max)
    }

    /// Replicate summary of a metric's final-week value.
    pub fn final_value(&self, variant: usize, metric: Metric) -> Summary {
        self.at_week(variant, metric, self.weeks.saturating_sub(1))
    }

    /// The paired difference `variant - base` of a metric in `week`:
    /// replicate r of every arm runs with the same seed (common random
    /// numbers), so the interval is a t interval over the per-replicate
    /// differences, narrower than comparing two arms' own intervals.
    /// Replicates where either value is NaN are left out (`n` says how
    /// many were used).
    pub fn paired_difference(&self, variant: usize, metric: Metric, week: usize) -> Summary {
        let get = |v: usize| self.values[v][metric as usize].get(week);
        let (Some(a), Some(b)) = (get(variant), get(0)) else {
            return summarise(&[]);
        };
        let diffs: Vec<f64> = a
            .iter()
            .zip(b)
            .enumerate()
            .filter(|(r, _)| self.seeds[variant].get(*r) == self.seeds[0].get(*r))
            .map(|(_, (x, y))| x - y)
            .collect();
        let span = metric.range().max - metric.range().min;
        bounded(summarise(&diffs), -span, span)
    }

    /// The change of a metric in one arm from week `from` to week `to`,
    /// per replicate (the same employees and draws before and after),
    /// summarised over replicates.
    pub fn change(&self, variant: usize, metric: Metric, from: usize, to: usize) -> Summary {
        let series = &self.values[variant][metric as usize];
        let (Some(a), Some(b)) = (series.get(to), series.get(from)) else {
            return summarise(&[]);
        };
        let diffs: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
        let span = metric.range().max - metric.range().min;
        bounded(summarise(&diffs), -span, span)
    }

    /// (undefined, all) values of a metric over every arm, week and
    /// replicate.
    pub fn undefined(&self, metric: Metric) -> (usize, usize) {
        self.values
            .iter()
            .flat_map(|v| v[metric as usize].iter().flatten())
            .fold((0, 0), |(nan, all), x| {
                (nan + usize::from(x.is_nan()), all + 1)
            })
    }

    /// Whether every arm ran replicate r with the same seed as the base.
    pub fn paired(&self) -> bool {
        self.seeds.iter().all(|s| *s == self.seeds[0])
    }

    /// Timeline events of every arm, an event shared by several arms
    /// listed once with all of them.
    pub fn markers(&self) -> Vec<Marker> {
        let mut out: Vec<Marker> = Vec::new();
        for arm in self.source.arms() {
            let Some(vi) = self.variants.iter().position(|v| *v == arm.name) else {
                continue;
            };
            for e in &arm.timeline.events {
                let name = e.param.name;
                let kind = match &e.change {
                    Change::Set { week, value } => {
                        let before = self
                            .lever_value(&arm, name, week.saturating_sub(1), *week == 0)
                            .unwrap_or_default();
                        MarkerKind::Set {
                            week: *week,
                            what: format!(
                                "{name} {before} → {}",
                                e.param.show(value).trim_matches('"')
                            ),
                        }
                    }
                    Change::Ramp {
                        from_week,
                        to_week,
                        start,
                        end,
                    } => MarkerKind::Ramp {
                        from: *from_week,
                        to: *to_week,
                        what: format!(
                            "{name} {} → {}",
                            crate::output::sig(*start, 3),
                            crate::output::sig(*end, 3)
                        ),
                        rising: end > start,
                    },
                };
                match out.iter_mut().find(|m| m.kind == kind) {
                    Some(m) => m.arms.push(vi),
                    None => out.push(Marker {
                        arms: vec![vi],
                        kind,
                    }),
                }
            }
        }
        // Events after the last simulated week (a run shortened with
        // --weeks) did not happen.
        out.retain(|m| m.week() < self.weeks);
        out
    }

    /// A lever's value as the arm's timeline has it in `week` (before any
    /// event when `initial`), as written in a scenario file.
    fn lever_value(
        &self,
        arm: &crate::scenario::Variant,
        param: &str,
        week: usize,
        initial: bool,
    ) -> Option<String> {
        let def = registry::find(MODEL_PARAMS, param)?;
        let mut p: ModelParams = arm.params.clone();
        if !initial {
            (0..=week).for_each(|w| arm.timeline.apply(w, &mut p));
        }
        Some(def.show(&(def.get)(&p)).trim_matches('"').to_string())
    }

    /// The value of numeric lever `param` in each week of the base run, as
    /// the timeline sets it (None if it is not numeric).
    pub fn lever_path(&self, param: &str) -> Option<Vec<f64>> {
        let def = registry::find(MODEL_PARAMS, param)?;
        let mut p: ModelParams = self.source.params.clone();
        (0..self.weeks)
            .map(|w| {
                self.source.timeline.apply(w, &mut p);
                (def.get)(&p).as_f64()
            })
            .collect()
    }

    /// Parameters ramped by the base timeline.
    pub fn ramped_params(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for e in &self.source.timeline.events {
            if matches!(e.change, Change::Ramp { .. }) && !out.contains(&e.param.name) {
                out.push(e.param.name);
            }
        }
        out
    }
}

/// `s` with its interval cut to `[lo, hi]`.
fn bounded(mut s: Summary, lo: f64, hi: f64) -> Summary {
    if s.ci_low.is_finite() {
        s.ci_low = s.ci_low.max(lo);
        s.ci_high = s.ci_high.min(hi);
    }
    s
}

/// The results of `goodhart sweep` in one directory (final-week
/// aggregates, and sensitivity indices if any).
pub struct SweepResults {
    pub scenario: String,
    pub description: String,
    pub design: String,
    pub params: Vec<String>,
    pub replicates: usize,
    pub manifest: SweepManifest,
    /// `points[point][param]`: each swept value as text.
    pub points: Vec<Vec<String>>,
    /// (point, metric) -> (mean, ci_low, ci_high) of the final week.
    finals: HashMap<(usize, Metric), (f64, f64, f64)>,
    pub sensitivity: Vec<SensitivityRow>,
}

/// A swept value as text (words without quotes).
fn cell_text(v: &Value) -> String {
    crate::sweep::files::cell(v)
}

impl SweepResults {
    pub fn load(dir: &Path) -> Result<SweepResults, ChartError> {
        let header: manifest::Header = manifest::read(dir)?;
        if header.kind != "sweep" {
            return Err(ChartError::Data(format!(
                "{} holds a {}, not a sweep",
                dir.display(),
                header.kind
            )));
        }
        let manifest: SweepManifest = manifest::read(dir)?;
        let params: Vec<String> = manifest.parameters.iter().map(|p| p.name.clone()).collect();
        let rows = read_rows::<PointRow>(&dir.join("points.csv"))?;
        if rows.is_empty() || rows.iter().enumerate().any(|(i, p)| p.point != i) {
            return Err(ChartError::Data(format!(
                "{} must list the points 0, 1, 2, ... in order",
                dir.join("points.csv").display()
            )));
        }
        let points = rows
            .into_iter()
            .map(|p| p.params.iter().map(|(_, v)| cell_text(v)).collect())
            .collect();
        let mut finals = HashMap::new();
        each_row(&dir.join("aggregate.csv"), |r: AggregateRow| {
            if r.statistic == Statistic::Final {
                // The interval cut to the metric's range, as in runs.
                let b = bounded(r.summary(), r.metric.range().min, r.metric.range().max);
                finals.insert((r.point, r.metric), (b.mean, b.ci_low, b.ci_high));
            }
            Ok::<(), ChartError>(())
        })?;
        if finals.is_empty() {
            return Err(ChartError::Data(format!(
                "{} has no final-week rows: nothing to draw",
                dir.join("aggregate.csv").display()
            )));
        }
        let sens = dir.join("sensitivity.csv");
        let sensitivity = if sens.exists() {
            read_rows::<SensitivityRow>(&sens)?
        } else {
            Vec::new()
        };
        Ok(SweepResults {
            scenario: manifest.header.scenario.clone(),
            description: manifest.description.clone(),
            design: manifest.design.clone(),
            replicates: manifest.replicates,
            params,
            manifest,
            points,
            finals,
            sensitivity,
        })
    }

    /// (mean, ci_low, ci_high) of a metric's final-week value at a point.
    pub fn value(&self, point: usize, metric: Metric) -> Option<(f64, f64, f64)> {
        self.finals.get(&(point, metric)).copied()
    }

    /// The distinct values of parameter `i`, in first-seen order.
    pub fn levels(&self, i: usize) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in &self.points {
            if !out.contains(&p[i]) {
                out.push(p[i].clone());
            }
        }
        out
    }
}

impl SweepResults {
    /// The value of parameter `i` at each point, if every value is a
    /// number.
    pub fn numeric(&self, i: usize) -> Option<Vec<f64>> {
        self.points
            .iter()
            .map(|p| p[i].parse::<f64>().ok())
            .collect()
    }

    /// The parameters ranked by how much of the spread of a metric's
    /// point means they explain (the correlation ratio eta squared: the
    /// share of the variance between groups of points with the same value,
    /// or, for a parameter with more than ten values, the same quintile).
    /// Most influential first.
    pub fn influence(&self, metric: Metric) -> Vec<(usize, f64)> {
        let y: Vec<Option<f64>> = (0..self.points.len())
            .map(|p| self.value(p, metric).map(|v| v.0).filter(|v| v.is_finite()))
            .collect();
        let mut out: Vec<(usize, f64)> = (0..self.params.len())
            .map(|i| (i, eta_squared(&self.groups(i), &y)))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// A group number per point for parameter `i`: its level, or its
    /// quintile when it takes more than ten values.
    fn groups(&self, i: usize) -> Vec<usize> {
        let levels = self.levels(i);
        match self.numeric(i) {
            Some(xs) if levels.len() > 10 => {
                let mut sorted = xs.clone();
                sorted.sort_by(f64::total_cmp);
                xs.iter()
                    .map(|x| {
                        let rank = sorted.partition_point(|s| s < x);
                        rank * 5 / sorted.len().max(1)
                    })
                    .collect()
            }
            _ => self
                .points
                .iter()
                .map(|p| levels.iter().position(|l| *l == p[i]).unwrap_or(0))
                .collect(),
        }
    }
}

/// The share of the variance of `y` between the groups (points with a
/// missing `y` left out); 0 when `y` does not vary.
fn eta_squared(groups: &[usize], y: &[Option<f64>]) -> f64 {
    let pairs: Vec<(usize, f64)> = groups
        .iter()
        .zip(y)
        .filter_map(|(g, v)| v.map(|v| (*g, v)))
        .collect();
    let n = pairs.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let mean = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let total: f64 = pairs.iter().map(|p| (p.1 - mean).powi(2)).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let mut sums: HashMap<usize, (f64, f64)> = HashMap::new();
    for (g, v) in &pairs {
        let e = sums.entry(*g).or_insert((0.0, 0.0));
        e.0 += v;
        e.1 += 1.0;
    }
    let between: f64 = sums.values().map(|(s, k)| k * (s / k - mean).powi(2)).sum();
    (between / total).clamp(0.0, 1.0)
}
