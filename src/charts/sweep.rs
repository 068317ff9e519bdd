//! Charts of sweeps over parameters: response curves (a grid's levels),
//! scatter plots (Latin hypercube and other continuous designs, coloured
//! by a second parameter on a colour bar) and heatmaps over two grid
//! parameters. The most influential parameter (see
//! [`SweepResults::influence`](super::data::SweepResults::influence)) goes
//! on the x axis.

use super::axis::{Axis, Fit, reference, shared_decimals};
use super::frame::{Frame, Key, Spec, colour_bar, legend_below, series_style};
use super::{Chart, font, titled, viridis};
use crate::model::metrics::Metric;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// (x index, mean, ci_low, ci_high).
pub type Point = (usize, f64, f64, f64);

const GREY: RGBColor = RGBColor(90, 90, 90);

/// Series beyond this many get viridis colours and a colour bar.
const MAX_KEYED: usize = 14;

/// A metric's final value against one parameter, one line per level of a
/// second parameter.
pub struct ResponseCurves {
    pub scenario: String,
    pub metric: Metric,
    pub x_param: String,
    /// The x levels as written; numeric levels get a numeric axis.
    pub x_levels: Vec<String>,
    pub group_param: Option<String>,
    /// (group level, points).
    pub series: Vec<(String, Vec<Point>)>,
    pub replicates: usize,
    /// Swept parameters held at one value in this chart ("a = 1").
    pub held: Vec<String>,
}

/// "; other parameters at a = 1, b = x" for a chart that shows one slice
/// of a sweep, or nothing.
fn held_text(held: &[String]) -> String {
    if held.is_empty() {
        String::new()
    } else {
        format!("; only the points with {}", held.join(", "))
    }
}

/// Numbers of `levels`, if every level is one.
fn numbers(levels: &[String]) -> Option<Vec<f64>> {
    levels.iter().map(|s| s.parse::<f64>().ok()).collect()
}

impl ResponseCurves {
    fn colour(&self, i: usize) -> (RGBColor, bool) {
        if self.series.len() > MAX_KEYED {
            (viridis(i as f64 / (self.series.len() - 1) as f64), false)
        } else {
            series_style(i)
        }
    }
}

impl Chart for ResponseCurves {
    fn stem(&self) -> String {
        format!("response_{}_{}", self.metric, self.x_param)
    }

    fn title(&self) -> String {
        let by = self
            .group_param
            .as_ref()
            .map_or(String::new(), |g| format!(", one line per {g}"));
        format!(
            "{}: final-week {} by {}{by} (mean and 95% CI over {} replicates per point{})",
            self.scenario,
            self.metric.label(),
            self.x_param,
            self.replicates,
            held_text(&self.held)
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let numeric = numbers(&self.x_levels);
        let xs: Vec<f64> = numeric
            .clone()
            .unwrap_or_else(|| (0..self.x_levels.len()).map(|i| i as f64).collect());
        let many = self.series.len() > MAX_KEYED;
        let area = match (&self.group_param, many) {
            (Some(g), false) => {
                let entries: Vec<(String, Key)> = (0..self.series.len())
                    .map(|i| {
                        let (c, dashed) = self.colour(i);
                        (
                            format!("{g} = {}", self.series[i].0),
                            Key::LineBand(c, dashed),
                        )
                    })
                    .collect();
                legend_below(&area, &entries, 26.0)?
            }
            (None, _) => legend_below(
                &area,
                &[(
                    format!("mean over {} replicates, 95% CI", self.replicates),
                    Key::LineBand(series_style(0).0, false),
                )],
                26.0,
            )?,
            (Some(_), true) => area,
        };
        let area = if let (Some(g), true) = (&self.group_param, many) {
            let (plot, bar) = area.split_horizontally(area.dim_in_pixel().0 as i32 - 220);
            let levels: Vec<String> = self.series.iter().map(|s| s.0.clone()).collect();
            let axis = match numbers(&levels) {
                Some(v) => Axis::fit(v, &Fit::default().ticks(6)),
                None => Axis::new(0.0, (levels.len() - 1) as f64, 6),
            };
            colour_bar(&bar, &axis, g)?;
            plot
        } else {
            area
        };
        let x = match &numeric {
            Some(v) => Axis::fit(v.iter().copied(), &Fit::default()),
            None => Axis::categories(self.x_levels.len()),
        };
        let y = Axis::fit(
            self.series
                .iter()
                .flat_map(|(_, s)| s.iter().flat_map(|p| [p.1, p.2, p.3])),
            &Fit::metric(self.metric),
        );
        let y_desc = format!(
            "{} ({}), final week",
            self.metric.short(),
            self.metric.unit()
        );
        let mut spec = Spec::new(x, y, &self.x_param, &y_desc);
        if numeric.is_none() {
            spec.x_names = Some(self.x_levels.clone());
        }
        let mut f = Frame::new(&area, spec)?;
        if let Some(r) = reference(self.metric) {
            f.hline(r, GREY.stroke_width(2), true)?;
        }
        // Categories: each series shifted a little so intervals do not overlap.
        let k = self.series.len() as f64;
        for (i, (_, pts)) in self.series.iter().enumerate() {
            let (c, dashed) = self.colour(i);
            let dodge = if numeric.is_none() && k > 1.0 {
                (i as f64 - (k - 1.0) / 2.0) * (0.5 / k)
            } else {
                0.0
            };
            let at = |p: &Point| xs[p.0] + dodge;
            if numeric.is_some() {
                let band: Vec<(f64, f64, f64)> = pts.iter().map(|p| (at(p), p.2, p.3)).collect();
                f.band(&band, c.mix(0.15))?;
            } else {
                for p in pts {
                    f.interval_v(at(p), p.2, p.3, c.stroke_width(3))?;
                }
            }
            let line: Vec<(f64, f64)> = pts.iter().map(|p| (at(p), p.1)).collect();
            if dashed {
                f.dashed(&line, c.stroke_width(4))?;
            } else {
                f.line(&line, c.stroke_width(4))?;
            }
            for p in pts {
                f.dot((at(p), p.1), 8, c.filled())?;
            }
        }
        Ok(())
    }
}

/// A metric's final value at each point of a continuous design against
/// the most influential parameter, coloured by the second.
pub struct Scatter {
    pub scenario: String,
    pub metric: Metric,
    pub design: String,
    pub x_param: String,
    /// The second most influential parameter, if numeric.
    pub colour_param: Option<String>,
    /// (x, colour value, mean, ci_low, ci_high) per point.
    pub points: Vec<(f64, f64, f64, f64, f64)>,
    pub replicates: usize,
}

impl Chart for Scatter {
    fn stem(&self) -> String {
        format!("response_{}_{}", self.metric, self.x_param)
    }

    fn title(&self) -> String {
        let colour = self
            .colour_param
            .as_ref()
            .map_or(String::new(), |c| format!(", coloured by {c}"));
        format!(
            "{}: final-week {} at {} {} points by {} (the most influential parameter){colour}; \
             mean and 95% CI over {} replicates",
            self.scenario,
            self.metric.label(),
            self.points.len(),
            self.design,
            self.x_param,
            self.replicates
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let (area, cbar) = match &self.colour_param {
            Some(c) => {
                let (plot, bar) = area.split_horizontally(area.dim_in_pixel().0 as i32 - 240);
                let axis = Axis::fit(self.points.iter().map(|p| p.1), &Fit::default().ticks(6));
                colour_bar(&bar, &axis, c)?;
                (plot, Some(axis))
            }
            None => (area, None),
        };
        let x = Axis::fit(self.points.iter().map(|p| p.0), &Fit::default());
        let y = Axis::fit(
            self.points.iter().flat_map(|p| [p.2, p.3, p.4]),
            &Fit::metric(self.metric),
        );
        let y_desc = format!(
            "{} ({}), final week",
            self.metric.short(),
            self.metric.unit()
        );
        let mut f = Frame::new(&area, Spec::new(x, y, &self.x_param, &y_desc))?;
        if let Some(r) = reference(self.metric) {
            f.hline(r, GREY.stroke_width(2), true)?;
        }
        for p in &self.points {
            let c = match &cbar {
                Some(a) => viridis((p.1 - a.lo) / a.span()),
                None => series_style(0).0,
            };
            f.interval_v(p.0, p.3, p.4, c.mix(0.7).stroke_width(2))?;
            f.dot((p.0, p.2), 9, c.filled())?;
            f.dot((p.0, p.2), 9, BLACK.mix(0.5).stroke_width(1))?;
        }
        Ok(())
    }
}

/// A metric's final value over a grid of two parameters.
pub struct Heatmap {
    pub scenario: String,
    pub metric: Metric,
    pub x_param: String,
    pub y_param: String,
    pub x_levels: Vec<String>,
    pub y_levels: Vec<String>,
    /// `values[y][x]` (replicate means).
    pub values: Vec<Vec<Option<f64>>>,
    pub replicates: usize,
    /// Swept parameters held at one value in this chart ("a = 1").
    pub held: Vec<String>,
}

impl Chart for Heatmap {
    fn stem(&self) -> String {
        format!("heatmap_{}", self.metric)
    }

    fn title(&self) -> String {
        format!(
            "{}: final-week {} by {} and {} (mean over {} replicates per cell{})",
            self.scenario,
            self.metric.label(),
            self.x_param,
            self.y_param,
            self.replicates,
            held_text(&self.held)
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let (plot, bar) = area.split_horizontally(area.dim_in_pixel().0 as i32 - 240);
        let finite: Vec<f64> = self
            .values
            .iter()
            .flatten()
            .filter_map(|v| v.filter(|x| x.is_finite()))
            .collect();
        let scale = Axis::fit(finite.iter().copied(), &Fit::metric(self.metric).ticks(6));
        colour_bar(&bar, &scale, self.metric.unit())?;
        let (nx, ny) = (self.x_levels.len(), self.y_levels.len());
        let mut spec = Spec::new(
            Axis::categories(nx),
            Axis::categories(ny),
            &self.x_param,
            &self.y_param,
        );
        spec.x_names = Some(self.x_levels.clone());
        spec.y_names = Some(self.y_levels.clone());
        let mut f = Frame::new(&plot, spec)?;
        let decimals = shared_decimals(finite.iter().copied(), 3);
        let size = if nx > 8 { 26.0 } else { 30.0 };
        for (yi, row) in self.values.iter().enumerate() {
            for (xi, v) in row.iter().enumerate() {
                let (x, y) = (xi as f64, yi as f64);
                let (fill, text, ink) = match v.filter(|x| x.is_finite()) {
                    Some(v) => {
                        let t = (v - scale.lo) / scale.span();
                        let ink = if t > 0.6 { BLACK } else { WHITE };
                        (viridis(t), super::axis::fixed(v, decimals), ink)
                    }
                    None => (RGBColor(220, 220, 220), "NaN".to_string(), BLACK),
                };
                f.rect((x - 0.5, y - 0.5), (x + 0.5, y + 0.5), fill.filled())?;
                let style = font(size)
                    .color(&ink)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                f.text((x, y), (0, 0), &text, style)?;
            }
        }
        Ok(())
    }
}
