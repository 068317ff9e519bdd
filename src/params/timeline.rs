//! The policy timeline: lever changes at given weeks.
//!
//! MODEL.md step 1: weeks are numbered from 0; an event at week t applies
//! before week t is simulated; a ramp from t0 to t1 moves a numeric
//! parameter linearly, starting at its start value in week t0 and reaching
//! its end value at t1. Events apply in the order the scenario lists them,
//! so a later event on the same parameter in the same week wins.

use crate::params::registry::{ParamDef, Value};
use crate::params::{InvalidParams, ModelParams};

/// What an event does to its parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    Set {
        week: usize,
        value: Value,
    },
    Ramp {
        from_week: usize,
        to_week: usize,
        start: f64,
        end: f64,
    },
}

/// One timeline event on one parameter.
#[derive(Clone)]
pub struct Event {
    pub param: &'static ParamDef<ModelParams>,
    pub change: Change,
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Event({}, {:?})", self.param.name, self.change)
    }
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.param.name == other.param.name && self.change == other.change
    }
}

/// Events in scenario order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timeline {
    pub events: Vec<Event>,
}

impl Timeline {
    /// Applies every event that acts in `week` to `params`.
    pub fn apply(&self, week: usize, params: &mut ModelParams) {
        for e in &self.events {
            match &e.change {
                Change::Set { week: w, value } if *w == week => e.param.set_checked(params, value),
                Change::Ramp {
                    from_week,
                    to_week,
                    start,
                    end,
                } if (*from_week..=*to_week).contains(&week) => {
                    let frac = (week - from_week) as f64 / (to_week - from_week) as f64;
                    // Exactly the start and the end at the ramp's ends,
                    // and between them in between, whatever the rounding
                    // (an end may sit at a range's bound).
                    let v =
                        (start * (1.0 - frac) + end * frac).clamp(start.min(*end), start.max(*end));
                    e.param.set_checked(params, &e.param.number(v));
                }
                _ => {}
            }
        }
    }

    /// Checks that every event may change its parameter during a run and
    /// sets it to allowed values (a ramp's ends finite and in range), none
    /// of which breaks a rule between parameters of `params`.
    pub fn validate(&self, params: &ModelParams) -> Result<(), InvalidParams> {
        let mut problems = Vec::new();
        for e in &self.events {
            let name = e.param.name;
            if !e.param.timeline {
                problems.push(format!("`{name}` cannot change during a run"));
                continue;
            }
            let values = match &e.change {
                Change::Set { value, .. } => vec![value.clone()],
                Change::Ramp {
                    start,
                    end,
                    from_week,
                    to_week,
                } => {
                    if from_week >= to_week {
                        problems.push(format!(
                            "a ramp of `{name}` must end after it starts (from week {from_week} to week {to_week})"
                        ));
                        continue;
                    }
                    if !(start.is_finite() && end.is_finite()) {
                        problems.push(format!(
                            "`{name}` cannot ramp to or from an unlimited value"
                        ));
                        continue;
                    }
                    vec![e.param.number(*start), e.param.number(*end)]
                }
            };
            for v in values {
                let mut p = params.clone();
                match e.param.set(&mut p, &v) {
                    Err(problem) => problems.push(problem.to_string()),
                    Ok(()) => problems.extend(
                        p.conflicts()
                            .into_iter()
                            .filter(|c| c.param == name || c.other == name)
                            .map(|c| format!("{}; {}", c.message, c.help)),
                    ),
                }
            }
        }
        InvalidParams::check(problems)
    }

    /// The weeks at which something changes (for marking charts).
    pub fn change_weeks(&self) -> Vec<usize> {
        let mut w: Vec<usize> = self
            .events
            .iter()
            .map(|e| match e.change {
                Change::Set { week, .. } => week,
                Change::Ramp { from_week, .. } => from_week,
            })
            .collect();
        w.sort_unstable();
        w.dedup();
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{Leaderboard, MODEL_PARAMS, registry::find};

    #[test]
    fn set_applies_at_its_week_only() {
        let t = Timeline {
            events: vec![Event {
                param: find(MODEL_PARAMS, "leaderboard").unwrap(),
                change: Change::Set {
                    week: 26,
                    value: Value::Text("manager".into()),
                },
            }],
        };
        let mut p = ModelParams::default();
        p.levers.leaderboard = Leaderboard::Org;
        t.apply(25, &mut p);
        assert_eq!(p.levers.leaderboard, Leaderboard::Org);
        t.apply(26, &mut p);
        assert_eq!(p.levers.leaderboard, Leaderboard::Manager);
    }

    #[test]
    fn ramp_is_linear_and_reaches_end_at_t1() {
        let t = Timeline {
            events: vec![Event {
                param: find(MODEL_PARAMS, "audit_rate").unwrap(),
                change: Change::Ramp {
                    from_week: 10,
                    to_week: 20,
                    start: 0.0,
                    end: 0.5,
                },
            }],
        };
        let mut p = ModelParams::default();
        for (week, want) in [(9, 0.0), (10, 0.0), (15, 0.25), (20, 0.5), (30, 0.5)] {
            t.apply(week, &mut p);
            assert!((p.levers.audit_rate - want).abs() < 1e-15, "week {week}");
        }
    }
}
