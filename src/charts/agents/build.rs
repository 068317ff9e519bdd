//! Which agent charts a run directory gets, and their data: the token
//! distribution and the two decile charts at the last recorded week, and
//! a before/after chart for each event the base timeline sets at a week
//! with recorded weeks on both sides of it.

use super::data::{
    self, AgentData, Attribute, by_decile, decile_means, performative_share,
    share_change_by_decile, varies, within,
};
use super::{AgentChart, BeforeAfter, DecileChart, TokenDistribution};
use crate::charts::ChartError;
use crate::params::timeline::Change;
use crate::scenario::Scenario;
use std::path::Path;

/// The attributes employees are grouped by, in chart order.
const ATTRIBUTES: [Attribute; 2] = [Attribute::AiSpeedup, Attribute::StatusDrive];

/// A timeline event a before/after chart can show: the week it acts, what
/// it sets, and the recorded weeks before and after it.
struct Event {
    week: usize,
    label: String,
    before: usize,
    after: usize,
}

/// The agent charts of the run in `dir`: none without agents.csv; the
/// token distribution and the two decile charts at the last recorded
/// week; a before/after chart for each event the base timeline sets at a
/// week with recorded weeks before it and after it (before the next
/// change).
pub fn agent_charts(dir: &Path) -> Result<Vec<AgentChart>, ChartError> {
    if !dir.join(crate::output::agents::AGENTS).exists() {
        return Ok(Vec::new());
    }
    let (m, recorded) = data::recorded_weeks(dir)?;
    let last = *recorded.last().ok_or_else(|| {
        ChartError::Data(format!(
            "{} does not list the weeks of agents.csv: run the scenario again with --agents",
            dir.join("manifest.json").display()
        ))
    })?;
    let events = events(&m.scenario(dir)?, &recorded);
    let mut weeks = vec![last];
    weeks.extend(events.iter().flat_map(|e| [e.before, e.after]));
    weeks.sort_unstable();
    weeks.dedup();
    let d = AgentData::load(dir, &weeks)?;
    let mut out = vec![AgentChart::Tokens(tokens(&d, last)?)];
    if d.employees < data::DECILES {
        return Ok(out);
    }
    for attribute in ATTRIBUTES {
        if varies(d.at(last)?, attribute) {
            out.push(AgentChart::Deciles(deciles(&d, last, attribute)?));
        }
    }
    for e in events {
        if let Some(chart) = before_after(&d, e)? {
            out.push(AgentChart::BeforeAfter(chart));
        }
    }
    Ok(out)
}

/// The base timeline's `Set` events with a recorded week before them and
/// one at or after them before the next change (the latest such week, so
/// the chart shows where the change settled); events of one week are one
/// event.
fn events(source: &Scenario, recorded: &[usize]) -> Vec<Event> {
    let changes = source.timeline.change_weeks();
    let mut out: Vec<Event> = Vec::new();
    for ev in &source.timeline.events {
        let Change::Set { week, value } = &ev.change else {
            continue;
        };
        let shown = ev.param.show(value);
        let label = format!("{} = {}", ev.param.name, shown.trim_matches('"'));
        if let Some(e) = out.iter_mut().find(|e| e.week == *week) {
            e.label = format!("{}; {label}", e.label);
            continue;
        }
        let next = changes.iter().copied().find(|&c| c > *week);
        let before = recorded.iter().copied().rfind(|&w| w < *week);
        let after = recorded
            .iter()
            .copied()
            .rfind(|&w| w >= *week && next.is_none_or(|n| w < n));
        if let (Some(before), Some(after)) = (before, after) {
            out.push(Event {
                week: *week,
                label,
                before,
                after,
            });
        }
    }
    out
}

/// Tokens of every employee of every replicate of each arm in `week`,
/// and the base arm's usage bar if it has an adoption target then.
fn tokens(d: &AgentData, week: usize) -> Result<TokenDistribution, ChartError> {
    let mut p = d.source.params.clone();
    for w in 0..=week {
        d.source.timeline.apply(w, &mut p);
    }
    let arms = d
        .arms
        .iter()
        .zip(d.at(week)?)
        .map(|(a, reps)| (a.clone(), reps.iter().flatten().map(|x| x.tokens).collect()))
        .collect();
    Ok(TokenDistribution {
        scenario: d.scenario.clone(),
        week,
        replicates: d.replicates,
        bar: (p.levers.adoption_target > 0.0).then_some(p.levers.active_threshold),
        arms,
    })
}

/// Performative share and mean output by decile of `attribute` in
/// `week`, per arm.
fn deciles(d: &AgentData, week: usize, attribute: Attribute) -> Result<DecileChart, ChartError> {
    let runs = d.at(week)?;
    let arms = d
        .arms
        .iter()
        .zip(runs)
        .map(|(a, reps)| {
            let share = by_decile(reps, attribute, |g| performative_share(g.iter().copied()));
            let output = by_decile(reps, attribute, |g| {
                g.iter().map(|a| a.output).sum::<f64>() / g.len().max(1) as f64
            });
            let share = share.into_iter().map(|c| within(c, 0.0, 1.0)).collect();
            let output = output
                .into_iter()
                .map(|c| within(c, 0.0, f64::INFINITY))
                .collect();
            (a.clone(), share, output)
        })
        .collect();
    Ok(DecileChart {
        scenario: d.scenario.clone(),
        attribute,
        week,
        replicates: d.replicates,
        means: decile_means(&runs[0], attribute),
        arms,
    })
}

/// The change of performative share by decile across event `e`, or None
/// when no attribute varies.
fn before_after(d: &AgentData, e: Event) -> Result<Option<BeforeAfter>, ChartError> {
    let (before, after) = (d.at(e.before)?, d.at(e.after)?);
    let panels: Vec<_> = ATTRIBUTES
        .into_iter()
        .filter(|&attr| varies(after, attr))
        .map(|attr| {
            let arms = d
                .arms
                .iter()
                .enumerate()
                .map(|(i, arm)| {
                    let change = share_change_by_decile(&before[i], &after[i], attr)
                        .into_iter()
                        .map(|c| within(c, -1.0, 1.0))
                        .collect();
                    (arm.clone(), change)
                })
                .collect();
            (attr, decile_means(&after[0], attr), arms)
        })
        .collect();
    if panels.is_empty() {
        return Ok(None);
    }
    let sources = d.source.arms();
    let with_event =
        d.arms
            .iter()
            .map(|name| {
                sources.iter().any(|arm| {
                    arm.name == *name
                        && arm.timeline.events.iter().any(
                            |ev| matches!(ev.change, Change::Set { week, .. } if week == e.week),
                        )
                })
            })
            .collect();
    Ok(Some(BeforeAfter {
        scenario: d.scenario.clone(),
        event: e.label,
        event_week: e.week,
        before: e.before,
        after: e.after,
        replicates: d.replicates,
        with_event,
        panels,
    }))
}
