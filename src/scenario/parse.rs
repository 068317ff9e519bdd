//! Walks the spanned TOML tree of a scenario and builds parameters.
//!
//! Values are checked against the registry's [`Kind`]s as they are read;
//! every problem becomes a [`Diagnostic`] at the span of the key or value
//! concerned, with a suggestion (the closest valid name, the table a key
//! belongs in, the allowed range).

use super::error::Diagnostic;
use crate::model::timeline::{Change, Event, Timeline};
use crate::params::dist::{Dist, LogLocation, SHAPES, Shape};
use crate::params::registry::{self, Kind, ParamDef, Section, Value, closest};
use crate::params::{MODEL_PARAMS, ModelParams, RUN_SETTINGS, RunSettings};
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

pub(super) struct Parsed {
    pub name: String,
    pub description: String,
    pub params: ModelParams,
    pub run: RunSettings,
    pub timeline: Timeline,
}

const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "run",
    "organisation",
    "policy",
    "behaviour",
    "population",
    "timeline",
];

type Item<'a> = Spanned<DeValue<'a>>;

/// Parses scenario text; on failure returns every problem found.
pub(super) fn parse(text: &str, default_name: &str) -> Result<Parsed, Vec<Diagnostic>> {
    let doc = DeTable::parse(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let msg = e.message().trim().to_string();
        vec![
            Diagnostic::new(span, format!("invalid TOML: {msg}"))
                .help("check quotes, brackets and `key = value` syntax on this line"),
        ]
    })?;
    let mut p = Parser {
        errors: Vec::new(),
        out: Parsed {
            name: default_name.to_string(),
            description: String::new(),
            params: ModelParams::default(),
            run: RunSettings::default(),
            timeline: Timeline::default(),
        },
    };
    let mut timeline = None;
    for (key, item) in doc.get_ref() {
        let k = key.get_ref().as_ref();
        match k {
            "name" | "description" => match item.get_ref().as_str() {
                Some(s) if k == "name" => p.out.name = s.to_string(),
                Some(s) => p.out.description = s.trim().to_string(),
                None => p.error(
                    item.span(),
                    format!("`{k}` must be a string"),
                    "put the text in double quotes",
                ),
            },
            "timeline" => timeline = Some(item),
            _ => match Section::ALL.iter().find(|s| s.name() == k) {
                Some(&section) => p.section(section, item),
                None => p.misplaced_or_unknown(key, None),
            },
        }
    }
    if let Some(item) = timeline {
        p.timeline(item);
    }
    p.check_name(&doc);
    if p.errors.is_empty() {
        Ok(p.out)
    } else {
        p.errors
            .sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
        Err(p.errors)
    }
}

struct Parser {
    errors: Vec<Diagnostic>,
    out: Parsed,
}

impl Parser {
    fn error(&mut self, span: Range<usize>, msg: impl Into<String>, help: impl Into<String>) {
        self.errors.push(Diagnostic::new(span, msg).help(help));
    }

    fn check_name(&mut self, doc: &Spanned<DeTable<'_>>) {
        let name = &self.out.name;
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        if !ok {
            let span = doc.get_ref().get("name").map_or(0..0, |item| item.span());
            self.error(
                span,
                format!("scenario name {name:?} cannot be used as a directory name"),
                "use letters, digits, '-', '_' or '.' only, e.g. name = \"amazon-2026\"",
            );
        }
    }

    /// Reports a key that is not valid where it stands, pointing to the
    /// table it belongs in or to the closest valid name.
    fn misplaced_or_unknown(
        &mut self,
        key: &Spanned<std::borrow::Cow<'_, str>>,
        here: Option<Section>,
    ) {
        let k = key.get_ref().as_ref();
        let owner = MODEL_PARAMS
            .iter()
            .map(|d| (d.name, d.section))
            .chain(RUN_SETTINGS.iter().map(|d| (d.name, d.section)))
            .find(|(n, _)| *n == k);
        let where_ = here.map_or("at the top level".to_string(), |s| {
            format!("in [{}]", s.name())
        });
        if let Some((_, section)) = owner {
            self.error(
                key.span(),
                format!("`{k}` does not belong {where_}"),
                format!("move it under the [{}] table", section.name()),
            );
            return;
        }
        let candidates: Vec<&str> = match here {
            None => TOP_KEYS.to_vec(),
            Some(s) => section_names(s),
        };
        let all_names = MODEL_PARAMS
            .iter()
            .map(|d| d.name)
            .chain(RUN_SETTINGS.iter().map(|d| d.name));
        let help = match closest(candidates.iter().copied(), k).or_else(|| closest(all_names, k)) {
            Some(c) => format!("did you mean `{c}`? (`goodhart params` lists every parameter)"),
            None => match here {
                Some(s) => format!("valid keys in [{}]: {}", s.name(), candidates.join(", ")),
                None => format!("valid top-level keys: {}", TOP_KEYS.join(", ")),
            },
        };
        self.error(key.span(), format!("unknown key `{k}` {where_}"), help);
    }

    fn section(&mut self, section: Section, item: &Item<'_>) {
        let Some(table) = item.get_ref().as_table() else {
            self.error(
                item.span(),
                format!("`{}` must be a table", section.name()),
                format!(
                    "write it as a [{}] header followed by `key = value` lines",
                    section.name()
                ),
            );
            return;
        };
        for (key, value) in table {
            let k = key.get_ref().as_ref();
            if section == Section::Run {
                match registry::find(RUN_SETTINGS, k) {
                    Some(def) => {
                        if let Some(v) = self.value(def, value) {
                            (def.set)(&mut self.out.run, &v);
                        }
                    }
                    None => self.misplaced_or_unknown(key, Some(section)),
                }
                continue;
            }
            match registry::find(MODEL_PARAMS, k).filter(|d| d.section == section) {
                Some(def) => {
                    if let Some(v) = self.value(def, value) {
                        (def.set)(&mut self.out.params, &v);
                    }
                }
                None => self.misplaced_or_unknown(key, Some(section)),
            }
        }
    }

    /// Reads a value for `def`, or records why it cannot.
    fn value<T>(&mut self, def: &ParamDef<T>, item: &Item<'_>) -> Option<Value> {
        let span = item.span();
        let name = def.name;
        let res = match def.kind {
            Kind::Real { min, max, words } => real(item, min, max, words),
            Kind::Integer { min, max } => integer(item, min, max),
            Kind::Choice(words) => match item.get_ref().as_str() {
                Some(w) if words.contains(&w) => Ok(Value::Text(w.to_string())),
                Some(w) => Err(match closest(words.iter().copied(), w) {
                    Some(c) => (
                        format!("`{name}` cannot be \"{w}\""),
                        format!("did you mean \"{c}\"?"),
                    ),
                    None => (
                        format!("`{name}` cannot be \"{w}\""),
                        format!("use one of {}", def.kind.describe()),
                    ),
                }),
                None => Err((
                    format!("`{name}` must be a word in quotes"),
                    format!("use one of {}", def.kind.describe()),
                )),
            },
            Kind::Distribution { min, max } => match distribution(item, name, min, max) {
                Ok(d) => Ok(Value::Dist(d)),
                Err(Located {
                    span: Some(at),
                    problem: (msg, help),
                }) => {
                    self.error(at, msg, help);
                    return None;
                }
                Err(Located {
                    span: None,
                    problem,
                }) => Err(problem),
            },
        };
        match res {
            Ok(v) => Some(v),
            Err((msg, help)) => {
                self.error(span, msg, help);
                None
            }
        }
    }

    fn timeline(&mut self, item: &Item<'_>) {
        let Some(events) = item.get_ref().as_array() else {
            self.error(
                item.span(),
                "`timeline` must be an array of events",
                "write each event as a [[timeline]] block with `week = N` and the levers it sets",
            );
            return;
        };
        for ev in events.iter() {
            self.event(ev);
        }
    }

    /// One `[[timeline]]` block: `week = t` and levers to set, or
    /// `from = t0`, `to = t1` and levers to ramp given as `[start, end]`.
    fn event(&mut self, item: &Item<'_>) {
        let Some(table) = item.get_ref().as_table() else {
            self.error(
                item.span(),
                "a timeline event must be a table",
                "write it as a [[timeline]] block",
            );
            return;
        };
        let weeks = self.out.params.weeks;
        let week_of = |p: &mut Parser, key: &str| -> Option<usize> {
            let item = table.get(key)?;
            match integer(item, 0, i64::MAX) {
                Ok(v) => {
                    let w = v.as_f64().unwrap_or(0.0) as usize;
                    if w >= weeks {
                        p.error(
                            item.span(),
                            format!(
                                "week {w} is never simulated: the run has weeks 0..{}",
                                weeks - 1
                            ),
                            "use an earlier week or raise `weeks` in [organisation]",
                        );
                        None
                    } else {
                        Some(w)
                    }
                }
                Err((m, h)) => {
                    p.error(item.span(), format!("`{key}`: {m}"), h);
                    None
                }
            }
        };
        let week = week_of(self, "week");
        let from = week_of(self, "from");
        let to = week_of(self, "to");
        let has = |k: &str| table.contains_key(k);
        let ramp = match (has("week"), has("from") || has("to")) {
            (true, false) => false,
            (false, true) if has("from") && has("to") => true,
            _ => {
                self.error(
                    item.span(),
                    "a timeline event needs either `week = N` (set levers) or both `from` and `to` (ramp levers)",
                    "e.g. `week = 26` with `leaderboard = \"manager\"`, or `from = 0`, `to = 52` with `audit_rate = [0.0, 0.5]`",
                );
                return;
            }
        };
        if let (Some(f), Some(t)) = (from, to)
            && f >= t
        {
            let span = table.get("to").map_or(item.span(), |i| i.span());
            self.error(
                span,
                format!("a ramp must end after it starts (from = {f}, to = {t})"),
                "make `to` larger than `from`",
            );
            return;
        }
        for (key, value) in table {
            let k = key.get_ref().as_ref();
            if matches!(k, "week" | "from" | "to") {
                continue;
            }
            let Some(def) = registry::find(MODEL_PARAMS, k) else {
                let names = MODEL_PARAMS.iter().filter(|d| d.timeline).map(|d| d.name);
                let help = closest(names, k).map_or_else(
                    || "a timeline event may set any [policy] lever or [behaviour] parameter (`goodhart params`)".to_string(),
                    |c| format!("did you mean `{c}`?"),
                );
                self.error(
                    key.span(),
                    format!("unknown parameter `{k}` in timeline event"),
                    help,
                );
                continue;
            };
            if !def.timeline {
                self.error(
                    key.span(),
                    format!("`{k}` cannot change during a run"),
                    format!(
                        "it is fixed when the run starts; set it in [{}] instead",
                        def.section.name()
                    ),
                );
                continue;
            }
            if !ramp {
                if let (Some(v), Some(w)) = (self.value(def, value), week) {
                    self.out.timeline.events.push(Event {
                        param: def,
                        change: Change::Set { week: w, value: v },
                    });
                }
                continue;
            }
            if !def.kind.is_numeric() {
                self.error(
                    value.span(),
                    format!("`{k}` is not numeric and cannot be ramped"),
                    "use a `week = N` event to switch it at one week",
                );
                continue;
            }
            let pair = value.get_ref().as_array().filter(|a| a.len() == 2);
            let Some(pair) = pair else {
                self.error(
                    value.span(),
                    format!("a ramped `{k}` needs [start, end] values"),
                    format!("e.g. {k} = [0.0, 0.5]"),
                );
                continue;
            };
            let (a, b) = (self.value(def, &pair[0]), self.value(def, &pair[1]));
            if let (Some(a), Some(b), Some(f), Some(t)) = (a, b, from, to) {
                let (start, end) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
                self.out.timeline.events.push(Event {
                    param: def,
                    change: Change::Ramp {
                        from_week: f,
                        to_week: t,
                        start,
                        end,
                    },
                });
            }
        }
    }
}

fn section_names(s: Section) -> Vec<&'static str> {
    if s == Section::Run {
        return RUN_SETTINGS.iter().map(|d| d.name).collect();
    }
    MODEL_PARAMS
        .iter()
        .filter(|d| d.section == s)
        .map(|d| d.name)
        .collect()
}

type Problem = (String, String);

/// A problem inside a table, with the span of the key concerned if known.
struct Located {
    span: Option<Range<usize>>,
    problem: Problem,
}

impl From<Problem> for Located {
    fn from(problem: Problem) -> Self {
        Located {
            span: None,
            problem,
        }
    }
}

fn number(item: &Item<'_>) -> Option<f64> {
    match item.get_ref() {
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .ok()
            .map(|v| v as f64),
        DeValue::Float(f) => f.as_str().parse().ok(),
        _ => None,
    }
}

fn real(item: &Item<'_>, min: f64, max: f64, words: &[(&str, f64)]) -> Result<Value, Problem> {
    let range = Kind::Real {
        min,
        max,
        words: &[],
    }
    .describe();
    let x = match (item.get_ref().as_str(), number(item)) {
        (Some(w), _) => match words.iter().find(|(name, _)| *name == w) {
            Some((_, v)) => *v,
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
    if x.is_nan() || x < min || x > max {
        let mut help = format!("use a value in {range}");
        if min == 0.0 && max == 1.0 && x > 1.0 && x <= 100.0 {
            help.push_str(&format!(
                "; it is a share, so {x}% is written {}",
                x / 100.0
            ));
        }
        return Err((format!("{x} is out of range"), help));
    }
    Ok(Value::Real(x))
}

fn integer(item: &Item<'_>, min: i64, max: i64) -> Result<Value, Problem> {
    let range = Kind::Integer { min, max }.describe();
    let v = match item.get_ref() {
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
        DeValue::Float(_) => number(item)
            .filter(|x| x.fract() == 0.0 && x.abs() < 9e15)
            .map(|x| x as i64),
        _ => None,
    };
    match v {
        Some(v) if (min..=max).contains(&v) => Ok(Value::Int(v)),
        Some(v) => Err((format!("{v} is out of range"), format!("use a {range}"))),
        None => Err((
            "expected a whole number".to_string(),
            format!("use a {range}"),
        )),
    }
}

/// A distribution: a bare number (constant) or an inline table
/// `{ dist = "lognormal", median = 20, sigma = 1.2, min = .., max = .. }`.
fn distribution(item: &Item<'_>, name: &str, min: f64, max: f64) -> Result<Dist, Located> {
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
    if lo < min || hi > max {
        let clip_lo = if lo < min {
            format!(", min = {min}")
        } else {
            String::new()
        };
        let clip_hi = if hi > max {
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

fn dist_table(t: &DeTable<'_>) -> Result<Dist, Located> {
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
