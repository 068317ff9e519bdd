//! Conversion of TOML values into parameter values, checked against the
//! registry's kinds: numbers with ranges and named values, whole numbers,
//! and attribute distributions.

use super::Item;
use crate::params::CEILING;
use crate::params::dist::{Dist, LogLocation, SHAPES, Shape};
use crate::params::registry::{Kind, Value, closest};
use std::ops::Range;
use toml::de::{DeTable, DeValue};

pub(super) type Problem = (String, String);

/// A problem inside a table, with the span of the key concerned if known.
pub(super) struct Located {
    pub span: Option<Range<usize>>,
    pub problem: Problem,
}

impl From<Problem> for Located {
    fn from(problem: Problem) -> Self {
        Located {
            span: None,
            problem,
        }
    }
}

pub(super) fn number(item: &Item<'_>) -> Option<f64> {
    match item.get_ref() {
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .ok()
            .map(|v| v as f64),
        DeValue::Float(f) => f.as_str().parse().ok(),
        _ => None,
    }
}

pub(super) fn real(
    item: &Item<'_>,
    min: f64,
    max: f64,
    words: &[(&str, f64)],
) -> Result<Value, Problem> {
    let range = Kind::Real {
        min,
        max,
        words: &[],
    }
    .describe();
    let x = match (item.get_ref().as_str(), number(item)) {
        (Some(w), _) => match words.iter().find(|(name, _)| *name == w) {
            // A named value ("none" = no cap) is valid as it stands.
            Some((_, v)) => return Ok(Value::Real(*v)),
            None if words.is_empty() => {
                return Err((
                    format!("expected a number, got the text \"{w}\""),
                    format!("write a number in {range} without quotes"),
                ));
            }
            None => {
                let list: Vec<String> = words.iter().map(|(n, _)| format!("\"{n}\"")).collect();
                return Err((
                    format!("\"{w}\" is not a known value here"),
                    format!("write a number in {range}, or one of {}", list.join(", ")),
                ));
            }
        },
        (None, Some(x)) => x,
        (None, None) => {
            return Err((
                format!("expected a number, got {}", item.get_ref().type_str()),
                format!("write a number in {range}"),
            ));
        }
    };
    Kind::check_real(x, min, max, words).map_err(|p| (p.message, p.help))?;
    Ok(Value::Real(x))
}

pub(super) fn integer(item: &Item<'_>, min: i64, max: i64) -> Result<Value, Problem> {
    let range = Kind::Integer { min, max }.describe();
    let v = match item.get_ref() {
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
        DeValue::Float(_) => number(item)
            .filter(|x| x.fract() == 0.0 && x.abs() < 9e15)
            .map(|x| x as i64),
        _ => None,
    };
    match v {
        Some(v) => Kind::check_integer(v, min, max)
            .map(|()| Value::Int(v))
            .map_err(|p| (p.message, p.help)),
        None => Err((
            "expected a whole number".to_string(),
            format!("use a {range}"),
        )),
    }
}

/// A distribution: a bare number (constant) or an inline table
/// `{ dist = "lognormal", median = 20, sigma = 1.2, min = .., max = .. }`.
pub(super) fn distribution(
    item: &Item<'_>,
    name: &str,
    min: f64,
    max: f64,
) -> Result<Dist, Located> {
    let allowed = Kind::Distribution { min, max }.describe();
    let d = if let Some(x) = number(item) {
        Dist::constant(x)
    } else if let Some(t) = item.get_ref().as_table() {
        dist_table(t)?
    } else {
        return Err(Located::from((
            format!("`{name}` must be a number or a distribution table"),
            format!("e.g. {name} = {{ dist = \"lognormal\", median = 1.0, sigma = 0.3 }}"),
        )));
    };
    d.check().map_err(|m| {
        (
            format!("`{name}`: {m}"),
            format!("`{name}` must be a {allowed}"),
        )
    })?;
    let (lo, hi) = d.support();
    if !d.within(min, max) {
        let clip_lo = if lo < min {
            format!(", min = {min}")
        } else {
            String::new()
        };
        let clip_hi = if hi > max && max < CEILING {
            format!(", max = {max}")
        } else {
            String::new()
        };
        return Err(Located::from((
            format!("`{name}` can take values outside its range: {allowed}"),
            format!(
                "clip it by adding{}{} to the table, or choose a distribution that stays in range",
                clip_lo.trim_start_matches(','),
                clip_hi
            ),
        )));
    }
    Ok(d)
}

pub(super) fn dist_table(t: &DeTable<'_>) -> Result<Dist, Located> {
    let kind = t.get("dist").and_then(|v| v.get_ref().as_str());
    let names: Vec<&str> = SHAPES.iter().map(|(n, _)| *n).collect();
    let Some(kind) = kind else {
        return Err(Located::from((
            "a distribution table needs a `dist` key".into(),
            format!("add dist = one of {}", names.join(", ")),
        )));
    };
    let Some((_, keys)) = SHAPES.iter().find(|(n, _)| *n == kind) else {
        let help = closest(names.iter().copied(), kind).map_or_else(
            || format!("use one of {}", names.join(", ")),
            |c| format!("did you mean \"{c}\"?"),
        );
        return Err(Located::from((
            format!("unknown distribution \"{kind}\""),
            help,
        )));
    };
    let get = |key: &str| -> Result<Option<f64>, Located> {
        match t.get(key) {
            None => Ok(None),
            Some(v) => number(v).map(Some).ok_or_else(|| Located {
                span: Some(v.span()),
                problem: (
                    format!("`{key}` must be a number"),
                    format!("write {key} = <number>"),
                ),
            }),
        }
    };
    for (key, _) in t {
        let k = key.get_ref().as_ref();
        if k != "dist" && k != "min" && k != "max" && !keys.contains(&k) {
            let help = closest(keys.iter().copied(), k).map_or_else(
                || format!("a {kind} takes {}, and optional min/max", keys.join(", ")),
                |c| format!("did you mean `{c}`?"),
            );
            return Err(Located {
                span: Some(key.span()),
                problem: (format!("unknown key `{k}` for a {kind} distribution"), help),
            });
        }
    }
    let need = |v: Option<f64>, key: &str| {
        v.ok_or_else(|| {
            (
                format!("a {kind} distribution needs `{key}`"),
                format!("a {kind} takes {}", keys.join(", ")),
            )
        })
    };
    let shape = match kind {
        "const" => Shape::Const {
            value: need(get("value")?, "value")?,
        },
        "uniform" => Shape::Uniform {
            low: need(get("low")?, "low")?,
            high: need(get("high")?, "high")?,
        },
        "normal" => Shape::Normal {
            mean: need(get("mean")?, "mean")?,
            sd: need(get("sd")?, "sd")?,
        },
        "lognormal" => {
            let location = match (get("median")?, get("mean")?) {
                (Some(m), None) => LogLocation::Median(m),
                (None, Some(m)) => LogLocation::Mean(m),
                _ => {
                    return Err(Located::from((
                        "a lognormal needs exactly one of `median` or `mean`".into(),
                        "e.g. { dist = \"lognormal\", median = 20, sigma = 1.2 }".into(),
                    )));
                }
            };
            Shape::LogNormal {
                location,
                sigma: need(get("sigma")?, "sigma")?,
            }
        }
        "beta" => Shape::Beta {
            a: need(get("a")?, "a")?,
            b: need(get("b")?, "b")?,
        },
        _ => {
            let shape = need(get("shape")?, "shape")?;
            let scale = match (get("scale")?, get("rate")?) {
                (Some(s), None) => s,
                (None, Some(r)) if r > 0.0 => 1.0 / r,
                _ => {
                    return Err(Located::from((
                        "a gamma needs exactly one of `scale` or `rate` (> 0)".into(),
                        "e.g. { dist = \"gamma\", shape = 2, scale = 0.5 }".into(),
                    )));
                }
            };
            Shape::Gamma { shape, scale }
        }
    };
    Ok(Dist {
        shape,
        min: get("min")?,
        max: get("max")?,
    })
}
