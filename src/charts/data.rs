//! Reading result directories back for charts and reports (CSV and
//! manifest only: nothing is re-simulated).

use super::ChartError;
use crate::model::metrics::WeekMetrics;
use crate::stats::{Summary, summarise};
use std::collections::HashMap;
use std::path::Path;

/// Human-readable name and unit of a metric, for titles and axes.
pub fn describe(metric: &str) -> (&'static str, &'static str) {
    match metric {
        "measured_adoption" => ("Measured adoption", "share of staff"),
        "productive_adoption" => ("Productive adoption", "share of staff"),
        "goodhart_gap" => (
            "Goodhart gap (measured - productive adoption)",
            "share of staff",
        ),
        "performative_share" => ("Performative share of AI time", "share"),
        "tokens_mtok" => ("Tokens used", "MTok/week"),
        "tokens_per_employee_mtok" => ("Tokens per employee", "MTok/week"),
        "performative_tokens_mtok" => ("Performative tokens", "MTok/week"),
        "token_spend_usd" => ("Token spend", "USD/week"),
        "output" => ("Output", "output units/week"),
        "output_index" => ("Output index (1 = all manual work)", "index"),
        "net_value_usd" => ("Net value of AI use", "USD/week"),
        "incidents" => ("Security incidents", "incidents/week"),
        "audits_detected" => ("Audits detecting pointless automation", "per week"),
        "mean_perceived_surveillance" => ("Perceived surveillance", "mean probability"),
        "mean_credibility" => ("Credibility of assurances", "mean probability"),
        "mean_stress" => ("Stress", "mean level"),
        "mean_habit" => ("Habit of performative use", "mean level"),
        "metric_validity" => (
            "Metric validity (corr. of measured tokens and output)",
            "Pearson r",
        ),
        "token_gini" => ("Inequality of token use", "Gini coefficient"),
        _ => ("", ""),
    }
}

/// Metrics charted by default, in order.
pub const HEADLINE: [&str; 6] = [
    "measured_adoption",
    "goodhart_gap",
    "performative_share",
    "output_index",
    "metric_validity",
    "mean_perceived_surveillance",
];

fn metric_index(name: &str) -> Result<usize, ChartError> {
    WeekMetrics::NAMES
        .iter()
        .position(|m| *m == name)
        .ok_or_else(|| {
            ChartError::Data(format!(
                "unknown metric `{name}`; metrics are: {}",
                WeekMetrics::NAMES.join(", ")
            ))
        })
}

fn read_json(path: &Path) -> Result<serde_json::Value, ChartError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ChartError::Data(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| ChartError::Data(format!("{} is not valid JSON: {e}", path.display())))
}

fn csv_reader(path: &Path) -> Result<csv::Reader<std::fs::File>, ChartError> {
    csv::Reader::from_path(path)
        .map_err(|e| ChartError::Data(format!("cannot read {}: {e}", path.display())))
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
    pub manifest: serde_json::Value,
    /// values[variant][metric][week] = replicate values.
    values: Vec<Vec<Vec<Vec<f64>>>>,
}

impl RunResults {
    pub fn load(dir: &Path) -> Result<RunResults, ChartError> {
        let manifest = read_json(&dir.join("manifest.json"))?;
        if manifest["kind"] == "sweep" {
            return Err(ChartError::Data(format!(
                "{} holds a sweep, not a run",
                dir.display()
            )));
        }
        let mut rdr = csv_reader(&dir.join("weekly.csv"))?;
        let headers = rdr
            .headers()
            .map_err(|e| ChartError::Data(e.to_string()))?
            .clone();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let (Some(vcol), Some(wcol)) = (col("variant"), col("week")) else {
            return Err(ChartError::Data(
                "weekly.csv lacks `variant` or `week` columns".into(),
            ));
        };
        let mcols: Vec<usize> = WeekMetrics::NAMES
            .iter()
            .map(|m| col(m).ok_or_else(|| ChartError::Data(format!("weekly.csv lacks `{m}`"))))
            .collect::<Result<_, _>>()?;
        let mut variants: Vec<String> = Vec::new();
        let mut values: Vec<Vec<Vec<Vec<f64>>>> = Vec::new();
        let mut weeks = 0;
        for rec in rdr.records() {
            let rec = rec.map_err(|e| ChartError::Data(format!("weekly.csv: {e}")))?;
            let v = &rec[vcol];
            let vi = match variants.iter().position(|x| x == v) {
                Some(i) => i,
                None => {
                    variants.push(v.to_string());
                    values.push(vec![Vec::new(); mcols.len()]);
                    variants.len() - 1
                }
            };
            let w: usize = rec[wcol]
                .parse()
                .map_err(|_| ChartError::Data("weekly.csv: bad week".into()))?;
            weeks = weeks.max(w + 1);
            for (k, &c) in mcols.iter().enumerate() {
                let series = &mut values[vi][k];
                if series.len() <= w {
                    series.resize(w + 1, Vec::new());
                }
                series[w].push(rec[c].parse().unwrap_or(f64::NAN));
            }
        }
        Ok(RunResults {
            scenario: manifest["scenario"].as_str().unwrap_or("").to_string(),
            description: manifest["description"].as_str().unwrap_or("").to_string(),
            replicates: manifest["replicates"].as_u64().unwrap_or(0) as usize,
            variants,
            weeks,
            manifest,
            values,
        })
    }

    /// (week, mean, ci_low, ci_high) of a metric for one variant.
    pub fn band(
        &self,
        variant: usize,
        metric: &str,
    ) -> Result<Vec<(f64, f64, f64, f64)>, ChartError> {
        let k = metric_index(metric)?;
        Ok(self.values[variant][k]
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
            .collect())
    }

    /// Replicate summary of a metric's final-week value.
    pub fn final_value(&self, variant: usize, metric: &str) -> Result<Summary, ChartError> {
        let k = metric_index(metric)?;
        Ok(summarise(
            self.values[variant][k].last().map_or(&[][..], |v| v),
        ))
    }

    /// Timeline events of the base scenario, for vertical markers.
    pub fn markers(&self) -> Vec<Marker> {
        let mut out: Vec<Marker> = Vec::new();
        for e in self.manifest["timeline"].as_array().into_iter().flatten() {
            let param = e["param"].as_str().unwrap_or("?");
            let (week, label) = if let Some(w) = e["week"].as_u64() {
                let v = match &e["value"] {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (w as usize, format!("{param} = {v}"))
            } else if let Some(r) = e["ramp"].as_array() {
                let from = r.first().and_then(|x| x.as_u64()).unwrap_or(0) as usize;
                (from, format!("{param} ramp"))
            } else {
                continue;
            };
            match out.iter_mut().find(|m| m.week == week) {
                Some(m) => m.label = format!("{}; {label}", m.label),
                None => out.push(Marker { week, label }),
            }
        }
        out
    }

    /// The value of numeric lever `param` in each week of the base run,
    /// following the timeline (None if it is not numeric).
    pub fn lever_path(&self, param: &str) -> Option<Vec<f64>> {
        let mut v = self.manifest["parameters"][param].as_f64()?;
        let events = self.manifest["timeline"].as_array()?;
        let mut path = Vec::with_capacity(self.weeks);
        for w in 0..self.weeks {
            for e in events.iter().filter(|e| e["param"] == param) {
                if e["week"].as_u64() == Some(w as u64) {
                    v = e["value"].as_f64().unwrap_or(v);
                } else if let Some(r) = e["ramp"].as_array() {
                    let f = |i: usize| r.get(i).and_then(|x| x.as_f64()).unwrap_or(0.0);
                    let (t0, t1, a, b) = (f(0), f(1), f(2), f(3));
                    let t = w as f64;
                    if t >= t0 && t <= t1 && t1 > t0 {
                        v = a + (b - a) * (t - t0) / (t1 - t0);
                    }
                }
            }
            path.push(v);
        }
        Some(path)
    }

    /// Parameters ramped by the base timeline.
    pub fn ramped_params(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in self.manifest["timeline"].as_array().into_iter().flatten() {
            if e["ramp"].is_array()
                && let Some(p) = e["param"].as_str()
                && !out.iter().any(|x| x == p)
            {
                out.push(p.to_string());
            }
        }
        out
    }
}

/// The results of `goodhart sweep` in one directory (final-week and
/// run-average aggregates, and sensitivity indices if any).
pub struct SweepResults {
    pub scenario: String,
    pub description: String,
    pub design: String,
    pub params: Vec<String>,
    pub replicates: usize,
    pub manifest: serde_json::Value,
    /// points[point][param] as written in points.csv.
    pub points: Vec<Vec<String>>,
    /// (point, statistic, metric) -> (mean, ci_low, ci_high); statistic is
    /// `final` or `run_average`.
    agg: HashMap<(usize, String, String), (f64, f64, f64)>,
    /// (metric, statistic, parameter, index) -> (estimate, low, high).
    pub sensitivity: Vec<(String, String, String, String, f64, f64, f64)>,
}

impl SweepResults {
    pub fn load(dir: &Path) -> Result<SweepResults, ChartError> {
        let manifest = read_json(&dir.join("manifest.json"))?;
        if manifest["kind"] != "sweep" {
            return Err(ChartError::Data(format!(
                "{} holds a run, not a sweep",
                dir.display()
            )));
        }
        let params: Vec<String> = manifest["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["name"].as_str().map(String::from))
            .collect();
        let mut points = Vec::new();
        for rec in csv_reader(&dir.join("points.csv"))?.records() {
            let rec = rec.map_err(|e| ChartError::Data(format!("points.csv: {e}")))?;
            points.push(
                (1..=params.len())
                    .map(|i| rec.get(i).unwrap_or("").to_string())
                    .collect(),
            );
        }
        // With weekly records the final week is the largest numbered week.
        let weekly = manifest["record"] == "weekly";
        let mut last_week = 0usize;
        let mut agg = HashMap::new();
        for rec in csv_reader(&dir.join("aggregate.csv"))?.records() {
            let rec = rec.map_err(|e| ChartError::Data(format!("aggregate.csv: {e}")))?;
            let label = &rec[1];
            let stat = match label {
                "final" | "run_average" => label.to_string(),
                w if weekly => match w.parse::<usize>() {
                    Ok(w) if w >= last_week => {
                        last_week = w;
                        "final".to_string()
                    }
                    _ => continue,
                },
                _ => continue,
            };
            let point: usize = rec[0].parse().unwrap_or(0);
            let num = |i: usize| rec[i].parse::<f64>().unwrap_or(f64::NAN);
            agg.insert((point, stat, rec[2].to_string()), (num(3), num(5), num(6)));
        }
        let mut sensitivity = Vec::new();
        if let Ok(mut rdr) = csv::Reader::from_path(dir.join("sensitivity.csv")) {
            for rec in rdr.records().filter_map(Result::ok) {
                let num = |i: usize| rec[i].parse::<f64>().unwrap_or(f64::NAN);
                sensitivity.push((
                    rec[0].to_string(),
                    rec[1].to_string(),
                    rec[2].to_string(),
                    rec[3].to_string(),
                    num(4),
                    num(5),
                    num(6),
                ));
            }
        }
        Ok(SweepResults {
            scenario: manifest["scenario"].as_str().unwrap_or("").to_string(),
            description: manifest["description"].as_str().unwrap_or("").to_string(),
            design: manifest["design"].as_str().unwrap_or("").to_string(),
            replicates: manifest["replicates"].as_u64().unwrap_or(0) as usize,
            params,
            manifest,
            points,
            agg,
            sensitivity,
        })
    }

    /// (mean, ci_low, ci_high) of a metric's final-week value at a point.
    pub fn value(&self, point: usize, metric: &str) -> Option<(f64, f64, f64)> {
        self.agg
            .get(&(point, "final".to_string(), metric.to_string()))
            .copied()
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
