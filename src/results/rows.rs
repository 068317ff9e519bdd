//! One typed row per CSV file. Every row says what it is: an integer
//! `week` (empty for a whole-run statistic) beside a `statistic` column
//! (`week`, `final` or `run_average`); a sweep's rows carry their point's
//! swept parameter values as columns; summaries of runs (`summary.csv`)
//! and of sweeps (`aggregate.csv`) share one column order after their
//! identifying columns: `statistic, week, metric, n, mean, sd, ci_low,
//! ci_high`. Agent rows (`agents.csv`) carry one employee's attributes
//! and state instead of metrics.

use super::columns::{
    Cell, Column, ColumnSeed, MetricCells, serialize_metrics, serialize_params, unit_column,
    unknown,
};
use crate::model::AgentSnapshot;
use crate::model::metrics::{Metric, WeekMetrics};
use crate::params::registry::Value;
use crate::stats::Summary;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a row's values are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    /// One week's value (`week` says which).
    Week,
    /// The final week's value (`week` says which it was).
    Final,
    /// The mean over a run's weeks (`week` is empty).
    RunAverage,
}

impl Statistic {
    pub fn word(self) -> &'static str {
        match self {
            Statistic::Week => "week",
            Statistic::Final => "final",
            Statistic::RunAverage => "run_average",
        }
    }
}

/// Reads a field value, or fails if the column was already read.
fn once<'de, T: Deserialize<'de>, A: MapAccess<'de>>(
    slot: &mut Option<T>,
    name: &str,
    map: &mut A,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::custom(format!("column `{name}` appears twice")));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

fn need<T, E: de::Error>(v: Option<T>, name: &str) -> Result<T, E> {
    v.ok_or_else(|| E::custom(format!("missing column `{name}`")))
}

/// Declares a row whose fixed fields come first, then (with `params`) the
/// swept parameters, then more fixed fields, then (with `metrics`) every
/// metric; with its Serialize and Deserialize by column name.
macro_rules! row {
    (
        $(#[$doc:meta])* $row:ident, $name:literal,
        head { $($hf:ident: $ht:ty),* $(,)? },
        $([$params:ident])?
        tail { $($tf:ident: $tt:ty),* $(,)? }
        $([$metrics:ident])?
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $row {
            $(pub $hf: $ht,)*
            $(
                /// The swept parameters' values, in column order.
                pub $params: Vec<(&'static str, Value)>,
            )?
            $(pub $tf: $tt,)*
            $(pub $metrics: WeekMetrics,)?
        }

        impl $row {
            const FIXED: &'static [&'static str] = &[$(stringify!($hf),)* $(stringify!($tf),)*];
        }

        impl Serialize for $row {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut st = s.serialize_struct($name, Self::FIXED.len() $(+ self.$params.len())? $(+ { let _ = stringify!($metrics); Metric::ALL.len() })?)?;
                $(st.serialize_field(stringify!($hf), &self.$hf)?;)*
                $(serialize_params(&mut st, &self.$params)?;)?
                $(st.serialize_field(stringify!($tf), &self.$tf)?;)*
                $(serialize_metrics(&mut st, &self.$metrics)?;)?
                st.end()
            }
        }

        impl<'de> Deserialize<'de> for $row {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $row;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!("a row of ", $name))
                    }
                    #[allow(unreachable_patterns)]
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$row, A::Error> {
                        $(let mut $hf: Option<$ht> = None;)*
                        $(let mut $tf: Option<$tt> = None;)*
                        $(let mut $params: Vec<(&'static str, Value)> = Vec::new();)?
                        $(let mut $metrics = MetricCells::default();)?
                        let with_params = false $(|| { let _ = &$params; true })?;
                        let seed = || ColumnSeed { fixed: $row::FIXED, params: with_params };
                        while let Some(col) = map.next_key_seed(seed())? {
                            match col {
                                Column::Fixed(i) => {
                                    let name = $row::FIXED[i];
                                    $(if name == stringify!($hf) { once(&mut $hf, name, &mut map)?; continue; })*
                                    $(if name == stringify!($tf) { once(&mut $tf, name, &mut map)?; continue; })*
                                }
                                $(Column::Metric(m) => $metrics.read(m, &mut map)?,)?
                                $(Column::Param(p) => {
                                    let c: Cell = map.next_value()?;
                                    $params.push((p, c.into()));
                                })?
                                Column::Metric(m) => return Err(unknown(m.name())),
                                Column::Param(p) | Column::Unit(p) => return Err(unknown(p)),
                                Column::Unknown(n) => return Err(unknown(&n)),
                            }
                        }
                        Ok($row {
                            $($hf: need($hf, stringify!($hf))?,)*
                            $($params,)?
                            $($tf: need($tf, stringify!($tf))?,)*
                            $($metrics: $metrics.finish()?,)?
                        })
                    }
                }
                d.deserialize_map(V)
            }
        }
    };
}

row! {
    /// `weekly.csv`: one replicate's metrics in one week of a run.
    WeeklyRow, "WeeklyRow",
    head { scenario: String, variant: String, replicate: usize, seed: u64, statistic: Statistic, week: Option<usize> },
    tail {}
    [metrics]
}

row! {
    /// `runs.csv`: one run's metrics of one week, of its final week or
    /// averaged over its weeks.
    RunRow, "RunRow",
    head { point: usize },
    [params]
    tail { replicate: usize, seed: u64, statistic: Statistic, week: Option<usize> }
    [metrics]
}

/// A replicate summary as the four numbers every summary row carries.
macro_rules! summary_fields {
    ($($row:ident),*) => {$(
        impl $row {
            pub fn summary(&self) -> Summary {
                Summary { n: self.n, mean: self.mean, sd: self.sd, ci_low: self.ci_low, ci_high: self.ci_high }
            }
        }
    )*};
}

/// `summary.csv`: replicate statistics of one metric of one arm of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryRow {
    pub scenario: String,
    pub variant: String,
    pub statistic: Statistic,
    pub week: Option<usize>,
    pub metric: Metric,
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

row! {
    /// `aggregate.csv`: replicate statistics of one metric at one sweep
    /// point (its swept parameters as columns).
    AggregateRow, "AggregateRow",
    head { point: usize },
    [params]
    tail { statistic: Statistic, week: Option<usize>, metric: Metric, n: usize, mean: f64, sd: f64, ci_low: f64, ci_high: f64 }
}

summary_fields!(SummaryRow, AggregateRow);

impl AggregateRow {
    pub fn new(
        point: usize,
        params: Vec<(&'static str, Value)>,
        statistic: Statistic,
        week: Option<usize>,
        metric: Metric,
        s: Summary,
    ) -> AggregateRow {
        AggregateRow {
            point,
            params,
            statistic,
            week,
            metric,
            n: s.n,
            mean: s.mean,
            sd: s.sd,
            ci_low: s.ci_low,
            ci_high: s.ci_high,
        }
    }
}

impl SummaryRow {
    pub fn new(
        scenario: &str,
        variant: &str,
        statistic: Statistic,
        week: Option<usize>,
        metric: Metric,
        s: Summary,
    ) -> SummaryRow {
        SummaryRow {
            scenario: scenario.to_string(),
            variant: variant.to_string(),
            statistic,
            week,
            metric,
            n: s.n,
            mean: s.mean,
            sd: s.sd,
            ci_low: s.ci_low,
            ci_high: s.ci_high,
        }
    }
}

/// A sensitivity index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Index {
    /// Sobol first-order index (Saltelli 2010).
    S1,
    /// Sobol total-order index (Jansen 1999).
    ST,
    /// Morris mean absolute elementary effect.
    #[serde(rename = "mu_star")]
    MuStar,
    /// Morris mean elementary effect.
    #[serde(rename = "mu")]
    Mu,
    /// Morris sd of the elementary effects.
    #[serde(rename = "sigma")]
    Sigma,
}

impl Index {
    pub fn word(self) -> &'static str {
        match self {
            Index::S1 => "S1",
            Index::ST => "ST",
            Index::MuStar => "mu_star",
            Index::Mu => "mu",
            Index::Sigma => "sigma",
        }
    }
}

/// `sensitivity.csv`: one index of one parameter for one metric's final
/// week or run average, with its bootstrap interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensitivityRow {
    pub metric: Metric,
    pub statistic: Statistic,
    pub week: Option<usize>,
    pub parameter: String,
    pub index: Index,
    pub estimate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// `points.csv`: a sweep point's parameter values, and for sampling
/// designs its unit-cube coordinates (`unit_<name>`).
#[derive(Clone, Debug, PartialEq)]
pub struct PointRow {
    pub point: usize,
    pub params: Vec<(&'static str, Value)>,
    pub units: Vec<(&'static str, f64)>,
}

impl Serialize for PointRow {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("PointRow", 1 + self.params.len() + self.units.len())?;
        st.serialize_field("point", &self.point)?;
        serialize_params(&mut st, &self.params)?;
        for (name, u) in &self.units {
            st.serialize_field(unit_column(name), u)?;
        }
        st.end()
    }
}

impl<'de> Deserialize<'de> for PointRow {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PointRow;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a row of points.csv")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PointRow, A::Error> {
                let mut point = None;
                let (mut params, mut units) = (Vec::new(), Vec::new());
                let seed = || ColumnSeed {
                    fixed: &["point"],
                    params: true,
                };
                while let Some(col) = map.next_key_seed(seed())? {
                    match col {
                        Column::Fixed(_) => once(&mut point, "point", &mut map)?,
                        Column::Param(p) => {
                            let c: Cell = map.next_value()?;
                            params.push((p, c.into()));
                        }
                        Column::Unit(p) => units.push((p, map.next_value()?)),
                        Column::Metric(m) => return Err(unknown(m.name())),
                        Column::Unknown(n) => return Err(unknown(&n)),
                    }
                }
                Ok(PointRow {
                    point: need(point, "point")?,
                    params,
                    units,
                })
            }
        }
        d.deserialize_map(V)
    }
}

/// `agents.csv`: one employee after one week of one replicate of one arm
/// of a run (`run --agents`): the attributes and state of MODEL.md
/// section 2, with the week's allocation, tokens and output. The six
/// attributes the engine stores in single precision are `f32`, written in
/// their shortest exact form.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentRow {
    pub scenario: String,
    pub variant: String,
    pub replicate: usize,
    pub seed: u64,
    pub week: usize,
    pub employee: usize,
    pub team: usize,
    pub ability: f32,
    pub ai_speedup: f32,
    pub productive_intensity: f32,
    /// kg = r_g kp, with that week's `performative_multiplier`.
    pub performative_intensity: f64,
    pub gaming_aversion: f32,
    pub status_drive: f32,
    pub conformity: f32,
    pub manager_watchfulness: f64,
    pub credibility: f64,
    /// pi = belief_alpha / (belief_alpha + belief_beta).
    pub perceived_surveillance: f64,
    pub belief_alpha: f64,
    pub belief_beta: f64,
    pub habit: f64,
    pub stress: f64,
    /// m = 1 - p - g.
    pub manual: f64,
    pub productive: f64,
    pub performative: f64,
    pub measured_tokens: f64,
    pub tokens: f64,
    /// Y = ability (manual + (1 + ai_speedup) productive).
    pub output: f64,
}

impl AgentRow {
    /// The row of agent `a` after `week` of a run labelled by the first
    /// four columns.
    pub fn new(
        scenario: &str,
        variant: &str,
        replicate: usize,
        seed: u64,
        week: usize,
        a: &AgentSnapshot,
    ) -> AgentRow {
        let mut row = AgentRow {
            scenario: scenario.to_string(),
            variant: variant.to_string(),
            replicate,
            seed,
            week,
            ..AgentRow::default()
        };
        row.set_agent(a);
        row
    }

    /// Replaces the agent columns (from `employee` on) with `a`'s, keeping
    /// the run's labels and week (no allocation, for writing many rows).
    pub fn set_agent(&mut self, a: &AgentSnapshot) {
        // The attributes were single precision in the engine: narrowing
        // gives back exactly the value it stored.
        *self = AgentRow {
            scenario: std::mem::take(&mut self.scenario),
            variant: std::mem::take(&mut self.variant),
            replicate: self.replicate,
            seed: self.seed,
            week: self.week,
            employee: a.employee,
            team: a.team,
            ability: a.ability as f32,
            ai_speedup: a.ai_speedup as f32,
            productive_intensity: a.productive_intensity as f32,
            performative_intensity: a.performative_intensity,
            gaming_aversion: a.gaming_aversion as f32,
            status_drive: a.status_drive as f32,
            conformity: a.conformity as f32,
            manager_watchfulness: a.manager_watchfulness,
            credibility: a.credibility,
            perceived_surveillance: a.perceived_surveillance,
            belief_alpha: a.alpha,
            belief_beta: a.beta,
            habit: a.habit,
            stress: a.stress,
            manual: a.manual,
            productive: a.productive,
            performative: a.performative,
            measured_tokens: a.measured_tokens,
            tokens: a.tokens,
            output: a.output,
        };
    }
}
