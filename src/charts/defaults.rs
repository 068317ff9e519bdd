//! Which charts a result directory gets: the default set after `run` and
//! `sweep`, and the ones `goodhart plot --metric` asks for.

use super::data::{RunResults, SweepResults};
use super::{
    Chart, ChartError, Comparison, Dashboard, Format, Heatmap, Hysteresis, MorrisScatter,
    ResponseCurves, SobolBars, TimeSeries, render, to_svg,
};
use crate::model::metrics::Metric;
use crate::results::{Index, Statistic};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// Any chart kind, so that sets of charts can be listed and rendered.
pub enum AnyChart {
    TimeSeries(TimeSeries),
    Dashboard(Dashboard),
    Comparison(Comparison),
    Hysteresis(Hysteresis),
    Response(ResponseCurves),
    Heatmap(Heatmap),
    Sobol(SobolBars),
    Morris(MorrisScatter),
}

macro_rules! each {
    ($self:ident, $c:ident => $e:expr) => {
        match $self {
            AnyChart::TimeSeries($c) => $e,
            AnyChart::Dashboard($c) => $e,
            AnyChart::Comparison($c) => $e,
            AnyChart::Hysteresis($c) => $e,
            AnyChart::Response($c) => $e,
            AnyChart::Heatmap($c) => $e,
            AnyChart::Sobol($c) => $e,
            AnyChart::Morris($c) => $e,
        }
    };
}

impl Chart for AnyChart {
    fn stem(&self) -> String {
        each!(self, c => c.stem())
    }
    fn title(&self) -> String {
        each!(self, c => c.title())
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        each!(self, c => c.draw(root))
    }
}

/// Charts of a run directory: the dashboard, a time series per metric,
/// the variant comparison (with variants) and hysteresis plots (when the
/// timeline ramps a lever up and back down).
pub fn run_charts(r: &RunResults, metrics: &[Metric]) -> Result<Vec<AnyChart>, ChartError> {
    let defaults = metrics.is_empty();
    let chosen: Vec<Metric> = if defaults {
        Metric::DASHBOARD.to_vec()
    } else {
        metrics.to_vec()
    };
    let series = |metric: Metric| -> Result<TimeSeries, ChartError> {
        let series = (0..r.variants.len())
            .map(|v| (r.variants[v].clone(), r.band(v, metric)))
            .collect();
        Ok(TimeSeries {
            scenario: r.scenario.clone(),
            metric,
            replicates: r.replicates,
            series,
            markers: r.markers(),
        })
    };
    let mut out = Vec::new();
    if defaults {
        let panels = Metric::DASHBOARD
            .into_iter()
            .map(series)
            .collect::<Result<_, _>>()?;
        out.push(AnyChart::Dashboard(Dashboard {
            scenario: r.scenario.clone(),
            replicates: r.replicates,
            panels,
        }));
    }
    for &m in &chosen {
        out.push(AnyChart::TimeSeries(series(m)?));
    }
    if r.variants.len() > 1 {
        let pick: Vec<Metric> = if defaults {
            vec![
                Metric::MeasuredAdoption,
                Metric::GoodhartGap,
                Metric::PerformativeShare,
                Metric::OutputIndex,
            ]
        } else {
            chosen.clone()
        };
        let metrics = pick
            .iter()
            .map(|&m| {
                let vals = (0..r.variants.len())
                    .map(|v| {
                        let s = r.final_value(v, m);
                        if s.ci_low.is_finite() {
                            (s.mean, s.ci_low, s.ci_high)
                        } else {
                            (s.mean, s.mean, s.mean)
                        }
                    })
                    .collect();
                (m, vals)
            })
            .collect();
        out.push(AnyChart::Comparison(Comparison {
            scenario: r.scenario.clone(),
            week: r.weeks.saturating_sub(1),
            replicates: r.replicates,
            variants: r.variants.clone(),
            metrics,
        }));
    }
    for lever in r.ramped_params() {
        let Some(path) = r.lever_path(lever) else {
            continue;
        };
        let rises = path.windows(2).any(|w| w[1] > w[0]);
        let falls = path.windows(2).any(|w| w[1] < w[0]);
        if !(rises && falls) {
            continue;
        }
        let hyst: Vec<Metric> = if defaults {
            vec![Metric::PerformativeShare, Metric::GoodhartGap]
        } else {
            chosen.clone()
        };
        for m in hyst {
            let band = r.band(0, m);
            let pts = path.iter().zip(&band).map(|(&x, b)| (x, b.1)).collect();
            out.push(AnyChart::Hysteresis(Hysteresis {
                scenario: r.scenario.clone(),
                metric: m,
                lever: lever.to_string(),
                path: pts,
            }));
        }
    }
    Ok(out)
}

/// Charts of a sweep directory: response curves and (with two grid
/// parameters) heatmaps, or sensitivity charts for Sobol/Morris designs.
pub fn sweep_charts(s: &SweepResults, metrics: &[Metric]) -> Result<Vec<AnyChart>, ChartError> {
    let chosen: Vec<Metric> = if metrics.is_empty() {
        vec![
            Metric::PerformativeShare,
            Metric::GoodhartGap,
            Metric::OutputIndex,
        ]
    } else {
        metrics.to_vec()
    };
    let mut out = Vec::new();
    match s.design.as_str() {
        "sobol" | "morris" => {
            for &m in &chosen {
                let rows = |ix: Index| -> Vec<(f64, f64, f64)> {
                    s.params
                        .iter()
                        .map(|p| {
                            s.sensitivity
                                .iter()
                                .find(|r| {
                                    r.metric == m
                                        && r.statistic == Statistic::Final
                                        && r.parameter == *p
                                        && r.index == ix
                                })
                                .map_or((f64::NAN, f64::NAN, f64::NAN), |r| {
                                    (r.estimate, r.ci_low, r.ci_high)
                                })
                        })
                        .collect()
                };
                let (scenario, metric, statistic, params) =
                    (s.scenario.clone(), m, Statistic::Final, s.params.clone());
                if s.design == "sobol" {
                    out.push(AnyChart::Sobol(SobolBars {
                        scenario,
                        metric,
                        statistic,
                        params,
                        first: rows(Index::S1),
                        total: rows(Index::ST),
                    }));
                } else {
                    let sigma = rows(Index::Sigma).into_iter().map(|v| v.0).collect();
                    out.push(AnyChart::Morris(MorrisScatter {
                        scenario,
                        metric,
                        statistic,
                        params,
                        mu_star: rows(Index::MuStar),
                        sigma,
                    }));
                }
            }
        }
        _ if s.params.is_empty() => {}
        _ => {
            let (x_i, g_i) = (0, (s.params.len() >= 2).then_some(1));
            let x_levels = s.levels(x_i);
            let groups: Vec<Option<String>> = match g_i {
                Some(g) => s.levels(g).into_iter().map(Some).collect(),
                None => vec![None],
            };
            for &m in &chosen {
                let series = groups
                    .iter()
                    .map(|g| {
                        let pts = x_levels
                            .iter()
                            .enumerate()
                            .filter_map(|(xi, xv)| {
                                let point = s.points.iter().position(|p| {
                                    p[x_i] == *xv && g_i.is_none_or(|gi| Some(&p[gi]) == g.as_ref())
                                })?;
                                s.value(point, m).map(|(mean, lo, hi)| (xi, mean, lo, hi))
                            })
                            .collect();
                        (g.clone().unwrap_or_default(), pts)
                    })
                    .collect();
                out.push(AnyChart::Response(ResponseCurves {
                    scenario: s.scenario.clone(),
                    metric: m,
                    x_param: s.params[x_i].clone(),
                    x_levels: x_levels.clone(),
                    group_param: g_i.map(|g| s.params[g].clone()),
                    series,
                    replicates: s.replicates,
                }));
                if let Some(g) = g_i.filter(|_| s.design == "grid") {
                    let y_levels = s.levels(g);
                    let values = y_levels
                        .iter()
                        .map(|yv| {
                            x_levels
                                .iter()
                                .map(|xv| {
                                    s.points
                                        .iter()
                                        .position(|p| p[x_i] == *xv && p[g] == *yv)
                                        .and_then(|pt| s.value(pt, m))
                                        .map(|v| v.0)
                                })
                                .collect()
                        })
                        .collect();
                    out.push(AnyChart::Heatmap(Heatmap {
                        scenario: s.scenario.clone(),
                        metric: m,
                        x_param: s.params[x_i].clone(),
                        y_param: s.params[g].clone(),
                        x_levels: x_levels.clone(),
                        y_levels,
                        values,
                    }));
                }
            }
        }
    }
    Ok(out)
}

/// The charts of a result directory (run or sweep).
pub fn charts_for(dir: &Path, metrics: &[Metric]) -> Result<Vec<AnyChart>, ChartError> {
    let header: crate::results::manifest::Header = crate::results::manifest::read(dir)?;
    if header.kind == "sweep" {
        sweep_charts(&SweepResults::load(dir)?, metrics)
    } else {
        run_charts(&RunResults::load(dir)?, metrics)
    }
}

/// Draws the charts of `dir` into `dir/charts/`; returns the files written.
pub fn plot(dir: &Path, metrics: &[Metric], format: Format) -> Result<Vec<PathBuf>, ChartError> {
    let out = dir.join("charts");
    let mut written = Vec::new();
    for c in charts_for(dir, metrics)? {
        written.extend(render(&c, &out, format)?);
    }
    record_charts(&out, &written)?;
    Ok(written)
}

/// Adds `written` to the charts directory's list of the files goodhart
/// wrote there (`resultdir::CHART_INDEX`): a result directory is replaced
/// only if everything in it is goodhart's.
fn record_charts(charts: &Path, written: &[PathBuf]) -> Result<(), ChartError> {
    let index = charts.join(crate::output::resultdir::CHART_INDEX);
    let mut names: Vec<String> = std::fs::read_to_string(&index)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    for f in written {
        if let Some(n) = f.file_name().map(|n| n.to_string_lossy().into_owned()) {
            names.push(n);
        }
    }
    names.sort();
    names.dedup();
    let mut text = names.join("\n");
    text.push('\n');
    crate::output::write_atomic(&index, text.as_bytes())?;
    Ok(())
}

/// (title, stem, inline SVG) of the default charts, for reports.
pub fn svgs(dir: &Path) -> Result<Vec<(String, String, String)>, ChartError> {
    charts_for(dir, &[])?
        .iter()
        .map(|c| Ok((c.title(), c.stem(), to_svg(c)?)))
        .collect()
}
