//! A run's section: what each variant does compared with the base (paired
//! differences with 95% CIs), what the timeline's events do, the effect
//! table, the method and the limitations.

use super::text::{self, SIG, ci, decimals, effect_cell, noun, numbers};
use super::{Appendix, Cell, Figure, ReportError, Section, Table, figures};
use crate::charts::Chart;
use crate::charts::data::{MarkerKind, RunResults};
use crate::model::metrics::Metric;
use std::path::Path;

mod summary;

use summary::{
    agent_sentences, arm, event_sentences, levels_sentence, ranking_sentence, row_style,
    variant_sentences,
};

/// Rows of metric, unit, then cells.
fn metric_row(m: Metric, cells: Vec<Cell>) -> Vec<Cell> {
    let mut row = vec![Cell::text(noun(m)), Cell::text(m.unit())];
    row.extend(cells);
    row
}

/// The base level and each variant's paired difference, per effect metric.
fn effect_table(r: &RunResults, last: usize) -> Table {
    let mut header = vec![
        "Metric".to_string(),
        "Unit".into(),
        format!("Base, week {last}"),
    ];
    header.extend((1..r.variants.len()).map(|v| format!("{} minus base", r.variants[v])));
    let rows = Metric::EFFECTS
        .into_iter()
        .map(|m| {
            let base = r.final_value(0, m);
            let diffs: Vec<_> = (1..r.variants.len())
                .map(|v| r.paired_difference(v, m, last))
                .collect();
            let d = row_style(r, m, last);
            let mut cells = vec![Cell::num(ci(&base, decimals(numbers(&base))))];
            cells.extend(diffs.iter().map(|s| effect_cell(s, d)));
            metric_row(m, cells)
        })
        .collect();
    Table {
        caption: format!(
            "Effect of each variant at week {last}: difference from the base, mean [95% CI] over {} paired by seed",
            text::count(r.replicates, "replicate")
        ),
        header,
        rows,
        note: format!(
            "Each arm runs replicate r with the same seed, so differences are taken within replicates. Bold: the 95% CI excludes 0. Levels to {SIG} significant figures, and the differences in a row alike."
        ),
    }
}

/// A single arm's levels at week 0 and at the end, and the change.
fn level_table(r: &RunResults, last: usize) -> Table {
    let rows = Metric::HEADLINE
        .into_iter()
        .map(|m| {
            let (a, b, c) = (
                r.at_week(0, m, 0),
                r.final_value(0, m),
                r.change(0, m, 0, last),
            );
            let d = decimals([a, b, c].iter().flat_map(numbers));
            metric_row(
                m,
                vec![
                    Cell::num(ci(&a, d)),
                    Cell::num(ci(&b, d)),
                    effect_cell(&c, d),
                ],
            )
        })
        .collect();
    Table {
        caption: format!(
            "Levels at week 0 and week {last}, mean [95% CI] over {}",
            text::count(r.replicates, "replicate")
        ),
        header: [
            "Metric",
            "Unit",
            "Week 0",
            &format!("Week {last}"),
            "Change",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        note: "The change is taken within each replicate. Bold: its 95% CI excludes 0.".into(),
    }
}

fn method(r: &RunResults) -> Vec<String> {
    let m = &r.manifest;
    let team = m.parameters.get("team_size").map_or_else(String::new, |t| {
        format!(" in teams of {}", text::param_value(t))
    });
    let mut out = vec![format!(
        "Simulated with goodhart {}, reference model TM-1 (the model contract, docs/MODEL.md in goodhart's repository): {}{team}, {}, {} per arm, {}.",
        m.header.version_text(),
        text::count(m.employees, "employee"),
        text::count(m.weeks, "week"),
        text::count(m.replicates, "replicate run"),
        match r.variants.len() {
            1 => "one arm".to_string(),
            n => format!("{n} arms (the base and {} variants)", n - 1),
        }
    )];
    if r.variants.len() > 1 {
        out.push(if r.paired() {
            "Every arm runs replicate r with the same seed (common random numbers): the same employees meet the same random draws, so the difference between two arms within a replicate is the policy's effect plus much less noise than two independent runs would have. Differences are summarised over replicates with a Student t 95% interval.".into()
        } else {
            "The arms did not all run with the same seeds (results merged from different runs): differences use only the replicates whose seeds match.".into()
        });
    }
    let levels = if m.replicates == 1 {
        "Levels are those of a single run (one replicate): there are no intervals."
    } else {
        "Levels are means over replicates with Student t 95% intervals, cut to each metric's possible range."
    };
    out.push(format!(
        "{levels} Master seed {}; replicate seeds {}.",
        m.master_seed,
        m.run_seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out
}

fn limitations(r: &RunResults, last: usize, used: &[Metric]) -> Vec<String> {
    let mut out = vec![
        "goodhart is a stylised model calibrated to reported patterns: its numbers show the direction and rough size of incentive effects, not a forecast for a particular organisation.".to_string(),
    ];
    match r.replicates {
        1 => out.push("One replicate: no interval can be computed, so nothing here separates an effect from chance. Rerun with more replicates ([run] replicates).".into()),
        n if n < 10 => out.push(format!(
            "Only {n} replicates: intervals use Student's t with {} and are wide; effects smaller than their half-width cannot be resolved. More replicates ([run] replicates) narrow them by the square root of the number.",
            match n - 1 {
                1 => "1 degree of freedom".to_string(),
                df => format!("{df} degrees of freedom"),
            }
        )),
        _ => {}
    }
    if r.variants.len() > 1 {
        let unclear: Vec<String> = Metric::EFFECTS
            .into_iter()
            .filter(|&m| {
                (1..r.variants.len()).all(|v| !text::clear(&r.paired_difference(v, m, last)))
            })
            .map(noun)
            .collect();
        if !unclear.is_empty() && r.replicates > 1 {
            out.push(format!(
                "No variant changes {} distinguishably from zero at week {last}; a real effect smaller than the intervals may still exist.",
                text::list(&unclear)
            ));
        }
    }
    for &m in used {
        let (nan, all) = r.undefined(m);
        if nan > 0 {
            let why = m.range().undefined.unwrap_or("in some weeks");
            out.push(format!(
                "{} is undefined in {nan} of {all} values (arms x weeks x replicates); it is undefined {why}. Those values are gaps in the charts and are left out of means.",
                text::cap(&noun(m))
            ));
        }
    }
    if r.manifest.employees < 200 {
        out.push(format!(
            "With {}, organisation-level metrics move noticeably from week to week by chance alone.",
            text::count(r.manifest.employees, "employee")
        ));
    }
    out
}

fn appendix(r: &RunResults, dir: &Path, figures: Vec<Figure>) -> Appendix {
    let m = &r.manifest;
    let mut facts = vec![
        ("Results".to_string(), dir.display().to_string()),
        ("Scenario file".into(), m.input_file.clone()),
        ("Command".into(), m.command_line.join(" ")),
        ("goodhart".into(), m.header.version_text()),
        ("Input SHA-256".into(), m.header.input_sha256.clone()),
    ];
    for v in &m.variants {
        let what: Vec<String> = v
            .changes
            .iter()
            .map(|(k, x)| format!("{k} = {}", text::param_value(x)))
            .collect();
        facts.push((
            format!("Variant {}", v.name),
            format!("{} ({})", v.description, what.join(", ")),
        ));
    }
    for marker in r.markers() {
        let arms: Vec<String> = marker.arms.iter().map(|&v| arm(r, v)).collect();
        facts.push((
            "Timeline".into(),
            format!("{} (in {})", marker.describe(), text::list(&arms)),
        ));
    }
    let params = text::params_table("Parameters of the base arm", &m.parameters);
    Appendix {
        figures,
        tables: vec![params],
        facts,
    }
}

pub fn section(dir: &Path, report_dir: &Path) -> Result<Section, ReportError> {
    let r = RunResults::load(dir).map_err(ReportError::Chart)?;
    let last = r.weeks.saturating_sub(1);
    let arms = r.variants.len();
    let charts = figures::defaults(dir, report_dir)?;
    let stems: Vec<String> = charts.iter().map(|(c, _)| c.stem()).collect();
    let who = agent_sentences(&charts.iter().map(|(c, _)| c).collect::<Vec<_>>());
    // Several arms: the paired differences answer first; when the base
    // arm's timeline changes a lever during the run, the performative
    // share over weeks shows what the change does. One arm: that series.
    let series_stem = format!("timeseries_{}", Metric::PerformativeShare);
    let base_events = r.markers().iter().any(|m| {
        m.arms.contains(&0)
            && match &m.kind {
                MarkerKind::Set { week, .. } => *week <= last,
                MarkerKind::Ramp { from, .. } => *from <= last,
            }
    });
    let wanted: Vec<&str> = match (arms > 1, base_events) {
        (true, true) => vec!["differences", &series_stem],
        (true, false) => vec!["differences"],
        (false, _) => vec![&series_stem],
    };
    let mut answer: Vec<(usize, Figure)> = Vec::new();
    let mut rest = Vec::new();
    for (c, f) in charts {
        let stem = c.stem();
        if let Some(i) = wanted.iter().position(|w| *w == stem) {
            answer.push((i, f));
        } else if (arms > 1 && stem.starts_with("timeseries_"))
            || (arms == 1 && stem == "dashboard")
        {
            // Shown in the dashboard (several arms) or one by one (one
            // arm): never the same series twice.
        } else {
            rest.push(f);
        }
    }
    answer.sort_by_key(|(i, _)| *i);
    let answer: Vec<Figure> = answer.into_iter().map(|(_, f)| f).collect();
    rest.extend(figures::added(dir, &stems, report_dir));
    let (mut summary, table, mut used) = if arms > 1 {
        let mut s = variant_sentences(&r, last);
        s.extend(ranking_sentence(&r, last));
        (s, effect_table(&r, last), Metric::EFFECTS.to_vec())
    } else {
        (
            vec![levels_sentence(&r, last)],
            level_table(&r, last),
            Metric::HEADLINE.to_vec(),
        )
    };
    summary.extend(event_sentences(&r, last));
    summary.extend(who);
    used.extend(Metric::DASHBOARD);
    used.sort();
    used.dedup();
    let limitations = limitations(&r, last, &used);
    Ok(Section {
        title: r.scenario.clone(),
        question: r.description.clone(),
        summary,
        table: Some(table),
        answer,
        method: method(&r),
        limitations,
        metrics: used,
        appendix: appendix(&r, dir, rest),
    })
}
