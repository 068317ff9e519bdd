//! Log axes, for positive values spread over decades (tokens per
//! employee run from a fraction of a MTok to thousands). Positions are
//! log10 of the values, so a frame draws them with the same linear
//! coordinate as any other axis; ticks sit at 1-2-5 (or 1..9, or every
//! decade, or every k-th decade) times powers of ten, and each is
//! labelled with its value written exactly, so labels are round and
//! distinct.

use super::{Axis, TickFormat, decimals_for};

/// Tick mantissas within a decade, densest first.
const MANTISSAS: [&[f64]; 4] = [
    &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
    &[1.0, 2.0, 5.0],
    &[1.0, 3.0],
    &[1.0],
];

impl Axis {
    /// A log axis over the positive values `lo..hi`, at least one decade
    /// wide (a narrower range is widened around its geometric middle), with
    /// about `max_ticks` ticks (at least 3). Marks are placed with
    /// [`Axis::at`].
    pub fn log(lo: f64, hi: f64, max_ticks: usize) -> Axis {
        let (lo, hi) = if lo > 0.0 && hi.is_finite() && hi >= lo {
            (lo.log10(), hi.log10())
        } else {
            (0.0, 1.0)
        };
        let (lo, hi) = if hi - lo < 1.0 {
            let mid = (lo + hi) / 2.0;
            (mid - 0.5, mid + 0.5)
        } else {
            (lo, hi)
        };
        Axis {
            lo,
            hi,
            ticks: log_ticks(lo, hi, max_ticks.max(3)),
            step: 1.0,
            format: TickFormat {
                scale: 1.0,
                suffix: "",
                decimals: 0,
            },
            log: true,
        }
    }

    /// A log axis holding every positive finite value of `values` (others
    /// cannot be placed on it), padded by `pad` of its span on each side.
    pub fn fit_log(values: impl IntoIterator<Item = f64>, pad: f64, max_ticks: usize) -> Axis {
        let (lo, hi) = values
            .into_iter()
            .filter(|v| v.is_finite() && *v > 0.0)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            });
        if !lo.is_finite() {
            return Axis::log(1.0, 10.0, max_ticks);
        }
        let p = (hi / lo).log10() * pad;
        Axis::log(lo / 10f64.powf(p), hi * 10f64.powf(p), max_ticks)
    }

    /// Where value `v` lies on this axis: log10 of it on a log axis (NaN,
    /// a gap, for a value that is not positive), `v` itself otherwise.
    pub fn at(&self, v: f64) -> f64 {
        match (self.log, v > 0.0) {
            (false, _) => v,
            (true, true) => v.log10(),
            (true, false) => f64::NAN,
        }
    }

    /// The value at position `t` of this axis (the inverse of [`Axis::at`]).
    pub fn value(&self, t: f64) -> f64 {
        if self.log { 10f64.powf(t) } else { t }
    }
}

/// Positions of the densest tick set with at most `max` ticks in
/// `lo..=hi` (log10 units): mantissas within each decade, then every
/// k-th decade; or the set before it if that leaves fewer than two (a
/// decade always holds two of 1 and 3).
fn log_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    let (first, last) = (lo.floor() as i32, hi.ceil() as i32);
    let inside = |t: &f64| *t >= lo - 1e-9 && *t <= hi + 1e-9;
    let within = |mantissas: &'static [f64]| -> Vec<f64> {
        (first..=last)
            .flat_map(|e| mantissas.iter().map(move |m| m.log10() + e as f64))
            .filter(inside)
            .collect()
    };
    let every = |k: i32| -> Vec<f64> {
        (first..=last)
            .filter(|e| e.rem_euclid(k) == 0)
            .map(f64::from)
            .filter(inside)
            .collect()
    };
    let sets = MANTISSAS
        .into_iter()
        .map(within)
        .chain((2..=(last - first).max(2)).map(every));
    let mut previous: Vec<f64> = Vec::new();
    for ticks in sets {
        if ticks.len() <= max {
            return if ticks.len() < 2 { previous } else { ticks };
        }
        previous = ticks;
    }
    previous
}

/// The label of the tick at position `t`: its value rounded to six
/// significant figures (undoing log10's rounding) and written with the
/// decimals it needs, thousands as k and millions as M.
pub(super) fn label(t: f64) -> String {
    let v = 10f64.powf(t);
    if !v.is_finite() || v <= 0.0 {
        return String::new();
    }
    let unit = 10f64.powf(v.log10().floor() - 5.0);
    let v = (v / unit).round() * unit;
    let (scaled, suffix) = if v >= 1e6 {
        (v / 1e6, "M")
    } else if v >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    format!("{:.*}{suffix}", decimals_for(scaled), scaled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decades_and_1_2_5() {
        let a = Axis::log(0.2, 2000.0, 7);
        let labels: Vec<String> = a.ticks.iter().map(|&t| a.label(t)).collect();
        assert_eq!(labels, ["1", "10", "100", "1k"]);
        let b = Axis::log(0.01, 1.0, 7);
        let labels: Vec<String> = b.ticks.iter().map(|&t| b.label(t)).collect();
        assert_eq!(labels, ["0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1"]);
        // A narrow range is widened to a decade; every value has a place.
        let c = Axis::log(3.0, 4.0, 7);
        assert!(c.span() >= 1.0 - 1e-12 && c.ticks.len() >= 3);
        assert!(c.at(0.0).is_nan() && (c.at(100.0) - 2.0).abs() < 1e-12);
        assert!((c.value(c.at(3.5)) - 3.5).abs() < 1e-9);
        let wide = Axis::log(1e-3, 1e9, 6);
        let labels: Vec<String> = wide.ticks.iter().map(|&t| wide.label(t)).collect();
        assert_eq!(labels, ["0.01", "1", "100", "10k", "1M", "100M"]);
        assert_eq!(Axis::fit_log([0.0, -1.0], 0.05, 6).lo, 0.0);
    }

    proptest! {
        /// Log ticks lie on the axis, are at least two and at most the
        /// maximum, and their labels are distinct.
        #[test]
        fn log_labels_are_distinct(lo in -5f64..8.0, w in 0.01f64..12.0, n in 3usize..9) {
            let axis = Axis::log(10f64.powf(lo), 10f64.powf(lo + w), n);
            prop_assert!(axis.ticks.len() >= 2 && axis.ticks.len() <= n + 2, "{axis:?}");
            let labels: Vec<String> = axis.ticks.iter().map(|&t| axis.label(t)).collect();
            for (i, l) in labels.iter().enumerate() {
                prop_assert!(labels[..i].iter().all(|x| x != l), "duplicate {l} in {labels:?}");
                prop_assert!(axis.contains(axis.ticks[i]));
            }
        }
    }
}
