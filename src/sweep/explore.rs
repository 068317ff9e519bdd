//! Explorations: every explored policy in every sampled world, with
//! common random numbers, run by the sweep machinery (streaming,
//! resumable, sharded, merged, on Slurm) and summarised for robustness.
//!
//! A world is one draw of the uncertain parameters over their ranges (a
//! Latin hypercube or a Sobol sequence); a population attribute's value
//! moves the centre of its distribution and keeps its shape parameter
//! (see `Dist::with_centre`). Point p of
//! the plan is world `p / P` under policy `p % P` (P policies), and every
//! run of replicate r uses the seed of replicate r, so all policies meet
//! the same worlds and the same random numbers.
//!
//! From a complete `runs.csv` this module writes `worlds.csv` (each
//! world's values), `outcomes.csv` (each objective's replicate mean per
//! world and policy, its regret against the best policy in that world,
//! and whether it meets its threshold) and `robustness.csv` (per policy
//! and objective: mean with a t interval over worlds, 10th, 50th and 90th
//! percentiles, mean and maximum regret, and the share of worlds where
//! the policy satisfies every threshold, with a Wilson interval).
//! Regret follows Savage's minimax-regret criterion as used in robust
//! decision making (Lempert, Popper and Bankes 2003).

use super::design::{self, Point};
use super::{Exploration, Plan, SweepError, analysis};
use crate::model::metrics::Metric;
use crate::output::write_rows;
use crate::params::registry::Value;
use crate::results::{OutcomeRow, RobustnessRow, Statistic};
use crate::scenario::Scenario;
use crate::scenario::explore_spec::{At, ExploreSpec, Sense};
use crate::scenario::sweep_spec::{Design, Domain, Record, SweepSpec};
use crate::stats::summarise;
use std::path::Path;

pub use super::files::{OUTCOMES, ROBUSTNESS, WORLDS};

/// The most uncertain parameters a Sobol sample of worlds supports.
const MAX_UNCERTAINTIES: usize = 256;

/// Builds the plan of a scenario's `[explore]` table.
pub(super) fn plan(scenario: &Scenario) -> Result<Plan, SweepError> {
    let spec = scenario
        .explore
        .clone()
        .ok_or_else(|| SweepError::Invalid("the scenario has no [explore] table".into()))?;
    let all = scenario.arms();
    let arms = spec
        .policies
        .iter()
        .map(|name| {
            all.iter()
                .find(|a| a.name == *name)
                .cloned()
                .ok_or_else(|| {
                    SweepError::Invalid(format!(
                        "[explore] names policy `{name}`, which is not an arm of the scenario"
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let arms = [arms, grid_policies(scenario, &spec)?].concat();
    let mut names: Vec<&str> = arms.iter().map(|a| a.name.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(SweepError::Invalid(format!(
            "two explored policies are named `{}`; rename the variant",
            w[0]
        )));
    }
    let k = spec.uncertainties.len();
    if k > MAX_UNCERTAINTIES {
        return Err(SweepError::Invalid(format!(
            "[explore] has {k} uncertainties; at most {MAX_UNCERTAINTIES} are supported"
        )));
    }
    // A variant may carry its own population: each explored distribution
    // must stay valid at both ends of its range under every policy.
    for arm in &arms {
        for sp in &spec.uncertainties {
            if let (Domain::Range { low, high }, Value::Dist(d)) =
                (&sp.domain, (sp.def.get)(&arm.params))
            {
                for c in [*low, *high] {
                    let moved = d.with_centre(c);
                    if let Err(p) = sp.def.kind.check(&Value::Dist(moved.clone())) {
                        return Err(SweepError::Invalid(format!(
                            "policy `{}`: `{}` centred at {c} is {moved}, which is not allowed ({}); narrow its range in [explore.uncertainties]",
                            arm.name, sp.def.name, p.message
                        )));
                    }
                }
            }
        }
    }
    let seed = scenario.run.seed;
    let units = match spec.design {
        crate::scenario::explore_spec::WorldDesign::Lhs => design::lhs(k, spec.worlds, seed),
        crate::scenario::explore_spec::WorldDesign::Sobol => design::sobol(k, spec.worlds, seed),
    };
    let points: Vec<Point> = units
        .into_iter()
        .map(|u| Point {
            values: spec
                .uncertainties
                .iter()
                .zip(&u)
                .enumerate()
                .map(
                    |(i, (p, &x))| match spec.shapes.get(i).and_then(Option::as_ref) {
                        // Drawn from its distribution by the inverse CDF.
                        Some(d) => p.def.number(d.quantile(x)),
                        None => design::unit_to_value(p, x),
                    },
                )
                .collect(),
            unit: Some(u),
        })
        .collect();
    let sweep = SweepSpec {
        design: Design::Lhs,
        params: spec.uncertainties.clone(),
        samples: spec.worlds,
        levels: 2,
        replicates: spec.replicates,
        record: Record::Final,
        bootstrap: 1000,
    };
    Plan {
        scenario: scenario.clone(),
        spec: sweep,
        points,
        explore: Some(Exploration { spec, arms }),
    }
    .checked()
}

/// The policies of `[explore.policy_grid]`: every combination of the
/// listed lever values set on the base, named by its settings
/// ("audit_rate=0.1 leaderboard=none"). Each keeps the base's timeline but
/// for its entries on the grid's levers, so that a grid policy holds its
/// levers all year.
fn grid_policies(
    scenario: &Scenario,
    spec: &ExploreSpec,
) -> Result<Vec<crate::scenario::Variant>, SweepError> {
    if spec.policy_grid.is_empty() {
        return Ok(Vec::new());
    }
    let grid = SweepSpec {
        design: Design::Grid,
        params: spec.policy_grid.clone(),
        samples: 1,
        levels: 2,
        replicates: 1,
        record: Record::Final,
        bootstrap: 1000,
    };
    let mut timeline = scenario.timeline.clone();
    timeline
        .events
        .retain(|e| !spec.policy_grid.iter().any(|g| g.def.name == e.param.name));
    design::points(&grid, scenario.run.seed)
        .into_iter()
        .map(|point| {
            let mut params = scenario.params.clone();
            let mut name = Vec::new();
            for (g, v) in spec.policy_grid.iter().zip(&point.values) {
                g.def.set(&mut params, v).map_err(|p| {
                    SweepError::Invalid(format!("[explore.policy_grid]: {}", p.message))
                })?;
                name.push(format!("{}={}", g.def.name, super::files::cell(v)));
            }
            let name = name.join(" ");
            Ok(crate::scenario::Variant {
                description: format!("The base policy with {name} all year."),
                name,
                params,
                timeline: timeline.clone(),
            })
        })
        .collect()
}

impl Exploration {
    pub fn policies(&self) -> usize {
        self.arms.len()
    }

    pub fn worlds(&self) -> usize {
        self.spec.worlds
    }

    /// The world and the policy of point `p`.
    pub fn world_policy(&self, p: usize) -> (usize, usize) {
        (p / self.arms.len(), p % self.arms.len())
    }

    /// The metrics the analysis reads: the objectives', then the failure
    /// condition's if it is not among them.
    pub fn tracked(&self) -> Vec<Metric> {
        let mut out: Vec<Metric> = self
            .spec
            .objectives
            .iter()
            .filter_map(|o| Metric::from_name(&o.metric))
            .collect();
        if let Some(m) = self
            .spec
            .failure
            .as_ref()
            .and_then(|f| Metric::from_name(&f.metric))
            && !out.contains(&m)
        {
            out.push(m);
        }
        out
    }
}

/// Replicate means of the tracked metrics: `[world][policy][tracked]`,
/// with the replicates counted.
pub struct Outcomes {
    pub tracked: Vec<Metric>,
    pub values: Vec<Vec<Vec<f64>>>,
    pub n: Vec<Vec<usize>>,
}

impl Outcomes {
    /// Reads them from a complete `runs.csv`, one point at a time.
    pub fn read(plan: &Plan, e: &Exploration, runs: &Path) -> Result<Outcomes, SweepError> {
        let tracked = e.tracked();
        let statistic = match e.spec.at {
            At::FinalWeek => Statistic::Final,
            At::RunAverage => Statistic::RunAverage,
        };
        let mut values = vec![vec![vec![f64::NAN; tracked.len()]; e.policies()]; e.worlds()];
        let mut n = vec![vec![0; e.policies()]; e.worlds()];
        analysis::for_each_point(runs, |pr| {
            if pr.point >= plan.point_count() {
                return Err(SweepError::Invalid(format!(
                    "runs.csv has point {}, beyond the plan's {}",
                    pr.point,
                    plan.point_count()
                )));
            }
            let (w, a) = e.world_policy(pr.point);
            for (j, &m) in tracked.iter().enumerate() {
                if let Some(xs) = pr.values(statistic, m) {
                    let s = summarise(&xs);
                    values[w][a][j] = s.mean;
                    n[w][a] = xs.len();
                }
            }
            Ok(())
        })?;
        Ok(Outcomes { tracked, values, n })
    }

    fn column(&self, metric: &str) -> Option<usize> {
        self.tracked.iter().position(|m| m.name() == metric)
    }

    /// The value of objective `metric` for policy `a` in world `w`.
    pub fn value(&self, w: usize, a: usize, metric: &str) -> f64 {
        self.column(metric)
            .map_or(f64::NAN, |j| self.values[w][a][j])
    }
}

/// Whether policy `a` meets every threshold in world `w` (an undefined
/// value meets none).
pub fn satisficing(spec: &ExploreSpec, o: &Outcomes, w: usize, a: usize) -> bool {
    spec.objectives.iter().all(|obj| match obj.threshold {
        Some(t) => obj.sense.satisfies(o.value(w, a, &obj.metric), t),
        None => true,
    })
}

/// Regret of policy `a` in world `w` on one objective: the distance to
/// the best finite value of any policy in that world.
pub fn regret(sense: Sense, o: &Outcomes, metric: &str, w: usize, a: usize) -> f64 {
    let best = (0..o.values[w].len())
        .map(|b| o.value(w, b, metric))
        .filter(|x| x.is_finite())
        .reduce(|x, y| sense.better(x, y));
    match best {
        Some(best) => sense.regret(o.value(w, a, metric), best),
        None => f64::NAN,
    }
}

/// The `q` quantile of the finite values (linear interpolation between
/// order statistics, numpy's default); NaN without any.
pub fn percentile(xs: &[f64], q: f64) -> f64 {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let pos = q * (v.len() - 1) as f64;
    let (i, f) = (pos.floor() as usize, pos.fract());
    match v.get(i + 1) {
        Some(next) => v[i] + f * (next - v[i]),
        None => v[i],
    }
}

/// Wilson's 95% interval for `k` successes in `n` trials (Wilson 1927):
/// inside [0, 1] and sensible at 0 and n.
pub fn wilson(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let z = 1.959_963_984_540_054_f64;
    let (n, p) = (n as f64, k as f64 / n as f64);
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    // The interval holds the share itself (rounding could leave a lower
    // end of 1e-17 above a share of 0).
    ((centre - half).clamp(0.0, p), (centre + half).clamp(p, 1.0))
}

/// Writes `outcomes.csv` world by world (its rows are not all held in
/// memory at once).
fn write_outcomes(e: &Exploration, o: &Outcomes, path: &Path) -> Result<(), SweepError> {
    use std::io::Write;
    let mut file = crate::output::AtomicFile::create(path)?;
    for w in 0..e.worlds() {
        let text = crate::results::csv_text(world_outcomes(e, o, w), w == 0).map_err(|err| {
            SweepError::Output(crate::output::OutputError::Encode {
                path: path.display().to_string(),
                message: err.to_string(),
            })
        })?;
        file.write_all(&text)
            .map_err(|err| SweepError::Output(crate::output::io_error(path, err)))?;
    }
    file.commit()?;
    Ok(())
}

/// The `outcomes.csv` rows of world `w`.
fn world_outcomes(e: &Exploration, o: &Outcomes, w: usize) -> Vec<OutcomeRow> {
    let mut rows = Vec::new();
    {
        for (a, arm) in e.arms.iter().enumerate() {
            let ok = satisficing(&e.spec, o, w, a);
            for obj in &e.spec.objectives {
                let value = o.value(w, a, &obj.metric);
                rows.push(OutcomeRow {
                    world: w,
                    policy: arm.name.clone(),
                    objective: obj.metric.clone(),
                    n: o.n[w][a],
                    value,
                    regret: regret(obj.sense, o, &obj.metric, w, a),
                    meets_threshold: obj.threshold.map(|t| obj.sense.satisfies(value, t)),
                    satisficing: ok,
                });
            }
        }
    }
    rows
}

/// `robustness.csv` rows: per policy and objective.
pub fn robustness_rows(e: &Exploration, o: &Outcomes) -> Vec<RobustnessRow> {
    let worlds = e.worlds();
    let mut rows = Vec::new();
    for (a, arm) in e.arms.iter().enumerate() {
        let ok = (0..worlds)
            .filter(|&w| satisficing(&e.spec, o, w, a))
            .count();
        let (lo, hi) = wilson(ok, worlds);
        for obj in &e.spec.objectives {
            let xs: Vec<f64> = (0..worlds).map(|w| o.value(w, a, &obj.metric)).collect();
            let rs: Vec<f64> = (0..worlds)
                .map(|w| regret(obj.sense, o, &obj.metric, w, a))
                .collect();
            let s = summarise(&xs);
            let r = summarise(&rs);
            rows.push(RobustnessRow {
                policy: arm.name.clone(),
                objective: obj.metric.clone(),
                sense: obj.sense.word().into(),
                threshold: obj.threshold,
                worlds: s.n,
                mean: s.mean,
                ci_low: s.ci_low,
                ci_high: s.ci_high,
                p10: percentile(&xs, 0.1),
                p50: percentile(&xs, 0.5),
                p90: percentile(&xs, 0.9),
                regret_mean: r.mean,
                regret_ci_low: r.ci_low.max(0.0),
                regret_ci_high: r.ci_high,
                regret_max: rs
                    .iter()
                    .copied()
                    .filter(|x| x.is_finite())
                    .fold(f64::NAN, f64::max),
                meets_share: obj.threshold.map(|t| {
                    xs.iter().filter(|&&x| obj.sense.satisfies(x, t)).count() as f64 / worlds as f64
                }),
                satisficing_share: ok as f64 / worlds as f64,
                satisficing_ci_low: lo,
                satisficing_ci_high: hi,
            });
        }
    }
    rows
}

/// The most robust policy: the one satisficing in the most worlds, then
/// the lowest mean regret on the first objective, then the first listed.
pub fn most_robust(e: &Exploration, o: &Outcomes) -> usize {
    let score = |a: usize| {
        let ok = (0..e.worlds())
            .filter(|&w| satisficing(&e.spec, o, w, a))
            .count();
        let first = &e.spec.objectives[0];
        let regrets: Vec<f64> = (0..e.worlds())
            .map(|w| regret(first.sense, o, &first.metric, w, a))
            .collect();
        let mean = summarise(&regrets).mean;
        (
            ok,
            if mean.is_finite() {
                -mean
            } else {
                f64::NEG_INFINITY
            },
        )
    };
    (0..e.policies())
        .max_by(|&x, &y| {
            let (sx, sy) = (score(x), score(y));
            sx.0.cmp(&sy.0).then(sx.1.total_cmp(&sy.1)).then(y.cmp(&x))
        })
        .unwrap_or(0)
}

/// `worlds.csv`: each world's uncertain values and unit coordinates.
fn write_worlds(plan: &Plan, e: &Exploration, path: &Path) -> Result<(), SweepError> {
    let names: Vec<&str> = plan.spec.params.iter().map(|p| p.def.name).collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let encode = |e: csv::Error| {
        SweepError::Output(crate::output::OutputError::Encode {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    };
    let header = std::iter::once("world".to_string())
        .chain(names.iter().map(|n| n.to_string()))
        .chain(names.iter().map(|n| format!("unit_{n}")));
    w.write_record(header).map_err(encode)?;
    for world in 0..e.worlds() {
        let p = &plan.points[world];
        let record = std::iter::once(world.to_string())
            .chain(p.values.iter().map(super::files::cell))
            .chain(p.unit.iter().flatten().map(|u| crate::output::num(*u)));
        w.write_record(record).map_err(encode)?;
    }
    let bytes = w.into_inner().map_err(|e| encode(e.into_error().into()))?;
    crate::output::write_atomic(path, &bytes)?;
    Ok(())
}

/// Writes an exploration's worlds, outcomes and robustness from its
/// complete `runs.csv` in `dir`, and returns the outcomes (for scenario
/// discovery).
pub fn write_files(plan: &Plan, e: &Exploration, dir: &Path) -> Result<Outcomes, SweepError> {
    let o = Outcomes::read(plan, e, &dir.join(super::files::RUNS))?;
    write_worlds(plan, e, &dir.join(WORLDS))?;
    write_outcomes(e, &o, &dir.join(OUTCOMES))?;
    write_rows(&dir.join(ROBUSTNESS), robustness_rows(e, &o))?;
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_intervals_stay_in_the_unit_interval_and_cover_the_share() {
        for n in [1, 5, 40, 1000] {
            for k in [0, n / 3, n] {
                let (lo, hi) = wilson(k, n);
                let p = k as f64 / n as f64;
                assert!(
                    (0.0..=p).contains(&lo) && (p..=1.0).contains(&hi),
                    "{k}/{n}"
                );
            }
        }
        // Wilson's interval for 8 of 10 (Newcombe 1998, table I).
        let (lo, hi) = wilson(8, 10);
        assert!(
            (lo - 0.4902).abs() < 1e-4 && (hi - 0.9433).abs() < 1e-4,
            "{lo} {hi}"
        );
    }

    use crate::params::timeline::Timeline;
    use crate::scenario::Variant;
    use crate::scenario::explore_spec::{Objective, WorldDesign};
    use proptest::prelude::*;

    fn exploration(policies: usize, worlds: usize, objectives: Vec<Objective>) -> Exploration {
        Exploration {
            spec: ExploreSpec {
                design: WorldDesign::Lhs,
                worlds,
                replicates: 1,
                policies: (0..policies).map(|a| format!("p{a}")).collect(),
                policy_grid: Vec::new(),
                shapes: Vec::new(),
                uncertainties: Vec::new(),
                objectives,
                at: At::FinalWeek,
                discovery_policy: None,
                failure: None,
                density_threshold: 0.8,
            },
            arms: (0..policies)
                .map(|a| Variant {
                    name: format!("p{a}"),
                    description: String::new(),
                    params: crate::params::ModelParams::default(),
                    timeline: Timeline::default(),
                })
                .collect(),
        }
    }

    proptest! {
        /// Whatever the outcomes (undefined ones included), regret is
        /// never negative and zero for the best policy, shares and their
        /// intervals stay in [0, 1] around the share, and percentiles are
        /// ordered.
        #[test]
        fn robustness_stays_in_its_declared_ranges(
            policies in 1usize..5,
            worlds in 1usize..20,
            raw in proptest::collection::vec(prop_oneof![9 => -1e6f64..1e6, 1 => Just(f64::NAN)], 2 * 5 * 20),
            minimise in any::<bool>(),
            threshold in proptest::option::of(-1e6f64..1e6),
        ) {
            let sense = if minimise { Sense::Minimise } else { Sense::Maximise };
            let objectives = vec![
                Objective { metric: "performative_share".into(), sense, threshold },
                Objective { metric: "incidents".into(), sense: Sense::Minimise, threshold: None },
            ];
            let e = exploration(policies, worlds, objectives);
            let o = Outcomes {
                tracked: e.tracked(),
                values: (0..worlds)
                    .map(|w| (0..policies).map(|a| vec![raw[2 * (w * 5 + a)], raw[2 * (w * 5 + a) + 1]]).collect())
                    .collect(),
                n: vec![vec![1; policies]; worlds],
            };
            for w in 0..worlds {
                let regrets: Vec<f64> = (0..policies)
                    .map(|a| regret(sense, &o, "performative_share", w, a))
                    .collect();
                let finite: Vec<f64> = regrets.iter().copied().filter(|r| !r.is_nan()).collect();
                prop_assert!(finite.iter().all(|&r| r >= 0.0));
                if !finite.is_empty() {
                    prop_assert!(finite.contains(&0.0));
                }
            }
            for r in robustness_rows(&e, &o) {
                prop_assert!((0.0..=1.0).contains(&r.satisficing_share));
                prop_assert!(r.satisficing_ci_low <= r.satisficing_share);
                prop_assert!(r.satisficing_share <= r.satisficing_ci_high);
                prop_assert!(r.satisficing_ci_low >= 0.0 && r.satisficing_ci_high <= 1.0);
                if let Some(m) = r.meets_share {
                    prop_assert!((0.0..=1.0).contains(&m));
                }
                // NaN (no finite outcome) or not negative.
                for x in [r.regret_mean, r.regret_max, r.regret_ci_low] {
                    prop_assert!(x.is_nan() || x >= 0.0, "{x}");
                }
                if r.p10.is_finite() {
                    prop_assert!(r.p10 <= r.p50 && r.p50 <= r.p90);
                }
            }
            let best = most_robust(&e, &o);
            prop_assert!(best < policies);
        }
    }

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let xs = [4.0, 1.0, f64::NAN, 3.0, 2.0];
        assert_eq!(percentile(&xs, 0.5), 2.5);
        assert_eq!(percentile(&xs, 0.1), 1.3);
        assert_eq!(percentile(&xs, 1.0), 4.0);
        assert!(percentile(&[], 0.5).is_nan());
    }
}
