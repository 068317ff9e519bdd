//! The chart that answers "what does this policy change?": for each arm,
//! its paired difference from the base in the final week. Replicate r of
//! every arm runs with the same seed (common random numbers), so the
//! difference is taken per replicate and its 95% t interval reflects the
//! policy, not the luck of the draw (MODEL.md, "Seeding").

use super::axis::{Axis, Fit};
use super::frame::{Frame, Key, Sizes, Spec, legend_below, series_style};
use super::series::arm_label;
use super::{Chart, titled};
use crate::model::metrics::{Direction, Metric};
use crate::stats::Summary;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Each arm minus the base, one panel per metric.
pub struct Differences {
    pub scenario: String,
    pub week: usize,
    pub replicates: usize,
    /// Every arm, the base first (its colour is used by no dot).
    pub arms: Vec<String>,
    /// (metric, paired difference of arms 1.. from arm 0).
    pub metrics: Vec<(Metric, Vec<Summary>)>,
    pub default_set: bool,
}

/// "lower is better" and the like, for a panel caption.
pub fn direction_hint(m: Metric) -> &'static str {
    match m.direction() {
        Direction::HigherIsBetter => " (higher is better)",
        Direction::HigherIsWorse => " (lower is better)",
        Direction::Neutral => "",
    }
}

impl Chart for Differences {
    fn stem(&self) -> String {
        if self.default_set {
            "differences".into()
        } else {
            let names: Vec<&str> = self.metrics.iter().map(|(m, _)| m.name()).collect();
            format!("differences_{}", names.join("_"))
        }
    }

    fn title(&self) -> String {
        format!(
            "{}: each arm minus the base at week {} (paired by replicate; \
             mean and 95% CI over {} replicates)",
            self.scenario, self.week, self.replicates
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let entries: Vec<(String, Key)> = self
            .arms
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, a)| (arm_label(&self.scenario, a), Key::Dot(series_style(i).0)))
            .chain(std::iter::once((
                "no difference (0)".to_string(),
                Key::Line(RGBColor(90, 90, 90), false),
            )))
            .collect();
        let area = legend_below(&area, &entries, 31.0)?;
        // Three panels a row: at 7 pt a unit and its direction hint
        // ("share of staff (lower is better)") need a third of the width.
        let cols = self.metrics.len().clamp(1, 3);
        let rows = self.metrics.len().div_ceil(cols).max(1);
        let n = self.arms.len().saturating_sub(1).max(1);
        for ((metric, diffs), cell) in self.metrics.iter().zip(area.split_evenly((rows, cols))) {
            let x = Axis::fit(
                diffs.iter().flat_map(|d| [d.mean, d.ci_low, d.ci_high]),
                &Fit::difference(*metric).ticks(4),
            );
            let x_desc = format!("{}{}", metric.unit(), direction_hint(*metric));
            let mut spec = Spec::new(x, Axis::categories(n), &x_desc, "");
            spec.caption = Some(metric.short());
            spec.sizes = Sizes::PANEL;
            spec.y_names = Some(vec![String::new(); n]);
            let mut f = Frame::new(&cell, spec)?;
            f.vline(0.0, RGBColor(90, 90, 90).stroke_width(2), false)?;
            for (k, d) in diffs.iter().enumerate() {
                let y = (n - 1 - k) as f64;
                let c = series_style(k + 1).0;
                f.interval_h(y, d.ci_low, d.ci_high, c.stroke_width(4))?;
                f.dot((d.mean, y), 10, c.filled())?;
            }
        }
        Ok(())
    }
}
