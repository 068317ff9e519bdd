//! Charts of sweeps: response curves, heatmaps over two parameters, and
//! sensitivity indices (Sobol bars, Morris mu* against sigma).

use super::{
    Chart, colour, draw_legend, font, padded_range, quiet_corner, tick, ticker, titled, viridis,
};
use crate::model::metrics::Metric;
use crate::results::Statistic;
use plotters::coord::Shift;
use plotters::prelude::*;

fn e<T: std::fmt::Display>(x: T) -> String {
    x.to_string()
}

/// (x index, mean, ci_low, ci_high).
pub type Point = (usize, f64, f64, f64);

/// A metric's final value against one parameter, with bands, one line per
/// level of a second parameter.
pub struct ResponseCurves {
    pub scenario: String,
    pub metric: Metric,
    pub x_param: String,
    /// The x levels as written; numeric levels get a numeric axis.
    pub x_levels: Vec<String>,
    pub group_param: Option<String>,
    /// (group label, [(x index, mean, ci_low, ci_high)]).
    pub series: Vec<(String, Vec<Point>)>,
    pub replicates: usize,
}

impl ResponseCurves {
    fn numeric_x(&self) -> Option<Vec<f64>> {
        self.x_levels
            .iter()
            .map(|s| s.parse::<f64>().ok())
            .collect()
    }
}

impl Chart for ResponseCurves {
    fn stem(&self) -> String {
        format!("response_{}_{}", self.metric, self.x_param)
    }

    fn title(&self) -> String {
        let name = self.metric.label();
        let by = self
            .group_param
            .as_ref()
            .map_or(String::new(), |g| format!(" and {g}"));
        format!(
            "{}: final-week {name} by {}{by}",
            self.scenario, self.x_param
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let unit = self.metric.unit();
        let xs: Vec<f64> = self
            .numeric_x()
            .unwrap_or_else(|| (0..self.x_levels.len()).map(|i| i as f64).collect());
        let categorical = self.numeric_x().is_none();
        let (xl, xh) = if categorical {
            (-0.3, self.x_levels.len() as f64 - 0.7)
        } else {
            padded_range(xs.iter().copied())
        };
        let (yl, yh) = padded_range(
            self.series
                .iter()
                .flat_map(|(_, s)| s.iter().flat_map(|p| [p.2, p.3])),
        );
        let mut chart = ChartBuilder::on(&area)
            .margin(30)
            .x_label_area_size(90)
            .y_label_area_size(130)
            .build_cartesian_2d(xl..xh, yl..yh)
            .map_err(e)?;
        let levels = self.x_levels.clone();
        let (xt, yf) = (ticker(xl, xh), ticker(yl, yh));
        let fmt = move |v: &f64| {
            if categorical {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 {
                    levels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            } else {
                xt(v)
            }
        };
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(self.x_param.as_str())
            .y_desc(format!("{} ({unit}), final week", self.metric))
            .axis_desc_style(font(30.0))
            .label_style(font(26.0))
            .x_label_formatter(&fmt)
            .y_label_formatter(&yf)
            .light_line_style(RGBColor(235, 235, 235));
        if categorical {
            mesh.x_labels(self.x_levels.len() * 4 + 1).disable_x_mesh();
        }
        mesh.draw().map_err(e)?;
        for (i, (label, pts)) in self.series.iter().enumerate() {
            let c = colour(i);
            let at = |p: &(usize, f64, f64, f64)| xs[p.0];
            let poly: Vec<(f64, f64)> = pts
                .iter()
                .map(|p| (at(p), p.2))
                .chain(pts.iter().rev().map(|p| (at(p), p.3)))
                .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(poly, c.mix(0.15).filled())))
                .map_err(e)?;
            let s = chart
                .draw_series(LineSeries::new(
                    pts.iter().map(|p| (at(p), p.1)),
                    c.stroke_width(4),
                ))
                .map_err(e)?;
            let name = match &self.group_param {
                Some(g) => format!("{g} = {label}"),
                None => format!("mean, 95% CI ({} replicates)", self.replicates),
            };
            s.label(name)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 40, y)], c.stroke_width(5)));
            chart
                .draw_series(pts.iter().map(|p| Circle::new((at(p), p.1), 8, c.filled())))
                .map_err(e)?;
        }
        let pts = self
            .series
            .iter()
            .flat_map(|(_, s)| s.iter().flat_map(|p| [(xs[p.0], p.2), (xs[p.0], p.3)]));
        let corner = quiet_corner(pts, (xl, xh), (yl, yh));
        draw_legend(&mut chart, corner, 24.0)?;
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
    /// values[y][x] (replicate means).
    pub values: Vec<Vec<Option<f64>>>,
}

impl Chart for Heatmap {
    fn stem(&self) -> String {
        format!("heatmap_{}", self.metric)
    }

    fn title(&self) -> String {
        let name = self.metric.label();
        format!(
            "{}: final-week {name} by {} and {}",
            self.scenario, self.x_param, self.y_param
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let (plot, bar) = area.split_horizontally(1380);
        let unit = self.metric.unit();
        let (nx, ny) = (self.x_levels.len(), self.y_levels.len());
        // The colour scale spans the finite values (with none, a unit
        // range: every cell is then drawn as missing).
        let (lo, hi) = self
            .values
            .iter()
            .flatten()
            .filter_map(|v| v.filter(|x| x.is_finite()))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            });
        let lo = if lo.is_finite() { lo } else { 0.0 };
        let span = if hi > lo { hi - lo } else { 1.0 };
        let ylabel_w =
            30.0 + 16.0 * self.y_levels.iter().map(|s| s.len()).max().unwrap_or(3) as f64;
        let mut chart = ChartBuilder::on(&plot)
            .margin(30)
            .x_label_area_size(90)
            .y_label_area_size(ylabel_w.max(90.0))
            .build_cartesian_2d(0.0..nx as f64, 0.0..ny as f64)
            .map_err(e)?;
        let (xl, yl) = (self.x_levels.clone(), self.y_levels.clone());
        let cat = |levels: Vec<String>| {
            move |v: &f64| {
                let i = v - 0.5;
                if (i - i.round()).abs() < 1e-6 && i >= 0.0 {
                    levels.get(i.round() as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            }
        };
        let (fx, fy) = (cat(xl), cat(yl));
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(self.x_param.as_str())
            .y_desc(self.y_param.as_str())
            .axis_desc_style(font(30.0))
            .label_style(font(26.0))
            .x_labels(nx * 2 + 1)
            .y_labels(ny * 2 + 1)
            .x_label_formatter(&fx)
            .y_label_formatter(&fy)
            .draw()
            .map_err(e)?;
        for (yi, row) in self.values.iter().enumerate() {
            for (xi, v) in row.iter().enumerate() {
                let (x, y) = (xi as f64, yi as f64);
                let Some(v) = v.filter(|x| x.is_finite()) else {
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(x, y), (x + 1.0, y + 1.0)],
                            RGBColor(220, 220, 220).filled(),
                        )))
                        .map_err(e)?;
                    continue;
                };
                let t = (v - lo) / span;
                let c = viridis(t);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x, y), (x + 1.0, y + 1.0)],
                        c.filled(),
                    )))
                    .map_err(e)?;
                let text_colour = if t > 0.6 { BLACK } else { WHITE };
                let style =
                    font(26.0)
                        .color(&text_colour)
                        .pos(plotters::style::text_anchor::Pos::new(
                            plotters::style::text_anchor::HPos::Center,
                            plotters::style::text_anchor::VPos::Center,
                        ));
                chart
                    .draw_series(std::iter::once(Text::new(
                        tick(v),
                        (x + 0.5, y + 0.5),
                        style,
                    )))
                    .map_err(e)?;
            }
        }
        // Colour bar.
        let mut cb = ChartBuilder::on(&bar)
            .margin_top(30)
            .margin_bottom(120)
            .margin_right(20)
            .y_label_area_size(110)
            .caption(unit, font(24.0))
            .build_cartesian_2d(0.0..1.0, lo..(lo + span))
            .map_err(e)?;
        let cf = ticker(lo, lo + span);
        cb.configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .label_style(font(22.0))
            .y_label_formatter(&cf)
            .draw()
            .map_err(e)?;
        let steps = 100;
        cb.draw_series((0..steps).map(|i| {
            let (a, b) = (
                lo + span * i as f64 / steps as f64,
                lo + span * (i + 1) as f64 / steps as f64,
            );
            Rectangle::new(
                [(0.0, a), (1.0, b)],
                viridis(i as f64 / (steps - 1) as f64).filled(),
            )
        }))
        .map_err(e)?;
        Ok(())
    }
}

type Ci = (f64, f64, f64);

/// First- and total-order Sobol indices of one metric, with 95% CIs.
pub struct SobolBars {
    pub scenario: String,
    pub metric: Metric,
    pub statistic: Statistic,
    pub params: Vec<String>,
    pub first: Vec<Ci>,
    pub total: Vec<Ci>,
}

impl Chart for SobolBars {
    fn stem(&self) -> String {
        format!("sobol_{}_{}", self.metric, self.statistic.word())
    }

    fn title(&self) -> String {
        let name = self.metric.label();
        let when = if self.statistic == Statistic::Final {
            "final week"
        } else {
            "run average"
        };
        format!("{}: Sobol indices of {name} ({when})", self.scenario)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let n = self.params.len();
        let hi = self
            .first
            .iter()
            .chain(&self.total)
            .map(|v| v.2.max(v.0))
            .filter(|v| v.is_finite())
            .fold(0.1f64, f64::max)
            .min(1.5)
            * 1.08;
        let lo = self
            .first
            .iter()
            .map(|v| v.1.min(v.0))
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::min)
            .max(-0.5);
        let label_w = 40.0 + 15.0 * self.params.iter().map(|p| p.len()).max().unwrap_or(4) as f64;
        let mut chart = ChartBuilder::on(&area)
            .margin(30)
            .x_label_area_size(90)
            .y_label_area_size(label_w)
            .build_cartesian_2d(lo..hi, -0.5..(n as f64 - 0.5))
            .map_err(e)?;
        let names = self.params.clone();
        let xf = ticker(lo, hi);
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc("Sobol index (share of output variance), 95% bootstrap CI")
            .axis_desc_style(font(30.0))
            .label_style(font(26.0))
            .y_labels(n * 2 + 1)
            .y_label_formatter(&move |y| {
                let i = y.round();
                if (y - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < names.len() {
                    names[names.len() - 1 - i as usize].clone()
                } else {
                    String::new()
                }
            })
            .x_label_formatter(&xf)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(e)?;
        for (k, (label, vals)) in [
            ("S1: first order (alone)", &self.first),
            ("ST: total order (with interactions)", &self.total),
        ]
        .into_iter()
        .enumerate()
        {
            let c = colour(k);
            let off = if k == 0 { 0.18 } else { -0.18 };
            let mut first = true;
            for (i, v) in vals.iter().enumerate() {
                let y = (n - 1 - i) as f64 + off;
                let bar = Rectangle::new(
                    [(0.0, y - 0.15), (v.0.max(lo), y + 0.15)],
                    c.mix(0.85).filled(),
                );
                let s = chart.draw_series(std::iter::once(bar)).map_err(e)?;
                if first {
                    first = false;
                    s.label(label).legend(move |(x, y)| {
                        Rectangle::new([(x, y - 8), (x + 30, y + 8)], c.filled())
                    });
                }
                if v.1.is_finite() && v.2.is_finite() {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            [(v.1, y), (v.2, y)],
                            BLACK.stroke_width(3),
                        )))
                        .map_err(e)?;
                }
            }
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight, 26.0)?;
        Ok(())
    }
}

/// Morris screening: mean absolute elementary effect mu* (with 95% CI)
/// against the sd of the effects sigma, one point per parameter.
pub struct MorrisScatter {
    pub scenario: String,
    pub metric: Metric,
    pub statistic: Statistic,
    pub params: Vec<String>,
    pub mu_star: Vec<Ci>,
    pub sigma: Vec<f64>,
}

impl Chart for MorrisScatter {
    fn stem(&self) -> String {
        format!("morris_{}_{}", self.metric, self.statistic.word())
    }

    fn title(&self) -> String {
        let name = self.metric.label();
        format!("{}: Morris screening of {name}", self.scenario)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let unit = self.metric.unit();
        let xh = self
            .mu_star
            .iter()
            .map(|v| v.2.max(v.0))
            .filter(|v| v.is_finite())
            .fold(1e-9, f64::max)
            * 1.25;
        let yh = self
            .sigma
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(1e-9, f64::max)
            * 1.2;
        let mut chart = ChartBuilder::on(&area)
            .margin(30)
            .x_label_area_size(90)
            .y_label_area_size(130)
            .build_cartesian_2d(0.0..xh, 0.0..yh)
            .map_err(e)?;
        let (xf, yf) = (ticker(0.0, xh), ticker(0.0, yh));
        chart
            .configure_mesh()
            .x_desc(format!(
                "mu*: mean |elementary effect| ({unit} per full range), 95% CI"
            ))
            .y_desc("sigma: sd of elementary effects (non-linearity, interactions)")
            .axis_desc_style(font(28.0))
            .label_style(font(26.0))
            .x_label_formatter(&xf)
            .y_label_formatter(&yf)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(e)?;
        for (i, p) in self.params.iter().enumerate() {
            let (m, s) = (self.mu_star[i], self.sigma[i]);
            if !(m.0.is_finite() && s.is_finite()) {
                continue;
            }
            let c = colour(i);
            if m.1.is_finite() {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        [(m.1, s), (m.2, s)],
                        c.stroke_width(3),
                    )))
                    .map_err(e)?;
            }
            chart
                .draw_series(std::iter::once(Circle::new((m.0, s), 12, c.filled())))
                .map_err(e)?;
            // The name sits above and right of its point, clear of the whisker.
            let label = EmptyElement::at((m.0, s)) + Text::new(p.clone(), (12, -42), font(26.0));
            chart.draw_series(std::iter::once(label)).map_err(e)?;
        }
        Ok(())
    }
}
