//! `[[timeline]]` events: `week = t` with levers to set, or `from`/`to`
//! with numeric levers to ramp between `[start, end]`.

use super::values::integer;
use super::{Item, Parser};
use crate::params::registry::{self, ParamDef, Value, closest};
use crate::params::timeline::{Change, Event, Timeline};
use crate::params::{MODEL_PARAMS, ModelParams};

impl Parser {
    /// One end of a ramp: a finite number (a ramp from or to "none", an
    /// unlimited cap, has no points in between).
    fn ramp_end(
        &mut self,
        def: &'static ParamDef<ModelParams>,
        params: &ModelParams,
        item: &Item<'_>,
    ) -> Option<f64> {
        let v = self.value(def, item)?;
        let x = v.as_f64()?;
        if x.is_finite() {
            return self.consistent(def, &v, params, item).then_some(x);
        }
        self.error(
            item.span(),
            format!("`{}` cannot ramp to or from an unlimited value", def.name),
            "ramp between two numbers, and switch to or from the unlimited value with a `week = N` event",
        );
        None
    }

    /// Whether `def = v` keeps `params` free of conflicts between
    /// parameters; if not, records why at `item`.
    pub(super) fn consistent(
        &mut self,
        def: &ParamDef<ModelParams>,
        v: &Value,
        params: &ModelParams,
        item: &Item<'_>,
    ) -> bool {
        let mut p = params.clone();
        def.set_checked(&mut p, v);
        let mut ok = true;
        for c in p.conflicts() {
            if c.param == def.name || c.other == def.name {
                self.error(item.span(), c.message, c.help);
                ok = false;
            }
        }
        ok
    }

    /// Reads a `timeline` array that will act on `params`.
    pub(super) fn timeline(&mut self, item: &Item<'_>, params: &ModelParams) -> Timeline {
        let mut events = Vec::new();
        let Some(blocks) = item.get_ref().as_array() else {
            self.error(
                item.span(),
                "`timeline` must be an array of events",
                "write each event as a [[timeline]] block with `week = N` and the levers it sets",
            );
            return Timeline::default();
        };
        for ev in blocks.iter() {
            self.event(ev, params, &mut events);
        }
        Timeline { events }
    }

    /// One `[[timeline]]` block: `week = t` and levers to set, or
    /// `from = t0`, `to = t1` and levers to ramp given as `[start, end]`.
    fn event(&mut self, item: &Item<'_>, params: &ModelParams, events: &mut Vec<Event>) {
        let weeks = params.weeks;
        let Some(table) = item.get_ref().as_table() else {
            self.error(
                item.span(),
                "a timeline event must be a table",
                "write it as a [[timeline]] block",
            );
            return;
        };
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
                let v = self
                    .value(def, value)
                    .filter(|v| self.consistent(def, v, params, value));
                if let (Some(v), Some(w)) = (v, week) {
                    events.push(Event {
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
            let (a, b) = (
                self.ramp_end(def, params, &pair[0]),
                self.ramp_end(def, params, &pair[1]),
            );
            if let (Some(start), Some(end), Some(f), Some(t)) = (a, b, from, to) {
                events.push(Event {
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
