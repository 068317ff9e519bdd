//! Drawing helpers shared by the agent charts: the legend strip along the
//! bottom, a panel of values by decile with CI whiskers, and their labels.

use super::Ci;
use super::data::Attribute;
use crate::charts::{colour, font, padded_range, tick};
use plotters::coord::Shift;
use plotters::prelude::*;

pub(super) fn e<T: std::fmt::Display>(x: T) -> String {
    x.to_string()
}

/// A strip along the bottom of `area` with one entry per arm (line and
/// name in the arm's colour order), wrapped onto more rows if the names
/// do not fit one; returns the area above it.
pub(super) fn legend_strip<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    names: &[&str],
    note: Option<&str>,
) -> Result<DrawingArea<DB, Shift>, String> {
    const ROW: i32 = 46;
    let width = area.dim_in_pixel().0 as i32;
    let style = font(28.0);
    // (x, row) of each entry, then of the note.
    let mut at = Vec::with_capacity(names.len() + 1);
    let (mut x, mut row) = (40, 0);
    for (i, name) in names.iter().chain(note.as_slice()).enumerate() {
        let mark = if i < names.len() { 62 } else { 0 };
        let w = mark + area.estimate_text_size(name, &style).map_err(e)?.0 as i32;
        if x > 40 && x + w > width - 20 {
            (x, row) = (40, row + 1);
        }
        at.push((x, row));
        x += w + 50;
    }
    let height = ROW * (row + 1) + 10;
    let (top, strip) = area.split_vertically(area.dim_in_pixel().1 as i32 - height);
    for (i, (name, &(x, row))) in names.iter().zip(&at).enumerate() {
        let (c, y) = (colour(i), 8 + ROW * row + 15);
        strip
            .draw(&PathElement::new([(x, y), (x + 50, y)], c.stroke_width(6)))
            .map_err(e)?;
        strip
            .draw(&Circle::new((x + 25, y), 8, c.filled()))
            .map_err(e)?;
        strip
            .draw(&Text::new(name.to_string(), (x + 62, y - 15), style.clone()))
            .map_err(e)?;
    }
    if let (Some(note), Some(&(x, row))) = (note, at.last().filter(|_| note.is_some())) {
        let grey = style.color(&RGBColor(80, 80, 80));
        strip
            .draw(&Text::new(note.to_string(), (x, 8 + ROW * row), grey))
            .map_err(e)?;
    }
    Ok(top)
}

/// One panel of values by decile: a line per arm with 95% CI whiskers
/// (arms dodged sideways so that whiskers do not hide each other), and a
/// zero line when the values change sign.
pub(super) fn decile_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    x_desc: &str,
    y_desc: &str,
    arms: &[(&str, &[Ci])],
    zero_line: bool,
) -> Result<(), String> {
    let (lo, hi) = padded_range(
        arms.iter()
            .flat_map(|(_, v)| v.iter().flat_map(|c| [c.0, c.1, c.2])),
    );
    let mut chart = ChartBuilder::on(area)
        .caption(caption, font(32.0))
        .margin(20)
        .x_label_area_size(100)
        .y_label_area_size(120)
        .build_cartesian_2d(0.5..10.5, lo..hi)
        .map_err(e)?;
    let yfmt = tick_label(lo, hi);
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(font(28.0))
        .label_style(font(26.0))
        .x_labels(10)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&yfmt)
        .disable_x_mesh()
        .max_light_lines(1)
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(e)?;
    if zero_line && lo < 0.0 && hi > 0.0 {
        chart
            .draw_series(std::iter::once(PathElement::new(
                [(0.5, 0.0), (10.5, 0.0)],
                RGBColor(90, 90, 90).stroke_width(2),
            )))
            .map_err(e)?;
    }
    let n = arms.len() as f64;
    for (i, (_, values)) in arms.iter().enumerate() {
        let c = colour(i);
        let dx = (i as f64 - (n - 1.0) / 2.0) * 0.12;
        let pts: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .map(|(k, v)| (k as f64 + 1.0 + dx, v.0))
            .collect();
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(4)))
            .map_err(e)?;
        for (&(x, _), v) in pts.iter().zip(values.iter()) {
            if v.1.is_finite() && v.2.is_finite() {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        [(x, v.1), (x, v.2)],
                        c.stroke_width(3),
                    )))
                    .map_err(e)?;
            }
        }
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 7, c.filled())))
            .map_err(e)?;
    }
    Ok(())
}

/// Tick labels for an axis spanning `lo..hi`: two decimals more than the
/// span's first digit needs, trailing zeros dropped (so ticks at 0.05
/// steps read 0.05, 0.1, 0.15), never "-0".
pub(super) fn tick_label(lo: f64, hi: f64) -> impl Fn(&f64) -> String {
    let span = (hi - lo).abs().max(1e-12);
    let decimals = (2.0 - span.log10().floor()).clamp(0.0, 8.0) as usize;
    move |v: &f64| {
        let s = format!("{v:.decimals$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        if s == "-0" { "0".into() } else { s }
    }
}

/// "ai_speedup decile (1: mean -0.15, 10: mean 0.62)".
pub(super) fn decile_desc(attr: Attribute, means: &[f64]) -> String {
    match (means.first(), means.last()) {
        (Some(a), Some(b)) => format!(
            "{} decile (1: mean {}, 10: mean {})",
            attr.name(),
            tick(*a),
            tick(*b)
        ),
        _ => format!("{} decile", attr.name()),
    }
}

/// What the points and whiskers of a decile chart are.
pub(super) fn ci_note(replicates: usize) -> String {
    if replicates > 1 {
        format!("(mean and 95% CI over {replicates} replicates)")
    } else {
        "(one replicate: no CI)".into()
    }
}

