//! Charts of runs over weeks: the time series of one metric with 95% CI
//! bands, the dashboard of headline metrics, the final-week levels of the
//! arms, and the hysteresis plot of a metric against a ramped lever.
//!
//! Timeline events are drawn only on the arms that have them: a set lever
//! is a dashed line tagged with a letter, a ramp a shaded span tagged with
//! its direction, and the legend below the chart says what each changed.

use super::axis::{Axis, Fit, reference};
use super::data::{Marker, MarkerKind};
use super::frame::{Frame, Key, Sizes, Spec, legend_below, series_style};
use super::{Chart, font, titled};
use crate::model::metrics::Metric;
use plotters::coord::Shift;
use plotters::prelude::*;

/// (week, mean, ci_low, ci_high) per week.
pub type Band = Vec<(f64, f64, f64, f64)>;
/// (mean, ci_low, ci_high).
pub type Ci = (f64, f64, f64);

const GREY: RGBColor = RGBColor(90, 90, 90);

/// The arm name as a reader sees it: the base is the scenario as written.
pub fn arm_label(scenario: &str, arm: &str) -> String {
    if arm == crate::scenario::BASE_ARM {
        format!("{scenario} (base)")
    } else {
        arm.to_string()
    }
}

/// One metric over weeks: a line per arm with its 95% CI band, and the
/// timeline's events on the arms that have them.
pub struct TimeSeries {
    pub scenario: String,
    pub metric: Metric,
    pub replicates: usize,
    /// (arm, band).
    pub series: Vec<(String, Band)>,
    pub markers: Vec<Marker>,
}

/// The letter tagging marker `i` (A, B, ...).
fn tag(i: usize) -> String {
    char::from(b'A' + (i % 26) as u8).to_string()
}

/// The colour of a marker: its arm's, if only one arm of several has it.
fn marker_colour(m: &Marker, arms: usize) -> RGBColor {
    if m.arms.len() == 1 && arms > 1 {
        series_style(m.arms[0]).0
    } else {
        GREY
    }
}

/// Legend entries for the arms and the markers of a chart.
fn legend(
    scenario: &str,
    series: &[(String, Band)],
    markers: &[Marker],
    replicates: usize,
) -> Vec<(String, Key)> {
    let mut out: Vec<(String, Key)> = if series.len() > 1 {
        series
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                let (c, dashed) = series_style(i);
                (arm_label(scenario, name), Key::LineBand(c, dashed))
            })
            .collect()
    } else {
        vec![(
            format!("mean over {replicates} replicates, 95% CI"),
            Key::LineBand(series_style(0).0, false),
        )]
    };
    for (i, m) in markers.iter().enumerate() {
        let whose = if m.arms.len() == series.len() || series.len() == 1 {
            String::new()
        } else {
            let names: Vec<String> = m
                .arms
                .iter()
                .filter_map(|&a| series.get(a).map(|s| arm_label(scenario, &s.0)))
                .collect();
            format!(" ({} only)", names.join(", "))
        };
        let c = marker_colour(m, series.len());
        let key = match m.kind {
            MarkerKind::Set { .. } => Key::Line(c, true),
            MarkerKind::Ramp { .. } => Key::Span(c),
        };
        out.push((format!("{}: {}{whose}", tag(i), m.describe()), key));
    }
    out
}

impl TimeSeries {
    /// Draws the frame and marks on `area` (the legend is the caller's).
    fn draw_on<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: bool,
        caption: Option<&str>,
    ) -> Result<(), String> {
        let weeks = self
            .series
            .iter()
            .map(|(_, b)| b.len())
            .max()
            .unwrap_or(1)
            .max(2);
        let ticks = if panel { 5 } else { 7 };
        let x = Axis::new(0.0, (weeks - 1) as f64, ticks);
        let values = self
            .series
            .iter()
            .flat_map(|(_, b)| b.iter().flat_map(|p| [p.1, p.2, p.3]));
        let y = Axis::fit(values, &Fit::metric(self.metric).ticks(ticks));
        let mut spec = Spec::new(x, y, "Week", self.metric.unit());
        spec.caption = caption;
        spec.sizes = if panel { Sizes::PANEL } else { Sizes::FULL };
        spec.top = if self.markers.is_empty() { 0 } else { 34 };
        let mut f = Frame::new(area, spec)?;
        if let Some(r) = reference(self.metric) {
            f.hline(r, GREY.stroke_width(2), true)?;
        }
        let arms = self.series.len();
        for (i, m) in self.markers.iter().enumerate() {
            let c = marker_colour(m, arms);
            let (at, text) = match m.kind {
                MarkerKind::Set { week, .. } => {
                    f.vline(week as f64, c.stroke_width(3), true)?;
                    (week as f64, tag(i))
                }
                MarkerKind::Ramp {
                    from, to, rising, ..
                } => {
                    f.span(from as f64, to as f64, c.mix(0.14))?;
                    let arrow = if rising { "↗" } else { "↘" };
                    (from as f64, format!("{} {arrow}", tag(i)))
                }
            };
            if f.x.contains(at) {
                f.text(
                    (at, f.y.hi),
                    (-8, -34),
                    &text,
                    font(super::MIN_TEXT).color(&c),
                )?;
            }
        }
        for (i, (_, band)) in self.series.iter().enumerate() {
            let (c, dashed) = series_style(i);
            let ci: Vec<(f64, f64, f64)> = band.iter().map(|p| (p.0, p.2, p.3)).collect();
            f.band(&ci, c.mix(0.16))?;
            let line: Vec<(f64, f64)> = band.iter().map(|p| (p.0, p.1)).collect();
            let style = c.stroke_width(if panel { 3 } else { 4 });
            if dashed {
                f.dashed(&line, style)?;
            } else {
                f.line(&line, style)?;
            }
        }
        Ok(())
    }
}

impl Chart for TimeSeries {
    fn stem(&self) -> String {
        format!("timeseries_{}", self.metric)
    }

    fn title(&self) -> String {
        format!(
            "{}: {} by week (mean and 95% CI over {} replicates)",
            self.scenario,
            self.metric.label(),
            self.replicates
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let entries = legend(&self.scenario, &self.series, &self.markers, self.replicates);
        let area = legend_below(&area, &entries, 26.0)?;
        self.draw_on(&area, false, None)
    }
}

/// Small multiples of the headline metrics over weeks, one legend below.
pub struct Dashboard {
    pub scenario: String,
    pub replicates: usize,
    pub panels: Vec<TimeSeries>,
}

impl Chart for Dashboard {
    fn stem(&self) -> String {
        "dashboard".into()
    }

    fn title(&self) -> String {
        format!(
            "{}: headline metrics by week (mean and 95% CI over {} replicates)",
            self.scenario, self.replicates
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let area = match self.panels.first() {
            Some(p) => legend_below(
                &area,
                &legend(&self.scenario, &p.series, &p.markers, self.replicates),
                26.0,
            )?,
            None => area,
        };
        let cols = 3;
        let rows = self.panels.len().div_ceil(cols).max(1);
        for (panel, cell) in self.panels.iter().zip(area.split_evenly((rows, cols))) {
            let caption = panel.metric.short();
            let mut first = caption.chars();
            let caption: String = first
                .next()
                .map(|c| c.to_uppercase().chain(first).collect())
                .unwrap_or_default();
            panel.draw_on(&cell, true, Some(&caption))?;
        }
        Ok(())
    }
}

/// Final-week levels of the arms, each with its own 95% CI, one panel per
/// metric (the paired differences are [`super::Differences`]).
pub struct Comparison {
    pub scenario: String,
    pub week: usize,
    pub replicates: usize,
    pub variants: Vec<String>,
    /// (metric, [(mean, ci_low, ci_high)] per arm).
    pub metrics: Vec<(Metric, Vec<Ci>)>,
    /// Whether these are the default metrics (the file name says which
    /// metrics a non-default comparison shows).
    pub default_set: bool,
}

impl Chart for Comparison {
    fn stem(&self) -> String {
        if self.default_set {
            "comparison".into()
        } else {
            let names: Vec<&str> = self.metrics.iter().map(|(m, _)| m.name()).collect();
            format!("comparison_{}", names.join("_"))
        }
    }

    fn title(&self) -> String {
        format!(
            "{}: each arm's level at week {} (mean and 95% CI over {} replicates)",
            self.scenario, self.week, self.replicates
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let cols = if self.metrics.len() > 1 { 2 } else { 1 };
        let rows = self.metrics.len().div_ceil(cols).max(1);
        let n = self.variants.len();
        let names: Vec<String> = self
            .variants
            .iter()
            .rev()
            .map(|v| arm_label(&self.scenario, v))
            .collect();
        for ((metric, vals), cell) in self.metrics.iter().zip(area.split_evenly((rows, cols))) {
            let x = Axis::fit(
                vals.iter().flat_map(|v| [v.0, v.1, v.2]),
                &Fit::metric(*metric).ticks(5),
            );
            let mut spec = Spec::new(x, Axis::categories(n), metric.unit(), "");
            spec.caption = Some(metric.short());
            spec.sizes = Sizes::PANEL;
            spec.y_names = Some(names.clone());
            let mut f = Frame::new(&cell, spec)?;
            if let Some(r) = reference(*metric) {
                f.vline(r, GREY.stroke_width(2), true)?;
            }
            for (i, v) in vals.iter().enumerate() {
                let y = (n - 1 - i) as f64;
                let c = series_style(i).0;
                f.interval_h(y, v.1, v.2, c.stroke_width(4))?;
                f.dot((v.0, y), 10, c.filled())?;
            }
        }
        Ok(())
    }
}

/// A metric against a ramped lever: the path while the lever rises and
/// the path while it falls, in two colours, so hysteresis shows as two
/// branches; arrowheads along the path give its direction in time.
pub struct Hysteresis {
    pub scenario: String,
    pub metric: Metric,
    pub lever: String,
    pub replicates: usize,
    /// (lever value, metric mean) per week, in week order.
    pub path: Vec<(f64, f64)>,
}

impl Chart for Hysteresis {
    fn stem(&self) -> String {
        format!("hysteresis_{}_{}", self.lever, self.metric)
    }

    fn title(&self) -> String {
        format!(
            "{}: {} as {} is ramped up and back down (mean over {} replicates)",
            self.scenario,
            self.metric.label(),
            self.lever,
            self.replicates
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let (up, down) = (series_style(0).0, series_style(1).0);
        let weeks = self.path.len().saturating_sub(1);
        let entries = vec![
            (format!("{} rising", self.lever), Key::Line(up, false)),
            (format!("{} falling", self.lever), Key::Line(down, false)),
            (
                format!("lever constant (weeks 0-{weeks}: ○ first week, ● last)"),
                Key::Line(GREY, false),
            ),
        ];
        let area = legend_below(&area, &entries, 26.0)?;
        let x = Axis::fit(self.path.iter().map(|p| p.0), &Fit::default());
        let y = Axis::fit(self.path.iter().map(|p| p.1), &Fit::metric(self.metric));
        let x_desc = format!("{} (lever value that week)", self.lever);
        let y_desc = format!("{} ({})", self.metric.short(), self.metric.unit());
        let mut f = Frame::new(&area, Spec::new(x, y, &x_desc, &y_desc))?;
        if let Some(r) = reference(self.metric) {
            f.hline(r, GREY.stroke_width(2), true)?;
        }
        for (k, w) in self.path.windows(2).enumerate() {
            let c = if w[1].0 > w[0].0 + 1e-12 {
                up
            } else if w[1].0 < w[0].0 - 1e-12 {
                down
            } else {
                GREY
            };
            f.line(&[w[0], w[1]], c.stroke_width(4))?;
            if k % 4 == 2 {
                arrowhead(&mut f, w[0], w[1], c)?;
            }
        }
        if let (Some(&first), Some(&last)) = (self.path.first(), self.path.last()) {
            f.dot(first, 12, BLACK.stroke_width(3))?;
            f.dot(last, 12, BLACK.filled())?;
        }
        Ok(())
    }
}

/// An arrowhead at the middle of segment `a`-`b`, pointing from a to b.
fn arrowhead<'a, DB: DrawingBackend + 'a>(
    f: &mut Frame<'a, DB>,
    a: (f64, f64),
    b: (f64, f64),
    c: RGBColor,
) -> Result<(), String> {
    let (pa, pb) = (f.pixel(a), f.pixel(b));
    let (dx, dy) = ((pb.0 - pa.0) as f64, (pb.1 - pa.1) as f64);
    let len = (dx * dx + dy * dy).sqrt();
    let mid = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
    if len < 1.0 || !(f.x.contains(mid.0) && f.y.contains(mid.1)) {
        return Ok(());
    }
    let (ux, uy) = (dx / len, dy / len);
    let pt = |along: f64, across: f64| {
        (
            (along * ux - across * uy).round() as i32,
            (along * uy + across * ux).round() as i32,
        )
    };
    let head = vec![pt(12.0, 0.0), pt(-10.0, 10.0), pt(-10.0, -10.0)];
    f.mark(mid, Polygon::new(head, c.filled()))
}
