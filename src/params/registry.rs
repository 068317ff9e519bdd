//! The parameter registry: one definition per parameter.
//!
//! Each [`ParamDef`] carries the name used everywhere (scenario key, CSV
//! column, `goodhart params`, docs), its section, unit, allowed range,
//! meaning, and typed accessors into the parameter struct. The scenario
//! parser, the timeline, `goodhart params` and `goodhart init` all read this
//! one table, so documentation and validation cannot drift apart.

use super::dist::Dist;
use serde::Serialize;
use std::fmt;

/// Where a parameter lives in a scenario file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    Run,
    Organisation,
    Policy,
    Behaviour,
    Population,
}

impl Section {
    pub const ALL: [Section; 5] = [
        Section::Run,
        Section::Organisation,
        Section::Policy,
        Section::Behaviour,
        Section::Population,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Section::Run => "run",
            Section::Organisation => "organisation",
            Section::Policy => "policy",
            Section::Behaviour => "behaviour",
            Section::Population => "population",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Section::Run => "how many runs and which seed",
            Section::Organisation => "size, structure and length of the simulated organisation",
            Section::Policy => "policy levers (the timeline may change these)",
            Section::Behaviour => "behavioural and structural model parameters",
            Section::Population => "distributions of employee and team attributes",
        }
    }
}

/// What values a parameter accepts.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// A real number in `[min, max]`; `words` are named values
    /// (`"none"` for an unlimited cap, `"broad"` for permissions 1.0).
    Real {
        min: f64,
        max: f64,
        words: &'static [(&'static str, f64)],
    },
    /// A whole number in `[min, max]`.
    Integer { min: i64, max: i64 },
    /// One of a fixed set of words.
    Choice(&'static [&'static str]),
    /// A distribution whose samples must lie in `[min, max]`.
    Distribution { min: f64, max: f64 },
}

impl Kind {
    /// The allowed range, as a user reads it.
    pub fn describe(&self) -> String {
        match *self {
            Kind::Real { min, max, words } => {
                let mut s = range_text(min, max);
                for (w, v) in words {
                    s.push_str(&format!(" or \"{w}\" (= {})", show_real(*v)));
                }
                s
            }
            Kind::Integer { min, max } => {
                if max == i64::MAX {
                    format!("whole number >= {min}")
                } else {
                    format!("whole number in [{min}, {max}]")
                }
            }
            Kind::Choice(words) => words
                .iter()
                .map(|w| format!("\"{w}\""))
                .collect::<Vec<_>>()
                .join(" | "),
            Kind::Distribution { min, max } => format!("distribution on {}", range_text(min, max)),
        }
    }

    /// Checks a value against the kind, in the words the scenario parser
    /// uses at a file's line and column (command-line overrides, sweeps,
    /// timelines and the library boundary use it too).
    pub fn check(&self, v: &Value) -> Result<(), Problem> {
        match (*self, v) {
            (Kind::Real { min, max, words }, _) if v.as_f64().is_some() => {
                Kind::check_real(v.as_f64().unwrap_or(f64::NAN), min, max, words)
            }
            (Kind::Integer { min, max }, Value::Int(i)) => Kind::check_integer(*i, min, max),
            (Kind::Choice(words), Value::Text(t)) if words.contains(&t.as_str()) => Ok(()),
            (Kind::Distribution { min, max }, Value::Dist(d)) => {
                d.check()
                    .map_err(|m| Problem::new(m, format!("use a {}", self.describe())))?;
                if d.within(min, max) {
                    Ok(())
                } else {
                    Err(Problem::new(
                        format!("{d} can take values outside its range"),
                        format!("use a {} (clip it with `min`/`max`)", self.describe()),
                    ))
                }
            }
            _ => Err(Problem::new(
                format!("{v} is not allowed"),
                format!("use {}", self.describe()),
            )),
        }
    }

    /// A real `x` against `[min, max]` and the named values `words`
    /// (non-finite values only as a word: "none" = no cap).
    pub fn check_real(x: f64, min: f64, max: f64, words: &[(&str, f64)]) -> Result<(), Problem> {
        if words.iter().any(|(_, w)| *w == x) {
            return Ok(());
        }
        let range = range_text(min, max);
        if !x.is_finite() {
            let what = if x.is_nan() {
                "nan"
            } else {
                "an infinite value"
            };
            let mut help = format!("use a finite value in {range}");
            if let Some((w, _)) = words.iter().find(|(_, v)| v.is_infinite()) {
                help.push_str(&format!(", or \"{w}\" for no limit"));
            }
            return Err(Problem::new(format!("{what} is not allowed here"), help));
        }
        if x < min || x > max {
            let mut help = format!("use a value in {range}");
            if min == 0.0 && max == 1.0 && x > 1.0 && x <= 100.0 {
                help.push_str(&format!(
                    "; it is a share, so {x}% is written {}",
                    x / 100.0
                ));
            }
            return Err(Problem::new(
                format!("{} is out of range", show_real(x)),
                help,
            ));
        }
        Ok(())
    }

    /// A whole number `v` against `[min, max]`.
    pub fn check_integer(v: i64, min: i64, max: i64) -> Result<(), Problem> {
        if (min..=max).contains(&v) {
            Ok(())
        } else {
            Err(Problem::new(
                format!("{v} is out of range"),
                format!("use a {}", Kind::Integer { min, max }.describe()),
            ))
        }
    }

    /// Whether the parameter takes a plain number (sweepable and rampable).
    pub fn is_numeric(&self) -> bool {
        matches!(self, Kind::Real { .. } | Kind::Integer { .. })
    }
}

fn range_text(min: f64, max: f64) -> String {
    match (min.is_finite(), max.is_finite()) {
        (true, true) => format!("[{}, {}]", show_real(min), show_real(max)),
        (true, false) => format!(">= {}", show_real(min)),
        (false, true) => format!("<= {}", show_real(max)),
        (false, false) => "any number".to_string(),
    }
}

/// Formats a real the way a scenario file would write it.
pub fn show_real(v: f64) -> String {
    if v == f64::INFINITY {
        "inf".into()
    } else if v != 0.0 && !(1e-12..1e16).contains(&v.abs()) {
        // Not 300 digits for 1e308.
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Why a value is not allowed: what is wrong, and how to fix it. The same
/// words reach a user from a scenario file (at its line and column), a
/// command-line flag and the library's own checks.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message}; {help}")]
pub struct Problem {
    pub message: String,
    pub help: String,
}

impl Problem {
    pub fn new(message: impl Into<String>, help: impl Into<String>) -> Problem {
        Problem {
            message: message.into(),
            help: help.into(),
        }
    }
}

/// A parameter value in its untyped form, as parsed or as reported.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Int(i64),
    Real(f64),
    Text(String),
    Dist(Dist),
}

impl Value {
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Int(i) => Some(i as f64),
            Value::Real(r) => Some(r),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Real(r) => write!(f, "{}", show_real(*r)),
            Value::Text(t) => write!(f, "\"{t}\""),
            Value::Dist(d) => write!(f, "{d}"),
        }
    }
}

/// Conversion between a typed field and a [`Value`]. `from_value` receives
/// a value already checked against the parameter's [`Kind`].
pub trait ParamType: Sized {
    fn to_value(&self) -> Value;
    fn from_value(v: &Value) -> Self;
}

impl ParamType for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
    fn from_value(v: &Value) -> Self {
        v.as_f64().unwrap_or(f64::NAN)
    }
}

impl ParamType for usize {
    fn to_value(&self) -> Value {
        Value::Int(*self as i64)
    }
    fn from_value(v: &Value) -> Self {
        v.as_f64().map_or(0, |x| x.round().max(0.0) as usize)
    }
}

impl ParamType for u64 {
    fn to_value(&self) -> Value {
        Value::Int(*self as i64)
    }
    fn from_value(v: &Value) -> Self {
        match *v {
            Value::Int(i) => i as u64,
            _ => v.as_f64().map_or(0, |x| x.round().max(0.0) as u64),
        }
    }
}

impl ParamType for Dist {
    fn to_value(&self) -> Value {
        Value::Dist(self.clone())
    }
    fn from_value(v: &Value) -> Self {
        match v {
            Value::Dist(d) => d.clone(),
            other => Dist::constant(other.as_f64().unwrap_or(f64::NAN)),
        }
    }
}

/// Implements [`ParamType`] for a field-less enum written as lowercase words.
macro_rules! word_enum {
    ($ty:ident { $($variant:ident = $word:literal),+ $(,)? }) => {
        impl $ty {
            pub const WORDS: &'static [&'static str] = &[$($word),+];
            pub fn word(self) -> &'static str {
                match self { $($ty::$variant => $word),+ }
            }
            pub fn from_word(w: &str) -> Option<Self> {
                match w { $($word => Some($ty::$variant),)+ _ => None }
            }
        }
        impl $crate::params::registry::ParamType for $ty {
            fn to_value(&self) -> $crate::params::registry::Value {
                $crate::params::registry::Value::Text(self.word().to_string())
            }
            fn from_value(v: &$crate::params::registry::Value) -> Self {
                match v {
                    $crate::params::registry::Value::Text(t) => $ty::from_word(t).unwrap_or_default(),
                    _ => $ty::default(),
                }
            }
        }
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.word())
            }
        }
    };
}
pub(crate) use word_enum;

/// One parameter: its name, documentation and typed accessors into `T`.
pub struct ParamDef<T: 'static> {
    pub name: &'static str,
    pub section: Section,
    pub unit: &'static str,
    pub kind: Kind,
    /// Whether a timeline event may change it during a run.
    pub timeline: bool,
    pub meaning: &'static str,
    pub get: fn(&T) -> Value,
    /// Writes a value already checked against `kind` (see
    /// [`ParamDef::set`], which checks first).
    pub(super) assign: fn(&mut T, &Value),
}

impl<T> std::fmt::Debug for ParamDef<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ParamDef({})", self.name)
    }
}

impl<T> ParamDef<T> {
    /// Sets the parameter in `target` to `v`, or says why `v` is not
    /// allowed (nothing is changed then).
    pub fn set(&self, target: &mut T, v: &Value) -> Result<(), Problem> {
        self.kind.check(v).map_err(|p| Problem {
            message: format!("`{}`: {}", self.name, p.message),
            help: p.help,
        })?;
        (self.assign)(target, v);
        Ok(())
    }

    /// Sets a value known to be allowed: checked against `kind` where it
    /// was read (a scenario's values, a timeline's ramp between two
    /// allowed values).
    pub(crate) fn set_checked(&self, target: &mut T, v: &Value) {
        debug_assert!(self.kind.check(v).is_ok(), "{}: {v}", self.name);
        (self.assign)(target, v);
    }

    /// A number as the value this parameter takes: integers rounded (a
    /// ramp's or a sampled point's value of a whole-number parameter).
    pub fn number(&self, x: f64) -> Value {
        match self.kind {
            Kind::Integer { .. } => Value::Int(x.round() as i64),
            _ => Value::Real(x),
        }
    }

    /// The value rendered for people: named words where one matches.
    pub fn show(&self, v: &Value) -> String {
        if let (Kind::Real { words, .. }, Some(x)) = (&self.kind, v.as_f64())
            && let Some((w, _)) = words.iter().find(|(_, wv)| *wv == x)
        {
            return format!("\"{w}\"");
        }
        v.to_string()
    }
}

/// Builds a `&'static [ParamDef<T>]` from one line per parameter:
/// `Section name: Type = field.path, "unit", Kind, timeline?, "meaning";`
macro_rules! registry {
    ($target:ty; $( $section:ident $name:ident : $ty:ty = $($field:ident).+ ,
        $unit:literal, $kind:expr, $timeline:literal, $meaning:literal; )*) => {
        &[ $( $crate::params::registry::ParamDef::<$target> {
            name: stringify!($name),
            section: $crate::params::registry::Section::$section,
            unit: $unit,
            kind: $kind,
            timeline: $timeline,
            meaning: $meaning,
            get: |p: &$target| <$ty as $crate::params::registry::ParamType>::to_value(&p.$($field).+),
            assign: |p: &mut $target, v: &$crate::params::registry::Value| {
                p.$($field).+ = <$ty as $crate::params::registry::ParamType>::from_value(v)
            },
        }, )* ]
    };
}
pub(crate) use registry;

/// Finds a definition by name.
pub fn find<T>(defs: &'static [ParamDef<T>], name: &str) -> Option<&'static ParamDef<T>> {
    defs.iter().find(|d| d.name == name)
}

/// The closest known name to a misspelt one, if any is close enough to be a
/// plausible typo (normalised Damerau-Levenshtein similarity >= 0.6, or one
/// name containing the other).
pub fn closest<'a>(candidates: impl IntoIterator<Item = &'a str>, name: &str) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| {
            let mut score = strsim::normalized_damerau_levenshtein(c, name);
            if name.len() >= 4 && (c.contains(name) || name.contains(c)) {
                score = score.max(0.7);
            }
            (score, c)
        })
        .filter(|(s, _)| *s >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos_and_ignores_noise() {
        let names = ["rationality", "choice_noise", "adoption_target"];
        assert_eq!(closest(names, "rationalty"), Some("rationality"));
        assert_eq!(closest(names, "adoption"), Some("adoption_target"));
        assert_eq!(closest(names, "zzz"), None);
    }

    #[test]
    fn kinds_describe_their_range() {
        let k = Kind::Real {
            min: 0.0,
            max: f64::INFINITY,
            words: &[("none", f64::INFINITY)],
        };
        assert_eq!(k.describe(), ">= 0 or \"none\" (= inf)");
        assert_eq!(
            Kind::Integer { min: 1, max: 10 }.describe(),
            "whole number in [1, 10]"
        );
    }
}
