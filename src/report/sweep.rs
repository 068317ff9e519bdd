//! A sweep's section: which parameters move the outcomes most (Sobol or
//! Morris indices, or for grids and Latin hypercubes the share of the
//! spread between points each parameter explains), the range of outcomes,
//! the ranked table, the method and the limitations.

use super::text::{self, ci, decimals, noun};
use super::{Appendix, Cell, Figure, ReportError, Section, Table, figures};
use crate::charts::Chart;
use crate::charts::axis::fixed;
use crate::charts::data::SweepResults;
use crate::model::metrics::Metric;
use crate::results::{Index, SensitivityRow, Statistic};
use crate::stats::Summary;
use std::path::Path;

/// The outcomes a sweep's summary and tables speak about.
const SHOWN: [Metric; 3] = [
    Metric::PerformativeShare,
    Metric::GoodhartGap,
    Metric::OutputIndex,
];

fn summary_of(r: &SensitivityRow) -> Summary {
    Summary {
        n: 0,
        mean: r.estimate,
        sd: f64::NAN,
        ci_low: r.ci_low,
        ci_high: r.ci_high,
    }
}

/// An index for a sentence: a Sobol index's interval cut to [0, 1], the
/// values it can take (the table keeps the raw bootstrap bounds).
fn sentence_summary(r: &SensitivityRow) -> Summary {
    let mut s = summary_of(r);
    if matches!(r.index, Index::S1 | Index::ST) && s.ci_low.is_finite() {
        s.ci_low = s.ci_low.clamp(0.0, 1.0);
        s.ci_high = s.ci_high.clamp(0.0, 1.0);
    }
    s
}

/// Final-week index `index` of metric `m` for every parameter, largest
/// first.
fn ranked(s: &SweepResults, m: Metric, index: Index) -> Vec<&SensitivityRow> {
    let mut rows: Vec<&SensitivityRow> = s
        .sensitivity
        .iter()
        .filter(|r| r.statistic == Statistic::Final && r.metric == m && r.index == index)
        .collect();
    rows.sort_by(|a, b| b.estimate.total_cmp(&a.estimate));
    rows
}

/// The same index of parameter `p`.
fn index_of<'a>(
    s: &'a SweepResults,
    m: Metric,
    index: Index,
    p: &str,
) -> Option<&'a SensitivityRow> {
    s.sensitivity.iter().find(|r| {
        r.statistic == Statistic::Final && r.metric == m && r.index == index && r.parameter == p
    })
}

/// The ranking index of a design: total order (Sobol) or mu* (Morris).
fn rank_index(design: &str) -> (Index, Index, &'static str) {
    if design == "sobol" {
        (Index::ST, Index::S1, "total-order index ST")
    } else {
        (Index::MuStar, Index::Sigma, "mu*")
    }
}

/// "Final-week performative share depends most on stake (ST 0.90 [..]),
/// then habit_weight (ST 0.09 [..])."
fn sensitivity_sentence(s: &SweepResults, m: Metric) -> Option<String> {
    let (main, _, word) = rank_index(&s.design);
    let rows = ranked(s, m, main);
    let top = rows.first()?;
    let d = decimals(rows.iter().flat_map(|r| text::numbers(&summary_of(r))));
    let short = if main == Index::ST { "ST" } else { "mu*" };
    let mut out = format!(
        "At the final week, {} depends most on {} ({word} {})",
        noun(m),
        top.parameter,
        ci(&sentence_summary(top), d)
    );
    if let Some(next) = rows.get(1) {
        out += &format!(
            ", then {} ({short} {})",
            next.parameter,
            ci(&sentence_summary(next), d)
        );
    }
    if main == Index::ST {
        let small: Vec<String> = rows
            .iter()
            .skip(2)
            .filter(|r| r.estimate < 0.05)
            .map(|r| r.parameter.clone())
            .collect();
        if !small.is_empty() {
            out += &format!("; {} barely matter (ST below 0.05)", text::list(&small));
        }
    } else {
        let curved: Vec<String> = rows
            .iter()
            .filter(|r| {
                index_of(s, m, Index::Sigma, &r.parameter)
                    .is_some_and(|sg| r.estimate > 0.0 && sg.estimate > r.estimate)
            })
            .map(|r| r.parameter.clone())
            .collect();
        if !curved.is_empty() {
            out += &format!(
                "; sigma exceeds mu* for {}, whose effect depends strongly on the other parameters",
                text::list(&curved)
            );
        }
    }
    Some(out + ".")
}

/// A point's values of the parameters `order` (most influential first,
/// at most three), numbers to three significant figures:
/// "leaderboard = org, adoption_target = 0.9".
fn point_text(s: &SweepResults, p: usize, order: &[(usize, f64)]) -> String {
    order
        .iter()
        .take(3)
        .map(|&(i, _)| {
            let v = &s.points[p][i];
            let shown = v
                .parse::<f64>()
                .ok()
                .filter(|_| v.len() > 6)
                .map_or_else(|| v.clone(), |x| decimals([x]).show(x));
            format!("{} = {shown}", s.params[i])
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The range of a metric over the points, where it is lowest and highest,
/// and how much of the spread each parameter explains.
fn spread_sentence(s: &SweepResults, m: Metric) -> Option<String> {
    let vals: Vec<(usize, Summary)> = (0..s.points.len())
        .filter_map(|p| s.value(p, m).map(|v| (p, point_summary(v))))
        .filter(|(_, v)| v.mean.is_finite())
        .collect();
    let lo = vals.iter().min_by(|a, b| a.1.mean.total_cmp(&b.1.mean))?;
    let hi = vals.iter().max_by(|a, b| a.1.mean.total_cmp(&b.1.mean))?;
    let d = decimals([&lo.1, &hi.1].into_iter().flat_map(text::numbers));
    if d.show(lo.1.mean) == d.show(hi.1.mean) {
        return Some(format!(
            "{} at the final week does not vary across the {} points ({}).",
            text::cap(&noun(m)),
            s.points.len(),
            ci(&lo.1, d)
        ));
    }
    let order = s.influence(m);
    // With one point per value (a one-parameter grid), "explains 100%"
    // says nothing: the shares are given only when points share values.
    let shares: Vec<(String, String)> = order
        .iter()
        .filter(|&&(i, _)| s.levels(i).len() < vals.len())
        .take(3)
        .map(|&(i, eta)| (s.params[i].clone(), format!("{:.0}%", 100.0 * eta)))
        .collect();
    let spread = match shares.split_first() {
        Some(((p, x), others)) => {
            let others: Vec<String> = others.iter().map(|(q, y)| format!("{q} {y}")).collect();
            let tail = if others.is_empty() {
                String::new()
            } else {
                format!(", {}", text::list(&others))
            };
            format!(" {p} alone explains {x} of its spread between points{tail} (eta squared).")
        }
        None => String::new(),
    };
    Some(format!(
        "Across the {} points, {} at the final week ranges from {} ({}) to {} ({}), means [95% CI] over {}.{spread}",
        s.points.len(),
        noun(m),
        ci(&lo.1, d),
        point_text(s, lo.0, &order),
        ci(&hi.1, d),
        point_text(s, hi.0, &order),
        text::count(s.replicates, "replicate"),
    ))
}

/// A point's (mean, low, high) as a summary.
fn point_summary(v: (f64, f64, f64)) -> Summary {
    Summary {
        n: 0,
        mean: v.0,
        sd: f64::NAN,
        ci_low: v.1,
        ci_high: v.2,
    }
}

/// The ranked indices of one metric, one row per parameter.
fn sensitivity_table(s: &SweepResults, m: Metric) -> Table {
    let (main, other, _) = rank_index(&s.design);
    let rows = ranked(s, m, main);
    let cells: Vec<(Summary, Option<Summary>)> = rows
        .iter()
        .map(|r| {
            (
                summary_of(r),
                index_of(s, m, other, &r.parameter).map(summary_of),
            )
        })
        .collect();
    let d = decimals(cells.iter().flat_map(|(a, b)| {
        text::numbers(a)
            .into_iter()
            .chain(b.iter().flat_map(text::numbers))
    }));
    let names = |i: Index| match i {
        Index::ST => "ST (total order)",
        Index::S1 => "S1 (first order)",
        Index::MuStar => "mu* (mean |effect|)",
        _ => "sigma (spread of effects)",
    };
    Table {
        caption: format!(
            "Sensitivity of final-week {}: most influential first, estimate [95% bootstrap CI]",
            noun(m)
        ),
        header: vec!["Parameter".into(), names(main).into(), names(other).into()],
        rows: rows
            .iter()
            .zip(&cells)
            .map(|(r, (a, b))| {
                vec![
                    Cell::text(&r.parameter),
                    Cell::num(ci(a, d)),
                    Cell::num(b.as_ref().map_or(String::new(), |b| ci(b, d))),
                ]
            })
            .collect(),
        note: if main == Index::ST {
            "ST is the share of the output's variance a parameter is involved in, with interactions; S1 the share it explains alone. Estimates below 0 or above 1 are sampling error.".into()
        } else {
            "mu* is the mean absolute elementary effect: the change of the outcome (in its unit) per full range of the parameter, from one-step moves along the trajectories; sigma large against mu* means a curved effect or interactions.".into()
        },
    }
}

/// Share of the spread between points explained by each parameter.
fn influence_table(s: &SweepResults) -> Table {
    let order = s.influence(Metric::PerformativeShare);
    let mut header = vec!["Parameter".to_string()];
    header.extend(SHOWN.iter().map(|&m| format!("{} (eta squared)", noun(m))));
    let all: Vec<Vec<(usize, f64)>> = SHOWN.iter().map(|&m| s.influence(m)).collect();
    Table {
        caption: "How much of the spread of final-week outcomes between points each parameter explains".into(),
        header,
        rows: order
            .iter()
            .map(|&(i, _)| {
                let mut row = vec![Cell::text(&s.params[i])];
                row.extend(all.iter().map(|inf| {
                    let eta = inf.iter().find(|x| x.0 == i).map_or(f64::NAN, |x| x.1);
                    Cell::num(fixed(eta, 2))
                }));
                row
            })
            .collect(),
        note: "Eta squared: the share of the variance of the point means between groups of points with the same value of the parameter (quintiles for a continuous one). It ignores interactions.".into(),
    }
}

/// The final-week outcomes at each point (the first 60).
fn points_table(s: &SweepResults) -> Table {
    let mut header = vec!["Point".to_string()];
    header.extend(s.params.iter().cloned());
    header.extend(SHOWN.iter().map(|&m| noun(m)));
    let rows = (0..s.points.len().min(60))
        .map(|p| {
            let mut row = vec![Cell::num(p.to_string())];
            row.extend(s.points[p].iter().map(|v| {
                let shown = v
                    .parse::<f64>()
                    .map_or_else(|_| v.clone(), |x| text::param_value(&serde_json::json!(x)));
                Cell::num(shown)
            }));
            row.extend(SHOWN.iter().map(|&m| {
                let sm = point_summary(s.value(p, m).unwrap_or((f64::NAN, f64::NAN, f64::NAN)));
                Cell::num(ci(&sm, decimals(text::numbers(&sm))))
            }));
            row
        })
        .collect();
    Table {
        caption: format!(
            "Final week by point: mean [95% CI] over {} replicates{}",
            s.replicates,
            if s.points.len() > 60 {
                format!(" (first 60 of {}; see aggregate.csv)", s.points.len())
            } else {
                String::new()
            }
        ),
        header,
        rows,
        note: String::new(),
    }
}

fn method(s: &SweepResults) -> Vec<String> {
    let m = &s.manifest;
    let mut out = vec![
        format!(
            "Simulated with goodhart {}, reference model TM-1 (docs/MODEL.md in goodhart's repository). Design {}: {} x {} = {}, each of {} for {}.",
            m.header.version_text(),
            m.design,
            text::count(m.points, "point"),
            text::count(m.replicates, "replicate"),
            text::count(m.runs, "run"),
            text::count(m.employees, "employee"),
            text::count(m.weeks, "week")
        ),
        format!(
            "Replicate r of every point runs with the same seed (common random numbers), derived from master seed {}, so differences between points are not blurred by different draws. A point's value is the mean of its replicates' final week, with a Student t 95% interval.",
            m.master_seed
        ),
    ];
    out.push(match m.design.as_str() {
        "sobol" => format!("Sobol indices: first order after Saltelli (2010), total order after Jansen (1999), from N = {} base samples (N(k + 2) points for k parameters) with percentile bootstrap 95% intervals over {} resamples.", m.samples, m.bootstrap),
        "morris" => format!("Morris (1991) elementary effects on {} trajectories of {} levels; mu* is the mean absolute effect per full range of the parameter (Campolongo et al. 2007), with percentile bootstrap 95% intervals over {} resamples.", m.samples, m.levels, m.bootstrap),
        _ => "Influence is eta squared of the point means (see the table's note); it is descriptive, not a variance decomposition.".into(),
    });
    out
}

fn limitations(s: &SweepResults) -> Vec<String> {
    let m = &s.manifest;
    let mut out = vec!["goodhart is a stylised model calibrated to reported patterns: its numbers show the direction and rough size of incentive effects, not a forecast for a particular organisation.".to_string()];
    if m.replicates < 5 {
        out.push(format!("Only {} per point: point means carry visible noise, and small differences between neighbouring points may be chance.", text::count(m.replicates, "replicate")));
    }
    let widest = s
        .sensitivity
        .iter()
        .filter(|r| r.statistic == Statistic::Final && r.index == Index::ST)
        .map(|r| r.ci_high - r.ci_low)
        .filter(|w| w.is_finite())
        .fold(0.0, f64::max);
    if m.design == "sobol" && (m.samples < 64 || widest > 0.3) {
        out.push(format!("Sobol indices from N = {} base samples are imprecise (the widest ST interval spans {:.2}); increase samples (256 or more) before relying on the ranking.", m.samples, widest));
    }
    if m.design == "morris" && m.samples < 10 {
        out.push(format!("Morris screening with {} trajectories ranks parameters roughly; use 10 or more for a stable ranking.", m.samples));
    }
    for mt in SHOWN {
        let missing = (0..s.points.len())
            .filter(|&p| s.value(p, mt).is_none_or(|v| !v.0.is_finite()))
            .count();
        if missing > 0 {
            out.push(format!(
                "{} is undefined at {missing} of {} points; they are left out.",
                text::cap(&noun(mt)),
                s.points.len()
            ));
        }
    }
    out
}

fn appendix(s: &SweepResults, dir: &Path, figures: Vec<Figure>) -> Appendix {
    let m = &s.manifest;
    let design = Table {
        caption: "Swept parameters".into(),
        header: vec!["Parameter".into(), "Values or range".into()],
        rows: m
            .parameters
            .iter()
            .map(|p| {
                let dom = match (&p.values, p.low, p.high) {
                    (Some(v), _, _) => v.join(", "),
                    (None, Some(lo), Some(hi)) => format!(
                        "{} to {}",
                        text::param_value(&serde_json::json!(lo)),
                        text::param_value(&serde_json::json!(hi))
                    ),
                    _ => String::new(),
                };
                vec![Cell::text(&p.name), Cell::text(dom)]
            })
            .collect(),
        note: String::new(),
    };
    let mut tables = vec![design];
    if s.sensitivity.is_empty() {
        tables.push(points_table(s));
    } else {
        tables.extend(SHOWN[1..].iter().map(|&mt| sensitivity_table(s, mt)));
    }
    tables.push(text::params_table(
        "Parameters held fixed (the scenario's base)",
        &m.base_parameters,
    ));
    Appendix {
        figures,
        tables,
        facts: vec![
            ("Results".into(), dir.display().to_string()),
            ("goodhart".into(), m.header.version_text()),
            ("Input SHA-256".into(), m.header.input_sha256.clone()),
            ("Master seed".into(), m.master_seed.to_string()),
            ("Recorded".into(), m.record.clone()),
        ],
    }
}

pub fn section(dir: &Path, report_dir: &Path) -> Result<Section, ReportError> {
    let s = SweepResults::load(dir).map_err(ReportError::Chart)?;
    let charts = figures::defaults(dir, report_dir)?;
    let stems: Vec<String> = charts.iter().map(|(c, _)| c.stem()).collect();
    let ps = Metric::PerformativeShare.name();
    let wanted = |stem: &str| match s.design.as_str() {
        "sobol" | "morris" => stem == format!("{}_{ps}_final", s.design),
        _ => stem == format!("heatmap_{ps}") || stem.starts_with(&format!("response_{ps}_")),
    };
    let (mut answer, mut rest) = (Vec::new(), Vec::new());
    for (c, f) in charts {
        // A heatmap answers before a response chart: it is listed later.
        let stem = c.stem();
        let heatmap_instead =
            stem.starts_with("response_") && stems.iter().any(|t| t.starts_with("heatmap_"));
        if answer.is_empty() && wanted(&stem) && !heatmap_instead {
            answer.push(f);
        } else {
            rest.push(f);
        }
    }
    rest.extend(figures::added(dir, &stems, report_dir));
    let sensitivity = !s.sensitivity.is_empty();
    let summary: Vec<String> = SHOWN
        .iter()
        .filter_map(|&m| {
            if sensitivity {
                sensitivity_sentence(&s, m)
            } else {
                spread_sentence(&s, m)
            }
        })
        .collect();
    let table = if sensitivity {
        sensitivity_table(&s, Metric::PerformativeShare)
    } else {
        influence_table(&s)
    };
    let used = SHOWN.to_vec();
    Ok(Section {
        title: s.scenario.clone(),
        question: s.description.clone(),
        summary,
        table: Some(table),
        answer,
        method: method(&s),
        limitations: limitations(&s),
        metrics: used,
        appendix: appendix(&s, dir, rest),
    })
}
