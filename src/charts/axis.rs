//! Axes: which range a chart shows and where its ticks go.
//!
//! Ticks are multiples of a "nice" step (1, 2, 2.5 or 5 times a power of
//! ten) and their labels get exactly the decimals that step needs, so
//! neighbouring labels always differ, a label never reads "-0", and large
//! numbers use k/M with the same rule. Ranges are fitted to the values a
//! chart draws, kept inside a metric's declared range, and given a minimum
//! span so that replicate noise of a few thousandths does not fill a panel
//! (a share moving by 0.003 should look flat, because it is). Values that
//! spread over decades get a log axis ([`Axis::log`], in `axis/log.rs`)
//! with the same guarantees.

use crate::model::metrics::{Metric, MetricRange};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use std::ops::Range;

mod log;

/// Most ticks an axis gets; fewer on small panels.
pub const MAX_TICKS: usize = 7;

/// One axis: its range, its ticks and how they are labelled.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<f64>,
    step: f64,
    format: TickFormat,
    /// Whether positions are log10 of the values ([`Axis::log`]).
    log: bool,
}

/// How tick labels are written: a scale (1, 1e3 = "k", 1e6 = "M") and a
/// number of decimals.
#[derive(Clone, Copy, Debug, PartialEq)]
struct TickFormat {
    scale: f64,
    suffix: &'static str,
    decimals: usize,
}

/// Multiples of `step` within `lo..=hi`.
fn multiples(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// The nice step and ticks for `lo..hi`: the smallest step (1, 2, 2.5 or
/// 5 times a power of ten) giving at most `max_ticks` ticks, or the step
/// below it if that leaves fewer than two.
fn nice_ticks(lo: f64, hi: f64, max_ticks: usize) -> (f64, Vec<f64>) {
    let raw = (hi - lo) / max_ticks.max(2) as f64;
    let mag = 10f64.powf(raw.log10().floor() - 1.0);
    let steps: Vec<f64> = (0..4)
        .flat_map(|k| [1.0, 2.0, 2.5, 5.0].map(|m| m * mag * 10f64.powi(k)))
        .collect();
    let mut previous: Option<(f64, Vec<f64>)> = None;
    for &step in &steps {
        let ticks = multiples(lo, hi, step);
        if ticks.len() <= max_ticks {
            return match previous {
                Some(p) if ticks.len() < 2 => p,
                _ => (step, ticks),
            };
        }
        previous = Some((step, ticks));
    }
    previous.unwrap_or((hi - lo, vec![lo, hi]))
}

/// Decimals needed to write multiples of `step` exactly (0.25 needs 2,
/// 0.5 needs 1, 20 needs 0).
fn decimals_for(step: f64) -> usize {
    (0..=16)
        .find(|&d| {
            // Relative to the step: a step of 1e-8 needs 8 decimals.
            let scaled = step.abs() * 10f64.powi(d as i32);
            scaled.round() >= 1.0 && (scaled - scaled.round()).abs() < 1e-6 * scaled
        })
        .unwrap_or(16)
}

impl TickFormat {
    fn new(step: f64, largest: f64) -> TickFormat {
        let (scale, suffix) = if largest >= 1e6 && step >= 1e5 {
            (1e6, "M")
        } else if largest >= 1e4 && step >= 1e3 {
            (1e3, "k")
        } else {
            (1.0, "")
        };
        TickFormat {
            scale,
            suffix,
            decimals: decimals_for(step / scale),
        }
    }

    fn write(&self, v: f64, step: f64) -> String {
        // Snap values within rounding of zero to zero: never "-0".
        let v = if v.abs() < step * 1e-6 { 0.0 } else { v };
        if v == 0.0 && !self.suffix.is_empty() {
            return "0".into();
        }
        let text = format!("{:.*}", self.decimals, v / self.scale);
        let text = if text.starts_with('-') && text[1..].chars().all(|c| c == '0' || c == '.') {
            text[1..].to_string()
        } else {
            text
        };
        format!("{text}{}", self.suffix)
    }
}

/// Options for fitting an axis to data.
#[derive(Clone, Debug)]
pub struct Fit {
    /// The axis never leaves these bounds (a metric's declared range).
    pub bounds: (f64, f64),
    /// The smallest span shown.
    pub min_span: f64,
    /// Values the axis must show (0 for differences).
    pub include: Vec<f64>,
    /// A value with a meaning (output index 1, correlation 0): shown if it
    /// is within one data span of the data.
    pub reference: Option<f64>,
    /// Fraction of the span added on each side.
    pub pad: f64,
    pub max_ticks: usize,
}

impl Default for Fit {
    fn default() -> Fit {
        Fit {
            bounds: (f64::MIN, f64::MAX),
            min_span: 0.0,
            include: Vec::new(),
            reference: None,
            pad: 0.05,
            max_ticks: MAX_TICKS,
        }
    }
}

impl Fit {
    /// The fit for a metric's values: its declared range, its reference
    /// value and a minimum span.
    pub fn metric(m: Metric) -> Fit {
        let r = m.range();
        Fit {
            bounds: (r.min, r.max),
            min_span: min_span(r),
            reference: reference(m),
            ..Fit::default()
        }
    }

    /// The fit for differences of a metric between two arms: 0 always
    /// shown, bounds the widest difference the range allows.
    pub fn difference(m: Metric) -> Fit {
        let r = m.range();
        let w = r.max - r.min;
        let bounds = if w.is_finite() && w < f64::MAX {
            (-w, w)
        } else {
            (f64::MIN, f64::MAX)
        };
        Fit {
            bounds,
            min_span: min_span(r) / 5.0,
            include: vec![0.0],
            ..Fit::default()
        }
    }

    pub fn ticks(mut self, n: usize) -> Fit {
        self.max_ticks = n;
        self
    }

    pub fn including(mut self, v: f64) -> Fit {
        self.include.push(v);
        self
    }
}

/// The smallest span shown for a metric: a tenth of a bounded range, and
/// otherwise a tenth of the values' magnitude (applied in [`Axis::fit`]).
fn min_span(r: MetricRange) -> f64 {
    if r.max < f64::MAX && r.min > f64::MIN {
        (r.max - r.min) / 10.0
    } else {
        0.0
    }
}

/// A value of a metric with a meaning, drawn as a reference line: an
/// output index of 1 is "as productive as all-manual work", a net value or
/// a correlation of 0 is "no gain" / "no relation".
pub fn reference(m: Metric) -> Option<f64> {
    match m {
        Metric::OutputIndex => Some(1.0),
        Metric::NetValueUsd | Metric::MetricValidity => Some(0.0),
        _ => None,
    }
}

impl Axis {
    /// An axis over exactly `lo..hi` with about `max_ticks` nice ticks.
    pub fn new(lo: f64, hi: f64, max_ticks: usize) -> Axis {
        let (lo, hi) = if lo.is_finite() && hi.is_finite() && hi > lo {
            (lo, hi)
        } else if lo.is_finite() {
            (lo - 0.5, lo + 0.5)
        } else {
            (0.0, 1.0)
        };
        let (step, ticks) = nice_ticks(lo, hi, max_ticks);
        let largest = ticks.iter().fold(0f64, |a, t| a.max(t.abs()));
        Axis {
            lo,
            hi,
            format: TickFormat::new(step, largest),
            ticks,
            step,
            log: false,
        }
    }

    /// An axis over the categories 0..n (ticks at each index, no labels of
    /// its own: the chart names them).
    pub fn categories(n: usize) -> Axis {
        let mut a = Axis::new(-0.5, n.max(1) as f64 - 0.5, 2);
        a.ticks = (0..n).map(|i| i as f64).collect();
        a
    }

    /// An axis holding every finite value of `values` under `fit`.
    pub fn fit(values: impl IntoIterator<Item = f64>, fit: &Fit) -> Axis {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.into_iter().filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        for &v in &fit.include {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if !lo.is_finite() {
            // Nothing to show: the declared range if it is bounded.
            let (a, b) = fit.bounds;
            return if a > f64::MIN && b < f64::MAX {
                Axis::new(a, b, fit.max_ticks)
            } else {
                Axis::new(0.0, 1.0, fit.max_ticks)
            };
        }
        // A minimum span: the bounded range's, or a tenth of the values'
        // magnitude, so noise around a level does not look like a trend.
        let magnitude = lo.abs().max(hi.abs());
        // Values that are all zero (a difference of nothing) get a unit
        // span rather than a sliver of 1e-9 with labels that all read 0.
        let floor = if magnitude == 0.0 { 1.0 } else { 1e-9 };
        let min_span = fit.min_span.max(magnitude * 0.1).max(floor);
        if let Some(r) = fit.reference {
            let span = (hi - lo).max(min_span);
            if r < lo && lo - r <= span {
                lo = r;
            } else if r > hi && r - hi <= span {
                hi = r;
            }
        }
        if hi - lo < min_span {
            let mid = (lo + hi) / 2.0;
            lo = mid - min_span / 2.0;
            hi = mid + min_span / 2.0;
        }
        let pad = (hi - lo) * fit.pad;
        let (mut lo, mut hi) = (lo - pad, hi + pad);
        // Inside the bounds: shift the window back in, then cut.
        let (a, b) = fit.bounds;
        if lo < a {
            hi = (hi + (a - lo)).min(b);
            lo = a;
        }
        if hi > b {
            lo = (lo - (hi - b)).max(a);
            hi = b;
        }
        Axis::new(lo, hi, fit.max_ticks)
    }

    /// The label of a value on this axis.
    pub fn label(&self, v: f64) -> String {
        if self.log {
            return log::label(v);
        }
        self.format.write(v, self.step)
    }

    /// Whether `v` lies on the axis.
    pub fn contains(&self, v: f64) -> bool {
        v >= self.lo && v <= self.hi
    }

    /// `v` moved onto the axis.
    pub fn clamp(&self, v: f64) -> f64 {
        v.clamp(self.lo, self.hi)
    }

    /// The span of the axis.
    pub fn span(&self) -> f64 {
        self.hi - self.lo
    }

    /// The coordinate for plotters, with this axis's ticks.
    pub fn coord(&self) -> Ticked {
        Ticked {
            lo: self.lo,
            hi: self.hi,
            ticks: self.ticks.clone(),
        }
    }
}

/// A linear plotters coordinate whose grid lines and labels are exactly
/// an [`Axis`]'s ticks (plotters' own f64 coordinate picks its own).
#[derive(Clone, Debug)]
pub struct Ticked {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let t = (v - self.lo) / (self.hi - self.lo);
        let length = limit.1 - limit.0;
        if length == 0 || !t.is_finite() {
            return limit.1;
        }
        // Far-off values saturate; marks are clipped before they get here.
        let px = (length as f64 * t.clamp(-10.0, 11.0) + 1e-3).floor();
        limit.0 + px as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// A value written to `sig` significant figures, or with the decimals a
/// set of numbers shares ([`shared_decimals`]).
pub fn fixed(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "NaN".into();
    }
    let text = format!("{v:.decimals$}");
    if text.starts_with('-') && text[1..].chars().all(|c| c == '0' || c == '.') {
        text[1..].to_string()
    } else {
        text
    }
}

/// Decimals that give the largest of `values` `sig` significant figures:
/// a table column written with them has one precision throughout.
pub fn shared_decimals(values: impl IntoIterator<Item = f64>, sig: usize) -> usize {
    let largest = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(0f64, |a, v| a.max(v.abs()));
    if largest == 0.0 {
        return sig.saturating_sub(1);
    }
    let digits = largest.log10().floor() as i32 + 1;
    (sig as i32 - digits).clamp(0, 6) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nice_steps_and_labels() {
        let a = Axis::new(0.0, 1.0, 6);
        assert_eq!(a.ticks, vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
        assert_eq!(a.label(0.6000000000000001), "0.6");
        let b = Axis::new(-0.15, 0.05, 5);
        assert_eq!(b.label(b.ticks[b.ticks.len() - 2]), "0.00");
        assert_eq!(Axis::new(-1e5, 8e5, 5).label(0.0), "0");
        let c = Axis::new(0.0, 600_000.0, 7);
        assert_eq!(c.label(200_000.0), "200k");
        let d = Axis::new(0.0, 0.25, 6);
        assert_eq!(d.ticks.len(), 6);
        assert_eq!(d.label(0.05), "0.05");
        let e = Axis::new(0.0, 2.5e6, 6);
        assert_eq!(e.label(1.5e6), "1.5M");
    }

    #[test]
    fn noise_does_not_fill_a_share_panel() {
        let a = Axis::fit(
            [0.301, 0.304, 0.298],
            &Fit::metric(Metric::PerformativeShare),
        );
        assert!(a.span() >= 0.1, "{a:?}");
        assert!(a.lo >= 0.0 && a.hi <= 1.0);
        let near_floor = Axis::fit([0.0, 0.01], &Fit::metric(Metric::GoodhartGap));
        assert_eq!(near_floor.lo, 0.0);
        assert!(near_floor.hi >= 0.1);
        // Output index near 1 shows the reference line at 1.
        let oi = Axis::fit([1.08, 1.12], &Fit::metric(Metric::OutputIndex));
        assert!(oi.contains(1.0), "{oi:?}");
        // A difference axis always shows 0.
        let d = Axis::fit([0.15, 0.2], &Fit::difference(Metric::PerformativeShare));
        assert!(d.contains(0.0) && d.contains(0.2));
    }

    #[test]
    fn table_precision() {
        assert_eq!(shared_decimals([0.183, 0.02], 3), 3);
        assert_eq!(shared_decimals([1234.5, 2.0], 3), 0);
        assert_eq!(shared_decimals([12.34], 3), 1);
        assert_eq!(fixed(-0.0004, 3), "0.000");
        assert_eq!(fixed(0.1234, 2), "0.12");
    }

    proptest! {
        /// Every axis fitted to any values has ticks inside it, distinct
        /// labels, no "-0", and at least two ticks.
        #[test]
        fn labels_are_distinct_and_never_negative_zero(
            a in -1e7f64..1e7, w in 1e-6f64..1e7, n in 3usize..9,
        ) {
            let axis = Axis::new(a, a + w, n);
            prop_assert!(axis.ticks.len() >= 2 && axis.ticks.len() <= n + 2, "{axis:?}");
            let labels: Vec<String> = axis.ticks.iter().map(|&t| axis.label(t)).collect();
            for (i, l) in labels.iter().enumerate() {
                prop_assert!(!l.starts_with("-0") || l.chars().any(|c| ('1'..='9').contains(&c)), "{l}");
                prop_assert!(labels[..i].iter().all(|x| x != l), "duplicate {l} in {labels:?}");
                prop_assert!(axis.contains(axis.ticks[i]));
            }
        }

        /// Axes fitted to values of any size, all equal or all zero (a
        /// difference of nothing), have distinct labels too.
        #[test]
        fn fitted_axes_of_any_scale_have_distinct_labels(
            xs in proptest::collection::vec(-1f64..1.0, 1..10),
            e in -12i32..8,
            same in proptest::bool::ANY,
            zero in proptest::bool::ANY,
        ) {
            let scale = 10f64.powi(e);
            let values: Vec<f64> = xs
                .iter()
                .map(|x| if zero { 0.0 } else if same { xs[0] * scale } else { x * scale })
                .collect();
            for fit in [Fit::difference(Metric::Incidents), Fit::metric(Metric::NetValueUsd)] {
                let axis = Axis::fit(values.iter().copied(), &fit);
                let labels: Vec<String> = axis.ticks.iter().map(|&t| axis.label(t)).collect();
                prop_assert!(labels.len() >= 2, "{axis:?}");
                for (i, l) in labels.iter().enumerate() {
                    prop_assert!(labels[..i].iter().all(|x| x != l), "duplicate {l} in {labels:?}");
                }
                prop_assert!(values.iter().all(|&v| axis.contains(v)));
            }
        }

        /// A fitted axis holds every value and stays in the bounds.
        #[test]
        fn fitted_axes_hold_values_within_bounds(
            xs in proptest::collection::vec(0f64..1.0, 1..20),
        ) {
            let axis = Axis::fit(xs.iter().copied(), &Fit::metric(Metric::MeasuredAdoption));
            prop_assert!(axis.lo >= 0.0 && axis.hi <= 1.0);
            prop_assert!(xs.iter().all(|&x| axis.contains(x)));
        }
    }
}
