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

/// A timeline event as drawn on charts.
#[derive(Clone, Debug)]
pub struct Marker {
    pub week: usize,
    pub label: String,
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
    /// values[variant][metric][week] = replicate values.
    values: Vec<Vec<Vec<Vec<f64>>>>,
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
        let mut weeks = 0;
        each_row(&dir.join("weekly.csv"), |row: WeeklyRow| {
            let vi = match variants.iter().position(|x| *x == row.variant) {
                Some(i) => i,
                None => {
                    variants.push(row.variant.clone());
                    values.push(vec![Vec::new(); Metric::ALL.len()]);
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
            for &m in Metric::ALL {
                let series = &mut values[vi][m as usize];
                if series.len() <= w {
                    series.resize(w + 1, Vec::new());
                }
                series[w].push(row.metrics.get(m));
            }
            Ok(())
        })?;
        if variants.is_empty() {
            return Err(ChartError::Data(format!(
                "{} has no rows: nothing to draw",
                dir.join("weekly.csv").display()
            )));
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
        })
    }

    /// (week, mean, ci_low, ci_high) of a metric for one variant.
    pub fn band(&self, variant: usize, metric: Metric) -> Vec<(f64, f64, f64, f64)> {
        self.values[variant][metric as usize]
            .iter()
            .enumerate()
            .map(|(w, xs)| {
                let s = summarise(xs);
                let (lo, hi) = if s.ci_low.is_finite() {
                    (s.ci_low, s.ci_high)
                } else {
                    (s.mean, s.mean)
                };
                (w as f64, s.mean, lo, hi)
            })
            .collect()
    }

    /// Replicate summary of a metric's final-week value.
    pub fn final_value(&self, variant: usize, metric: Metric) -> Summary {
        summarise(
            self.values[variant][metric as usize]
                .last()
                .map_or(&[][..], |v| v),
        )
    }

    /// Timeline events of the base scenario, for vertical markers.
    pub fn markers(&self) -> Vec<Marker> {
        let mut out: Vec<Marker> = Vec::new();
        for e in &self.source.timeline.events {
            let (week, label) = match &e.change {
                Change::Set { week, value } => {
                    (*week, format!("{} = {}", e.param.name, e.param.show(value)))
                }
                Change::Ramp { from_week, .. } => (*from_week, format!("{} ramp", e.param.name)),
            };
            match out.iter_mut().find(|m| m.week == week) {
                Some(m) => m.label = format!("{}; {label}", m.label),
                None => out.push(Marker { week, label }),
            }
        }
        out
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

/// The results of `goodhart sweep` in one directory (final-week
/// aggregates, and sensitivity indices if any).
pub struct SweepResults {
    pub scenario: String,
    pub description: String,
    pub design: String,
    pub params: Vec<String>,
    pub replicates: usize,
    pub manifest: SweepManifest,
    /// points[point][param]: each swept value as text.
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
                finals.insert((r.point, r.metric), (r.mean, r.ci_low, r.ci_high));
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
