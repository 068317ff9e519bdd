//! Publication-quality charts drawn with plotters, from result files only.
//!
//! Every chart kind is a value implementing [`Chart`]: it draws itself on
//! any plotters backend, so one drawing routine yields both the PNG
//! (1600x1000, bitmap) and the SVG. Text is laid out with the DejaVu Sans
//! font embedded in the binary (no fontconfig or freetype). Colours come
//! from the Okabe-Ito palette, which stays distinguishable with the common
//! colour-vision deficiencies; heatmaps use viridis.

pub mod data;
pub mod defaults;
mod series;
mod sweep;
pub mod agents;

pub use series::{Comparison, Dashboard, Hysteresis, TimeSeries};
pub use sweep::{Heatmap, MorrisScatter, ResponseCurves, SobolBars};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// Pixel size of every chart.
pub const SIZE: (u32, u32) = (1600, 1000);

/// Errors drawing or writing a chart.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("drawing {chart}: {message}")]
    Draw { chart: String, message: String },
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
    #[error("{0}")]
    Data(String),
}

/// Which files to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
    Both,
}

/// A chart that can draw itself on any backend.
pub trait Chart {
    /// File name without extension.
    fn stem(&self) -> String;
    /// What the chart shows (also its title).
    fn title(&self) -> String;
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

static FONTS: Once = Once::new();

/// Registers the embedded DejaVu Sans as plotters' "sans-serif".
pub fn register_fonts() {
    FONTS.call_once(|| {
        let regular: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
        let bold: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
        // The bytes are fixed at compile time and known to be valid fonts.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, regular);
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, bold);
    });
}

/// Okabe & Ito (2008) colour-blind-safe palette, in plotting order.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(230, 159, 0),   // orange
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
];

pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Viridis colour map at t in [0, 1] (interpolated from 9 anchors).
pub fn viridis(t: f64) -> RGBColor {
    const V: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (V.len() - 1) as f64;
    let i = (x.floor() as usize).min(V.len() - 2);
    let f = x - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    RGBColor(
        mix(V[i].0, V[i + 1].0),
        mix(V[i].1, V[i + 1].1),
        mix(V[i].2, V[i + 1].2),
    )
}

/// Text styles, sized for a 1600x1000 canvas.
pub fn font(size: f64) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&BLACK)
}

/// Bold title text, shrunk so that `title` fits the canvas width.
pub fn title_font(title: &str) -> TextStyle<'static> {
    // DejaVu Sans Bold averages about 0.64 em per character.
    let fit = (SIZE.0 as f64 - 80.0) / (0.64 * title.chars().count().max(1) as f64);
    ("sans-serif", fit.clamp(24.0, 42.0), FontStyle::Bold)
        .into_font()
        .color(&BLACK)
}

/// Draws the chart's title and returns the area below it.
pub fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let area = root
        .titled(title, title_font(title))
        .map_err(|e| e.to_string())?;
    Ok(area.margin(10, 0, 0, 0))
}

/// Draws `chart` into `dir/<stem>.png` and/or `.svg`, each atomically.
pub fn render<C: Chart>(chart: &C, dir: &Path, format: Format) -> Result<Vec<PathBuf>, ChartError> {
    register_fonts();
    let stem = chart.stem();
    let err = |message: String| ChartError::Draw {
        chart: stem.clone(),
        message,
    };
    std::fs::create_dir_all(dir).map_err(|e| crate::output::io_error(dir, e))?;
    let mut written = Vec::new();
    if matches!(format, Format::Png | Format::Both) {
        let path = dir.join(format!("{stem}.png"));
        // The bitmap backend encodes by extension, so the temporary file
        // also ends in .png; it is renamed into place once complete.
        let tmp = dir.join(format!(".{stem}.partial.png"));
        {
            let root = BitMapBackend::new(&tmp, SIZE).into_drawing_area();
            chart.draw(&root).map_err(err)?;
            root.present().map_err(|e| err(e.to_string()))?;
        }
        std::fs::rename(&tmp, &path).map_err(|e| crate::output::io_error(&path, e))?;
        written.push(path);
    }
    if matches!(format, Format::Svg | Format::Both) {
        let path = dir.join(format!("{stem}.svg"));
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            chart.draw(&root).map_err(err)?;
            root.present().map_err(|e| err(e.to_string()))?;
        }
        crate::output::write_atomic(&path, svg.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// Draws `chart` as an SVG string (for reports).
pub fn to_svg<C: Chart>(chart: &C) -> Result<String, ChartError> {
    register_fonts();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        chart.draw(&root).map_err(|message| ChartError::Draw {
            chart: chart.stem(),
            message,
        })?;
        root.present().map_err(|e| ChartError::Draw {
            chart: chart.stem(),
            message: e.to_string(),
        })?;
    }
    Ok(svg)
}

/// Draws the series legend (labels registered with `.label()`), in the
/// project's style, at `position`.
pub fn draw_legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    size: f64,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .legend_area_size(60)
        .label_font(font(size))
        .background_style(WHITE.mix(0.88))
        .border_style(RGBColor(180, 180, 180))
        .draw()
        .map_err(|e| e.to_string())
}

/// The legend corner that hides the fewest data points: each corner box
/// covers 40% of the width and 30% of the height of the plot.
pub fn quiet_corner(
    points: impl Iterator<Item = (f64, f64)>,
    x: (f64, f64),
    y: (f64, f64),
) -> SeriesLabelPosition {
    let mut counts = [0usize; 4];
    for (px, py) in points {
        let u = (px - x.0) / (x.1 - x.0);
        let v = (py - y.0) / (y.1 - y.0);
        let (left, right, low, high) = (u < 0.4, u > 0.6, v < 0.3, v > 0.7);
        counts[0] += usize::from(left && high);
        counts[1] += usize::from(right && high);
        counts[2] += usize::from(left && low);
        counts[3] += usize::from(right && low);
    }
    let order = [
        (3, SeriesLabelPosition::LowerRight),
        (1, SeriesLabelPosition::UpperRight),
        (0, SeriesLabelPosition::UpperLeft),
        (2, SeriesLabelPosition::LowerLeft),
    ];
    order
        .into_iter()
        .min_by_key(|(i, _)| counts[*i])
        .map_or(SeriesLabelPosition::UpperRight, |(_, p)| p)
}

/// Axis range covering `values` with 5% padding (and a sensible span when
/// all values are equal).
pub fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        let pad = if lo.abs() > 1e-9 { lo.abs() * 0.1 } else { 1.0 };
        return (lo - pad, hi + pad);
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

/// Tick labels for an axis spanning `lo..hi`: enough decimals to tell
/// neighbouring ticks apart, k/M suffixes for large numbers.
pub fn ticker(lo: f64, hi: f64) -> impl Fn(&f64) -> String {
    let span = (hi - lo).abs().max(1e-12);
    let decimals = (-(span / 5.0).log10().floor()).clamp(0.0, 6.0) as usize;
    move |v: &f64| {
        let v = *v + 0.0; // no "-0"
        let a = v.abs();
        if a >= 1e6 && span >= 1e5 {
            format!("{:.1}M", v / 1e6)
        } else if a >= 1e4 && span >= 1e3 {
            format!("{:.0}k", v / 1e3)
        } else {
            format!("{v:.decimals$}")
        }
    }
}

/// Tick label: few significant digits, thousands separators for large
/// numbers.
pub fn tick(v: f64) -> String {
    let v = v + 0.0;
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 100.0 || v == v.round() {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.1}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_ends_and_ticks() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(tick(0.25), "0.25");
        assert_eq!(tick(2_500_000.0), "2.5M");
        assert_eq!(tick(-45_000.0), "-45k");
        assert_eq!(padded_range([1.0, 1.0].into_iter()), (0.9, 1.1));
        let t = ticker(0.95, 1.25);
        assert_eq!(
            (t(&1.05), t(&1.1)),
            ("1.05".to_string(), "1.10".to_string())
        );
        assert_eq!(ticker(-0.15, 0.05)(&-0.0), "0.00");
        assert_eq!(ticker(0.0, 52.0)(&25.0), "25");
        assert_eq!(ticker(0.0, 600_000.0)(&250_000.0), "250k");
    }
}
