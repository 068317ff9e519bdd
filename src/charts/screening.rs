//! Sensitivity charts: Sobol indices as ranked bars and Morris screening
//! as ranked mu* bars beside the mu*-sigma plane. Parameters are ranked by
//! total-order index (Sobol) or mu* (Morris), most influential on top;
//! every interval has caps, or an arrowhead where the axis cuts it; the
//! title gives the design's size (base samples or trajectories, points,
//! replicates).

use super::axis::{Axis, Fit};
use super::frame::{Frame, Key, Sizes, Spec, legend_below, series_style};
use super::{Chart, MIN_TEXT, font, titled};
use crate::model::metrics::Metric;
use crate::results::Statistic;
use plotters::coord::Shift;
use plotters::prelude::*;

type Ci = (f64, f64, f64);

const GREY: RGBColor = RGBColor(90, 90, 90);

fn when(s: Statistic) -> &'static str {
    if s == Statistic::Final {
        "final week"
    } else {
        "run average"
    }
}

/// Indices of `scores` from largest to smallest, NaN last.
fn ranked(scores: impl Iterator<Item = f64>) -> Vec<usize> {
    let s: Vec<f64> = scores.collect();
    let mut order: Vec<usize> = (0..s.len()).collect();
    let key = |i: usize| {
        if s[i].is_finite() {
            s[i]
        } else {
            f64::NEG_INFINITY
        }
    };
    order.sort_by(|&a, &b| key(b).total_cmp(&key(a)).then(a.cmp(&b)));
    order
}

/// An axis holding every estimate and 0, and each interval as far as a
/// quarter of the axis beyond the estimates (further is an arrowhead).
fn index_axis(estimates: &[f64], intervals: &[(f64, f64)], bounds: (f64, f64)) -> Axis {
    let fin = || estimates.iter().copied().filter(|v| v.is_finite());
    let lo = fin().fold(0f64, f64::min);
    let hi = fin().fold(0f64, f64::max);
    let reach = (hi - lo).max(0.1) * 0.25;
    let ends = intervals
        .iter()
        .flat_map(|&(a, b)| [a, b])
        .filter(|v| v.is_finite())
        .map(|v| v.clamp(lo - reach, hi + reach));
    let fit = Fit {
        bounds,
        include: vec![0.0],
        ..Fit::default()
    };
    Axis::fit(fin().chain(ends), &fit)
}

/// First- and total-order Sobol indices of one metric, with 95% CIs.
pub struct SobolBars {
    pub scenario: String,
    pub metric: Metric,
    pub statistic: Statistic,
    pub params: Vec<String>,
    pub first: Vec<Ci>,
    pub total: Vec<Ci>,
    /// Base samples N (the design runs N (k + 2) points).
    pub samples: usize,
    pub points: usize,
    pub replicates: usize,
    pub bootstrap: usize,
}

impl Chart for SobolBars {
    fn stem(&self) -> String {
        format!("sobol_{}_{}", self.metric, self.statistic.word())
    }

    fn title(&self) -> String {
        format!(
            "{}: Sobol indices of {} ({}), ranked by total effect; N = {} base samples, {} points x {} replicates",
            self.scenario,
            self.metric.label(),
            when(self.statistic),
            self.samples,
            self.points,
            self.replicates
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let (c1, ct) = (series_style(0).0, series_style(1).0);
        let entries = vec![
            ("S1: first order (alone)".to_string(), Key::Box(c1)),
            (
                "ST: total order (with interactions)".to_string(),
                Key::Box(ct),
            ),
            (
                format!(
                    "95% bootstrap CI ({} resamples; ▶ cut by the axis)",
                    self.bootstrap
                ),
                Key::Line(BLACK, false),
            ),
        ];
        let area = legend_below(&area, &entries, 31.0)?;
        let order = ranked(self.total.iter().map(|v| v.0));
        let n = order.len();
        let estimates: Vec<f64> = self.first.iter().chain(&self.total).map(|v| v.0).collect();
        let intervals: Vec<(f64, f64)> = self
            .first
            .iter()
            .chain(&self.total)
            .map(|v| (v.1, v.2))
            .collect();
        let x = index_axis(&estimates, &intervals, (f64::MIN, f64::MAX));
        let mut spec = Spec::new(
            x,
            Axis::categories(n),
            "Sobol index: share of the output's variance",
            "",
        );
        spec.y_names = Some(
            order
                .iter()
                .rev()
                .map(|&i| self.params[i].clone())
                .collect(),
        );
        let mut f = Frame::new(&area, spec)?;
        f.vline(0.0, GREY.stroke_width(2), false)?;
        for (rank, &i) in order.iter().enumerate() {
            let y = (n - 1 - rank) as f64;
            for (v, c, off) in [(self.first[i], c1, 0.18), (self.total[i], ct, -0.18)] {
                if !v.0.is_finite() {
                    continue;
                }
                f.rect(
                    (0.0, y + off - 0.15),
                    (v.0, y + off + 0.15),
                    c.mix(0.85).filled(),
                )?;
                f.interval_h(y + off, v.1, v.2, BLACK.stroke_width(3))?;
            }
        }
        Ok(())
    }
}

/// Morris screening: mu* (mean absolute elementary effect) with 95% CI,
/// ranked, beside the mu*-sigma plane.
pub struct MorrisScatter {
    pub scenario: String,
    pub metric: Metric,
    pub statistic: Statistic,
    pub params: Vec<String>,
    pub mu_star: Vec<Ci>,
    pub sigma: Vec<f64>,
    pub trajectories: usize,
    pub points: usize,
    pub replicates: usize,
}

impl Chart for MorrisScatter {
    fn stem(&self) -> String {
        format!("morris_{}_{}", self.metric, self.statistic.word())
    }

    fn title(&self) -> String {
        format!(
            "{}: Morris screening of {} ({}), ranked by mu*; r = {} trajectories, {} points x {} replicates",
            self.scenario,
            self.metric.label(),
            when(self.statistic),
            self.trajectories,
            self.points,
            self.replicates
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = titled(root, &self.title())?;
        let entries = vec![
            ("mu* and its 95% CI".to_string(), Key::Dot(series_style(0).0)),
            (
                "sigma/mu* = 0.1, 0.5, 1: below 0.1 near-linear, above 0.5 non-linear or interacting"
                    .to_string(),
                Key::Line(GREY, true),
            ),
        ];
        let area = legend_below(&area, &entries, 31.0)?;
        let (left, right) = area.split_horizontally((area.dim_in_pixel().0 as f64 * 0.45) as i32);
        let order = ranked(self.mu_star.iter().map(|v| v.0));
        let n = order.len();
        let unit = self.metric.unit();
        let mu_desc = format!("mu* ({unit} per full range)");
        let estimates: Vec<f64> = self.mu_star.iter().map(|v| v.0).collect();
        let intervals: Vec<(f64, f64)> = self.mu_star.iter().map(|v| (v.1, v.2)).collect();
        let mu_axis = index_axis(&estimates, &intervals, (0.0, f64::MAX));
        // Left: mu* bars, most influential on top.
        let mut spec = Spec::new(mu_axis.clone(), Axis::categories(n), &mu_desc, "");
        spec.sizes = Sizes::PANEL;
        spec.y_names = Some(
            order
                .iter()
                .rev()
                .map(|&i| self.params[i].clone())
                .collect(),
        );
        let mut f = Frame::new(&left, spec)?;
        for (rank, &i) in order.iter().enumerate() {
            let y = (n - 1 - rank) as f64;
            let v = self.mu_star[i];
            if v.0.is_finite() {
                f.rect(
                    (0.0, y - 0.25),
                    (v.0, y + 0.25),
                    series_style(0).0.mix(0.8).filled(),
                )?;
                f.interval_h(y, v.1, v.2, BLACK.stroke_width(3))?;
            }
        }
        // Right: the mu*-sigma plane.
        let sigma_axis = Axis::fit(
            self.sigma.iter().copied(),
            &Fit {
                bounds: (0.0, f64::MAX),
                include: vec![0.0],
                ..Fit::default()
            },
        );
        let mut spec = Spec::new(
            mu_axis.clone(),
            sigma_axis.clone(),
            &mu_desc,
            "sigma (sd of the effects)",
        );
        spec.sizes = Sizes::PANEL;
        let mut g = Frame::new(&right, spec)?;
        let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
        let points: Vec<(i32, i32)> = (0..n)
            .filter(|&i| self.mu_star[i].0.is_finite() && self.sigma[i].is_finite())
            .map(|i| g.pixel((self.mu_star[i].0, self.sigma[i])))
            .collect();
        // Each interval's box, which a ratio label must not cover.
        let bars: Vec<(i32, i32, i32, i32)> = (0..n)
            .filter(|&i| self.mu_star[i].1.is_finite() && self.sigma[i].is_finite())
            .map(|i| {
                let (a, b) = (
                    g.pixel((self.mu_star[i].1.max(mu_axis.lo), self.sigma[i])),
                    g.pixel((self.mu_star[i].2.min(mu_axis.hi), self.sigma[i])),
                );
                (a.0, a.1 - 12, b.0 - a.0, 24)
            })
            .collect();
        let (xr, yr) = g.chart.plotting_area().get_pixel_range();
        for ratio in [0.1, 0.5, 1.0] {
            // The line sigma = ratio * mu*, from the origin to the frame,
            // labelled at the first spot along it clear of every point,
            // interval and label.
            let end_x = mu_axis.hi.min(sigma_axis.hi / ratio);
            g.dashed(&[(0.0, 0.0), (end_x, ratio * end_x)], GREY.stroke_width(2))?;
            let text = format!("{ratio}");
            let (w, h) = right
                .estimate_text_size(&text, &font(MIN_TEXT))
                .map_or((40, 30), |d| (d.0 as i32, d.1 as i32));
            let spot = [0.92, 0.8, 0.68, 0.56, 0.44, 0.32]
                .into_iter()
                .flat_map(|t| [(t, (8, -h - 6)), (t, (-w - 8, 6))])
                .find_map(|(t, off)| {
                    let at = (t * end_x, t * ratio * end_x);
                    let p = g.pixel(at);
                    let b = (p.0 + off.0, p.1 + off.1, w, h);
                    let inside = b.0 >= xr.start
                        && b.0 + w <= xr.end
                        && b.1 >= yr.start
                        && b.1 + h <= yr.end;
                    let clear = bars.iter().chain(&placed).all(|&q| !overlaps(b, q))
                        && points
                            .iter()
                            .all(|&(x, y)| !overlaps(b, (x - 12, y - 12, 24, 24)));
                    (inside && clear).then_some((at, off, b))
                });
            if let Some((at, off, b)) = spot {
                placed.push(b);
                g.text(at, off, &text, font(MIN_TEXT).color(&GREY))?;
            }
        }
        for (rank, &i) in order.iter().enumerate() {
            let (m, s) = (self.mu_star[i], self.sigma[i]);
            if !(m.0.is_finite() && s.is_finite()) {
                continue;
            }
            let c = series_style(rank).0;
            g.interval_h(s, m.1, m.2, c.stroke_width(3))?;
            g.dot((m.0, s), 11, c.filled())?;
            let p = g.pixel((m.0, s));
            let text = &self.params[i];
            let (w, h) = right
                .estimate_text_size(text, &font(MIN_TEXT))
                .map_or((text.len() as i32 * 15, 30), |d| (d.0 as i32, d.1 as i32));
            let spot = free_spot(p, (w, h), &placed, &points, (&xr, &yr));
            let (label, (dx, dy)) = match spot {
                Some(o) => (text.clone(), o),
                None => (format!("{}", rank + 1), (14, -34)),
            };
            placed.push((p.0 + dx, p.1 + dy, w, h));
            g.text((m.0, s), (dx, dy), &label, font(MIN_TEXT))?;
        }
        Ok(())
    }
}

/// An offset for a `size` label at pixel `p` that overlaps no placed
/// label and no point and stays inside the plot, trying nearby spots
/// first.
/// Whether two pixel boxes (x, y, w, h) overlap.
fn overlaps(a: (i32, i32, i32, i32), b: (i32, i32, i32, i32)) -> bool {
    a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
}

fn free_spot(
    p: (i32, i32),
    (w, h): (i32, i32),
    placed: &[(i32, i32, i32, i32)],
    points: &[(i32, i32)],
    (xr, yr): (&std::ops::Range<i32>, &std::ops::Range<i32>),
) -> Option<(i32, i32)> {
    for reach in [1, 2, 3] {
        let d = 14 * reach;
        let candidates = [
            (d, -h - d / 2),
            (d, d / 2),
            (-w - d, -h - d / 2),
            (-w - d, d / 2),
            (-w / 2, -h - d),
            (-w / 2, d),
        ];
        for (dx, dy) in candidates {
            let b = (p.0 + dx, p.1 + dy, w, h);
            let inside =
                b.0 >= xr.start && b.0 + w <= xr.end && b.1 >= yr.start && b.1 + h <= yr.end;
            let clear = placed.iter().all(|&q| !overlaps(b, q))
                && points
                    .iter()
                    .all(|&(x, y)| !overlaps(b, (x - 12, y - 12, 24, 24)));
            if inside && clear {
                return Some((dx, dy));
            }
        }
    }
    None
}
