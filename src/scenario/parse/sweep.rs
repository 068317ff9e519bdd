//! The `[sweep]` table: design, swept parameters and their domains.
//!
//! Grid parameters take value lists (`[0.0, 0.5, 0.8]`, `["none", "org"]`)
//! or `{ low, high, steps }`; sampling designs (lhs, sobol, morris) take
//! `[low, high]` for a numeric range, a list of words for categories, or
//! `{ values = [...] }` for discrete numeric levels.

use super::values::{integer, number};
use super::{Item, Parser};
use crate::params::registry::{self, Kind, ParamDef, Section, Value, closest};
use crate::params::{MODEL_PARAMS, ModelParams};
use crate::scenario::sweep_spec::{Design, Domain, Record, SweepParam, SweepSpec};
use std::ops::Range;

const KEYS: &[&str] = &[
    "design",
    "parameters",
    "samples",
    "levels",
    "replicates",
    "record",
    "bootstrap",
];

impl Parser {
    pub(super) fn sweep(
        &mut self,
        item: &Item<'_>,
        default_replicates: usize,
    ) -> Option<SweepSpec> {
        let Some(table) = item.get_ref().as_table() else {
            self.error(
                item.span(),
                "`sweep` must be a table",
                "write a [sweep] header with `design = ...` and a [sweep.parameters] table",
            );
            return None;
        };
        self.unknown_keys(table, KEYS, "[sweep]");
        let design = match table.get("design") {
            None => {
                self.error(
                    item.span(),
                    "[sweep] needs a `design`",
                    "add design = \"grid\", \"lhs\", \"sobol\" or \"morris\"",
                );
                return None;
            }
            Some(d) => match d.get_ref().as_str().and_then(Design::from_word) {
                Some(design) => design,
                None => {
                    let help = d
                        .get_ref()
                        .as_str()
                        .and_then(|w| closest(Design::WORDS.iter().copied(), w))
                        .map_or_else(
                            || "use \"grid\", \"lhs\", \"sobol\" or \"morris\"".to_string(),
                            |c| format!("did you mean \"{c}\"?"),
                        );
                    self.error(d.span(), "unknown sweep design", help);
                    return None;
                }
            },
        };
        let default_samples = match design {
            Design::Grid => 1,
            Design::Lhs => 64,
            Design::Sobol => 256,
            Design::Morris => 20,
        };
        let samples = self
            .count(table.get("samples"), 1, 1_000_000)
            .unwrap_or(default_samples);
        let levels = self.count(table.get("levels"), 2, 1000).unwrap_or(4);
        let replicates = self
            .count(table.get("replicates"), 1, 1_000_000)
            .unwrap_or(default_replicates);
        let bootstrap = self
            .count(table.get("bootstrap"), 10, 1_000_000)
            .unwrap_or(1000);
        let record = match table.get("record") {
            None => Record::Final,
            Some(r) => match r.get_ref().as_str().and_then(Record::from_word) {
                Some(rec) => rec,
                None => {
                    self.error(
                        r.span(),
                        "unknown `record`",
                        "use \"final\" (final week and run average) or \"weekly\" (every week)",
                    );
                    Record::Final
                }
            },
        };
        let Some(params_item) = table.get("parameters") else {
            self.error(
                item.span(),
                "[sweep] needs a [sweep.parameters] table",
                "list each swept parameter with its values, e.g. adoption_target = [0.0, 0.5, 0.8]",
            );
            return None;
        };
        let Some(ptable) = params_item.get_ref().as_table() else {
            self.error(
                params_item.span(),
                "`parameters` must be a table",
                "write [sweep.parameters] followed by `name = values` lines",
            );
            return None;
        };
        let mut params = Vec::new();
        let mut spans = Vec::new();
        for (key, value) in ptable {
            let name = key.get_ref().as_ref();
            let Some(def) = self.param_named(name, key.span(), "[sweep.parameters]") else {
                continue;
            };
            if def.section == Section::Population {
                self.error(key.span(), format!("`{name}` is a distribution and cannot be swept"), "sweep a policy lever or behavioural parameter, or make one scenario per distribution");
                continue;
            }
            if let Some(domain) = self.domain(def, value, design) {
                params.push(SweepParam { def, domain });
                spans.push(key.span().start..value.span().end);
            }
        }
        self.sweep_conflicts(&params, &spans);
        if params.is_empty() {
            self.error(
                params_item.span(),
                "[sweep.parameters] lists no valid parameter",
                "add at least one, e.g. adoption_target = [0.0, 0.5, 0.8]",
            );
            return None;
        }
        let k = params.len();
        match design {
            Design::Sobol if 2 * k > 256 || samples > 65_536 => {
                self.error(item.span(), format!("a Sobol design supports at most 128 parameters and 65,536 samples (got {k} and {samples})"), "reduce the parameters or samples");
                return None;
            }
            Design::Sobol | Design::Morris if samples < 2 => {
                self.error(
                    item.span(),
                    "sensitivity designs need `samples` >= 2",
                    "use at least 2 (Sobol: 256 or more base samples for stable indices)",
                );
                return None;
            }
            _ => {}
        }
        Some(SweepSpec {
            design,
            params,
            samples,
            levels,
            replicates,
            record,
            bootstrap,
        })
    }

    /// Rules between parameters (`ModelParams::conflicts`) that some
    /// point of the sweep would break: every rule involves two
    /// parameters and is monotone in each, so the extremes of each pair of
    /// swept domains (and of each domain with the base values) find them.
    pub(super) fn sweep_conflicts(&mut self, params: &[SweepParam], spans: &[Range<usize>]) {
        let extremes = |def: &ParamDef<ModelParams>, d: &Domain| -> Vec<Value> {
            match d {
                Domain::Range { low, high } => vec![def.number(*low), def.number(*high)],
                Domain::Values(v) if v.iter().all(|x| x.as_f64().is_some()) => {
                    let key = |x: &&Value| x.as_f64().unwrap_or(0.0);
                    let lo = v.iter().min_by(|a, b| key(a).total_cmp(&key(b)));
                    let hi = v.iter().max_by(|a, b| key(a).total_cmp(&key(b)));
                    lo.into_iter().chain(hi).cloned().collect()
                }
                Domain::Values(v) => v.clone(),
            }
        };
        let mut reported = Vec::new();
        for i in 0..params.len() {
            for j in i..params.len() {
                for a in extremes(params[i].def, &params[i].domain) {
                    for b in extremes(params[j].def, &params[j].domain) {
                        let mut p = self.out.params.clone();
                        params[i].def.set_checked(&mut p, &a);
                        params[j].def.set_checked(&mut p, &b);
                        for c in p.conflicts() {
                            let at = [i, j]
                                .into_iter()
                                .find(|&k| params[k].def.name == c.param)
                                .or_else(|| {
                                    [i, j].into_iter().find(|&k| params[k].def.name == c.other)
                                });
                            if let Some(k) = at
                                && !reported.contains(&(c.param, c.other))
                            {
                                reported.push((c.param, c.other));
                                self.error(
                                    spans[k].clone(),
                                    format!(
                                        "some points of this sweep break a rule: {}",
                                        c.message
                                    ),
                                    format!(
                                        "narrow the swept values so that every point keeps it; {}",
                                        c.help
                                    ),
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    /// The registry's parameter `name` (a key of `table`), or an error at
    /// `span` with the closest name.
    pub(super) fn param_named(
        &mut self,
        name: &str,
        span: Range<usize>,
        table: &str,
    ) -> Option<&'static ParamDef<ModelParams>> {
        let def = registry::find(MODEL_PARAMS, name);
        if def.is_none() {
            let help = closest(MODEL_PARAMS.iter().map(|d| d.name), name).map_or_else(
                || "`goodhart params` lists the parameters".to_string(),
                |c| format!("did you mean `{c}`?"),
            );
            self.error(span, format!("unknown parameter `{name}` in {table}"), help);
        }
        def
    }

    pub(super) fn count(&mut self, item: Option<&Item<'_>>, min: i64, max: i64) -> Option<usize> {
        let item = item?;
        match integer(item, min, max) {
            Ok(v) => v.as_f64().map(|x| x as usize),
            Err((m, h)) => {
                self.error(item.span(), m, h);
                None
            }
        }
    }

    pub(super) fn domain(
        &mut self,
        def: &'static ParamDef<ModelParams>,
        item: &Item<'_>,
        design: Design,
    ) -> Option<Domain> {
        let name = def.name;
        if let Some(t) = item.get_ref().as_table() {
            if let Some(values) = t.get("values") {
                return self.value_list(def, values).map(Domain::Values);
            }
            let (Some(lo), Some(hi)) = (t.get("low"), t.get("high")) else {
                self.error(
                    item.span(),
                    format!("`{name}` needs `values = [...]` or `low` and `high`"),
                    "e.g. { low = 0.0, high = 1.0 } or { low = 0.0, high = 1.0, steps = 5 }",
                );
                return None;
            };
            let (low, high) = (self.bound(def, lo)?, self.bound(def, hi)?);
            if let Some(steps) = t.get("steps") {
                let n = self.count(Some(steps), 2, 100_000)?;
                let vals = (0..n).map(|i| low + (high - low) * i as f64 / (n - 1) as f64);
                return Some(Domain::Values(vals.map(|x| as_value(def, x)).collect()));
            }
            return self.range(def, item, design, low, high);
        }
        let Some(arr) = item.get_ref().as_array() else {
            self.error(
                item.span(),
                format!("`{name}` needs a list of values or a range"),
                format!("e.g. {name} = [0.0, 0.5, 1.0]"),
            );
            return None;
        };
        let numeric_pair = arr.len() == 2 && arr.iter().all(|v| number(v).is_some());
        if design != Design::Grid && def.kind.is_numeric() && numeric_pair {
            let (low, high) = (self.bound(def, &arr[0])?, self.bound(def, &arr[1])?);
            return self.range(def, item, design, low, high);
        }
        self.value_list(def, item).map(Domain::Values)
    }

    fn range(
        &mut self,
        def: &ParamDef<ModelParams>,
        item: &Item<'_>,
        design: Design,
        low: f64,
        high: f64,
    ) -> Option<Domain> {
        if design == Design::Grid {
            self.error(
                item.span(),
                format!("a grid needs values for `{}`, not a range", def.name),
                "list the values, or give { low, high, steps } for evenly spaced ones",
            );
            return None;
        }
        if low >= high {
            self.error(
                item.span(),
                format!(
                    "range of `{}` must have low < high (got {low}, {high})",
                    def.name
                ),
                "swap or widen the bounds",
            );
            return None;
        }
        Some(Domain::Range { low, high })
    }

    fn bound(&mut self, def: &ParamDef<ModelParams>, item: &Item<'_>) -> Option<f64> {
        let x = self.value(def, item).and_then(|v| v.as_f64())?;
        if x.is_finite() {
            return Some(x);
        }
        self.error(
            item.span(),
            format!("a range of `{}` needs finite bounds", def.name),
            "give two numbers, or list the values (words such as \"none\" included) instead of a range",
        );
        None
    }

    fn value_list(&mut self, def: &ParamDef<ModelParams>, item: &Item<'_>) -> Option<Vec<Value>> {
        let Some(arr) = item.get_ref().as_array().filter(|a| !a.is_empty()) else {
            self.error(
                item.span(),
                format!("`{}` needs a non-empty list of values", def.name),
                format!("allowed values: {}", def.kind.describe()),
            );
            return None;
        };
        let vals: Vec<Option<Value>> = arr.iter().map(|v| self.value(def, v)).collect();
        vals.into_iter().collect()
    }
}

/// A number as the value type its parameter takes (integers rounded).
pub fn as_value(def: &ParamDef<ModelParams>, x: f64) -> Value {
    match def.kind {
        Kind::Integer { .. } => Value::Int(x.round() as i64),
        _ => Value::Real(x),
    }
}
