//! The report's figures: the default charts of a result directory, drawn
//! in memory as SVG for the HTML (and as PNG files in the directory's
//! `charts/` for the Markdown twin, when missing), and the charts added
//! with `goodhart plot`, read from the files it wrote.

use super::{Figure, ReportError, esc};
use crate::charts::defaults::{AnyChart, charts_for, record_charts};
use crate::charts::{Chart, Format, render, to_svg};
use crate::output::resultdir::CHART_INDEX;
use base64::Engine as _;
use std::path::{Path, PathBuf};

/// The path of `to` relative to directory `from_dir`, with `/`.
pub fn relative(from_dir: &Path, to: &Path) -> String {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (from, to) = (abs(from_dir), abs(to));
    let common = from
        .components()
        .zip(to.components())
        .take_while(|(a, b)| a == b)
        .count();
    let ups = from.components().count() - common;
    let mut rel = PathBuf::new();
    (0..ups).for_each(|_| rel.push(".."));
    to.components().skip(common).for_each(|c| rel.push(c));
    rel.to_string_lossy().replace('\\', "/")
}

/// An SVG document's `<svg>` element, without the XML declaration.
fn svg_element(svg: &str) -> &str {
    let body = svg.trim_start_matches(|c| c != '<').trim();
    if body.starts_with("<?xml") {
        body.split_once("?>").map_or(body, |x| x.1).trim()
    } else {
        body
    }
}

/// A result directory's default charts with their figures, in the order
/// the chart set lists them. PNGs missing from `dir/charts` (a run with
/// `--no-charts`) are drawn there and recorded, so the Markdown twin's
/// links work; the caller holds the directory's lock.
pub fn defaults(dir: &Path, report_dir: &Path) -> Result<Vec<(AnyChart, Figure)>, ReportError> {
    let chart_dir = dir.join("charts");
    let mut drawn = Vec::new();
    let mut out = Vec::new();
    for c in charts_for(dir, &[])? {
        let png = chart_dir.join(format!("{}.png", c.stem()));
        if !png.exists() {
            drawn.extend(render(&c, &chart_dir, Format::Png)?);
        }
        let figure = Figure {
            title: c.title(),
            html: svg_element(&to_svg(&c)?).to_string(),
            link: relative(report_dir, &png),
        };
        out.push((c, figure));
    }
    if !drawn.is_empty() {
        record_charts(&chart_dir, &drawn)?;
    }
    Ok(out)
}

/// Charts that `goodhart plot` added to `dir/charts` beyond the default
/// set (stems in `defaults`): the SVG inlined when there is one, else the
/// PNG embedded as data, so the HTML stays self-contained.
pub fn added(dir: &Path, defaults: &[String], report_dir: &Path) -> Vec<Figure> {
    let chart_dir = dir.join("charts");
    let listed = std::fs::read_to_string(chart_dir.join(CHART_INDEX)).unwrap_or_default();
    let mut stems: Vec<&str> = listed
        .lines()
        .filter_map(|l| l.strip_suffix(".png").or_else(|| l.strip_suffix(".svg")))
        .filter(|s| !defaults.iter().any(|d| d == s))
        .collect();
    stems.dedup();
    let mut out = Vec::new();
    for stem in stems {
        let (svg, png) = (
            chart_dir.join(format!("{stem}.svg")),
            chart_dir.join(format!("{stem}.png")),
        );
        let title = format!("{stem} (added with goodhart plot)");
        let link = relative(report_dir, if png.exists() { &png } else { &svg });
        let html = if let Ok(text) = std::fs::read_to_string(&svg) {
            svg_element(&text).to_string()
        } else if let Ok(bytes) = std::fs::read(&png) {
            format!(
                "<img src=\"data:image/png;base64,{}\" alt=\"{}\"/>",
                base64::engine::general_purpose::STANDARD.encode(bytes),
                esc(&title)
            )
        } else {
            continue;
        };
        out.push(Figure { title, html, link });
    }
    out
}
