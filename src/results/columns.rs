//! The column machinery shared by the rows whose columns are not fixed
//! (every metric, and a sweep's swept parameters): serialising them as
//! named fields, and recognising a column by its header name when reading.

use crate::model::metrics::{Metric, WeekMetrics};
use crate::params::MODEL_PARAMS;
use crate::params::registry::{self, Value};
use serde::de::{self, DeserializeSeed, Deserializer, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, OnceLock};

/// A column of a row, recognised by its header name.
pub(super) enum Column {
    /// The row's own field `fixed[i]`.
    Fixed(usize),
    Metric(Metric),
    /// A swept parameter's value.
    Param(&'static str),
    /// A point's unit-cube coordinate of a parameter (`unit_<name>`).
    Unit(&'static str),
    Unknown(String),
}

/// Recognises the columns of a row type with fixed fields `fixed`, metric
/// columns and (if `params`) parameter columns.
pub(super) struct ColumnSeed {
    pub fixed: &'static [&'static str],
    pub params: bool,
}

impl<'de> DeserializeSeed<'de> for ColumnSeed {
    type Value = Column;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Column, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for ColumnSeed {
    type Value = Column;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a column name")
    }

    fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<Column, E> {
        match std::str::from_utf8(b) {
            Ok(s) => self.visit_str(s),
            Err(_) => Ok(Column::Unknown(String::from_utf8_lossy(b).into_owned())),
        }
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Column, E> {
        if let Some(i) = self.fixed.iter().position(|f| *f == s) {
            return Ok(Column::Fixed(i));
        }
        if let Some(m) = Metric::from_name(s) {
            return Ok(Column::Metric(m));
        }
        if self.params {
            // An exploration's point is a world and a policy.
            if let Some(c) = EXPLORE_COLUMNS.iter().find(|c| **c == s) {
                return Ok(Column::Param(c));
            }
            if let Some(def) = registry::find(MODEL_PARAMS, s) {
                return Ok(Column::Param(def.name));
            }
            if let Some(def) = s
                .strip_prefix("unit_")
                .and_then(|p| registry::find(MODEL_PARAMS, p))
            {
                return Ok(Column::Unit(def.name));
            }
        }
        Ok(Column::Unknown(s.to_string()))
    }
}

/// The columns that name an exploration's point: its sampled world (a
/// number from 0) and its policy (an arm's name).
pub const EXPLORE_COLUMNS: [&str; 2] = ["world", "policy"];

/// An error for a column a row type does not have.
pub(super) fn unknown<E: de::Error>(name: &str) -> E {
    E::custom(format!(
        "unexpected column `{name}` (was this file written by another version of goodhart?)"
    ))
}

/// Metric values read so far, and which.
#[derive(Default)]
pub(super) struct MetricCells {
    pub values: WeekMetrics,
    seen: u64,
}

impl MetricCells {
    pub fn read<'de, A: de::MapAccess<'de>>(
        &mut self,
        m: Metric,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let v: f64 = map.next_value()?;
        self.values.set(m, v);
        self.seen |= 1 << (m as u64);
        Ok(())
    }

    /// The values, if every metric had its column.
    pub fn finish<E: de::Error>(self) -> Result<WeekMetrics, E> {
        match Metric::ALL
            .iter()
            .find(|m| self.seen & (1 << (**m as u64)) == 0)
        {
            Some(m) => Err(E::custom(format!("missing column `{m}`"))),
            None => Ok(self.values),
        }
    }
}

/// Writes every metric as a field named after it.
pub(super) fn serialize_metrics<S: SerializeStruct>(
    s: &mut S,
    m: &WeekMetrics,
) -> Result<(), S::Error> {
    for &metric in Metric::ALL {
        s.serialize_field(metric.name(), &m.get(metric))?;
    }
    Ok(())
}

/// Writes parameter values as fields named after the parameters.
pub(super) fn serialize_params<S: SerializeStruct>(
    s: &mut S,
    params: &[(&'static str, Value)],
) -> Result<(), S::Error> {
    for (name, v) in params {
        s.serialize_field(name, &Cell::from(v))?;
    }
    Ok(())
}

/// A parameter's value as a CSV cell: a whole number, a number or a word.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub(super) enum Cell {
    Int(i64),
    Real(f64),
    Text(String),
}

impl From<&Value> for Cell {
    fn from(v: &Value) -> Cell {
        match v {
            Value::Int(i) => Cell::Int(*i),
            Value::Real(x) => Cell::Real(*x),
            Value::Text(t) => Cell::Text(t.clone()),
            Value::Dist(d) => Cell::Text(d.to_string()),
        }
    }
}

impl From<Cell> for Value {
    fn from(c: Cell) -> Value {
        match c {
            Cell::Int(i) => Value::Int(i),
            Cell::Real(x) => Value::Real(x),
            Cell::Text(t) => Value::Text(t),
        }
    }
}

/// `unit_<name>`, the column of a parameter's unit-cube coordinate, as a
/// `'static` name (serde names fields by `&'static str`; there is at most
/// one such name per registry parameter).
pub(super) fn unit_column(name: &'static str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashMap<&'static str, &'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    names
        .entry(name)
        .or_insert_with(|| Box::leak(format!("unit_{name}").into_boxed_str()))
}
