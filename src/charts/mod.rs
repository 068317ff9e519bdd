//! Publication-quality charts drawn with plotters, from result files only.
//!
//! Every chart kind is a value implementing [`Chart`]: it draws itself on
//! any plotters backend, so one drawing routine yields both the PNG
//! (1600x1000, bitmap) and the SVG. Text is laid out with the DejaVu Sans
//! font embedded in the binary (no fontconfig or freetype). Colours come
//! from the Okabe-Ito palette, which stays distinguishable with the common
//! colour-vision deficiencies; heatmaps use viridis.

pub mod agents;
pub mod axis;
mod clip;
pub mod data;
pub mod defaults;
mod effects;
pub mod explore;
mod frame;
mod legend;
mod screening;
mod series;
mod sweep;

pub use effects::Differences;
pub use explore::{ExploreDiscovery, ExploreOutcomes, ExploreRegret, ExploreSatisficing};
pub use screening::{MorrisScatter, SobolBars};
pub use series::{Comparison, Dashboard, Hysteresis, TimeSeries};
pub use sweep::{Heatmap, ResponseCurves, Scatter};

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

/// The smallest text size on any chart, in plotters' units: a 1600-pixel
/// chart printed 16 cm wide has 100 pixels per cm, 7 pt is 0.247 cm, and
/// plotters draws text of size s with an em of s / 1.24 pixels (the SVG's
/// font-size), so 7 pt needs 0.247 x 100 x 1.24 = 30.6.
pub const MIN_TEXT: f64 = 31.0;

/// Text style at `size` pixels (never below [`MIN_TEXT`]).
pub fn font<'a>(size: f64) -> TextStyle<'a> {
    ("sans-serif", size.max(MIN_TEXT)).into_font().color(&BLACK)
}

/// Title text size: larger than any axis text.
const TITLE_SIZE: f64 = 42.0;

/// Breaks `text` into lines no wider than `width` pixels at `style`.
pub fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    width: u32,
) -> Vec<String> {
    let fits = |s: &str| {
        area.estimate_text_size(s, style)
            .map_or(s.len() as u32 * 20 <= width, |d| d.0 <= width)
    };
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if fits(&candidate) || current.is_empty() {
            current = candidate;
        } else {
            lines.push(std::mem::replace(&mut current, word.to_string()));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// Draws the chart's title (wrapped onto as many lines as it needs) and
/// returns the area below it.
pub fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let style: TextStyle = ("sans-serif", TITLE_SIZE, FontStyle::Bold)
        .into_font()
        .color(&BLACK);
    let width = root.dim_in_pixel().0.saturating_sub(80);
    let lines = wrap(root, title, &style, width);
    let line_h = (TITLE_SIZE * 1.25) as i32;
    for (i, line) in lines.iter().enumerate() {
        root.draw(&Text::new(
            line.clone(),
            (40, 18 + i as i32 * line_h),
            style.clone(),
        ))
        .map_err(|e| e.to_string())?;
    }
    let (_, below) = root.split_vertically(24 + line_h * lines.len() as i32);
    Ok(below)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_ends() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(f64::NAN), RGBColor(68, 1, 84));
    }
}
