//! The decile charts: performative share and output per employee by
//! decile of an attribute, and the change of performative share by decile
//! across a timeline event. Each panel has a line per arm with 95% CI
//! whiskers over replicates, the arms dodged sideways so that whiskers do
//! not hide each other.

use super::data::Attribute;
use super::{BeforeAfter, Ci, DecileChart};
use crate::charts::axis::{Axis, Fit, fixed, shared_decimals};
use crate::charts::frame::{Frame, Key, Sizes, Spec, legend_below, series_style};
use crate::charts::series::arm_label;
use crate::charts::{Chart, titled};
use crate::model::metrics::Metric;
use plotters::coord::Shift;
use plotters::prelude::*;

const GREY: RGBColor = RGBColor(90, 90, 90);

/// The widest sideways spread of the arms in one decile (in deciles).
const DODGE: f64 = 0.7;

/// Above this many arms, whiskers and dots are drawn finer so that the
/// arms' marks stay apart.
const CROWDED: usize = 4;

/// One panel: its caption, axes and reference line.
struct Panel<'a> {
    caption: &'a str,
    attribute: Attribute,
    means: &'a [f64],
    y: Axis,
    y_desc: &'a str,
    reference: Option<f64>,
}

/// A y axis holding every mean and interval end of `arms`.
fn y_axis<'a>(arms: impl IntoIterator<Item = &'a [Ci]>, fit: Fit) -> Axis {
    let values = arms
        .into_iter()
        .flat_map(|v| v.iter().flat_map(|c| [c.0, c.1, c.2]));
    Axis::fit(values, &fit.ticks(6))
}

/// "ai_speedup decile (means -0.15 to 0.62)".
fn decile_desc(attr: Attribute, means: &[f64]) -> String {
    match (means.first(), means.last()) {
        (Some(&a), Some(&b)) if a.is_finite() && b.is_finite() => {
            let d = shared_decimals([a, b], 2);
            format!(
                "{} decile (means {} to {})",
                attr.name(),
                fixed(a, d),
                fixed(b, d)
            )
        }
        _ => format!("{} decile", attr.name()),
    }
}

/// What the points and whiskers are, for a title.
fn ci_note(replicates: usize) -> String {
    if replicates > 1 {
        format!("deciles within each replicate; mean and 95% CI over {replicates} replicates")
    } else {
        "one replicate: no CI".into()
    }
}

/// Legend entries for arms, with `note(i)` appended to arm i's name.
fn arm_legend(
    scenario: &str,
    arms: &[&str],
    note: impl Fn(usize) -> &'static str,
) -> Vec<(String, Key)> {
    arms.iter()
        .enumerate()
        .map(|(i, a)| {
            let (c, dashed) = series_style(i);
            let key = if dashed {
                Key::Line(c, true)
            } else {
                Key::Dot(c)
            };
            (format!("{}{}", arm_label(scenario, a), note(i)), key)
        })
        .collect()
}

/// Draws one panel of values by decile on `area`.
fn decile_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: Panel<'_>,
    arms: &[&[Ci]],
) -> Result<(), String> {
    let x_desc = decile_desc(panel.attribute, panel.means);
    let mut spec = Spec::new(Axis::categories(10), panel.y, &x_desc, panel.y_desc);
    spec.caption = Some(panel.caption);
    spec.sizes = Sizes::PANEL;
    spec.x_names = Some((1..=10).map(|k| k.to_string()).collect());
    let mut f = Frame::new(area, spec)?;
    if let Some(r) = panel.reference {
        f.hline(r, GREY.stroke_width(2), false)?;
    }
    let n = arms.len().max(1) as f64;
    let gap = (DODGE / n).min(0.12);
    let (width, radius) = if arms.len() > CROWDED { (2, 5) } else { (3, 7) };
    for (i, values) in arms.iter().enumerate() {
        let (c, dashed) = series_style(i);
        let dx = (i as f64 - (n - 1.0) / 2.0) * gap;
        let pts: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .map(|(k, v)| (k as f64 + dx, v.0))
            .collect();
        if dashed {
            f.dashed(&pts, c.stroke_width(3))?;
        } else {
            f.line(&pts, c.stroke_width(3))?;
        }
        for (&(x, _), v) in pts.iter().zip(values.iter()) {
            f.interval_v(x, v.1, v.2, c.stroke_width(width))?;
        }
        for &p in &pts {
            f.dot(p, radius, c.filled())?;
        }
    }
    Ok(())
}

impl Chart for DecileChart {
    fn stem(&self) -> String {
        format!("agents_by_{}", self.attribute.name())
    }

    fn title(&self) -> String {
        format!(
            "{}, week {}: performative share and output per employee by {} decile ({})",
            self.scenario,
            self.week,
            self.attribute.name(),
            ci_note(self.replicates)
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let names: Vec<&str> = self.arms.iter().map(|a| a.0.as_str()).collect();
        let area = legend_below(&area, &arm_legend(&self.scenario, &names, |_| ""), 26.0)?;
        let (left, right) = area.split_horizontally(area.dim_in_pixel().0 / 2);
        let share: Vec<&[Ci]> = self.arms.iter().map(|a| &a.1[..]).collect();
        let output: Vec<&[Ci]> = self.arms.iter().map(|a| &a.2[..]).collect();
        let share_panel = Panel {
            caption: "Performative share",
            attribute: self.attribute,
            means: &self.means,
            y: y_axis(
                share.iter().copied(),
                Fit::metric(Metric::PerformativeShare),
            ),
            y_desc: "share of AI time for show",
            reference: None,
        };
        decile_panel(&left, share_panel, &share)?;
        let output_panel = Panel {
            caption: "Output per employee",
            attribute: self.attribute,
            means: &self.means,
            y: y_axis(
                output.iter().copied(),
                Fit {
                    bounds: (0.0, f64::MAX),
                    ..Fit::default()
                },
            ),
            y_desc: "output (manual-work weeks)",
            reference: None,
        };
        decile_panel(&right, output_panel, &output)
    }
}

impl Chart for BeforeAfter {
    fn stem(&self) -> String {
        format!("agents_before_after_week{}", self.event_week)
    }

    fn title(&self) -> String {
        format!(
            "{}: change of performative share from week {} to week {}, across {} at week {}, by decile ({})",
            self.scenario,
            self.before,
            self.after,
            self.event,
            self.event_week,
            ci_note(self.replicates)
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let names: Vec<&str> = self
            .panels
            .first()
            .map(|p| p.2.iter().map(|a| a.0.as_str()).collect())
            .unwrap_or_default();
        let some_without = self.with_event.iter().any(|w| !w);
        let note = |i: usize| {
            if some_without && !self.with_event.get(i).copied().unwrap_or(true) {
                " (without the event)"
            } else {
                ""
            }
        };
        let area = legend_below(&area, &arm_legend(&self.scenario, &names, note), 26.0)?;
        let y_desc = format!("change of share, week {} to {}", self.before, self.after);
        // One scale for both panels, so that their changes compare.
        let y = y_axis(
            self.panels
                .iter()
                .flat_map(|p| p.2.iter().map(|a| &a.1[..])),
            Fit::difference(Metric::PerformativeShare),
        );
        let cells = area.split_evenly((1, self.panels.len().max(1)));
        for ((attr, means, arms), cell) in self.panels.iter().zip(&cells) {
            let caption = format!("By {} decile", attr.name());
            let values: Vec<&[Ci]> = arms.iter().map(|a| &a.1[..]).collect();
            let panel = Panel {
                caption: &caption,
                attribute: *attr,
                means,
                y: y.clone(),
                y_desc: &y_desc,
                reference: Some(0.0),
            };
            decile_panel(cell, panel, &values)?;
        }
        Ok(())
    }
}
