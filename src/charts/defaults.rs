//! Which charts a result directory gets: the default set after `run` and
//! `sweep`, and the ones `goodhart plot --metric` asks for.

use super::agents::{AgentChart, agent_charts};
use super::data::{RunResults, SweepResults};
use super::{
    Chart, ChartError, Comparison, Dashboard, Differences, ExploreDiscovery, ExploreOutcomes,
    ExploreRegret, ExploreSatisficing, Format, Heatmap, Hysteresis, MorrisScatter, ResponseCurves,
    Scatter, SobolBars, TimeSeries, render, to_svg,
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
    Differences(Differences),
    Comparison(Comparison),
    Hysteresis(Hysteresis),
    Response(ResponseCurves),
    Scatter(Scatter),
    Heatmap(Heatmap),
    Sobol(SobolBars),
    Morris(MorrisScatter),
    Agents(AgentChart),
    ExploreOutcomes(ExploreOutcomes),
    ExploreRegret(ExploreRegret),
    ExploreSatisficing(ExploreSatisficing),
    ExploreDiscovery(ExploreDiscovery),
}

macro_rules! each {
    ($self:ident, $c:ident => $e:expr) => {
        match $self {
            AnyChart::TimeSeries($c) => $e,
            AnyChart::Dashboard($c) => $e,
            AnyChart::Differences($c) => $e,
            AnyChart::Comparison($c) => $e,
            AnyChart::Hysteresis($c) => $e,
            AnyChart::Response($c) => $e,
            AnyChart::Scatter($c) => $e,
            AnyChart::Heatmap($c) => $e,
            AnyChart::Sobol($c) => $e,
            AnyChart::Morris($c) => $e,
            AnyChart::Agents($c) => $e,
            AnyChart::ExploreOutcomes($c) => $e,
            AnyChart::ExploreRegret($c) => $e,
            AnyChart::ExploreSatisficing($c) => $e,
            AnyChart::ExploreDiscovery($c) => $e,
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

/// The levels compared across arms by default.
const COMPARED: [Metric; 4] = [
    Metric::MeasuredAdoption,
    Metric::GoodhartGap,
    Metric::PerformativeShare,
    Metric::OutputIndex,
];

/// Charts of a run directory. By default: the paired differences of the
/// arms from the base (with arms), the dashboard, a time series per
/// dashboard metric, each arm's final levels, and hysteresis plots when
/// the timeline ramps a lever up and back down. With `metrics`: the same
/// kinds for those metrics, under file names that say which.
pub fn run_charts(r: &RunResults, metrics: &[Metric]) -> Result<Vec<AnyChart>, ChartError> {
    let defaults = metrics.is_empty();
    let chosen: Vec<Metric> = if defaults {
        Metric::DASHBOARD.to_vec()
    } else {
        metrics.to_vec()
    };
    let markers = r.markers();
    let series = |metric: Metric| TimeSeries {
        scenario: r.scenario.clone(),
        metric,
        replicates: r.replicates,
        series: (0..r.variants.len())
            .map(|v| (r.variants[v].clone(), r.band(v, metric)))
            .collect(),
        markers: markers.clone(),
    };
    let last = r.weeks.saturating_sub(1);
    let mut out = Vec::new();
    if r.variants.len() > 1 {
        let pick: Vec<Metric> = if defaults {
            Metric::EFFECTS.to_vec()
        } else {
            chosen.clone()
        };
        out.push(AnyChart::Differences(Differences {
            scenario: r.scenario.clone(),
            week: last,
            replicates: r.replicates,
            arms: r.variants.clone(),
            metrics: pick
                .iter()
                .map(|&m| {
                    let d = (1..r.variants.len())
                        .map(|v| r.paired_difference(v, m, last))
                        .collect();
                    (m, d)
                })
                .collect(),
            default_set: defaults,
        }));
    }
    if defaults {
        out.push(AnyChart::Dashboard(Dashboard {
            scenario: r.scenario.clone(),
            replicates: r.replicates,
            panels: Metric::DASHBOARD.into_iter().map(series).collect(),
        }));
    }
    for &m in &chosen {
        out.push(AnyChart::TimeSeries(series(m)));
    }
    if r.variants.len() > 1 {
        let pick: Vec<Metric> = if defaults {
            COMPARED.to_vec()
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
            week: last,
            replicates: r.replicates,
            variants: r.variants.clone(),
            metrics,
            default_set: defaults,
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
                replicates: r.replicates,
                path: pts,
            }));
        }
    }
    Ok(out)
}

/// Sensitivity indices of metric `m` (final week) per parameter.
fn indices(s: &SweepResults, m: Metric, ix: Index) -> Vec<(f64, f64, f64)> {
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
}

/// Charts of a sweep directory: ranked sensitivity charts for Sobol and
/// Morris designs; for a grid, response curves against the most
/// influential parameter (one line per level of the next) and a heatmap
/// over the two; for other designs, a scatter against the most
/// influential parameter coloured by the next.
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
    let m = &s.manifest;
    let mut out = Vec::new();
    if s.params.is_empty() {
        return Ok(out);
    }
    for &metric in &chosen {
        let scenario = s.scenario.clone();
        match s.design.as_str() {
            "sobol" => out.push(AnyChart::Sobol(SobolBars {
                scenario,
                metric,
                statistic: Statistic::Final,
                params: s.params.clone(),
                first: indices(s, metric, Index::S1),
                total: indices(s, metric, Index::ST),
                samples: m.samples,
                points: m.points,
                replicates: m.replicates,
                bootstrap: m.bootstrap,
            })),
            "morris" => out.push(AnyChart::Morris(MorrisScatter {
                scenario,
                metric,
                statistic: Statistic::Final,
                params: s.params.clone(),
                mu_star: indices(s, metric, Index::MuStar),
                sigma: indices(s, metric, Index::Sigma)
                    .into_iter()
                    .map(|v| v.0)
                    .collect(),
                trajectories: m.samples,
                points: m.points,
                replicates: m.replicates,
            })),
            "grid" => grid_charts(s, metric, &mut out),
            _ => {
                let rank = s.influence(metric);
                let x_i = rank[0].0;
                let xs = s.numeric(x_i);
                let colour = rank.get(1).and_then(|&(c, _)| s.numeric(c).map(|v| (c, v)));
                let Some(xs) = xs else {
                    grid_charts(s, metric, &mut out);
                    continue;
                };
                let points = (0..s.points.len())
                    .filter_map(|p| {
                        let (mean, lo, hi) = s.value(p, metric)?;
                        let c = colour.as_ref().map_or(0.0, |(_, v)| v[p]);
                        Some((xs[p], c, mean, lo, hi))
                    })
                    .collect();
                out.push(AnyChart::Scatter(Scatter {
                    scenario,
                    metric,
                    design: s.design.clone(),
                    x_param: s.params[x_i].clone(),
                    colour_param: colour.map(|(c, _)| s.params[c].clone()),
                    points,
                    replicates: s.replicates,
                }));
            }
        }
    }
    Ok(out)
}

/// Response curves and (with two or more parameters) a heatmap of a grid:
/// the most influential parameter on x, the next as lines and rows; any
/// further parameters at their first level.
fn grid_charts(s: &SweepResults, metric: Metric, out: &mut Vec<AnyChart>) {
    let rank = s.influence(metric);
    let x_i = rank[0].0;
    let g_i = rank.get(1).map(|r| r.0);
    let x_levels = s.levels(x_i);
    let first: Vec<String> = (0..s.params.len())
        .map(|i| s.levels(i).first().cloned().unwrap_or_default())
        .collect();
    // The point with x level xv and group level gv, others at their first.
    let find = |xv: &String, gv: Option<&String>| {
        s.points.iter().position(|p| {
            (0..s.params.len()).all(|i| {
                if i == x_i {
                    p[i] == *xv
                } else if Some(i) == g_i {
                    gv.is_none_or(|g| p[i] == *g)
                } else {
                    p[i] == first[i]
                }
            })
        })
    };
    let held: Vec<String> = (0..s.params.len())
        .filter(|&i| i != x_i && Some(i) != g_i)
        .map(|i| format!("{} = {}", s.params[i], first[i]))
        .collect();
    let groups: Vec<Option<String>> = match g_i {
        Some(g) => s.levels(g).into_iter().map(Some).collect(),
        None => vec![None],
    };
    let series = groups
        .iter()
        .map(|g| {
            let pts = x_levels
                .iter()
                .enumerate()
                .filter_map(|(xi, xv)| {
                    let point = find(xv, g.as_ref())?;
                    s.value(point, metric)
                        .map(|(mean, lo, hi)| (xi, mean, lo, hi))
                })
                .collect();
            (g.clone().unwrap_or_default(), pts)
        })
        .collect();
    out.push(AnyChart::Response(ResponseCurves {
        scenario: s.scenario.clone(),
        metric,
        x_param: s.params[x_i].clone(),
        x_levels: x_levels.clone(),
        group_param: g_i.map(|g| s.params[g].clone()),
        series,
        replicates: s.replicates,
        held: held.clone(),
    }));
    if let Some(g) = g_i.filter(|_| s.design == "grid") {
        let y_levels = s.levels(g);
        let values = y_levels
            .iter()
            .map(|yv| {
                x_levels
                    .iter()
                    .map(|xv| {
                        find(xv, Some(yv))
                            .and_then(|pt| s.value(pt, metric))
                            .map(|v| v.0)
                    })
                    .collect()
            })
            .collect();
        out.push(AnyChart::Heatmap(Heatmap {
            scenario: s.scenario.clone(),
            metric,
            x_param: s.params[x_i].clone(),
            y_param: s.params[g].clone(),
            x_levels,
            y_levels,
            values,
            replicates: s.replicates,
            held,
        }));
    }
}

/// The default charts of an exploration in `dir`; the discovery chart
/// only when discovery has steps.
pub fn explore_charts(dir: &Path) -> Result<Vec<AnyChart>, ChartError> {
    use super::explore::{
        ExploreData, ExploreDiscovery, ExploreOutcomes, ExploreRegret, ExploreSatisficing,
    };
    let data = std::sync::Arc::new(ExploreData::load(dir)?);
    if data.objectives.is_empty() || data.listed.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = vec![
        AnyChart::ExploreSatisficing(ExploreSatisficing { data: data.clone() }),
        AnyChart::ExploreOutcomes(ExploreOutcomes { data: data.clone() }),
        AnyChart::ExploreRegret(ExploreRegret { data: data.clone() }),
    ];
    if !data.first_search().is_empty() {
        out.push(AnyChart::ExploreDiscovery(ExploreDiscovery { data }));
    }
    Ok(out)
}

/// The charts of a result directory (run, sweep or exploration); the
/// default set of a run with agents.csv (`run --agents`) ends with the
/// agent charts.
pub fn charts_for(dir: &Path, metrics: &[Metric]) -> Result<Vec<AnyChart>, ChartError> {
    let header: crate::results::manifest::Header = crate::results::manifest::read(dir)?;
    if header.kind == "sweep" {
        return sweep_charts(&SweepResults::load(dir)?, metrics);
    }
    if header.kind == "explore" {
        // The default set only: an exploration's charts show its
        // objectives, not chosen metrics.
        if !metrics.is_empty() {
            return Ok(Vec::new());
        }
        return explore_charts(dir);
    }
    let mut charts = run_charts(&RunResults::load(dir)?, metrics)?;
    if metrics.is_empty() {
        charts.extend(agent_charts(dir)?.into_iter().map(AnyChart::Agents));
    }
    Ok(charts)
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
pub(crate) fn record_charts(charts: &Path, written: &[PathBuf]) -> Result<(), ChartError> {
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
