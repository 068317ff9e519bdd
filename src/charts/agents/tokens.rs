//! The distribution of tokens per employee: a histogram outline per arm
//! over log-spaced bins (tokens run over decades), each arm's median as a
//! dashed line of its colour, and the usage bar of an adoption target.

use super::TokenDistribution;
use crate::charts::axis::{Axis, Fit, fixed, shared_decimals};
use crate::charts::frame::{Frame, Key, Spec, legend_below, series_style};
use crate::charts::series::arm_label;
use crate::charts::{Chart, titled};
use plotters::coord::Shift;
use plotters::prelude::*;

const GREY: RGBColor = RGBColor(90, 90, 90);

/// The axis shows at most this many decades below the largest value;
/// smaller values (and zeros, which a log axis cannot hold) are counted
/// in the legend instead.
const DECADES: f64 = 6.0;

/// One arm's curve: the outline of its histogram (each bin's % of the
/// employees drawn flat across the bin), its median and the % of its
/// employees left of the axis.
struct Curve {
    points: Vec<(f64, f64)>,
    median: f64,
    below: f64,
}

/// Bins: about the square root of the employees per arm, 10 to 40.
fn bin_count(n: usize) -> usize {
    ((n as f64).sqrt() as usize).clamp(10, 40)
}

/// The median of `xs` (NaN for none).
fn median(xs: &[f64]) -> f64 {
    let mut s: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

/// The histogram outline of `tokens` over `bins` equal bins of the log
/// axis `x`, in % of all of `tokens`.
fn curve(tokens: &[f64], x: &Axis, bins: usize) -> Curve {
    let width = x.span() / bins as f64;
    let mut counts = vec![0usize; bins];
    let mut below = 0usize;
    for &t in tokens {
        let at = x.at(t);
        if at.is_nan() || at < x.lo {
            below += 1;
            continue;
        }
        let k = ((at - x.lo) / width) as usize;
        counts[k.min(bins - 1)] += 1;
    }
    let total = tokens.len().max(1) as f64;
    Curve {
        points: counts
            .iter()
            .enumerate()
            .flat_map(|(k, &c)| {
                let pct = 100.0 * c as f64 / total;
                let edge = x.lo + k as f64 * width;
                [(edge, pct), (edge + width, pct)]
            })
            .collect(),
        median: median(tokens),
        below: 100.0 * below as f64 / total,
    }
}

impl TokenDistribution {
    /// The log axis of the tokens: all of them, down to [`DECADES`] below
    /// the largest.
    fn x_axis(&self) -> Axis {
        let all = || self.arms.iter().flat_map(|(_, v)| v.iter().copied());
        let max = all().filter(|v| v.is_finite()).fold(0.0, f64::max);
        let floor = max * 10f64.powf(-DECADES);
        let bar = self.bar.into_iter();
        Axis::fit_log(all().filter(|&v| v >= floor).chain(bar), 0.03, 7)
    }

    /// Legend entries: each arm with its median (and any employees left
    /// of the axis), then the usage bar.
    fn legend(&self, curves: &[Curve], x: &Axis) -> Vec<(String, Key)> {
        let decimals = shared_decimals(curves.iter().map(|c| c.median), 3);
        let mut out: Vec<(String, Key)> = self
            .arms
            .iter()
            .zip(curves)
            .enumerate()
            .map(|(i, ((name, _), c))| {
                let (colour, dashed) = series_style(i);
                let mut text = format!(
                    "{}: median {} MTok",
                    arm_label(&self.scenario, name),
                    fixed(c.median, decimals)
                );
                if c.below > 0.0 {
                    let edge = x.value(x.lo);
                    text.push_str(&format!(
                        " ({}% below {})",
                        fixed(c.below, 1),
                        fixed(edge, shared_decimals([edge], 2))
                    ));
                }
                (text, Key::Line(colour, dashed))
            })
            .collect();
        if let Some(bar) = self.bar {
            out.push((
                format!("usage bar of the base arm's adoption target: {bar} MTok measured a week"),
                Key::Line(GREY, false),
            ));
        }
        out
    }
}

impl Chart for TokenDistribution {
    fn stem(&self) -> String {
        "agents_tokens".into()
    }

    fn title(&self) -> String {
        format!(
            "{}: tokens per employee in week {}, by arm ({} replicates pooled; thin dashed lines are the medians)",
            self.scenario, self.week, self.replicates
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let x = self.x_axis();
        let per_arm = self.arms.iter().map(|a| a.1.len()).max().unwrap_or(0);
        let bins = bin_count(per_arm);
        let curves: Vec<Curve> = self.arms.iter().map(|a| curve(&a.1, &x, bins)).collect();
        let area = legend_below(&area, &self.legend(&curves, &x), 26.0)?;
        let y = Axis::fit(
            curves.iter().flat_map(|c| c.points.iter().map(|p| p.1)),
            &Fit {
                bounds: (0.0, 100.0),
                include: vec![0.0],
                ..Fit::default()
            },
        );
        let ratio = 10f64.powf(x.span() / bins as f64);
        let x_desc = format!("Tokens used in week {} (MTok, log scale)", self.week);
        let y_desc = format!("Employees (% per bin; bins ×{} wide)", fixed(ratio, 2));
        let mut f = Frame::new(&area, Spec::new(x, y, &x_desc, &y_desc))?;
        if let Some(bar) = self.bar {
            let at = f.x.at(bar);
            f.vline(at, GREY.stroke_width(3), false)?;
        }
        for (i, c) in curves.iter().enumerate() {
            let (colour, dashed) = series_style(i);
            if dashed {
                f.dashed(&c.points, colour.stroke_width(4))?;
            } else {
                f.line(&c.points, colour.stroke_width(4))?;
            }
            let at = f.x.at(c.median);
            f.vline(at, colour.stroke_width(2), true)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_count_every_employee_once() {
        let x = Axis::log(1.0, 1000.0, 7);
        let tokens = [0.0, 0.5, 1.0, 10.0, 999.0, 1000.0];
        let c = curve(&tokens, &x, 10);
        // Two points per bin, its left and right edges at the same height.
        assert_eq!(c.points.len(), 20);
        assert!(
            c.points
                .chunks(2)
                .all(|b| b[0].1 == b[1].1 && b[0].0 < b[1].0)
        );
        let total: f64 = c.points.iter().step_by(2).map(|p| p.1).sum::<f64>() + c.below;
        assert!((total - 100.0).abs() < 1e-9, "{total}");
        assert!((c.below - 200.0 / 6.0).abs() < 1e-9);
        assert_eq!(median(&tokens), 5.5);
        assert!(median(&[]).is_nan());
        assert_eq!(bin_count(2500), 40);
    }
}
