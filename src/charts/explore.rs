//! Charts of an exploration (`goodhart explore`): how each policy fares
//! over the sampled worlds. Box plots of every objective's outcome per
//! policy with its threshold, the regret against the best policy of each
//! world, the share of worlds in which each policy meets every threshold
//! (with Wilson intervals), and scenario discovery: PRIM's trade-off
//! between coverage and density and the limits of the chosen box.
//!
//! Policies are listed most robust first (highest satisficing share, then
//! lowest mean regret on the first objective, as `goodhart explore` ranks
//! them) and keep the colour of their place in the scenario's list, so a
//! policy looks the same on every chart.

use super::axis::{Axis, Fit, fixed, shared_decimals};
use super::frame::{Frame, Sizes, Spec, e, widest};
use super::series::arm_label;
use super::{Chart, ChartError, MIN_TEXT, colour, font, titled, wrap};
use crate::model::metrics::Metric;
use crate::results::{BoxRow, OutcomeRow, RobustnessRow, TrajectoryRow, read_rows};
use crate::sweep::explore::percentile;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

const GREY: RGBColor = RGBColor(90, 90, 90);
const LIGHT: RGBColor = RGBColor(225, 225, 225);

/// Text size of legends and value labels.
const LEGEND: f64 = 31.0;

/// One objective of an exploration.
#[derive(Clone, Debug)]
pub struct Objective {
    /// Metric column name.
    pub name: String,
    /// "minimise" or "maximise".
    pub sense: String,
    pub threshold: Option<f64>,
}

impl Objective {
    fn metric(&self) -> Option<Metric> {
        Metric::from_name(&self.name)
    }

    /// A short name for a panel caption.
    pub fn short(&self) -> String {
        self.metric()
            .map_or_else(|| self.name.clone(), |m| m.short().to_string())
    }

    fn unit(&self) -> String {
        self.metric()
            .map_or_else(String::new, |m| m.unit().to_string())
    }

    fn hint(&self) -> &'static str {
        if self.sense == "minimise" {
            "lower is better"
        } else {
            "higher is better"
        }
    }

    /// "share of staff (lower is better)".
    fn axis_text(&self, prefix: &str) -> String {
        let unit = self.unit();
        if unit.is_empty() {
            format!("{prefix}({})", self.hint())
        } else {
            format!("{prefix}{unit} ({})", self.hint())
        }
    }

    fn fit(&self) -> Fit {
        self.metric()
            .map_or_else(Fit::default, Fit::metric)
            .ticks(4)
    }

    /// "performative_share <= 0.05".
    pub fn condition(&self) -> Option<String> {
        let t = self.threshold?;
        let op = if self.sense == "minimise" {
            "≤"
        } else {
            "≥"
        };
        Some(format!("{} {op} {t}", self.name))
    }
}

/// An exploration's result files, read for its charts and its report.
pub struct ExploreData {
    pub scenario: String,
    pub description: String,
    pub worlds: usize,
    pub replicates: usize,
    /// "final-week" or "run-average".
    pub at: String,
    /// Policies in the scenario's order.
    pub listed: Vec<String>,
    /// Indices into `listed`, most robust first.
    pub order: Vec<usize>,
    pub objectives: Vec<Objective>,
    pub robustness: Vec<RobustnessRow>,
    pub outcomes: Vec<OutcomeRow>,
    pub trajectory: Vec<TrajectoryRow>,
    pub boxes: Vec<BoxRow>,
    /// PRIM's density threshold (from the scenario), if known.
    pub density_threshold: Option<f64>,
    pub manifest: crate::results::SweepManifest,
}

impl ExploreData {
    pub fn load(dir: &Path) -> Result<ExploreData, ChartError> {
        let manifest: crate::results::SweepManifest = crate::results::manifest::read(dir)?;
        if manifest.header.kind != "explore" {
            return Err(ChartError::Data(format!(
                "{} holds a {}, not an exploration",
                dir.display(),
                manifest.header.kind
            )));
        }
        let read = |name: &str| dir.join(name);
        let robustness: Vec<RobustnessRow> = read_rows(&read(crate::sweep::explore::ROBUSTNESS))?;
        let outcomes: Vec<OutcomeRow> = read_rows(&read(crate::sweep::explore::OUTCOMES))?;
        let trajectory: Vec<TrajectoryRow> =
            read_rows(&read(crate::sweep::discovery::TRAJECTORY)).unwrap_or_default();
        let boxes: Vec<BoxRow> =
            read_rows(&read(crate::sweep::discovery::BOXES)).unwrap_or_default();
        let mut listed: Vec<String> = Vec::new();
        let mut objectives: Vec<Objective> = Vec::new();
        for r in &robustness {
            if !listed.contains(&r.policy) {
                listed.push(r.policy.clone());
            }
            if !objectives.iter().any(|o| o.name == r.objective) {
                objectives.push(Objective {
                    name: r.objective.clone(),
                    sense: r.sense.clone(),
                    threshold: r.threshold,
                });
            }
        }
        let scenario = manifest.scenario(dir).ok();
        let spec = scenario.as_ref().and_then(|s| s.explore.as_ref());
        let at = match spec.map(|s| s.at.word()) {
            Some("run_average") => "run-average",
            _ => "final-week",
        }
        .to_string();
        let density_threshold = spec.map(|s| s.density_threshold);
        let mut data = ExploreData {
            scenario: manifest.header.scenario.clone(),
            description: manifest.description.clone(),
            worlds: robustness
                .first()
                .map_or(manifest.samples, |r| r.worlds.max(manifest.samples)),
            replicates: manifest.replicates,
            at,
            order: (0..listed.len()).collect(),
            listed,
            objectives,
            robustness,
            outcomes,
            trajectory,
            boxes,
            density_threshold,
            manifest,
        };
        data.order = data.ranked();
        Ok(data)
    }

    /// The robustness row of policy `p` (index into `listed`) and
    /// objective `o`.
    pub fn row(&self, p: usize, o: usize) -> Option<&RobustnessRow> {
        let (policy, objective) = (&self.listed[p], &self.objectives[o].name);
        self.robustness
            .iter()
            .find(|r| r.policy == *policy && r.objective == *objective)
    }

    /// Policies most robust first: satisficing share, then mean regret on
    /// the first objective, then the scenario's order.
    fn ranked(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.listed.len()).collect();
        let key = |p: usize| {
            self.row(p, 0)
                .map_or((f64::NEG_INFINITY, f64::INFINITY), |r| {
                    let regret = if r.regret_mean.is_finite() {
                        r.regret_mean
                    } else {
                        f64::INFINITY
                    };
                    (r.satisficing_share, regret)
                })
        };
        order.sort_by(|&a, &b| {
            let (ka, kb) = (key(a), key(b));
            kb.0.total_cmp(&ka.0)
                .then(ka.1.total_cmp(&kb.1))
                .then(a.cmp(&b))
        });
        order
    }

    /// The name a reader sees for policy `p`.
    pub fn label(&self, p: usize) -> String {
        arm_label(&self.scenario, &self.listed[p])
    }

    /// The name a reader sees for the policy named `name`.
    pub fn label_of_name(&self, name: &str) -> String {
        arm_label(&self.scenario, name)
    }

    /// Policy `p`'s values of objective `o` over the worlds (finite ones).
    pub fn values(&self, p: usize, o: usize) -> Vec<f64> {
        let (policy, objective) = (&self.listed[p], &self.objectives[o].name);
        self.outcomes
            .iter()
            .filter(|r| r.policy == *policy && r.objective == *objective && r.value.is_finite())
            .map(|r| r.value)
            .collect()
    }

    /// The steps of PRIM's first search.
    pub fn first_search(&self) -> Vec<&TrajectoryRow> {
        let first = self.trajectory.iter().map(|t| t.search).min();
        self.trajectory
            .iter()
            .filter(|t| Some(t.search) == first)
            .collect()
    }

    /// The rows of the first box.
    pub fn first_box(&self) -> Vec<&BoxRow> {
        let first = self.boxes.iter().map(|b| b.r#box).min();
        self.boxes
            .iter()
            .filter(|b| Some(b.r#box) == first)
            .collect()
    }

    /// Worlds in which the examined policy fails (from the first step of
    /// discovery, whose density is the share of failing worlds).
    pub fn failing_worlds(&self) -> Option<usize> {
        self.first_search()
            .first()
            .map(|t| (t.density * t.mass * self.worlds as f64).round() as usize)
    }

    /// The thresholds as text ("a ≤ 0.05 and b ≥ 0.5").
    pub fn thresholds(&self) -> String {
        let c: Vec<String> = self
            .objectives
            .iter()
            .filter_map(Objective::condition)
            .collect();
        list(&c)
    }
}

/// "a, b and c".
pub fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "1 replicate", "2 replicates".
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A legend glyph.
#[derive(Clone, Copy, Debug)]
enum Glyph {
    /// A box plot (box, median and whiskers) in a colour.
    BoxPlot(RGBColor),
    /// A point beyond the whiskers.
    Outlier(RGBColor),
    /// A dashed reference line.
    Dashed(RGBColor),
    /// A dot with an interval.
    DotCi(RGBColor),
    /// A hollow diamond.
    Diamond(RGBColor),
    /// A bar with a black interval.
    BarCi(RGBColor),
    /// A filled dot.
    Dot(RGBColor),
    /// A black ring.
    Ring,
    /// A filled bar.
    Bar(RGBColor),
}

fn diamond(r: i32) -> Vec<(i32, i32)> {
    vec![(0, -r), (r, 0), (0, r), (-r, 0), (0, -r)]
}

fn draw_glyph<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    g: Glyph,
    (x, y): (i32, i32),
    w: i32,
) -> Result<(), String> {
    let mid = x + w / 2;
    match g {
        Glyph::BoxPlot(c) => {
            area.draw(&PathElement::new([(x, y), (x + w, y)], c.stroke_width(3)))
                .map_err(e)?;
            area.draw(&Rectangle::new(
                [(x + 12, y - 12), (x + w - 12, y + 12)],
                c.mix(0.35).filled(),
            ))
            .map_err(e)?;
            area.draw(&Rectangle::new(
                [(x + 12, y - 12), (x + w - 12, y + 12)],
                c.stroke_width(2),
            ))
            .map_err(e)?;
            area.draw(&PathElement::new(
                [(mid, y - 12), (mid, y + 12)],
                BLACK.stroke_width(4),
            ))
            .map_err(e)?;
        }
        Glyph::Outlier(c) => area
            .draw(&Circle::new((mid, y), 6, c.stroke_width(2)))
            .map_err(e)?,
        Glyph::Dashed(c) => {
            for k in 0..3 {
                let x0 = x + k * 20;
                area.draw(&PathElement::new(
                    [(x0, y), (x0 + 12, y)],
                    c.stroke_width(4),
                ))
                .map_err(e)?;
            }
        }
        Glyph::DotCi(c) => {
            area.draw(&PathElement::new([(x, y), (x + w, y)], c.stroke_width(4)))
                .map_err(e)?;
            area.draw(&Circle::new((mid, y), 10, c.filled()))
                .map_err(e)?;
        }
        Glyph::Diamond(c) => area
            .draw(&PathElement::new(
                diamond(13)
                    .into_iter()
                    .map(|(a, b)| (mid + a, y + b))
                    .collect::<Vec<_>>(),
                c.stroke_width(3),
            ))
            .map_err(e)?,
        Glyph::BarCi(c) => {
            area.draw(&Rectangle::new(
                [(x, y - 12), (x + w - 16, y + 12)],
                c.mix(0.5).filled(),
            ))
            .map_err(e)?;
            area.draw(&PathElement::new(
                [(x + 16, y), (x + w, y)],
                BLACK.stroke_width(3),
            ))
            .map_err(e)?;
        }
        Glyph::Dot(c) => area
            .draw(&Circle::new((mid, y), 11, c.filled()))
            .map_err(e)?,
        Glyph::Ring => area
            .draw(&Circle::new((mid, y), 18, BLACK.stroke_width(4)))
            .map_err(e)?,
        Glyph::Bar(c) => area
            .draw(&Rectangle::new(
                [(x, y - 12), (x + w, y + 12)],
                c.mix(0.6).filled(),
            ))
            .map_err(e)?,
    }
    Ok(())
}

/// Draws `entries` in rows along the bottom of `area` (as
/// [`super::frame::legend_below`] does, with this module's glyphs) and
/// returns the area above them.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, Glyph)],
) -> Result<DrawingArea<DB, Shift>, String> {
    if entries.is_empty() {
        return Ok(area.clone());
    }
    let (w, h) = area.dim_in_pixel();
    let style = font(LEGEND);
    let line_h = (LEGEND * 1.6) as i32;
    let key_w = 56;
    let mut rows: Vec<Vec<(i32, &(String, Glyph))>> = vec![Vec::new()];
    let mut x = 30;
    for entry in entries {
        let text_w = area
            .estimate_text_size(&entry.0, &style)
            .map_or(entry.0.len() as i32 * 18, |s| s.0 as i32);
        let width = key_w + 12 + text_w + 44;
        if x + width > w as i32 - 20 && !rows.last().is_some_and(Vec::is_empty) {
            rows.push(Vec::new());
            x = 30;
        }
        if let Some(row) = rows.last_mut() {
            row.push((x, entry));
        }
        x += width;
    }
    let strip_h = line_h * rows.len() as i32 + 16;
    let (top, strip) = area.split_vertically(h as i32 - strip_h);
    for (r, row) in rows.iter().enumerate() {
        let y = 8 + r as i32 * line_h + line_h / 2;
        for (x, (label, glyph)) in row {
            draw_glyph(&strip, *glyph, (*x, y), key_w)?;
            strip
                .draw(&Text::new(
                    label.clone(),
                    (*x + key_w + 12, y - (LEGEND * 0.6) as i32),
                    style.clone(),
                ))
                .map_err(e)?;
        }
    }
    Ok(top)
}

/// Splits `area` into `n` panels, at most three a row; the first panel of
/// each row is `extra` pixels wider (it carries the policy names), so
/// every plot has the same width.
fn panels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    n: usize,
    extra: u32,
) -> Vec<DrawingArea<DB, Shift>> {
    let cols = n.clamp(1, 3);
    let rows = n.div_ceil(cols).max(1);
    let mut out = Vec::new();
    for row in area.split_evenly((rows, 1)) {
        let w = row.dim_in_pixel().0 as i32;
        let base = (w - extra as i32) / cols as i32;
        let mut rest = row;
        for c in 0..cols {
            if c + 1 == cols {
                out.push(rest.clone());
                break;
            }
            let cut = if c == 0 { base + extra as i32 } else { base };
            let (left, right) = rest.split_horizontally(cut);
            out.push(left);
            rest = right;
        }
    }
    out.truncate(n);
    out
}

/// The policy names of `d` in rank order, most robust on top (index
/// n - 1 - k on a category axis), for a panel's y axis.
fn names(d: &ExploreData) -> Vec<String> {
    d.order.iter().rev().map(|&p| d.label(p)).collect()
}

/// The y position of the policy ranked `k` (0 on top).
fn at(d: &ExploreData, k: usize) -> f64 {
    (d.order.len() - 1 - k) as f64
}

/// The width of the policy names at panel label size.
fn names_width<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &ExploreData) -> u32 {
    widest(area, &names(d), Sizes::PANEL.label)
}

/// A panel's spec: policies on the y axis, named only on the first panel
/// of a row.
fn policy_spec<'s>(d: &ExploreData, x: Axis, x_desc: &'s str, named: bool) -> Spec<'s> {
    let n = d.order.len();
    let mut spec = Spec::new(x, Axis::categories(n), x_desc, "");
    spec.sizes = Sizes::PANEL;
    spec.y_names = Some(if named {
        names(d)
    } else {
        vec![String::new(); n]
    });
    spec
}

/// Box plots of each objective over the worlds, one box per policy.
pub struct ExploreOutcomes {
    pub data: std::sync::Arc<ExploreData>,
}

/// (p10, q1, median, q3, p90) of `xs`.
fn five(xs: &[f64]) -> (f64, f64, f64, f64, f64) {
    (
        percentile(xs, 0.1),
        percentile(xs, 0.25),
        percentile(xs, 0.5),
        percentile(xs, 0.75),
        percentile(xs, 0.9),
    )
}

impl Chart for ExploreOutcomes {
    fn stem(&self) -> String {
        "explore_outcomes".into()
    }

    fn title(&self) -> String {
        let d = &self.data;
        format!(
            "{}: each policy's {} outcome over {} worlds (box: 25th-75th percentile and median; whiskers: 10th-90th percentile; each world the mean of {}); most robust first",
            d.scenario,
            d.at,
            d.worlds,
            count(d.replicates, "replicate")
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let d = &self.data;
        let area = titled(root, &self.title())?;
        let mut entries = vec![
            ("policy's worlds".to_string(), Glyph::BoxPlot(GREY)),
            (
                "world beyond the whiskers".to_string(),
                Glyph::Outlier(GREY),
            ),
        ];
        if d.objectives.iter().any(|o| o.threshold.is_some()) {
            entries.push(("threshold".to_string(), Glyph::Dashed(BLACK)));
        }
        let area = legend(&area, &entries)?;
        let extra = names_width(&area, d);
        let cells = panels(&area, d.objectives.len(), extra);
        let cols = d.objectives.len().clamp(1, 3);
        for (o, cell) in cells.iter().enumerate() {
            let obj = &d.objectives[o];
            let all: Vec<Vec<f64>> = d.order.iter().map(|&p| d.values(p, o)).collect();
            let mut fit = obj.fit();
            if let Some(t) = obj.threshold {
                fit = fit.including(t);
            }
            let x = Axis::fit(all.iter().flatten().copied(), &fit);
            let x_desc = obj.axis_text("");
            let caption = obj.short();
            let mut spec = policy_spec(d, x, &x_desc, o % cols == 0);
            spec.caption = Some(&caption);
            let mut f = Frame::new(cell, spec)?;
            if let Some(t) = obj.threshold {
                f.vline(t, BLACK.stroke_width(3), true)?;
            }
            for (k, (&p, xs)) in d.order.iter().zip(&all).enumerate() {
                if xs.is_empty() {
                    continue;
                }
                let y = at(d, k);
                let c = colour(p);
                let (p10, q1, med, q3, p90) = five(xs);
                f.interval_h(y, p10, p90, c.stroke_width(3))?;
                f.rect((q1, y - 0.3), (q3, y + 0.3), c.mix(0.35).filled())?;
                f.rect((q1, y - 0.3), (q3, y + 0.3), c.stroke_width(2))?;
                f.line(&[(med, y - 0.3), (med, y + 0.3)], BLACK.stroke_width(4))?;
                for &v in xs.iter().filter(|&&v| v < p10 || v > p90) {
                    f.dot((v, y), 6, c.stroke_width(2))?;
                }
            }
        }
        Ok(())
    }
}

/// Mean regret per policy and objective with its 95% CI, and the largest.
pub struct ExploreRegret {
    pub data: std::sync::Arc<ExploreData>,
}

impl Chart for ExploreRegret {
    fn stem(&self) -> String {
        "explore_regret".into()
    }

    fn title(&self) -> String {
        let d = &self.data;
        format!(
            "{}: regret of each policy, how much worse it does than the best policy of each world ({}; mean and 95% CI over {} worlds, and the maximum); most robust first",
            d.scenario, d.at, d.worlds
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let d = &self.data;
        let area = titled(root, &self.title())?;
        let entries = vec![
            (
                format!("mean regret, 95% CI over {} worlds", d.worlds),
                Glyph::DotCi(GREY),
            ),
            (
                "maximum regret in any world".to_string(),
                Glyph::Diamond(GREY),
            ),
        ];
        let area = legend(&area, &entries)?;
        let extra = names_width(&area, d);
        let cells = panels(&area, d.objectives.len(), extra);
        let cols = d.objectives.len().clamp(1, 3);
        for (o, cell) in cells.iter().enumerate() {
            let obj = &d.objectives[o];
            let rows: Vec<Option<&RobustnessRow>> = d.order.iter().map(|&p| d.row(p, o)).collect();
            let fit = Fit {
                bounds: (0.0, f64::MAX),
                include: vec![0.0],
                max_ticks: 4,
                ..Fit::default()
            };
            let x = Axis::fit(
                rows.iter().flatten().flat_map(|r| {
                    [
                        r.regret_mean,
                        r.regret_ci_low,
                        r.regret_ci_high,
                        r.regret_max,
                    ]
                }),
                &fit,
            );
            let unit = obj.unit();
            let x_desc = if unit.is_empty() {
                "regret".to_string()
            } else {
                format!("regret ({unit})")
            };
            let caption = obj.short();
            let mut spec = policy_spec(d, x, &x_desc, o % cols == 0);
            spec.caption = Some(&caption);
            let mut f = Frame::new(cell, spec)?;
            for (k, (&p, r)) in d.order.iter().zip(&rows).enumerate() {
                let Some(r) = r else { continue };
                let y = at(d, k);
                let c = colour(p);
                f.interval_h(y, r.regret_ci_low, r.regret_ci_high, c.stroke_width(4))?;
                f.dot((r.regret_mean, y), 10, c.filled())?;
                if r.regret_max.is_finite() && f.x.contains(r.regret_max) {
                    f.mark(
                        (r.regret_max, y),
                        PathElement::new(diamond(13), c.stroke_width(3)),
                    )?;
                }
            }
        }
        Ok(())
    }
}

/// The share of worlds in which each policy meets every threshold.
pub struct ExploreSatisficing {
    pub data: std::sync::Arc<ExploreData>,
}

impl Chart for ExploreSatisficing {
    fn stem(&self) -> String {
        "explore_satisficing".into()
    }

    fn title(&self) -> String {
        let d = &self.data;
        format!(
            "{}: share of {} worlds in which each policy meets every threshold ({}), with Wilson 95% CI; most robust first",
            d.scenario,
            d.worlds,
            d.thresholds()
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let d = &self.data;
        let area = titled(root, &self.title())?;
        let area = legend(
            &area,
            &[(
                "share of worlds, Wilson 95% CI".to_string(),
                Glyph::BarCi(GREY),
            )],
        )?;
        let rows: Vec<Option<&RobustnessRow>> = d.order.iter().map(|&p| d.row(p, 0)).collect();
        let shown = |r: &RobustnessRow| {
            format!(
                "{} [{}, {}]",
                fixed(r.satisficing_share, 2),
                fixed(r.satisficing_ci_low, 2),
                fixed(r.satisficing_ci_high, 2)
            )
        };
        let labels: Vec<String> = rows.iter().flatten().map(|r| shown(r)).collect();
        let strip_w = widest(&area, &labels, LEGEND).max(200) + 40;
        let (plot, strip) = area.split_horizontally(area.dim_in_pixel().0 as i32 - strip_w as i32);
        let n = d.order.len();
        let mut spec = Spec::new(
            Axis::new(0.0, 1.0, 6),
            Axis::categories(n),
            "share of worlds meeting every threshold",
            "",
        );
        spec.y_names = Some(names(d));
        let mut f = Frame::new(&plot, spec)?;
        let base = strip.get_base_pixel();
        for (k, (&p, r)) in d.order.iter().zip(&rows).enumerate() {
            let Some(r) = r else { continue };
            let y = at(d, k);
            let c = colour(p);
            f.rect(
                (0.0, y - 0.3),
                (r.satisficing_share, y + 0.3),
                c.mix(0.5).filled(),
            )?;
            f.interval_h(
                y,
                r.satisficing_ci_low,
                r.satisficing_ci_high,
                BLACK.stroke_width(3),
            )?;
            let px = f.pixel((0.0, y));
            strip
                .draw(&Text::new(
                    shown(r),
                    (10, px.1 - base.1),
                    font(LEGEND).pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .map_err(e)?;
        }
        if let Some(top) = d.order.first().map(|_| f.pixel((0.0, at(d, 0) + 0.5))) {
            strip
                .draw(&Text::new(
                    "share [95% CI]",
                    (10, (top.1 - base.1).max(0)),
                    font(LEGEND).pos(Pos::new(HPos::Left, VPos::Bottom)),
                ))
                .map_err(e)?;
        }
        Ok(())
    }
}

/// PRIM's first search: coverage against density per step, and the limits
/// of the chosen box on each restricted parameter.
pub struct ExploreDiscovery {
    pub data: std::sync::Arc<ExploreData>,
}

impl ExploreDiscovery {
    fn subject(&self) -> (String, String) {
        let d = &self.data;
        let first = d.first_search();
        let t = first.first();
        (
            t.map_or_else(String::new, |t| arm_label(&d.scenario, &t.policy)),
            t.map_or_else(String::new, |t| t.failure.clone()),
        )
    }

    fn trade_off<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let d = &self.data;
        let steps = d.first_search();
        // A little room beyond 0 and 1, so that steps at full coverage
        // are not drawn on the frame.
        let mut spec = Spec::new(
            Axis::new(-0.03, 1.03, 5),
            Axis::new(-0.03, 1.03, 5),
            "coverage (share of failing worlds in the box)",
            "density (share of box's worlds failing)",
        );
        spec.sizes = Sizes::PANEL;
        let caption = format!("Peeling and pasting, {} steps", steps.len());
        spec.caption = Some(&caption);
        let mut f = Frame::new(area, spec)?;
        if let Some(t) = d.density_threshold {
            f.hline(t, BLACK.stroke_width(2), true)?;
        }
        let path: Vec<(f64, f64)> = steps.iter().map(|s| (s.coverage, s.density)).collect();
        f.line(&path, LIGHT.mix(1.0).stroke_width(2))?;
        for s in &steps {
            f.dot((s.coverage, s.density), 9, colour(s.restricted).filled())?;
        }
        for s in steps.iter().filter(|s| s.chosen) {
            f.dot((s.coverage, s.density), 20, BLACK.stroke_width(4))?;
        }
        Ok(())
    }

    fn limits<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let d = &self.data;
        let rows = d.first_box();
        let Some(first) = rows.first() else {
            let (policy, _) = self.subject();
            let text = match d.density_threshold {
                Some(t) => format!(
                    "No box: no step of the first search reaches density {t}, so PRIM names no region where {policy} fails that often."
                ),
                None => "No box: no step of the first search is dense enough.".to_string(),
            };
            let style = font(MIN_TEXT + 2.0);
            let width = area.dim_in_pixel().0.saturating_sub(80);
            for (i, line) in wrap(area, &text, &style, width).iter().enumerate() {
                area.draw(&Text::new(
                    line.clone(),
                    (40, 120 + i as i32 * 48),
                    style.clone(),
                ))
                .map_err(e)?;
            }
            return Ok(());
        };
        let n = rows.len();
        let names: Vec<String> = rows.iter().rev().map(|r| r.parameter.clone()).collect();
        let mut spec = Spec::new(
            Axis::new(0.0, 1.0, 5),
            Axis::categories(n),
            "position in the explored range",
            "",
        );
        spec.sizes = Sizes::PANEL;
        spec.y_names = Some(names);
        let caption = format!(
            "Chosen box: coverage {}, density {}",
            fixed(first.coverage, 2),
            fixed(first.density, 2)
        );
        spec.caption = Some(&caption);
        let mut f = Frame::new(area, spec)?;
        for (k, r) in rows.iter().enumerate() {
            let y = (n - 1 - k) as f64;
            let span = r.range_high - r.range_low;
            let norm = |v: f64| {
                if span > 0.0 {
                    ((v - r.range_low) / span).clamp(0.0, 1.0)
                } else {
                    0.5
                }
            };
            let (a, b) = (norm(r.lower), norm(r.upper));
            f.rect((0.0, y - 0.12), (1.0, y + 0.12), LIGHT.filled())?;
            f.rect(
                (a, y - 0.12),
                (b.max(a + 0.005), y + 0.12),
                colour(0).mix(0.75).filled(),
            )?;
            let dec = shared_decimals([r.lower, r.upper, r.range_low, r.range_high], 3);
            let limits = format!(
                "{} to {} (of {} to {})",
                fixed(r.lower, dec),
                fixed(r.upper, dec),
                fixed(r.range_low, dec),
                fixed(r.range_high, dec)
            );
            let qp: Vec<String> = [("lower", r.qp_lower), ("upper", r.qp_upper)]
                .into_iter()
                .filter_map(|(side, q)| q.map(|q| format!("qp {side} {q:.1e}")))
                .collect();
            let centre = Pos::new(HPos::Center, VPos::Bottom);
            f.text(
                (0.5, y + 0.12),
                (0, -8),
                &limits,
                font(MIN_TEXT).pos(centre),
            )?;
            if !qp.is_empty() {
                f.text(
                    (0.5, y - 0.12),
                    (0, 8),
                    &qp.join(", "),
                    font(MIN_TEXT)
                        .color(&GREY)
                        .pos(Pos::new(HPos::Center, VPos::Top)),
                )?;
            }
        }
        Ok(())
    }
}

impl Chart for ExploreDiscovery {
    fn stem(&self) -> String {
        "explore_discovery".into()
    }

    fn title(&self) -> String {
        let d = &self.data;
        let (policy, failure) = self.subject();
        let failing = d
            .failing_worlds()
            .map_or_else(String::new, |k| format!(", {k} of {} worlds", d.worlds));
        format!(
            "{}: where {policy} fails ({failure}{failing}): PRIM's coverage-density trade-off (first search) and the chosen box's limits",
            d.scenario
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let d = &self.data;
        let area = titled(root, &self.title())?;
        let mut dims: Vec<usize> = d.first_search().iter().map(|s| s.restricted).collect();
        dims.sort_unstable();
        dims.dedup();
        let mut entries: Vec<(String, Glyph)> = dims
            .iter()
            .map(|&k| {
                let word = if k == 1 { "parameter" } else { "parameters" };
                (format!("{k} {word} restricted"), Glyph::Dot(colour(k)))
            })
            .collect();
        if d.first_search().iter().any(|s| s.chosen) {
            entries.push(("chosen box".into(), Glyph::Ring));
        }
        if let Some(t) = d.density_threshold {
            entries.push((format!("density threshold {t}"), Glyph::Dashed(BLACK)));
        }
        if !d.first_box().is_empty() {
            entries.push(("box's limits".into(), Glyph::Bar(colour(0))));
            entries.push(("explored range".into(), Glyph::Bar(LIGHT)));
        }
        let area = legend(&area, &entries)?;
        let w = area.dim_in_pixel().0 as i32;
        let share = if d.first_box().is_empty() { 60 } else { 45 };
        let (left, right) = area.split_horizontally(w * share / 100);
        self.trade_off(&left)?;
        self.limits(&right)?;
        Ok(())
    }
}
