//! An exploration's section: which policy is robust across the sampled
//! worlds (the share of worlds in which it meets every threshold, with a
//! Wilson interval, against the next best and the base), its regret, and
//! where it fails (the scenario discovery box); the robustness table, the
//! charts, the method and the limitations.

use super::text::{self, decimals, noun};
use super::{Appendix, Cell, Figure, ReportError, Section, Table, figures};
use crate::charts::Chart;
use crate::charts::axis::fixed;
use crate::charts::explore::{ExploreData, list};
use crate::model::metrics::Metric;
use crate::results::{BoxRow, RobustnessRow};
use std::path::Path;

/// "83% [74%, 89%]" for a share and its interval.
fn pct(x: f64) -> String {
    format!("{:.0}%", 100.0 * x)
}

fn share_ci(r: &RobustnessRow) -> String {
    format!(
        "{} [{}, {}]",
        pct(r.satisficing_share),
        pct(r.satisficing_ci_low),
        pct(r.satisficing_ci_high)
    )
}

/// The objective's name in a sentence.
fn objective_noun(name: &str) -> String {
    Metric::from_name(name).map_or_else(|| name.to_string(), noun)
}

fn objective_unit(name: &str) -> String {
    Metric::from_name(name).map_or_else(String::new, text::unit)
}

/// "status_drive is above 1.42" and the like for one restricted parameter.
pub fn restriction(b: &BoxRow) -> String {
    let d = decimals([b.lower.abs(), b.upper.abs(), b.range_high.abs()]);
    match (b.qp_lower.is_some(), b.qp_upper.is_some()) {
        (true, true) => format!(
            "{} is between {} and {}",
            b.parameter,
            d.show(b.lower),
            d.show(b.upper)
        ),
        (true, false) => format!("{} is above {}", b.parameter, d.show(b.lower)),
        (false, true) => format!("{} is below {}", b.parameter, d.show(b.upper)),
        (false, false) => format!(
            "{} is {} to {}",
            b.parameter,
            d.show(b.lower),
            d.show(b.upper)
        ),
    }
}

/// The sentences of the summary.
fn summary(d: &ExploreData) -> Vec<String> {
    let mut out = Vec::new();
    let Some(&best) = d.order.first() else {
        return out;
    };
    let Some(b) = d.row(best, 0) else {
        return out;
    };
    let thresholds = d.thresholds();
    let meets = if thresholds.is_empty() {
        "meets every threshold".to_string()
    } else {
        format!("meets every threshold ({thresholds})")
    };
    out.push(format!(
        "Across {} sampled worlds, {} is the most robust of the {} policies: it {meets} in {} of the worlds (Wilson 95% CI).",
        d.worlds,
        d.label(best),
        d.listed.len(),
        share_ci(b)
    ));
    let mut compare = Vec::new();
    if let Some(&next) = d.order.get(1)
        && let Some(n) = d.row(next, 0)
    {
        compare.push(format!(
            "{} percentage points more than the next best, {} ({})",
            fixed(100.0 * (b.satisficing_share - n.satisficing_share), 0),
            d.label(next),
            share_ci(n)
        ));
    }
    let base = d.listed.iter().position(|p| p == crate::scenario::BASE_ARM);
    match base {
        Some(p) if p == best => out.push(
            "The base policy is itself the most robust: none of the alternatives does better."
                .to_string(),
        ),
        Some(p) => {
            if let Some(r) = d.row(p, 0) {
                compare.push(format!(
                    "{} points more than the base policy ({})",
                    fixed(100.0 * (b.satisficing_share - r.satisficing_share), 0),
                    share_ci(r)
                ));
            }
        }
        None => {}
    }
    if !compare.is_empty() {
        out.push(format!("That is {}.", list(&compare)));
    }
    let regrets: Vec<String> = (0..d.objectives.len())
        .filter_map(|o| {
            let r = d.row(best, o)?;
            let s = decimals([r.regret_mean, r.regret_ci_high, r.regret_max]);
            Some(format!(
                "{} {} [{}, {}]{} (at most {})",
                objective_noun(&r.objective),
                s.show(r.regret_mean),
                s.show(r.regret_ci_low),
                s.show(r.regret_ci_high),
                objective_unit(&r.objective),
                s.show(r.regret_max)
            ))
        })
        .collect();
    let never_worse = (0..d.objectives.len())
        .filter_map(|o| d.row(best, o))
        .all(|r| r.regret_max == 0.0);
    if never_worse {
        out.push(
            "It is the best policy of every world on every objective: its regret is 0 throughout."
                .to_string(),
        );
    } else if !regrets.is_empty() {
        out.push(format!(
            "Its mean regret, how far it falls short of the best policy of each world, is: {}.",
            list(&regrets)
        ));
    }
    out.push(discovery_sentence(d));
    out
}

/// Where the examined policy fails, from the discovery files.
fn discovery_sentence(d: &ExploreData) -> String {
    let steps = d.first_search();
    let Some(first) = steps.first() else {
        return "No world fails under the policy scenario discovery examines, so there is no region of failure to describe.".to_string();
    };
    let policy = text::cap(&d.label_of_name(&first.policy));
    let failing = d.failing_worlds().unwrap_or(0);
    let rows = d.first_box();
    let Some(b) = rows.first() else {
        let threshold = d
            .density_threshold
            .map_or_else(String::new, |t| format!(" {}", pct(t)));
        return format!(
            "{policy} fails ({}) in {failing} of {} worlds; scenario discovery (PRIM) finds no region where it fails with density of at least{threshold}: its failures are scattered, not tied to particular conditions.",
            first.failure, d.worlds
        );
    };
    let conditions: Vec<String> = rows.iter().map(|r| restriction(r)).collect();
    format!(
        "{policy} fails ({}) in {failing} of {} worlds. Scenario discovery (PRIM) finds {} of these failing worlds (coverage) where {}; there it fails in {} of the worlds (density), a region holding {} of all worlds.",
        first.failure,
        d.worlds,
        pct(b.coverage),
        list(&conditions),
        pct(b.density),
        pct(b.mass)
    )
}

/// The robustness table: one row per policy, most robust first.
fn table(d: &ExploreData) -> Table {
    let mut header = vec![
        "Policy".to_string(),
        "Meets every threshold: share of worlds [95% CI]".to_string(),
    ];
    for o in &d.objectives {
        header.push(format!("{}: median [10th, 90th pct]", o.name));
        header.push(format!("{}: mean regret [95% CI]", o.name));
    }
    let rows = d
        .order
        .iter()
        .map(|&p| {
            let mut row = vec![Cell::text(d.label(p))];
            row.push(Cell::num(d.row(p, 0).map_or(String::new(), share_ci)));
            for o in 0..d.objectives.len() {
                let Some(r) = d.row(p, o) else {
                    row.push(Cell::num(""));
                    row.push(Cell::num(""));
                    continue;
                };
                let v = decimals([r.p10.abs(), r.p50.abs(), r.p90.abs()]);
                row.push(Cell::num(format!(
                    "{} [{}, {}]",
                    v.show(r.p50),
                    v.show(r.p10),
                    v.show(r.p90)
                )));
                let g = decimals([r.regret_mean, r.regret_ci_high]);
                row.push(Cell::num(format!(
                    "{} [{}, {}]",
                    g.show(r.regret_mean),
                    g.show(r.regret_ci_low),
                    g.show(r.regret_ci_high)
                )));
            }
            row
        })
        .collect();
    Table {
        caption: format!(
            "Robustness of each policy over {} worlds, most robust first",
            d.worlds
        ),
        header,
        rows,
        note: "Share of worlds with Wilson's 95% interval; percentiles over worlds of each world's replicate mean; regret is the distance to the best policy of the same world (0 for the best), its mean with a Student t 95% interval over worlds.".into(),
    }
}

fn method(d: &ExploreData) -> Vec<String> {
    let m = &d.manifest;
    let ranges: Vec<String> = m
        .parameters
        .iter()
        .map(|p| match (&p.values, p.low, p.high) {
            (Some(v), _, _) => format!("{} in {{{}}}", p.name, v.join(", ")),
            (None, Some(lo), Some(hi)) => format!(
                "{} from {} to {}",
                p.name,
                text::param_value(&serde_json::json!(lo)),
                text::param_value(&serde_json::json!(hi))
            ),
            _ => p.name.clone(),
        })
        .collect();
    let objectives: Vec<String> = d
        .objectives
        .iter()
        .map(|o| match o.threshold {
            Some(t) => format!("{} {}d (threshold {t})", o.name, o.sense),
            None => format!("{} {}d (no threshold)", o.name, o.sense),
        })
        .collect();
    let design = match m.design.as_str() {
        "sobol" => "a scrambled Sobol sequence",
        _ => "a Latin hypercube",
    };
    let policies: Vec<String> = d.listed.iter().map(|p| d.label_of_name(p)).collect();
    let mut out = vec![
        format!(
            "Simulated with goodhart {}, reference model TM-1 (docs/MODEL.md in goodhart's repository). {} worlds were sampled by {design} over {}: {}. A population attribute's value moves the centre of its distribution (the median of a log-normal, the mean of a beta) and keeps its shape parameter (a log-normal's sigma, a beta's a + b).",
            m.header.version_text(),
            d.worlds,
            if ranges.len() == 1 {
                "1 uncertainty".to_string()
            } else {
                format!("{} uncertainties", ranges.len())
            },
            list(&ranges)
        ),
        format!(
            "Each of the {} policies ({}) ran in every world with {}: {} of {} for {}. Replicate r of every world and policy runs with the same seed (common random numbers, from master seed {}), so policies are compared on the same draws.",
            d.listed.len(),
            list(&policies),
            text::count(m.replicates, "replicate"),
            text::count(m.runs, "run"),
            text::count(m.employees, "employee"),
            text::count(m.weeks, "week"),
            m.master_seed
        ),
        format!(
            "Objectives, read at the {} of each run and averaged over replicates: {}. A policy satisfices in a world when it meets every threshold there; its satisficing share has a Wilson (1927) 95% interval. Regret is the distance to the best policy of the same world (Savage's criterion, as in robust decision making: Lempert, Popper and Bankes 2003).",
            if d.at == "run-average" {
                "run average"
            } else {
                "final week"
            },
            list(&objectives)
        ),
    ];
    if let Some(t) = d.first_search().first() {
        out.push(format!(
            "Scenario discovery: PRIM (Friedman and Fisher 1999, as in EMA Workbench) peels and pastes boxes in the space of uncertainties around the worlds where {} fails ({}), and keeps the box of highest coverage whose density reaches {}; quasi-p values test each restriction (small values mean it matters).",
            d.label_of_name(&t.policy),
            t.failure,
            d.density_threshold.map_or("the threshold".into(), |x| x.to_string())
        ));
    }
    out
}

fn limitations(d: &ExploreData) -> Vec<String> {
    let m = &d.manifest;
    let mut out = vec!["goodhart is a stylised model calibrated to reported patterns: which policy is robust, and roughly where it fails, is the finding, not the exact shares.".to_string()];
    if m.replicates < 5 {
        out.push(format!(
            "Only {} per policy and world: a world's value is a noisy mean, so worlds close to a threshold may be counted on the wrong side of it.",
            text::count(m.replicates, "replicate")
        ));
    }
    out.push(format!(
        "Regret is computed on replicate means: the noise in each policy's mean makes the best of a world look better than it is, so regret is biased upwards, most with few replicates ({} here), and similar policies show small positive regrets even if they are equal.",
        m.replicates
    ));
    if let Some(failing) = d.failing_worlds() {
        let rows = d.first_box();
        if rows.is_empty() {
            out.push(format!("Scenario discovery had {failing} failing worlds of {} to work with and found no box dense enough; with few cases PRIM cannot separate a region from chance.", d.worlds));
        } else {
            let weak: Vec<String> = rows
                .iter()
                .filter(|r| {
                    [r.qp_lower, r.qp_upper]
                        .into_iter()
                        .flatten()
                        .any(|q| q > 0.05)
                })
                .map(|r| r.parameter.clone())
                .collect();
            let mut s = format!(
                "The PRIM box rests on {failing} failing worlds of {}; with few cases its limits are imprecise and may fit chance (EMA Workbench suggests checking them with resampling).",
                d.worlds
            );
            if !weak.is_empty() {
                s += &format!(
                    " The restrictions on {} have quasi-p values above 0.05 and may not matter.",
                    list(&weak)
                );
            }
            out.push(s);
        }
    }
    out
}

fn appendix(d: &ExploreData, dir: &Path, figures: Vec<Figure>) -> Appendix {
    let m = &d.manifest;
    let uncertainties = Table {
        caption: "Uncertainties explored".into(),
        header: vec!["Parameter".into(), "Range".into()],
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
    let mut tables = vec![uncertainties];
    if !d.boxes.is_empty() {
        tables.push(Table {
            caption: "Scenario discovery boxes: limits per restricted parameter".into(),
            header: vec![
                "Box".into(),
                "Coverage".into(),
                "Density".into(),
                "Parameter".into(),
                "Limits".into(),
                "Explored".into(),
                "qp (lower, upper)".into(),
            ],
            rows: d
                .boxes
                .iter()
                .map(|b| {
                    let qp = |q: Option<f64>| q.map_or("-".to_string(), |q| format!("{q:.1e}"));
                    vec![
                        Cell::num(b.r#box.to_string()),
                        Cell::num(pct(b.coverage)),
                        Cell::num(pct(b.density)),
                        Cell::text(&b.parameter),
                        Cell::num(format!("{} to {}", fixed(b.lower, 3), fixed(b.upper, 3))),
                        Cell::num(format!(
                            "{} to {}",
                            text::param_value(&serde_json::json!(b.range_low)),
                            text::param_value(&serde_json::json!(b.range_high))
                        )),
                        Cell::num(format!("{}, {}", qp(b.qp_lower), qp(b.qp_upper))),
                    ]
                })
                .collect(),
            note: String::new(),
        });
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
        ],
    }
}

pub fn section(dir: &Path, report_dir: &Path) -> Result<Section, ReportError> {
    let d = ExploreData::load(dir).map_err(ReportError::Chart)?;
    let charts = figures::defaults(dir, report_dir)?;
    let stems: Vec<String> = charts.iter().map(|(c, _)| c.stem()).collect();
    let answer: Vec<Figure> = charts.into_iter().map(|(_, f)| f).collect();
    let rest = figures::added(dir, &stems, report_dir);
    let metrics = d
        .objectives
        .iter()
        .filter_map(|o| Metric::from_name(&o.name))
        .collect();
    Ok(Section {
        title: d.scenario.clone(),
        question: d.description.clone(),
        summary: summary(&d),
        table: Some(table(&d)),
        answer,
        method: method(&d),
        limitations: limitations(&d),
        metrics,
        appendix: appendix(&d, dir, rest),
    })
}
