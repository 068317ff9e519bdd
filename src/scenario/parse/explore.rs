//! The `[explore]` table: the policies, the uncertain parameters and
//! their ranges, the number of sampled worlds, the objectives and the
//! scenario-discovery settings (see [`crate::scenario::explore_spec`]).
//!
//! ```toml
//! [explore]
//! design = "lhs"            # or "sobol"
//! worlds = 100
//! replicates = 2
//! policies = ["base", "no-board"]   # default: every arm (with a grid: base)
//! at = "final"              # or "run_average"
//! [explore.policy_grid]     # every combination, set on the base, a policy
//! leaderboard = ["org", "none"]
//! audit_rate = [0.0, 0.2]
//! [explore.uncertainties]
//! rationality = [2.0, 6.0]  # a behavioural parameter's range
//! status_drive = [0.5, 2.0] # a population attribute: its centre's range
//! [[explore.objectives]]
//! metric = "performative_share"
//! sense = "minimise"
//! threshold = 0.05
//! [explore.discovery]
//! policy = "no-board"
//! fail = "performative_share > 0.1"
//! ```

use super::values::number;
use super::{Item, Parser};
use crate::params::dist::Dist;
use crate::params::outputs::METRIC_NAMES;
use crate::params::registry::{self, Kind, Section, Value, closest};
use crate::params::{MODEL_PARAMS, ModelParams};
use crate::scenario::explore_spec::{At, Condition, ExploreSpec, Objective, Sense, WorldDesign};
use crate::scenario::sweep_spec::{Design, Domain, SweepParam};
use toml::de::DeTable;

const KEYS: &[&str] = &[
    "design",
    "worlds",
    "replicates",
    "policies",
    "policy_grid",
    "at",
    "uncertainties",
    "objectives",
    "discovery",
];
const OBJECTIVE_KEYS: &[&str] = &["metric", "sense", "threshold"];
const DISCOVERY_KEYS: &[&str] = &["policy", "fail", "density"];

impl Parser {
    /// Reports keys of `table` (named `what` in messages) not in `keys`.
    pub(super) fn unknown_keys(&mut self, table: &DeTable<'_>, keys: &[&str], what: &str) {
        for (key, _) in table {
            let k = key.get_ref().as_ref();
            if !keys.contains(&k) {
                let help = closest(keys.iter().copied(), k).map_or_else(
                    || format!("valid keys in {what}: {}", keys.join(", ")),
                    |c| format!("did you mean `{c}`?"),
                );
                self.error(key.span(), format!("unknown key `{k}` in {what}"), help);
            }
        }
    }

    fn word(&mut self, item: &Item<'_>, what: &str, words: &[&str]) -> Option<String> {
        let Some(w) = item.get_ref().as_str() else {
            self.error(
                item.span(),
                format!("`{what}` must be a word in quotes"),
                format!("use one of {}", quoted(words)),
            );
            return None;
        };
        if words.contains(&w) {
            return Some(w.to_string());
        }
        let help = closest(words.iter().copied(), w).map_or_else(
            || format!("use one of {}", quoted(words)),
            |c| format!("did you mean \"{c}\"?"),
        );
        self.error(item.span(), format!("unknown `{what}` \"{w}\""), help);
        None
    }

    fn metric_name(&mut self, item: &Item<'_>, what: &str, name: &str) -> Option<String> {
        if METRIC_NAMES.contains(&name) {
            return Some(name.to_string());
        }
        let help = closest(METRIC_NAMES.iter().copied(), name).map_or_else(
            || format!("the metrics are {}", METRIC_NAMES.join(", ")),
            |c| format!("did you mean `{c}`?"),
        );
        self.error(item.span(), format!("{what}: no metric `{name}`"), help);
        None
    }

    pub(super) fn explore(
        &mut self,
        item: &Item<'_>,
        default_replicates: usize,
    ) -> Option<ExploreSpec> {
        let Some(table) = item.get_ref().as_table() else {
            self.error(
                item.span(),
                "`explore` must be a table",
                "write an [explore] header, an [explore.uncertainties] table and [[explore.objectives]]",
            );
            return None;
        };
        self.unknown_keys(table, KEYS, "[explore]");
        let design = match table.get("design") {
            None => Some(WorldDesign::Lhs),
            Some(d) => self
                .word(d, "design", WorldDesign::WORDS)
                .and_then(|w| WorldDesign::from_word(&w)),
        };
        let worlds = self.count(table.get("worlds"), 2, 1_000_000).unwrap_or(100);
        let replicates = self
            .count(table.get("replicates"), 1, 1_000_000)
            .unwrap_or(default_replicates);
        let at = match table.get("at") {
            None => Some(At::FinalWeek),
            Some(a) => self.word(a, "at", &["final", "run_average"]).map(|w| {
                if w == "final" {
                    At::FinalWeek
                } else {
                    At::RunAverage
                }
            }),
        };
        let grid = self.policy_grid(table.get("policy_grid"));
        // With a grid and no list, the grid's policies are compared with
        // the base alone.
        let policies = match (table.get("policies"), &grid) {
            (None, Some(g)) if !g.is_empty() => Some(vec![super::variants::BASE.to_string()]),
            (item, _) => self.policies(item),
        };
        let (uncertainties, shapes) = match self.uncertainties(item, table.get("uncertainties")) {
            Some((params, shapes)) => (Some(params), shapes),
            None => (None, Vec::new()),
        };
        let objectives = self.objectives(item, table.get("objectives"));
        let (discovery_policy, failure, density_threshold) = self.discovery(table.get("discovery"));
        if let (Some(p), Some(list)) = (&discovery_policy, &policies)
            && !list.contains(p)
        {
            let span = table.get("discovery").map_or(item.span(), |d| d.span());
            self.error(
                span,
                format!("discovery policy `{p}` is not one of the explored policies"),
                format!(
                    "use one of {}",
                    quoted(&list.iter().map(String::as_str).collect::<Vec<_>>())
                ),
            );
        }
        let objectives = objectives?;
        if failure.is_none() && objectives.iter().all(|o| o.threshold.is_none()) {
            self.error(
                item.span(),
                "[explore] has no failure condition for scenario discovery",
                "give an objective a `threshold` (failure: missing it), or set fail = \"performative_share > 0.1\" in [explore.discovery]",
            );
        }
        Some(ExploreSpec {
            design: design?,
            worlds,
            replicates,
            policies: policies?,
            policy_grid: grid?,
            uncertainties: uncertainties?,
            shapes,
            objectives,
            at: at?,
            discovery_policy,
            failure,
            density_threshold: density_threshold.unwrap_or(0.8),
        })
    }

    /// The explored arms: every arm by default, or the named ones (each an
    /// arm of this file, once).
    fn policies(&mut self, item: Option<&Item<'_>>) -> Option<Vec<String>> {
        let arms: Vec<String> = std::iter::once(super::variants::BASE.to_string())
            .chain(self.out.variants.iter().map(|v| v.name.clone()))
            .collect();
        let Some(item) = item else {
            return Some(arms);
        };
        let Some(list) = item.get_ref().as_array().filter(|a| !a.is_empty()) else {
            self.error(
                item.span(),
                "`policies` must be a non-empty list of arm names",
                format!(
                    "the arms of this file are {}",
                    quoted(&arms.iter().map(String::as_str).collect::<Vec<_>>())
                ),
            );
            return None;
        };
        let mut out = Vec::new();
        for p in list {
            let Some(name) = p.get_ref().as_str() else {
                self.error(
                    p.span(),
                    "a policy is an arm's name in quotes",
                    "e.g. \"base\"",
                );
                continue;
            };
            if out.iter().any(|o| o == name) {
                self.error(
                    p.span(),
                    format!("policy `{name}` is listed twice"),
                    "list each arm once",
                );
            } else if arms.iter().any(|a| a == name) {
                out.push(name.to_string());
            } else {
                let help = closest(arms.iter().map(String::as_str), name).map_or_else(
                    || {
                        format!(
                            "the arms are {} ([variants.NAME] tables add more)",
                            quoted(&arms.iter().map(String::as_str).collect::<Vec<_>>())
                        )
                    },
                    |c| format!("did you mean \"{c}\"?"),
                );
                self.error(p.span(), format!("no arm named `{name}`"), help);
            }
        }
        (out.len() == list.len()).then_some(out)
    }

    /// `[explore.policy_grid]`: lever = [values...] lines (grid domains).
    fn policy_grid(&mut self, item: Option<&Item<'_>>) -> Option<Vec<SweepParam>> {
        let Some(item) = item else {
            return Some(Vec::new());
        };
        let Some(table) = item.get_ref().as_table() else {
            self.error(
                item.span(),
                "`policy_grid` must be a table",
                "write [explore.policy_grid] followed by `lever = [values...]` lines",
            );
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (key, value) in table {
            let name = key.get_ref().as_ref();
            let def = match registry::find(MODEL_PARAMS, name) {
                Some(def) if def.section == Section::Policy => def,
                found => {
                    let help = match found {
                        Some(_) => "a policy grid varies levers of [policy]; put behavioural and population parameters in [explore.uncertainties]".to_string(),
                        None => closest(MODEL_PARAMS.iter().map(|d| d.name), name).map_or_else(
                            || "`goodhart params` lists the levers under [policy]".to_string(),
                            |c| format!("did you mean `{c}`?"),
                        ),
                    };
                    self.error(key.span(), format!("`{name}` is not a policy lever"), help);
                    ok = false;
                    continue;
                }
            };
            match self.domain(def, value, Design::Grid) {
                Some(domain) => out.push(SweepParam { def, domain }),
                None => ok = false,
            }
        }
        let combinations: usize = out
            .iter()
            .map(|p| match &p.domain {
                Domain::Values(v) => v.len(),
                Domain::Range { .. } => 1,
            })
            .product();
        if ok && combinations > 1000 {
            self.error(
                item.span(),
                format!("the policy grid has {combinations} policies; at most 1,000 are explored"),
                "list fewer values",
            );
            return None;
        }
        ok.then_some(out)
    }

    /// A distribution to draw an uncertainty from: `{ dist = ... }` with a
    /// finite (clipped) support inside what the parameter (or, for a
    /// population attribute, the centre of its distribution) allows.
    fn uncertainty_dist(
        &mut self,
        def: &'static registry::ParamDef<ModelParams>,
        item: &Item<'_>,
    ) -> Option<(Domain, Dist)> {
        let name = def.name;
        let (min, max) = match def.kind {
            Kind::Real { min, max, .. } | Kind::Distribution { min, max } => (min, max),
            Kind::Integer { min, max } => (min as f64, max as f64),
            Kind::Choice(_) => {
                self.error(
                    item.span(),
                    format!("`{name}` takes words: list them instead of a distribution"),
                    format!("e.g. {name} = [\"none\", \"org\"]"),
                );
                return None;
            }
        };
        // A population attribute's draws are centres, checked below.
        let (min, max) = if def.section == Section::Population {
            (f64::MIN, f64::MAX)
        } else {
            (min, max)
        };
        let d = match super::values::distribution(item, name, min, max) {
            Ok(d) => d,
            Err(l) => {
                let (m, h) = l.problem;
                self.error(l.span.unwrap_or(item.span()), m, h);
                return None;
            }
        };
        let (low, high) = d.support();
        if !(low.is_finite() && high.is_finite()) || low >= high {
            self.error(
                item.span(),
                format!("`{name}`'s worlds need a distribution with a finite range, got {d}"),
                "clip it with `min` and `max` (e.g. min = 1.0, max = 8.0), so that PRIM and the charts know the explored range",
            );
            return None;
        }
        if def.section == Section::Population {
            self.centre_range_ok(def, item, low, high)?;
        }
        Some((Domain::Range { low, high }, d))
    }

    fn uncertainties(
        &mut self,
        at: &Item<'_>,
        item: Option<&Item<'_>>,
    ) -> Option<(Vec<SweepParam>, Vec<Option<Dist>>)> {
        let Some(item) = item else {
            self.error(
                at.span(),
                "[explore] needs an [explore.uncertainties] table",
                "give each uncertain parameter a range, e.g. rationality = [2.0, 6.0]",
            );
            return None;
        };
        let Some(table) = item.get_ref().as_table() else {
            self.error(
                item.span(),
                "`uncertainties` must be a table",
                "write [explore.uncertainties] followed by `name = [low, high]` lines",
            );
            return None;
        };
        let mut params = Vec::new();
        let mut shapes = Vec::new();
        let mut spans = Vec::new();
        let mut ok = true;
        for (key, value) in table {
            let name = key.get_ref().as_ref();
            let Some(def) = self.param_named(name, key.span(), "[explore.uncertainties]") else {
                ok = false;
                continue;
            };
            let is_dist = value
                .get_ref()
                .as_table()
                .is_some_and(|t| t.contains_key("dist"));
            let domain = if is_dist {
                self.uncertainty_dist(def, value)
                    .map(|(d, shape)| (d, Some(shape)))
            } else if def.section == Section::Population {
                self.centre_range(def, value).map(|d| (d, None))
            } else {
                self.domain(def, value, Design::Lhs).map(|d| (d, None))
            };
            match domain {
                Some((domain, shape)) => {
                    params.push(SweepParam { def, domain });
                    shapes.push(shape);
                    spans.push(key.span().start..value.span().end);
                }
                None => ok = false,
            }
        }
        let behavioural: Vec<usize> = (0..params.len())
            .filter(|&i| params[i].def.section != Section::Population)
            .collect();
        self.sweep_conflicts(
            &behavioural
                .iter()
                .map(|&i| params[i].clone())
                .collect::<Vec<_>>(),
            &behavioural
                .iter()
                .map(|&i| spans[i].clone())
                .collect::<Vec<_>>(),
        );
        if ok && params.is_empty() {
            self.error(
                item.span(),
                "[explore.uncertainties] lists no parameter",
                "add at least one, e.g. rationality = [2.0, 6.0]",
            );
            return None;
        }
        ok.then_some((params, shapes))
    }

    /// `[low, high]` for a population attribute: the range of its
    /// distribution's centre, each end giving a valid distribution.
    fn centre_range(
        &mut self,
        def: &'static registry::ParamDef<ModelParams>,
        item: &Item<'_>,
    ) -> Option<Domain> {
        let name = def.name;
        let bounds = item
            .get_ref()
            .as_array()
            .filter(|a| a.len() == 2)
            .and_then(|a| Some((number(&a[0])?, number(&a[1])?)));
        let Some((low, high)) = bounds.filter(|(l, h)| l.is_finite() && h.is_finite()) else {
            self.error(
                item.span(),
                format!("`{name}` is a distribution: give the range of its centre as [low, high]"),
                format!(
                    "e.g. {name} = [0.5, 2.0] (its median for a log-normal, its mean for a beta)"
                ),
            );
            return None;
        };
        if low >= high {
            self.error(
                item.span(),
                format!("range of `{name}` must have low < high (got {low}, {high})"),
                "swap or widen the bounds",
            );
            return None;
        }
        self.centre_range_ok(def, item, low, high)?;
        Some(Domain::Range { low, high })
    }

    /// Whether centring population attribute `def`'s distribution at `low`
    /// and at `high` gives valid distributions (reported if not).
    fn centre_range_ok(
        &mut self,
        def: &'static registry::ParamDef<ModelParams>,
        item: &Item<'_>,
        low: f64,
        high: f64,
    ) -> Option<()> {
        let name = def.name;
        let Value::Dist(base) = (def.get)(&self.out.params) else {
            return None;
        };
        for c in [low, high] {
            let moved = base.with_centre(c);
            if let Err(p) = def.kind.check(&Value::Dist(moved.clone())) {
                self.error(
                    item.span(),
                    format!(
                        "`{name}` centred at {c} is not a valid distribution: {moved} ({})",
                        p.message
                    ),
                    format!(
                        "narrow the range; the base distribution is {base}, and {}",
                        match def.kind {
                            Kind::Distribution { .. } => p.help,
                            _ => String::new(),
                        }
                    ),
                );
                return None;
            }
        }
        Some(())
    }

    fn objectives(&mut self, at: &Item<'_>, item: Option<&Item<'_>>) -> Option<Vec<Objective>> {
        let Some(list) = item
            .and_then(|i| i.get_ref().as_array())
            .filter(|a| !a.is_empty())
        else {
            self.error(
                item.map_or(at.span(), |i| i.span()),
                "[explore] needs objectives: an [[explore.objectives]] table for each",
                "e.g. [[explore.objectives]] metric = \"performative_share\", sense = \"minimise\", threshold = 0.05",
            );
            return None;
        };
        let mut out = Vec::new();
        for o in list {
            let Some(t) = o.get_ref().as_table() else {
                self.error(
                    o.span(),
                    "an objective must be a table",
                    "write [[explore.objectives]] with metric, sense and threshold",
                );
                continue;
            };
            self.unknown_keys(t, OBJECTIVE_KEYS, "[[explore.objectives]]");
            let metric = match t.get("metric") {
                Some(m) => match m.get_ref().as_str() {
                    Some(name) => self.metric_name(m, "objective", name),
                    None => {
                        self.error(
                            m.span(),
                            "`metric` must be a metric's name in quotes",
                            "e.g. metric = \"performative_share\"",
                        );
                        None
                    }
                },
                None => {
                    self.error(
                        o.span(),
                        "an objective needs a `metric`",
                        "e.g. metric = \"performative_share\"",
                    );
                    None
                }
            };
            let sense = match t.get("sense") {
                Some(s) => self.word(s, "sense", &["minimise", "maximise"]).map(|w| {
                    if w == "minimise" {
                        Sense::Minimise
                    } else {
                        Sense::Maximise
                    }
                }),
                None => {
                    self.error(
                        o.span(),
                        "an objective needs a `sense`",
                        "add sense = \"minimise\" or \"maximise\"",
                    );
                    None
                }
            };
            let threshold = match t.get("threshold") {
                None => Some(None),
                Some(v) => match number(v).filter(|x| x.is_finite()) {
                    Some(x) => Some(Some(x)),
                    None => {
                        self.error(v.span(), "`threshold` must be a number", "the value the policy must reach (<= when minimising, >= when maximising)");
                        None
                    }
                },
            };
            if let (Some(metric), Some(sense), Some(threshold)) = (metric, sense, threshold) {
                out.push(Objective {
                    metric,
                    sense,
                    threshold,
                });
            }
        }
        (out.len() == list.len()).then_some(out)
    }

    fn discovery(
        &mut self,
        item: Option<&Item<'_>>,
    ) -> (Option<String>, Option<Condition>, Option<f64>) {
        let Some(item) = item else {
            return (None, None, None);
        };
        let Some(t) = item.get_ref().as_table() else {
            self.error(
                item.span(),
                "`discovery` must be a table",
                "write [explore.discovery] with policy and fail",
            );
            return (None, None, None);
        };
        self.unknown_keys(t, DISCOVERY_KEYS, "[explore.discovery]");
        let policy = t.get("policy").and_then(|p| match p.get_ref().as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.error(
                    p.span(),
                    "`policy` must be an arm's name in quotes",
                    "e.g. policy = \"no-board\"",
                );
                None
            }
        });
        let fail = t.get("fail").and_then(|f| self.condition(f));
        let density = t.get("density").and_then(|d| match number(d) {
            Some(x) if x > 0.0 && x <= 1.0 => Some(x),
            _ => {
                self.error(
                    d.span(),
                    "`density` must be a number in (0, 1]",
                    "the share of failing worlds a box must hold, e.g. 0.8",
                );
                None
            }
        });
        (policy, fail, density)
    }

    /// `"METRIC OP VALUE"` with OP one of `>`, `>=`, `<`, `<=`.
    fn condition(&mut self, item: &Item<'_>) -> Option<Condition> {
        let bad = |p: &mut Parser, why: &str| {
            p.error(item.span(), format!("`fail` {why}"), "write it as \"METRIC OP VALUE\" with OP one of >, >=, <, <=, e.g. \"performative_share > 0.1\"");
            None
        };
        let Some(text) = item.get_ref().as_str() else {
            return bad(self, "must be text in quotes");
        };
        let (pos, above) = match (text.find('>'), text.find('<')) {
            (Some(i), None) => (i, true),
            (None, Some(i)) => (i, false),
            _ => return bad(self, "needs one comparison: >, >=, < or <="),
        };
        let metric = text[..pos].trim();
        let (inclusive, rest) = match text[pos + 1..].strip_prefix('=') {
            Some(rest) => (true, rest.trim()),
            None => (false, text[pos + 1..].trim()),
        };
        let Ok(value) = rest.parse::<f64>() else {
            return bad(
                self,
                &format!("compares with `{rest}`, which is not a number"),
            );
        };
        if !value.is_finite() {
            return bad(self, "needs a finite number");
        }
        let metric = self.metric_name(item, "`fail`", metric)?;
        Some(Condition {
            metric,
            above,
            inclusive,
            value,
        })
    }
}

fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
