//! A plot frame: two [`Axis`]es, their grid and labels, and drawing
//! methods that take data coordinates and keep every mark inside the
//! frame (through [`clip`](super::clip)). Intervals cut by the frame end in
//! an arrowhead instead of a cap, so a reader knows the interval goes on.
//! Legends and colour bars (in [`legend`](super::legend)) are drawn beside
//! the frame, never over it.

use super::axis::Axis;
use super::axis::Ticked;
use super::clip::{Pt, Rect, runs};
use super::font;

pub use super::legend::{Key, colour_bar, legend_below, series_style};
use plotters::coord::Shift;
use plotters::element::{Drawable, PointCollection};
use plotters::prelude::*;

/// The coordinate system of every frame.
pub type Coord = Cartesian2d<Ticked, Ticked>;

pub(super) fn e<T: std::fmt::Display>(x: T) -> String {
    x.to_string()
}

/// Text sizes of a frame: a full chart, or a panel of several.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    pub label: f64,
    pub desc: f64,
    pub caption: f64,
}

impl Sizes {
    pub const FULL: Sizes = Sizes {
        label: 33.0,
        desc: 35.0,
        caption: 38.0,
    };
    pub const PANEL: Sizes = Sizes {
        label: 31.0,
        desc: 31.0,
        caption: 34.0,
    };
}

/// What a frame's axes say and how large its text is.
pub struct Spec<'s> {
    pub x: Axis,
    pub y: Axis,
    pub x_desc: &'s str,
    pub y_desc: &'s str,
    pub caption: Option<&'s str>,
    pub sizes: Sizes,
    /// Labels for category axes (the tick at i is named `names[i]`).
    pub x_names: Option<Vec<String>>,
    pub y_names: Option<Vec<String>>,
    /// Extra space above the frame (for marker labels), in pixels.
    pub top: u32,
}

impl<'s> Spec<'s> {
    pub fn new(x: Axis, y: Axis, x_desc: &'s str, y_desc: &'s str) -> Spec<'s> {
        Spec {
            x,
            y,
            x_desc,
            y_desc,
            caption: None,
            sizes: Sizes::FULL,
            x_names: None,
            y_names: None,
            top: 0,
        }
    }
}

/// A drawn frame, ready for marks.
pub struct Frame<'a, DB: DrawingBackend> {
    pub chart: ChartContext<'a, DB, Coord>,
    pub x: Axis,
    pub y: Axis,
    rect: Rect,
}

/// The widest of `labels` in pixels at `size`, for a label area.
pub(super) fn widest<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: &[String],
    size: f64,
) -> u32 {
    labels
        .iter()
        .map(|l| {
            area.estimate_text_size(l, &font(size))
                .map_or(l.len() as u32 * 16, |s| s.0)
        })
        .max()
        .unwrap_or(0)
}

impl<'a, DB: DrawingBackend + 'a> Frame<'a, DB> {
    /// Builds the frame on `area`: grid, ticks and axis descriptions.
    pub fn new(area: &DrawingArea<DB, Shift>, spec: Spec<'_>) -> Result<Frame<'a, DB>, String> {
        let s = spec.sizes;
        let tick_names = |axis: &Axis, names: &Option<Vec<String>>| -> Vec<String> {
            match names {
                Some(n) => n.clone(),
                None => axis.ticks.iter().map(|&t| axis.label(t)).collect(),
            }
        };
        let y_labels = tick_names(&spec.y, &spec.y_names);
        let y_area =
            widest(area, &y_labels, s.label) + if spec.y_desc.is_empty() { 30 } else { 70 };
        let x_area = (s.label * 1.4
            + if spec.x_desc.is_empty() {
                10.0
            } else {
                s.desc * 1.6
            }) as u32;
        // The caption is drawn first, so that the top margin (room for
        // marker tags) lies between it and the plot.
        let area = match spec.caption {
            Some(c) => {
                // Shrunk (not below the smallest text) to fit the panel.
                let width = area.dim_in_pixel().0 as f64 - 30.0;
                let wide = area
                    .estimate_text_size(c, &font(s.caption))
                    .map_or(width, |d| d.0 as f64);
                let size = if wide > width {
                    s.caption * width / wide
                } else {
                    s.caption
                };
                area.titled(c, font(size)).map_err(e)?
            }
            None => area.clone(),
        };
        let mut builder = ChartBuilder::on(&area);
        builder
            .margin(16)
            .margin_right(40)
            .margin_top(16 + spec.top)
            .x_label_area_size(x_area)
            .y_label_area_size(y_area);
        let mut chart = builder
            .build_cartesian_2d(spec.x.coord(), spec.y.coord())
            .map_err(e)?;
        let (xa, ya) = (spec.x.clone(), spec.y.clone());
        let (xn, yn) = (spec.x_names.clone(), spec.y_names.clone());
        let name = |names: &Option<Vec<String>>, axis: &Axis, v: f64| match names {
            Some(n) => {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 {
                    n.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            }
            None => axis.label(v),
        };
        let xf = move |v: &f64| name(&xn, &xa, *v);
        let yf = move |v: &f64| name(&yn, &ya, *v);
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(spec.x_desc)
            .y_desc(spec.y_desc)
            .axis_desc_style(font(s.desc))
            .label_style(font(s.label))
            .x_label_formatter(&xf)
            .y_label_formatter(&yf)
            .bold_line_style(RGBColor(225, 225, 225))
            .light_line_style(TRANSPARENT)
            .axis_style(RGBColor(120, 120, 120));
        if spec.x_names.is_some() {
            mesh.disable_x_mesh();
        }
        if spec.y_names.is_some() {
            mesh.disable_y_mesh();
        }
        mesh.draw().map_err(e)?;
        let rect = Rect {
            x: (spec.x.lo, spec.x.hi),
            y: (spec.y.lo, spec.y.hi),
        };
        Ok(Frame {
            chart,
            x: spec.x,
            y: spec.y,
            rect,
        })
    }

    /// A line through `points`, cut at the frame and broken at NaN.
    pub fn line(&mut self, points: &[Pt], style: ShapeStyle) -> Result<(), String> {
        for piece in self.rect.polyline(points) {
            if piece.len() == 1 {
                let r = (style.stroke_width + 2) as i32;
                self.chart
                    .draw_series(std::iter::once(Circle::new(piece[0], r, style.filled())))
                    .map_err(e)?;
            } else {
                self.chart
                    .draw_series(std::iter::once(PathElement::new(piece, style)))
                    .map_err(e)?;
            }
        }
        Ok(())
    }

    /// A dashed line through `points`, cut at the frame.
    pub fn dashed(&mut self, points: &[Pt], style: ShapeStyle) -> Result<(), String> {
        for piece in self.rect.polyline(points) {
            if piece.len() > 1 {
                self.chart
                    .draw_series(DashedLineSeries::new(piece, 14, 9, style))
                    .map_err(e)?;
            }
        }
        Ok(())
    }

    /// A filled band between `lo` and `hi` at each x, per run of finite
    /// points.
    pub fn band(&mut self, points: &[(f64, f64, f64)], fill: RGBAColor) -> Result<(), String> {
        let ok = |p: &(f64, f64, f64)| p.0.is_finite() && p.1.is_finite() && p.2.is_finite();
        for run in runs(points, ok) {
            let poly: Vec<Pt> = run
                .iter()
                .map(|p| (p.0, p.1))
                .chain(run.iter().rev().map(|p| (p.0, p.2)))
                .collect();
            let cut = self.rect.polygon(&poly);
            if cut.len() >= 3 {
                self.chart
                    .draw_series(std::iter::once(Polygon::new(cut, fill.filled())))
                    .map_err(e)?;
            }
        }
        Ok(())
    }

    /// A horizontal reference line at `y`, if it is on the axis.
    pub fn hline(&mut self, y: f64, style: ShapeStyle, dashed: bool) -> Result<(), String> {
        if !self.y.contains(y) {
            return Ok(());
        }
        let pts = [(self.x.lo, y), (self.x.hi, y)];
        if dashed {
            self.dashed(&pts, style)
        } else {
            self.line(&pts, style)
        }
    }

    /// A vertical line at `x`, if it is on the axis.
    pub fn vline(&mut self, x: f64, style: ShapeStyle, dashed: bool) -> Result<(), String> {
        if !self.x.contains(x) {
            return Ok(());
        }
        let pts = [(x, self.y.lo), (x, self.y.hi)];
        if dashed {
            self.dashed(&pts, style)
        } else {
            self.line(&pts, style)
        }
    }

    /// A shaded vertical span from `x0` to `x1`.
    pub fn span(&mut self, x0: f64, x1: f64, fill: RGBAColor) -> Result<(), String> {
        let (a, b) = (self.x.clamp(x0.min(x1)), self.x.clamp(x0.max(x1)));
        if b <= a {
            return Ok(());
        }
        self.chart
            .draw_series(std::iter::once(Rectangle::new(
                [(a, self.y.lo), (b, self.y.hi)],
                fill.filled(),
            )))
            .map_err(e)?;
        Ok(())
    }

    /// A filled rectangle, cut to the frame.
    pub fn rect(&mut self, a: Pt, b: Pt, style: ShapeStyle) -> Result<(), String> {
        let (x0, x1) = (self.x.clamp(a.0.min(b.0)), self.x.clamp(a.0.max(b.0)));
        let (y0, y1) = (self.y.clamp(a.1.min(b.1)), self.y.clamp(a.1.max(b.1)));
        if x1 <= x0 || y1 <= y0 {
            return Ok(());
        }
        self.chart
            .draw_series(std::iter::once(Rectangle::new([(x0, y0), (x1, y1)], style)))
            .map_err(e)?;
        Ok(())
    }

    /// A point, if it is inside the frame.
    pub fn dot(&mut self, p: Pt, radius: i32, style: ShapeStyle) -> Result<(), String> {
        if p.0.is_finite() && p.1.is_finite() && self.rect.contains(p) {
            self.chart
                .draw_series(std::iter::once(Circle::new(p, radius, style)))
                .map_err(e)?;
        }
        Ok(())
    }

    /// A horizontal interval `lo..hi` at `y` with caps; an end beyond the
    /// frame is drawn as an arrowhead at the frame's edge.
    pub fn interval_h(
        &mut self,
        y: f64,
        lo: f64,
        hi: f64,
        style: ShapeStyle,
    ) -> Result<(), String> {
        if !(lo.is_finite() && hi.is_finite() && self.y.contains(y)) {
            return Ok(());
        }
        let Some((a, b)) = self.rect.segment((lo, y), (hi, y)) else {
            return self.beyond(y, lo, style);
        };
        self.chart
            .draw_series(std::iter::once(PathElement::new([a, b], style)))
            .map_err(e)?;
        for (end, cut, dir) in [(a, lo < self.x.lo, -1), (b, hi > self.x.hi, 1)] {
            if cut {
                let head = vec![(0, 0), (-dir * 18, -11), (-dir * 18, 11)];
                self.mark(end, Polygon::new(head, style.filled()))?;
            } else {
                self.mark(end, PathElement::new([(0, -12), (0, 12)], style))?;
            }
        }
        Ok(())
    }

    /// An interval wholly off the frame: an arrowhead at the side it lies.
    fn beyond(&mut self, y: f64, v: f64, style: ShapeStyle) -> Result<(), String> {
        let (x, dir) = if v < self.x.lo {
            (self.x.lo, -1)
        } else {
            (self.x.hi, 1)
        };
        let head = vec![(0, 0), (-dir * 18, -11), (-dir * 18, 11)];
        self.mark((x, y), Polygon::new(head, style.filled()))
    }

    /// A shape in pixel offsets around data point `at`.
    pub fn mark<E>(&mut self, at: Pt, shape: E) -> Result<(), String>
    where
        E: Drawable<DB>,
        for<'b> &'b E: PointCollection<'b, (i32, i32)>,
    {
        self.chart
            .draw_series(std::iter::once(EmptyElement::at(at) + shape))
            .map_err(e)?;
        Ok(())
    }

    /// A vertical interval `lo..hi` at `x` with caps (arrowheads where cut).
    pub fn interval_v(
        &mut self,
        x: f64,
        lo: f64,
        hi: f64,
        style: ShapeStyle,
    ) -> Result<(), String> {
        if !(lo.is_finite() && hi.is_finite() && self.x.contains(x)) {
            return Ok(());
        }
        let Some((a, b)) = self.rect.segment((x, lo), (x, hi)) else {
            return Ok(());
        };
        self.chart
            .draw_series(std::iter::once(PathElement::new([a, b], style)))
            .map_err(e)?;
        for (end, cut, dir) in [(a, lo < self.y.lo, 1), (b, hi > self.y.hi, -1)] {
            if cut {
                let head = vec![(0, 0), (-11, -dir * 18), (11, -dir * 18)];
                self.mark(end, Polygon::new(head, style.filled()))?;
            } else {
                self.mark(end, PathElement::new([(-10, 0), (10, 0)], style))?;
            }
        }
        Ok(())
    }

    /// Text anchored at data point `p`, shifted by `offset` pixels.
    pub fn text(
        &mut self,
        p: Pt,
        offset: (i32, i32),
        text: &str,
        style: TextStyle<'_>,
    ) -> Result<(), String> {
        let mark = EmptyElement::at(p) + Text::new(text.to_string(), offset, style);
        self.chart.draw_series(std::iter::once(mark)).map_err(e)?;
        Ok(())
    }

    /// The pixel position of data point `p` on the whole canvas.
    pub fn pixel(&self, p: Pt) -> (i32, i32) {
        self.chart.backend_coord(&p)
    }
}
