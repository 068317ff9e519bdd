//! Legends and colour bars: drawn in their own strip beside or below a
//! plot, never over its data; and the series colours (Okabe-Ito, dashed
//! from the eighth series on).

use super::axis::Axis;
use super::frame::{e, widest};
use super::{colour, font, viridis};
use plotters::coord::Shift;
use plotters::prelude::*;

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug)]
pub enum Key {
    /// A line (dashed or solid) of a colour.
    Line(RGBColor, bool),
    /// A line with its shaded interval band.
    LineBand(RGBColor, bool),
    /// A filled box.
    Box(RGBColor),
    /// A point with an interval.
    Dot(RGBColor),
    /// A shaded span (a ramp).
    Span(RGBColor),
}

/// Draws `entries` in rows along the bottom of `area` and returns the area
/// above them: a legend beside the data, so it never covers any.
pub fn legend_below<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, Key)],
    size: f64,
) -> Result<DrawingArea<DB, Shift>, String> {
    if entries.is_empty() {
        return Ok(area.clone());
    }
    let (w, h) = area.dim_in_pixel();
    let style = font(size);
    let line_h = (size * 1.6) as i32;
    let key_w = 56;
    // Lay the entries out in rows that fit the width.
    let mut rows: Vec<Vec<(i32, &(String, Key))>> = vec![Vec::new()];
    let mut x = 30;
    for entry in entries {
        let text_w = area
            .estimate_text_size(&entry.0, &style)
            .map_or(entry.0.len() as i32 * 16, |s| s.0 as i32);
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
        for (x, (label, key)) in row {
            draw_key(&strip, *key, (*x, y), key_w)?;
            strip
                .draw(&Text::new(
                    label.clone(),
                    (*x + key_w + 12, y - (size * 0.6) as i32),
                    style.clone(),
                ))
                .map_err(e)?;
        }
    }
    Ok(top)
}

fn draw_key<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    key: Key,
    (x, y): (i32, i32),
    w: i32,
) -> Result<(), String> {
    let line = |c: RGBColor, dashed: bool| -> Result<(), String> {
        if dashed {
            for k in 0..3 {
                let x0 = x + k * 20;
                area.draw(&PathElement::new(
                    [(x0, y), (x0 + 12, y)],
                    c.stroke_width(5),
                ))
                .map_err(e)?;
            }
            Ok(())
        } else {
            area.draw(&PathElement::new([(x, y), (x + w, y)], c.stroke_width(5)))
                .map_err(e)
        }
    };
    match key {
        Key::Line(c, dashed) => line(c, dashed)?,
        Key::LineBand(c, dashed) => {
            area.draw(&Rectangle::new(
                [(x, y - 12), (x + w, y + 12)],
                c.mix(0.2).filled(),
            ))
            .map_err(e)?;
            line(c, dashed)?;
        }
        Key::Box(c) => area
            .draw(&Rectangle::new(
                [(x + 8, y - 12), (x + w - 8, y + 12)],
                c.filled(),
            ))
            .map_err(e)?,
        Key::Dot(c) => {
            area.draw(&PathElement::new([(x, y), (x + w, y)], c.stroke_width(3)))
                .map_err(e)?;
            area.draw(&Circle::new((x + w / 2, y), 9, c.filled()))
                .map_err(e)?;
        }
        Key::Span(c) => area
            .draw(&Rectangle::new(
                [(x, y - 14), (x + w, y + 14)],
                c.mix(0.25).filled(),
            ))
            .map_err(e)?,
    }
    Ok(())
}

/// The style of series `i`: an Okabe-Ito colour, dashed after the first
/// seven so that up to fourteen series stay distinguishable; beyond that,
/// series need direct labels or a colour bar.
pub fn series_style(i: usize) -> (RGBColor, bool) {
    (colour(i), (i / super::PALETTE.len()) % 2 == 1)
}

/// A vertical colour bar for viridis values from `axis.lo` to `axis.hi`,
/// titled `title`, filling `area`.
pub fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    axis: &Axis,
    title: &str,
) -> Result<(), String> {
    let mut cb = ChartBuilder::on(area)
        .margin_top(20)
        .margin_bottom(100)
        .margin_right(90)
        .y_label_area_size(
            widest(
                area,
                &axis
                    .ticks
                    .iter()
                    .map(|&t| axis.label(t))
                    .collect::<Vec<_>>(),
                26.0,
            ) + 24,
        )
        .caption(title, font(26.0))
        .build_cartesian_2d(0.0..1.0, axis.coord())
        .map_err(e)?;
    let a = axis.clone();
    let f = move |v: &f64| a.label(*v);
    cb.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .label_style(font(26.0))
        .y_label_formatter(&f)
        .draw()
        .map_err(e)?;
    let steps = 120;
    cb.draw_series((0..steps).map(|i| {
        let t0 = i as f64 / steps as f64;
        let t1 = (i + 1) as f64 / steps as f64;
        Rectangle::new(
            [
                (0.0, axis.lo + axis.span() * t0),
                (1.0, axis.lo + axis.span() * t1),
            ],
            viridis((t0 + t1) / 2.0).filled(),
        )
    }))
    .map_err(e)?;
    Ok(())
}
