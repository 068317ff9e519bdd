//! Charts of single runs: time series with 95% CI bands, the dashboard of
//! headline metrics, the final-value comparison of variants, and the
//! hysteresis plot of a metric against a ramped lever.

use super::data::Marker;
use super::{Chart, colour, draw_legend, font, padded_range, quiet_corner, ticker, titled};
use crate::model::metrics::Metric;
use plotters::coord::Shift;
use plotters::prelude::*;

type Band = Vec<(f64, f64, f64, f64)>;
/// (mean, ci_low, ci_high).
pub type Ci = (f64, f64, f64);

fn e<T: std::fmt::Display>(x: T) -> String {
    x.to_string()
}

/// One metric over weeks: a line per variant with its 95% CI band, and the
/// timeline's events as dashed vertical lines.
pub struct TimeSeries {
    pub scenario: String,
    pub metric: Metric,
    pub replicates: usize,
    /// (variant, [(week, mean, ci_low, ci_high)]).
    pub series: Vec<(String, Band)>,
    pub markers: Vec<Marker>,
}

impl TimeSeries {
    /// Draws on `area`; `compact` uses smaller text for dashboard panels.
    fn draw_on<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        compact: bool,
        caption: Option<&str>,
    ) -> Result<(), String> {
        let unit = self.metric.unit();
        let s = if compact { 0.8 } else { 1.0 };
        let weeks = self
            .series
            .iter()
            .map(|(_, b)| b.len())
            .max()
            .unwrap_or(1)
            .max(2);
        let (lo, hi) = padded_range(
            self.series
                .iter()
                .flat_map(|(_, b)| b.iter().flat_map(|p| [p.2, p.3])),
        );
        let mut builder = ChartBuilder::on(area);
        builder
            .margin(20.0 * s)
            .x_label_area_size(80.0 * s)
            .y_label_area_size(120.0 * s);
        if let Some(c) = caption {
            builder.caption(c, font(34.0 * s));
        }
        let mut chart = builder
            .build_cartesian_2d(0.0..(weeks - 1) as f64, lo..hi)
            .map_err(e)?;
        let yfmt = ticker(lo, hi);
        chart
            .configure_mesh()
            .x_desc("Week")
            .y_desc(unit)
            .axis_desc_style(font(30.0 * s))
            .label_style(font(26.0 * s))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&yfmt)
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()
            .map_err(e)?;
        for m in &self.markers {
            let x = m.week as f64;
            chart
                .draw_series(DashedLineSeries::new(
                    [(x, lo), (x, hi)],
                    12,
                    8,
                    RGBColor(90, 90, 90).stroke_width(2),
                ))
                .map_err(e)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!(" {}", m.label),
                    (x, hi),
                    font(24.0 * s).color(&RGBColor(70, 70, 70)),
                )))
                .map_err(e)?;
        }
        for (i, (variant, band)) in self.series.iter().enumerate() {
            let c = colour(i);
            let poly: Vec<(f64, f64)> = band
                .iter()
                .map(|p| (p.0, p.2))
                .chain(band.iter().rev().map(|p| (p.0, p.3)))
                .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled())))
                .map_err(e)?;
            let line = chart
                .draw_series(LineSeries::new(
                    band.iter().map(|p| (p.0, p.1)),
                    c.stroke_width(if compact { 3 } else { 4 }),
                ))
                .map_err(e)?;
            if self.series.len() > 1 && !compact {
                line.label(variant.clone()).legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 40, y)], c.stroke_width(5))
                });
            }
        }
        if self.series.len() > 1 && !compact {
            let pts = self
                .series
                .iter()
                .flat_map(|(_, b)| b.iter().flat_map(|p| [(p.0, p.2), (p.0, p.3)]));
            let corner = quiet_corner(pts, (0.0, (weeks - 1) as f64), (lo, hi));
            draw_legend(&mut chart, corner, 24.0 * s)?;
        }
        Ok(())
    }
}

impl Chart for TimeSeries {
    fn stem(&self) -> String {
        format!("timeseries_{}", self.metric)
    }

    fn title(&self) -> String {
        let name = self.metric.label();
        format!(
            "{}: {name} by week (mean, 95% CI over {} replicates)",
            self.scenario, self.replicates
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        self.draw_on(&area, false, None)
    }
}

/// Small multiples of the headline metrics over weeks.
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
            "{}: headline metrics by week (mean, 95% CI over {} replicates)",
            self.scenario, self.replicates
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        // One legend for all panels, in a strip along the bottom.
        let variants: Vec<&String> = self
            .panels
            .first()
            .map(|p| p.series.iter().map(|s| &s.0).collect())
            .unwrap_or_default();
        let area = if variants.len() > 1 {
            let (top, strip) = area.split_vertically(area.dim_in_pixel().1 as i32 - 56);
            let mut x = 40;
            for (i, v) in variants.iter().enumerate() {
                let c = colour(i);
                strip
                    .draw(&PathElement::new(
                        [(x, 28), (x + 50, 28)],
                        c.stroke_width(6),
                    ))
                    .map_err(e)?;
                strip
                    .draw(&Text::new(v.to_string(), (x + 62, 14), font(26.0)))
                    .map_err(e)?;
                x += 62 + 16 * v.len() as i32 + 60;
            }
            top
        } else {
            area
        };
        let cols = 3;
        let rows = self.panels.len().div_ceil(cols).max(1);
        for (panel, cell) in self.panels.iter().zip(area.split_evenly((rows, cols))) {
            let name = panel.metric.label();
            let short = name.split(" (").next().unwrap_or(name);
            panel.draw_on(&cell, true, Some(short))?;
        }
        Ok(())
    }
}

/// Final-week values of the variants, with 95% CI whiskers, one panel per
/// metric.
pub struct Comparison {
    pub scenario: String,
    pub week: usize,
    pub replicates: usize,
    pub variants: Vec<String>,
    /// (metric, [(mean, ci_low, ci_high)] per variant).
    pub metrics: Vec<(Metric, Vec<Ci>)>,
}

impl Chart for Comparison {
    fn stem(&self) -> String {
        "comparison".into()
    }

    fn title(&self) -> String {
        format!(
            "{}: variants compared at week {} (mean, 95% CI over {} replicates)",
            self.scenario, self.week, self.replicates
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let cols = 2;
        let rows = self.metrics.len().div_ceil(cols).max(1);
        let n = self.variants.len();
        let label_width =
            13.0 * self.variants.iter().map(|v| v.len()).max().unwrap_or(4) as f64 + 30.0;
        for ((metric, vals), cell) in self.metrics.iter().zip(area.split_evenly((rows, cols))) {
            let (name, unit) = (metric.label(), metric.unit());
            let (lo, hi) = padded_range(vals.iter().flat_map(|v| [v.1, v.2, v.0]));
            let mut chart = ChartBuilder::on(&cell)
                .caption(name.split(" (").next().unwrap_or(name), font(30.0))
                .margin(20)
                .x_label_area_size(70)
                .y_label_area_size(label_width)
                .build_cartesian_2d(lo..hi, -0.5..(n as f64 - 0.5))
                .map_err(e)?;
            let names = self.variants.clone();
            let xfmt = ticker(lo, hi);
            chart
                .configure_mesh()
                .x_desc(unit)
                .x_labels(6)
                .axis_desc_style(font(24.0))
                .label_style(font(22.0))
                .disable_y_mesh()
                .y_labels(n.max(2) * 2 + 1)
                .y_label_formatter(&move |y| {
                    let i = y.round();
                    if (y - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < names.len() {
                        names[n - 1 - i as usize].clone()
                    } else {
                        String::new()
                    }
                })
                .x_label_formatter(&xfmt)
                .light_line_style(WHITE)
                .draw()
                .map_err(e)?;
            for (i, v) in vals.iter().enumerate() {
                let y = (n - 1 - i) as f64;
                let c = colour(i);
                chart
                    .draw_series([
                        PathElement::new([(v.1, y), (v.2, y)], c.stroke_width(4)),
                        PathElement::new([(v.1, y - 0.15), (v.1, y + 0.15)], c.stroke_width(4)),
                        PathElement::new([(v.2, y - 0.15), (v.2, y + 0.15)], c.stroke_width(4)),
                    ])
                    .map_err(e)?;
                chart
                    .draw_series(std::iter::once(Circle::new((v.0, y), 10, c.filled())))
                    .map_err(e)?;
            }
        }
        Ok(())
    }
}

/// A metric against a ramped lever, with the path up and the path back
/// down drawn in different colours: hysteresis shows as two branches.
pub struct Hysteresis {
    pub scenario: String,
    pub metric: Metric,
    pub lever: String,
    /// (lever value, metric mean) per week, in week order.
    pub path: Vec<(f64, f64)>,
}

impl Chart for Hysteresis {
    fn stem(&self) -> String {
        format!("hysteresis_{}_{}", self.lever, self.metric)
    }

    fn title(&self) -> String {
        let name = self.metric.label();
        format!(
            "{}: {name} as {} is ramped up and back down",
            self.scenario, self.lever
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let unit = self.metric.unit();
        let (xl, xh) = padded_range(self.path.iter().map(|p| p.0));
        let (yl, yh) = padded_range(self.path.iter().map(|p| p.1));
        let mut chart = ChartBuilder::on(&area)
            .margin(30)
            .x_label_area_size(90)
            .y_label_area_size(130)
            .build_cartesian_2d(xl..xh, yl..yh)
            .map_err(e)?;
        let (xf, yf) = (ticker(xl, xh), ticker(yl, yh));
        chart
            .configure_mesh()
            .x_desc(format!("{} (lever value that week)", self.lever))
            .y_desc(format!("{} ({unit}, mean over replicates)", self.metric))
            .axis_desc_style(font(30.0))
            .label_style(font(26.0))
            .x_label_formatter(&xf)
            .y_label_formatter(&yf)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(e)?;
        // Split the path into rising and falling stretches of the lever.
        let (up, down) = (colour(0), colour(1));
        let mut labelled = [false, false];
        for w in self.path.windows(2) {
            let dir = if w[1].0 > w[0].0 + 1e-12 {
                0
            } else if w[1].0 < w[0].0 - 1e-12 {
                1
            } else {
                continue;
            };
            let c = if dir == 0 { up } else { down };
            let s = chart
                .draw_series(std::iter::once(PathElement::new(
                    [w[0], w[1]],
                    c.stroke_width(4),
                )))
                .map_err(e)?;
            if !labelled[dir] {
                labelled[dir] = true;
                s.label(if dir == 0 {
                    "lever ramped up"
                } else {
                    "lever ramped down"
                })
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 40, y)], c.stroke_width(5)));
            }
            chart
                .draw_series(std::iter::once(Circle::new(w[1], 5, c.filled())))
                .map_err(e)?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, 26.0)?;
        Ok(())
    }
}
