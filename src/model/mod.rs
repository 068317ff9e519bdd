//! The TM-1 engine: a pure library layer (no files, no printing, no global
//! random state).
//!
//! [`Simulation`] owns one run: the current parameters (which the timeline
//! changes), agent state split into fixed blocks of consecutive teams, and
//! last week's organisation-level observables. [`Simulation::advance`] runs
//! weeks, each in MODEL.md's order: apply the timeline, derive the week's
//! context, step every block in parallel (rayon), merge the blocks'
//! partial sums in block order, record the metrics and tell the observer. Block boundaries
//! and random streams are fixed by the parameters and the seed, never by
//! the thread count, so results are bit-identical on any machine.

mod block;
mod choice;
mod events;
pub use crate::fastmath;
pub mod gini;
pub mod metrics;
mod population;
mod prepare;
pub mod rng;
mod settle;
pub mod simd;
mod state;
pub mod sums;
pub mod values;

use crate::params::timeline::Timeline;
use crate::params::{InvalidParams, Leaderboard, ModelParams, Neighbourhood};
use block::Block;
use gini::GiniHistogram;
use metrics::WeekMetrics;
pub use population::Populations;
use rayon::prelude::*;
use std::sync::{Arc, Mutex};
use sums::Partial;
use values::{GroupView, RankGroup, ValueContext};

/// Agents per block (rounded to whole teams): the unit of parallel work.
/// A constant, so that block-ordered sums never depend on thread count.
const BLOCK_AGENTS: usize = 512;

/// Everything a team's weekly step reads, derived once per week.
pub(crate) struct WeekContext {
    pub values: ValueContext,
    /// The key of the run's counter-based weekly draws and this week's
    /// number ([`rng::word`]).
    pub rng_key: u64,
    pub week: u64,
    /// The levers behind the agents' option log-tokens changed since they
    /// were computed: recompute them before the choice.
    pub refresh_log_tokens: bool,
    /// Tests only: the per-team passes take their general path even for
    /// teams of 8 ([`state::teams_of_eight`]).
    #[cfg(test)]
    pub general_team_path: bool,
    pub adoption_target: f64,
    pub pressure_base: f64,
    pub target_pressure: f64,
    pub pressure_per_gap: f64,
    pub stake: f64,
    /// Ranks are read against the team (manager/team boards), not the org.
    pub team_ranks: bool,
    /// The organisation's rank reference group with its Phi(0) parts.
    pub org_view: GroupView,
    pub org_neighbourhood: bool,
    pub org_sum_g: f64,
    pub employees: f64,
    pub rationality: f64,
    pub choice_noise: f64,
    pub adjustment_rate: f64,
    pub agent_permissions: f64,
    pub incidents_per_performative: f64,
    pub incidents_per_productive: f64,
    pub audit_rate: f64,
    pub audit_detection: f64,
    /// q0 + q_eval w_act + q_org [V = org].
    pub evidence_base: f64,
    /// q_mgr if the manager sees ranks (e_V = 1), else 0.
    pub evidence_from_manager: f64,
    pub ambient_evidence_rate: f64,
    /// Belief counts that replace counts decayed to nothing: the prior
    /// mean alpha0 / (alpha0 + beta0) at a weight of 1e-300.
    pub empty_alpha: f64,
    pub empty_beta: f64,
    pub observations: usize,
    pub belief_discount: f64,
    pub assurance: f64,
    pub credibility_erosion: f64,
    pub social_averaging: f64,
    pub habit_up: f64,
    pub habit_down: f64,
    pub stress_rate: f64,
}

impl WeekContext {
    fn new(p: &ModelParams, org: &Partial, rng_key: u64, week: usize) -> Self {
        let l = &p.levers;
        let b = &p.behaviour;
        let values = ValueContext::new(p);
        WeekContext {
            rng_key,
            week: week as u64,
            refresh_log_tokens: false,
            #[cfg(test)]
            general_team_path: false,
            adoption_target: l.adoption_target,
            pressure_base: b.pressure_base,
            target_pressure: b.target_pressure,
            pressure_per_gap: b.pressure_per_gap,
            stake: b.stake,
            team_ranks: matches!(l.leaderboard, Leaderboard::Manager | Leaderboard::Team),
            org_view: values.group_view(RankGroup::new(org.log_tokens.mean, org.log_tokens.sd())),
            org_neighbourhood: p.neighbourhood == Neighbourhood::Org,
            org_sum_g: org.sum_g,
            employees: org.employees,
            rationality: b.rationality,
            choice_noise: b.choice_noise,
            adjustment_rate: b.adjustment_rate,
            agent_permissions: l.agent_permissions,
            incidents_per_performative: b.incidents_per_performative_mtok,
            incidents_per_productive: b.incidents_per_productive_mtok,
            audit_rate: l.audit_rate,
            audit_detection: l.audit_detection,
            evidence_base: b.ambient_evidence_rate
                + b.evidence_from_eval * l.true_eval_weight
                + if l.leaderboard == Leaderboard::Org {
                    b.evidence_from_org_board
                } else {
                    0.0
                },
            evidence_from_manager: if values.ranks_visible() {
                b.evidence_from_manager
            } else {
                0.0
            },
            ambient_evidence_rate: b.ambient_evidence_rate,
            empty_alpha: 1e-300 * b.prior_alpha / (b.prior_alpha + b.prior_beta),
            empty_beta: 1e-300 * b.prior_beta / (b.prior_alpha + b.prior_beta),
            observations: b.observations_per_week,
            belief_discount: b.belief_discount,
            assurance: l.assurance,
            credibility_erosion: b.credibility_erosion,
            social_averaging: b.social_averaging,
            habit_up: b.habit_formation_rate,
            habit_down: b.habit_decay_rate,
            stress_rate: b.stress_rate,
            values,
        }
    }

    /// The unmixed state of this week's draw in slot `slot` of employee
    /// `employee` ([`rng::state_at`]); a vectorised loop adds
    /// `i * rng::EMPLOYEE_STATE_STEP` for the i-th employee after it.
    #[inline(always)]
    pub fn draw_state(&self, employee: usize, slot: u64) -> u64 {
        rng::state_at(
            self.rng_key,
            rng::position(self.week, employee as u64, slot),
        )
    }

    /// P_j = P_base + [tau > 0] (P_tau + k_gap max(0, tau - A_j)).
    #[inline]
    pub fn pressure(&self, adoption: f64) -> f64 {
        let tau = self.adoption_target;
        if tau > 0.0 {
            self.pressure_base
                + self.target_pressure
                + self.pressure_per_gap * (tau - adoption).max(0.0)
        } else {
            self.pressure_base
        }
    }

    /// q for a team with manager watchfulness `w` under pressure `pressure`.
    #[inline]
    pub fn evidence_rate(&self, w: f64, pressure: f64) -> f64 {
        (self.evidence_base + self.evidence_from_manager * w * pressure).clamp(0.0, 1.0)
    }
}

/// The parameters the agents' option log-tokens depend on (token cap,
/// metric filter, r_g, eps_T), as bits.
fn log_token_levers(p: &ModelParams) -> [u64; 4] {
    [
        p.levers.token_cap,
        p.levers.metric_filter,
        p.behaviour.performative_multiplier,
        p.behaviour.token_floor,
    ]
    .map(f64::to_bits)
}

/// Locks the pool of worker histograms. Its users never panic while
/// holding it, but a poisoned lock's contents are valid anyway.
fn lock(pool: &Mutex<Vec<GiniHistogram>>) -> std::sync::MutexGuard<'_, Vec<GiniHistogram>> {
    pool.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

thread_local! {
    /// Each worker thread's buffers for the passes of a block's week.
    static SCRATCH: std::cell::RefCell<state::Scratch> = std::cell::RefCell::default();
}

/// One run of the model.
pub struct Simulation {
    params: ModelParams,
    timeline: Timeline,
    blocks: Vec<Block>,
    /// Last week's organisation-level observables.
    org: Partial,
    week: usize,
    /// The key of the run's weekly draws ([`rng::step_key`]).
    rng_key: u64,
    /// The levers the agents' option log-tokens were computed with.
    log_token_levers: [u64; 4],
    /// Tests only: refresh the log-tokens every week (true) or never.
    #[cfg(test)]
    refresh_override: Option<bool>,
    /// Tests only: the general per-team path for teams of 8 too.
    #[cfg(test)]
    general_team_path: bool,
    /// The week's histogram of token use, merged from `worker_histograms`.
    histogram: GiniHistogram,
    /// Histograms the blocks fill while stepping, one per concurrently
    /// running task (so about one per thread), reused week after week.
    worker_histograms: Mutex<Vec<GiniHistogram>>,
}

impl Simulation {
    /// Draws the population and sets the week-0 state, after checking the
    /// parameters and the timeline as the scenario layer does
    /// ([`ModelParams::validate`], [`Timeline::validate`]): the engine runs
    /// only on parameters for which its metrics stay in their declared
    /// ranges.
    pub fn new(
        params: &ModelParams,
        timeline: &Timeline,
        run_seed: u64,
    ) -> Result<Simulation, InvalidParams> {
        params.validate()?;
        timeline.validate(params)?;
        let drawn = population::Population::draw(params, run_seed).blocks;
        Ok(Simulation::new_checked(params, timeline, run_seed, drawn))
    }

    /// [`Simulation::new`], copying the population from `populations` when
    /// an earlier run drew it (same seed, number of employees, team size
    /// and attribute distributions), and leaving it there for later runs
    /// when not: the same bits as [`Simulation::new`], without drawing each
    /// population again.
    pub fn with_populations(
        params: &ModelParams,
        timeline: &Timeline,
        run_seed: u64,
        populations: &Populations,
    ) -> Result<Simulation, InvalidParams> {
        params.validate()?;
        timeline.validate(params)?;
        // A copy of a held population; a draw nobody holds is taken over.
        let drawn = Arc::try_unwrap(populations.get(params, run_seed))
            .map_or_else(|held| held.blocks.clone(), |own| own.blocks);
        Ok(Simulation::new_checked(params, timeline, run_seed, drawn))
    }

    fn new_checked(
        params: &ModelParams,
        timeline: &Timeline,
        run_seed: u64,
        drawn: Vec<population::Attributes>,
    ) -> Simulation {
        let (blocks, observables): (Vec<Block>, Vec<Partial>) = drawn
            .into_par_iter()
            .map(|drawn| Block::new(params, drawn))
            .unzip();
        let mut org = Partial::default();
        for part in &observables {
            org.merge(part);
        }
        Simulation {
            params: params.clone(),
            timeline: timeline.clone(),
            blocks,
            org,
            week: 0,
            rng_key: rng::step_key(run_seed),
            log_token_levers: log_token_levers(params),
            #[cfg(test)]
            refresh_override: None,
            #[cfg(test)]
            general_team_path: false,
            histogram: GiniHistogram::default(),
            worker_histograms: Mutex::new(Vec::new()),
        }
    }

    /// The week [`Simulation::advance`] simulates next.
    pub fn week(&self) -> usize {
        self.week
    }

    /// The parameters in force (after the timeline events applied so far).
    pub fn params(&self) -> &ModelParams {
        &self.params
    }

    /// Bytes of agent state: the per-employee arrays, nothing shared.
    pub fn agent_bytes(&self) -> usize {
        self.blocks.iter().map(|b| b.agent_bytes()).sum()
    }

    /// Bytes of simulation state: agent and team arrays, plus the Gini
    /// histograms (the week's and one per worker, independent of N).
    pub fn state_bytes(&self) -> usize {
        self.blocks.iter().map(|b| b.state_bytes()).sum::<usize>()
            + self.histogram.bytes()
            + lock(&self.worker_histograms)
                .iter()
                .map(GiniHistogram::bytes)
                .sum::<usize>()
    }

    /// Simulates one week and returns its metrics (only through
    /// [`Simulation::advance`], so that every week reaches the observer).
    fn step(&mut self) -> WeekMetrics {
        self.timeline.apply(self.week, &mut self.params);
        let mut ctx = WeekContext::new(&self.params, &self.org, self.rng_key, self.week);
        let levers = log_token_levers(&self.params);
        ctx.refresh_log_tokens = levers != self.log_token_levers;
        #[cfg(test)]
        if let Some(always) = self.refresh_override {
            ctx.refresh_log_tokens = always;
        }
        self.log_token_levers = levers;
        #[cfg(test)]
        {
            ctx.general_team_path = self.general_team_path;
        }
        let pool = &self.worker_histograms;
        let addresses: Vec<_> = self.blocks.iter().map(|b| b.agents.addresses()).collect();
        let partials: Vec<Partial> = self
            .blocks
            .par_iter_mut()
            .enumerate()
            .map(|(i, b)| {
                let mut h = lock(pool).pop().unwrap_or_default();
                let next = addresses.get(i + 1);
                let part = SCRATCH.with_borrow_mut(|s| b.step(&ctx, s, &mut h, next));
                lock(pool).push(h);
                part
            })
            .collect();
        let mut week = Partial::default();
        for p in &partials {
            week.merge(p);
        }
        // Counts and significand sums are integers, so the merge is the
        // same whichever thread filled which histogram (with one worker,
        // as with one thread, its histogram is the week's).
        let gini = {
            let mut workers = lock(pool);
            let gini = if let [only] = workers.as_slice() {
                only.gini()
            } else {
                self.histogram.clear();
                for h in workers.iter() {
                    self.histogram.merge(h);
                }
                self.histogram.gini()
            };
            for h in workers.iter_mut() {
                h.clear();
            }
            gini
        };
        let b = &self.params.behaviour;
        let metrics = week.metrics(
            self.params.levers.price_usd_per_mtok,
            b.value_per_output_usd,
            b.incident_loss,
            gini,
        );
        self.org = week;
        self.week += 1;
        metrics
    }

    /// Simulates up to `weeks` more weeks (never past the run's last),
    /// telling `observer` about each: the one loop that steps a
    /// simulation, which every recording (metrics, agent snapshots,
    /// benchmarks, validation) plugs into.
    pub fn advance(&mut self, weeks: usize, observer: &mut dyn Observer) {
        let end = (self.week + weeks).min(self.params.weeks);
        while self.week < end {
            let week = self.week;
            let metrics = self.step();
            observer.observe(self, week, &metrics);
        }
    }

    /// Simulates the remaining weeks, telling `observer` about each.
    pub fn run_observed(&mut self, observer: &mut dyn Observer) {
        self.advance(self.params.weeks - self.week, observer);
    }

    /// Runs the remaining weeks and returns their metrics.
    pub fn run(mut self) -> Vec<WeekMetrics> {
        let mut recorder = MetricsRecorder::default();
        self.run_observed(&mut recorder);
        recorder.weeks
    }

    /// A snapshot of every agent, in employee order (for tests and
    /// inspection; not used in the weekly loop).
    pub fn agents(&self) -> Vec<AgentSnapshot> {
        let mut out = Vec::with_capacity(self.params.employees);
        self.for_each_agent(|a| out.push(a));
        out
    }

    /// Calls `f` with a snapshot of every agent, in employee order, without
    /// collecting them (agent output streams a week's agents through it).
    /// Derived values are computed with the weekly step's own operations:
    /// output Y = a (m + (1 + s) p) as in the choice pass, tokens as in the
    /// realisation, pi = alpha / (alpha + beta) as next week's choice reads it.
    pub fn for_each_agent(&self, mut f: impl FnMut(AgentSnapshot)) {
        let b = &self.params.behaviour;
        let cap = self.params.levers.token_cap;
        let teams_per_block = (BLOCK_AGENTS / self.params.team_size).max(1);
        let mut employee = 0;
        for (bi, block) in self.blocks.iter().enumerate() {
            let a = &block.agents;
            for (ti, t) in block.teams.iter().enumerate() {
                for i in t.start..t.start + t.len {
                    let (p, g) = (a.productive[i], a.performative[i]);
                    let ability = f64::from(a.ability[i]);
                    let ai_speedup = f64::from(a.ai_speedup[i]);
                    let kp = f64::from(a.productive_intensity[i]);
                    f(AgentSnapshot {
                        employee,
                        team: bi * teams_per_block + ti,
                        manager_watchfulness: t.watchfulness,
                        ability,
                        ai_speedup,
                        productive_intensity: kp,
                        performative_intensity: b.performative_multiplier * kp,
                        gaming_aversion: f64::from(a.gaming_aversion[i]),
                        status_drive: f64::from(a.status_drive[i]),
                        conformity: f64::from(a.conformity[i]),
                        credibility: a.credibility[i],
                        alpha: a.alpha[i],
                        beta: a.beta[i],
                        perceived_surveillance: a.alpha[i] / (a.alpha[i] + a.beta[i]),
                        manual: 1.0 - p - g,
                        productive: p,
                        performative: g,
                        measured_tokens: a.measured_tokens[i],
                        tokens: a.used_tokens(i, b.performative_multiplier, cap),
                        output: ability * ((1.0 - p - g) + (1.0 + ai_speedup) * p),
                        habit: a.habit[i],
                        stress: a.stress[i],
                    });
                    employee += 1;
                }
            }
        }
    }
}

/// Watches a run week by week (argmin's observers, Mesa's DataCollector):
/// called by [`Simulation::advance`] after each simulated week with the
/// simulation (to read its agents or parameters) and the week's metrics.
/// Any `FnMut(&Simulation, usize, &WeekMetrics)` is an observer; `()`
/// observes nothing.
pub trait Observer {
    fn observe(&mut self, sim: &Simulation, week: usize, metrics: &WeekMetrics);
}

impl<F: FnMut(&Simulation, usize, &WeekMetrics)> Observer for F {
    fn observe(&mut self, sim: &Simulation, week: usize, metrics: &WeekMetrics) {
        self(sim, week, metrics)
    }
}

impl Observer for () {
    fn observe(&mut self, _: &Simulation, _: usize, _: &WeekMetrics) {}
}

/// Records every week's metrics.
#[derive(Clone, Debug, Default)]
pub struct MetricsRecorder {
    pub weeks: Vec<WeekMetrics>,
}

impl Observer for MetricsRecorder {
    fn observe(&mut self, _: &Simulation, _: usize, metrics: &WeekMetrics) {
        self.weeks.push(*metrics);
    }
}

/// Snapshots of every agent after the chosen weeks.
#[derive(Clone, Debug, Default)]
pub struct AgentRecorder {
    /// Weeks after which to take a snapshot.
    pub at: Vec<usize>,
    /// (week, agents) for each week of `at` simulated so far.
    pub snapshots: Vec<(usize, Vec<AgentSnapshot>)>,
}

impl Observer for AgentRecorder {
    fn observe(&mut self, sim: &Simulation, week: usize, _: &WeekMetrics) {
        if self.at.contains(&week) {
            self.snapshots.push((week, sim.agents()));
        }
    }
}

/// One agent's attributes and state after a week of a run (MODEL.md
/// section 2's names; alpha and beta are the belief counts).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AgentSnapshot {
    /// i: the employee's number, 0..N-1 (teams are consecutive).
    pub employee: usize,
    pub team: usize,
    pub manager_watchfulness: f64,
    pub ability: f64,
    pub ai_speedup: f64,
    pub productive_intensity: f64,
    /// kg_i = r_g kp_i, with this week's `performative_multiplier`.
    pub performative_intensity: f64,
    pub gaming_aversion: f64,
    pub status_drive: f64,
    pub conformity: f64,
    pub credibility: f64,
    pub alpha: f64,
    pub beta: f64,
    /// pi_i = alpha / (alpha + beta).
    pub perceived_surveillance: f64,
    /// m = 1 - p - g: this week's manual share.
    pub manual: f64,
    pub productive: f64,
    pub performative: f64,
    /// Tm_i: tokens as the metric counts them this week.
    pub measured_tokens: f64,
    /// T_i: tokens used this week.
    pub tokens: f64,
    /// Y_i = a_i (m_i + (1 + s_i) p_i): this week's output.
    pub output: f64,
    pub habit: f64,
    pub stress: f64,
}

/// Bytes one run of `p` holds at its peak with `threads` worker threads:
/// the agent arrays and team records, each thread's scratch buffers for
/// one block and its Gini histogram, and the week's histogram. Computed
/// from the engine's own types, so it follows them (a test compares it
/// with a real run's [`Simulation::state_bytes`]); it lets a caller refuse
/// a run that cannot fit in memory before allocating anything.
pub fn estimated_run_bytes(p: &ModelParams, threads: usize) -> u64 {
    let teams = p.employees.div_ceil(p.team_size.max(1)) as u64;
    let per_block_teams = (BLOCK_AGENTS / p.team_size.max(1)).max(1);
    let block_agents = (per_block_teams * p.team_size).min(p.employees) as u64;
    let state = p.employees as u64 * state::AGENT_BYTES as u64
        + teams * std::mem::size_of::<state::Team>() as u64;
    let blocks = teams.div_ceil(per_block_teams as u64);
    let block_records = blocks * (std::mem::size_of::<Block>() + 64) as u64;
    let workers = threads.max(1) as u64;
    let scratch = workers
        * (block_agents * state::SCRATCH_BYTES_PER_AGENT as u64
            + per_block_teams as u64 * state::SCRATCH_BYTES_PER_TEAM as u64);
    let histograms = (workers + 1) * gini::HISTOGRAM_BYTES as u64;
    state + block_records + scratch + histograms
}

/// Bytes of one run's drawn population (what [`Populations`] holds per
/// run): the six single-precision attributes and the credibility of each
/// employee, and the team records.
pub fn estimated_population_bytes(p: &ModelParams) -> u64 {
    let teams = p.employees.div_ceil(p.team_size.max(1)) as u64;
    p.employees as u64 * (6 * std::mem::size_of::<state::Attr>() + 8) as u64
        + teams * std::mem::size_of::<state::Team>() as u64
}

/// Runs a whole simulation and returns one [`WeekMetrics`] per week.
pub fn simulate(
    params: &ModelParams,
    timeline: &Timeline,
    run_seed: u64,
) -> Result<Vec<WeekMetrics>, InvalidParams> {
    Ok(Simulation::new(params, timeline, run_seed)?.run())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::MODEL_PARAMS;
    use crate::params::registry::{Value, find};
    use crate::params::timeline::{Change, Event, Timeline};

    /// Metrics of a run whose timeline changes the levers behind the
    /// agents' option log-tokens at weeks 3 and 6 (token_floor cannot
    /// change during a run), with the cache's
    /// refresh as the engine does it or overridden.
    fn run(refresh: Option<bool>) -> Vec<WeekMetrics> {
        let mut p = ModelParams {
            employees: 300,
            weeks: 9,
            ..ModelParams::default()
        };
        p.levers.adoption_target = 0.8;
        p.levers.leaderboard = Leaderboard::Org;
        let set = |week, name, value| Event {
            param: find(MODEL_PARAMS, name).expect("a parameter"),
            change: Change::Set {
                week,
                value: Value::Real(value),
            },
        };
        let timeline = Timeline {
            events: vec![
                set(3, "metric_filter", 0.5),
                set(3, "token_cap", 30.0),
                set(6, "performative_multiplier", 2.0),
            ],
        };
        let mut sim = Simulation::new(&p, &timeline, 7).expect("valid");
        sim.refresh_override = refresh;
        sim.run()
    }

    #[test]
    fn option_log_tokens_follow_the_levers_they_depend_on() {
        let cached = run(None);
        // Recomputing them every week gives the same bits...
        assert_eq!(format!("{cached:?}"), format!("{:?}", run(Some(true))));
        // ...and never recomputing them would not (so the comparison above
        // can fail): the changes at weeks 3 and 6 matter.
        let stale = run(Some(false));
        assert_eq!(format!("{:?}", &cached[..3]), format!("{:?}", &stale[..3]));
        assert_ne!(format!("{:?}", &cached[3..]), format!("{:?}", &stale[3..]));
    }

    /// Metrics of a run of 1,600 employees in teams of 8 (several blocks,
    /// every team of 8 members), with team boards, through the per-team
    /// passes' fast path for teams of 8 or their general path.
    fn teams_of_eight_run(general: bool) -> Vec<WeekMetrics> {
        let mut p = ModelParams {
            employees: 1600,
            weeks: 6,
            ..ModelParams::default()
        };
        p.levers.adoption_target = 0.8;
        p.levers.leaderboard = Leaderboard::Team;
        p.levers.audit_rate = 0.2;
        let mut sim = Simulation::new(&p, &Timeline::default(), 11).expect("valid");
        sim.general_team_path = general;
        sim.run()
    }

    #[test]
    fn teams_of_eight_take_the_general_paths_bits() {
        let fast = teams_of_eight_run(false);
        assert_eq!(
            format!("{fast:?}"),
            format!("{:?}", teams_of_eight_run(true))
        );
        assert!(fast.iter().any(|w| w.performative_share > 0.0));
    }
}
