//! Distributions for employee and team attributes.
//!
//! A scenario names a distribution per attribute (MODEL.md, "Employee
//! attributes"): `const`, `uniform`, `normal` (optionally clipped),
//! `lognormal` (by median or by mean, with the log-scale sigma), `beta` and
//! `gamma`. Any of them may carry a `min`/`max` clip. The type keeps the
//! form the user wrote, so manifests and `goodhart params` show it back
//! unchanged, and samples with the portable samplers of [`super::sample`]
//! from a caller-supplied generator.

use super::CEILING;
use super::sample;
use crate::fastmath::{Arith, Fused};
use rand::Rng;
use serde::Serialize;
use statrs::function::{erf::erfc, gamma::checked_gamma_ur};
use std::fmt;

/// The largest probability a distribution may put beyond
/// +-[`CEILING`] (one employee in a billion): more is
/// refused, and the rare draw beyond is clamped to the ceiling.
pub const TAIL_LIMIT: f64 = 1e-9;

/// The shape of an attribute distribution, as written in a scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "dist", rename_all = "lowercase")]
pub enum Shape {
    Const {
        value: f64,
    },
    Uniform {
        low: f64,
        high: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    /// Log-normal given by its median (`exp(mu)`) or its mean
    /// (`exp(mu + sigma^2 / 2)`); `sigma` is the sd of the log.
    LogNormal {
        location: LogLocation,
        sigma: f64,
    },
    Beta {
        a: f64,
        b: f64,
    },
    Gamma {
        shape: f64,
        scale: f64,
    },
}

/// How a log-normal's location was given.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLocation {
    Median(f64),
    Mean(f64),
}

/// A distribution with an optional clip to `[min, max]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dist {
    #[serde(flatten)]
    pub shape: Shape,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

impl Dist {
    pub const fn constant(value: f64) -> Self {
        Dist {
            shape: Shape::Const { value },
            min: None,
            max: None,
        }
    }

    pub const fn new(shape: Shape) -> Self {
        Dist {
            shape,
            min: None,
            max: None,
        }
    }

    pub const fn clipped(shape: Shape, min: f64, max: f64) -> Self {
        Dist {
            shape,
            min: Some(min),
            max: Some(max),
        }
    }

    /// The closed interval the samples can fall in (after clipping).
    pub fn support(&self) -> (f64, f64) {
        let (lo, hi) = match self.shape {
            Shape::Const { value } => (value, value),
            Shape::Uniform { low, high } => (low, high),
            Shape::Normal { sd: 0.0, mean } => (mean, mean),
            Shape::Normal { .. } => (f64::NEG_INFINITY, f64::INFINITY),
            Shape::LogNormal { .. } | Shape::Gamma { .. } => (0.0, f64::INFINITY),
            Shape::Beta { .. } => (0.0, 1.0),
        };
        (
            self.min.map_or(lo, |m| lo.max(m)),
            self.max.map_or(hi, |m| hi.min(m)),
        )
    }

    /// The distribution's centre as an exploration moves it: the median
    /// of a log-normal given by its median (its mean if given by the
    /// mean), the midpoint of a uniform, the value of a constant, the mean
    /// otherwise.
    pub fn centre(&self) -> f64 {
        match self.shape {
            Shape::Const { value } => value,
            Shape::Uniform { low, high } => 0.5 * (low + high),
            Shape::Normal { mean, .. } => mean,
            Shape::LogNormal {
                location: LogLocation::Median(m) | LogLocation::Mean(m),
                ..
            } => m,
            Shape::Beta { a, b } => a / (a + b),
            Shape::Gamma { shape, scale } => shape * scale,
        }
    }

    /// The same distribution moved to centre `c` (see [`Dist::centre`]),
    /// its shape parameter kept: a uniform keeps its width, a normal its sd, a
    /// log-normal its sigma, a beta its concentration a + b, a gamma its
    /// shape; the clip stays. The result may break [`Dist::check`] (a
    /// beta's mean must lie in (0, 1)), which callers check.
    pub fn with_centre(&self, c: f64) -> Dist {
        let shape = match self.shape {
            Shape::Const { .. } => Shape::Const { value: c },
            Shape::Uniform { low, high } => Shape::Uniform {
                low: c - 0.5 * (high - low),
                high: c + 0.5 * (high - low),
            },
            Shape::Normal { sd, .. } => Shape::Normal { mean: c, sd },
            Shape::LogNormal { location, sigma } => Shape::LogNormal {
                location: match location {
                    LogLocation::Median(_) => LogLocation::Median(c),
                    LogLocation::Mean(_) => LogLocation::Mean(c),
                },
                sigma,
            },
            Shape::Beta { a, b } => Shape::Beta {
                a: c * (a + b),
                b: (1.0 - c) * (a + b),
            },
            Shape::Gamma { shape, .. } => Shape::Gamma {
                shape,
                scale: c / shape,
            },
        };
        Dist { shape, ..*self }
    }

    /// The `u` quantile (0 <= u <= 1) of the distribution after its clip:
    /// the inverse CDF at F(min) + u (F(max) - F(min)), for sampling an
    /// exploration's worlds from a unit coordinate. A degenerate shape (a
    /// constant, a zero sd or sigma) gives its single value.
    pub fn quantile(&self, u: f64) -> f64 {
        use statrs::distribution::{Beta, ContinuousCDF, Gamma, LogNormal, Normal};
        fn inverse<D: ContinuousCDF<f64, f64>>(
            d: D,
            min: Option<f64>,
            max: Option<f64>,
            u: f64,
        ) -> f64 {
            let lo = min.map_or(0.0, |m| d.cdf(m));
            let hi = max.map_or(1.0, |m| d.cdf(m));
            d.inverse_cdf((lo + u.clamp(0.0, 1.0) * (hi - lo)).clamp(0.0, 1.0))
        }
        let (min, max) = (self.min, self.max);
        let x = match self.shape {
            Shape::Const { value } => value,
            Shape::Uniform { low, high } => {
                let (a, b) = (
                    min.map_or(low, |m| m.max(low)),
                    max.map_or(high, |m| m.min(high)),
                );
                a + u.clamp(0.0, 1.0) * (b - a)
            }
            Shape::Normal { mean, sd } => match Normal::new(mean, sd) {
                Ok(d) if sd > 0.0 => inverse(d, min, max, u),
                _ => mean,
            },
            Shape::LogNormal { sigma, .. } => match LogNormal::new(self.log_location(), sigma) {
                Ok(d) if sigma > 0.0 => inverse(d, min, max, u),
                _ => self.log_location().exp(),
            },
            Shape::Beta { a, b } => match Beta::new(a, b) {
                Ok(d) => inverse(d, min, max, u),
                Err(_) => a / (a + b),
            },
            Shape::Gamma { shape, scale } => match Gamma::new(shape, 1.0 / scale) {
                Ok(d) => inverse(d, min, max, u),
                Err(_) => shape * scale,
            },
        };
        let (lo, hi) = self.support();
        x.clamp(lo, hi)
    }

    /// Checks the shape's own parameters; returns a message naming the
    /// offending one.
    pub fn check(&self) -> Result<(), String> {
        let positive = |name: &str, v: f64| {
            if v > 0.0 && v.is_finite() {
                Ok(())
            } else {
                Err(format!("`{name}` must be a finite number > 0, got {v}"))
            }
        };
        let finite = |name: &str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(format!("`{name}` must be finite, got {v}"))
            }
        };
        match self.shape {
            Shape::Const { value } => finite("value", value)?,
            Shape::Uniform { low, high } => {
                finite("low", low)?;
                finite("high", high)?;
                if low > high {
                    return Err(format!("`low` ({low}) must not exceed `high` ({high})"));
                }
            }
            Shape::Normal { mean, sd } => {
                finite("mean", mean)?;
                if !(sd >= 0.0 && sd.is_finite()) {
                    return Err(format!("`sd` must be a finite number >= 0, got {sd}"));
                }
            }
            Shape::LogNormal { location, sigma } => {
                match location {
                    LogLocation::Median(m) => positive("median", m)?,
                    LogLocation::Mean(m) => positive("mean", m)?,
                }
                if !(sigma >= 0.0 && sigma.is_finite()) {
                    return Err(format!("`sigma` must be a finite number >= 0, got {sigma}"));
                }
            }
            Shape::Beta { a, b } => {
                positive("a", a)?;
                positive("b", b)?;
            }
            Shape::Gamma { shape, scale } => {
                positive("shape", shape)?;
                positive("scale", scale)?;
            }
        }
        for (key, clip) in [("min", self.min), ("max", self.max)] {
            if let Some(v) = clip {
                finite(key, v)?;
            }
        }
        if let (Some(lo), Some(hi)) = (self.min, self.max)
            && lo > hi
        {
            return Err(format!("clip `min` ({lo}) must not exceed `max` ({hi})"));
        }
        // Every number of the table within the ceiling, so that no
        // difference of them (high - low) overflows in the checks below.
        for (key, v) in self.numbers() {
            if v.abs() > CEILING {
                return Err(format!(
                    "`{key}` = {v:e} is beyond {CEILING}, the largest magnitude goodhart accepts"
                ));
            }
        }
        let beyond = self.mass_beyond(CEILING);
        if beyond > TAIL_LIMIT {
            let side = if self.mass_below(-CEILING) > TAIL_LIMIT {
                format!("below -{CEILING}")
            } else {
                format!("above {CEILING}")
            };
            return Err(format!(
                "{} of its draws would lie {side}, the largest magnitude goodhart accepts (at most one in a billion may); clip it with `min`/`max` or narrow it",
                share_text(beyond)
            ));
        }
        // A heavy tail can carry the mean beyond the ceiling with almost no
        // draws there (a log-normal given by its mean with a large sigma):
        // the clamp would then change the distribution's mean.
        let carried = self.mean_share_above(CEILING);
        if carried > 1e-6 {
            return Err(format!(
                "draws above {CEILING}, the largest magnitude goodhart accepts, would carry {} of its mean, so the draws could not have the mean it was given; narrow it (a smaller sigma or scale) or clip it with `max`",
                share_text(carried)
            ));
        }
        Ok(())
    }

    /// The numbers written in the table, by key.
    fn numbers(&self) -> Vec<(&'static str, f64)> {
        let mut v = match self.shape {
            Shape::Const { value } => vec![("value", value)],
            Shape::Uniform { low, high } => vec![("low", low), ("high", high)],
            Shape::Normal { mean, sd } => vec![("mean", mean), ("sd", sd)],
            Shape::LogNormal { location, sigma } => match location {
                LogLocation::Median(m) => vec![("median", m), ("sigma", sigma)],
                LogLocation::Mean(m) => vec![("mean", m), ("sigma", sigma)],
            },
            Shape::Beta { a, b } => vec![("a", a), ("b", b)],
            Shape::Gamma { shape, scale } => vec![("shape", shape), ("scale", scale)],
        };
        v.extend(self.min.map(|m| ("min", m)));
        v.extend(self.max.map(|m| ("max", m)));
        v
    }

    /// E[X; X > b] / E[X] of the unclipped log-normal or gamma shape when
    /// the clip lets draws above `b`; 0 for the other shapes.
    fn mean_share_above(&self, b: f64) -> f64 {
        if self.max.is_some_and(|hi| hi <= b) {
            return 0.0;
        }
        match self.shape {
            Shape::LogNormal { sigma, .. } if sigma > 0.0 => {
                let mu = self.log_location();
                0.5 * erfc((b.ln() - mu - sigma * sigma) / (sigma * std::f64::consts::SQRT_2))
            }
            Shape::Gamma { shape, scale } if shape * scale > b => 1.0,
            Shape::Gamma { shape, scale } => {
                checked_gamma_ur(shape + 1.0, b / scale).unwrap_or(1.0)
            }
            _ => 0.0,
        }
    }

    /// Whether the draws stay in `[min, max]`: the clipped support must,
    /// except that an upper bound at the ceiling is kept in probability
    /// ([`Dist::check`] refuses more than [`TAIL_LIMIT`] beyond it).
    pub fn within(&self, min: f64, max: f64) -> bool {
        let (lo, hi) = self.support();
        lo >= min && (hi <= max || max >= CEILING)
    }

    /// Probability that a draw (after the clip) lies beyond +-`bound`.
    pub fn mass_beyond(&self, bound: f64) -> f64 {
        (self.mass_above(bound) + self.mass_below(-bound)).min(1.0)
    }

    /// P(draw > b), after the clip.
    fn mass_above(&self, b: f64) -> f64 {
        if self.max.is_some_and(|hi| hi <= b) {
            return 0.0;
        }
        let above = |x: f64| f64::from(u8::from(x > b));
        match self.shape {
            Shape::Const { value } => above(value),
            Shape::Uniform { low, high } if high > low => {
                ((high - b.max(low)) / (high - low)).clamp(0.0, 1.0)
            }
            Shape::Uniform { high, .. } => above(high),
            Shape::Normal { mean, sd } if sd > 0.0 => {
                0.5 * erfc((b - mean) / (sd * std::f64::consts::SQRT_2))
            }
            Shape::Normal { mean, .. } => above(mean),
            Shape::LogNormal { .. } if b <= 0.0 => 1.0,
            Shape::LogNormal { sigma, .. } if sigma > 0.0 => {
                0.5 * erfc((b.ln() - self.log_location()) / (sigma * std::f64::consts::SQRT_2))
            }
            Shape::LogNormal { .. } => above(self.log_location().exp()),
            Shape::Beta { .. } => above(1.0),
            Shape::Gamma { .. } if b <= 0.0 => 1.0,
            // A mean beyond the bound puts about half the mass there; the
            // incomplete gamma function is only needed below it.
            Shape::Gamma { shape, scale } if shape * scale > b => 1.0,
            Shape::Gamma { shape, scale } => checked_gamma_ur(shape, b / scale).unwrap_or(1.0),
        }
    }

    /// P(draw < b) for b < 0, after the clip (only the normal and uniform
    /// shapes and constants reach below zero).
    fn mass_below(&self, b: f64) -> f64 {
        if self.min.is_some_and(|lo| lo >= b) {
            return 0.0;
        }
        let below = |x: f64| f64::from(u8::from(x < b));
        match self.shape {
            Shape::Const { value } => below(value),
            Shape::Uniform { low, high } if high > low => {
                ((b.min(high) - low) / (high - low)).clamp(0.0, 1.0)
            }
            Shape::Uniform { low, .. } => below(low),
            Shape::Normal { mean, sd } if sd > 0.0 => {
                0.5 * erfc((mean - b) / (sd * std::f64::consts::SQRT_2))
            }
            Shape::Normal { mean, .. } => below(mean),
            Shape::LogNormal { .. } | Shape::Beta { .. } | Shape::Gamma { .. } => below(0.0),
        }
    }

    /// mu of a log-normal: the mean of the log.
    fn log_location(&self) -> f64 {
        match self.shape {
            Shape::LogNormal { location, sigma } => match location {
                LogLocation::Median(m) => libm::log(m),
                LogLocation::Mean(m) => libm::log(m) - 0.5 * sigma * sigma,
            },
            _ => f64::NAN,
        }
    }

    /// Draws one value with the portable samplers of [`super::sample`]
    /// (the same bits on every platform for a seed). To draw many, prepare
    /// a [`Sampler`] once.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.sampler()
            .sample_with::<Fused, R>(&mut sample::Draws::new(rng))
    }

    /// The distribution prepared for drawing many values.
    pub fn sampler(&self) -> Sampler {
        Sampler {
            shape: self.shape.clone(),
            log_location: self.log_location(),
            lo: self.min.unwrap_or(f64::NEG_INFINITY).max(-CEILING),
            hi: self.max.unwrap_or(f64::INFINITY).min(CEILING),
        }
    }
}

/// A [`Dist`] prepared for drawing: what every draw would otherwise
/// recompute (a log-normal's mu, the clip's bounds) is computed once.
/// Draws are the same as [`Dist::sample`]'s.
#[derive(Clone, Debug)]
pub struct Sampler {
    shape: Shape,
    log_location: f64,
    lo: f64,
    hi: f64,
}

impl Sampler {
    /// Draws one value with multiply-adds of kind `A` (inlined, so that a
    /// caller compiled for FMA draws with hardware fused multiply-adds).
    #[inline(always)]
    pub fn sample_with<A: Arith, R: Rng + ?Sized>(&self, rng: &mut sample::Draws<'_, R>) -> f64 {
        let raw = match self.shape {
            Shape::Const { value } => value,
            Shape::Uniform { low, high } if low == high => low,
            Shape::Uniform { low, high } => sample::uniform(rng, low, high),
            Shape::Normal { mean, sd } => sample::normal::<A, R>(rng, mean, sd),
            Shape::LogNormal { sigma, .. } => {
                sample::lognormal::<A, R>(rng, self.log_location, sigma)
            }
            Shape::Beta { a, b } => sample::beta::<A, R>(rng, a, b),
            Shape::Gamma { shape, scale } => sample::gamma::<A, R>(rng, shape, scale),
        };
        // The clip, then the ceiling ([`TAIL_LIMIT`] bounds how often it
        // binds). A NaN draw (no sampler here makes one for checked
        // parameters) would become the lower bound rather than spread.
        if raw.is_nan() {
            self.lo.max(0.0).min(self.hi)
        } else {
            raw.clamp(self.lo, self.hi)
        }
    }
}

/// A small probability as a reader takes it in ("3.2%", "1 in 2,000,000").
fn share_text(p: f64) -> String {
    if p >= 1e-3 {
        format!("{:.3}%", 100.0 * p)
    } else {
        format!("1 in {:.0}", 1.0 / p)
    }
}

impl fmt::Display for Dist {
    /// Renders the distribution as the inline TOML table a user would write.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.shape {
            Shape::Const { value } if self.min.is_none() && self.max.is_none() => {
                return write!(f, "{value}");
            }
            Shape::Const { value } => write!(f, "{{ dist = \"const\", value = {value}")?,
            Shape::Uniform { low, high } => {
                write!(f, "{{ dist = \"uniform\", low = {low}, high = {high}")?
            }
            Shape::Normal { mean, sd } => {
                write!(f, "{{ dist = \"normal\", mean = {mean}, sd = {sd}")?
            }
            Shape::LogNormal { location, sigma } => {
                let (k, v) = match location {
                    LogLocation::Median(m) => ("median", m),
                    LogLocation::Mean(m) => ("mean", m),
                };
                write!(f, "{{ dist = \"lognormal\", {k} = {v}, sigma = {sigma}")?
            }
            Shape::Beta { a, b } => write!(f, "{{ dist = \"beta\", a = {a}, b = {b}")?,
            Shape::Gamma { shape, scale } => {
                write!(f, "{{ dist = \"gamma\", shape = {shape}, scale = {scale}")?
            }
        }
        if let Some(m) = self.min {
            write!(f, ", min = {m}")?;
        }
        if let Some(m) = self.max {
            write!(f, ", max = {m}")?;
        }
        write!(f, " }}")
    }
}

/// The distribution names a scenario may use, with the keys each takes.
pub const SHAPES: &[(&str, &[&str])] = &[
    ("const", &["value"]),
    ("uniform", &["low", "high"]),
    ("normal", &["mean", "sd"]),
    ("lognormal", &["median", "mean", "sigma"]),
    ("beta", &["a", "b"]),
    ("gamma", &["shape", "scale", "rate"]),
];

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    /// Moving a distribution's centre moves it there and keeps its
    /// spread (the sampled mean follows for the shapes whose centre is
    /// the mean).
    #[test]
    fn with_centre_moves_the_centre_and_keeps_the_spread() {
        let shapes = [
            Shape::Const { value: 1.0 },
            Shape::Uniform {
                low: 0.0,
                high: 2.0,
            },
            Shape::Normal { mean: 1.0, sd: 0.5 },
            Shape::LogNormal {
                location: LogLocation::Median(1.0),
                sigma: 0.6,
            },
            Shape::LogNormal {
                location: LogLocation::Mean(1.0),
                sigma: 0.6,
            },
            Shape::Beta { a: 4.0, b: 4.0 },
            Shape::Gamma {
                shape: 2.0,
                scale: 0.5,
            },
        ];
        for shape in shapes {
            let d = Dist::new(shape);
            let c = if matches!(d.shape, Shape::Beta { .. }) {
                0.3
            } else {
                1.7
            };
            let moved = d.with_centre(c);
            assert!((moved.centre() - c).abs() < 1e-12, "{moved}");
            assert!(moved.check().is_ok(), "{moved}");
            match (d.shape.clone(), moved.shape.clone()) {
                (Shape::Uniform { low, high }, Shape::Uniform { low: l, high: h }) => {
                    assert!(((h - l) - (high - low)).abs() < 1e-12)
                }
                (Shape::Normal { sd, .. }, Shape::Normal { sd: s, .. }) => assert_eq!(sd, s),
                (Shape::LogNormal { sigma, .. }, Shape::LogNormal { sigma: s, .. }) => {
                    assert_eq!(sigma, s)
                }
                (Shape::Beta { a, b }, Shape::Beta { a: x, b: y }) => {
                    assert!(((a + b) - (x + y)).abs() < 1e-12)
                }
                (Shape::Gamma { shape, .. }, Shape::Gamma { shape: k, .. }) => {
                    assert_eq!(shape, k)
                }
                _ => {}
            }
            if !matches!(
                d.shape,
                Shape::LogNormal {
                    location: LogLocation::Median(_),
                    ..
                }
            ) {
                let m = mean_of(&moved, 200_000);
                assert!((m - c).abs() < 0.02, "{moved}: sampled mean {m}");
            }
        }
        // A beta's mean must stay inside (0, 1): the caller's check says so.
        assert!(
            Dist::new(Shape::Beta { a: 4.0, b: 4.0 })
                .with_centre(1.2)
                .check()
                .is_err()
        );
    }

    /// Quantiles invert the CDF within the clip: the median of a normal
    /// is its mean, a clipped normal's quantiles stay in the clip, and
    /// quantiles rise with u.
    #[test]
    fn quantiles_invert_the_clipped_distribution() {
        let n = Dist::new(Shape::Normal { mean: 4.0, sd: 1.0 });
        assert!((n.quantile(0.5) - 4.0).abs() < 1e-9);
        assert!((n.quantile(0.975) - 5.959_964).abs() < 1e-5);
        let clipped = Dist::clipped(Shape::Normal { mean: 4.0, sd: 1.0 }, 3.0, 6.0);
        let qs: Vec<f64> = (0..=20)
            .map(|i| clipped.quantile(i as f64 / 20.0))
            .collect();
        assert!(
            (qs[0] - 3.0).abs() < 1e-6 && (qs[20] - 6.0).abs() < 1e-6,
            "{qs:?}"
        );
        assert!(qs.windows(2).all(|w| w[0] <= w[1]));
        let ln = Dist::new(Shape::LogNormal {
            location: LogLocation::Median(2.0),
            sigma: 0.5,
        });
        assert!((ln.quantile(0.5) - 2.0).abs() < 1e-9);
        let b = Dist::new(Shape::Beta { a: 2.0, b: 2.0 });
        assert!((b.quantile(0.5) - 0.5).abs() < 1e-6);
        let g = Dist::new(Shape::Gamma {
            shape: 2.0,
            scale: 3.0,
        });
        assert!(
            (g.quantile(0.5) - 5.035_040).abs() < 1e-4,
            "{}",
            g.quantile(0.5)
        );
        let u = Dist::new(Shape::Uniform {
            low: 1.0,
            high: 3.0,
        });
        assert_eq!(u.quantile(0.25), 1.5);
    }

    fn mean_of(d: &Dist, n: usize) -> f64 {
        let mut rng = Pcg64Mcg::seed_from_u64(7);
        (0..n).map(|_| d.sample(&mut rng)).sum::<f64>() / n as f64
    }

    #[test]
    fn lognormal_by_mean_has_that_mean() {
        let d = Dist::new(Shape::LogNormal {
            location: LogLocation::Mean(1.0),
            sigma: 0.3,
        });
        // sd of the mean of 200k draws is about 0.31/sqrt(2e5) = 7e-4.
        assert!((mean_of(&d, 200_000) - 1.0).abs() < 4e-3);
    }

    #[test]
    fn clip_bounds_samples_and_support() {
        let d = Dist::clipped(
            Shape::Normal {
                mean: 0.2,
                sd: 0.25,
            },
            -0.2,
            1.3,
        );
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        assert!((0..10_000).all(|_| {
            let x = d.sample(&mut rng);
            (-0.2..=1.3).contains(&x)
        }));
        assert_eq!(d.support(), (-0.2, 1.3));
    }

    #[test]
    fn check_rejects_bad_parameters() {
        assert!(Dist::new(Shape::Beta { a: 0.0, b: 1.0 }).check().is_err());
        assert!(
            Dist::new(Shape::Uniform {
                low: 2.0,
                high: 1.0
            })
            .check()
            .is_err()
        );
        assert!(Dist::constant(1.0).check().is_ok());
    }

    #[test]
    fn the_ceiling_refuses_heavy_or_huge_distributions_and_keeps_the_defaults() {
        let u = |low, high| Dist::new(Shape::Uniform { low, high });
        // high - low would overflow: every number is bounded first.
        assert!(u(-1e308, 1e308).check().unwrap_err().contains("beyond"));
        assert!(u(0.0, 2e6).check().unwrap_err().contains("beyond"));
        let wide = Dist::clipped(Shape::Normal { mean: 0.0, sd: 1e6 }, 0.0, 1e6 + 1.0);
        let e = Dist {
            max: None,
            ..wide.clone()
        }
        .check()
        .unwrap_err();
        assert!(e.contains("15.866% of its draws would lie above"), "{e}");
        // Rare draws beyond the ceiling that carry the mean.
        let heavy = Dist::new(Shape::LogNormal {
            location: LogLocation::Mean(20.0),
            sigma: 10.0,
        });
        assert!(heavy.mass_beyond(CEILING) < TAIL_LIMIT);
        assert!(heavy.check().unwrap_err().contains("of its mean"));
        let mut clipped = heavy.clone();
        clipped.max = Some(100.0);
        assert!(clipped.check().is_ok());
        let gamma = Dist::new(Shape::Gamma {
            shape: 0.01,
            scale: 1e6,
        });
        assert!(gamma.check().is_err());
        for def in crate::params::MODEL_PARAMS {
            if let crate::params::registry::Value::Dist(d) =
                (def.get)(&crate::params::ModelParams::default())
            {
                assert_eq!(d.check(), Ok(()), "{}", def.name);
            }
        }
    }

    #[test]
    fn display_round_trips_the_written_form() {
        let d = Dist::new(Shape::Beta { a: 4.0, b: 4.0 });
        assert_eq!(d.to_string(), "{ dist = \"beta\", a = 4, b = 4 }");
        assert_eq!(Dist::constant(1.0).to_string(), "1");
    }
}
