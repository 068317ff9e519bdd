//! Charts of `agents.csv` (`goodhart run --agents`): what the organisation
//! metrics hide about who does what. The distribution of tokens per
//! employee by arm; performative share and output by decile of
//! `ai_speedup` and of `status_drive`; and the change of performative
//! share by decile across a timeline event, when agents were recorded on
//! both sides of it. Deciles are formed within each replicate and then
//! averaged over replicates, with 95% CIs; arms share their seeds, so
//! they hold the same employees.
//!
//! [`agent_charts`] builds every chart a run directory's agents.csv
//! supports (none without agents.csv); they are drawn like any other
//! chart with [`super::render`].

mod data;
mod draw;

pub use data::{AgentData, Attribute, Ci};

use super::{Chart, ChartError, colour, font, tick, titled};
use crate::params::timeline::Change;
use data::{by_decile, decile_means, performative_share, share_change_by_decile, varies};
use draw::{ci_note, decile_desc, decile_panel, legend_strip, tick_label};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

fn e<T: std::fmt::Display>(x: T) -> String {
    x.to_string()
}

/// The distribution of tokens used per employee, one curve per arm
/// (replicates pooled), on a log axis, with each arm's median.
pub struct TokenDistribution {
    pub scenario: String,
    pub week: usize,
    pub replicates: usize,
    /// The usage bar (`active_threshold`) of the base arm that week, when
    /// it has an adoption target.
    pub bar: Option<f64>,
    /// (arm, tokens of every employee of every replicate).
    pub arms: Vec<(String, Vec<f64>)>,
}

/// Performative share and output per employee by decile of an attribute,
/// one line per arm with 95% CI whiskers.
pub struct DecileChart {
    pub scenario: String,
    pub attribute: Attribute,
    pub week: usize,
    pub replicates: usize,
    /// The attribute's mean in each decile (base arm, over replicates).
    pub means: Vec<f64>,
    /// (arm, performative share by decile, output by decile).
    pub arms: Vec<(String, Vec<Ci>, Vec<Ci>)>,
}

/// The change of performative share from a week before a timeline event
/// to a week after it, by decile of ai_speedup and of status_drive.
pub struct BeforeAfter {
    pub scenario: String,
    /// What the event sets, e.g. `leaderboard = "manager"`.
    pub event: String,
    pub event_week: usize,
    pub before: usize,
    pub after: usize,
    pub replicates: usize,
    /// (attribute, decile means, [(arm, change by decile)]).
    pub panels: Vec<(Attribute, Vec<f64>, Vec<(String, Vec<Ci>)>)>,
}

/// Every agent chart kind, so that they can be listed and rendered.
pub enum AgentChart {
    Tokens(TokenDistribution),
    Deciles(DecileChart),
    BeforeAfter(BeforeAfter),
}

impl Chart for AgentChart {
    fn stem(&self) -> String {
        match self {
            AgentChart::Tokens(c) => c.stem(),
            AgentChart::Deciles(c) => c.stem(),
            AgentChart::BeforeAfter(c) => c.stem(),
        }
    }
    fn title(&self) -> String {
        match self {
            AgentChart::Tokens(c) => c.title(),
            AgentChart::Deciles(c) => c.title(),
            AgentChart::BeforeAfter(c) => c.title(),
        }
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        match self {
            AgentChart::Tokens(c) => c.draw(root),
            AgentChart::Deciles(c) => c.draw(root),
            AgentChart::BeforeAfter(c) => c.draw(root),
        }
    }
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
    // Events: (week, label, before, after).
    let source = m.scenario(dir)?;
    let changes = source.timeline.change_weeks();
    let mut events: Vec<(usize, String, usize, usize)> = Vec::new();
    for ev in &source.timeline.events {
        let Change::Set { week, value } = &ev.change else {
            continue;
        };
        let label = format!("{} = {}", ev.param.name, ev.param.show(value));
        if let Some(e) = events.iter_mut().find(|e| e.0 == *week) {
            e.1 = format!("{}; {label}", e.1);
            continue;
        }
        let next = changes.iter().copied().find(|&c| c > *week);
        let before = recorded.iter().copied().rfind(|&w| w < *week);
        let after = recorded
            .iter()
            .copied()
            .rfind(|&w| w >= *week && next.is_none_or(|n| w < n));
        if let (Some(b), Some(a)) = (before, after) {
            events.push((*week, label, b, a));
        }
    }
    let mut weeks = vec![last];
    weeks.extend(events.iter().flat_map(|e| [e.2, e.3]));
    weeks.sort_unstable();
    weeks.dedup();
    let d = AgentData::load(dir, &weeks)?;
    let at_last = d.at(last)?;
    let mut out = Vec::new();
    let mut p = d.source.params.clone();
    for w in 0..=last {
        d.source.timeline.apply(w, &mut p);
    }
    out.push(AgentChart::Tokens(TokenDistribution {
        scenario: d.scenario.clone(),
        week: last,
        replicates: d.replicates,
        bar: (p.levers.adoption_target > 0.0).then_some(p.levers.active_threshold),
        arms: d
            .arms
            .iter()
            .zip(at_last)
            .map(|(a, reps)| (a.clone(), reps.iter().flatten().map(|x| x.tokens).collect()))
            .collect(),
    }));
    if d.employees < data::DECILES {
        return Ok(out);
    }
    for attribute in [Attribute::AiSpeedup, Attribute::StatusDrive] {
        if !varies(at_last, attribute) {
            continue;
        }
        let arms = d
            .arms
            .iter()
            .zip(at_last)
            .map(|(a, reps)| {
                let share = by_decile(reps, attribute, |g| performative_share(g.iter().copied()));
                let output = by_decile(reps, attribute, |g| {
                    g.iter().map(|a| a.output).sum::<f64>() / g.len().max(1) as f64
                });
                (a.clone(), share, output)
            })
            .collect();
        out.push(AgentChart::Deciles(DecileChart {
            scenario: d.scenario.clone(),
            attribute,
            week: last,
            replicates: d.replicates,
            means: decile_means(&at_last[0], attribute),
            arms,
        }));
    }
    for (week, label, b, a) in events {
        let (before, after) = (d.at(b)?, d.at(a)?);
        let panels = [Attribute::AiSpeedup, Attribute::StatusDrive]
            .into_iter()
            .filter(|&attr| varies(after, attr))
            .map(|attr| {
                let arms = d
                    .arms
                    .iter()
                    .enumerate()
                    .map(|(i, arm)| {
                        let change = share_change_by_decile(&before[i], &after[i], attr);
                        (arm.clone(), change)
                    })
                    .collect();
                (attr, decile_means(&after[0], attr), arms)
            })
            .collect::<Vec<_>>();
        if !panels.is_empty() {
            out.push(AgentChart::BeforeAfter(BeforeAfter {
                scenario: d.scenario.clone(),
                event: label,
                event_week: week,
                before: b,
                after: a,
                replicates: d.replicates,
                panels,
            }));
        }
    }
    Ok(out)
}

impl Chart for TokenDistribution {
    fn stem(&self) -> String {
        "agents_tokens".into()
    }

    fn title(&self) -> String {
        format!(
            "{}: tokens per employee in week {}, by arm ({} replicates pooled)",
            self.scenario, self.week, self.replicates
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        const BINS: usize = 40;
        let all = self.arms.iter().flat_map(|(_, v)| v.iter().copied());
        let max = all.clone().fold(0.0_f64, f64::max).max(1e-9);
        // The axis spans at most six decades below the largest value;
        // smaller values (and none at all) are counted in the first bin.
        let min = all.filter(|&t| t > 0.0).fold(max, f64::min);
        let (lo, hi) = ((min.max(max * 1e-6)) / 1.05, max * 1.05);
        let step = (hi / lo).ln() / BINS as f64;
        let centre = |k: usize| lo * ((k as f64 + 0.5) * step).exp();
        let mut curves = Vec::new();
        let mut top = 0.0_f64;
        for (name, tokens) in &self.arms {
            let mut counts = [0usize; BINS];
            for &t in tokens {
                let k = ((t.max(lo) / lo).ln() / step) as usize;
                counts[k.min(BINS - 1)] += 1;
            }
            let total = tokens.len().max(1) as f64;
            let pts: Vec<(f64, f64)> = (0..BINS)
                .map(|k| (centre(k), 100.0 * counts[k] as f64 / total))
                .collect();
            top = top.max(pts.iter().map(|p| p.1).fold(0.0, f64::max));
            let mut sorted = tokens.clone();
            sorted.sort_by(f64::total_cmp);
            let median = sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN);
            curves.push((name.clone(), pts, median));
        }
        let labels: Vec<String> = curves
            .iter()
            .map(|(n, _, m)| format!("{n} (median {} MTok)", tick(*m)))
            .collect();
        let names: Vec<&str> = labels.iter().map(String::as_str).collect();
        let area = legend_strip(&area, &names, Some("dashed: medians"))?;
        let ytop = top * 1.12 + 1e-9;
        let mut chart = ChartBuilder::on(&area)
            .margin(20)
            .margin_right(50)
            .x_label_area_size(100)
            .y_label_area_size(120)
            .build_cartesian_2d((lo..hi).log_scale(), 0.0..ytop)
            .map_err(e)?;
        let yfmt = tick_label(0.0, ytop);
        chart
            .configure_mesh()
            .x_desc(format!(
                "Tokens used in week {} (MTok per employee, log scale)",
                self.week
            ))
            .y_desc("Employees (% per bin)")
            .axis_desc_style(font(30.0))
            .label_style(font(26.0))
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&yfmt)
            .y_max_light_lines(1)
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()
            .map_err(e)?;
        if let Some(bar) = self.bar.filter(|b| *b > lo && *b < hi) {
            let grey = RGBColor(90, 90, 90);
            chart
                .draw_series(DashedLineSeries::new(
                    [(bar, 0.0), (bar, ytop)],
                    12,
                    8,
                    grey.stroke_width(2),
                ))
                .map_err(e)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!(" usage bar {} MTok", tick(bar)),
                    (bar, ytop),
                    font(26.0).color(&grey),
                )))
                .map_err(e)?;
        }
        for (i, (_, pts, median)) in curves.iter().enumerate() {
            let c = colour(i);
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(4)))
                .map_err(e)?;
            if median.is_finite() && *median > lo {
                chart
                    .draw_series(DashedLineSeries::new(
                        [(*median, 0.0), (*median, top * 1.04)],
                        10,
                        6,
                        c.stroke_width(3),
                    ))
                    .map_err(e)?;
            }
        }
        Ok(())
    }
}

impl Chart for DecileChart {
    fn stem(&self) -> String {
        format!("agents_by_{}", self.attribute.name())
    }

    fn title(&self) -> String {
        format!(
            "{}, week {}: performative share and output by {} decile",
            self.scenario,
            self.week,
            self.attribute.name()
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let names: Vec<&str> = self.arms.iter().map(|a| a.0.as_str()).collect();
        let note = ci_note(self.replicates);
        let area = legend_strip(&area, &names, Some(&note))?;
        let (left, right) = area.split_horizontally(area.dim_in_pixel().0 / 2);
        let x = decile_desc(self.attribute, &self.means);
        let share: Vec<(&str, &[Ci])> = self.arms.iter().map(|a| (a.0.as_str(), &a.1[..])).collect();
        let output: Vec<(&str, &[Ci])> = self.arms.iter().map(|a| (a.0.as_str(), &a.2[..])).collect();
        decile_panel(&left, "Performative share", &x, "sum g / sum (p + g)", &share, false)?;
        decile_panel(
            &right,
            "Output per employee",
            &x,
            "Output (manual-work weeks)",
            &output,
            false,
        )
    }
}

impl Chart for BeforeAfter {
    fn stem(&self) -> String {
        format!("agents_before_after_week{}", self.event_week)
    }

    fn title(&self) -> String {
        format!(
            "{}: performative share from week {} to {}, across {} at week {}",
            self.scenario, self.before, self.after, self.event, self.event_week
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let names: Vec<&str> = self
            .panels
            .first()
            .map(|p| p.2.iter().map(|a| a.0.as_str()).collect())
            .unwrap_or_default();
        let note = ci_note(self.replicates);
        let area = legend_strip(&area, &names, Some(&note))?;
        let cells = area.split_evenly((1, self.panels.len().max(1)));
        for ((attr, means, arms), cell) in self.panels.iter().zip(&cells) {
            let values: Vec<(&str, &[Ci])> = arms.iter().map(|a| (a.0.as_str(), &a.1[..])).collect();
            decile_panel(
                cell,
                &format!("By {} decile", attr.name()),
                &decile_desc(*attr, means),
                &format!("Change in performative share, week {} to {}", self.before, self.after),
                &values,
                true,
            )?;
        }
        Ok(())
    }
}
